package plan_test

import (
	"strings"
	"testing"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
	"github.com/inferobs/inferobs/schema/diag"
)

// twoModels is a spec of two vLLM models in one namespace; add is
// appended (podLabels, selectors, workloads).
func twoModels(t *testing.T, add string) (*plan.Plan, diag.List) {
	t.Helper()
	src := `environment: "test"
gpus: h100: hourlyCost: 3
models: a: {engine: "vllm", engineVersion: "0.11.0", servedName: "m/a", selector: {namespace: "inference"}, gpu: "h100"}
models: b: {engine: "vllm", engineVersion: "0.11.0", servedName: "m/b", selector: {namespace: "inference"}, gpu: "h100"}
tenants: {acme: {}}
` + add + "\n"
	s, ds := schema.LoadFiles([]schema.File{{Name: "spec.cue", Data: []byte(src)}})
	if s == nil {
		t.Fatalf("spec rejected by the loader: %v", ds)
	}
	return plan.New(s)
}

func errorsOf(ds diag.List) []string {
	var out []string
	for _, d := range ds.Errors() {
		out = append(out, d.String())
	}
	return out
}

func TestOverlappingTargetsAreAnErrorAtBothModels(t *testing.T) {
	p, ds := twoModels(t, "")
	if p != nil {
		t.Fatal("two models on one namespace and port without pod labels planned")
	}
	want := []string{
		`spec.cue:3:83: models.a.selector: model "a" can scrape the same pods as model "b" (port 8000 in namespace "inference", no pod label required by both with different values): each would count the other's replicas in its up, cost and DCGM rules, and a pod of both is scraped twice; give both podLabels that differ, e.g. podLabels: {"app.kubernetes.io/instance": "a"} here and {"app.kubernetes.io/instance": "b"} on model "b"`,
		`spec.cue:4:83: models.b.selector: model "b" can scrape the same pods as model "a" (port 8000 in namespace "inference", no pod label required by both with different values): each would count the other's replicas in its up, cost and DCGM rules, and a pod of both is scraped twice; give both podLabels that differ, e.g. podLabels: {"app.kubernetes.io/instance": "b"} here and {"app.kubernetes.io/instance": "a"} on model "a"`,
	}
	if got := errorsOf(ds); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("errors:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}

	// A pod label on one side only does not separate them: name it.
	_, ds = twoModels(t, `models: a: podLabels: app: "a"`)
	if got := errorsOf(ds); len(got) != 2 || !strings.Contains(got[0], `set podLabels.app on model "b" too, to a value other than "a"`) {
		t.Fatalf("one-sided pod label: %v", got)
	}

	// The same job name and a pod label that is not copied: discovery is
	// apart, the series are not.
	_, ds = twoModels(t, `models: a: {selector: job: "vllm", podLabels: app: "a"}
models: b: {selector: job: "vllm", podLabels: app: "b"}`)
	if got := errorsOf(ds); len(got) != 2 || !strings.Contains(got[0], `model "a"'s targets are told from model "b"'s only by a pod label the scrape does not write onto their series (both write job="vllm", namespace="inference")`) {
		t.Fatalf("shared job: %v", got)
	}
}

func TestDistinctPodLabelsSeparateTargets(t *testing.T) {
	p, ds := twoModels(t, `models: a: podLabels: app: "a"
models: b: podLabels: app: "b"`)
	if p == nil {
		t.Fatalf("rejected: %v", ds)
	}
	for _, m := range p.Models {
		want := `up{job="inferobs-` + m.Name + `",namespace="inference"}`
		if got := promql.Sel(library.UpSeries, m.TargetMatchers...).String(); got != want {
			t.Errorf("model %s target matchers: %s, want %s", m.Name, got, want)
		}
		// Engine series carry the target labels too, plus the model name.
		if got := m.Select("x").String(); got != `x{job="inferobs-`+m.Name+`",model_name="m/`+m.Name+`",namespace="inference"}` {
			t.Errorf("model %s engine matchers: %s", m.Name, got)
		}
	}
}

func TestCanOverlap(t *testing.T) {
	base := plan.Target{Job: "j", Namespace: "ns", Port: 8000, Path: "/metrics", PodLabels: map[string]string{}}
	with := func(f func(*plan.Target)) plan.Target {
		t := base
		t.PodLabels = map[string]string{}
		f(&t)
		return t
	}
	cases := []struct {
		name      string
		a, b      plan.Target
		discovery bool
		series    bool
	}{
		{"identical", base, base, true, true},
		{"other job, same pods", base, with(func(t *plan.Target) { t.Job = "k" }), true, false},
		{"other namespace", base, with(func(t *plan.Target) { t.Namespace = "other"; t.Job = "k" }), false, false},
		{"one namespace unset", with(func(t *plan.Target) { t.Namespace = "" }), with(func(t *plan.Target) { t.Job = "k" }), true, false},
		{"other port", base, with(func(t *plan.Target) { t.Port = 9000 }), false, true},
		{"other path", base, with(func(t *plan.Target) { t.Path = "/m" }), false, true},
		{"pod label differs", with(func(t *plan.Target) { t.PodLabels["app"] = "a" }), with(func(t *plan.Target) { t.PodLabels["app"] = "b" }), false, true},
		{"pod label on one side", with(func(t *plan.Target) { t.PodLabels["app"] = "a" }), base, true, true},
		{"copied pod label differs", with(func(t *plan.Target) { t.PodLabels["app"] = "a"; t.Copied = []string{"app"} }), with(func(t *plan.Target) { t.PodLabels["app"] = "b"; t.Copied = []string{"app"} }), false, false},
		{"pod name differs", with(func(t *plan.Target) { t.Pod = "p1" }), with(func(t *plan.Target) { t.Pod = "p2" }), false, false},
		{"node on one side", with(func(t *plan.Target) { t.Node = "n1" }), base, true, true},
	}
	for _, c := range cases {
		got := plan.CanOverlap(c.a, c.b)
		if got.Discovery != c.discovery || got.Series != c.series {
			t.Errorf("%s: got %+v, want discovery %v series %v", c.name, got, c.discovery, c.series)
		}
		if rev := plan.CanOverlap(c.b, c.a); rev != got {
			t.Errorf("%s: not symmetric: %+v vs %+v", c.name, got, rev)
		}
	}
}

func TestSLOModelScopeAndOff(t *testing.T) {
	p, ds := planOf(t, `workloads: w: {class: "chat", models: ["v11", "tgi"], slos: {
	ttft: {threshold: "1s", objective: 99, models: ["v11"]}
	itl: {threshold: "75ms", objective: 99, models: ["v11"]}
	success: {objective: 99.5}
	completeness: false
	headroom: {maxQueue: 8, objective: 99}
}}`)
	if p == nil {
		t.Fatalf("rejected: %v", ds)
	}
	if len(ds) != 0 {
		t.Errorf("diagnostics: %v", ds)
	}
	got := map[string][]string{}
	for _, s := range p.SLOs {
		got[string(s.Kind)] = append(got[string(s.Kind)], s.Model.Name)
	}
	want := map[string]string{"ttft": "v11", "itl": "v11", "success": "tgi,v11", "headroom": "tgi,v11"}
	if len(got) != len(want) {
		t.Errorf("SLO kinds: %v", got)
	}
	for k, w := range want {
		if g := strings.Join(got[k], ","); g != w {
			t.Errorf("%s SLO models: %s, want %s", k, g, w)
		}
	}

	_, ds = planOf(t, `workloads: w: {class: "chat", models: ["v11"], slos: success: {objective: 99.5, models: ["tgi"]}}`)
	if e := errorsOf(ds); len(e) != 1 || !strings.Contains(e[0], `workloads.w.slos.success.models[0]: model "tgi" is not a model of workload "w" (its models: v11)`) {
		t.Errorf("out-of-workload scope: %v", e)
	}

	_, ds = planOf(t, `workloads: w: {class: "code", models: ["v11"], slos: {ttft: {threshold: "500ms", objective: 99}, itl: {threshold: "25ms", objective: 99}, success: {objective: 99.5}, headroom: {maxQueue: 4, objective: 99}, completeness: false}}`)
	if len(ds) != 1 || !strings.Contains(ds[0].String(), "warning: workloads.w.slos.completeness: the code preset adds no completeness SLO: completeness: false turns nothing off") {
		t.Errorf("turning off what the preset lacks: %v", ds)
	}
}

func TestCodePresetHasNoCompleteness(t *testing.T) {
	p, _ := planOf(t, `workloads: w: {class: "code", models: ["v11"]}`)
	for _, s := range p.SLOs {
		if s.Kind == library.SLOCompleteness {
			t.Fatal("the code preset adds a completeness SLO: max_tokens stops are normal for code completion")
		}
	}
}

func TestWorkloadIdentity(t *testing.T) {
	const two = `workloads: chat: {class: "chat", models: ["v11"], tenants: ["acme"], slos: {ttft: {threshold: "1s", objective: 99}, itl: false, success: {objective: 99.5}, completeness: false, headroom: false, e2e: {threshold: "5s", objective: 99, source: "gateway"}}}
workloads: rag: {class: "rag", models: ["v11"], tenants: ["acme"], slos: {ttft: {threshold: "2.5s", objective: 99}, itl: false, success: {objective: 99.5}, completeness: false, headroom: false, e2e: {threshold: "5s", objective: 99, source: "gateway"}}}`
	_, ds := planOf(t, two)
	want := []string{
		`spec.cue:9:138: warning: workloads.rag.slos.success: the success SLO of workload "rag" reads the same series with the same good and total events as workload "chat"'s for model "v11": one signal under two alert names; engine series carry no workload: give the workloads distinct models or servedNames (a LoRA adapter per workload, say), serve both from one workload, or turn one off with success: false`,
		`spec.cue:9:200: warning: workloads.rag.slos.e2e: the e2e SLO of workload "rag" reads the same series with the same good and total events as workload "chat"'s for model "v11" and tenant "acme": one signal under two alert names; set tracing.workloadAttribute (the span attribute that names the workload) so each reads its own workload's spans`,
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}

	// With the workload attribute the gateway SLOs read different series.
	p, ds := planOf(t, two+"\ntracing: workloadAttribute: \"gen_ai.workload\"")
	for _, d := range ds {
		if strings.Contains(d.Message, "e2e SLO") {
			t.Errorf("still warned: %s", d)
		}
	}
	for _, s := range p.SLOs {
		if s.Kind != library.SLOE2E {
			continue
		}
		sel := s.SLI.Total[0].VectorSelector().String()
		if !strings.Contains(sel, `gen_ai_workload="`+s.Workload.Name+`"`) {
			t.Errorf("%s e2e total does not select its workload: %s", s.Workload.Name, sel)
		}
	}
}

// A selector label no scrape can write (instance is the scraped address)
// is an error at that label, not a failure of a generator later.
func TestSelectorLabelNoScrapeWrites(t *testing.T) {
	p, ds := twoModels(t, `models: a: {selector: instance: "10.0.0.1:8000", podLabels: app: "a"}
models: b: podLabels: app: "b"`)
	if p != nil {
		t.Fatal("a selector on instance planned")
	}
	got := errorsOf(ds)
	if len(got) != 1 || !strings.Contains(got[0], "models.a.selector.instance:") || !strings.Contains(got[0], "select the model's pods by podLabels") {
		t.Fatalf("errors: %v", got)
	}
}
