package rules

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/generators/yamlw"
)

// promtool's unit-test file format.
type testFile struct {
	RuleFiles          []string    `yaml:"rule_files"`
	EvaluationInterval string      `yaml:"evaluation_interval"`
	GroupEvalOrder     []string    `yaml:"group_eval_order,omitempty"`
	Tests              []testGroup `yaml:"tests"`
}

type testGroup struct {
	Name        string        `yaml:"name"`
	Interval    string        `yaml:"interval"`
	InputSeries []inputSeries `yaml:"input_series"`
	AlertTests  []alertTest   `yaml:"alert_rule_test,omitempty"`
	ExprTests   []exprTest    `yaml:"promql_expr_test,omitempty"`
}

type inputSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

type alertTest struct {
	EvalTime  string     `yaml:"eval_time"`
	Alertname string     `yaml:"alertname"`
	ExpAlerts []expAlert `yaml:"exp_alerts"`
}

type expAlert struct {
	ExpLabels      map[string]string `yaml:"exp_labels"`
	ExpAnnotations map[string]string `yaml:"exp_annotations"`
}

type exprTest struct {
	Expr       string      `yaml:"expr"`
	EvalTime   string      `yaml:"eval_time"`
	ExpSamples []expSample `yaml:"exp_samples"`
}

type expSample struct {
	Labels string  `yaml:"labels"`
	Value  float64 `yaml:"value"`
}

// Tests returns the promtool unit tests: per SLO instance a healthy, a
// fast-burn-and-recovery and a slow-burn scenario, and per diagnostic alert
// a firing and a quiet case.
func Tests(p *plan.Plan, s *Set) ([]emit.Artifact, error) {
	return testsFor(p, alertRules(s), groupOrder(s))
}

// groupOrder lists each file's group names in the order they are written:
// the SLO tests evaluate them in that order (group_eval_order), so every
// reader sees the records of the same evaluation, as the window math
// replay's lag-0 semantics assumes.
func groupOrder(s *Set) map[string][]string {
	out := map[string][]string{}
	for _, g := range s.Groups {
		out[g.File] = append(out[g.File], g.Name)
	}
	return out
}

// testsFor builds the tests from the alerting rules alone (indexed by
// alertRules), so it can run while the rule files render.
func testsFor(p *plan.Plan, alerts map[string][]Rule, order map[string][]string) ([]emit.Artifact, error) {
	var arts []emit.Artifact
	cache := simCache{}
	type file struct {
		rules []string
		order []string
		every int
		tests []testGroup
	}
	byName := map[string]*file{}
	var names []string
	add := func(name string, rules, order []string, every int, tg ...testGroup) {
		f, ok := byName[name]
		if !ok {
			f = &file{rules: rules, order: order, every: every}
			byName[name] = f
			names = append(names, name)
		}
		f.tests = append(f.tests, tg...)
	}
	// The instances of a set share their rules: test the first tenant's
	// scenarios beside a second tenant that stays healthy, so the rules
	// must keep the tenants apart and the test count does not grow with
	// tenants.
	for _, set := range p.SLOSets {
		rf := SLOFile(set.First())
		fast, slow := sloTests(p, set, cache)
		add(rf+"-fast-burn", []string{rf}, order[rf], fastEvery, fast...)
		add(rf, []string{rf}, order[rf], slowEvery, slow...)
	}
	if dt := diagnosticTests(p, alerts); len(dt) > 0 {
		add("diagnostics", []string{"diagnostics", "recording"}, nil, fastEvery, dt...)
	}
	sort.Strings(names)
	for _, name := range names {
		f := byName[name]
		tf := testFile{EvaluationInterval: model.Duration(time.Duration(f.every) * time.Minute).String(), GroupEvalOrder: f.order, Tests: f.tests}
		for _, r := range f.rules {
			tf.RuleFiles = append(tf.RuleFiles, "../prometheus/"+r+".yaml")
		}
		data := []byte(header + "# Run with: promtool test rules " + name + ".yaml (from this directory).\n")
		if useYAMLv3 {
			arts = append(arts, emit.Artifact{Path: "tests/" + name + ".yaml", Data: encodeV3(data, tf)})
			continue
		}
		arts = append(arts, emit.Artifact{Path: "tests/" + name + ".yaml", Data: yamlw.Append(data, tf.node())})
	}
	return arts, nil
}

