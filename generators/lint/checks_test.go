package lint

import (
	"testing"

	"github.com/inferobs/inferobs/library"
)

// TestExprChecks runs each check on single expressions (Expr), keeping only
// that check's findings; an empty want means the expression is fine.
func TestExprChecks(t *testing.T) {
	v16 := vllmAt(16)
	tgi := Options{Engine: library.TGI, Version: library.V(3, 3, 0)}
	tests := []struct {
		check string
		expr  string
		opts  Options
		wants []want
	}{
		// promql/syntax: position inside the expression; template variables replaced first.
		{promqlSyntaxName, `sum(rate(vllm:request_success_total[5m])`, v16, []want{{1, 41, promqlSyntaxName, "", "", "unclosed left parenthesis"}}},
		{promqlSyntaxName, `rate(x[$__rate_interval]) / on($grp) group_left y{a=~"${a:regex}"}`, v16, nil},
		{promqlSyntaxName, `rate(x[$__rate_interval]`, v16, []want{{1, 1, promqlSyntaxName, "", "", "after replacing template variables"}}},

		// metric/removed.
		{metricRemovedName, `avg(vllm:gpu_cache_usage_perc) * 100`, v16, []want{{1, 5, metricRemovedName, "", "", "vllm:gpu_cache_usage_perc was removed in vLLM 0.12; use vllm:kv_cache_usage_perc"}}},
		{metricRemovedName, `sum(rate(vllm:gpu_prefix_cache_hits_total[5m]))`, v16, []want{{1, 10, metricRemovedName, "", "", "use vllm:prefix_cache_hits_total"}}},
		{metricRemovedName, `vllm:avg_generation_throughput_toks_per_s`, v16, []want{{1, 1, metricRemovedName, "", "", "removed in vLLM 0.7.1; compute rate(vllm:generation_tokens_total[5m])"}}},
		{metricRemovedName, `rate(vllm:time_per_output_token_seconds_sum[5m])`, vllmAt(12), []want{{1, 6, metricRemovedName, "", "", "is hidden since vLLM 0.12 and removed in 0.15; use vllm:inter_token_latency_seconds_sum"}}},
		{metricRemovedName, `vllm:gpu_cache_usage_perc`, vllmAt(8), nil},
		{metricRemovedName, `vllm:kv_cache_usage_perc`, v16, nil},
		// Ray Serve's names: ray_ prefix, and ":" rewritten to "_" since vLLM #25439.
		{metricRemovedName, `ray_vllm:gpu_cache_usage_perc`, v16, []want{{1, 1, metricRemovedName, "", "", "vllm:gpu_cache_usage_perc was removed in vLLM 0.12"}}},
		{metricRemovedName, `rate(ray_vllm_gpu_prefix_cache_hits_total[5m])`, v16, []want{{1, 6, metricRemovedName, "", "", "use vllm:prefix_cache_hits_total"}}},
		{metricRemovedName, `ray_vllm_kv_cache_usage_perc`, v16, nil},
		{metricUnknownName, `ray_serve_deployment_request_counter_total`, v16, nil},
		// Advice names only series of the checked version; hints for names users invent.
		{metricRemovedName, `vllm:gpu_prefix_cache_hit_rate`, vllmAt(8), []want{{1, 1, metricRemovedName, "", "", "compute rate(vllm:gpu_prefix_cache_hits_total) / rate(vllm:gpu_prefix_cache_queries_total)"}}},
		{metricUnknownName, `rate(vllm:request_failure_total[5m])`, v16, []want{{1, 6, metricUnknownName, "", "", `use vllm:request_success_total{finished_reason=~"abort|error"}`}}},
		{metricUnknownName, `rate(vllm:request_failure_total[5m])`, vllmAt(6), []want{{1, 6, metricUnknownName, "", "", `use vllm:request_success_total{finished_reason=~"abort"}`}}},

		// metric/unknown.
		{metricUnknownName, `vllm:kv_cache_usage_perc_total`, v16, []want{{1, 1, metricUnknownName, "", "", "did you mean vllm:kv_cache_usage_perc?"}}},
		{metricUnknownName, `rate(vllm:generation_tokens[5m])`, v16, []want{{1, 6, metricUnknownName, "", "", "vLLM counters carry the _total suffix; use vllm:generation_tokens_total"}}},
		{metricUnknownName, `rate(tgi_batch_concat_total[5m])`, tgi, []want{{1, 6, metricUnknownName, "", "", "TGI counters have no _total suffix; use tgi_batch_concat"}}},
		{metricUnknownName, `vllm:iteration_tokens_total`, v16, []want{{1, 1, metricUnknownName, "", "", "is a classic histogram in vLLM 0.16.0: select vllm:iteration_tokens_total_bucket"}}},
		{metricUnknownName, `vllm:num_requests_running_bucket`, v16, []want{{1, 1, metricUnknownName, "", "", "vllm:num_requests_running is a gauge in vLLM 0.16.0 and has no _bucket series"}}},
		{metricUnknownName, `vllm:num_requests_waiting_by_reason`, v16, []want{{1, 1, metricUnknownName, "", "", "is not exposed by vLLM 0.16.0: it first appears in 0.20"}}},
		{metricUnknownName, `vllm:healthy_pods_totals`, v16, []want{{1, 1, metricUnknownName, "", "", "is not a metric vLLM 0.16.0 exposes (it may come from another exporter)"}}},
		{metricUnknownName, `vllm:healthy_pods_total + vllm:current_qps`, v16, nil}, // production-stack router series
		{metricUnknownName, `vllm:not_a_real_vllm_metric_name`, v16, []want{{1, 1, metricUnknownName, "", "", "it may come from another exporter"}}},
		{metricUnknownName, `{__name__="vllm:num_request_running"}`, v16, []want{{1, 1, metricUnknownName, "", "", "did you mean vllm:num_requests_running?"}}},
		{metricUnknownName, `rate(vllm:request_success_created[5m])`, v16, nil},
		{metricUnknownName, `vllm:${metric}_total`, v16, nil}, // assembled from a variable: not checked

		// promql/counter-rate.
		{promqlCounterRateName, `vllm:e2e_request_latency_seconds_sum / vllm:e2e_request_latency_seconds_count`, v16, []want{
			{1, 1, promqlCounterRateName, "", "", "counter vllm:e2e_request_latency_seconds_sum"},
			{1, 40, promqlCounterRateName, "", "", "counter vllm:e2e_request_latency_seconds_count"},
		}},
		{promqlCounterRateName, `max_over_time(vllm:num_preemptions_total[1h])`, v16, []want{{1, 15, promqlCounterRateName, "", "", "vllm:num_preemptions_total"}}},
		{promqlCounterRateName, `sum(increase(vllm:num_preemptions_total[1h])) + count(vllm:request_success_total) + absent(vllm:prompt_tokens_total)`, v16, nil},
		{promqlCounterRateName, `rate(vllm:prompt_tokens_total[5m]) and vllm:generation_tokens_total`, v16, nil},
		{promqlCounterRateName, `rate(sum by (model_name) (vllm:prompt_tokens_total)[5m:1m])`, v16, nil},
		{promqlCounterRateName, `tgi_request_count`, tgi, []want{{1, 1, promqlCounterRateName, "", "", "counter tgi_request_count"}}},

		// promql/rate-gauge.
		{promqlRateGaugeName, `irate(vllm:kv_cache_usage_perc[5m])`, v16, []want{{1, 1, promqlRateGaugeName, "", "", "irate() over gauge vllm:kv_cache_usage_perc"}}},
		{promqlRateGaugeName, `increase(tgi_queue_size[10m:1m])`, tgi, []want{{1, 1, promqlRateGaugeName, "", "", "increase() over gauge tgi_queue_size"}}},
		{promqlRateGaugeName, `deriv(vllm:kv_cache_usage_perc[5m]) + rate(vllm:prompt_tokens_total[5m])`, v16, nil},

		// promql/quantile-le.
		{promqlQuantileLeName, `histogram_quantile(0.9, sum(rate(vllm:time_to_first_token_seconds_bucket[5m])))`, v16, []want{{1, 25, promqlQuantileLeName, "", "", "histogram_quantile() over sum(): the aggregation drops the le label"}}},
		{promqlQuantileLeName, `histogram_quantile(0.9, sum without (le) (rate(foo_bucket[5m])))`, v16, []want{{1, 25, promqlQuantileLeName, "", "", "over sum without (le)"}}},
		{promqlQuantileLeName, `histogram_quantile(0.9, rate(vllm:e2e_request_latency_seconds_count[5m]))`, v16, []want{{1, 1, promqlQuantileLeName, "", "", "reads vllm:e2e_request_latency_seconds_count, not a _bucket series"}}},
		{promqlQuantileLeName, `histogram_quantile(0.9, label_replace(sum by (le, model_name) (rate(vllm:e2e_request_latency_seconds_bucket[5m])), "m", "$1", "model_name", "(.*)"))`, v16, nil},
		{promqlQuantileLeName, `histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))`, v16, nil},
		{promqlQuantileLeName, `histogram_quantile(0.9, sum by (le) (rate(my:latency_seconds:rate5m[5m])))`, v16, nil},

		// promql/dp-engine.
		{promqlDPEngineName, `histogram_quantile(0.99, sum without (pod) (rate(vllm:inter_token_latency_seconds_bucket[5m])))`, v16, []want{{1, 1, promqlDPEngineName, "", "", "keeps the engine label of vllm:inter_token_latency_seconds_bucket"}}},
		{promqlDPEngineName, `histogram_quantile(0.99, sum by (le, engine) (rate(vllm:inter_token_latency_seconds_bucket[5m])))`, v16, nil},
		{promqlDPEngineName, `histogram_quantile(0.99, sum by (le) (rate(vllm:inter_token_latency_seconds_bucket[5m])))`, v16, nil},
		{promqlDPEngineName, `histogram_quantile(0.99, rate(vllm:inter_token_latency_seconds_bucket{engine="0"}[5m]))`, v16, nil},
		{promqlDPEngineName, `histogram_quantile(0.99, rate(vllm:time_to_first_token_seconds_bucket[5m]))`, vllmAt(7), nil}, // V0: no engine label
		{promqlDPEngineName, `count by (model_name) (vllm:num_requests_running)`, v16, []want{{1, 1, promqlDPEngineName, "", "", "count() over vllm:num_requests_running counts one series per engine rank"}}},
		{promqlDPEngineName, `count without (engine) (vllm:num_requests_running)`, v16, []want{{1, 1, promqlDPEngineName, "", "", "counts one series per engine rank"}}},
		{promqlDPEngineName, `count by (model_name, engine) (vllm:num_requests_running)`, v16, nil},
		{promqlDPEngineName, `vllm:num_requests_running > 4`, v16, nil}, // only alert conditions are compared per rank

		// promql/le-bucket.
		{promqlLeBucketName, `rate(vllm:request_queue_time_seconds_bucket{le="60"}[5m])`, v16, []want{{1, 6, promqlLeBucketName, "", "", `vLLM exposes this boundary as le="60.0"`}}},
		{promqlLeBucketName, `rate(vllm:time_to_first_token_seconds_bucket{le="160.0"}[5m])`, vllmAt(8), []want{{1, 6, promqlLeBucketName, "", "", `160.0 is not a bucket boundary of vllm:time_to_first_token_seconds in vLLM 0.8.0 (nearest: "10.0")`}}},
		{promqlLeBucketName, `rate(vllm:time_to_first_token_seconds_bucket{le="160.0"}[5m])`, v16, nil},
		{promqlLeBucketName, `rate(vllm:time_to_first_token_seconds_bucket{le="+Inf"}[5m])`, v16, nil},
		{promqlLeBucketName, `rate(vllm:time_to_first_token_seconds_bucket{le="$threshold"}[5m])`, v16, nil},
		{promqlLeBucketName, `rate(tgi_batch_next_size_bucket{le="1024"}[5m])`, tgi, nil},
		{promqlLeBucketName, `rate(tgi_batch_next_size_bucket{le="1024.0"}[5m])`, tgi, []want{{1, 6, promqlLeBucketName, "", "", `matches only in Prometheus 3 (scraped series); match both forms with le=~"1024|1024\\.0"`}}},
		{promqlLeBucketName, `rate(tgi_request_input_length_bucket{le="fast"}[5m])`, tgi, []want{{1, 6, promqlLeBucketName, "", "", "the value is not a number"}}},

		// labels/forbidden.
		{labelsForbiddenName, `sum by (session_id) (rate(vllm:request_success_total[5m]))`, v16, []want{{1, 1, labelsForbiddenName, "", "", "label session_id is forbidden (high cardinality) but is used in sum by (session_id)"}}},
		{labelsForbiddenName, `vllm:num_requests_running{request_id!=""}`, v16, []want{{1, 1, labelsForbiddenName, "", "", "a selector of vllm:num_requests_running"}}},
		{labelsForbiddenName, `a * on (user_id) group_left (session_id) b`, v16, []want{
			{1, 1, labelsForbiddenName, "", "", "label session_id is forbidden (high cardinality) but is used in group_left/group_right(...)"},
			{1, 1, labelsForbiddenName, "", "", "label user_id is forbidden (high cardinality) but is used in on(...)"},
		}},
		{labelsForbiddenName, `sum without (user_id) (rate(x[5m]))`, v16, nil},
		{labelsForbiddenName, `sum by (tenant) (rate(x[5m]))`, Options{ForbiddenLabels: []string{"tenant"}}, []want{{1, 1, labelsForbiddenName, "", "", "label tenant is forbidden"}}},
		{labelsForbiddenName, `sum by (user_id) (rate(x[5m]))`, Options{ForbiddenLabels: []string{}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.check+"/"+tc.expr, func(t *testing.T) {
			assertFindings(t, onlyCheck(Expr(tc.expr, tc.opts), tc.check), tc.wants)
		})
	}
}

// TestAlertCondition covers alerts/comparison on rules, where the expression
// is an alert.
func TestAlertCondition(t *testing.T) {
	tests := []struct {
		expr string
		want string // "" when fine
	}{
		{`up == 0`, ""},
		{`absent(up)`, ""},
		{`sum by (job) (up) < 1 and on (job) rate(x[5m]) > 0`, ""},
		{`rate(x[5m]) and on (job) y > 1`, ""},
		{`(x > 1) * 100`, ""},
		{`x > 1 or y`, "has no comparison"},
		{`sum(x)`, "has no comparison"},
		{`x > bool 1`, "compares with the bool modifier"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			data := "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: '" + tc.expr + "'\n"
			fs, err := File("a.yaml", []byte(data), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var wants []want
			if tc.want != "" {
				wants = []want{{5, 11, alertsComparisonName, "", "", tc.want}}
			}
			assertFindings(t, onlyCheck(fs, alertsComparisonName), wants)
		})
	}
}

func TestDPAlertCondition(t *testing.T) {
	tests := []struct {
		expr string
		bad  bool
	}{
		{`vllm:num_requests_running > 4`, true},
		{`4 < sum without (pod) (vllm:num_requests_waiting)`, true},
		{`sum without (pod) (rate(vllm:request_success_total[5m])) < 0.1`, true},
		{`sum without (engine) (vllm:num_requests_running) > 4`, false},
		{`sum by (model_name) (vllm:num_requests_running) > 4`, false},
		{`max by (model_name, engine) (vllm:num_requests_running) > 4`, false}, // explicit per rank
		{`vllm:kv_cache_usage_perc > 0.9`, false},                              // a per-rank ratio
		{`rate(vllm:e2e_request_latency_seconds_sum[5m]) / rate(vllm:e2e_request_latency_seconds_count[5m]) > 2`, false},
		{`vllm:lora_requests_info > 0`, false}, // no engine label on this family
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			data := "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: " + tc.expr + "\n"
			fs, err := File("a.yaml", []byte(data), vllmAt(16))
			if err != nil {
				t.Fatal(err)
			}
			var wants []want
			if tc.bad {
				wants = []want{{5, 11, promqlDPEngineName, "", "", "alert condition compares"}}
			}
			assertFindings(t, onlyCheck(fs, promqlDPEngineName), wants)
		})
	}
}
