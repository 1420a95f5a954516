package simulate

import (
	"math"
	"sort"
)

// dist is a shifted log-normal distribution: shift + LogNormal(median, sigma).
// Latencies and token counts are drawn from it; histograms get the expected
// share of each tick's observations in every bucket (its CDF at the bound).
type dist struct {
	median, sigma, shift float64
}

func logn(median, sigma float64) dist { return dist{median: median, sigma: sigma} }

// cdf is the share of observations at or below x.
func (d dist) cdf(x float64) float64 {
	if math.IsInf(x, 1) {
		return 1
	}
	x -= d.shift
	if x <= 0 || d.median <= 0 {
		return 0
	}
	return 0.5 * math.Erfc(-math.Log(x/d.median)/(d.sigma*math.Sqrt2))
}

// mean is the expected observation.
func (d dist) mean() float64 { return d.shift + d.median*math.Exp(d.sigma*d.sigma/2) }

// shifted adds a constant delay.
func (d dist) shifted(by float64) dist { d.shift += by; return d }

// scaled multiplies the median.
func (d dist) scaled(f float64) dist { d.median *= f; return d }

// probit is the standard normal quantile function.
func probit(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// medianFor returns the median of a log-normal with the given sigma that
// puts a share bad of its observations above threshold (after shift).
func medianFor(threshold, sigma, bad, shift float64) float64 {
	th := threshold - shift
	if th <= 0 {
		return 0
	}
	return th * math.Exp(-sigma*probit(1-bad))
}

// histogramQuantile is what PromQL's histogram_quantile makes of a classic
// histogram whose buckets hold the expected counts of d: the bucket the
// quantile falls into, then linear interpolation inside it (from 0 for the
// first bucket; the highest finite bound when it falls into +Inf).
func histogramQuantile(q float64, bounds []float64, d dist) float64 {
	b := append([]float64(nil), bounds...)
	sort.Float64s(b)
	prevB, prevC := 0.0, 0.0
	for _, ub := range b {
		c := d.cdf(ub)
		if c >= q {
			if c == prevC {
				return ub
			}
			return prevB + (ub-prevB)*(q-prevC)/(c-prevC)
		}
		prevB, prevC = ub, c
	}
	if len(b) == 0 {
		return math.NaN()
	}
	return b[len(b)-1]
}
