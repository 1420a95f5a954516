package rules_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/rules"
	"github.com/inferobs/inferobs/generators/rules/ruletest"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// compileWith compiles an example with one text replaced in its files.
func compileWith(t *testing.T, example, old, repl string) *compiler.Result {
	t.Helper()
	r := compileEdited(t, example, old, repl)
	if r.Plan.EvaluationInterval != time.Minute {
		t.Fatalf("evaluation interval %s, want 1m", r.Plan.EvaluationInterval)
	}
	return r
}

// compileEdited compiles an example with old replaced by repl in its files.
func compileEdited(t *testing.T, example, old, repl string) *compiler.Result {
	t.Helper()
	var files []schema.File
	paths, _ := filepath.Glob(filepath.Join("..", "..", "examples", example, "*.cue"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, schema.File{Name: p, Data: []byte(strings.ReplaceAll(string(data), old, repl))})
	}
	r, err := compiler.CompileFiles(files...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rulesDir is where the visibility tests read rule files: the compiled
// output, or INFEROBS_RULES_DIR (to run them once against another rule
// layout, e.g. an older release's, compiled from the same spec).
func rulesDir(t *testing.T, r *compiler.Result) string {
	if d := os.Getenv("INFEROBS_RULES_DIR"); d != "" {
		return d
	}
	return filepath.Join(writeOut(t, r), "prometheus")
}

// firedTiers is the set of tiers of an SLO's alert that fired at all.
func firedTiers(tl ruletest.Timeline, s *plan.SLO) map[string]bool {
	out := map[string]bool{}
	alert := `alertname="` + rules.AlertName(s) + `"`
	for key := range tl {
		if !strings.Contains(key, alert) || !strings.Contains(key, `model="`+s.Model.Name+`"`) {
			continue
		}
		for _, p := range strings.Split(strings.Trim(key, "{}"), ", ") {
			if v, ok := strings.CutPrefix(p, library.LabelTier+"="); ok {
				out[strings.Trim(v, `"`)] = true
			}
		}
	}
	return out
}

// TestTiersFireWithoutSeeingOwnWrites: under a ruler that makes no result
// visible within the evaluation that computed it (vmalert writing through
// remote write) and whose instant lookback is no longer than a group's
// interval (VictoriaMetrics' (T-step, T]), so that a group's previous
// sample is out of reach too, every tier the window math predicts still
// fires on a fast and on a slow burn, and no other. The rules that read
// a series of their own group (the layout before 0.x: burn rates and
// alerts beside the ratios they read) lose every slow tier here.
func TestTiersFireWithoutSeeingOwnWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("long: evaluates days of rules per SLO")
	}
	r := compileWith(t, "quickstart", `evaluationInterval: "30s"`, `evaluationInterval: "1m"`)
	dir := rulesDir(t, r)
	ruler := ruletest.Ruler{Lookback: time.Minute, Deferred: true}
	p := r.Plan
	seen := map[string]bool{}
	for _, s := range p.SLOs {
		if seen[s.ID] {
			continue
		}
		seen[s.ID] = true
		b := s.Budget
		fast, slow := min(1, p.Tiers[0].Factor*b/0.9), 4*b
		if s.SLI.Type == plan.SLIGaugeThreshold {
			fast, slow = 1, -1 // whole evaluations; slow burn covered by the generated tests
		}
		scenarios := map[string][]rules.Phase{"fast burn": {{120, 0.5 * b}, {360, fast}}}
		if slow > 0 && slow < 1 {
			scenarios["slow burn"] = []rules.Phase{{120, 0.5 * b}, {600, slow}}
		}
		for name, ph := range scenarios {
			t.Run(s.ID+"/"+name, func(t *testing.T) {
				minutes := 0
				for _, x := range ph {
					minutes += x.Minutes
				}
				in := ruletest.Input{Interval: time.Minute, Series: rules.ScenarioSeries(p, s, ph)}
				tl, err := ruletest.Evaluate(ruler, []string{filepath.Join(dir, rules.SLOFile(s)+".yaml")}, in, time.Minute, time.Duration(minutes)*time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				got := firedTiers(tl, s)
				// Reads one evaluation late at most: what both lag models
				// predict must happen, what neither does must not.
				want0, want1 := rules.PredictedTiers(p, s, ph, 1, 0), rules.PredictedTiers(p, s, ph, 1, 1)
				any := false
				for i, tier := range p.Tiers {
					switch {
					case want0[i] && want1[i] && !got[tier.Name]:
						t.Errorf("%s never fires (predicted to)", tier.Name)
					case !want0[i] && !want1[i] && got[tier.Name]:
						t.Errorf("%s fires (predicted not to)", tier.Name)
					}
					any = any || want1[i]
				}
				if !any {
					t.Errorf("scenario fires no tier: not a test")
				}
			})
		}
	}
}

// TestUnpairedSamplingRaisesNothing: the ruler starts while traffic is
// healthy, and at its first evaluation the good events' rate is written
// after the slow groups have read (a race between groups: vmalert's
// asynchronous writes, or two Prometheus groups due at once). Copies of
// good and total taken at different evaluations would leave one total
// without its good events in every long window, a ticket for hours; taken
// together they raise nothing in a day.
func TestUnpairedSamplingRaisesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("long: evaluates a day of rules per SLO")
	}
	r := compileWith(t, "quickstart", `evaluationInterval: "30s"`, `evaluationInterval: "1m"`)
	dir := rulesDir(t, r)
	const start = 30 * time.Minute
	ruler := ruletest.Ruler{
		Lookback:  5 * time.Minute,
		Immediate: true,
		StartAt:   start,
		Delay: func(_, rule string, at time.Duration) bool {
			return rule == library.RecSLIGood && at == start
		},
	}
	p := r.Plan
	seen := map[string]bool{}
	for _, s := range p.SLOs {
		if seen[s.ID] || s.SLI.Type == plan.SLIGaugeThreshold {
			continue
		}
		seen[s.ID] = true
		t.Run(s.ID, func(t *testing.T) {
			ph := []rules.Phase{{24 * 60, 0.5 * s.Budget}}
			in := ruletest.Input{Interval: time.Minute, Series: rules.ScenarioSeries(p, s, ph)}
			// The slow groups run every 5m: step 5m keeps a day cheap and
			// still evaluates every group at every time it is due.
			tl, err := ruletest.Evaluate(ruler, []string{filepath.Join(dir, rules.SLOFile(s)+".yaml")}, in, 5*time.Minute, 24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if got := firedTiers(tl, s); len(got) > 0 {
				t.Errorf("healthy traffic raises %v", got)
			}
		})
	}
}