// alertRules indexes copies of the alerting rules by name.
func alertRules(s *Set) map[string][]Rule {
	out := map[string][]Rule{}
	for _, g := range s.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				r.Expr = nil // the tests read names, labels and annotations
				out[r.Alert] = append(out[r.Alert], r)
			}
		}
	}
	return out
}

// eventsPerMinute is the synthetic traffic of one SLO instance.
const eventsPerMinute = 120.0

// Evaluation intervals of the generated tests, in minutes: fast-burn tests
// run every minute so they can pin the page to one evaluation; healthy and
// slow-burn tests run every 5 minutes, which keeps days of history cheap.
const (
	fastEvery = 1
	slowEvery = 5
)

// sloTests builds the scenarios of a set's first instance: the fast-burn
// test groups (evaluated every minute) and the healthy and slow-burn ones.
// A second instance of the set, when there is one, stays healthy beside it.
func sloTests(p *plan.Plan, set *plan.SLOSet, cache simCache) (fastTests, slowTests []testGroup) {
	s := set.First()
	var other *plan.SLO
	if len(set.Instances) > 1 {
		other = set.Instances[1]
	}
	b := s.Budget
	gauge := s.SLI.Type == plan.SLIGaugeThreshold
	healthy := 0.5 * b
	fast := math.Min(1, p.Tiers[0].Factor*b/0.9)
	slow := slowBurn(p) * b
	if gauge {
		// A gauge SLI counts whole evaluations: healthy means never over.
		healthy, fast = 0, 1
	}
	day := 24 * 60
	who := s.ID + " " + s.Model.Name
	if s.Tenant != nil {
		who += " " + s.Tenant.Name
	}
	if other != nil {
		who += " (" + other.Tenant.Name + " healthy beside it)"
	}

	sc := scenario{{2 * day, healthy}}
	slowTests = append(slowTests, sloTestGroup(p, s, other, healthy, cache, fmt.Sprintf("%s: healthy traffic at 0.5x the budget rate (%s%% bad) for 2 days raises nothing", who, pct(healthy)), sc, slowEvery))

	// Fast burn after a day of healthy history (warm windows, as in
	// production), until the fastest page has fired for 30 minutes, then
	// recovery until every tier has resolved.
	warm := scenario{{day, healthy}}
	burnFor := burnUntilFired(p, s, cache, warm, fast, 6*60)
	sc = append(append(scenario{}, warm...), phase{burnFor, fast}, phase{recoveryMinutes(p), healthy})
	fastTests = append(fastTests, sloTestGroup(p, s, other, healthy, cache, fmt.Sprintf("%s: fast burn (%s%% bad) after a healthy day pages at the predicted time, then resolves", who, pct(fast)), sc, fastEvery))

	if slow > healthy && slow < 1 {
		var burn scenario
		if gauge {
			burn = gaugePattern(slow, 3*day/2)
		} else {
			burn = scenario{{3 * day / 2, slow}}
		}
		sc = append(append(scenario{}, warm...), burn...)
		slowTests = append(slowTests, sloTestGroup(p, s, other, healthy, cache, fmt.Sprintf("%s: slow burn (%s%% bad, %sx) opens a ticket at the predicted time and never pages", who, pct(slow), promql.FormatNumber(slowBurn(p))), sc, slowEvery))
	}
	return fastTests, slowTests
}

// slowBurn is a burn factor between the highest ticket factor and the
// lowest page factor (4x for the SRE workbook table).
func slowBurn(p *plan.Plan) float64 {
	lowPage, highTicket := math.Inf(1), 0.0
	for _, t := range p.Tiers {
		if t.Severity == "page" {
			lowPage = math.Min(lowPage, t.Factor)
		} else {
			highTicket = math.Max(highTicket, t.Factor)
		}
	}
	if math.IsInf(lowPage, 1) {
		return 2 * highTicket
	}
	if highTicket < 4 && 4 < lowPage {
		return 4
	}
	return promql.Canonical(math.Sqrt(lowPage * math.Max(highTicket, 1)))
}

// burnUntilFired returns how long to burn: until the first tier fires, plus
// 30 minutes, at most limit minutes.
func burnUntilFired(p *plan.Plan, s *plan.SLO, cache simCache, warm scenario, bad float64, limit int) int {
	sc := append(append(scenario{}, warm...), phase{limit, bad})
	sim := cache.simulate(p, s, sc, 1, bothSemantics[1])
	start := warm.minutes()
	for i := start; i <= sc.minutes(); i++ {
		for _, f := range sim.firing {
			if f[i] {
				return min(i-start+30, limit)
			}
		}
	}
	return limit
}

