package dashboards

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/grafana/grafana-foundation-sdk/go/units"
	pmodel "github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
)

// overview: a status table of every SLO, the firing SLO alerts, then one
// row per workload and model (engine-sourced SLOs) and one per workload,
// model and tenant (gateway-sourced SLOs), each SLO with its SLI, error
// budget, burn rates and alerts. Where a workload and model have more than
// maxTenantRows tenants, their tenant rows are one row that Grafana repeats
// per tenant: hundreds of written-out rows make a dashboard of tens of
// megabytes that Grafana loads slowly, if at all.
func overview(c *ctx, b *dashboard.DashboardBuilder) {
	b.WithVariable(c.modelVariable())
	addRow(b, "All SLOs", false,
		size(16, 10, c.sloStatusTable()),
		size(8, 10, c.firingAlertsTable()))
	for _, g := range repeatTenantRows(sloGroups(c.p.SLOs)) {
		var panels []cog.Builder[dashboard.Panel]
		for _, s := range g.slos {
			panels = append(panels,
				size(4, 7, c.sloSLIStat(s)),
				size(4, 7, c.sloBudgetStat(s)),
				size(12, 7, c.sloBurnRateTimeseries(s)),
				size(4, 7, c.sloAlertsStat(s)))
		}
		if g.repeat == "" {
			addRow(b, g.title, g.tenant != "", panels...)
			continue
		}
		// A hidden variable per repeated row lists exactly the tenants
		// that have these SLOs, so no repeat comes up empty.
		b.WithVariable(customVariable(g.repeat, "Tenants of "+g.workload+" on "+g.model,
			"Tenants whose gateway SLOs of workload "+g.workload+" on model "+g.model+" the overview repeats a row for.", g.tenants).
			Hide(dashboard.VariableHideHideVariable))
		r := dashboard.NewRowBuilder(g.title).Repeat(g.repeat)
		for _, p := range panels {
			r.WithPanel(p)
		}
		b.WithRow(r)
	}
}

// maxTenantRows is the most tenant rows one workload and model get written
// out; beyond it they become one repeated row.
const maxTenantRows = 8

// repeatTenantRows replaces the tenant rows of each workload and model that
// has more than maxTenantRows of them by one row repeated over a variable.
// The row's panels are built from the first tenant's SLOs with the tenant
// name replaced by the variable, which Grafana substitutes per repeat (the
// SLOs of one id differ between tenants only by that label).
func repeatTenantRows(groups []*sloGroup) []*sloGroup {
	count := map[string]int{}
	for _, g := range groups {
		if g.tenant != "" {
			count[g.workload+"\x00"+g.model]++
		}
	}
	var out []*sloGroup
	repeated := map[string]*sloGroup{}
	for _, g := range groups {
		key := g.workload + "\x00" + g.model
		if g.tenant == "" || count[key] <= maxTenantRows {
			out = append(out, g)
			continue
		}
		if r, ok := repeated[key]; ok {
			r.tenants = append(r.tenants, g.tenant)
			continue
		}
		v := fmt.Sprintf("tenant_%d", len(repeated)+1)
		ref := "${" + v + "}"
		r := &sloGroup{workload: g.workload, model: g.model, tenant: ref, repeat: v, tenants: []string{g.tenant},
			title: fmt.Sprintf("%s · %s · tenant %s (gateway)", g.workload, g.model, ref)}
		for _, s := range g.slos {
			t := *s
			t.Tenant = &plan.Tenant{Name: ref}
			r.slos = append(r.slos, &t)
		}
		repeated[key] = r
		out = append(out, r)
	}
	return out
}

// sloGroup is the SLOs of one workload and model (and tenant).
type sloGroup struct {
	workload, model, tenant string
	title                   string
	slos                    []*plan.SLO
	// repeat names the variable a repeated tenant row iterates over, and
	// tenants its values.
	repeat  string
	tenants []string
}

// sloGroups groups the plan's SLOs (already sorted by workload, kind, model,
// tenant) into rows: per workload and model first, then its tenants.
func sloGroups(slos []*plan.SLO) []*sloGroup {
	byKey := map[string]*sloGroup{}
	var groups []*sloGroup
	for _, s := range slos {
		tenant := ""
		if s.Tenant != nil {
			tenant = s.Tenant.Name
		}
		key := s.Workload.Name + "\x00" + s.Model.Name + "\x00" + tenant
		g, ok := byKey[key]
		if !ok {
			title := fmt.Sprintf("%s · %s (%s)", s.Workload.Name, s.Model.Name, engineLabel(s.Model))
			if tenant != "" {
				title = fmt.Sprintf("%s · %s · tenant %s (gateway)", s.Workload.Name, s.Model.Name, tenant)
			}
			g = &sloGroup{workload: s.Workload.Name, model: s.Model.Name, tenant: tenant, title: title}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.slos = append(g.slos, s)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if a.workload != b.workload {
			return a.workload < b.workload
		}
		if a.model != b.model {
			return a.model < b.model
		}
		return a.tenant < b.tenant
	})
	return groups
}

