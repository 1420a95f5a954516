package rules_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"go.yaml.in/yaml/v3"

	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/rules"
	"github.com/inferobs/inferobs/generators/rules/ruletest"
	"github.com/inferobs/inferobs/library"
)

// sharedNamespace is two vLLM models in one namespace on one port, told
// apart by their pods' labels only.
const sharedNamespace = `environment: "test"
gpus: h100: hourlyCost: 3
models: a: {engine: "vllm", engineVersion: "0.11.0", servedName: "m/a", selector: {namespace: "inference"}, podLabels: {app: "a"}, gpu: "h100", replicas: 2}
models: b: {engine: "vllm", engineVersion: "0.11.0", servedName: "m/b", selector: {namespace: "inference"}, podLabels: {app: "b"}, gpu: "h100", replicas: 3}
workloads: w: {class: "chat", models: ["a", "b"], slos: {ttft: {threshold: "2.5s", objective: 99}, itl: {threshold: "100ms", objective: 99}, success: {objective: 99.5}, completeness: false, headroom: {maxQueue: 8, objective: 99}}}
`

// TestTargetRulesSelectOnlyTheirModel evaluates the generated rules in
// process on the series the generated scrape jobs would write for both
// models' pods (a: 2 pods, b: 3): each model's GPU cost counts its own
// replicas, its target-missing alert fires when its own targets are down
// while the other's are up, and its tensor activity joins only its own
// pods' GPUs. With the namespace alone as target matchers (before target
// identity) cost a would count 5 pods and target-missing a would stay
// quiet.
func TestTargetRulesSelectOnlyTheirModel(t *testing.T) {
	r, err := compiler.CompileFiles(compiler.File{Name: "spec.cue", Data: []byte(sharedNamespace)})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := r.Write(dir, emit.Options{}); err != nil {
		t.Fatal(err)
	}
	// The scrape jobs keep only each model's pods: their keep rules name
	// the model's pod label.
	otel, _ := r.Artifact("otel/collector.yaml")
	for _, want := range []string{"job_name: inferobs-a", "job_name: inferobs-b", "__meta_kubernetes_pod_label_app], regex: a, action: keep", "__meta_kubernetes_pod_label_app], regex: b, action: keep"} {
		if !strings.Contains(string(otel.Data), want) {
			t.Fatalf("collector scrape jobs lack %q", want)
		}
	}
	models := map[string]*plan.Model{}
	for _, m := range r.Plan.Models {
		models[m.Name] = m
	}
	run, _ := models["a"].Metric(library.RoleRequestsRunning)
	tensor, _ := library.DCGMByRole(library.GPUTensorActive)
	dpod, dns, _ := library.DCGMWorkloadLabels(true)

	type in struct{ Series, Values string }
	sel := func(name string, l map[string]string) string {
		return labels.FromMap(l).String()[:0] + name + labels.FromMap(l).String()
	}
	// scraped writes the labels a model's scrape job writes for pod i.
	scraped := func(m *plan.Model, i int, extra map[string]string) map[string]string {
		l := map[string]string{}
		for _, mt := range m.TargetMatchers {
			l[mt.Name] = mt.Value
		}
		l[plan.LabelPod] = fmt.Sprintf("%s-%d", m.Name, i)
		l["instance"] = fmt.Sprintf("10.0.%d.%d:8000", len(m.Name), i)
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	series := func(aUp, bUp string) []in {
		var out []in
		for _, m := range []*plan.Model{models["a"], models["b"]} {
			up, busy := aUp, "0.9"
			if m.Name == "b" {
				up, busy = bUp, "0.1"
			}
			for i := 0; i < m.Spec.Replicas; i++ {
				out = append(out, in{sel(library.UpSeries, scraped(m, i, nil)), up})
				out = append(out, in{sel(run.Name, scraped(m, i, map[string]string{"model_name": m.Spec.ServedName, "engine": "0"})), "4x40"})
				out = append(out, in{sel(tensor.Name, map[string]string{dpod: fmt.Sprintf("%s-%d", m.Name, i), dns: "inference", "gpu": "0", "Hostname": fmt.Sprintf("node-%s-%d", m.Name, i), "job": "dcgm-exporter"}), busy + "x40"})
			}
		}
		return out
	}
	check := func(name, expr string) map[string]any {
		return map[string]any{"alert": name, "expr": expr}
	}
	checks := []map[string]any{
		check("CostA", fmt.Sprintf(`count(%s{model="a"} == 6) == 1`, library.RecGPUCost)),
		check("CostB", fmt.Sprintf(`count(%s{model="b"} == 9) == 1`, library.RecGPUCost)),
		check("TensorA", fmt.Sprintf(`count(%s{model="a"} > 0.89 < 0.91) == 1`, library.RecTensorActive)),
		check("TensorB", fmt.Sprintf(`count(%s{model="b"} > 0.09 < 0.11) == 1`, library.RecTensorActive)),
		check("MissingA", fmt.Sprintf(`count(ALERTS{alertname=%q, model="a", alertstate="firing"}) == 1`, rules.AlertTargetMissing)),
		check("MissingB", fmt.Sprintf(`count(ALERTS{alertname=%q, model="b", alertstate="firing"}) == 1`, rules.AlertTargetMissing)),
	}
	checkFile := map[string]any{"groups": []any{map[string]any{"name": "checks", "interval": "1m", "rules": checks}}}
	writeYAML(t, filepath.Join(dir, "zz-checks.yaml"), checkFile)

	var ruleFiles []string
	for _, a := range r.Artifacts {
		if strings.HasPrefix(a.Path, "prometheus/") {
			ruleFiles = append(ruleFiles, a.Path)
		}
	}
	sort.Strings(ruleFiles)
	ruleFiles = append(ruleFiles, "zz-checks.yaml")
	fires := func(names ...string) []any {
		var out []any
		for _, n := range names {
			out = append(out, map[string]any{"eval_time": "30m", "alertname": n, "exp_alerts": []any{map[string]any{}}})
		}
		return out
	}
	quiet := func(names ...string) []any {
		var out []any
		for _, n := range names {
			out = append(out, map[string]any{"eval_time": "30m", "alertname": n, "exp_alerts": []any{}})
		}
		return out
	}
	test := map[string]any{
		"rule_files":          ruleFiles,
		"evaluation_interval": "1m",
		"tests": []any{
			map[string]any{"name": "all up: each cost counts its own replicas, each tensor activity its own pods",
				"interval": "1m", "input_series": series("1x40", "1x40"),
				"alert_rule_test": append(fires("CostA", "CostB", "TensorA", "TensorB"), quiet("MissingA", "MissingB")...)},
			map[string]any{"name": "a down, b up: only a's target is missing",
				"interval": "1m", "input_series": series("0x40", "1x40"),
				"alert_rule_test": append(fires("MissingA", "CostB"), quiet("MissingB", "CostA")...)},
		},
	}
	path := filepath.Join(dir, "targets-test.yaml")
	writeYAML(t, path, test)
	res, err := ruletest.RunFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range res {
		for _, f := range g.Failures {
			t.Errorf("%s: %s", g.Name, f)
		}
	}
}

func writeYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