// recoveryMinutes lets the longest short window drain after a burn.
func recoveryMinutes(p *plan.Plan) int {
	longest := time.Duration(0)
	for _, t := range p.Tiers {
		longest = max(longest, t.Short)
	}
	return int((longest + time.Hour) / time.Minute)
}

// gaugePattern spreads a bad fraction over 20-minute cycles of whole bad
// and good minutes.
func gaugePattern(bad float64, minutes int) scenario {
	const cycle = 20
	k := int(math.Round(bad * cycle))
	var sc scenario
	for m := 0; m < minutes; m += cycle {
		sc = append(sc, phase{k, 1}, phase{cycle - k, 0})
	}
	return sc
}

func pct(f float64) string { return promql.FormatNumber(f * 100) }

// sloTestGroup renders one scenario: its input series (and, with other,
// the other instance's at the healthy fraction throughout) and, at check
// times where both range-selection rules predict the same, the exact set
// of alerts that must be firing: only s's, labelled and annotated as s.
func sloTestGroup(p *plan.Plan, s, other *plan.SLO, healthy float64, cache simCache, name string, sc scenario, every int) testGroup {
	var sims []simulation
	for _, sem := range bothSemantics {
		sims = append(sims, cache.simulate(p, s, sc, every, sem))
	}
	in := sloSeries(p, s, sc)
	if other != nil {
		in = append(in, sloSeries(p, other, scenario{{sc.minutes(), healthy}})...)
	}
	g := testGroup{Name: name, Interval: model.Duration(sampleStep).String(), InputSeries: in}
	alert := AlertName(s)
	// A tier's expected alert is the same at every check time: build it once.
	expected := make([]*expAlert, len(p.Tiers))
	for _, e := range checkTimes(p, sims) {
		exp := []expAlert{}
		for ti, t := range p.Tiers {
			if sims[0].firing[ti][e] && t.CanFire(s.Budget) {
				if expected[ti] == nil {
					expected[ti] = &expAlert{ExpLabels: AlertLabels(p, s, t), ExpAnnotations: BurnAnnotations(p, s, t)}
				}
				exp = append(exp, *expected[ti])
			}
		}
		g.AlertTests = append(g.AlertTests, alertTest{EvalTime: model.Duration(time.Duration(e*every) * time.Minute).String(), Alertname: alert, ExpAlerts: exp})
	}
	return g
}

// checkTimes picks the evaluations to assert: every 6 hours, and around
// each transition of a tier in either simulation (the last evaluation
// before and the first after), keeping those where both simulations agree
// on every tier.
func checkTimes(p *plan.Plan, sims []simulation) []int {
	every := sims[0].evalEvery
	n := len(sims[0].firing[0])
	var cands []int
	for e := 360 / every; e < n; e += 360 / every {
		cands = append(cands, e)
	}
	type cand struct{ e, tier int }
	var cs []cand
	for _, e := range cands {
		cs = append(cs, cand{e, -1})
	}
	// Around a transition at e: the engine may cross the line one
	// evaluation earlier or later than predicted, so assert the old state
	// at e-2 and the new one at e+1.
	for _, sim := range sims {
		for ti, f := range sim.firing {
			for e := 1; e < n; e++ {
				if f[e] != f[e-1] {
					cs = append(cs, cand{e - 2, ti}, cand{e + 1, ti})
				}
			}
		}
	}
	// stable: every tier but the one asserted keeps its state within two
	// evaluations of e, and both simulations agree.
	stable := func(c cand) bool {
		for ti := range sims[0].firing {
			lo, hi := c.e-2, c.e+2
			if ti == c.tier {
				lo, hi = c.e, c.e
			}
			for j := lo; j <= hi; j++ {
				if j < 0 || j >= n {
					return false
				}
				for _, sim := range sims {
					if sim.firing[ti][j] != sims[0].firing[ti][c.e] || !sim.settled(ti, j, p.Tiers[ti].For) {
						return false
					}
				}
			}
		}
		return true
	}
	seen := map[int]bool{}
	var out []int
	for _, c := range cs {
		e := c.e
		if e < 1 || e >= n || seen[e] || !stable(c) {
			continue
		}
		seen[e] = true
		out = append(out, e)
	}
	sort.Ints(out)
	return out
}

