package dashboards

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/units"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// inferenceEngine: per engine kind a side-by-side row, then one row per
// model read with the names of that model's engine version. A panel is
// there only when the version has the role it reads.
func inferenceEngine(c *ctx, b *dashboard.DashboardBuilder) {
	for _, e := range library.Engines() {
		var ms []*plan.Model
		for _, m := range c.p.Models {
			if m.Engine() == e {
				ms = append(ms, m)
			}
		}
		if len(ms) == 0 {
			continue
		}
		names := make([]string, len(ms))
		for i, m := range ms {
			names[i] = m.Name
		}
		addRow(b, fmt.Sprintf("%s: all models side by side (%s)", engineName(e), strings.Join(names, ", ")), false,
			size(8, 8, c.engineRequestsSummary(e, ms)),
			size(8, 8, c.engineE2ESummary(e, ms)),
			size(8, 8, c.engineTokensSummary(e, ms)))
		for _, m := range ms {
			var panels []cog.Builder[dashboard.Panel]
			for _, f := range modelEnginePanels {
				if p, ok := f(c, m); ok {
					panels = append(panels, size(8, 8, p))
				}
			}
			addRow(b, fmt.Sprintf("%s · %s (%s)", m.Name, engineLabel(m), servedName(m)), false, panels...)
		}
	}
}

func servedName(m *plan.Model) string {
	if l, ok := m.Catalog.ModelLabel(); ok {
		return l + "=" + m.Spec.ServedName
	}
	return "no model label: selected by its scrape target"
}

// enginePanel is one per-model panel; false when the version cannot show it.
type enginePanel func(c *ctx, m *plan.Model) (cog.Builder[dashboard.Panel], bool)

// modelEnginePanels are the per-model panels in reading order.
var modelEnginePanels = []enginePanel{
	latencyPanel(library.RoleTTFT, library.SLOTTFT, "Time to first token", "Server-side time from arrival to the first generated token: queueing plus prefill. What users feel before anything streams; compare with the gateway TTFT on the API dashboard, the gap is proxy and network time."),
	latencyPanel(library.RoleITL, library.SLOITL, "Inter-token latency", "Time between consecutive generated tokens, one observation per token: what users feel while text streams. It rises with batch size and with long contexts (decode reads the whole KV cache per token); spikes come from prefills of new requests interleaved with decode."),
	latencyPanel(library.RoleE2E, library.SLOE2E, "End-to-end latency", "Server-side time from arrival to the last token. Dominated by output length: read it next to the generation-length heatmap before calling a regression."),
	latencyPanel(library.RoleQueueTime, "", "Queue time", "Time requests waited before their first schedule. Non-zero queueing with a KV cache under its limit means the engine is compute-bound (add replicas); with the cache full it is memory-bound (fewer concurrent sequences or more GPUs)."),
	(*ctx).perRequestTPOTPanel,
	(*ctx).requestsPanel,
	(*ctx).kvCachePanel,
	(*ctx).batchTokensPanel,
	(*ctx).batchDurationsPanel,
	(*ctx).batchConcatPanel,
	(*ctx).prefixCachePanel,
	(*ctx).specDecodePanel,
	(*ctx).outcomesPanel,
	lengthHeatmap(library.RolePromptLength, "Prompt length", "Prompt tokens per request over time. Long prompts drive prefill cost and TTFT; a shift here explains a TTFT change without any engine fault."),
	lengthHeatmap(library.RoleGenerationLength, "Generation length", "Generated tokens per request over time. Long outputs drive end-to-end latency and KV-cache growth; a shift here explains an e2e change without any engine fault."),
	(*ctx).throughputPanel,
}

// sloLines are threshold steps at the engine SLO thresholds of model m for
// one SLO kind (one per workload that sets one).
func (c *ctx) sloLines(m *plan.Model, kind library.SLOKind, value func(*plan.SLO) float64) ([]step, []string) {
	seen := map[float64]bool{}
	var vals []float64
	var what []string
	for _, s := range c.p.SLOs {
		if s.Model != m || s.Kind != kind || s.Source != schema.SourceEngine {
			continue
		}
		v := value(s)
		what = append(what, fmt.Sprintf("%s at %s", s.ID, promql.FormatNumber(v)))
		if !seen[v] {
			seen[v] = true
			vals = append(vals, v)
		}
	}
	sort.Float64s(vals)
	steps := []step{base("green")}
	for _, v := range vals {
		steps = append(steps, at(v, "red"))
	}
	return steps, what
}

