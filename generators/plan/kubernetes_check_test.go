package plan_test

import (
	"strings"
	"testing"
)

// TestKubernetesObjectChecks: with a kubernetes block, what the API server
// or a label selector would refuse is a positioned error at the spec
// field, and a model whose PodMonitor would select every pod of its
// namespace is a warning.
func TestKubernetesObjectChecks(t *testing.T) {
	ok := `models: a: podLabels: {"app.kubernetes.io/instance": "a"}
models: b: podLabels: {"app.kubernetes.io/instance": "b"}
`
	for _, c := range []struct {
		name, add string
		want      []string // substrings, one per error, in order
		warn      string
	}{
		{"valid", ok + `kubernetes: {namespace: "llm", labels: release: "kps"}`, nil, ""},
		{"bad label value", ok + `kubernetes: {namespace: "llm", labels: release: "kube prometheus"}`,
			[]string{`kubernetes.labels.release: label release="kube prometheus": the value is not a Kubernetes label value`}, ""},
		{"bad annotation key", ok + `kubernetes: {namespace: "llm", annotations: "a b": "x"}`,
			[]string{`kubernetes.annotations."a b": annotation key "a b" is not a Kubernetes annotation key`}, ""},
		{"bad pod label", `models: a: podLabels: {"app.kubernetes.io/instance": "a/1"}
models: b: podLabels: {"app.kubernetes.io/instance": "b"}
kubernetes: namespace: "llm"`,
			[]string{`models.a.podLabels."app.kubernetes.io/instance": pod label app.kubernetes.io/instance="a/1": the value is not a Kubernetes label value`}, ""},
		{"bad service port", ok + `models: a: service: {labels: app: "a", port: "HTTP metrics"}
kubernetes: namespace: "llm"`,
			[]string{`models.a.service.port: service.port "HTTP metrics" is not a Service port name`}, ""},
		{"no podLabels", `models: a: selector: job: "ja"
models: b: selector: job: "jb"
models: b: metricsPort: 9000
kubernetes: namespace: "llm"`,
			nil, `models.a: model "a" has no podLabels: its PodMonitor selects every pod in namespace "inference" exposing port 8000`},
		{"monitors none: no monitor checks", `models: a: selector: job: "ja"
models: b: selector: job: "jb"
models: b: metricsPort: 9000
kubernetes: {namespace: "llm", monitors: "none"}`, nil, ""},
	} {
		_, ds := twoModels(t, c.add)
		errs := errorsOf(ds)
		if len(errs) != len(c.want) {
			t.Errorf("%s: errors %q, want %d", c.name, errs, len(c.want))
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(errs[i], w) {
				t.Errorf("%s: error %q, want it to contain %q", c.name, errs[i], w)
			}
		}
		var warned []string
		for _, d := range ds.Warnings() {
			if strings.Contains(d.String(), "PodMonitor") {
				warned = append(warned, d.String())
			}
		}
		switch {
		case c.warn == "" && len(warned) > 0:
			t.Errorf("%s: unexpected warnings %q", c.name, warned)
		case c.warn != "" && (len(warned) == 0 || !strings.Contains(warned[0], c.warn)):
			t.Errorf("%s: warnings %q, want %q", c.name, warned, c.warn)
		}
	}
}
