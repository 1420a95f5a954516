package rules

import (
	"fmt"
	"maps"
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

// idMatchers select one SLO instance's recorded series.
func idMatchers(s *plan.SLO) []*labels.Matcher {
	names := s.LabelNames()
	ms := make([]*labels.Matcher, len(names))
	for i, k := range names {
		ms[i] = promql.Eq(k, s.Label(k))
	}
	return ms
}

func recorded(name string, s *plan.SLO) promql.Expr { return promql.Sel(name, idMatchers(s)...) }

func recordedSel(name string, s *plan.SLO) *parser.VectorSelector {
	return promql.Sel(name, idMatchers(s)...)
}

// sloRule records e with the SLO's identity labels l, one map shared by
// the SLO's recording rules (rules never modify their labels).
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
	byID := map[string][]*plan.SLO{}
	var order []string
	for _, s := range p.SLOs {
		if _, ok := byID[s.ID]; !ok {
			order = append(order, s.ID)
		}
		byID[s.ID] = append(byID[s.ID], s)
	}
	var groups []Group
	for _, id := range order {
		file := SLOFile(byID[id][0])
		slowIv := max(slowInterval, p.EvaluationInterval)
		gs := [4]Group{
			{File: file, Name: "inferobs:slo:" + id + ":rates", Interval: p.EvaluationInterval},
			{File: file, Name: "inferobs:slo:" + id + ":fast", Interval: p.EvaluationInterval},
			{File: file, Name: "inferobs:slo:" + id + ":sampled", Interval: slowIv},
			{File: file, Name: "inferobs:slo:" + id + ":slow", Interval: slowIv},
		}
		for _, s := range byID[id] {
			rs := sloRules(p, s)
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
func lagged(name string, s *plan.SLO, interval time.Duration) promql.Expr {
	return promql.OverTime("last", recordedSel(name, s), lagReads*interval)
}

// sums returns the good and total expressions whose ratio is the error
// ratio of window w, read from the rates (fast windows) or their sampled
// copies (slow windows), never from a series of the reader's own group.
func sums(p *plan.Plan, s *plan.SLO, w time.Duration) (good, total promql.Expr) {
	switch {
	case !isFast(w):
		return promql.OverTime("sum", recordedSel(library.RecSLIGoodSampled, s), w), promql.OverTime("sum", recordedSel(library.RecSLITotalSampled, s), w)
	case s.SLI.Type == plan.SLIGaugeThreshold:
		// The share of good evaluations in the window.
		ok := recordedSel(library.RecHeadroomOK, s)
		return promql.OverTime("sum", ok, w), promql.OverTime("count", ok, w)
	case w == baseWindow:
		return lagged(library.RecSLIGood, s, p.EvaluationInterval), lagged(library.RecSLITotal, s, p.EvaluationInterval)
	default:
		return promql.OverTime("sum", recordedSel(library.RecSLIGood, s), w), promql.OverTime("sum", recordedSel(library.RecSLITotal, s), w)
	}
}

func windowRatio(p *plan.Plan, s *plan.SLO, w time.Duration) promql.Expr {
	return errorRatio(sums(p, s, w))
}

// sloRules returns one SLO instance's rules of each layer.
func sloRules(p *plan.Plan, s *plan.SLO) [4][]Rule {
	var out [4][]Rule
	windows := sloWindows(p)
	l := s.Labels()
	slowIv := max(slowInterval, p.EvaluationInterval)

	switch s.SLI.Type {
	case plan.SLIGaugeThreshold:
		// Each evaluation is one event, good when the worst replica's queue
		// is within the limit.
		gauge := promql.Expr(s.SLI.Gauge.VectorSelector())
		if len(s.SLI.Drop) > 0 {
			gauge = promql.SumWithout(gauge, s.SLI.Drop...)
		}
		out[layerRates] = append(out[layerRates], sloRule(library.RecHeadroomOK, l, promql.LteBool(promql.Max(gauge), promql.Num(s.SLI.GaugeMax))))
		ok := recordedSel(library.RecHeadroomOK, s)
		good, total := promql.OverTime("sum", ok, baseWindow), promql.OverTime("count", ok, baseWindow)
		out[layerFast] = append(out[layerFast], sloRule(library.RecSLIGood, l, good), sloRule(library.RecSLITotal, l, total))
		// Both copies count the same series' samples: they agree.
		out[layerSampled] = append(out[layerSampled], sloRule(library.RecSLIGoodSampled, l, good), sloRule(library.RecSLITotalSampled, l, total))
	default:
		out[layerRates] = append(out[layerRates],
			sloRule(library.RecSLIGood, l, plan.SumRates(s.SLI.Good, baseWindow)),
			sloRule(library.RecSLITotal, l, plan.SumRates(s.SLI.Total, baseWindow)))
		// Each copy is written only where the other's source is there
		// too, so a window never holds good events without their total
		// (a ticket from one unpaired total sample decays only as 1/n).
		good, total := lagged(library.RecSLIGood, s, p.EvaluationInterval), lagged(library.RecSLITotal, s, p.EvaluationInterval)
		out[layerSampled] = append(out[layerSampled],
			sloRule(library.RecSLIGoodSampled, l, promql.And(good, total)),
			sloRule(library.RecSLITotalSampled, l, promql.And(total, good)))
	}

	for _, w := range windows {
		ratio := sloRule(library.RecSLIErrorRatio(w), l, windowRatio(p, s, w))
		if isFast(w) {
			out[layerFast] = append(out[layerFast], ratio)
			out[layerRates] = append(out[layerRates], sloRule(library.RecBurnRate(w), l,
				promql.Div(lagged(library.RecSLIErrorRatio(w), s, p.EvaluationInterval), promql.Num(s.Budget))))
		} else {
			out[layerSlow] = append(out[layerSlow], ratio)
			out[layerSampled] = append(out[layerSampled], sloRule(library.RecBurnRate(w), l,
				promql.Div(lagged(library.RecSLIErrorRatio(w), s, slowIv), promql.Num(s.Budget))))
		}
	}
	periodRatio := lagged(library.RecSLIErrorRatio(p.Period), s, slowIv)
	if isFast(p.Period) {
		periodRatio = lagged(library.RecSLIErrorRatio(p.Period), s, p.EvaluationInterval)
	}
	out[layerSampled] = append(out[layerSampled],
		sloRule(library.RecBudgetRemaining, l, promql.Sub(promql.Num(1), promql.Div(periodRatio, promql.Num(s.Budget)))))
	out[layerSlow] = append(out[layerSlow],
		sloRule(library.RecObjective, l, promql.Call("vector", promql.Num(s.Target))),
		sloRule(library.RecErrorBudget, l, promql.Call("vector", promql.Num(s.Budget))))

	for _, t := range p.Tiers {
		if !t.CanFire(s.Budget) {
			continue // the planner warns; docs/alerts.md lists it as not generated
		}
		a := burnAlert(p, s, t)
		if isFast(t.Long) && isFast(t.Short) {
			out[layerFast] = append(out[layerFast], a)
		} else {
			out[layerSlow] = append(out[layerSlow], a)
		}
	}
	return out
}

// burnAlert fires when both windows of a tier burn faster than its factor:
// each window's error ratio, computed here from the rates or their copies,
// is over factor × budget.
func burnAlert(p *plan.Plan, s *plan.SLO, t plan.Tier) Rule {
	line := promql.Num(t.Factor * s.Budget)
	expr := promql.And(
		promql.Gt(windowRatio(p, s, t.Long), line),
		promql.Gt(windowRatio(p, s, t.Short), line))
	if p.MinEvents > 0 && s.SLI.Type == plan.SLIRatio {
		// Events in the long window: mean rate over the window times its length.
		events := promql.Mul(promql.OverTime("avg", recordedSel(library.RecSLITotal, s), min(t.Long, fastWindowMax)), promql.Num(t.Long.Seconds()))
		expr = promql.And(expr, promql.Gte(events, promql.Num(float64(p.MinEvents))))
	}
	l := s.Labels()
	maps.Copy(l, p.AlertLabels(t.Severity))
	l[library.LabelTier] = t.Name
	return Rule{
		Alert:       AlertName(s),
		Expr:        expr,
		For:         t.For,
		Labels:      l,
		Annotations: burnAnnotations(p, s, t),
	}
}

// AlertName is the burn-rate alert of an SLO: one name per SLO id, so the
// instances of one alert differ only by model and tenant, and the tier
// label tells its four rules apart.
func AlertName(s *plan.SLO) string { return camel(s.ID) + "BudgetBurn" }

var acronyms = map[string]string{"ttft": "TTFT", "itl": "ITL", "e2e": "E2E", "rag": "RAG", "llm": "LLM", "gpu": "GPU", "kv": "KV"}

// camel turns "support-chat-ttft" into "SupportChatTTFT".
func camel(s string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		if a, ok := acronyms[strings.ToLower(part)]; ok {
			b.WriteString(a)
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	out := b.String()
	if out == "" || (out[0] >= '0' && out[0] <= '9') {
		out = "SLO" + out
	}
	return out
}

var kindWords = map[library.SLOKind]string{
	library.SLOTTFT:         "time-to-first-token",
	library.SLOITL:          "inter-token-latency",
	library.SLOE2E:          "end-to-end latency",
	library.SLOSuccess:      "success",
	library.SLOCompleteness: "stream-completeness",
	library.SLOHeadroom:     "queue-headroom",
}

func burnAnnotations(p *plan.Plan, s *plan.SLO, t plan.Tier) map[string]string {
	// Names are written out, not templated: each rule belongs to one SLO
	// instance, and literal text keeps the generated tests exact.
	who := s.Model.Name
	if s.Tenant != nil {
		who += " for tenant " + s.Tenant.Name
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
			model.Duration(t.Long), model.Duration(t.Short), line, s.SLI.Describe, src, promql.FormatNumber(s.Objective),
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
