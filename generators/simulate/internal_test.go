package simulate

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPythonFloat(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0.0", 1: "1.0", 0.25: "0.25", 12345.5: "12345.5", 123456.0: "123456.0",
		1234567.891: "1.234567891e+06", 1e6: "1e+06", 1.7e9: "1.7e+09", 123456789: "1.23456789e+08",
		1e16: "1e+16", 1.5e-05: "1.5e-05", 0.0001: "0.0001",
	} {
		if got := pythonFloat(v); got != want {
			t.Errorf("pythonFloat(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestHistogramQuantile(t *testing.T) {
	d := logn(1, 0.5)
	// The median of a log-normal sits at its median: with a bucket bound
	// there, linear interpolation lands on it.
	if q := histogramQuantile(0.5, []float64{0.5, 1, 2}, d); math.Abs(q-1) > 1e-9 {
		t.Errorf("p50 = %g", q)
	}
	// Above every finite bound: the highest bound.
	if q := histogramQuantile(0.999, []float64{0.5, 1}, d); q != 1 {
		t.Errorf("p99.9 = %g", q)
	}
	if m := medianFor(1, 0.6, 0.01, 0); math.Abs(logn(m, 0.6).cdf(1)-0.99) > 1e-9 {
		t.Errorf("medianFor misses: cdf %g", logn(m, 0.6).cdf(1))
	}
}

func TestBinomial(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		n int
		p float64
	}{{10, 0.3}, {1000, 0.004}, {1000, 0.5}, {1000, 0.998}} {
		sum := 0
		for i := 0; i < 2000; i++ {
			k := binomial(rng, c.n, c.p)
			if k < 0 || k > c.n {
				t.Fatalf("binomial(%d, %g) = %d", c.n, c.p, k)
			}
			sum += k
		}
		mean, want := float64(sum)/2000, float64(c.n)*c.p
		if math.Abs(mean-want) > 0.05*want+0.1 {
			t.Errorf("binomial(%d, %g) mean %g, want %g", c.n, c.p, mean, want)
		}
	}
}

// TestHistogramCoherent: every bucket moves with _count, so any window's
// increase is cumulative across le.
func TestHistogramCoherent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	h := newHistState([]float64{0.1, 0.5, 1})
	h.buckets, h.sumSlot, h.cntSlt = []int{0, 1, 2, 3}, 4, 5
	vals := make([]float64, 6)
	prev := make([]float64, 6)
	for tick := 0; tick < 500; tick++ {
		h.set(3.7, logn(0.4, 0.8))
		h.observe(rng, 1, vals)
		for i := 1; i < 4; i++ {
			if vals[i]-prev[i] < vals[i-1]-prev[i-1] {
				t.Fatalf("tick %d: bucket %d grew less than bucket %d", tick, i, i-1)
			}
		}
		if vals[3] != vals[5] {
			t.Fatalf("+Inf %g != count %g", vals[3], vals[5])
		}
		copy(prev, vals)
	}
	if math.Abs(vals[5]-3.7*500) > 1 {
		t.Errorf("count %g, want ~%g", vals[5], 3.7*500)
	}
}