// sloSel selects a recorded per-SLO series by the SLO's identity labels.
func (c *ctx) sloSel(name string, s *plan.SLO) *parser.VectorSelector {
	var ms []*labels.Matcher
	for _, k := range s.LabelNames() {
		ms = append(ms, promql.Eq(k, s.Label(k)))
	}
	return c.rec(name, ms...)
}

// sloName is how panel titles name an SLO instance.
func sloName(s *plan.SLO) string {
	n := s.ID + " · " + s.Model.Name
	if s.Tenant != nil {
		n += " · " + s.Tenant.Name
	}
	return n
}

// sloWindows are the burn-rate windows the tiers read, shortest first.
func (c *ctx) sloWindows() []time.Duration {
	seen := map[time.Duration]bool{}
	var ws []time.Duration
	for _, t := range c.p.Tiers {
		for _, w := range []time.Duration{t.Short, t.Long} {
			if !seen[w] {
				seen[w] = true
				ws = append(ws, w)
			}
		}
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i] < ws[j] })
	if len(ws) == 0 {
		ws = []time.Duration{5 * time.Minute}
	}
	return ws
}

func (c *ctx) periodName() string { return pmodel.Duration(c.p.Period).String() }

// sliOver is the SLI over window w: 1 - the recorded error ratio.
func (c *ctx) sliOver(w time.Duration, ms ...*labels.Matcher) promql.Expr {
	return promql.Sub(promql.Num(1), c.rec(library.RecSLIErrorRatio(w), ms...))
}

func (c *ctx) sloStatusTable() *table.PanelBuilder {
	sel := varMatch(library.LabelModel, modelVar)
	period := c.periodName()
	fastest := c.fastestPageWindow()
	burn := "burn rate " + pmodel.Duration(fastest).String()
	return tablePanel("SLO status", fmt.Sprintf("Every SLO instance (filtered by the model variable): objective, SLI over the %s period, share of the period's error budget left, and the burn rate over %s. An SLI under its objective or a budget below zero means the SLO is missed for the period; a burn rate above 1 spends the budget faster than the period allows. Open the SLO's row below for the burn-rate history.", period, pmodel.Duration(fastest)),
		units.PercentUnit,
		map[string]string{"Value #A": "objective", "Value #B": "SLI " + period, "Value #C": "budget left", "Value #D": burn},
		nil,
		instant(bySLO(c.rec(library.RecObjective, sel)), "{{slo}} {{model}} {{tenant}}"),
		instant(bySLO(c.sliOver(c.p.Period, sel)), "{{slo}} {{model}} {{tenant}}"),
		instant(bySLO(c.rec(library.RecBudgetRemaining, sel)), "{{slo}} {{model}} {{tenant}}"),
		instant(bySLO(c.rec(library.RecBurnRate(fastest), sel)), "{{slo}} {{model}} {{tenant}}")).
		Decimals(3).
		OverrideByName(burn, []dashboard.DynamicConfigValue{{Id: "unit", Value: unitBurnRate}, {Id: "decimals", Value: 2}})
}

// bySLO keeps exactly the SLO identity labels (and drops the metric name),
// so the table's merge joins the queries' rows per SLO instance.
func bySLO(e promql.Expr) promql.Expr {
	return promql.Max(e, library.LabelSLO, library.LabelWorkload, library.LabelModel, library.LabelTenant)
}

// fastestPageWindow is the long window of the fastest page tier (1h in the
// SRE-workbook table), or the shortest window when no tier pages.
func (c *ctx) fastestPageWindow() time.Duration {
	var w time.Duration
	for _, t := range c.p.Tiers {
		if t.Severity == "page" && (w == 0 || t.Long < w) {
			w = t.Long
		}
	}
	if w == 0 {
		w = c.sloWindows()[0]
	}
	return w
}

