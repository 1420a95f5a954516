package lint

import (
	"strings"
	"testing"

	"github.com/inferobs/inferobs/library"
)

func TestFixtures(t *testing.T) {
	tests := []struct {
		file  string
		opts  Options
		wants []want
	}{
		{
			file: "rules/defects.yaml", opts: vllmAt(16),
			wants: []want{
				{6, 15, metricRemovedName, "", "", "vllm:gpu_cache_usage_perc was removed in vLLM 0.12; use vllm:kv_cache_usage_perc"},
				{8, 41, metricUnknownName, "", "", "vllm:prompt_tokens is not exposed: vLLM counters carry the _total suffix; use vllm:prompt_tokens_total"},
				{10, 70, metricUnknownName, "", "", "did you mean vllm:time_to_first_token_seconds_bucket?"},
				{12, 37, promqlCounterRateName, "", "", "counter vllm:request_success_total is read without rate()"},
				{14, 37, promqlRateGaugeName, "", "", "rate() over gauge vllm:num_requests_running"},
				{16, 40, promqlQuantileLeName, "", "", "histogram_quantile() over sum by (model_name): the aggregation drops the le label"},
				{18, 15, promqlDPEngineName, "", "", "histogram_quantile() keeps the engine label of vllm:e2e_request_latency_seconds_bucket"},
				{20, 15, promqlDPEngineName, "", "", "alert condition compares vllm:num_requests_waiting per engine rank"},
				{22, 41, promqlLeBucketName, "", "", `le="1" on vllm:time_to_first_token_seconds_bucket never matches: vLLM exposes this boundary as le="1.0"`},
				{24, 41, promqlLeBucketName, "", "", `0.3 is not a bucket boundary of vllm:time_to_first_token_seconds in vLLM 0.16.0 (nearest: "0.25", "0.5")`},
				{26, 15, labelsForbiddenName, "", "", "label user_id is forbidden (high cardinality) but is used in sum by (model_name, user_id)"},
				{28, 15, alertsComparisonName, "", "", "alert NoCondition has no comparison"},
				{30, 15, alertsComparisonName, "", "", "alert BoolCondition compares with the bool modifier"},
				{31, 16, rulesDuplicateName, "", "", "QueueDeep duplicates the rule at line 19"},
				{32, 15, promqlDPEngineName, "", "", "alert condition compares vllm:num_requests_waiting per engine rank"},
				{33, 17, rulesDuplicateName, "", "", `record model:prompt_tokens:rate5m is defined twice in group "vllm-defects"`},
				{36, 56, promqlSyntaxName, "", "", "PromQL does not parse: unexpected <by> in aggregation"},
				{40, 13, metricRemovedName, "", "", "vllm:num_requests_swapped was removed in vLLM 0.8; the V1 engine never swaps to CPU"},
				{43, 15, rulesGroupIntervalName, "", "", `group "slow" is evaluated every 10m, longer than the 5m lookback`},
			},
		},
		{
			file: "rules/prometheusrule.yaml",
			wants: []want{
				{10, 0, engineAssumedName, "", "", "checked vLLM names against vLLM 0.25"},
				{10, 17, metricRemovedName, "", "", "vllm:gpu_cache_usage_perc was removed in vLLM 0.12"},
				{31, 17, metricRemovedName, "", "", "vllm:num_requests_swapped was removed in vLLM 0.8"},
				{32, 18, rulesDuplicateName, "", "", "KVCacheFull duplicates the rule at line 9"},
				{33, 17, metricRemovedName, "", "", "vllm:gpu_cache_usage_perc was removed in vLLM 0.12"},
			},
		},
		{
			file: "dashboards/vllm-v0.json", opts: vllmAt(16),
			wants: []want{
				{80, 0, metricRemovedName, "Scheduler State", "B", "vllm:num_requests_swapped was removed in vLLM 0.8"},
				{115, 0, metricRemovedName, "Time Per Output Token Latency", "A", "vllm:time_per_output_token_seconds_bucket was removed in vLLM 0.15; use vllm:inter_token_latency_seconds_bucket"},
				{124, 0, metricRemovedName, "Time Per Output Token Latency", "B", "use vllm:inter_token_latency_seconds_count"},
				{124, 0, metricRemovedName, "Time Per Output Token Latency", "B", "use vllm:inter_token_latency_seconds_sum"},
				{162, 0, metricRemovedName, "Cache Utilization", "A", "vllm:gpu_cache_usage_perc was removed in vLLM 0.12; use vllm:kv_cache_usage_perc"},
				{171, 0, metricRemovedName, "Cache Utilization", "B", "vllm:cpu_cache_usage_perc was removed in vLLM 0.8; the V1 engine has no CPU KV cache"},
			},
		},
		{
			// The same dashboard was right for the release it was written for.
			file: "dashboards/vllm-v0.json", opts: vllmAt(7),
		},
		{
			file: "dashboards/vllm-mixed.json",
			wants: []want{
				{23, 0, engineAssumedName, "", "", "no vLLM version given: checked vLLM names against vLLM 0.25"},
				{23, 0, metricRemovedName, "KV Cache", "A", "vllm:gpu_cache_usage_perc was removed in vLLM 0.12; use vllm:kv_cache_usage_perc"},
				{131, 0, promqlSyntaxName, "Finish Reasons", "A", "unexpected <by> in aggregation (in `sum(increase(vllm:request_success_total[5m]) by (finished_reason)`"},
			},
		},
		{
			file: "dashboards/vllm-mixed.json", opts: vllmAt(10),
			wants: []want{
				{23, 0, metricRemovedName, "KV Cache", "A", "vllm:gpu_cache_usage_perc is deprecated since vLLM 0.9.2, hidden in 0.11 and removed in 0.12"},
				{84, 0, metricUnknownName, "Inter-Token Latency", "A", "vllm:inter_token_latency_seconds_bucket is not exposed by vLLM 0.10.0: it first appears in 0.10.2"},
				{131, 0, promqlSyntaxName, "Finish Reasons", "A", "unexpected <by>"},
			},
		},
		{
			file: "dashboards/vllm-mixed.json", opts: vllmAt(11),
			wants: []want{
				{23, 0, metricRemovedName, "KV Cache", "A", "vllm:gpu_cache_usage_perc is hidden since vLLM 0.11 and removed in 0.12; use vllm:kv_cache_usage_perc"},
				{131, 0, promqlSyntaxName, "Finish Reasons", "A", "unexpected <by>"},
			},
		},
		{
			file: "dashboards/tgi.json",
			wants: []want{
				{17, 0, engineAssumedName, "", "", "no TGI version given: checked TGI names against TGI 3.3"},
				{17, 0, metricUnknownName, "Requests", "A", "tgi_request_success_total is not exposed: TGI counters have no _total suffix; use tgi_request_success"},
				{21, 0, metricUnknownName, "Requests", "B", "use tgi_request_failure"},
				{51, 0, metricUnknownName, "Speculated Tokens", "A", "tgi_request_skipped_tokens is a summary in TGI 3.3.0 and has no _bucket series"},
			},
		},
		{
			// Before 2.3 the speculated-token family was a histogram.
			file: "dashboards/tgi.json", opts: Options{Engine: library.TGI, Version: library.V(2, 2, 0)},
			wants: []want{
				{17, 0, metricUnknownName, "Requests", "A", "use tgi_request_success"},
				{21, 0, metricUnknownName, "Requests", "B", "use tgi_request_failure"},
			},
		},
		{file: "rules/clean.yaml", opts: vllmAt(16)},
		{file: "dashboards/clean.json", opts: vllmAt(16)},
		{
			file:  "rules/clean.yaml",
			wants: []want{{7, 0, engineAssumedName, "", "", "checked vLLM names against vLLM 0.25.0, the newest release inferobs knows (pin one with --engine vllm@<version>); the vllm catalog was last verified against release 0.20.1"}},
		},
	}
	for _, tc := range tests {
		name := tc.file
		if tc.opts.Engine != "" {
			name += "@" + tc.opts.Version.Short()
		}
		t.Run(name, func(t *testing.T) {
			got := lintFixture(t, tc.file, tc.opts)
			for _, f := range got {
				if f.File != tc.file {
					t.Errorf("finding in file %q, want %q", f.File, tc.file)
				}
			}
			assertFindings(t, got, tc.wants)
		})
	}
}

