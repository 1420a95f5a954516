// Package lint checks Prometheus rule files, PrometheusRule objects and
// Grafana dashboards against the engine metric catalogs in library. The
// central type is Finding: every check returns findings, never errors, and
// every finding carries its file, line, check name and severity.
//
// Checks live one per file (check_<area>_<topic>.go, named "area/topic") and
// are listed in registry.go. Expression checks see one parsed expression and
// its context (an entry); file checks see the rule groups of one file.
//
// The checks:
//
//   - promql/syntax: the expression does not parse (dashboard queries after
//     their Grafana variables are replaced by placeholders);
//   - metric/removed: a name the version no longer exposes (renamed, hidden
//     or removed, with the replacement and the version), or a deprecated
//     name it still exposes (warning);
//   - metric/unknown: a name no change explains: from another version, a
//     counter with the wrong _total suffix, a histogram read by its base
//     name or with the wrong suffix, or a typo (with the nearest name);
//   - promql/counter-rate: a counter or histogram series read without
//     rate(), irate(), increase() or an existence function;
//   - promql/rate-gauge: rate(), irate() or increase() over a gauge;
//   - promql/quantile-le: histogram_quantile over an aggregation that drops
//     le, or over engine series none of which is a _bucket series;
//   - metric/sanitized: an engine name with its prefix's ':' written '_'
//     (vllm_num_requests_waiting);
//   - rules/engine-name: a recording rule that writes a name the engine
//     itself exposes;
//   - promql/dead-match: a binary operation whose sides can never match
//     (one side fixes a label, e.g. le, the other provably lacks it, or the
//     two fix it to different values);
//   - promql/rate-window: a rate over [$__interval], or over a literal
//     window shorter than two scrapes when the scrape interval is known;
//   - promql/dp-engine: see below (a warning only when the spec declares
//     dataParallel > 1 or the query names the label, else info);
//   - promql/le-bucket: an le matcher value that is not a boundary of the
//     family in that version, or not in the text the engine prints;
//   - labels/forbidden: Options.ForbiddenLabels in by(), on(),
//     group_left/right(), selectors, count_values or label_replace;
//   - alerts/comparison: an alert with no comparison or absent(), or one
//     that compares with bool;
//   - rules/duplicate: the same name, expression and labels twice in a file,
//     or the same record name and labels twice in a group;
//   - rules/group-interval: a group interval over the 5m lookback;
//   - engine/assumed (info): the engine version was inferred;
//   - file/syntax: a named file that does not decode;
//   - file/skipped: a named file that is no rule file or dashboard.
//
// Each query is checked at the engine version of the spec models
// (Options.Models) its selectors select, else at Options.Engine/Version or
// the newest release. Dashboards may be wrapped in ConfigMaps or
// GrafanaDashboards; query variables (label_values, query_result) are
// checked too. Ray Serve's names (ray_vllm_..., ray_vllm:...) are read as
// the engine's. Identical findings of one panel are reported once with a
// count. Config (.inferobs-lint.yaml) and "# inferobs-lint-disable"
// comments switch checks, names and paths off;
//   - engine/invalid: Options that Expr cannot use.
//
// Metric knowledge comes from library only: a name is engine-owned when it
// starts with the common prefix of every name the engine ever exposed, and
// types, buckets, renames and removals are looked up in the catalog of the
// engine version being checked. The package spells no metric name.
//
// # Data-parallel engine label (promql/dp-engine)
//
// From the version where an engine's catalog has a data-parallel label
// (vLLM's "engine", 0.8.3 on), one replica exposes one series per
// data-parallel rank for every family with common labels. The check tracks,
// through the expression, whether that label survives into a value. It
// survives implicitly when a selector of such a family is not pinned by an
// equality matcher on the label and nothing removes it on the way up. An
// aggregation without a by() list, a by() list that omits the label, or a
// without() list that names it removes it. A without() list that omits it,
// topk/bottomk/limitk, functions and binary operators keep it (except
// one-to-one arithmetic with an on() list that omits it, and the right side
// of and/unless). A by() list that names the label keeps it explicitly: a
// deliberate per-rank view, never reported. Reported (warnings):
//
//   - histogram_quantile whose histogram argument keeps the label
//     implicitly: the result is one quantile per rank over that rank's share
//     of the requests, not the model's quantile;
//   - in an alerting rule, a comparison with a scalar whose other operand
//     keeps the label implicitly and is additive (a gauge selector, a
//     rate/irate/increase of a counter, *_over_time of a gauge, or sums,
//     extremes and scalar arithmetic of those; not a ratio of two vectors):
//     per-rank values are a share of the replica's load, so a per-replica
//     threshold fires late or never. Gauges whose role is a per-rank ratio
//     (KV-cache usage: every rank has its own cache) are exempt;
//   - count over series that carry the label (implicitly or explicitly) when
//     the count removes it: it counts ranks, not replicas.
package lint