// TestImpossibleTiersNotEmitted: a tier whose line factor × budget is at
// or above 100 % bad can never fire, so no rule is written for it, and
// docs/alerts.md says which and why. The quickstart's 90 % completeness
// SLO cannot reach the 14.4× page (its highest burn rate is 10×).
func TestImpossibleTiersNotEmitted(t *testing.T) {
	// At 90 % the 14.4x page needs 144 % bad events.
	r := compileEdited(t, "quickstart", "completeness: {objective: 99}", "completeness: {objective: 90}")
	groups, err := rulesOf(r)
	if err != nil {
		t.Fatal(err)
	}
	budget := map[string]float64{}
	for _, s := range r.Plan.SLOs {
		budget[s.ID] = s.Budget
	}
	factor := map[string]float64{}
	for _, tier := range r.Plan.Tiers {
		factor[tier.Name] = tier.Factor
	}
	emitted := map[string]bool{}
	for _, g := range groups {
		for _, rule := range g.Rules {
			slo, tier := rule.Labels["slo"], rule.Labels[library.LabelTier]
			if rule.Alert == "" || tier == "" {
				continue
			}
			emitted[slo+"/"+tier] = true
			if factor[tier]*budget[slo] >= 1 {
				t.Errorf("%s %s: emitted with a line of %g", rule.Alert, tier, factor[tier]*budget[slo])
			}
		}
	}
	if emitted["support-chat-completeness/page-fast"] || !emitted["support-chat-completeness/page-slow"] || !emitted["support-chat-ttft/page-fast"] {
		t.Errorf("emitted tiers: %v", emitted)
	}
	doc, ok := r.Artifact("docs/alerts.md")
	if !ok {
		t.Fatal("no docs/alerts.md")
	}
	if !strings.Contains(string(doc.Data), "## SLO tiers not generated") || !strings.Contains(string(doc.Data), "| SupportChatCompletenessBudgetBurn | llama-3.1-8b | - | page-fast | its line, 144% bad, is out of reach") {
		t.Errorf("docs/alerts.md does not list the completeness page-fast as not generated:\n%s", doc)
	}
}

