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
)

// tgiMaxInputTokens and tgiMaxTotalTokens are TGI's defaults, which fix the
// linear buckets of the token-length histograms (max/100 × 1..100).
const (
	tgiMaxInputTokens = 1024
	tgiMaxTotalTokens = 2048
)

func linearBuckets(max int) []float64 {
	out := make([]float64, 100)
	step := float64(max) / 100
	for i := range out {
		out[i] = step * float64(i+1)
	}
	return out
}

func countBuckets(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i + 1)
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
	DefaultPort:   9000, // the exporter listener; /metrics is also on the main port
	MetricsPath:   "/metrics",

	Metrics: []Metric{
		{Name: "tgi_request_count", Type: Counter, Role: RoleRequestReceived, Help: "Requests received, all endpoints."},
		{Name: "tgi_request_success", Type: Counter, Role: RoleRequestFinished, Help: "Requests that finished successfully."},
		{Name: "tgi_request_failure", Type: Counter, Labels: []string{"err"}, Role: RoleRequestFailed, Help: "Failed requests by cause (validation, overloaded, template, incomplete, dropped, generation)."},
		{Name: "tgi_request_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Role: RoleE2E, Help: "End-to-end request time, seconds."},
		{Name: "tgi_request_validation_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Help: "Validation time, seconds."},
		{Name: "tgi_request_queue_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Role: RoleQueueTime, Help: "Time queued, seconds."},
		{Name: "tgi_request_inference_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Role: RoleInferenceTime, Help: "Time from batch start to end, seconds."},
		{Name: "tgi_request_mean_time_per_token_duration", Type: Histogram, Buckets: tgiDurationBuckets(), Role: RoleTPOTPerRequest, Help: "Inference time divided by generated tokens, per request; includes prefill."},
		{Name: "tgi_request_input_length", Type: Histogram, Buckets: linearBuckets(tgiMaxInputTokens), Role: RolePromptLength, Help: "Prompt tokens per request."},
		{Name: "tgi_request_max_new_tokens", Type: Histogram, Buckets: linearBuckets(tgiMaxTotalTokens), Help: "max_new_tokens per request."},
		{Name: "tgi_request_generated_tokens", Type: Histogram, Buckets: linearBuckets(tgiMaxTotalTokens), Role: RoleGenerationLength, Help: "Generated tokens per request."},
		{Name: "tgi_request_skipped_tokens", Type: Histogram, Buckets: countBuckets(4), Range: until(tgiV2_3_0), Help: "Speculated tokens per request."},
		{Name: "tgi_request_skipped_tokens", Type: Summary, Range: since(tgiV2_3_0), Help: "Speculated tokens per request (a summary since 2.3.0)."},
		{Name: "tgi_queue_size", Type: Gauge, Role: RoleRequestsWaiting, Help: "Requests in the queue."},
		{Name: "tgi_batch_current_size", Type: Gauge, Role: RoleBatchSize, Help: "Requests in the current batch."},
		{Name: "tgi_batch_current_max_tokens", Type: Gauge, Role: RoleBatchMaxTokens, Help: "Maximum tokens the current batch may hold."},
		{Name: "tgi_batch_max_total_tokens", Type: Gauge, Role: RoleBatchTokenBudget, Range: since(tgiV2_3_1), Help: "KV token capacity (max_batch_total_tokens)."},
		{Name: "tgi_batch_next_size", Type: Histogram, Buckets: countBuckets(1024), Help: "Size of the next batch."},
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
