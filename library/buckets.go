package library

import (
	"math"
	"strconv"
	"strings"
)

// LeStyle is how an exporter prints histogram bucket boundaries into the le
// label and summary quantiles into the quantile label. Prometheus 2 stores
// the text as scraped; Prometheus 3 rewrites both classic-histogram le values
// and summary quantile values of scraped series to OpenMetrics float text
// (1 becomes 1.0; TGI's quantiles 0 and 1 are stored as 0.0 and 1.0);
// remote-written series keep their text in both.
type LeStyle string

// Bucket-boundary text styles.
const (
	// LePython is prometheus_client's floatToGoString: integers as "1.0".
	LePython LeStyle = "python"
	// LeGo is strconv 'g'-style shortest text: integers as "1".
	LeGo LeStyle = "go"
	// LeRust is the Rust metrics-exporter-prometheus text: shortest round-trip, integers as "1".
	LeRust LeStyle = "rust"
)

// InfText is the le text of the +Inf bucket in every style and Prometheus
// version (it equals the histogram's _count).
const InfText = "+Inf"

// LeText returns the le label text an exporter of this style writes for b.
func (s LeStyle) LeText(b float64) string {
	if math.IsInf(b, 1) {
		return InfText
	}
	switch s {
	case LePython:
		return OpenMetricsFloat(b)
	default:
		return strconv.FormatFloat(b, 'g', -1, 64)
	}
}

// OpenMetricsFloat prints b as OpenMetrics float text: shortest round-trip
// digits, and a ".0" on integral values.
func OpenMetricsFloat(b float64) string {
	s := strconv.FormatFloat(b, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") { // n: NaN/Inf handled by callers
		s += ".0"
	}
	return s
}

// LeTexts returns every le text a series with boundary b may carry in a
// Prometheus of the given major version when scraped (scraped=true) or
// remote-written. The first element is the exposed text.
func (s LeStyle) LeTexts(b float64, prometheusMajor int, scraped bool) []string {
	exposed := s.LeText(b)
	out := []string{exposed}
	if scraped && prometheusMajor >= 3 {
		if n := OpenMetricsFloat(b); n != exposed {
			out = append(out, n)
		}
	}
	return out
}

// QuantileTexts returns every quantile label text a summary series with
// quantile q may carry, by the same rule as LeTexts: Prometheus 3
// normalises a scraped quantile value like a scraped le value.
func (s LeStyle) QuantileTexts(q float64, prometheusMajor int, scraped bool) []string {
	return s.LeTexts(q, prometheusMajor, scraped)
}

// Bucket sets used by several engine versions.
var (
	// vLLM TTFT buckets after vLLM #15202 (2025-04-07).
	vllmTTFTBuckets = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560}
	// vLLM TTFT buckets before #15202: stopped at 10.
	vllmTTFTBucketsOld = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
	// vLLM ITL/TPOT buckets after #15202.
	vllmITLBuckets = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80}
	// vLLM ITL/TPOT buckets before #15202: stopped at 2.5.
	vllmITLBucketsOld = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5}
	// vLLM request latency buckets (e2e, queue, inference, prefill, decode) after #15202.
	vllmLatencyBuckets = []float64{0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680}
	// vLLM request latency buckets before #15202: stopped at 60.
	vllmLatencyBucketsOld = []float64{0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60}
	// vLLM iteration_tokens_total buckets from 0.8.5.
	vllmIterationBuckets = []float64{1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384}
	// vLLM iteration_tokens_total buckets of the V0 logger in 0.6.4
	// (vllm/engine/metrics.py; 8096, not 8192, as written there). UNCERTAIN
	// for V0 0.6.5-0.7.x: a later V0 logger uses the cudagraph capture sizes
	// unless enforce_eager, and the release that switched was not read.
	vllmIterationBucketsV0 = []float64{1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8096}
	// vLLM n / best_of parameter buckets.
	vllmParamNBuckets = []float64{1, 2, 5, 10, 20}
)

// vllmCudagraphCaptureSizes returns vLLM's default cudagraph capture sizes,
// the iteration_tokens_total buckets of V1 0.8.0-0.8.4: 1, 2, 4, then the
// multiples of 8 up to 512 (capped at max_num_batched_tokens, which is at
// least 512 by default).
func vllmCudagraphCaptureSizes() []float64 {
	out := []float64{1, 2, 4}
	for v := 8; v <= 512; v += 8 {
		out = append(out, float64(v))
	}
	return out
}

// Buckets125 returns vLLM's 1-2-5 token-count buckets up to maxModelLen
// (build_1_2_5_buckets); the set depends on the deployment's max_model_len.
func Buckets125(maxModelLen int) []float64 {
	var out []float64
	for exp := 1.0; ; exp *= 10 {
		for _, m := range []float64{1, 2, 5} {
			v := m * exp
			if v > float64(maxModelLen) {
				return out
			}
			out = append(out, v)
		}
	}
}

// DefaultMaxModelLen is the max_model_len assumed for token-count buckets
// when the spec does not say.
const DefaultMaxModelLen = 8192

// tgiDurationBuckets are TGI's 35 geometric buckets for every *_duration
// histogram: 0.0001 × 1.5^k for k = 1..35, computed the way the router does
// (it multiplies before pushing, router/src/server.rs v2.0.0 to v3.3.7), so
// the first is 0.00015000000000000001, the last 145.61096060497135, and
// 0.0001 itself is no boundary. Repeated multiplication keeps the le text
// identical to the exposition.
func tgiDurationBuckets() []float64 {
	out := make([]float64, 35)
	v := 0.0001
	for i := range out {
		v *= 1.5
		out[i] = v
	}
	return out
}

// NearestBuckets returns the boundaries just below and just above v (either
// may be NaN when v is outside the set).
func NearestBuckets(buckets []float64, v float64) (below, above float64) {
	below, above = math.NaN(), math.NaN()
	for _, b := range buckets {
		if b < v {
			below = b
		}
		if b > v && math.IsNaN(above) {
			above = b
		}
	}
	return below, above
}

// HasBucket reports whether v is a boundary of the set (within float noise).
func HasBucket(buckets []float64, v float64) bool {
	for _, b := range buckets {
		if NearlyEqual(b, v) {
			return true
		}
	}
	return false
}

// NearlyEqual compares bucket boundaries that were computed rather than typed.
func NearlyEqual(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}