// TestRulerLimits: with target.ruler "mimir" every group holds at most
// Mimir's default 20 rules, or target.maxRulesPerGroup; split groups keep
// their file, interval and order. Over target.maxGroups, each file's
// consecutive groups of one interval are packed into as few as the rules
// limit allows, with the same rules in the same order. The generated tests
// pass on both layouts, and a spec that cannot fit is a positioned error.
func TestRulerLimits(t *testing.T) {
	// The tests of one SLO (both files) and the diagnostics run on the
	// split and merged layouts: every test file takes seconds.
	layout := func(extra string, run bool) []ruleGroup {
		t.Helper()
		r := compileEdited(t, "quickstart", `evaluationInterval: "30s"`, `evaluationInterval: "30s"
	ruler: "mimir"`+extra)
		groups, err := rulesOf(r)
		if err != nil {
			t.Fatal(err)
		}
		if !run {
			return groups
		}
		dir := writeOut(t, r)
		tests, _ := filepath.Glob(filepath.Join(dir, "tests", "slo-support-chat-ttft*.yaml"))
		if len(tests) != 2 {
			t.Fatalf("tests of support-chat-ttft: %v", tests)
		}
		for _, f := range append(tests, filepath.Join(dir, "tests", "diagnostics.yaml")) {
			res, err := ruletest.RunFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range res {
				for _, fl := range g.Failures {
					t.Errorf("%s: %s: %s", extra, g.Name, fl)
				}
			}
		}
		return groups
	}
	// rules lists every rule name in file order, with its group's interval.
	rules := func(gs []ruleGroup) []string {
		var out []string
		for _, g := range gs {
			for _, r := range g.Rules {
				out = append(out, g.Interval+" "+r.Record+r.Alert)
			}
		}
		return out
	}

	whole := layout("", false)
	for _, g := range whole {
		if len(g.Rules) > 20 {
			t.Errorf("group %s has %d rules, over Mimir's 20", g.Name, len(g.Rules))
		}
	}
	split := layout("\n\tmaxRulesPerGroup: 6", true)
	parts := 0
	for _, g := range split {
		if len(g.Rules) > 6 {
			t.Errorf("group %s has %d rules, over 6", g.Name, len(g.Rules))
		}
		if strings.Contains(g.Name, ":part-") {
			parts++
		}
	}
	if parts == 0 || !slices.Equal(rules(split), rules(whole)) {
		t.Errorf("split into %d parts; same rules in the same order: %v", parts, slices.Equal(rules(split), rules(whole)))
	}
	limit := len(whole) - 1
	merged := layout(fmt.Sprintf("\n\tmaxGroups: %d", limit), true)
	joined := 0
	for _, g := range merged {
		if strings.Contains(g.Name, "+") {
			joined++
		}
	}
	if len(merged) > limit || joined == 0 || !slices.Equal(rules(merged), rules(whole)) {
		t.Errorf("%d groups for a limit of %d (%d before), %d merged; same rules in the same order: %v", len(merged), limit, len(whole), joined, slices.Equal(rules(merged), rules(whole)))
	}

	_, err := compiler.CompileFiles(quickstartWith(t, `evaluationInterval: "30s"
	ruler: "mimir"
	maxGroups: 3`)...)
	if err == nil || !strings.Contains(err.Error(), "spec.cue:") || !strings.Contains(err.Error(), "target.maxGroups: the rules need") {
		t.Errorf("want a positioned target.maxGroups error, got %v", err)
	}
}

func quickstartWith(t *testing.T, repl string) []schema.File {
	var files []schema.File
	paths, _ := filepath.Glob(filepath.Join("..", "..", "examples", "quickstart", "*.cue"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, schema.File{Name: p, Data: []byte(strings.ReplaceAll(string(data), `evaluationInterval: "30s"`, repl))})
	}
	return files
}
