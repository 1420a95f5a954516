package rules

import (
	"maps"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
)

const rateWindow = 5 * time.Minute

// engineGroups records, per model, latency quantiles, token and request
// rates, scheduler state and cache ratios (group inferobs:engine), the cost
// series (inferobs:cost) and, with tracing, the per-tenant gateway series
// (inferobs:tenant). All go to prometheus/recording.yaml. Each latency
// histogram is aggregated once per evaluation (inferobs:histograms, the
// bucket rates) and its quantiles read that, one rule per family and
// quantile for every model, instead of each quantile recomputing the rate
// of every bucket of every replica. The quantiles are for dashboards only
// (no alert reads them), so they are evaluated at p.QuantileInterval
// (inferobs:quantiles): on the large spec they were a third of the
// evaluation cost at 30s. A bucket rate that nothing else reads (not in
// reads, the names the SLO and diagnostic rules select, nor read by the
// engine groups) is recorded there too, ahead of its quantiles: the
// gateway's per-tenant rates of a span no alert reads were a seventh of
// the large spec's cost.
func engineGroups(p *plan.Plan, reads map[string]bool) []Group {
	hist := Group{File: "recording", Name: "inferobs:histograms", Interval: p.EvaluationInterval}
	quant := Group{File: "recording", Name: "inferobs:quantiles", Interval: p.QuantileInterval}
	eng := Group{File: "recording", Name: "inferobs:engine", Interval: p.EvaluationInterval}
	cost := Group{File: "recording", Name: "inferobs:cost", Interval: p.EvaluationInterval}
	var buckets []Rule
	var families []string
	seen := map[string]bool{}
	for _, m := range p.Models {
		for _, fam := range quantileFamilies(m) {
			buckets = append(buckets, modelRule(library.RecBucketRate(fam.Name), m,
				promql.Sum(promql.Rate(m.Select(m.BucketSeries(fam)), rateWindow), "le")))
			if !seen[fam.Name] {
				seen[fam.Name] = true
				families = append(families, fam.Name)
			}
		}
	}
	eng.Rules = append(eng.Rules, podTensorRules(p)...)
	for _, m := range p.Models {
		eng.Rules = append(eng.Rules, modelRules(m)...)
		cost.Rules = append(cost.Rules, costRules(p, m)...)
	}
	ten := Group{File: "recording", Name: "inferobs:tenant", Interval: p.EvaluationInterval}
	if p.Tracing != nil {
		for _, m := range p.Models {
			rs, hs := tenantRules(p, m)
			ten.Rules = append(ten.Rules, rs...)
			buckets = append(buckets, hs...)
		}
	}
	reads = maps.Clone(reads)
	maps.Copy(reads, readNames([]Group{eng, cost, ten}))
	// writer is the interval each bucket rate is recorded at, which the
	// quantiles' lag window is counted in.
	writer := map[string]time.Duration{}
	for _, r := range buckets {
		if reads[r.Record] {
			hist.Rules = append(hist.Rules, r)
			writer[r.Record] = hist.Interval
		} else {
			quant.Rules = append(quant.Rules, r)
			writer[r.Record] = quant.Interval
		}
	}
	for _, fam := range families {
		b := library.RecBucketRate(fam)
		quant.Rules = append(quant.Rules, quantileRules(b, writer[b], func(q float64) string { return library.RecQuantile(fam, q) })...)
	}
	if p.Tracing != nil {
		fam := p.Tracing.SpanMetrics.DurationFamily
		for _, span := range gatewaySpans(p) {
			b := library.RecTenantBucketRate(fam, span)
			if every, ok := writer[b]; ok { // some model is served at the gateway
				quant.Rules = append(quant.Rules, quantileRules(b, every, func(q float64) string { return library.RecTenantQuantile(fam, span, q) })...)
			}
		}
	}
	return []Group{hist, quant, eng, cost, ten} // Build drops empty groups
}

// quantileRules record each quantile of a recorded bucket rate, for every
// series of it at once (the labels come from the series), tolerating up
// to lagReads-1 evaluations of write lag of the group that records it
// (every interval: the bucket rates' group, or the quantiles' own, where
// they are recorded ahead of them).
func quantileRules(buckets string, every time.Duration, name func(q float64) string) []Rule {
	var rs []Rule
	for _, q := range library.Quantiles() {
		e := promql.Call("histogram_quantile", promql.Num(q), promql.OverTime("last", promql.Sel(buckets), lagReads*every))
		rs = append(rs, Rule{Record: name(q), Expr: e})
	}
	return rs
}