func TestSeverities(t *testing.T) {
	got := lintFixture(t, "rules/defects.yaml", vllmAt(16))
	want := map[string]Severity{
		metricRemovedName: SeverityError, metricUnknownName: SeverityError, promqlSyntaxName: SeverityError,
		promqlCounterRateName: SeverityWarning, promqlRateGaugeName: SeverityError, promqlQuantileLeName: SeverityError,
		promqlDPEngineName: SeverityInfo, promqlLeBucketName: SeverityError, labelsForbiddenName: SeverityError,
		rulesGroupIntervalName: SeverityWarning,
	}
	for _, f := range got {
		if s, ok := want[f.Check]; ok && f.Severity != s {
			t.Errorf("%s at line %d: severity %s, want %s", f.Check, f.Line, f.Severity, s)
		}
	}
	// With the spec's evidence of data parallelism, dp-engine warns.
	dp := vllmAt(16)
	dp.Models = []Model{{Name: "m", Engine: "vllm", Version: dp.Version, DataParallel: 2}}
	for _, f := range onlyCheck(lintFixture(t, "rules/defects.yaml", dp), promqlDPEngineName) {
		if f.Severity != SeverityWarning {
			t.Errorf("dataParallel 2: %s at line %d: severity %s, want warning", f.Check, f.Line, f.Severity)
		}
	}
	if !HasErrors(got) {
		t.Error("HasErrors = false for the defects file")
	}
	if HasErrors(lintFixture(t, "rules/clean.yaml", Options{})) {
		t.Error("HasErrors = true for the clean file (info only)")
	}
}

