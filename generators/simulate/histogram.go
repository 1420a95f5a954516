package simulate

import (
	"math"
	"math/rand/v2"
)

// histState is one classic histogram series set (its buckets, +Inf, _sum
// and _count) fed with whole observations: each tick the expected number
// of observations is drawn down to an integer and spread over the buckets
// by a multinomial draw, so every bucket, +Inf and _count move together at
// the tick boundary, as in a real histogram (any window's increase is
// cumulative across le: no good/total ratio ever exceeds 1).
type histState struct {
	bounds []float64 // finite upper bounds, ascending
	// slots of the bucket samples (one per bound, then +Inf), _sum, _count
	// in the owner's value array; -1 when absent.
	buckets         []int
	sumSlot, cntSlt int

	frac float64   // expected observations not yet drawn
	rate float64   // observations per second during the current tick
	bins []float64 // probability of each bucket's bin during the current tick
	mean float64
}

func newHistState(bounds []float64) *histState {
	return &histState{bounds: bounds, sumSlot: -1, cntSlt: -1}
}

// set takes the observations per second and their distribution for the
// tick that starts.
func (h *histState) set(rate float64, d dist) {
	if math.IsNaN(rate) || math.IsInf(rate, 0) || rate < 0 {
		rate = 0
	}
	h.rate, h.mean = rate, d.mean()
	if cap(h.bins) < len(h.bounds)+1 {
		h.bins = make([]float64, len(h.bounds)+1)
	}
	h.bins = h.bins[:len(h.bounds)+1]
	prev := 0.0
	for i, b := range h.bounds {
		c := d.cdf(b)
		h.bins[i] = math.Max(0, c-prev)
		prev = math.Max(prev, c)
	}
	h.bins[len(h.bounds)] = math.Max(0, 1-prev)
}

// observe draws the tick's observations (dt wall seconds at the current
// rate) into the values.
func (h *histState) observe(rng *rand.Rand, dt float64, vals []float64) {
	exp := h.rate*dt + h.frac
	n := math.Floor(exp)
	h.frac = exp - n
	if n <= 0 {
		return
	}
	left, mass := int(n), 1.0
	cum := 0
	for i, p := range h.bins {
		k := left
		if i < len(h.bins)-1 && mass > 0 {
			k = binomial(rng, left, math.Min(1, p/mass))
		}
		mass -= p
		left -= k
		cum += k
		if i < len(h.buckets) && h.buckets[i] >= 0 {
			vals[h.buckets[i]] += float64(cum)
		}
	}
	if h.cntSlt >= 0 {
		vals[h.cntSlt] += n
	}
	if h.sumSlot >= 0 {
		vals[h.sumSlot] += n * h.mean
	}
}

// binomial draws from Binomial(n, p): exactly for small n, as Poisson for
// rare (or near-certain) outcomes, else by the normal approximation.
func binomial(rng *rand.Rand, n int, p float64) int {
	switch {
	case n <= 0 || p <= 0:
		return 0
	case p >= 1:
		return n
	case n <= 40:
		k := 0
		for i := 0; i < n; i++ {
			if rng.Float64() < p {
				k++
			}
		}
		return k
	}
	np, nq := float64(n)*p, float64(n)*(1-p)
	switch {
	case np < 15:
		return min(n, poisson(rng, np))
	case nq < 15:
		return n - min(n, poisson(rng, nq))
	}
	k := math.Round(np + math.Sqrt(np*(1-p))*rng.NormFloat64())
	return int(math.Max(0, math.Min(float64(n), k)))
}

// poisson draws from Poisson(lambda) by Knuth's method (lambda small).
func poisson(rng *rand.Rand, lambda float64) int {
	l := math.Exp(-lambda)
	k, prod := 0, rng.Float64()
	for prod > l {
		k++
		prod *= rng.Float64()
	}
	return k
}