// quantileFamilies are the model's latency histograms whose quantiles are
// recorded.
func quantileFamilies(m *plan.Model) []library.Metric {
	var out []library.Metric
	for _, role := range quantileRoles {
		if fam, ok := m.Metric(role); ok && fam.Type == library.Histogram {
			out = append(out, fam)
		}
	}
	return out
}

// gatewaySpans are the configured spans whose duration quantiles are
// recorded per tenant.
func gatewaySpans(p *plan.Plan) []string {
	var out []string
	for _, kind := range []library.SLOKind{library.SLOTTFT, library.SLOE2E} {
		if name, ok := p.Tracing.Spec.Spans[kind]; ok {
			out = append(out, name)
		}
	}
	return out
}

func modelLabels(m *plan.Model) map[string]string {
	return map[string]string{library.LabelModel: m.Name}
}

func modelRule(record string, m *plan.Model, e promql.Expr) Rule {
	return Rule{Record: record, Expr: e, Labels: modelLabels(m)}
}

// quantileRoles are the latency families whose quantiles are recorded.
var quantileRoles = []library.Role{library.RoleTTFT, library.RoleITL, library.RoleE2E, library.RoleQueueTime}

// rateSum is sum(rate(series{model}[5m])): the sum also removes the
// data-parallel engine label.
func rateSum(m *plan.Model, series string, extra ...*labels.Matcher) promql.Expr {
	return promql.Sum(promql.Rate(m.Select(series, extra...), rateWindow))
}

func modelRules(m *plan.Model) []Rule {
	var rs []Rule
	for _, tt := range []struct {
		kind string
		role library.Role
	}{{"prompt", library.RolePromptTokens}, {"generation", library.RoleGenerationTokens}} {
		if series, _, ok := m.Catalog.TokenCounter(tt.role); ok {
			rs = append(rs, modelRule(library.RecTokens(tt.kind), m, rateSum(m, series)))
		}
	}
	if fam, ok := runningGauge(m); ok {
		rs = append(rs, modelRule(library.RecRequestsRunning, m, promql.Sum(m.Select(fam.Name))))
	}
	if fam, ok := m.Metric(library.RoleRequestsWaiting); ok {
		rs = append(rs, modelRule(library.RecRequestsWaiting, m, promql.Sum(m.Select(fam.Name))))
	}
	if fam, ok := m.Metric(library.RoleKVCacheUsage); ok {
		// The fullest replica decides when the scheduler starts preempting.
		rs = append(rs, modelRule(library.RecKVCacheUsage, m, promql.Max(m.Select(fam.Name))))
	}
	if fam, ok := m.Metric(library.RolePreemptions); ok {
		rs = append(rs, modelRule(library.RecPreemptions, m, rateSum(m, fam.Name)))
	}
	if fam, ok := m.Metric(library.RoleRequestFinished); ok {
		rs = append(rs, modelRule(library.RecRequests, m, rateSum(m, fam.Name)))
	}
	if hits, ok := m.Metric(library.RolePrefixCacheHits); ok {
		if queries, ok := m.Metric(library.RolePrefixCacheQueries); ok {
			rs = append(rs, modelRule(library.RecPrefixHitRatio, m, ratio(rateSum(m, hits.Name), rateSum(m, queries.Name))))
		}
	}
	if acc, ok := m.Metric(library.RoleSpecAcceptedTokens); ok {
		if draft, ok := m.Metric(library.RoleSpecDraftTokens); ok {
			rs = append(rs, modelRule(library.RecSpecAcceptance, m, ratio(rateSum(m, acc.Name), rateSum(m, draft.Name))))
		}
	}
	// The mean of the model's pods' means is the mean of its GPUs: every
	// replica of a model has the same number of GPUs.
	rs = append(rs, modelRule(library.RecTensorActive, m, promql.Avg(modelPodsOf(m, promql.Sel(library.RecPodTensorActive)))))
	return rs
}

