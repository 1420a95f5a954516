package lint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferobs/inferobs/library"
)

// TestDeadMatch: binary operations whose two sides can never match.
func TestDeadMatch(t *testing.T) {
	v16 := vllmAt(16)
	tests := []struct {
		expr string
		want string // substring; "" means no finding
	}{
		{`increase(vllm:e2e_request_latency_seconds_bucket{le="120.0"}[5m]) < increase(vllm:e2e_request_latency_seconds_count[5m])`,
			`the left side fixes le="120.0" but the right side (vllm:e2e_request_latency_seconds_count) has no le label`},
		{`sum(rate(x_count[5m])) / sum by (le) (rate(x_bucket{le="1"}[5m]))`, `the right side fixes le="1" but the left side (x_count) has no le label`},
		{`rate(x_bucket{le="1"}[5m]) / rate(x_bucket{le="2"}[5m])`, `the left fixes le="1" and the right le="2"`},
		{`x{job="a"} / on(model) y`, ``}, // on() of a label neither side fixes
		{`sum by (model) (x{model="m"}) / on(model) sum(y)`, `has no model label`},
		// Fine: ignoring(le), both sides bucket series, a recorded series, aggregated away.
		{`increase(x_bucket{le="120"}[5m]) / ignoring(le) increase(x_count[5m])`, ``},
		{`sum(rate(x_bucket{le="1"}[5m])) / sum(rate(x_count[5m]))`, ``},
		{`rate(x_bucket{le="1"}[5m]) / on(le) group_left rate(x_bucket{le="1"}[5m])`, ``},
		{`x_bucket{le="1"} / job:x_latency:rate5m`, ``},
		{`x_bucket{le="1"} or x_count`, ``},
		{`x_bucket{le="$le"} / x_count`, ``},
	}
	for _, tt := range tests {
		fs := onlyCheck(Expr(tt.expr, v16), promqlDeadMatchName)
		switch {
		case tt.want == "" && len(fs) > 0:
			t.Errorf("%s: unexpected%s", tt.expr, describe(fs))
		case tt.want != "" && (len(fs) != 1 || !want{line: fs[0].Line, check: promqlDeadMatchName, msg: tt.want}.matches(fs[0])):
			t.Errorf("%s: want %q, got%s", tt.expr, tt.want, describe(fs))
		}
	}
}

// TestWrappedDashboards: dashboards inside ConfigMaps and GrafanaDashboards
// are read, with file lines for literal blocks.
func TestWrappedDashboards(t *testing.T) {
	fs := lintFixture(t, "wrapped/configmap.yaml", vllmAt(16))
	assertFindings(t, onlyCheck(fs, metricRemovedName), []want{
		{11, 0, metricRemovedName, "KV cache", "A", "vllm:gpu_cache_usage_perc was removed in vLLM 0.12"},
		{28, 0, metricRemovedName, "Prefix hits", "A", "vllm:gpu_prefix_cache_hits_total"},
	})
	fs = lintFixture(t, "wrapped/grafanadashboard.yaml", vllmAt(16))
	assertFindings(t, onlyCheck(fs, metricRemovedName), []want{
		{12, 0, metricRemovedName, "KV", "A", "vllm:gpu_cache_usage_perc was removed"},
	})
}