func latencyPanel(role library.Role, kind library.SLOKind, title, meaning string) enginePanel {
	return func(c *ctx, m *plan.Model) (cog.Builder[dashboard.Panel], bool) {
		f, ok := m.Metric(role)
		if !ok || f.Type != library.Histogram {
			return nil, false
		}
		var qs []*prometheus.DataqueryBuilder
		for _, q := range library.Quantiles() {
			qs = append(qs, query(c.recModel(library.RecQuantile(f.Name, q), m), m.Name+" "+pct(q)))
		}
		desc := fmt.Sprintf("%s Quantiles of %s (%s) that inferobs records per model over 5m windows, summed over replicas and data-parallel ranks before the quantile.", meaning, f.Name, engineLabel(m))
		p := timeseriesPanel(fmt.Sprintf("%s · %s", title, m.Name), desc, units.Seconds, qs...)
		if kind != "" {
			if steps, what := c.sloLines(m, kind, func(s *plan.SLO) float64 { return s.Threshold.Seconds() }); len(what) > 0 {
				p.Description(desc + " Dashed lines: SLO thresholds (" + strings.Join(what, "; ") + " seconds).").
					Thresholds(thresholds(steps...)).
					ThresholdsStyle(thresholdLines())
			}
		}
		return p, true
	}
}

func (c *ctx) perRequestTPOTPanel(m *plan.Model) (cog.Builder[dashboard.Panel], bool) {
	f, ok := m.Metric(library.RoleTPOTPerRequest)
	if !ok || f.Type != library.Histogram {
		return nil, false
	}
	if _, hasITL := m.Metric(library.RoleITL); hasITL {
		return nil, false // the per-token ITL panel says more
	}
	var qs []*prometheus.DataqueryBuilder
	for _, q := range []float64{0.5, 0.95, 0.99} {
		qs = append(qs, query(quantile(q, m.Select(m.BucketSeries(f))), m.Name+" "+pct(q)))
	}
	return timeseriesPanel("Mean time per token per request · "+m.Name, fmt.Sprintf("Per-request inference time divided by generated tokens (%s, %s), read raw. It includes prefill, so it is not an inter-token latency and short outputs inflate it; %s has no per-token ITL histogram. Use it for trends, and gateway spans for what users feel.", f.Name, engineLabel(m), engineLabel(m)),
		units.Seconds, qs...), true
}

func (c *ctx) requestsPanel(m *plan.Model) (cog.Builder[dashboard.Panel], bool) {
	running, hasRunning := m.Metric(library.RoleRequestsRunning)
	batch, hasBatch := m.Metric(library.RoleBatchSize)
	waiting, hasWaiting := m.Metric(library.RoleRequestsWaiting)
	if !hasRunning && !hasBatch && !hasWaiting {
		return nil, false
	}
	title, runName, runFam := "Requests running and waiting", "running", running.Name
	if !hasRunning {
		title, runName, runFam = "Batch size and queue", "batch size", batch.Name
	}
	var qs []*prometheus.DataqueryBuilder
	if hasRunning || hasBatch {
		qs = append(qs, query(c.recModel(library.RecRequestsRunning, m), m.Name+" "+runName))
	}
	if hasWaiting {
		qs = append(qs, query(c.recModel(library.RecRequestsWaiting, m), m.Name+" waiting"))
	}
	desc := fmt.Sprintf("Requests in the running batch (%s) and in the queue (%s), summed over %s's replicas. A queue that grows while the batch plateaus is saturation: with the KV cache full the engine is memory-bound (cache thrash), with the cache healthy it is compute-bound (add replicas).", runFam, waiting.Name, m.Name)
	if byReason, ok := m.Metric(library.RoleWaitingByReason); ok && len(byReason.Labels) > 0 {
		l := byReason.Labels[0]
		qs = append(qs, query(promql.Sum(m.Select(byReason.Name), l), fmt.Sprintf("%s waiting: {{%s}}", m.Name, l)))
		desc += fmt.Sprintf(" %s splits the queue by %s: capacity means no room in the KV cache or batch, deferred means held back by the scheduler.", byReason.Name, l)
	}
	p := timeseriesPanel(title+" · "+m.Name, desc, units.Short, qs...)
	if steps, what := c.sloLines(m, library.SLOHeadroom, func(s *plan.SLO) float64 { return float64(s.MaxQueue) }); len(what) > 0 {
		p.Description(desc + " Dashed lines: headroom SLO queue limits (" + strings.Join(what, "; ") + ").").
			Thresholds(thresholds(steps...)).
			ThresholdsStyle(thresholdLines())
	}
	return p, true
}

