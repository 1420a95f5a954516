package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/grafana/grafana-foundation-sdk/go/units"

	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
)

// businessCost: GPU cost and token spend by model and tenant, effective
// cost per token with idle time, idle share, efficiency.
func businessCost(c *ctx, b *dashboard.DashboardBuilder) {
	b.WithVariable(c.modelVariable())
	if c.p.Tracing != nil {
		b.WithVariable(c.tenantVariable())
	}
	top := []cog.Builder[dashboard.Panel]{
		size(6, 6, c.gpuCostStat()),
		size(6, 6, c.idleCostStat()),
	}
	if c.anyPricing() {
		top = append(top, size(6, 6, c.spendStat()), size(6, 6, c.marginStat()))
	}
	addRow(b, "This hour", false, top...)
	cost := []cog.Builder[dashboard.Panel]{
		size(12, 8, c.gpuCostByModelTimeseries()),
		size(12, 8, c.effectiveCostTimeseries()),
		size(12, 8, c.idleShareTimeseries()),
		size(12, 8, c.tokensPerGPUSecondTimeseries()),
	}
	addRow(b, "Cost by model", false, cost...)
	var tenant []cog.Builder[dashboard.Panel]
	if c.p.Tracing != nil {
		tenant = append(tenant, size(12, 8, c.tenantGPUCostTimeseries()))
		if c.anyPricing() {
			tenant = append(tenant, size(12, 8, c.tenantSpendTimeseries()))
		}
	}
	if c.anyPricing() {
		tenant = append(tenant, size(12, 8, c.tokenSpendByTypeTimeseries()))
	}
	addRow(b, "Spend by tenant and token type", false, tenant...)
}

func (c *ctx) anyPricing() bool {
	for _, m := range c.p.Models {
		if m.Spec.Pricing != nil {
			return true
		}
	}
	return false
}

func (c *ctx) currency() string { return currencyUnit(c.p.Currency) }

func (c *ctx) gpuCostStat() *stat.PanelBuilder {
	return statPanel("GPU cost per hour", fmt.Sprintf("What the running replicas of the selected models cost per hour in %s: replicas up × GPUs per replica × the spec's hourly GPU price. Paid whether the GPUs work or not.", c.p.Currency),
		c.currency(),
		query(promql.Sum(c.recModels(library.RecGPUCost)), "all selected models")).
		Decimals(2)
}

func (c *ctx) idleCostStat() *stat.PanelBuilder {
	idle := promql.Sum(promql.Mul(c.recModels(library.RecGPUCost), promql.Sub(promql.Num(1), c.recModels(library.RecTensorActive)), promql.Matching{On: true, Labels: []string{library.LabelModel}}))
	return statPanel("Idle GPU cost per hour", fmt.Sprintf("The part of the GPU bill (%s per hour) spent while the tensor cores were idle: GPU cost × (1 − tensor-pipe activity) per model. It shrinks with better batching and with fewer replicas off-peak.", c.p.Currency),
		c.currency(),
		query(idle, "all selected models")).
		Decimals(2)
}

func (c *ctx) spendStat() *stat.PanelBuilder {
	return statPanel("Token spend per hour", fmt.Sprintf("What the selected models' tokens are worth per hour at the spec's prices (%s), prompt and generation together. Models without pricing are left out.", c.p.Currency),
		c.currency(),
		query(promql.Sum(c.recModels(library.RecTokenSpend)), "all selected models")).
		Decimals(2)
}

func (c *ctx) marginStat() *stat.PanelBuilder {
	spend := promql.Sum(c.recModels(library.RecTokenSpend), library.LabelModel)
	cost := promql.Sum(c.recModels(library.RecGPUCost), library.LabelModel)
	return statPanel("Token spend minus GPU cost per hour", fmt.Sprintf("Token spend minus GPU cost per hour (%s) over the selected models that have pricing. Negative means the GPUs cost more than their tokens earn at the spec's prices: consolidate replicas, batch more, or revisit pricing.", c.p.Currency),
		c.currency(),
		query(promql.Sum(promql.Sub(spend, cost, promql.Matching{On: true, Labels: []string{library.LabelModel}})), "all selected models")).
		Decimals(2).
		Thresholds(thresholds(base("red"), at(0, "green")))
}