// podTensorRules record DCGM's tensor-pipe activity per pod, now and (for
// the idle-under-load diagnostic, when some model has a running gauge)
// over its window: one read of every GPU per evaluation, instead of one
// per model.
func podTensorRules(p *plan.Plan) []Rule {
	pod, ns, _ := library.DCGMWorkloadLabels(true)
	rs := []Rule{{Record: library.RecPodTensorActive, Expr: promql.Avg(podLabels(dcgmSelector(library.GPUTensorActive)), ns, pod)}}
	for _, m := range p.Models {
		if _, ok := runningGauge(m); ok {
			over := promql.OverTime("avg", dcgmSelector(library.GPUTensorActive), library.TensorIdleWindow)
			return append(rs, Rule{Record: library.RecPodTensorActiveOver(library.TensorIdleWindow), Expr: promql.Avg(podLabels(over), ns, pod)})
		}
	}
	return rs
}

// runningGauge is the requests-in-flight gauge: vLLM's running requests, or
// TGI's current batch size.
func runningGauge(m *plan.Model) (library.Metric, bool) {
	for _, r := range library.RunningRoles {
		if fam, ok := m.Metric(r); ok {
			return fam, true
		}
	}
	return library.Metric{}, false
}

// ratio is num / den with 0/0 giving no sample.
func ratio(num, den promql.Expr) promql.Expr {
	return promql.Div(num, promql.Paren(promql.Gt(den, promql.Num(0))))
}

func dcgmSelector(role library.GPURole) *parser.VectorSelector {
	f, ok := library.DCGMByRole(role)
	if !ok {
		panic("rules: no DCGM field for role " + string(role))
	}
	return promql.Sel(f.Name)
}

// podLabels normalises DCGM's workload labels: behind a ServiceMonitor that
// does not honour labels they arrive as exported_pod and exported_namespace.
func podLabels(e promql.Expr) promql.Expr {
	pod, ns, _ := library.DCGMWorkloadLabels(true)
	xpod, xns, _ := library.DCGMWorkloadLabels(false)
	e = promql.Call("label_replace", e, promql.Str(pod), promql.Str("$1"), promql.Str(xpod), promql.Str("(.+)"))
	return promql.Call("label_replace", e, promql.Str(ns), promql.Str("$1"), promql.Str(xns), promql.Str("(.+)"))
}

// modelPods is one series per (namespace, pod) serving the model, taken
// from its engine's running gauge (engine targets carry pod labels from
// service discovery).
func modelPods(m *plan.Model) promql.Expr {
	pod, ns, _ := library.DCGMWorkloadLabels(true)
	fam, ok := runningGauge(m)
	if !ok {
		return nil
	}
	return &parser.AggregateExpr{Op: parser.GROUP, Expr: m.Select(fam.Name), Grouping: []string{ns, pod}}
}

// modelPodsOf keeps the series of a per-pod vector (labels namespace,
// pod) that belong to the model's pods.
func modelPodsOf(m *plan.Model, perPod promql.Expr) promql.Expr {
	pod, ns, _ := library.DCGMWorkloadLabels(true)
	return promql.Mul(perPod, modelPods(m), promql.Matching{On: true, Labels: []string{ns, pod}, GroupLeftM: true})
}