func (c *ctx) kvCachePanel(m *plan.Model) (cog.Builder[dashboard.Panel], bool) {
	f, ok := m.Metric(library.RoleKVCacheUsage)
	if !ok {
		return nil, false
	}
	qs := []*prometheus.DataqueryBuilder{
		query(c.recModel(library.RecKVCacheUsage, m), m.Name+" max over replicas"),
		query(promql.Max(m.Select(f.Name), labelInstance), m.Name+" {{"+labelInstance+"}}"),
	}
	desc := fmt.Sprintf("KV-cache usage of %s (%s, %s): the highest replica, and each replica (every data-parallel rank has its own cache; the worst rank is shown). Dashed line at %s.", m.Name, f.Name, engineLabel(m), promql.FormatNumber(library.KVCacheFull))
	p := timeseriesPanel("KV-cache usage and preemptions · "+m.Name, "", units.PercentUnit)
	if pre, ok := m.Metric(library.RolePreemptions); ok {
		qs = append(qs, query(c.recModel(library.RecPreemptions, m), m.Name+" preemptions/s"))
		desc += fmt.Sprintf(" Preemptions per second (%s) on the right axis: usage at the line with preemptions above zero is cache thrash, each preempted request is recomputed later. Lower max_num_seqs or raise the GPU memory share; a healthy cache with a growing queue is compute-bound instead.", pre.Name)
		p.OverrideByQuery(refID(len(qs)-1), append(rightAxis(units.RequestsPerSecond), dashboard.DynamicConfigValue{Id: "custom.drawStyle", Value: string(common.GraphDrawStyleBars)}))
	}
	return p.Description(desc).
		Targets(targets(qs)).
		Min(0).
		Thresholds(thresholds(base("green"), at(library.KVCacheFull, "red"))).
		ThresholdsStyle(thresholdLines()), true
}

func (c *ctx) batchTokensPanel(m *plan.Model) (cog.Builder[dashboard.Panel], bool) {
	cur, hasCur := m.Metric(library.RoleBatchMaxTokens)
	budget, hasBudget := m.Metric(library.RoleBatchTokenBudget)
	if !hasCur && !hasBudget {
		return nil, false
	}
	var qs []*prometheus.DataqueryBuilder
	desc := fmt.Sprintf("Tokens of %s's current batch against its token budget, per replica.", m.Name)
	if hasCur {
		qs = append(qs, query(promql.Max(m.Select(cur.Name), labelInstance), m.Name+" {{"+labelInstance+"}} batch tokens"))
		desc += fmt.Sprintf(" %s: %s", cur.Name, cur.Help)
	}
	if hasBudget {
		qs = append(qs, query(promql.Max(m.Select(budget.Name), labelInstance), m.Name+" {{"+labelInstance+"}} budget"))
		desc += fmt.Sprintf(" %s: %s", budget.Name, budget.Help)
	}
	desc += " A queue that stays high while the batch size plateaus below its maximum means the scheduler starves on the token budget: inspect max_batch_total_tokens (and max_batch_prefill_tokens)."
	return timeseriesPanel("Batch tokens and token budget · "+m.Name, desc, unitTokens, qs...), true
}

func (c *ctx) batchDurationsPanel(m *plan.Model) (cog.Builder[dashboard.Panel], bool) {
	var qs []*prometheus.DataqueryBuilder
	var fams []string
	for _, r := range []library.Role{library.RoleBatchInferenceTime, library.RoleBatchForwardTime} {
		f, ok := m.Metric(r)
		if !ok || f.Type != library.Histogram || len(f.Labels) == 0 {
			continue
		}
		method := f.Labels[0]
		short := strings.TrimSuffix(strings.TrimPrefix(string(r), "batch_"), "_time")
		for _, q := range []float64{0.5, 0.95} {
			qs = append(qs, query(quantile(q, m.Select(m.BucketSeries(f)), method), fmt.Sprintf("%s {{%s}} %s %s", m.Name, method, short, pct(q))))
		}
		fams = append(fams, f.Name)
	}
	if len(qs) == 0 {
		return nil, false
	}
	return timeseriesPanel("Batch step duration by method · "+m.Name, fmt.Sprintf("p50 and p95 of each batch step of %s by method, prefill or decode (%s). Decode steps set the inter-token pace; long prefill steps stall every decoding request in the batch, which shows as ITL spikes at the gateway. TTFT is roughly queue time plus a prefill step (%s has no TTFT histogram).", m.Name, strings.Join(fams, ", "), engineLabel(m)),
		units.Seconds, qs...), true
}

