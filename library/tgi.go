package library

// TGI's metric catalog, from router/src/server.rs, router/src/validation.rs
// and backends/v3 (metrics + metrics-exporter-prometheus). Names are exposed
// as written: no _total suffix on counters, and no model label at all (TGI
// serves one model per process; select it by the scrape target). No TGI
// metric was ever renamed; families were only added. There is no TTFT
// histogram: use a gateway-sourced TTFT SLO.

var (
	tgiV1_3_3 = V(1, 3, 3)
	tgiV2_3_0 = V(2, 3, 0)
	tgiV2_3_1 = V(2, 3, 1)
	tgiV2_4_0 = V(2, 4, 0) // reason="chunking" (backends/v3/src/backend.rs)
)

// TGI's token-length histograms (tgi_request_input_length from max input
// tokens, tgi_request_generated_tokens and tgi_request_max_new_tokens from max
// total tokens) have 100 linear buckets, max/100 × 1..100
// (router/src/server.rs, v2.0.0 to v3.3.7). The launcher's defaults
// (launcher/src/main.rs) are, in 2.x, min(max_position_embeddings − 1, 4095)
// and min(max_position_embeddings, 4096), so 4095 and 4096 for any model with
// a context of at least 4096; in 3.x min(max_allocatable,
// max_position_embeddings) − 1 and min(max_allocatable,
// max_position_embeddings), which depend on the GPU's free memory after
// warm-up. UNCERTAIN for 3.x: the catalog assumes the 2.x values; the spec's
// maxInputTokens / maxTotalTokens state the deployment's real limits.
const (
	tgiDefaultMaxInputTokens = 4095
	tgiDefaultMaxTotalTokens = 4096
)

// tgiInputLengthFamilies follow max input tokens, tgiTotalLengthFamilies
// max total tokens.
var (
	tgiInputLengthFamilies = []string{"tgi_request_input_length"}
	tgiTotalLengthFamilies = []string{"tgi_request_generated_tokens", "tgi_request_max_new_tokens"}
)

func linearBuckets(max int) []float64 {
	out := make([]float64, 100)
	step := float64(max) / 100
	for i := range out {
		out[i] = step * float64(i+1)
	}
	return out
}

// countBuckets returns from, from+1, ..., to.
func countBuckets(from, to int) []float64 {
	var out []float64
	for i := from; i <= to; i++ {
		out = append(out, float64(i))
	}
	return out
}

var tgiMethod = []string{"method"}