func TestFileUnrecognised(t *testing.T) {
	for _, tc := range []struct{ name, data string }{
		{"values.yaml", "replicaCount: 2\n"},
		{"package.json", `{"name": "x"}`},
		{"empty.yaml", ""},
		{"k8s.yaml", "kind: ConfigMap\ndata:\n  groups: none\n"},
	} {
		fs, err := File(tc.name, []byte(tc.data), Options{})
		if err != nil || len(fs) != 0 {
			t.Errorf("%s: got %v, %v; want no findings and no error", tc.name, fs, err)
		}
	}
}

func TestFileSyntax(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		line       int
	}{
		{"bad.json", "{\n  \"panels\": [\n    {\"expr\": }\n  ]\n}\n", 3},
		{"bad.yaml", "groups:\n  - name: x\n    rules: [\n", 0},
	} {
		fs, err := File(tc.name, []byte(tc.data), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 || fs[0].Check != fileSyntaxName || fs[0].Severity != SeverityError || (tc.line != 0 && fs[0].Line != tc.line) {
			t.Errorf("%s: got%s; want one %s at line %d", tc.name, describe(fs), fileSyntaxName, tc.line)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		err  string
	}{
		{Options{Engine: "sglang"}, `unknown engine "sglang"`},
		{Options{Version: library.V(0, 16, 0)}, "version 0.16 given without an engine"},
		{Options{Engine: library.VLLM, Version: library.V(0, 1, 0)}, "outside the versions inferobs knows"},
	} {
		_, err := File("x.yaml", []byte("groups: []\n"), tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("File(%+v) error = %v, want %q", tc.opts, err, tc.err)
		}
		fs := Expr("up", tc.opts)
		if len(fs) != 1 || fs[0].Check != engineInvalidName || !strings.Contains(fs[0].Message, tc.err) {
			t.Errorf("Expr(%+v) =%s, want one %s", tc.opts, describe(fs), engineInvalidName)
		}
	}
}

// TestFileShapes covers the other layouts a dashboard or rule file may have.
func TestFileShapes(t *testing.T) {
	const q = `"expr": "vllm:gpu_cache_usage_perc"`
	tests := []struct {
		name, file, data string
		wants            []want
	}{
		{"resource", "d.json", `{"apiVersion": "dashboard.grafana.app/v1beta1", "kind": "Dashboard", "spec": {"panels": [
  {"title": "KV", "targets": [{"refId": "A", ` + q + `}]}]}}`,
			[]want{{2, 0, metricRemovedName, "KV", "A", "was removed in vLLM 0.12"}}},
		{"v2 schema", "d.json", `{"kind": "Dashboard", "spec": {"elements": {"panel-1": {"kind": "Panel", "spec": {"title": "KV",
  "data": {"kind": "QueryGroup", "spec": {"queries": [
    {"kind": "PanelQuery", "spec": {"refId": "A", "query": {"kind": "DataQuery", "group": "prometheus", "spec": {` + q + `}}}},
    {"kind": "PanelQuery", "spec": {"refId": "B", "query": {"kind": "DataQuery", "group": "loki", "spec": {"expr": "{app=\"x\"} |= \"e\""}}}}
  ]}}}}}}}`,
			[]want{{3, 0, metricRemovedName, "KV", "A", "was removed in vLLM 0.12"}}},
		{"pre-5 rows", "d.json", `{"rows": [{"title": "Row", "panels": [{"title": "KV", "datasource": "Prometheus",
  "targets": [{"refId": "A", ` + q + `}]}]}]}`,
			[]want{{2, 0, metricRemovedName, "KV", "A", "was removed in vLLM 0.12"}}},
		{"string datasource", "d.json", `{"panels": [{"title": "Logs", "datasource": "${DS_LOKI}", "targets": [{"refId": "A", "expr": "{app=\"x\"}"}]}]}`, nil},
		{"mixed datasource", "d.json", `{"panels": [{"title": "M", "datasource": {"type": "datasource", "uid": "-- Mixed --"}, "targets": [
  {"refId": "A", "datasource": {"type": "loki"}, "expr": "{app=\"x\"}"},
  {"refId": "B", "datasource": {"type": "prometheus"}, ` + q + `}]}]}`,
			[]want{{3, 0, metricRemovedName, "M", "B", "was removed in vLLM 0.12"}}},
		{"PrometheusRule as JSON", "r.json", `{"kind": "PrometheusRule", "spec": {"groups": [{"name": "g", "rules": [
  {"alert": "A", "expr": "vllm:gpu_cache_usage_perc > 1"}]}]}}`,
			[]want{{2, 27, metricRemovedName, "", "", "was removed in vLLM 0.12"}}},
		{"List of PrometheusRule", "r.yaml", "kind: List\nitems:\n- kind: PrometheusRule\n  spec:\n    groups:\n    - name: g\n      rules:\n      - record: r\n        expr: vllm:gpu_cache_usage_perc\n",
			[]want{{9, 15, metricRemovedName, "", "", "was removed in vLLM 0.12"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := File(tc.file, []byte(tc.data), vllmAt(16))
			if err != nil {
				t.Fatal(err)
			}
			assertFindings(t, fs, tc.wants)
		})
	}
}