func (c *ctx) batchConcatPanel(m *plan.Model) (cog.Builder[dashboard.Panel], bool) {
	f, ok := m.Metric(library.RoleBatchConcat)
	if !ok || len(f.Labels) == 0 {
		return nil, false
	}
	reason := f.Labels[0]
	return timeseriesPanel("Batch concatenations by reason · "+m.Name, fmt.Sprintf("New requests joining %s's running batch per second, by %s (%s). Frequent backpressure concatenations mean the queue is long enough to force prefills into the decode loop; wait_exceeded means requests waited the maximum time for a slot.", m.Name, reason, f.Name),
		units.OpsPerSecond,
		query(promql.Sum(promql.Rate(m.Select(f.Name), rateInterval), reason), fmt.Sprintf("%s {{%s}}", m.Name, reason))), true
}

func (c *ctx) prefixCachePanel(m *plan.Model) (cog.Builder[dashboard.Panel], bool) {
	hits, okH := m.Metric(library.RolePrefixCacheHits)
	queries, okQ := m.Metric(library.RolePrefixCacheQueries)
	if !okH || !okQ {
		return nil, false
	}
	return timeseriesPanel("Prefix-cache hit ratio · "+m.Name, fmt.Sprintf("Share of prompt tokens of %s found in the prefix cache (%s over %s). Every hit is prefill not computed: in RAG and agent workloads with shared system prompts it dominates TTFT. A drop after a deploy means prompts changed their common prefix or the cache is too small to keep it.", m.Name, hits.Name, queries.Name),
		units.PercentUnit,
		query(c.recModel(library.RecPrefixHitRatio, m), m.Name+" hit ratio")).
		Min(0).Max(1), true
}

func (c *ctx) specDecodePanel(m *plan.Model) (cog.Builder[dashboard.Panel], bool) {
	acc, okA := m.Metric(library.RoleSpecAcceptedTokens)
	draft, okD := m.Metric(library.RoleSpecDraftTokens)
	if !okA || !okD {
		return nil, false
	}
	return timeseriesPanel("Speculative-decoding acceptance · "+m.Name, fmt.Sprintf("Share of draft tokens the target model accepted (%s over %s); empty unless %s runs with a speculative config. Below the dashed break-even line (%s) the draft model costs more than it saves: retune the number of speculative tokens or turn speculation off.", acc.Name, draft.Name, m.Name, promql.FormatNumber(c.p.SpecDecodeBreakEven)),
		units.PercentUnit,
		query(c.recModel(library.RecSpecAcceptance, m), m.Name+" acceptance")).
		Min(0).Max(1).
		Thresholds(thresholds(base("red"), at(c.p.SpecDecodeBreakEven, "green"))).
		ThresholdsStyle(thresholdLines()), true
}

func (c *ctx) outcomesPanel(m *plan.Model) (cog.Builder[dashboard.Panel], bool) {
	fin, ok := m.Metric(library.RoleRequestFinished)
	if !ok {
		return nil, false
	}
	label := m.Catalog.Info.FinishReasonLabel
	if label != "" && slices.Contains(fin.Labels, label) {
		return timeseriesPanel("Finish reasons · "+m.Name, fmt.Sprintf("Finished requests of %s per second by %s (%s). %s is a stream that ended normally; length means max_tokens cut it (above %s%% of requests, max_tokens is too low for the use case or output quality regressed); %s are failures.", m.Name, label, fin.Name, m.Catalog.Info.CompleteReason, promql.FormatNumber(library.TruncatedShare*100), strings.Join(m.Catalog.FailureReasons(), " and ")),
			units.RequestsPerSecond,
			query(promql.Sum(promql.Rate(m.Select(fin.Name), rateInterval), label), fmt.Sprintf("%s {{%s}}", m.Name, label))).
			Stacking(stacked()), true
	}
	qs := []*prometheus.DataqueryBuilder{query(c.recModel(library.RecRequests, m), m.Name+" succeeded")}
	desc := fmt.Sprintf("Requests of %s that finished per second (%s)", m.Name, fin.Name)
	if failed, ok := m.Metric(library.RoleRequestFailed); ok && len(failed.Labels) > 0 {
		l := failed.Labels[0]
		qs = append(qs, query(promql.Sum(promql.Rate(m.Select(failed.Name), rateInterval), l), fmt.Sprintf("%s failed: {{%s}}", m.Name, l)))
		desc += fmt.Sprintf(", and failures by %s (%s): overloaded means the queue rejected the request (add capacity), validation and template are client errors, generation and incomplete are engine faults to look at in the logs", l, failed.Name)
	}
	return timeseriesPanel("Request outcomes · "+m.Name, desc+".", units.RequestsPerSecond, qs...), true
}