func (c *ctx) gpuCostByModelTimeseries() *timeseries.PanelBuilder {
	return timeseriesPanel("GPU cost per hour by model", fmt.Sprintf("GPU cost per hour of each model's running replicas (%s). Steps are replicas starting or stopping.", c.p.Currency),
		c.currency(),
		query(c.recModels(library.RecGPUCost), "{{model}}")).
		Stacking(stacked())
}

func (c *ctx) effectiveCostTimeseries() *timeseries.PanelBuilder {
	perMillion := func(e promql.Expr) promql.Expr { return promql.Mul(e, promql.Num(1e6)) }
	qs := []*prometheus.DataqueryBuilder{query(perMillion(c.recModels(library.RecEffectiveCost)), "{{model}} cost")}
	if c.anyPricing() {
		qs = append(qs, query(perMillion(c.recModels(library.RecTokenPrice, promql.Eq(library.LabelTokenType, "generation"))), "{{model}} generation price"))
	}
	return timeseriesPanel("Effective cost per million generated tokens", fmt.Sprintf("GPU cost of each model divided by the tokens it generated, per million tokens (%s), idle GPU time included: the whole GPU hour is spread over the tokens actually produced. This drives capacity decisions, not the marginal cost. Where the model has pricing, its generation price per million tokens is drawn next to it: a cost line above the price line loses money on every token.", c.p.Currency),
		c.currency(), qs...)
}

func (c *ctx) idleShareTimeseries() *timeseries.PanelBuilder {
	return timeseriesPanel("Idle share of GPU cost by model", "1 − tensor-pipe activity averaged over each model's GPUs: the share of the GPU bill paid for cycles where the tensor cores did nothing. Decode-heavy serving never reaches 0; a share that stays high at peak means too many replicas or too little batching.",
		units.PercentUnit,
		query(promql.Sub(promql.Num(1), c.recModels(library.RecTensorActive)), "{{model}} idle")).
		Min(0).Max(1)
}

func (c *ctx) tokensPerGPUSecondTimeseries() *timeseries.PanelBuilder {
	return timeseriesPanel("Generated tokens per GPU-second", "Tokens generated per second per GPU of each model's running replicas: the efficiency the GPU bill buys. Compare models of the same size; a drop at equal traffic means worse batching or a slower engine version.",
		unitTokensPerSec,
		query(c.recModels(library.RecTokensPerGPUSec), "{{model}}"))
}

func (c *ctx) tenantGPUCostTimeseries() *timeseries.PanelBuilder {
	return timeseriesPanel("GPU cost per hour by tenant and model", fmt.Sprintf("Each model's GPU cost (%s per hour) shared out by each tenant's share of the model's gateway requests. Idle time is shared out too: a tenant alone on a model pays for its idle replicas.", c.p.Currency),
		c.currency(),
		query(c.recTenants(library.RecTenantGPUCost), "{{tenant}} · {{model}}")).
		Stacking(stacked())
}

func (c *ctx) tenantSpendTimeseries() *timeseries.PanelBuilder {
	return timeseriesPanel("Token spend per hour by tenant and model", fmt.Sprintf("What each tenant's tokens are worth per hour at the model's prices (%s), shared out by request share. Next to the GPU cost by tenant it shows which tenants the platform serves at a loss.", c.p.Currency),
		c.currency(),
		query(c.recTenants(library.RecTenantSpend), "{{tenant}} · {{model}}")).
		Stacking(stacked())
}

func (c *ctx) tokenSpendByTypeTimeseries() *timeseries.PanelBuilder {
	return timeseriesPanel("Token spend per hour: prompt against generation", fmt.Sprintf("Spend per hour (%s) on prompt and on generation tokens, per model. They price differently and cost differently: prefill is one forward pass per prompt, decode one per generated token. RAG shifts spend to prompts, chat and code to generation.", c.p.Currency),
		c.currency(),
		query(c.recModels(library.RecTokenSpend), "{{model}} {{"+library.LabelTokenType+"}}")).
		Stacking(stacked())
}
