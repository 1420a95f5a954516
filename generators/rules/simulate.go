package rules

import (
	"fmt"
	"time"

	"github.com/inferobs/inferobs/generators/plan"
)

// The window math, replayed: given the bad-event fraction of every minute
// of a scenario, simulate the SLO rules (5m base rates from counters scraped
// every minute, ratio-of-sums windows, burn-rate tiers with their `for`) to
// predict when each tier's alert fires and resolves. The generated promtool
// tests assert those predictions against the real rule engine.
//
// The simulation runs twice, once per range-selection rule: Prometheus 2
// selects samples in [t-w, t], Prometheus 3 in (t-w, t]. Tests assert only
// what both predict, so they pass on promtool 2 and on the v3 engine.

// sampleStep is the scrape interval of the synthetic series.
const sampleStep = time.Minute

// phase is a stretch of a scenario with a constant bad-event fraction.
type phase struct {
	minutes int
	bad     float64
}

// scenario is a sequence of phases.
type scenario []phase

func (sc scenario) minutes() int {
	n := 0
	for _, p := range sc {
		n += p.minutes
	}
	return n
}

// badAt returns the bad fraction of the minute ending at sample i (events
// between samples i-1 and i; sample 0 takes the first phase's).
func (sc scenario) badAt(i int) float64 {
	i = max(i, 1)
	for _, p := range sc {
		if i <= p.minutes {
			return p.bad
		}
		i -= p.minutes
	}
	return sc[len(sc)-1].bad
}

// semantics is a range-selection rule.
type semantics struct {
	closedLeft bool // Prometheus 2: a sample exactly at t-w is in the range
	lag        int  // evaluations the slow group lags behind the fast one
}

// semantics also says whether the slow rule group sees the fast group's
// records of the same evaluation (lag 0) or of the one before (lag 1):
// promtool and Prometheus evaluate groups in no fixed order.
var bothSemantics = []semantics{{closedLeft: true}, {closedLeft: false}, {closedLeft: true, lag: 1}, {closedLeft: false, lag: 1}}

// inRange returns the first index j (of samples spaced `every` minutes, at
// indices multiple of `every`) inside a range of w minutes ending at i.
func (s semantics) first(i, w int) int {
	if s.closedLeft {
		return i - w
	}
	return i - w + 1
}

// simulation is the predicted firing of each tier at each evaluation.
type simulation struct {
	evalEvery int      // minutes between evaluations
	firing    [][]bool // [tier][evaluation index]
	// robust is false where a tier's condition sits so near its line that a
	// rounding difference between this model and the engine could flip it.
	robust [][]bool
	cond   [][]bool // the tier's condition (both windows over the line)
}

// simCache memoises simulations within one Tests call: they depend only on
// the SLO's budget and SLI type, the plan's tiers, the scenario and the
// evaluation step, which many SLO instances share.
type simCache map[string]simulation

func (c simCache) simulate(p *plan.Plan, s *plan.SLO, sc scenario, evalEvery int, sem semantics) simulation {
	key := fmt.Sprint(p.Tiers, s.Budget, s.SLI.Type, sc, evalEvery, sem)
	if sim, ok := c[key]; ok {
		return sim
	}
	sim := simulate1(p, s, sc, evalEvery, sem)
	c[key] = sim
	return sim
}

