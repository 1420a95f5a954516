// Package e2e holds the end-to-end test of the generated rules on real
// Prometheus servers (build tag e2e; `make e2e`): each run starts
// `inferobs simulate`'s server in process and a Prometheus on free loopback
// ports, loads an example's generated rule files (out/<example>/prometheus,
// durations divided by the simulation speed) and checks through the HTTP
// API that every group loads, every rule evaluates without error, every
// recording rule returns series for every model, and each scenario brings
// exactly the alerts it expects to pending or firing.
//
// Binaries: INFEROBS_PROMETHEUS (default: prometheus on PATH) for
// Prometheus 2, INFEROBS_PROMETHEUS3 for Prometheus 3 (skipped when unset),
// INFEROBS_PROMTOOL (default: promtool on PATH) for the OpenMetrics backfill.
package e2e
