package library

import "slices"

// vLLM's metric catalog, from vllm/engine/metrics.py (V0, the default engine
// up to 0.7) and vllm/v1/metrics/loggers.py (V1, the default from 0.8 and the
// only engine from 0.11). Counters are exposed with _total (prometheus_client
// appends it); vllm:iteration_tokens_total is a histogram despite its name.
// "Range" is the span of releases that expose a family by default: a family
// hidden behind --show-hidden-metrics-for-version counts as gone.

var (
	v0_4_2  = V(0, 4, 2)
	v0_5_3  = V(0, 5, 3)
	v0_5_5  = V(0, 5, 5)
	v0_6_4  = V(0, 6, 4)
	v0_7_1  = V(0, 7, 1)
	v0_8_0  = V(0, 8, 0)
	v0_8_3  = V(0, 8, 3)
	v0_8_4  = V(0, 8, 4) // first release with the extended buckets of #15202 (2025-04-07)
	v0_8_5  = V(0, 8, 5)
	v0_9_0  = V(0, 9, 0)
	v0_9_2  = V(0, 9, 2)
	v0_10_2 = V(0, 10, 2)
	v0_11_0 = V(0, 11, 0)
	v0_11_1 = V(0, 11, 1)
	v0_12_0 = V(0, 12, 0)
	v0_13_0 = V(0, 13, 0)
	v0_15_0 = V(0, 15, 0)
	v0_16_0 = V(0, 16, 0)
	v0_17_0 = V(0, 17, 0)
	v0_20_0 = V(0, 20, 0)
)

// v0KeptUntil18837 qualifies a removal in 0.8 that holds for the V1 engine
// only.
const v0KeptUntil18837 = "removed from the V1 engine only (the default since 0.8): the V0 engine (VLLM_USE_V1=0) kept it until vLLM #18837 (May 2025)"

// cacheConfigLabels are the CacheConfig fields of vllm:cache_config_info
// that inferobs reads or estimates; the family carries every field.
var cacheConfigLabels = []string{"block_size", "cache_dtype", "enable_prefix_caching", "gpu_memory_utilization", "num_gpu_blocks"}

func since(v Version) Range      { return Range{Since: v} }
func until(v Version) Range      { return Range{Until: v} }
func between(a, b Version) Range { return Range{Since: a, Until: b} }
func releases(major, from, to int) []Version {
	var out []Version
	for m := from; m <= to; m++ {
		out = append(out, V(major, m, 0))
	}
	return out
}

