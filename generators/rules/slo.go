package rules

import (
	"fmt"
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

// The SLO rules are tiered so long windows stay cheap:
//
//   - the fast group (every evaluation interval) records the good and total
//     event rates over the 5m base window from the raw series, and the error
//     ratios of windows up to fastWindowMax as ratios of sums of those rates;
//   - the slow group (every slowInterval) copies the 5m rates once per
//     interval and derives every longer window, up to the SLO period, from
//     those 5-minute-spaced samples: a 30-day window reads 8640 samples per
//     series instead of 172800 raw ones.
//
// Ratios of sums weigh every period by its traffic, and a window without
// traffic yields no sample (total > 0 filters 0/0), never a NaN that would
// poison the longer windows. Alerts that read a slow-group window live in
// the slow group, so they never look up a sample older than the lookback.
const (
	baseWindow    = 5 * time.Minute
	fastWindowMax = time.Hour
	slowInterval  = 5 * time.Minute
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
		fast := Group{File: file, Name: "inferobs:slo:" + id + ":fast", Interval: p.EvaluationInterval}
		slow := Group{File: file, Name: "inferobs:slo:" + id + ":slow", Interval: max(slowInterval, p.EvaluationInterval)}
		for _, s := range byID[id] {
			f, sl := sloRules(p, s)
			fast.Rules = append(fast.Rules, f...)
			slow.Rules = append(slow.Rules, sl...)
		}
		groups = append(groups, fast, slow)
	}
	return groups
}

// sloRules returns one SLO instance's fast-group and slow-group rules.
func sloRules(p *plan.Plan, s *plan.SLO) (fast, slow []Rule) {
	windows := sloWindows(p)
	good, total := recorded(library.RecSLIGood, s), recorded(library.RecSLITotal, s)
	l := s.Labels()

	switch s.SLI.Type {
	case plan.SLIGaugeThreshold:
		// Each evaluation is one event, good when the worst replica's queue
		// is within the limit.
		gauge := promql.Expr(s.SLI.Gauge.VectorSelector())
		if len(s.SLI.Drop) > 0 {
			gauge = promql.SumWithout(gauge, s.SLI.Drop...)
		}
		fast = append(fast, sloRule(library.RecHeadroomOK, l, promql.LteBool(promql.Max(gauge), promql.Num(s.SLI.GaugeMax))))
		ok := recordedSel(library.RecHeadroomOK, s)
		fast = append(fast,
			sloRule(library.RecSLIGood, l, promql.OverTime("sum", ok, baseWindow)),
			sloRule(library.RecSLITotal, l, promql.OverTime("count", ok, baseWindow)))
	default:
		fast = append(fast,
			sloRule(library.RecSLIGood, l, plan.SumRates(s.SLI.Good, baseWindow)),
			sloRule(library.RecSLITotal, l, plan.SumRates(s.SLI.Total, baseWindow)))
	}

	goodSampled, totalSampled := recordedSel(library.RecSLIGoodSampled, s), recordedSel(library.RecSLITotalSampled, s)
	slow = append(slow,
		sloRule(library.RecSLIGoodSampled, l, good),
		sloRule(library.RecSLITotalSampled, l, total))

	for _, w := range windows {
		var ratio promql.Expr
		switch {
		case w == baseWindow:
			ratio = errorRatio(good, total)
		case isFast(w):
			ratio = errorRatio(promql.OverTime("sum", recordedSel(library.RecSLIGood, s), w), promql.OverTime("sum", recordedSel(library.RecSLITotal, s), w))
		default:
			ratio = errorRatio(promql.OverTime("sum", goodSampled, w), promql.OverTime("sum", totalSampled, w))
		}
		burn := promql.Div(recorded(library.RecSLIErrorRatio(w), s), promql.Num(s.Budget))
		rs := []Rule{sloRule(library.RecSLIErrorRatio(w), l, ratio), sloRule(library.RecBurnRate(w), l, burn)}
		if isFast(w) {
			fast = append(fast, rs...)
		} else {
			slow = append(slow, rs...)
		}
	}
	slow = append(slow,
		sloRule(library.RecObjective, l, promql.Call("vector", promql.Num(s.Target))),
		sloRule(library.RecErrorBudget, l, promql.Call("vector", promql.Num(s.Budget))),
		sloRule(library.RecBudgetRemaining, l, promql.Sub(promql.Num(1), promql.Div(recorded(library.RecSLIErrorRatio(p.Period), s), promql.Num(s.Budget)))),
	)

	for _, t := range p.Tiers {
		a := burnAlert(p, s, t)
		if isFast(t.Long) && isFast(t.Short) {
			fast = append(fast, a)
		} else {
			slow = append(slow, a)
		}
	}
	return fast, slow
}

// burnAlert fires when both windows of a tier burn faster than its factor.
func burnAlert(p *plan.Plan, s *plan.SLO, t plan.Tier) Rule {
	factor := promql.Num(t.Factor)
	expr := promql.And(
		promql.Gt(recorded(library.RecBurnRate(t.Long), s), factor),
		promql.Gt(recorded(library.RecBurnRate(t.Short), s), factor))
	if p.MinEvents > 0 && s.SLI.Type == plan.SLIRatio {
		// Events in the long window: mean rate over the window times its length.
		events := promql.Mul(promql.OverTime("avg", recordedSel(library.RecSLITotal, s), min(t.Long, fastWindowMax)), promql.Num(t.Long.Seconds()))
		expr = promql.And(expr, promql.Gte(events, promql.Num(float64(p.MinEvents))))
	}
	l := s.Labels()
	l[library.LabelSeverity] = t.Severity
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