func costLabels(p *plan.Plan, m *plan.Model, extra ...string) map[string]string {
	l := modelLabels(m)
	l[library.LabelCurrency] = p.Currency
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

func recordedModel(name string, m *plan.Model, extra ...*labels.Matcher) *parser.VectorSelector {
	return promql.Sel(name, append([]*labels.Matcher{promql.Eq(library.LabelModel, m.Name)}, extra...)...)
}

// costRules turn the spec's prices into series: token prices, spend per
// hour, the GPU bill of the running replicas, and the effective cost of a
// generated token with idle time included.
func costRules(p *plan.Plan, m *plan.Model) []Rule {
	var rs []Rule
	if pr := m.Spec.Pricing; pr != nil {
		for _, tt := range []struct {
			kind     string
			perMille float64
		}{{"prompt", pr.PromptPerMillion}, {"generation", pr.GenerationPerMillion}} {
			price := promql.Canonical(tt.perMille / 1e6)
			rs = append(rs,
				Rule{Record: library.RecTokenPrice, Expr: promql.Call("vector", promql.Num(price)), Labels: costLabels(p, m, library.LabelTokenType, tt.kind)},
				Rule{Record: library.RecTokenSpend, Expr: promql.Mul(promql.Mul(recordedModel(library.RecTokens(tt.kind), m), promql.Num(3600)), promql.Num(price)), Labels: costLabels(p, m, library.LabelTokenType, tt.kind)})
		}
	}
	up := promql.Sum(promql.Sel(library.UpSeries, m.TargetMatchers...))
	rs = append(rs, Rule{Record: library.RecGPUCost, Expr: promql.Mul(up, promql.Num(m.ReplicaHourlyCost)), Labels: costLabels(p, m)})
	tokensPerHour := promql.Paren(promql.Gt(promql.Mul(recordedModel(library.RecTokens("generation"), m), promql.Num(3600)), promql.Num(0)))
	rs = append(rs, Rule{Record: library.RecEffectiveCost,
		Expr:   promql.Div(recordedModel(library.RecGPUCost, m), tokensPerHour, promql.Matching{On: true, Labels: []string{library.LabelModel}}),
		Labels: costLabels(p, m)})
	gpus := promql.Mul(up, promql.Num(float64(m.Spec.GPUsPerReplica)))
	rs = append(rs, modelRule(library.RecTokensPerGPUSec, m, promql.Div(recordedModel(library.RecTokens("generation"), m), promql.Paren(promql.Gt(gpus, promql.Num(0))), promql.Matching{On: true})))
	return rs
}

// tenantRules record per-tenant gateway series for one model: request and
// error rates, and the model's spend and GPU cost shared out by each
// tenant's share of its requests; hist are the bucket rates per configured
// span, for the histogram group (the quantiles read them).
func tenantRules(p *plan.Plan, m *plan.Model) (rs, hist []Rule) {
	tr := p.Tracing
	sm := tr.SpanMetrics
	span, ok := tr.Spec.Spans[library.SLOE2E]
	if !ok {
		span, ok = tr.Spec.Spans[library.SLOTTFT]
	}
	if !ok || !servedAtGateway(p, m) {
		return nil, nil
	}
	byTenant := func(e promql.Expr, extra ...string) promql.Expr {
		agg := promql.Sum(e, append([]string{tr.TenantLabel}, extra...)...)
		if tr.TenantLabel == library.LabelTenant {
			return agg
		}
		return promql.Call("label_replace", agg, promql.Str(library.LabelTenant), promql.Str("$1"), promql.Str(tr.TenantLabel), promql.Str("(.*)"))
	}
	model := promql.Eq(tr.ModelLabel, m.Spec.ServedName)
	calls := func(extra ...*labels.Matcher) *parser.VectorSelector {
		return promql.Sel(sm.CallsSeries, append([]*labels.Matcher{model, promql.Eq(sm.Labels.SpanName, span)}, extra...)...)
	}
	reqs := recordedModel(library.RecTenantRequests, m)
	rs = []Rule{
		modelRule(library.RecTenantRequests, m, byTenant(promql.Rate(calls(), rateWindow))),
		modelRule(library.RecTenantErrorRatio, m, promql.Div(
			byTenant(promql.Rate(calls(promql.Eq(sm.Labels.StatusCode, sm.StatusError)), rateWindow)),
			promql.Paren(promql.Gt(reqs, promql.Num(0))), promql.Matching{On: true, Labels: []string{library.LabelTenant}})),
	}
	for _, name := range gatewaySpans(p) {
		bucket := promql.Sel(tr.DurationBuckets(), model, promql.Eq(sm.Labels.SpanName, name))
		hist = append(hist, modelRule(library.RecTenantBucketRate(sm.DurationFamily, name), m, byTenant(promql.Rate(bucket, rateWindow), "le")))
	}
	share := promql.Div(reqs, promql.Call("scalar", promql.Sum(reqs)))
	rs = append(rs, Rule{Record: library.RecTenantGPUCost, Expr: promql.Mul(share, promql.Call("scalar", recordedModel(library.RecGPUCost, m))), Labels: costLabels(p, m)})
	if m.Spec.Pricing != nil {
		spend := promql.Call("scalar", promql.Sum(recordedModel(library.RecTokenSpend, m)))
		rs = append(rs, Rule{Record: library.RecTenantSpend, Expr: promql.Mul(share, spend), Labels: costLabels(p, m)})
	}
	return rs, hist
}

// servedAtGateway reports whether any workload serves the model to tenants.
func servedAtGateway(p *plan.Plan, m *plan.Model) bool {
	for _, w := range p.Workloads {
		if len(w.Tenants) == 0 {
			continue
		}
		for _, wm := range w.Models {
			if wm == m {
				return true
			}
		}
	}
	return false
}
