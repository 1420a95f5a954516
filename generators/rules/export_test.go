package rules

import "github.com/inferobs/inferobs/generators/plan"

// Phase is a stretch of a scenario: minutes at a bad-event fraction.
type Phase struct {
	Minutes int
	Bad     float64
}

func toScenario(ph []Phase) scenario {
	sc := make(scenario, len(ph))
	for i, x := range ph {
		sc[i] = phase{x.Minutes, x.Bad}
	}
	return sc
}

// ScenarioSeries is the SLI's synthetic input series for a scenario, as
// the generated tests write them.
func ScenarioSeries(p *plan.Plan, s *plan.SLO, ph []Phase) [][2]string {
	var out [][2]string
	for _, in := range sloSeries(p, s, toScenario(ph)) {
		out = append(out, [2]string{in.Series, in.Values})
	}
	return out
}

// PredictedTiers reports, per tier of the plan, whether the window math
// replay (evaluations every evalEvery minutes, Prometheus 3 ranges, reads
// lag evaluations late) has it fire at some time of the scenario.
func PredictedTiers(p *plan.Plan, s *plan.SLO, ph []Phase, evalEvery, lag int) []bool {
	sim := simulate1(p, s, toScenario(ph), evalEvery, semantics{lag: lag})
	out := make([]bool, len(p.Tiers))
	for i, f := range sim.firing {
		for _, x := range f {
			out[i] = out[i] || x
		}
	}
	return out
}

// PerInstance makes Build write every SLO instance's rules apart (the
// layout before vectorisation) until restore is called.
func PerInstance() (restore func()) {
	perInstance = true
	return func() { perInstance = false }
}
