package plan_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
)

func TestModelPortsAndMatchers(t *testing.T) {
	p, ds := planOf(t, `models: t22: {engine: "tgi", engineVersion: "2.2", selector: {job: "t22"}, gpu: "h100", metricsPort: 8080}
models: v22: {engine: "vllm", engineVersion: "0.22.0", selector: {job: "v22"}, gpu: "h100", metricsPort: 9090}`)
	if p == nil {
		t.Fatal(ds)
	}
	ports := map[string]int{}
	for _, m := range p.Models {
		ports[m.Name] = m.MetricsPort()
		if m.MetricsPath() != "/metrics" {
			t.Errorf("%s: path %s", m.Name, m.MetricsPath())
		}
	}
	if want := map[string]int{"t22": 8080, "tgi": 80, "v11": 8000, "v22": 9090}; !equal(ports, want) {
		t.Errorf("ports %v, want %v", ports, want)
	}
	// A version past the last verified release is planned, with a warning
	// that names that release.
	var warned bool
	for _, d := range ds {
		warned = warned || strings.Contains(d.String(), "models.v22.engineVersion") && strings.Contains(d.String(), "last verified against release 0.20.1")
	}
	if !warned {
		t.Errorf("no verified-through warning for vllm 0.22 in %v", ds)
	}
	// cache_config_info carries no model_name: its matchers drop it.
	for _, m := range p.Models {
		if m.Name != "v11" {
			continue
		}
		cc, _ := m.Catalog.ByName("vllm:cache_config_info")
		run, _ := m.Catalog.ByName("vllm:num_requests_running")
		if has(m.MatchersFor(cc), "model_name") || !has(m.MatchersFor(run), "model_name") || !has(m.MatchersFor(cc), "job") {
			t.Errorf("matchers: cache_config_info %v, num_requests_running %v", m.MatchersFor(cc), m.MatchersFor(run))
		}
	}
}

func equal(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func has(ms []*labels.Matcher, name string) bool {
	return slices.ContainsFunc(ms, func(m *labels.Matcher) bool { return m.Name == name })
}
