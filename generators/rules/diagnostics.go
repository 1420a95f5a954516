package rules

import (
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
)

// Diagnostic alert names (library holds them for every generator).
const (
	AlertKVCacheThrash      = library.AlertKVCacheThrash
	AlertTensorIdle         = library.AlertTensorIdle
	AlertTruncations        = library.AlertTruncations
	AlertQueueComputeBound  = library.AlertQueueComputeBound
	AlertGatewayTTFTGap     = library.AlertGatewayTTFTGap
	AlertTargetMissing      = library.AlertTargetMissing
	AlertSpecDecodeBelowBE  = library.AlertSpecDecodeBelowBE
	AlertGPUThermalSlowdown = library.AlertGPUThermalSlowdown
	AlertGPUXIDError        = library.AlertGPUXIDError
)

// Skipped records a diagnostic alert a model's engine cannot support, for
// the generated docs.
type Skipped struct {
	Alert, Model, Why string
}

func diagnosticGroups(p *plan.Plan) []Group {
	g := Group{File: "diagnostics", Name: "inferobs:diagnostics", Interval: p.EvaluationInterval}
	for _, m := range p.Models {
		rs, _ := modelDiagnostics(p, m)
		g.Rules = append(g.Rules, rs...)
	}
	g.Rules = append(g.Rules, gpuDiagnostics(p)...)
	return []Group{g}
}

// SkippedDiagnostics lists, per model, the diagnostic alerts its engine
// version has no series for.
func SkippedDiagnostics(p *plan.Plan) []Skipped {
	var out []Skipped
	for _, m := range p.Models {
		_, sk := modelDiagnostics(p, m)
		out = append(out, sk...)
	}
	return out
}

func diag(p *plan.Plan, name string, m *plan.Model, severity string, e promql.Expr, forDur time.Duration, summary, description string) Rule {
	l := p.AlertLabels(severity)
	if m != nil {
		l[library.LabelModel] = m.Name
	}
	return Rule{Alert: name, Expr: e, For: forDur, Labels: l, Annotations: map[string]string{
		"summary":     summary,
		"description": description,
		"runbook_url": p.RunbookBaseURL + "/" + kebab(name),
	}}
}

// ruleRange is a rate window of at least four scrapes.
func ruleRange(p *plan.Plan, want time.Duration) time.Duration {
	return max(want, 4*p.ScrapeInterval)
}