// sloIDs are the distinct SLO ids, sorted.
func (c *ctx) sloIDs() []string {
	seen := map[string]bool{}
	var ids []string
	for _, s := range c.p.SLOs {
		if !seen[s.ID] {
			seen[s.ID] = true
			ids = append(ids, s.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

func (c *ctx) firingAlertsTable() *table.PanelBuilder {
	sel := c.rec(library.AlertsSeries, promql.Eq(labelAlertState, alertFiring), promql.Re(library.LabelSLO, quoteAlternation(c.sloIDs())), varMatch(library.LabelModel, modelVar))
	return tablePanel("Firing SLO alerts", fmt.Sprintf("SLO burn-rate alerts firing now (%s filtered on the spec's SLO ids). severity=%s means the budget burns fast enough to exhaust a large share within hours: act now; severity=%s means a slow burn to look at within the day. The SLO's row below shows which windows are over their line.", library.AlertsSeries, c.p.Severity("page"), c.p.Severity("ticket")),
		units.Short,
		map[string]string{"Value": "firing"},
		[]string{library.LabelEnv, labelAlertState, "__name__"},
		instant(promql.Sum(sel, labelAlertName, library.LabelSeverity, library.LabelTier, library.LabelSLO, library.LabelModel, library.LabelTenant), "{{alertname}} {{model}} {{tenant}}")).
		NoValue("no SLO alert firing")
}

func (c *ctx) sloSLIStat(s *plan.SLO) *stat.PanelBuilder {
	ids := s.LabelNames()
	ms := make([]*labels.Matcher, 0, len(ids))
	for _, k := range ids {
		ms = append(ms, promql.Eq(k, s.Label(k)))
	}
	short := c.sloWindows()[0]
	desc := fmt.Sprintf("%s SLI of %s: the share of good events (%s). Shown over the last %s and over the %s period, next to the objective %s%%. Green when at or above the objective. If the %s value sits below the objective the budget is burning now; see the burn-rate panel to judge how fast.",
		strings.ToUpper(string(s.Kind)), sloName(s), s.SLI.Describe, pmodel.Duration(short), c.periodName(), promql.FormatNumber(s.Objective), pmodel.Duration(short))
	return statPanel(fmt.Sprintf("SLI · %s", sloName(s)), desc, units.PercentUnit,
		query(c.sliOver(short, ms...), pmodel.Duration(short).String()+" "+s.Model.Name),
		query(c.sliOver(c.p.Period, ms...), c.periodName()+" "+s.Model.Name),
		query(c.sloSel(library.RecObjective, s), "objective")).
		Decimals(2).
		Thresholds(thresholds(base("red"), at(s.Target, "green")))
}

func (c *ctx) sloBudgetStat(s *plan.SLO) *stat.PanelBuilder {
	desc := fmt.Sprintf("Share of the %s period's error budget (%s%% of events may be bad) that %s has left. Below zero the objective is missed for the period: freeze risky changes to this model and workload and work on reliability. Orange under 25%%.",
		c.periodName(), promql.FormatNumber(100-s.Objective), sloName(s))
	return statPanel("Budget left · "+sloName(s), desc, units.PercentUnit,
		query(c.sloSel(library.RecBudgetRemaining, s), s.Model.Name+" budget left")).
		Decimals(1).
		TextMode(common.BigValueTextModeValue).
		Thresholds(thresholds(base("red"), at(0, "orange"), at(0.25, "green")))
}

func (c *ctx) sloBurnRateTimeseries(s *plan.SLO) *timeseries.PanelBuilder {
	var qs []*prometheus.DataqueryBuilder
	for _, w := range c.sloWindows() {
		qs = append(qs, query(c.sloSel(library.RecBurnRate(w), s), pmodel.Duration(w).String()+" "+s.Model.Name))
	}
	steps := []step{base("green")}
	var lines []string
	tiers := append([]plan.Tier(nil), c.p.Tiers...)
	sort.SliceStable(tiers, func(i, j int) bool { return tiers[i].Factor < tiers[j].Factor })
	maxFactor := 1.0
	for i, t := range tiers {
		color := "orange"
		if t.Severity == "page" {
			color = "red"
		}
		if i > 0 && tiers[i-1].Factor == t.Factor {
			if color == "red" {
				steps[len(steps)-1].color = color
			}
		} else {
			steps = append(steps, at(t.Factor, color))
		}
		if t.Factor > maxFactor {
			maxFactor = t.Factor
		}
		lines = append(lines, fmt.Sprintf("%s %s× (%s over %s and %s)", t.Name, promql.FormatNumber(t.Factor), t.Severity, pmodel.Duration(t.Long), pmodel.Duration(t.Short)))
	}
	desc := fmt.Sprintf("Burn rate of %s per window: error ratio over the window divided by the error budget (1× spends exactly the budget over the %s period). Dashed lines are the alerting factors: %s. A tier fires when both its long and short window are above its line. Red lines page, orange lines open a ticket.",
		sloName(s), c.periodName(), strings.Join(lines, "; "))
	return timeseriesPanel("Burn rate · "+sloName(s), desc, unitBurnRate, qs...).
		Thresholds(thresholds(steps...)).
		ThresholdsStyle(thresholdLines()).
		AxisSoftMin(0).
		AxisSoftMax(promql.Canonical(maxFactor * 1.2))
}

func (c *ctx) sloAlertsStat(s *plan.SLO) *stat.PanelBuilder {
	ms := []*labels.Matcher{promql.Eq(labelAlertState, alertFiring)}
	for _, k := range s.LabelNames() {
		ms = append(ms, promql.Eq(k, s.Label(k)))
	}
	return statPanel("Alerts · "+sloName(s), fmt.Sprintf("Burn-rate alerts of %s firing now, by severity (%s filtered on slo, workload, model and tenant). %s: act now; %s: look within the day.", sloName(s), library.AlertsSeries, c.p.Severity("page"), c.p.Severity("ticket")), units.Short,
		query(promql.Sum(c.rec(library.AlertsSeries, ms...), library.LabelSeverity), "{{severity}} "+s.Model.Name)).
		NoValue("none firing").
		GraphMode(common.BigValueGraphModeNone).
		Thresholds(thresholds(base("green"), at(1, "red")))
}