// simulate1 evaluates the SLO's tiers every evalEvery minutes.
func simulate1(p *plan.Plan, s *plan.SLO, sc scenario, evalEvery int, sem semantics) simulation {
	n := sc.minutes()
	gauge := s.SLI.Type == plan.SLIGaugeThreshold
	// Counters: cumulative good and total events at each minute sample.
	good := make([]float64, n+1)
	total := make([]float64, n+1)
	for i := 1; i <= n; i++ {
		b := sc.badAt(i)
		good[i] = good[i-1] + (1 - b)
		total[i] = total[i-1] + 1
	}
	evals := n/evalEvery + 1
	base := int(baseWindow / time.Minute)
	// Base "rates" recorded at each evaluation.
	g5 := make([]float64, evals)
	t5 := make([]float64, evals)
	has5 := make([]bool, evals)
	ok := make([]float64, evals) // gauge SLIs: 1 when the evaluation is good
	for e := 0; e < evals; e++ {
		t := e * evalEvery
		if gauge {
			ok[e] = boolF(sc.badAt(t) < 0.5)
			for j := max(sem.first(e, base/evalEvery), 0); j <= e; j++ {
				g5[e] += ok[j]
				t5[e]++
			}
			has5[e] = true
			continue
		}
		lo := max(sem.first(t, base), 0)
		if t-lo < 1 {
			continue // rate needs two samples
		}
		g5[e], t5[e], has5[e] = good[t]-good[lo], total[t]-total[lo], true
	}
	// Prefix sums: a window's sums are two lookups.
	cg := make([]float64, evals+1)
	ct := make([]float64, evals+1)
	cn := make([]int, evals+1)
	for j := 0; j < evals; j++ {
		cg[j+1], ct[j+1], cn[j+1] = cg[j], ct[j], cn[j]
		if has5[j] {
			cg[j+1] += g5[j]
			ct[j+1] += t5[j]
			cn[j+1]++
		}
	}
	ratioAt := func(e int, w time.Duration) (float64, bool) {
		if e < 0 {
			return 0, false
		}
		if w == baseWindow {
			if !has5[e] || t5[e] <= 0 {
				return 0, false
			}
			return 1 - g5[e]/t5[e], true
		}
		k := int(w/time.Minute) / evalEvery
		hi := e
		lo := sem.first(e, k)
		if !isFast(w) {
			// Slow windows sum the sampled copies, which the slow group
			// took from the fast group lag evaluations late.
			hi, lo = e-sem.lag, lo-sem.lag
			if hi < 0 {
				return 0, false
			}
		}
		lo = max(lo, 0)
		sg, st := cg[hi+1]-cg[lo], ct[hi+1]-ct[lo]
		if cn[hi+1]-cn[lo] == 0 || st <= 0 {
			return 0, false
		}
		return 1 - sg/st, true
	}
	sim := simulation{evalEvery: evalEvery}
	for _, t := range p.Tiers {
		line := t.Factor * s.Budget
		firing := make([]bool, evals)
		robust := make([]bool, evals)
		conds := make([]bool, evals)
		activeAt := -1
		// An alert in the slow group reads the fast group's windows lag
		// evaluations late.
		at := func(e int, w time.Duration) (float64, bool) {
			if !(isFast(t.Long) && isFast(t.Short)) && isFast(w) {
				return ratioAt(e-sem.lag, w)
			}
			return ratioAt(e, w)
		}
		for e := 0; e < evals; e++ {
			l, okL := at(e, t.Long)
			sh, okS := at(e, t.Short)
			cond := okL && okS && l > line && sh > line
			clearlyBelow := (okL && l < line*(1-nearLine)) || (okS && sh < line*(1-nearLine))
			robust[e] = !okL || !okS || clearlyBelow || (clear(l, line) && clear(sh, line))
			conds[e] = cond
			if !cond {
				activeAt = -1
				continue
			}
			if activeAt < 0 {
				activeAt = e
			}
			firing[e] = time.Duration((e-activeAt)*evalEvery)*time.Minute >= t.For
		}
		sim.firing = append(sim.firing, firing)
		sim.robust = append(sim.robust, robust)
		sim.cond = append(sim.cond, conds)
	}
	return sim
}

// nearLine is the relative distance from a burn line under which the
// simulation does not trust its own verdict.
const nearLine = 2e-3

func clear(ratio, line float64) bool { return ratio > line*(1+nearLine) || ratio < line*(1-nearLine) }

// settled reports whether the tier's state at e cannot flip by rounding.
// An alert fires at e when its condition held at every evaluation of the
// `for` duration before e: firing is settled when all of them were robust;
// not firing is settled when one of them was robustly false.
func (sim simulation) settled(tier, e int, forDur time.Duration) bool {
	steps := int(forDur/time.Minute) / sim.evalEvery
	lo := max(e-steps, 0)
	if sim.firing[tier][e] {
		for j := lo; j <= e; j++ {
			if !sim.robust[tier][j] {
				return false
			}
		}
		return true
	}
	for j := lo; j <= e; j++ {
		if !sim.cond[tier][j] && sim.robust[tier][j] {
			return true
		}
	}
	return false
}

func boolF(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
