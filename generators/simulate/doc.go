// Package simulate serves and writes synthetic telemetry of a plan: every
// model's engine /metrics shaped exactly as its engine version exposes them
// (the families, label sets, bucket boundaries and value formatting of
// generators/cardinality/synth), the DCGM exporter's GPU series (labels and
// fields from library, values shaped after a real H100's readings per
// serving phase) and, with tracing, the gateway's spanmetrics series, for
// the spec's models and tenants.
//
// Values evolve over scenario time according to a Scenario: healthy
// traffic, then, from the scenario's onset, an incident (a TTFT burn, a
// thrashing KV cache, a stalled host loop, a thermally throttled GPU, an
// engine that stops answering, ...). Counters only grow; everything is
// deterministic for a seed. Expect tells, from the same model the series
// are drawn from, which alerts of the generated rules each scenario must
// trigger, which it may trigger and (by omission) which it must not.
//
// Time: scenario time runs Speed times faster than wall time, while every
// counter grows by its per-second rate times wall seconds. A Prometheus that
// scrapes the simulator and evaluates rule files whose durations were
// divided by the same factor (CompressRules) therefore sees the scenario
// compressed in time with the per-second rates (and so every absolute
// threshold of the rules) intact.
package simulate
