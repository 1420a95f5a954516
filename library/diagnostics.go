package library

import "time"

// Diagnostic alert thresholds, from the source article's starter alerts
// where it gives one, and inferobs's choices otherwise.
const (
	KVCacheFull            = 0.95 // KV-cache usage at which preemptions mean thrash
	PreemptionsPerSecond   = 0.5  // preemption rate that is thrash, not noise
	TensorIdle             = 0.2  // tensor-pipe activity under which the GPU is idle
	RunningUnderLoad       = 4    // requests running that count as load
	TruncatedShare         = 0.1  // share of finished requests stopped by max_tokens
	KVCacheHealthy         = 0.8  // KV-cache usage under which the cache is not the bottleneck
	GatewayTTFTGapSeconds  = 0.5  // gateway p95 TTFT minus engine p95 TTFT that means buffering
	GatewayTTFTGapQuantile = 0.95
)

// GatewayTTFTAlignMin and GatewayTTFTAlignMax bound the engine TTFT bucket
// boundaries the spanmetrics histogram copies. Quantiles interpolated on
// two different bucket layouts can differ by most of a bucket (5 s and
// 7.5 s at the engine against 5 s and 10 s at the gateway put one p95 a
// second apart) and the gateway-gap alert would read that as buffering;
// with the engine's boundaries where interactive TTFT p95s live, both sides
// interpolate on the same grid.
const (
	GatewayTTFTAlignMin = 100 * time.Millisecond
	GatewayTTFTAlignMax = 10 * time.Second
)

// Diagnostic alert timings.
const (
	KVThrashFor        = 5 * time.Minute
	TensorIdleWindow   = 10 * time.Minute
	TensorIdleFor      = 10 * time.Minute
	TruncationsWindow  = 10 * time.Minute
	TruncationsFor     = 15 * time.Minute
	QueueGrowingWindow = 10 * time.Minute
	QueueGrowingFor    = 10 * time.Minute
	ThermalFor         = 5 * time.Minute
	XIDWindow          = 10 * time.Minute
	TargetMissingFor   = 5 * time.Minute
	GatewayGapWindow   = 10 * time.Minute
	GatewayGapFor      = 15 * time.Minute
	SpecDecodeFor      = 15 * time.Minute
)
