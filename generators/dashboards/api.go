package dashboards

import (
	"fmt"
	"sort"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/grafana/grafana-foundation-sdk/go/units"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// apiTracing: gateway traffic, errors and latency by tenant from
// spanmetrics, and gateway TTFT against engine TTFT.
func apiTracing(c *ctx, b *dashboard.DashboardBuilder) {
	b.WithVariable(c.tenantVariable()).WithVariable(c.modelVariable())
	addRow(b, "Gateway traffic and errors by tenant", false,
		size(12, 8, c.tenantRequestsTimeseries()),
		size(12, 8, c.tenantErrorsTimeseries()))
	var latency []cog.Builder[dashboard.Panel]
	for _, kind := range library.SLOKinds() {
		if span, ok := c.p.Tracing.Spec.Spans[kind]; ok {
			latency = append(latency, size(12, 9, c.spanLatencyTimeseries(kind, span)))
		}
	}
	addRow(b, "Gateway latency by tenant (exemplars link to traces)", false, latency...)
	var gaps []cog.Builder[dashboard.Panel]
	for _, m := range c.gatewayModels() {
		if p, ok := c.ttftGapTimeseries(m); ok {
			gaps = append(gaps, size(12, 8, p))
		}
	}
	addRow(b, "TTFT: gateway against engine", false, gaps...)
}

// gatewayModels are the models some workload serves to tenants: the ones
// with per-tenant gateway series.
func (c *ctx) gatewayModels() []*plan.Model {
	seen := map[*plan.Model]bool{}
	for _, w := range c.p.Workloads {
		if len(w.Tenants) == 0 {
			continue
		}
		for _, m := range w.Models {
			seen[m] = true
		}
	}
	var out []*plan.Model
	for _, m := range c.p.Models {
		if seen[m] {
			out = append(out, m)
		}
	}
	return out
}

// recTenants selects a recorded per-tenant series for the picked tenants
// and models.
func (c *ctx) recTenants(name string) promql.Expr {
	return c.recModels(name, varMatch(library.LabelTenant, tenantVar))
}

// latencyUnit is Grafana's unit for the spanmetrics histogram.
func (c *ctx) latencyUnit() string {
	if c.p.Tracing.SpanMetrics.Unit == "ms" {
		return units.Milliseconds
	}
	return units.Seconds
}

func (c *ctx) tenantRequestsTimeseries() *timeseries.PanelBuilder {
	sm := c.p.Tracing.SpanMetrics
	return timeseriesPanel("Gateway requests by tenant and model", fmt.Sprintf("Requests per second each tenant sends to each model, counted from gateway spans (%s). A tenant whose traffic jumps is the first suspect when a shared model's queue grows.", sm.CallsSeries),
		units.RequestsPerSecond,
		query(c.recTenants(library.RecTenantRequests), "{{tenant}} · {{model}}")).
		Stacking(stacked())
}

func (c *ctx) tenantErrorsTimeseries() *timeseries.PanelBuilder {
	sm := c.p.Tracing.SpanMetrics
	return timeseriesPanel("Gateway error ratio by tenant and model", fmt.Sprintf("Share of each tenant's gateway spans that ended with %s=%s. Errors for one tenant only point at its requests (validation, quotas); errors for every tenant of a model point at the model server.", sm.Labels.StatusCode, sm.StatusError),
		units.PercentUnit,
		query(c.recTenants(library.RecTenantErrorRatio), "{{tenant}} · {{model}}")).
		Min(0)
}

// spanLatencyTimeseries reads the spanmetrics histogram raw (the recorded
// quantiles carry no exemplars), per model and tenant, with exemplars on.
func (c *ctx) spanLatencyTimeseries(kind library.SLOKind, span string) *timeseries.PanelBuilder {
	tr := c.p.Tracing
	sm := tr.SpanMetrics
	var qs []*prometheus.DataqueryBuilder
	for _, m := range c.gatewayModels() {
		bucket := promql.Sel(tr.DurationBuckets(),
			promql.Eq(sm.Labels.SpanName, span),
			promql.Eq(tr.ModelLabel, m.Spec.ServedName),
			varMatch(tr.TenantLabel, tenantVar))
		for _, q := range []float64{0.5, 0.95, 0.99} {
			qs = append(qs, query(quantile(q, bucket, tr.TenantLabel), fmt.Sprintf("{{%s}} · %s %s", tr.TenantLabel, m.Name, pct(q))).
				Exemplar(true))
		}
	}
	desc := fmt.Sprintf("p50, p95 and p99 of the gateway span %q (%s TTFT/e2e as users see it) by tenant and model, from %s in %s. Exemplars (dots) open the trace of a slow request: follow it to the engine span to see where the time went. Series whose span carries no %s attribute are not shown.",
		span, strings.ToUpper(string(kind)), sm.DurationFamily, sm.Unit, tr.TenantLabel)
	p := timeseriesPanel(fmt.Sprintf("Gateway %s latency (span %s)", strings.ToUpper(string(kind)), span), desc, c.latencyUnit(), qs...)
	var vals []float64
	var what []string
	seen := map[float64]bool{}
	for _, s := range c.p.SLOs {
		if s.Source != schema.SourceGateway || s.Kind != kind {
			continue
		}
		v := sm.Bound(s.Threshold)
		if !seen[v] {
			seen[v] = true
			vals = append(vals, v)
			what = append(what, fmt.Sprintf("%s at %s %s", s.ID, promql.FormatNumber(v), sm.Unit))
		}
	}
	if len(vals) > 0 {
		sort.Float64s(vals)
		steps := []step{base("green")}
		for _, v := range vals {
			steps = append(steps, at(v, "red"))
		}
		p.Description(desc + " Dashed lines: gateway SLO thresholds (" + strings.Join(what, "; ") + ").").
			Thresholds(thresholds(steps...)).
			ThresholdsStyle(thresholdLines())
	}
	return p
}

// ttftGapTimeseries compares a model's engine TTFT with its gateway TTFT
// span, per tenant, at the quantile the gap alert uses.
func (c *ctx) ttftGapTimeseries(m *plan.Model) (*timeseries.PanelBuilder, bool) {
	tr := c.p.Tracing
	span, ok := tr.Spec.Spans[library.SLOTTFT]
	f, hasTTFT := m.Metric(library.RoleTTFT)
	if !ok || !hasTTFT {
		return nil, false
	}
	q := library.GatewayTTFTGapQuantile
	engine := c.recModel(library.RecQuantile(f.Name, q), m)
	var gateway promql.Expr = c.recModel(library.RecTenantQuantile(tr.SpanMetrics.DurationFamily, span, q), m, varMatch(library.LabelTenant, tenantVar))
	if tr.SpanMetrics.Unit == "ms" {
		gateway = promql.Div(gateway, promql.Num(1000))
	}
	gap := promql.Sub(gateway, engine, promql.Matching{On: true, Labels: []string{library.LabelModel}, GroupLeftM: true})
	qn := pct(q)
	return timeseriesPanel("TTFT gateway against engine · "+m.Name, fmt.Sprintf("%s TTFT of %s measured by the engine (%s) and by the gateway span %q per tenant, and their gap. The gap is proxy, queueing in front of the engine and network time; a sudden divergence usually means a buffering regression in a proxy (streaming flushed late). Above the dashed line (%ss) the diagnostic alert fires. A difference of quantiles is not the quantile of the differences: read it as a trend.", qn, m.Name, f.Name, span, promql.FormatNumber(library.GatewayTTFTGapSeconds)),
		units.Seconds,
		query(engine, m.Name+" engine "+qn),
		query(gateway, "{{tenant}} · "+m.Name+" gateway "+qn),
		query(gap, "{{tenant}} · "+m.Name+" gap")).
		Thresholds(thresholds(base("green"), at(library.GatewayTTFTGapSeconds, "orange"))).
		ThresholdsStyle(thresholdLines()), true
}