var tgiInfo = &EngineInfo{
	Engine:        TGI,
	Known:         between(V(2, 0, 0), V(3, 4, 0)),
	Releases:      []Version{V(2, 0, 0), V(2, 1, 0), V(2, 2, 0), V(2, 3, 0), V(2, 4, 0), V(3, 0, 0), V(3, 1, 0), V(3, 2, 0), V(3, 3, 0)},
	LeStyle:       LeRust,
	CounterSuffix: "",
	// /metrics is a route of the router's main HTTP server in every release
	// (router/src/server.rs v2.0.0 to v3.3.7). Its default --port is 3000
	// (launcher/src/main.rs) and the official image sets PORT=80
	// (Dockerfile), so 80 is the port of a stock deployment. Port 9000 never
	// serves it: v2.0.0-v2.2.0 only install the recorder (install_recorder,
	// no listener); from v2.3.0 the router calls PrometheusBuilder::build,
	// which binds 9000 (the conflict of issue #3062), and drops the exporter
	// future that would serve it (`let (recorder, _) = builder.build()`);
	// v3.3.0 (PR #3187) only made that port configurable (--prometheus-port)
	// and still drops the future. metrics-exporter-prometheus serves its
	// listener only inside that future (src/exporter/http_listener.rs). A
	// deployment on another port states it with the model's metricsPort.
	DefaultPort: 80,
	MetricsPath: "/metrics",
	// router/src/server.rs and launcher/src/main.rs read at v2.0.0 to v3.3.7
	// (the last tag; TGI is in maintenance mode).
	VerifiedThrough: V(3, 3, 7),

	Metrics: []Metric{
		{Name: "tgi_request_count", Type: Counter, Role: RoleRequestReceived, Help: "Requests received, all endpoints."},
		{Name: "tgi_request_success", Type: Counter, Role: RoleRequestFinished, Help: "Requests that finished successfully."},
		{Name: "tgi_request_failure", Type: Counter, Labels: []string{"err"}, Role: RoleRequestFailed, Help: "Failed requests by cause (validation, overloaded, template, incomplete, dropped, generation)."},
		{Name: "tgi_request_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Role: RoleE2E, Help: "End-to-end request time, seconds."},
		{Name: "tgi_request_validation_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Help: "Validation time, seconds."},
		{Name: "tgi_request_queue_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Role: RoleQueueTime, Help: "Time queued, seconds."},
		{Name: "tgi_request_inference_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Role: RoleInferenceTime, Help: "Time from batch start to end, seconds."},
		{Name: "tgi_request_mean_time_per_token_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Role: RoleTPOTPerRequest, Help: "Inference time divided by generated tokens, per request; includes prefill."},
		{Name: "tgi_request_input_length", Type: Histogram, Buckets: linearBuckets(tgiDefaultMaxInputTokens), Role: RolePromptLength, Help: "Prompt tokens per request."},
		{Name: "tgi_request_max_new_tokens", Type: Histogram, Buckets: linearBuckets(tgiDefaultMaxTotalTokens), Help: "max_new_tokens per request."},
		{Name: "tgi_request_generated_tokens", Type: Histogram, Buckets: linearBuckets(tgiDefaultMaxTotalTokens), Role: RoleGenerationLength, Help: "Generated tokens per request."},
		// Buckets 0..=speculate (router/src/server.rs v2.0.0-v2.2.0), so just 0
		// without speculation; from v2.3.0 the bucket config is commented out
		// and the exporter renders a summary.
		{Name: "tgi_request_skipped_tokens", Type: Histogram, Buckets: countBuckets(0, 0), Range: until(tgiV2_3_0), Help: "Speculated tokens per request."},
		{Name: "tgi_request_skipped_tokens", Type: Summary, Range: since(tgiV2_3_0), Help: "Speculated tokens per request (a summary since 2.3.0)."},
		{Name: "tgi_queue_size", Type: Gauge, Role: RoleRequestsWaiting, Help: "Requests in the queue."},
		{Name: "tgi_batch_current_size", Type: Gauge, Role: RoleBatchSize, Help: "Requests in the current batch."},
		{Name: "tgi_batch_current_max_tokens", Type: Gauge, Role: RoleBatchMaxTokens, Help: "Maximum tokens the current batch may hold."},
		{Name: "tgi_batch_max_total_tokens", Type: Gauge, Role: RoleBatchTokenBudget, Range: since(tgiV2_3_1), Help: "KV token capacity (max_batch_total_tokens)."},
		{Name: "tgi_batch_next_size", Type: Histogram, Buckets: countBuckets(1, 1024), Help: "Size of the next batch."},
		{Name: "tgi_batch_concat", Type: Counter, Labels: []string{"reason"}, Role: RoleBatchConcat, Help: "Batch concatenations by reason."},
		{Name: "tgi_batch_inference_count", Type: Counter, Labels: tgiMethod, Help: "Forward calls by method (prefill, decode)."},
		{Name: "tgi_batch_inference_success", Type: Counter, Labels: tgiMethod, Help: "Successful forward calls by method."},
		{Name: "tgi_batch_inference_failure", Type: Counter, Labels: tgiMethod, Help: "Failed forward calls by method."},
		{Name: "tgi_batch_inference_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Labels: tgiMethod, Role: RoleBatchInferenceTime, Help: "Whole batch step time by method, seconds."},
		{Name: "tgi_batch_forward_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Labels: tgiMethod, Role: RoleBatchForwardTime, Range: since(tgiV1_3_3), Help: "Forward pass time by method, seconds."},
		{Name: "tgi_batch_decode_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Labels: tgiMethod, Range: since(tgiV1_3_3), Help: "Token decode time by method, seconds."},
		{Name: "tgi_batch_filter_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Labels: tgiMethod, Range: since(tgiV1_3_3), Help: "Batch filtering time, seconds."},
		{Name: "tgi_batch_concat_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Labels: tgiMethod, Range: since(tgiV1_3_3), Help: "Batch concatenation time, seconds."},
	},
}

func engineInfos() map[Engine]*EngineInfo {
	return map[Engine]*EngineInfo{VLLM: vllmInfo, TGI: tgiInfo}
}