// replicas is how many replicas (and data-parallel engines) the synthetic
// series are split over, so the tests also prove the aggregation.
const replicas = 2

// sloSeries writes the scenario as the SLI's example series, split over
// replicas and data-parallel engines.
func sloSeries(p *plan.Plan, s *plan.SLO, sc scenario) []inputSeries {
	ex := s.SLI.Example
	shards := shardLabels(s)
	ranks := 0 // data-parallel ranks per replica (shards share an instance)
	for _, sh := range shards {
		if sh["instance"] == shards[0]["instance"] {
			ranks++
		}
	}
	var out []inputSeries
	per := eventsPerMinute / float64(len(shards))
	for _, shard := range shards {
		switch ex.Shape {
		case plan.ShapeHistogram:
			out = append(out,
				inputSeries{seriesText(ex.Good, shard), counterValues(sc, func(bad float64) float64 { return per * (1 - bad) })},
				inputSeries{seriesText(ex.Total, shard), counterValues(sc, func(float64) float64 { return per })})
		case plan.ShapePartition:
			out = append(out,
				inputSeries{seriesText(ex.Good, shard), counterValues(sc, func(bad float64) float64 { return per * (1 - bad) })},
				inputSeries{seriesText(ex.Bad, shard), counterValues(sc, func(bad float64) float64 { return per * bad })})
		case plan.ShapeGauge:
			// Over the limit per replica, but split across its
			// data-parallel ranks so that no rank alone is: a rule that
			// forgets to sum the ranks misses the breach.
			over := (s.SLI.GaugeMax + 1) / float64(ranks)
			out = append(out, inputSeries{seriesText(ex.Good, shard), gaugeValues(sc, func(bad float64) float64 {
				if bad >= 0.5 {
					return over
				}
				return 0
			})})
		}
	}
	return out
}

// shardLabels are the extra labels of each synthetic shard: an instance
// per replica and, where the engine splits per data-parallel rank, an
// engine label.
func shardLabels(s *plan.SLO) []map[string]string {
	var out []map[string]string
	dp := []string{""}
	if s.Source != "gateway" && s.Model.Catalog.HasDataParallelLabel() {
		dp = []string{"0", "1"}
	}
	for r := 0; r < replicas; r++ {
		for _, e := range dp {
			l := map[string]string{"instance": fmt.Sprintf("replica-%d:%d", r, s.Model.Catalog.Info.DefaultPort)}
			if e != "" {
				l[s.Model.Catalog.Info.DataParallelLabel] = e
			}
			out = append(out, l)
		}
	}
	return out
}

// seriesText prints a series in promtool's notation, label values quoted
// the way PromQL reads them.
func seriesText(ser plan.Series, extra map[string]string) string {
	l := map[string]string{}
	for k, v := range ser.Labels {
		l[k] = v
	}
	for k, v := range extra {
		l[k] = v
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(l[k])
	}
	return ser.Name + "{" + strings.Join(parts, ",") + "}"
}

// counterValues expands a scenario into counter samples, one per minute
// from 0, with per-minute increments inc(bad) per phase.
func counterValues(sc scenario, inc func(bad float64) float64) string {
	var segs []string
	v := 0.0
	first := true
	for _, ph := range sc {
		d := promql.Canonical(inc(ph.bad))
		n := ph.minutes
		if n == 0 {
			continue
		}
		if first {
			// The first sample is 0; the phase adds its minutes after it.
			segs = append(segs, fmt.Sprintf("%s+%sx%d", num(v), num(d), n))
			first = false
		} else {
			segs = append(segs, fmt.Sprintf("%s+%sx%d", num(v+d), num(d), n-1))
		}
		v = promql.Canonical(v + d*float64(n))
	}
	return strings.Join(segs, " ")
}

// gaugeValues expands a scenario into gauge samples.
func gaugeValues(sc scenario, val func(bad float64) float64) string {
	var segs []string
	first := true
	for _, ph := range sc {
		if ph.minutes == 0 {
			continue
		}
		n := ph.minutes - 1
		if first {
			n, first = ph.minutes, false
		}
		segs = append(segs, fmt.Sprintf("%s+0x%d", num(val(ph.bad)), n))
	}
	return strings.Join(segs, " ")
}

func num(f float64) string { return promql.FormatNumber(f) }