func modelDiagnostics(p *plan.Plan, m *plan.Model) (rs []Rule, skipped []Skipped) {
	skip := func(alert, why string) { skipped = append(skipped, Skipped{alert, m.Name, why}) }
	eng := fmt.Sprintf("%s %s", m.Engine(), m.Catalog.Version.Short())
	num := promql.Num

	// Engine target missing: the whole model is unscraped.
	up := promql.Sel(library.UpSeries, m.TargetMatchers...)
	rs = append(rs, diag(p, AlertTargetMissing, m, "page",
		promql.Call("absent", promql.Equal(up, num(1))), library.TargetMissingFor,
		fmt.Sprintf("No %s target of model %s is up", m.Engine(), m.Name),
		"Prometheus has no successful scrape of any engine target of this model: either every replica is down or the scrape configuration lost them. Every SLO of this model is blind until this is fixed."))

	kv, hasKV := m.Metric(library.RoleKVCacheUsage)
	pre, hasPre := m.Metric(library.RolePreemptions)
	if hasKV && hasPre {
		e := promql.And(
			promql.Gte(promql.Max(m.Select(kv.Name)), num(library.KVCacheFull)),
			promql.Gt(promql.Sum(promql.Rate(m.Select(pre.Name), ruleRange(p, 2*time.Minute))), num(library.PreemptionsPerSecond)))
		rs = append(rs, diag(p, AlertKVCacheThrash, m, "ticket", e, library.KVThrashFor,
			fmt.Sprintf("Model %s is thrashing its KV cache", m.Name),
			fmt.Sprintf("A replica's KV cache is at least %s%% full and requests are preempted at more than %s/s: the scheduler evicts and recomputes instead of generating. Lower max_num_seqs, raise max_num_batched_tokens, or add replicas.",
				promql.FormatNumber(library.KVCacheFull*100), promql.FormatNumber(library.PreemptionsPerSecond))))
	} else {
		skip(AlertKVCacheThrash, eng+" exposes no KV-cache usage or preemption counter")
	}

	if run, ok := runningGauge(m); ok {
		pod, ns, _ := library.DCGMWorkloadLabels(true)
		tensor := promql.Sel(library.RecPodTensorActiveOver(library.TensorIdleWindow))
		load := promql.Gt(promql.Sum(m.Select(run.Name), ns, pod), num(library.RunningUnderLoad))
		e := promql.And(promql.Lt(tensor, num(library.TensorIdle)), load, promql.Matching{On: true, Labels: []string{ns, pod}})
		rs = append(rs, diag(p, AlertTensorIdle, m, "ticket", e, library.TensorIdleFor,
			fmt.Sprintf("Tensor cores of model %s are idle while requests run ({{ $labels.namespace }}/{{ $labels.pod }})", m.Name),
			fmt.Sprintf("The pod's GPUs averaged under %s%% tensor-pipe activity over %s while more than %d requests were running: the work is stuck before the GPU (a stalled NCCL collective, a CPU-bound serving loop, host-side tokenisation).",
				promql.FormatNumber(library.TensorIdle*100), library.WindowName(library.TensorIdleWindow), library.RunningUnderLoad)))
	}

	if fin, ok := m.Metric(library.RoleRequestFinished); ok && m.Catalog.Info.TruncatedReason != "" {
		w := ruleRange(p, library.TruncationsWindow)
		label := m.Catalog.Info.FinishReasonLabel
		e := promql.Gt(ratio(rateSumOver(m, fin.Name, w, promql.Eq(label, m.Catalog.Info.TruncatedReason)), rateSumOver(m, fin.Name, w)), num(library.TruncatedShare))
		rs = append(rs, diag(p, AlertTruncations, m, "ticket", e, library.TruncationsFor,
			fmt.Sprintf("More than %s%% of model %s's streams stop at max_tokens", promql.FormatNumber(library.TruncatedShare*100), m.Name),
			fmt.Sprintf("Requests finishing with %s=%q exceed %s%% of finished requests: max_tokens is too low for the use case, or the model's answers got longer (a quality regression).",
				label, m.Catalog.Info.TruncatedReason, promql.FormatNumber(library.TruncatedShare*100))))
	} else {
		skip(AlertTruncations, eng+" exposes no finish reason")
	}

	if hasKV {
		w := ruleRange(p, library.QueueGrowingWindow)
		waiting := recordedModel(library.RecRequestsWaiting, m)
		e := promql.And(promql.And(
			promql.Gt(waiting, num(0)),
			promql.Gt(promql.Call("deriv", promql.Range(recordedModel(library.RecRequestsWaiting, m), w)), num(0))),
			promql.Lt(recordedModel(library.RecKVCacheUsage, m), num(library.KVCacheHealthy)))
		rs = append(rs, diag(p, AlertQueueComputeBound, m, "ticket", e, library.QueueGrowingFor,
			fmt.Sprintf("Model %s's queue grows while its KV cache is healthy", m.Name),
			fmt.Sprintf("Requests keep queueing although every replica's KV cache is under %s%% full: the replicas are compute-bound. Add capacity or lower max_num_batched_tokens.", promql.FormatNumber(library.KVCacheHealthy*100))))
	} else {
		skip(AlertQueueComputeBound, eng+" exposes no KV-cache usage, so a compute-bound queue cannot be told from a memory-bound one")
	}

	if _, ok := m.Metric(library.RoleSpecAcceptedTokens); ok {
		e := promql.Lt(recordedModel(library.RecSpecAcceptance, m), num(p.SpecDecodeBreakEven))
		rs = append(rs, diag(p, AlertSpecDecodeBelowBE, m, "ticket", e, library.SpecDecodeFor,
			fmt.Sprintf("Speculative decoding of model %s accepts under %s%% of draft tokens", m.Name, promql.FormatNumber(p.SpecDecodeBreakEven*100)),
			"Below the break-even acceptance rate the draft model costs more than it saves: retune the number of speculative tokens, change the draft model, or turn speculation off."))
	} else {
		skip(AlertSpecDecodeBelowBE, eng+" exposes no speculative-decoding counters")
	}

	if tr := p.Tracing; tr != nil {
		if span, ok := tr.Spec.Spans[library.SLOTTFT]; ok {
			if fam, ok := m.Metric(library.RoleTTFT); ok && servedAtGateway(p, m) {
				w := ruleRange(p, library.GatewayGapWindow)
				q := library.GatewayTTFTGapQuantile
				sm := tr.SpanMetrics
				gwBuckets, ok := tiledRates(p, library.RecTenantBucketRate(sm.DurationFamily, span), m, w)
				if !ok {
					gwBucket := promql.Sel(tr.DurationBuckets(), promql.Eq(tr.ModelLabel, m.Spec.ServedName), promql.Eq(sm.Labels.SpanName, span))
					gwBuckets = promql.Sum(promql.Rate(gwBucket, w), "le")
				}
				var gw promql.Expr = promql.Call("histogram_quantile", num(q), gwBuckets)
				if sm.Unit == "ms" {
					gw = promql.Div(gw, num(1000))
				}
				engBuckets, ok := tiledRates(p, library.RecBucketRate(fam.Name), m, w)
				if !ok || fam.Type != library.Histogram {
					engBuckets = promql.Sum(promql.Rate(m.Select(m.BucketSeries(fam)), w), "le")
				}
				engine := promql.Call("histogram_quantile", num(q), engBuckets)
				e := promql.Gt(promql.Sub(gw, engine), num(library.GatewayTTFTGapSeconds))
				rs = append(rs, diag(p, AlertGatewayTTFTGap, m, "ticket", e, library.GatewayGapFor,
					fmt.Sprintf("Gateway TTFT of model %s runs more than %ss behind the engine's", m.Name, promql.FormatNumber(library.GatewayTTFTGapSeconds)),
					"The p95 time to first token seen at the gateway exceeds the engine's own p95 by more than the allowed gap: something between them buffers the stream (a proxy buffering regression, HTTP flush settings, a slow tokenizer in the gateway)."))
			}
		}
	}
	return rs, skipped
}

