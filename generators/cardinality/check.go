package cardinality

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
	"github.com/inferobs/inferobs/schema/diag"
)

// TopFamilies is how many families an over-budget error names.
const TopFamilies = 3

// Check reports an estimate over cardinality.budget (one error at the
// budget naming the largest families, their formulas and what would bring
// each down) and every forbidden label in a selector, grouping or
// spanmetrics dimension of the plan (one error per offending spec field).
func Check(p *plan.Plan, r Report) diag.List {
	var ds diag.List
	if budget := p.Spec.Cardinality.Budget; budget > 0 && r.Total > budget {
		path := []string{"cardinality", "budget"}
		ds = append(ds, diag.Errorf(p.Spec.Pos(path...), schema.Path(path...), "%s", overBudget(r, budget)))
	}
	ds = append(ds, forbidden(p)...)
	return ds.Sorted()
}

// CheckPlan estimates with default options and checks.
func CheckPlan(p *plan.Plan) (Report, diag.List) {
	r := Estimate(p, Options{})
	return r, Check(p, r)
}

func overBudget(r Report, budget int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "the outputs cost an estimated %d active series, over the budget of %d (%s%%); the largest families:",
		r.Total, budget, strconv.FormatFloat(r.Share(r.Total), 'f', 1, 64))
	for i, f := range r.Top(TopFamilies) {
		who := string(f.Source)
		if f.Model != "" {
			who = f.Model + ", " + who
		}
		fmt.Fprintf(&b, "\n  %d. %s (%s): %s", i+1, f.Name, who, f.Formula)
		if f.Advice != "" {
			fmt.Fprintf(&b, "\n     to bring it down: %s", f.Advice)
		}
	}
	b.WriteString("\n  (inferobs cardinality prints every family; raise cardinality.budget if the cost is intended)")
	return b.String()
}

// forbidden finds forbidden labels in what the outputs select, group by or
// write as spanmetrics dimensions. The loader already rejects them in model
// selectors and tracing attributes; this covers what the planner and the
// catalogs add (model-name labels, SLI matchers, summed-away labels, the
// labels inferobs records, the connector's default dimensions).
func forbidden(p *plan.Plan) diag.List {
	ban := map[string]int{}
	for i, l := range p.ForbiddenLabels {
		if _, dup := ban[l]; !dup {
			ban[l] = i
		}
	}
	if len(ban) == 0 {
		return nil
	}
	var ds diag.List
	seen := map[string]bool{}
	report := func(path []string, label, format string, args ...any) {
		key := schema.Path(path...) + "\x00" + label
		if seen[key] {
			return
		}
		seen[key] = true
		msg := fmt.Sprintf("label %q is forbidden by cardinality.forbiddenLabels, but ", label) + fmt.Sprintf(format, args...)
		ds = append(ds, diag.Errorf(p.Spec.Pos(path...), schema.Path(path...), "%s", msg))
	}
	tr := p.Tracing

	// A matcher's label: where in the spec it comes from.
	matcherPath := func(m *plan.Model, slo *plan.SLO, label string) []string {
		if _, ok := m.Spec.Selector[label]; ok {
			return []string{"models", m.Name, "selector", label}
		}
		if tr != nil && slo != nil && slo.Tenant != nil {
			switch label {
			case tr.TenantLabel:
				return []string{"tracing", "tenantAttribute"}
			case tr.ModelLabel:
				return []string{"tracing", "modelAttribute"}
			}
		}
		if slo != nil {
			return sloPath(slo)
		}
		return []string{"models", m.Name, "engine"}
	}

	for _, m := range p.Models {
		for _, mt := range m.Matchers {
			if _, bad := ban[mt.Name]; bad {
				report(matcherPath(m, nil, mt.Name), mt.Name, "the %s %s catalog selects model %q by it", m.Engine(), m.Catalog.Version.Short(), m.Name)
			}
		}
		for _, l := range m.DropLabels {
			if _, bad := ban[l]; bad {
				report([]string{"models", m.Name, "engine"}, l, "the rules of model %q sum it away (sum without(%s))", m.Name, l)
			}
		}
	}
	// Labels every selector or grouping of a model carries were reported
	// once, at the model, above.
	fromModel := func(m *plan.Model, label string) bool {
		for _, mt := range m.Matchers {
			if mt.Name == label {
				return true
			}
		}
		return slices.Contains(m.DropLabels, label)
	}
	for _, s := range p.SLOs {
		sels := append(append([]plan.Selector(nil), s.SLI.Good...), s.SLI.Total...)
		if s.SLI.Gauge.Series != "" {
			sels = append(sels, s.SLI.Gauge)
		}
		for _, sel := range sels {
			for _, mt := range sel.Matchers {
				if mt.Name == labels.MetricName || (s.Tenant == nil && fromModel(s.Model, mt.Name)) {
					continue
				}
				if _, bad := ban[mt.Name]; bad {
					report(matcherPath(s.Model, s, mt.Name), mt.Name, "the %s SLI of model %q selects on it (%s)", s.ID, s.Model.Name, sel.VectorSelector())
				}
			}
		}
		for _, l := range s.SLI.Drop {
			if _, bad := ban[l]; bad && !fromModel(s.Model, l) {
				report(sloPath(s), l, "the %s SLI of model %q sums it away (sum without(%s))", s.ID, s.Model.Name, l)
			}
		}
		for _, l := range s.LabelNames() {
			if i, bad := ban[l]; bad {
				report([]string{"cardinality", "forbiddenLabels", strconv.Itoa(i)}, l, "inferobs writes it on every series and alert of SLO %s (labels %s); it cannot be forbidden", s.ID, strings.Join(s.LabelNames(), ", "))
			}
		}
	}
	for _, l := range []string{library.LabelSeverity, library.LabelTier, library.LabelEnv, library.LabelCurrency, library.LabelTokenType} {
		if i, bad := ban[l]; bad {
			report([]string{"cardinality", "forbiddenLabels", strconv.Itoa(i)}, l, "inferobs writes it on its alerts or cost series (part of its output contract); it cannot be forbidden")
		}
	}
	if tr != nil {
		sm := tr.SpanMetrics
		for _, l := range sm.Labels.All() {
			if _, bad := ban[l]; bad {
				report([]string{"tracing", "collectorVersion"}, l, "the spanmetrics connector of collector-contrib %s writes it on every series (a default dimension)", sm.CollectorVersion.Short())
			}
		}
		dims := []struct {
			attr string
			path []string
		}{
			{tr.Spec.TenantAttribute, []string{"tracing", "tenantAttribute"}},
			{tr.Spec.ModelAttribute, []string{"tracing", "modelAttribute"}},
		}
		for i, d := range tr.Spec.Dimensions {
			dims = append(dims, struct {
				attr string
				path []string
			}{d, []string{"tracing", "dimensions", strconv.Itoa(i)}})
		}
		for _, d := range dims {
			l := library.PromLabelName(d.attr)
			_, bad := ban[l]
			_, badAttr := ban[d.attr]
			if bad || badAttr {
				if !bad {
					l = d.attr
				}
				report(d.path, l, "span attribute %q becomes the spanmetrics dimension %q", d.attr, library.PromLabelName(d.attr))
			}
		}
	}
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Path < ds[j].Path })
	return ds
}

// sloPath is the spec field an SLO comes from: its declaration, or the
// workload's class when a preset added it.
func sloPath(s *plan.SLO) []string {
	if s.Declared {
		return []string{"workloads", s.Workload.Name, "slos", string(s.Kind)}
	}
	return []string{"workloads", s.Workload.Name, "class"}
}