func lengthHeatmap(role library.Role, title, meaning string) enginePanel {
	return func(c *ctx, m *plan.Model) (cog.Builder[dashboard.Panel], bool) {
		f, ok := m.Metric(role)
		if !ok || f.Type != library.Histogram {
			return nil, false
		}
		e := promql.Sum(promql.Increase(m.Select(f.Series("_bucket")), rateInterval), labelLe)
		return heatmapPanel(fmt.Sprintf("%s · %s", title, m.Name), fmt.Sprintf("%s Requests of %s per bucket of %s (%s).", meaning, m.Name, f.Name, engineLabel(m)),
			units.Short, query(e, "{{"+labelLe+"}}")), true
	}
}

func (c *ctx) throughputPanel(m *plan.Model) (cog.Builder[dashboard.Panel], bool) {
	var srcs []string
	for _, r := range []library.Role{library.RolePromptTokens, library.RoleGenerationTokens} {
		if s, _, ok := m.Catalog.TokenCounter(r); ok {
			srcs = append(srcs, s)
		}
	}
	return timeseriesPanel("Token throughput · "+m.Name, fmt.Sprintf("Prompt tokens processed and tokens generated per second by %s (from %s). Prompt and generation price and cost differently: prefill is one forward pass per prompt, decode one per generated token.", m.Name, strings.Join(srcs, " and ")),
		unitTokensPerSec,
		query(c.recModel(library.RecTokens("prompt"), m), m.Name+" prompt"),
		query(c.recModel(library.RecTokens("generation"), m), m.Name+" generation")), true
}

func (c *ctx) engineRequestsSummary(e library.Engine, ms []*plan.Model) cog.Builder[dashboard.Panel] {
	var qs []*prometheus.DataqueryBuilder
	for _, m := range ms {
		qs = append(qs,
			query(c.recModel(library.RecRequestsRunning, m), m.Name+" running"),
			query(c.recModel(library.RecRequestsWaiting, m), m.Name+" waiting"))
	}
	return timeseriesPanel(engineName(e)+" models: running and waiting", fmt.Sprintf("Requests in the batch (TGI: batch size) and in the queue for every %s model. Compare models before opening one model's row below.", engineName(e)),
		units.Short, qs...)
}

func (c *ctx) engineE2ESummary(e library.Engine, ms []*plan.Model) cog.Builder[dashboard.Panel] {
	var qs []*prometheus.DataqueryBuilder
	for _, m := range ms {
		if f, ok := m.Metric(library.RoleE2E); ok {
			qs = append(qs, query(c.recModel(library.RecQuantile(f.Name, 0.95), m), m.Name+" p95"))
		}
	}
	return timeseriesPanel(engineName(e)+" models: p95 end-to-end latency", fmt.Sprintf("p95 server-side end-to-end latency of every %s model, each from its own version's histogram.", engineName(e)),
		units.Seconds, qs...)
}

func (c *ctx) engineTokensSummary(e library.Engine, ms []*plan.Model) cog.Builder[dashboard.Panel] {
	var qs []*prometheus.DataqueryBuilder
	for _, m := range ms {
		qs = append(qs, query(c.recModel(library.RecTokens("generation"), m), m.Name+" generated"))
	}
	return timeseriesPanel(engineName(e)+" models: generated tokens per second", fmt.Sprintf("Generation throughput of every %s model.", engineName(e)),
		unitTokensPerSec, qs...)
}
