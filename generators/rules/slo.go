package rules

import (
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// The SLO rules are layered so long windows stay cheap and every rule reads
// only series of another group, tolerating one evaluation of lag: a ruler
// that writes a group's results asynchronously (vmalert through remote
// write) or evaluates groups concurrently (Prometheus) gives the same
// decisions as one that appends each result before the next rule runs.
//
//   - rates (every evaluation interval) records the good and total event
//     rates over the 5m base window from the raw series (a queue-headroom
//     SLI records its per-evaluation 0/1 verdict), and the burn rates of
//     the windows the fast group records;
//   - fast (every evaluation interval) records the error ratios of windows
//     up to fastWindowMax as ratios of sums of the rates, and holds the
//     alerts whose windows are all fast;
//   - sampled (every slowInterval) copies the 5m rates once per interval,
//     good and total only together, and records the burn rates and budget
//     of the slow windows;
//   - slow (every slowInterval) derives every longer window, up to the SLO
//     period, from those 5-minute-spaced copies (a 30-day window reads 8640
//     samples per series instead of 172800 raw ones) and holds the other
//     alerts.
//
// Alerts never read a recorded ratio or burn rate: each computes its
// windows' error ratios from the rates or the copies and compares them to
// factor × budget. Ratios of sums weigh every period by its traffic, and a
// window without traffic yields no sample (total > 0 filters 0/0), never a
// NaN that would poison the longer windows.
const (
	baseWindow    = 5 * time.Minute
	fastWindowMax = time.Hour
	slowInterval  = 5 * time.Minute
	// lagReads is how many intervals of the recording group an instant
	// read of a recorded series looks back (last_over_time): one interval
	// of write lag, and one more for a ruler whose queries see only
	// samples older than their step.
	lagReads = 3
)

// sloWindows returns every window the SLOs need, sorted: each tier's short
// and long windows, the base window and the period.
func sloWindows(p *plan.Plan) []time.Duration {
	set := map[time.Duration]bool{baseWindow: true, p.Period: true}
	for _, t := range p.Tiers {
		set[t.Short], set[t.Long] = true, true
	}
	var out []time.Duration
	for w := range set {
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func isFast(w time.Duration) bool { return w <= fastWindowMax }

// Vectorised rules: the rates of an SLO set (one workload SLO on one
// model) are recorded by one rule per layer for all its tenants, kept
// apart by the tenant label; every later rule is written once per class
// of sets (one SLO on every model that shares its objective, SLI type and
// annotation text) and selects all their recorded series at once, so the
// rule count grows with SLOs and models, not with tenants. PromQL keeps
// each series' labels through every window, ratio and comparison, so each
// instance gets the values and alerts its own rules would give it.
var (
	// perInstance writes every SLO instance's rules apart, with its own
	// identity matchers and literal annotations: the layout before the
	// rules were vectorised, kept so a test can prove both decide alike.
	perInstance = false
	// acrossModels writes the derived rules once per class of models
	// rather than once per set (off: to measure what it saves).
	acrossModels = true
)

// sloClass is the SLO instances one set of derived rules evaluates.
type sloClass struct {
	sets  []*plan.SLOSet
	first *plan.SLO
	// all are the sets of the class's SLO, which record under the same names.
	all []*plan.SLOSet
	// match selects the class's recorded series; labels are the identity
	// labels all its instances share, set on its rules.
	match  []*labels.Matcher
	labels map[string]string
	// literal writes annotations with the instance's names (one instance).
	literal bool
	// scope tells apart classes whose rules have the same name and labels.
	scope string
}

func (c *sloClass) sel(name string) *parser.VectorSelector { return promql.Sel(name, c.match...) }

func (c *sloClass) instances() []*plan.SLO {
	var out []*plan.SLO
	for _, set := range c.sets {
		out = append(out, set.Instances...)
	}
	return out
}

// sloClasses splits the sets of one SLO id into classes: sets whose
// recorded series the same rules derive (the same SLI type, objective and
// tenant label: in practice all of them).
func sloClasses(p *plan.Plan, sets []*plan.SLOSet) []*sloClass {
	if perInstance {
		var out []*sloClass
		for _, set := range sets {
			for _, s := range set.Instances {
				one := &plan.SLOSet{Instances: []*plan.SLO{s}, SLI: s.SLI}
				out = append(out, &sloClass{sets: []*plan.SLOSet{one}, first: s, all: sets, match: idMatchers(s), labels: s.Labels(), literal: true})
			}
		}
		return out
	}
	return splitClasses(sets, sets, func(set *plan.SLOSet) string {
		s := set.First()
		if !acrossModels {
			return s.Model.Name
		}
		return fmt.Sprint(s.SLI.Type, s.Budget, s.Target, set.By)
	})
}

// alertClasses splits a class by its alerts' annotation text, which
// differs between models whose SLIs read different families.
func alertClasses(p *plan.Plan, c *sloClass) []*sloClass {
	if c.literal {
		return []*sloClass{c}
	}
	return splitClasses(c.sets, c.all, func(set *plan.SLOSet) string {
		return fmt.Sprint(burnAnnotationsOf(p, set.First(), p.Tiers[0], false))
	})
}

// splitClasses groups sets by key, each class selecting its sets' series
// among those of all: an equality for each identity label its instances
// share, and a model regex where other sets record under the same names.
func splitClasses(sets, all []*plan.SLOSet, key func(*plan.SLOSet) string) []*sloClass {
	var out []*sloClass
	byKey := map[string]*sloClass{}
	for _, set := range sets {
		k := key(set)
		c, ok := byKey[k]
		if !ok {
			c = &sloClass{first: set.First(), all: all}
			byKey[k] = c
			out = append(out, c)
		}
		c.sets = append(c.sets, set)
	}
	for _, c := range out {
		c.labels = map[string]string{}
		for _, k := range c.first.LabelNames() {
			v, same := c.first.Label(k), true
			for _, s := range c.instances() {
				same = same && s.Label(k) == v
			}
			switch {
			case same:
				c.labels[k] = v
				c.match = append(c.match, promql.Eq(k, v))
			case k == library.LabelModel && len(c.sets) < len(all):
				names := make([]string, len(c.sets))
				for i, set := range c.sets {
					names[i] = set.First().Model.Name
				}
				c.match = append(c.match, promql.Re(k, alternation(names)))
				c.scope = c.match[len(c.match)-1].String()
			}
		}
	}
	return out
}

// alternation is a regex matching exactly the given values.
func alternation(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = regexp.QuoteMeta(v)
	}
	return strings.Join(q, "|")
}

// idMatchers select one SLO instance's recorded series.
func idMatchers(s *plan.SLO) []*labels.Matcher {
	names := s.LabelNames()
	ms := make([]*labels.Matcher, len(names))
	for i, k := range names {
		ms[i] = promql.Eq(k, s.Label(k))
	}
	return ms
}

// sloRule records e with the class's shared identity labels l, one map
// shared by its recording rules (rules never modify their labels).
func sloRule(record string, l map[string]string, e promql.Expr) Rule {
	return Rule{Record: record, Expr: e, Labels: l}
}

// errorRatio is 1 - good/total, with 0/0 giving no sample.
func errorRatio(good, total promql.Expr) promql.Expr {
	return promql.Sub(promql.Num(1), promql.Div(good, promql.Paren(promql.Gt(total, promql.Num(0)))))
}

// SLOFile is the rule file (without extension) of an SLO: one per SLO id,
// holding every model and tenant instance of it.
func SLOFile(s *plan.SLO) string { return "slo-" + fileName(s.ID) }

func sloGroups(p *plan.Plan) []Group {
	byID := map[string][]*plan.SLOSet{}
	var order []string
	for _, set := range p.SLOSets {
		id := set.First().ID
		if _, ok := byID[id]; !ok {
			order = append(order, id)
		}
		byID[id] = append(byID[id], set)
	}
	var groups []Group
	for _, id := range order {
		file := SLOFile(byID[id][0].First())
		slowIv := max(slowInterval, p.EvaluationInterval)
		gs := [4]Group{
			{File: file, Name: "inferobs:slo:" + id + ":rates", Interval: p.EvaluationInterval},
			{File: file, Name: "inferobs:slo:" + id + ":fast", Interval: p.EvaluationInterval},
			{File: file, Name: "inferobs:slo:" + id + ":sampled", Interval: slowIv},
			{File: file, Name: "inferobs:slo:" + id + ":slow", Interval: slowIv},
		}
		for _, c := range sloClasses(p, byID[id]) {
			rs := sloRules(p, c)
			for i := range gs {
				gs[i].Rules = append(gs[i].Rules, rs[i]...)
			}
		}
		groups = append(groups, gs[:]...)
	}
	return groups
}

// SLO rule layers, in the order of sloGroups.
const (
	layerRates = iota
	layerFast
	layerSampled
	layerSlow
)

// lagged reads the newest sample of a series another group records every
// interval, tolerating a write lag of up to lagReads-1 intervals.
func lagged(name string, c *sloClass, interval time.Duration) promql.Expr {
	return promql.OverTime("last", c.sel(name), lagReads*interval)
}

// sums returns the good and total expressions whose ratio is the error
// ratio of window w, read from the rates (fast windows) or their sampled
// copies (slow windows), never from a series of the reader's own group.
func sums(p *plan.Plan, c *sloClass, w time.Duration) (good, total promql.Expr) {
	switch {
	case !isFast(w):
		return promql.OverTime("sum", c.sel(library.RecSLIGoodSampled), w), promql.OverTime("sum", c.sel(library.RecSLITotalSampled), w)
	case c.first.SLI.Type == plan.SLIGaugeThreshold:
		// The share of good evaluations in the window.
		ok := c.sel(library.RecHeadroomOK)
		return promql.OverTime("sum", ok, w), promql.OverTime("count", ok, w)
	case w == baseWindow:
		return lagged(library.RecSLIGood, c, p.EvaluationInterval), lagged(library.RecSLITotal, c, p.EvaluationInterval)
	default:
		return promql.OverTime("sum", c.sel(library.RecSLIGood), w), promql.OverTime("sum", c.sel(library.RecSLITotal), w)
	}
}

func windowRatio(p *plan.Plan, c *sloClass, w time.Duration) promql.Expr {
	return errorRatio(sums(p, c, w))
}

// setLabels are the identity labels of a set's rate rules: every label
// its instances share (the tenant comes from the series).
func setLabels(set *plan.SLOSet) map[string]string {
	l := set.First().Labels()
	if set.By != "" {
		delete(l, library.LabelTenant)
	}
	return l
}

// sumRates counts a set's events per instance: the sum of the rates of
// the selections, kept apart by the set's tenant label (renamed to the
// tenant identity label).
func sumRates(set *plan.SLOSet, sels []plan.Selector) promql.Expr {
	if set.By == "" {
		return plan.SumRates(sels, baseWindow)
	}
	if len(sels) != 1 {
		panic("rules: a per-tenant SLI reads one selection") // the planner builds one
	}
	r := promql.Rate(sels[0].VectorSelector(), baseWindow)
	if set.By != library.LabelTenant {
		r = promql.Call("label_replace", r, promql.Str(library.LabelTenant), promql.Str("$1"), promql.Str(set.By), promql.Str("(.*)"))
	}
	return promql.Sum(r, library.LabelTenant)
}

// constant is one series of value v per instance of the class, with its
// identity labels: vector(v) labelled with each instance's own values.
func constant(c *sloClass, v float64) promql.Expr {
	var acc promql.Expr
	for _, s := range c.instances() {
		e := promql.Expr(promql.Call("vector", promql.Num(v)))
		for _, k := range s.LabelNames() {
			if _, shared := c.labels[k]; !shared {
				// $ would start a reference in the replacement.
				val := strings.ReplaceAll(s.Label(k), "$", "$$")
				e = promql.Call("label_replace", e, promql.Str(k), promql.Str(val), promql.Str(""), promql.Str(""))
			}
		}
		if acc == nil {
			acc = e
			continue
		}
		// or is left-associative: the chain prints without parentheses.
		acc = &parser.BinaryExpr{Op: parser.LOR, LHS: acc, RHS: e, VectorMatching: &parser.VectorMatching{Card: parser.CardManyToMany}}
	}
	return acc
}

// sloRules returns one class's rules of each layer.
func sloRules(p *plan.Plan, c *sloClass) [4][]Rule {
	var out [4][]Rule
	windows := sloWindows(p)
	l := c.labels
	s := c.first
	slowIv := max(slowInterval, p.EvaluationInterval)

	switch s.SLI.Type {
	case plan.SLIGaugeThreshold:
		// Each evaluation is one event, good when the worst replica's queue
		// is within the limit.
		for _, set := range c.sets {
			gauge := promql.Expr(set.SLI.Gauge.VectorSelector())
			if len(set.SLI.Drop) > 0 {
				gauge = promql.SumWithout(gauge, set.SLI.Drop...)
			}
			out[layerRates] = append(out[layerRates], sloRule(library.RecHeadroomOK, setLabels(set), promql.LteBool(promql.Max(gauge), promql.Num(set.SLI.GaugeMax))))
		}
		ok := c.sel(library.RecHeadroomOK)
		good, total := promql.OverTime("sum", ok, baseWindow), promql.OverTime("count", ok, baseWindow)
		out[layerFast] = append(out[layerFast], sloRule(library.RecSLIGood, l, good), sloRule(library.RecSLITotal, l, total))
		// Both copies count the same series' samples: they agree.
		out[layerSampled] = append(out[layerSampled], sloRule(library.RecSLIGoodSampled, l, good), sloRule(library.RecSLITotalSampled, l, total))
	default:
		for _, set := range c.sets {
			sl := setLabels(set)
			out[layerRates] = append(out[layerRates],
				sloRule(library.RecSLIGood, sl, sumRates(set, set.SLI.Good)),
				sloRule(library.RecSLITotal, sl, sumRates(set, set.SLI.Total)))
		}
		// Each copy is written only where the other's source is there
		// too, so a window never holds good events without their total
		// (a ticket from one unpaired total sample decays only as 1/n).
		good, total := lagged(library.RecSLIGood, c, p.EvaluationInterval), lagged(library.RecSLITotal, c, p.EvaluationInterval)
		out[layerSampled] = append(out[layerSampled],
			sloRule(library.RecSLIGoodSampled, l, promql.And(good, total)),
			sloRule(library.RecSLITotalSampled, l, promql.And(total, good)))
	}

	for _, w := range windows {
		ratio := sloRule(library.RecSLIErrorRatio(w), l, windowRatio(p, c, w))
		if isFast(w) {
			out[layerFast] = append(out[layerFast], ratio)
			out[layerRates] = append(out[layerRates], sloRule(library.RecBurnRate(w), l,
				promql.Div(lagged(library.RecSLIErrorRatio(w), c, p.EvaluationInterval), promql.Num(s.Budget))))
		} else {
			out[layerSlow] = append(out[layerSlow], ratio)
			out[layerSampled] = append(out[layerSampled], sloRule(library.RecBurnRate(w), l,
				promql.Div(lagged(library.RecSLIErrorRatio(w), c, slowIv), promql.Num(s.Budget))))
		}
	}
	periodRatio := lagged(library.RecSLIErrorRatio(p.Period), c, slowIv)
	if isFast(p.Period) {
		periodRatio = lagged(library.RecSLIErrorRatio(p.Period), c, p.EvaluationInterval)
	}
	out[layerSampled] = append(out[layerSampled],
		sloRule(library.RecBudgetRemaining, l, promql.Sub(promql.Num(1), promql.Div(periodRatio, promql.Num(s.Budget)))))
	out[layerSlow] = append(out[layerSlow],
		sloRule(library.RecObjective, l, constant(c, s.Target)),
		sloRule(library.RecErrorBudget, l, constant(c, s.Budget)))

	for _, ac := range alertClasses(p, c) {
		for _, t := range p.Tiers {
			if !t.CanFire(s.Budget) {
				continue // the planner warns; docs/alerts.md lists it as not generated
			}
			a := burnAlert(p, ac, t)
			if isFast(t.Long) && isFast(t.Short) {
				out[layerFast] = append(out[layerFast], a)
			} else {
				out[layerSlow] = append(out[layerSlow], a)
			}
		}
	}
	return out
}

// burnAlert fires when both windows of a tier burn faster than its factor:
// each window's error ratio, computed here from the rates or their copies,
// is over factor × budget.
func burnAlert(p *plan.Plan, c *sloClass, t plan.Tier) Rule {
	s := c.first
	line := promql.Num(t.Factor * s.Budget)
	expr := promql.And(
		promql.Gt(windowRatio(p, c, t.Long), line),
		promql.Gt(windowRatio(p, c, t.Short), line))
	if p.MinEvents > 0 && s.SLI.Type == plan.SLIRatio {
		// Events in the long window: mean rate over the window times its length.
		events := promql.Mul(promql.OverTime("avg", c.sel(library.RecSLITotal), min(t.Long, fastWindowMax)), promql.Num(t.Long.Seconds()))
		expr = promql.And(expr, promql.Gte(events, promql.Num(float64(p.MinEvents))))
	}
	l := maps.Clone(c.labels)
	maps.Copy(l, p.AlertLabels(t.Severity))
	l[library.LabelTier] = t.Name
	return Rule{
		Alert:       AlertName(s),
		Expr:        expr,
		For:         t.For,
		Labels:      l,
		Annotations: burnAnnotationsOf(p, s, t, c.literal),
		scope:       c.scope,
	}
}

// AlertLabels are the labels one instance's alert of tier t fires with.
func AlertLabels(p *plan.Plan, s *plan.SLO, t plan.Tier) map[string]string {
	l := s.Labels()
	maps.Copy(l, p.AlertLabels(t.Severity))
	l[library.LabelTier] = t.Name
	return l
}

// AlertName is the burn-rate alert of an SLO: one name per SLO id, so the
// instances of one alert differ only by model and tenant, and the tier
// label tells its four rules apart.
func AlertName(s *plan.SLO) string { return library.BurnAlertName(s.ID) }

var kindWords = map[library.SLOKind]string{
	library.SLOTTFT:         "time-to-first-token",
	library.SLOITL:          "inter-token-latency",
	library.SLOE2E:          "end-to-end latency",
	library.SLOSuccess:      "success",
	library.SLOCompleteness: "stream-completeness",
	library.SLOHeadroom:     "queue-headroom",
}

// Templates of the names an alert's annotations give: a vectorised rule
// fires for every instance of its class, each naming its own from the
// series' labels; printf "%q" quotes as the literal text does.
var (
	modelTemplate        = "{{ $labels." + library.LabelModel + " }}"
	tenantTemplate       = "{{ $labels." + library.LabelTenant + " }}"
	quotedTenantTemplate = `{{ printf "%q" $labels.` + library.LabelTenant + ` }}`
)

// BurnAnnotations are the annotations of instance s's alert of tier t,
// rendered: what the vectorised rule's templates give for s.
func BurnAnnotations(p *plan.Plan, s *plan.SLO, t plan.Tier) map[string]string {
	return burnAnnotationsOf(p, s, t, true)
}

// burnAnnotationsOf writes the annotations with the instance's names
// (literal) or with templates that render them from the alert's labels.
func burnAnnotationsOf(p *plan.Plan, s *plan.SLO, t plan.Tier, literal bool) map[string]string {
	who, describe := modelTemplate, s.SLI.DescribeWith(quotedTenantTemplate)
	if s.Tenant != nil {
		who += " for tenant " + tenantTemplate
	}
	if literal {
		who, describe = s.Model.Name, s.SLI.Describe
		if s.Tenant != nil {
			who += " for tenant " + s.Tenant.Name
		}
	}
	lasts := time.Duration(float64(p.Period) / t.Factor)
	line := promql.FormatNumber(t.Factor * s.Budget * 100)
	src := "engine metrics"
	if s.Source == schema.SourceGateway {
		src = "gateway spans"
	}
	return map[string]string{
		"summary": fmt.Sprintf("%s: the %s SLO %s of workload %s burns its error budget over %s× too fast (%s)",
			who, kindWords[s.Kind], s.ID, s.Workload.Name, promql.FormatNumber(t.Factor), t.Name),
		"description": fmt.Sprintf("Over both the last %s and the last %s, more than %s%% of events were bad (%s, from %s) against an objective of %s%%: a burn rate above %s×. At %s× the %s error budget lasts %s; this tier fires once %s%% of it is spent within %s.",
			model.Duration(t.Long), model.Duration(t.Short), line, describe, src, promql.FormatNumber(s.Objective),
			promql.FormatNumber(t.Factor), promql.FormatNumber(t.Factor), model.Duration(p.Period), roundDuration(lasts),
			promql.FormatNumber(t.BudgetShare*100), model.Duration(t.Long)),
		"runbook_url": p.RunbookBaseURL + "/slo-" + string(s.Kind) + "-budget-burn",
	}
}

func roundDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		d = d.Round(time.Hour)
	case d >= time.Hour:
		d = d.Round(time.Minute)
	default:
		d = d.Round(time.Second)
	}
	return model.Duration(d).String()
}

// fileName keeps a name usable in a file path.
func fileName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}