var vllmInfo = &EngineInfo{
	Engine:        VLLM,
	Known:         between(V(0, 4, 0), V(0, 26, 0)),
	Releases:      releases(0, 4, 25),
	LeStyle:       LePython,
	CounterSuffix: "_total",
	DefaultPort:   8000,
	MetricsPath:   "/metrics",
	// loggers.py, spec_decode/metrics.py and perf.py were read at every
	// release tag from v0.8.0 to v0.20.1.
	VerifiedThrough: V(0, 20, 1),

	ModelLabel:             "model_name",
	DataParallelLabel:      "engine", // V1 data-parallel engine index, #13923 (2025-03-27)
	DataParallelLabelRange: since(v0_8_3),

	FinishReasonLabel: "finished_reason",
	FinishReasons: []LabelValue{
		{"stop", since(v0_4_2)},
		{"length", since(v0_4_2)},
		{"abort", since(v0_4_2)},
		{"error", since(v0_13_0)},      // #26813 (2025-12-10)
		{"repetition", since(v0_17_0)}, // #35451 (2026-03-02)
	},
	FailureReasons:  []string{"abort", "error"},
	CompleteReason:  "stop",
	TruncatedReason: "length",

	Metrics: []Metric{
		// Scheduler state.
		{Name: "vllm:num_requests_running", Type: Gauge, Role: RoleRequestsRunning, Help: "Requests in the model-execution batch."},
		{Name: "vllm:num_requests_waiting", Type: Gauge, Role: RoleRequestsWaiting, Help: "Requests waiting to be scheduled (queue depth)."},
		{Name: "vllm:num_requests_waiting_by_reason", Type: Gauge, Labels: []string{"reason"}, Role: RoleWaitingByReason, Range: since(v0_20_0), Help: "Waiting requests split by cause (capacity, deferred)."},
		{Name: "vllm:num_requests_swapped", Type: Gauge, Range: until(v0_8_0), Help: "Requests swapped to CPU (V0 only)."},

		// KV cache.
		{Name: "vllm:gpu_cache_usage_perc", Type: Gauge, Role: RoleKVCacheUsage, Range: until(v0_9_2), Help: "GPU KV-cache usage, 0 to 1."},
		{Name: "vllm:gpu_cache_usage_perc", Type: Gauge, Range: between(v0_9_2, v0_11_0), Help: "GPU KV-cache usage, 0 to 1 (deprecated name)."},
		{Name: "vllm:kv_cache_usage_perc", Type: Gauge, Role: RoleKVCacheUsage, Range: since(v0_9_2), Help: "KV-cache usage, 0 to 1."},
		{Name: "vllm:cpu_cache_usage_perc", Type: Gauge, Range: until(v0_8_0), Help: "CPU KV-cache usage (V0 only)."},
		{Name: "vllm:num_preemptions_total", Type: Counter, Role: RolePreemptions, Help: "Requests preempted because the KV cache was full."},
		{Name: "vllm:gpu_prefix_cache_hit_rate", Type: Gauge, Range: between(v0_5_5, v0_8_0), Help: "V0 prefix-cache block hit rate."},
		{Name: "vllm:cpu_prefix_cache_hit_rate", Type: Gauge, Range: between(v0_5_5, v0_8_0), Help: "V0 CPU prefix-cache block hit rate."},
		{Name: "vllm:gpu_prefix_cache_queries_total", Type: Counter, Role: RolePrefixCacheQueries, Range: between(v0_8_0, v0_9_2), Help: "Tokens looked up in the prefix cache."},
		{Name: "vllm:gpu_prefix_cache_hits_total", Type: Counter, Role: RolePrefixCacheHits, Range: between(v0_8_0, v0_9_2), Help: "Tokens found in the prefix cache."},
		{Name: "vllm:gpu_prefix_cache_queries_total", Type: Counter, Range: between(v0_9_2, v0_11_0), Help: "Tokens looked up in the prefix cache (deprecated name)."},
		{Name: "vllm:gpu_prefix_cache_hits_total", Type: Counter, Range: between(v0_9_2, v0_11_0), Help: "Tokens found in the prefix cache (deprecated name)."},
		{Name: "vllm:prefix_cache_queries_total", Type: Counter, Role: RolePrefixCacheQueries, Range: since(v0_9_2), Help: "Tokens looked up in the prefix cache."},
		{Name: "vllm:prefix_cache_hits_total", Type: Counter, Role: RolePrefixCacheHits, Range: since(v0_9_2), Help: "Tokens found in the prefix cache."},
		// external_prefix_cache_* and mm_cache_* are in loggers.py from v0.11.1
		// (a patch release), not only from v0.12.0.
		{Name: "vllm:external_prefix_cache_queries_total", Type: Counter, Range: since(v0_11_1), Help: "Tokens looked up in the KV-connector (cross-instance) prefix cache."},
		{Name: "vllm:external_prefix_cache_hits_total", Type: Counter, Range: since(v0_11_1), Help: "Tokens found in the KV-connector prefix cache."},
		{Name: "vllm:mm_cache_queries_total", Type: Counter, Range: since(v0_11_1), Help: "Multimodal cache lookups, in items."},
		{Name: "vllm:mm_cache_hits_total", Type: Counter, Range: since(v0_11_1), Help: "Multimodal cache hits, in items."},

		// Tokens.
		{Name: "vllm:prompt_tokens_total", Type: Counter, Role: RolePromptTokens, Help: "Prefill tokens processed."},
		{Name: "vllm:generation_tokens_total", Type: Counter, Role: RoleGenerationTokens, Help: "Tokens generated."},
		{Name: "vllm:prompt_tokens_by_source_total", Type: Counter, Labels: []string{"source"}, Range: since(v0_16_0), Help: "Prompt tokens by source: local_compute, local_cache_hit, external_kv_transfer."},
		{Name: "vllm:prompt_tokens_cached_total", Type: Counter, Range: since(v0_16_0), Help: "Prompt tokens served from a cache, local or external."},
		{Name: "vllm:prompt_tokens_recomputed_total", Type: Counter, Range: between(v0_16_0, v0_20_0), Help: "Prompt tokens recomputed."},
		// Buckets by version: V0 0.6.4 (vllm/engine/metrics.py) the fixed list
		// ending 8096; V1 0.8.0-0.8.4 (vllm/v1/metrics/loggers.py) the sorted
		// cudagraph capture sizes; from 0.8.5 the powers of two to 16384.
		{Name: "vllm:iteration_tokens_total", Type: Histogram, Buckets: vllmIterationBucketsV0, Role: RoleIterationTokens, Range: between(v0_6_4, v0_8_0), Help: "Tokens per engine step (a histogram despite the _total)."},
		{Name: "vllm:iteration_tokens_total", Type: Histogram, Buckets: vllmCudagraphCaptureSizes(), Role: RoleIterationTokens, Range: between(v0_8_0, v0_8_5), Help: "Tokens per engine step (a histogram despite the _total; buckets are the cudagraph capture sizes)."},
		{Name: "vllm:iteration_tokens_total", Type: Histogram, Buckets: vllmIterationBuckets, Role: RoleIterationTokens, Range: since(v0_8_5), Help: "Tokens per engine step (a histogram despite the _total)."},
		// Registered unconditionally from v0.17.0 (vllm/v1/metrics/perf.py,
		// loggers.py), at 0 unless --enable-mfu-metrics; the code names end in
		// _total already, so the exposed names are unchanged.
		{Name: "vllm:estimated_flops_per_gpu_total", Type: Counter, Range: since(v0_17_0), Help: "Estimated floating-point operations per GPU (with --enable-mfu-metrics)."},
		{Name: "vllm:estimated_read_bytes_per_gpu_total", Type: Counter, Range: since(v0_17_0), Help: "Estimated bytes read from GPU memory per GPU (with --enable-mfu-metrics)."},
		{Name: "vllm:estimated_write_bytes_per_gpu_total", Type: Counter, Range: since(v0_17_0), Help: "Estimated bytes written to GPU memory per GPU (with --enable-mfu-metrics)."},
		{Name: "vllm:avg_prompt_throughput_toks_per_s", Type: Gauge, Range: until(v0_7_1), Help: "Interval prompt throughput (removed; use rate of prompt_tokens_total)."},
		{Name: "vllm:avg_generation_throughput_toks_per_s", Type: Gauge, Range: until(v0_7_1), Help: "Interval generation throughput (removed; use rate of generation_tokens_total)."},

		// Request outcomes.
		{Name: "vllm:request_success_total", Type: Counter, Labels: []string{"finished_reason"}, Role: RoleRequestFinished, Range: since(v0_4_2), Help: "Finished requests by finish reason."},

		// Latency histograms.
		{Name: "vllm:time_to_first_token_seconds", Type: Histogram, Buckets: vllmTTFTBucketsOld, Role: RoleTTFT, Range: until(v0_8_4), Help: "Time to first token, seconds."},
		{Name: "vllm:time_to_first_token_seconds", Type: Histogram, Buckets: vllmTTFTBuckets, Role: RoleTTFT, Range: since(v0_8_4), Help: "Time to first token, seconds."},
		{Name: "vllm:time_per_output_token_seconds", Type: Histogram, Buckets: vllmITLBucketsOld, Role: RoleITL, Range: until(v0_8_4), Help: "Inter-token latency, one observation per token (old name)."},
		{Name: "vllm:time_per_output_token_seconds", Type: Histogram, Buckets: vllmITLBuckets, Role: RoleITL, Range: between(v0_8_4, v0_11_0), Help: "Inter-token latency, one observation per token (old name)."},
		{Name: "vllm:time_per_output_token_seconds", Type: Histogram, Buckets: vllmITLBuckets, Range: between(v0_11_0, v0_12_0), Help: "Deprecated copy of inter_token_latency_seconds."},
		// inter_token_latency_seconds is already in v0.10.2 (loggers.py), beside
		// time_per_output_token_seconds with the same observations; the old name
		// keeps the ITL role until its deprecation in 0.11.0.
		{Name: "vllm:inter_token_latency_seconds", Type: Histogram, Buckets: vllmITLBuckets, Range: between(v0_10_2, v0_11_0), Help: "Inter-token latency, one observation per token."},
		{Name: "vllm:inter_token_latency_seconds", Type: Histogram, Buckets: vllmITLBuckets, Role: RoleITL, Range: since(v0_11_0), Help: "Inter-token latency, one observation per token."},
		{Name: "vllm:request_time_per_output_token_seconds", Type: Histogram, Buckets: vllmITLBuckets, Role: RoleTPOTPerRequest, Range: since(v0_11_0), Help: "Mean time per output token of each request."},
		{Name: "vllm:e2e_request_latency_seconds", Type: Histogram, Buckets: vllmLatencyBucketsOld, Role: RoleE2E, Range: until(v0_8_4), Help: "End-to-end request latency, seconds."},
		{Name: "vllm:e2e_request_latency_seconds", Type: Histogram, Buckets: vllmLatencyBuckets, Role: RoleE2E, Range: since(v0_8_4), Help: "End-to-end request latency, seconds."},
		{Name: "vllm:request_queue_time_seconds", Type: Histogram, Buckets: vllmLatencyBuckets, Role: RoleQueueTime, Range: since(v0_8_4), Help: "Time requests spent waiting, seconds."},
		{Name: "vllm:request_queue_time_seconds", Type: Histogram, Buckets: vllmLatencyBucketsOld, Role: RoleQueueTime, Range: between(v0_6_4, v0_8_4), Help: "Time requests spent waiting, seconds."},
		{Name: "vllm:request_inference_time_seconds", Type: Histogram, Buckets: vllmLatencyBuckets, Role: RoleInferenceTime, Range: since(v0_8_4), Help: "Time requests spent running, seconds."},
		{Name: "vllm:request_inference_time_seconds", Type: Histogram, Buckets: vllmLatencyBucketsOld, Role: RoleInferenceTime, Range: between(v0_6_4, v0_8_4), Help: "Time requests spent running, seconds."},
		{Name: "vllm:request_prefill_time_seconds", Type: Histogram, Buckets: vllmLatencyBuckets, Role: RolePrefillTime, Range: since(v0_8_4), Help: "Time requests spent in prefill, seconds."},
		{Name: "vllm:request_prefill_time_seconds", Type: Histogram, Buckets: vllmLatencyBucketsOld, Role: RolePrefillTime, Range: between(v0_6_4, v0_8_4), Help: "Time requests spent in prefill, seconds."},
		{Name: "vllm:request_decode_time_seconds", Type: Histogram, Buckets: vllmLatencyBuckets, Role: RoleDecodeTime, Range: since(v0_8_4), Help: "Time requests spent in decode, seconds."},
		{Name: "vllm:request_decode_time_seconds", Type: Histogram, Buckets: vllmLatencyBucketsOld, Role: RoleDecodeTime, Range: between(v0_6_4, v0_8_4), Help: "Time requests spent in decode, seconds."},
		{Name: "vllm:time_in_queue_requests", Type: Histogram, Buckets: vllmLatencyBucketsOld, Range: between(v0_6_4, v0_8_0), Help: "V0 duplicate of the queue time."},
		{Name: "vllm:model_forward_time_milliseconds", Type: Histogram, Buckets: []float64{1, 2, 3, 5, 8, 10, 20, 30, 50, 80, 100, 200, 300, 500, 800, 1000, 2000, 3000}, Range: between(v0_6_4, v0_8_0), Help: "V0 model forward time, ms."},
		{Name: "vllm:model_execute_time_milliseconds", Type: Histogram, Buckets: []float64{1, 2, 3, 5, 8, 10, 20, 30, 50, 80, 100, 200, 300, 500, 800, 1000, 2000, 3000}, Range: between(v0_6_4, v0_8_0), Help: "V0 model execute time, ms."},

		// Request shapes.
		{Name: "vllm:request_prompt_tokens", Type: Histogram, Buckets: Buckets125(DefaultMaxModelLen), Role: RolePromptLength, Range: since(v0_4_2), Help: "Prompt tokens per request (1-2-5 buckets up to max_model_len)."},
		{Name: "vllm:request_generation_tokens", Type: Histogram, Buckets: Buckets125(DefaultMaxModelLen), Role: RoleGenerationLength, Range: since(v0_4_2), Help: "Generated tokens per request (1-2-5 buckets up to max_model_len)."},
		{Name: "vllm:request_max_num_generation_tokens", Type: Histogram, Buckets: Buckets125(DefaultMaxModelLen), Range: since(v0_6_4), Help: "Maximum requested generation tokens."},
		{Name: "vllm:request_params_n", Type: Histogram, Buckets: vllmParamNBuckets, Range: since(v0_4_2), Help: "The n request parameter."},
		{Name: "vllm:request_params_max_tokens", Type: Histogram, Buckets: Buckets125(DefaultMaxModelLen), Range: since(v0_6_4), Help: "The max_tokens request parameter."},
		{Name: "vllm:request_prefill_kv_computed_tokens", Type: Histogram, Buckets: Buckets125(DefaultMaxModelLen), Range: since(v0_13_0), Help: "Prompt tokens computed in prefill (prompt minus cached)."},

		// Speculative decoding (exposed only when a speculative config is set).
		{Name: "vllm:spec_decode_draft_acceptance_rate", Type: Gauge, Range: between(v0_5_3, v0_8_0), Help: "V0 draft acceptance rate."},
		{Name: "vllm:spec_decode_efficiency", Type: Gauge, Range: between(v0_5_3, v0_8_0), Help: "V0 spec-decode efficiency."},
		{Name: "vllm:spec_decode_num_emitted_tokens_total", Type: Counter, Range: between(v0_5_3, v0_8_0), Help: "V0 emitted tokens."},
		{Name: "vllm:spec_decode_num_draft_tokens_total", Type: Counter, Role: RoleSpecDraftTokens, Range: between(v0_5_3, v0_8_0), Help: "Draft tokens proposed."},
		{Name: "vllm:spec_decode_num_accepted_tokens_total", Type: Counter, Role: RoleSpecAcceptedTokens, Range: between(v0_5_3, v0_8_0), Help: "Draft tokens accepted."},
		{Name: "vllm:spec_decode_num_draft_tokens_total", Type: Counter, Role: RoleSpecDraftTokens, Range: since(v0_8_3), Help: "Draft tokens proposed."},
		{Name: "vllm:spec_decode_num_accepted_tokens_total", Type: Counter, Role: RoleSpecAcceptedTokens, Range: since(v0_8_3), Help: "Draft tokens accepted."},
		{Name: "vllm:spec_decode_num_drafts_total", Type: Counter, Role: RoleSpecDrafts, Range: since(v0_8_5), Help: "Drafts proposed."},
		{Name: "vllm:spec_decode_num_accepted_tokens_per_pos_total", Type: Counter, Labels: []string{"position"}, Range: since(v0_8_5), Help: "Accepted tokens per draft position."},

		// Info and state.
		// cache_config_info never has model_name: its labels are every
		// CacheConfig field (we list the ones dashboards read) plus, from
		// v0.9.0, engine (vllm/v1/metrics/loggers.py v0.8.0-v0.20.1).
		{Name: "vllm:cache_config_info", Type: InfoType, Labels: cacheConfigLabels, Range: until(v0_9_0), NoCommonLabels: true, Help: "Cache configuration (value 1)."},
		{Name: "vllm:cache_config_info", Type: InfoType, Labels: append(slices.Clip(cacheConfigLabels), "engine"), Range: since(v0_9_0), NoCommonLabels: true, Help: "Cache configuration (value 1)."},
		// In vllm/v1/metrics/loggers.py from v0.11.1.
		{Name: "vllm:engine_sleep_state", Type: Gauge, Labels: []string{"sleep_state"}, Range: since(v0_11_1), Help: "Sleep-mode level (0/1 per state)."},
		{Name: "vllm:lora_requests_info", Type: Gauge, Labels: []string{"running_lora_adapters", "waiting_lora_adapters", "max_lora"}, Range: since(v0_6_4), NoCommonLabels: true, Help: "Active LoRA adapters (value is a timestamp)."},
	},

	Changes: []Change{
		{Name: "vllm:gpu_cache_usage_perc", Replacement: "vllm:kv_cache_usage_perc", Deprecated: v0_9_2, Hidden: v0_11_0, Removed: v0_12_0},
		{Name: "vllm:gpu_prefix_cache_queries_total", Replacement: "vllm:prefix_cache_queries_total", Deprecated: v0_9_2, Hidden: v0_11_0, Removed: v0_12_0},
		{Name: "vllm:gpu_prefix_cache_hits_total", Replacement: "vllm:prefix_cache_hits_total", Deprecated: v0_9_2, Hidden: v0_11_0, Removed: v0_12_0},
		{Name: "vllm:time_per_output_token_seconds", Replacement: "vllm:inter_token_latency_seconds", Deprecated: v0_11_0, Hidden: v0_12_0, Removed: v0_15_0},
		// Removed in 0.8 for V1 only: the V0 engine (VLLM_USE_V1=0) kept both
		// in vllm/engine/metrics.py until #18837 (2025-05-28).
		{Name: "vllm:num_requests_swapped", Deprecated: v0_8_0, Removed: v0_8_0, Advice: "the V1 engine never swaps to CPU; watch vllm:num_preemptions_total instead; " + v0KeptUntil18837},
		{Name: "vllm:cpu_cache_usage_perc", Deprecated: v0_8_0, Removed: v0_8_0, Advice: "the V1 engine has no CPU KV cache; " + v0KeptUntil18837},
		{Name: "vllm:gpu_prefix_cache_hit_rate", Removed: v0_8_0, Advice: "compute rate(vllm:prefix_cache_hits_total) / rate(vllm:prefix_cache_queries_total)"},
		{Name: "vllm:cpu_prefix_cache_hit_rate", Removed: v0_8_0, Advice: "the V1 engine has no CPU prefix cache"},
		{Name: "vllm:time_in_queue_requests", Replacement: "vllm:request_queue_time_seconds", Removed: v0_8_0},
		{Name: "vllm:model_forward_time_milliseconds", Replacement: "vllm:request_inference_time_seconds", Removed: v0_8_0},
		{Name: "vllm:model_execute_time_milliseconds", Replacement: "vllm:request_inference_time_seconds", Removed: v0_8_0},
		{Name: "vllm:avg_prompt_throughput_toks_per_s", Removed: v0_7_1, Advice: "compute rate(vllm:prompt_tokens_total[5m])"},
		{Name: "vllm:avg_generation_throughput_toks_per_s", Removed: v0_7_1, Advice: "compute rate(vllm:generation_tokens_total[5m])"},
		{Name: "vllm:spec_decode_draft_acceptance_rate", Removed: v0_8_0, Advice: "compute rate(vllm:spec_decode_num_accepted_tokens_total) / rate(vllm:spec_decode_num_draft_tokens_total)"},
		{Name: "vllm:spec_decode_efficiency", Removed: v0_8_0, Advice: "compute 1 + rate(vllm:spec_decode_num_accepted_tokens_total) / rate(vllm:spec_decode_num_drafts_total)"},
		{Name: "vllm:spec_decode_num_emitted_tokens_total", Removed: v0_8_0, Advice: "the V1 engine counts accepted and draft tokens only"},
		{Name: "vllm:prompt_tokens_recomputed_total", Removed: v0_20_0},
		{Name: "vllm:request_params_best_of", Removed: v0_6_4, Advice: "best_of is gone from the request parameters"},
	},
}
