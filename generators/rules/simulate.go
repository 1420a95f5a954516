package rules

import (
	"math"
	"strconv"
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
	lag        int  // evaluations a reader lags behind the group it reads
}

// semantics also says whether a rule sees another group's records of the
// same evaluation (lag 0: promtool with group_eval_order) or only of the
// one before (lag 1: concurrent groups in Prometheus, vmalert's
// asynchronous writes).
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

// simCache memoises simulations within one Tests call (one plan, so one
// set of tiers): they depend only on the SLO's budget and SLI type, the
// scenario and the evaluation step, which many SLO instances share.
type simCache map[simKey]simulation

type simKey struct {
	budget    float64
	sli       plan.SLIType
	scenario  string // the phases, as phaseKey writes them
	evalEvery int
	sem       semantics
}

// phaseKey writes a scenario's phases exactly (the bad fractions' bits).
func phaseKey(sc scenario) string {
	b := make([]byte, 0, 24*len(sc))
	for _, ph := range sc {
		b = strconv.AppendInt(b, int64(ph.minutes), 10)
		b = append(b, ':')
		b = strconv.AppendUint(b, math.Float64bits(ph.bad), 16)
		b = append(b, ';')
	}
	return string(b)
}

func (c simCache) simulate(p *plan.Plan, s *plan.SLO, sc scenario, evalEvery int, sem semantics) simulation {
	key := simKey{s.Budget, s.SLI.Type, phaseKey(sc), evalEvery, sem}
	if sim, ok := c[key]; ok {
		return sim
	}
	sim := simulate1(p, s, sc, evalEvery, sem)
	c[key] = sim
	return sim
}

// simulate1 evaluates the SLO's tiers every evalEvery minutes. The rates
// layer reads the raw series at each evaluation; every other read (a
// window over the rates, the sampled copies, a window over the copies)
// sees the layer below sem.lag evaluations late.
func simulate1(p *plan.Plan, s *plan.SLO, sc scenario, evalEvery int, sem semantics) simulation {
	n := sc.minutes()
	gauge := s.SLI.Type == plan.SLIGaugeThreshold
	L := sem.lag
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
	// The rates layer at each evaluation: 5m rates, or a gauge SLI's 0/1
	// verdict (as a "rate" of one event).
	g5 := make([]float64, evals)
	t5 := make([]float64, evals)
	has5 := make([]bool, evals)
	for e := 0; e < evals; e++ {
		t := e * evalEvery
		if gauge {
			g5[e], t5[e], has5[e] = boolF(sc.badAt(t) < 0.5), 1, true
			continue
		}
		lo := max(sem.first(t, base), 0)
		if t-lo < 1 {
			continue // rate needs two samples
		}
		g5[e], t5[e], has5[e] = good[t]-good[lo], total[t]-total[lo], true
	}
	pg, pt, pn := prefix(g5, t5, has5)
	// sumRange sums the layer's samples at evaluations [lo, hi].
	sumRange := func(pg, pt []float64, pn []int, lo, hi int) (float64, float64, bool) {
		lo = max(lo, 0)
		if hi < lo {
			return 0, 0, false
		}
		return pg[hi+1] - pg[lo], pt[hi+1] - pt[lo], pn[hi+1]-pn[lo] > 0
	}
	// The sampled copies: the newest 5m rates (or a gauge's 5m counts) as
	// seen L evaluations late, good and total together.
	sgood := make([]float64, evals)
	stotal := make([]float64, evals)
	shas := make([]bool, evals)
	for j := 0; j < evals; j++ {
		if gauge {
			sgood[j], stotal[j], shas[j] = sumRange(pg, pt, pn, sem.first(j, base/evalEvery), j-L)
			continue
		}
		if k := j - L; k >= 0 && has5[k] {
			sgood[j], stotal[j], shas[j] = g5[k], t5[k], true
		}
	}
	sg, st, sn := prefix(sgood, stotal, shas)
	ratioAt := func(e int, w time.Duration) (float64, bool) {
		if e < 0 {
			return 0, false
		}
		var gs, ts float64
		var ok bool
		k := int(w/time.Minute) / evalEvery
		switch {
		case !isFast(w):
			gs, ts, ok = sumRange(sg, st, sn, sem.first(e, k), e-L)
		case w == baseWindow && !gauge:
			if e-L < 0 || !has5[e-L] {
				return 0, false
			}
			gs, ts, ok = g5[e-L], t5[e-L], true
		default:
			gs, ts, ok = sumRange(pg, pt, pn, sem.first(e, k), e-L)
		}
		if !ok || ts <= 0 {
			return 0, false
		}
		return 1 - gs/ts, true
	}
	sim := simulation{evalEvery: evalEvery}
	for _, t := range p.Tiers {
		line := t.Factor * s.Budget
		firing := make([]bool, evals)
		robust := make([]bool, evals)
		conds := make([]bool, evals)
		activeAt := -1
		for e := 0; e < evals; e++ {
			l, okL := ratioAt(e, t.Long)
			sh, okS := ratioAt(e, t.Short)
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

// prefix returns prefix sums of good, total and the count of present samples.
func prefix(g, t []float64, has []bool) ([]float64, []float64, []int) {
	pg := make([]float64, len(g)+1)
	pt := make([]float64, len(g)+1)
	pn := make([]int, len(g)+1)
	for j := range g {
		pg[j+1], pt[j+1], pn[j+1] = pg[j], pt[j], pn[j]
		if has[j] {
			pg[j+1] += g[j]
			pt[j+1] += t[j]
			pn[j+1]++
		}
	}
	return pg, pt, pn
}

func boolF(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