// TestRunSummary: explicit unreadable files warn, walked ones are counted.
func TestRunSummary(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "values.yaml"), "replicas: 3\n")
	write(t, filepath.Join(dir, "rules.yaml"), "groups:\n- name: g\n  rules:\n  - record: a:b\n    expr: sum(x)\n  - record: a:c\n    expr: sum(y)\n")
	rep, err := Run([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 1 || rep.Queries != 2 || len(rep.Skipped) != 1 || len(rep.Findings) != 0 {
		t.Fatalf("walk: %+v", rep)
	}
	rep, err = Run([]string{filepath.Join(dir, "values.yaml")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	assertFindings(t, rep.Findings, []want{{0, 0, fileSkippedName, "", "", "nothing was checked"}})
}

// TestConfigAndDisable: ignored names, checks and paths, and inline comments.
func TestConfigAndDisable(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, ConfigFile)
	write(t, cfgPath, "ignore:\n  names: [\"vllm:healthy_*\"]\n  checks: [promql/counter-rate]\n  paths: [\"legacy-*.yaml\"]\n")
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	rules := `groups:
- name: g
  rules:
  - alert: A
    expr: vllm:healthy_pods_total < 1
  - alert: B
    expr: vllm:request_success_total > 0
  # inferobs-lint-disable metric/removed
  - alert: C
    expr: vllm:gpu_cache_usage_perc > 0.9
  - alert: D # inferobs-lint-disable
    expr: vllm:gpu_cache_usage_perc > 0.9
  - alert: E
    expr: vllm:gpu_cache_usage_perc > 0.9
`
	write(t, filepath.Join(dir, "r.yaml"), rules)
	write(t, filepath.Join(dir, "legacy-r.yaml"), rules)
	rep, err := Run([]string{dir}, Options{Engine: "vllm", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var got []Finding
	for _, f := range rep.Findings {
		if f.Check != EngineAssumed {
			got = append(got, f)
		}
	}
	assertFindings(t, got, []want{{14, 11, metricRemovedName, "", "", "vllm:gpu_cache_usage_perc was removed"}})

	write(t, cfgPath, "ignore:\n  checkz: [x]\n")
	if _, err := LoadConfig(cfgPath); err == nil {
		t.Error("unknown field accepted")
	}
	write(t, cfgPath, "ignore:\n  checks: [metric/removd]\n")
	if _, err := LoadConfig(cfgPath); err == nil {
		t.Error("unknown check accepted")
	}
	_ = os.Remove(cfgPath)
}

// TestPerModelVersions: each rule is checked at the version of the models
// its selectors select; one that selects none falls back and says so.
func TestPerModelVersions(t *testing.T) {
	rules := `groups:
- name: g
  rules:
  - alert: Old
    expr: rate(vllm:time_per_output_token_seconds_sum{job="vllm-old"}[5m]) > 0.9
  - alert: New
    expr: rate(vllm:time_per_output_token_seconds_sum{job="vllm-new"}[5m]) > 0.9
  - alert: Other
    expr: rate(vllm:time_per_output_token_seconds_sum{job="elsewhere"}[5m]) > 0.9
  - alert: Both
    expr: rate(vllm:time_per_output_token_seconds_sum{job=~"vllm-.*"}[5m]) > 0.9
`
	opts := Options{Models: []Model{
		{Name: "old", Engine: "vllm", Version: library.V(0, 11, 0), Selector: map[string]string{"job": "vllm-old"}},
		{Name: "new", Engine: "vllm", Version: library.V(0, 16, 0), Selector: map[string]string{"job": "vllm-new"}},
	}}
	fs, err := File("r.yaml", []byte(rules), opts)
	if err != nil {
		t.Fatal(err)
	}
	var errs []Finding
	for _, f := range fs {
		if f.Severity == SeverityError {
			errs = append(errs, f)
		}
	}
	assertFindings(t, errs, []want{
		{7, 16, metricRemovedName, "", "", "removed in vLLM 0.15"},
		{9, 16, metricRemovedName, "", "", "(the query selects no model of the spec: checked at vLLM"},
		{11, 16, metricRemovedName, "", "", "removed in vLLM 0.15"},
	})
}

// TestVariableQueries: query variables are checked; label_values only for
// names (a raw counter there is fine).
func TestVariableQueries(t *testing.T) {
	fs := lintFixture(t, "dashboards/variables.json", vllmAt(16))
	assertFindings(t, fs, []want{
		{5, 0, metricRemovedName, "variable $model", "", "vllm:gpu_cache_usage_perc was removed"},
		{7, 0, promqlCounterRateName, "variable $top", "", "counter vllm:request_success_total"},
	})
}

// TestCounterRateUnderRemoved: a raw ratio of removed counters gets both
// findings.
func TestCounterRateUnderRemoved(t *testing.T) {
	fs := Expr(`vllm:gpu_prefix_cache_hits_total / vllm:gpu_prefix_cache_queries_total`, vllmAt(16))
	assertFindings(t, fs, []want{
		{1, 1, metricRemovedName, "", "", "use vllm:prefix_cache_hits_total"},
		{1, 1, promqlCounterRateName, "", "", "counter vllm:gpu_prefix_cache_hits_total"},
		{1, 36, metricRemovedName, "", "", "use vllm:prefix_cache_queries_total"},
		{1, 36, promqlCounterRateName, "", "", "counter vllm:gpu_prefix_cache_queries_total"},
	})
}

// TestGrouped: one panel reading a removed name in several targets is one
// finding with a count.
func TestGrouped(t *testing.T) {
	dash := `{"panels": [{"title": "KV", "targets": [
  {"refId": "A", "expr": "avg(vllm:gpu_cache_usage_perc)"},
  {"refId": "B", "expr": "max(vllm:gpu_cache_usage_perc)"},
  {"refId": "C", "expr": "min(vllm:gpu_cache_usage_perc)"}]}]}`
	fs, err := File("d.json", []byte(dash), vllmAt(16))
	if err != nil {
		t.Fatal(err)
	}
	assertFindings(t, fs, []want{{2, 0, metricRemovedName, "KV", "A", "removed in vLLM 0.12; use vllm:kv_cache_usage_perc (3 times in this panel)"}})
}

// TestRateWindow: $__interval in a rate, and literal windows shorter than
// two scrapes when the scrape interval is known.
func TestRateWindow(t *testing.T) {
	scrape := vllmAt(16)
	scrape.ScrapeInterval = 30 * time.Second
	tests := []struct {
		expr string
		opts Options
		want string
	}{
		{`sum(rate(vllm:request_success_total[$__interval]))`, vllmAt(16), "use [$__rate_interval]"},
		{`sum(increase(vllm:request_success_total{a="b"}[${__interval}]))`, vllmAt(16), "use [$__rate_interval]"},
		{`sum(rate(vllm:request_success_total[$__rate_interval]))`, vllmAt(16), ""},
		{`avg_over_time(vllm:num_requests_running[$__interval])`, vllmAt(16), ""},
		{`rate(vllm:request_success_total[30s])`, scrape, "a 30s window with a 30s scrape interval"},
		{`rate(vllm:request_success_total[1m])`, scrape, ""},
		{`rate(vllm:request_success_total[30s])`, vllmAt(16), ""}, // scrape interval unknown
	}
	for _, tt := range tests {
		fs := onlyCheck(Expr(tt.expr, tt.opts), promqlRateWindowName)
		switch {
		case tt.want == "" && len(fs) > 0:
			t.Errorf("%s: unexpected%s", tt.expr, describe(fs))
		case tt.want != "" && (len(fs) != 1 || !strings.Contains(fs[0].Message, tt.want)):
			t.Errorf("%s: want %q, got%s", tt.expr, tt.want, describe(fs))
		}
	}
}

// TestSanitizedAndRecordedEngineNames: vllm_ names, and recording rules
// that overwrite an engine name.
func TestSanitizedAndRecordedEngineNames(t *testing.T) {
	rules := `groups:
- name: g
  rules:
  - record: vllm:num_requests_waiting
    expr: avg by (model_name) (vllm_num_requests_waiting)
  - record: model:kv:avg
    expr: avg(ray_vllm_kv_cache_usage_perc) + avg(vllm_not_a_name)
`
	fs, err := File("r.yaml", []byte(rules), vllmAt(16))
	if err != nil {
		t.Fatal(err)
	}
	assertFindings(t, fs, []want{
		{4, 13, rulesEngineNameName, "", "", "a name vLLM itself exposes"},
		{5, 32, metricSanitizedName, "", "", "its series are named vllm:num_requests_waiting"},
	})
	fs = Expr(`rate(vllm:request_failure_counter[5m])`, vllmAt(16))
	assertFindings(t, fs, []want{{1, 6, metricUnknownName, "", "", `use vllm:request_success_total{finished_reason=~"abort|error"}`}})
}