// tiledRates reads a window's bucket rates of a model from the histogram
// group's recorded 5-minute rates (summed over their other labels, such as
// tenant): the sum of the consecutive 5-minute windows that tile w is the
// rate over w times w/5m, the same histogram to a quantile, and reads a
// few recorded series instead of every replica's or tenant's buckets over
// the whole window. Each read tolerates the recording group's write lag.
// False when w is not a whole number of 5-minute windows.
func tiledRates(p *plan.Plan, buckets string, m *plan.Model, w time.Duration) (promql.Expr, bool) {
	if w%rateWindow != 0 {
		return nil, false
	}
	var sum promql.Expr
	for off := time.Duration(0); off < w; off += rateWindow {
		sel := recordedModel(buckets, m)
		sel.OriginalOffset = off
		part := promql.Sum(promql.OverTime("last", sel, lagReads*p.EvaluationInterval), "le")
		if sum == nil {
			sum = part
		} else {
			sum = promql.Add(sum, part)
		}
	}
	return sum, true
}

func rateSumOver(m *plan.Model, series string, w time.Duration, extra ...*labels.Matcher) promql.Expr {
	return promql.Sum(promql.Rate(m.Select(series, extra...), w))
}

// gpuDiagnostics watch every GPU DCGM reports, whatever model it serves.
func gpuDiagnostics(p *plan.Plan) []Rule {
	var rs []Rule
	// Thermal violation time only grows under thermal throttling: a GPU that
	// merely sits at its power cap (an H100 at 700 W runs 1350 MHz instead of
	// 1980 by design) accrues power-violation time, which this ignores.
	thermal := promql.Gt(promql.Rate(dcgmSelector(library.GPUThermalViolation), ruleRange(p, 5*time.Minute)), promql.Num(0))
	rs = append(rs, diag(p, AlertGPUThermalSlowdown, nil, "ticket", thermal, library.ThermalFor,
		"GPU {{ $labels.gpu }} on "+hostTemplate()+" is slowed down by heat",
		"The GPU spent time in thermal violation over the last minutes: its clocks are cut to cool down, and every request on it slows. Check cooling, airflow and the node's fans; power capping at full load is normal and does not trigger this."))
	xid := dcgmSelector(library.GPUXIDErrors)
	// The XID code comes first so it is the alert's value.
	e := promql.And(promql.NotEqual(dcgmSelector(library.GPUXIDErrors), promql.Num(0)), promql.Gt(promql.Call("changes", promql.Range(xid, ruleRange(p, library.XIDWindow))), promql.Num(0)))
	rs = append(rs, diag(p, AlertGPUXIDError, nil, "ticket", e, 0,
		"GPU {{ $labels.gpu }} on "+hostTemplate()+" reported XID {{ $value }}",
		"The driver reported a new XID error. Some codes (e.g. 48 double-bit ECC, 79 fallen off the bus) mean the GPU must be drained and reset; look the code up in NVIDIA's XID catalogue."))
	return rs
}

// hostTemplate prints the node name whichever spelling of the hostname
// label the exporter version uses.
func hostTemplate() string {
	var t string
	for _, l := range library.DCGMHostnameLabels() {
		t += "{{ $labels." + l + " }}"
	}
	return t
}

// kebab turns an alert name into a runbook path: LLMKVCacheThrash -> llm-kv-cache-thrash.
func kebab(s string) string {
	var out []rune
	rs := []rune(s)
	for i, r := range rs {
		upper := r >= 'A' && r <= 'Z'
		if upper && i > 0 {
			prevLower := rs[i-1] >= 'a' && rs[i-1] <= 'z' || rs[i-1] >= '0' && rs[i-1] <= '9'
			nextLower := i+1 < len(rs) && rs[i+1] >= 'a' && rs[i+1] <= 'z'
			if prevLower || nextLower {
				out = append(out, '-')
			}
		}
		if upper {
			r += 'a' - 'A'
		}
		out = append(out, r)
	}
	return string(out)
}

var _ = parser.GROUP
