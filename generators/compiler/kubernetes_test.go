package compiler_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/api/krusty"
	kustomize "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/inferobs/inferobs/generators/bench/largespec"
	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/kubernetes"
	"github.com/inferobs/inferobs/generators/kubernetes/crdschema"
	"github.com/inferobs/inferobs/generators/kubernetes/operatorcfg"
)

// documents splits a YAML stream on its document separators.
func documents(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range bytes.Split(append([]byte("\n"), data...), []byte("\n---\n")) {
		if len(bytes.TrimSpace(stripComments(d))) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

func stripComments(d []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(d, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}

// validateRule is the operator's check of a PrometheusRule, in its
// admission webhook and when it selects rules (pkg/operator/rules.go
// ValidateRule, v0.93.0): the spec rendered as a rule file, under the size
// limit, parsed by Prometheus's rulefmt.
func validateRule(spec monitoringv1.PrometheusRuleSpec) error {
	for i := range spec.Groups {
		spec.Groups[i].PartialResponseStrategy = ""
		if spec.Groups[i].Interval != nil && *spec.Groups[i].Interval == "" {
			spec.Groups[i].Interval = nil
		}
		for j := range spec.Groups[i].Rules {
			if r := &spec.Groups[i].Rules[j]; r.For != nil && *r.For == "" {
				r.For = nil
			}
		}
	}
	content, err := yaml.Marshal(spec)
	if err != nil {
		return err
	}
	if len(content) > kubernetes.MaxRenderedRuleBytes {
		return fmt.Errorf("rendered rules are %d bytes, over the operator's %d", len(content), kubernetes.MaxRenderedRuleBytes)
	}
	// Legacy names: what a Prometheus 2 behind the operator validates.
	if _, errs := rulefmt.Parse(content, false, model.LegacyValidation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler)); len(errs) > 0 {
		return fmt.Errorf("rulefmt: %v", errs)
	}
	return nil
}

// checkObject decodes one object strictly into its real Go type, chosen
// by apiVersion and kind, and applies the checks the operator (or
// Kubernetes) applies to it. It returns the object's metadata.
func checkObject(doc []byte, paths map[string]bool) (*metav1.ObjectMeta, string, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, "", err
	}
	kind := tm.APIVersion + " " + tm.Kind
	strict := func(v any) error { return yaml.UnmarshalStrict(doc, v) }
	if gv, err := k8sschema.ParseGroupVersion(tm.APIVersion); err == nil && gv.Group == crdschema.Group {
		// The API server's validation against the CRD's OpenAPI schema.
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return nil, kind, err
		}
		if err := crdschema.Validate(gv.WithKind(tm.Kind), obj); err != nil {
			return nil, kind, fmt.Errorf("CRD schema: %w", err)
		}
	}
	switch kind {
	case "monitoring.coreos.com/v1 PrometheusRule":
		var o monitoringv1.PrometheusRule
		if err := strict(&o); err != nil {
			return nil, kind, err
		}
		return &o.ObjectMeta, kind, validateRule(o.Spec)
	case "monitoring.coreos.com/v1 PodMonitor":
		var o monitoringv1.PodMonitor
		if err := strict(&o); err != nil {
			return nil, kind, err
		}
		_, err := operatorcfg.PodMonitor(&o)
		return &o.ObjectMeta, kind, err
	case "monitoring.coreos.com/v1 ServiceMonitor":
		var o monitoringv1.ServiceMonitor
		if err := strict(&o); err != nil {
			return nil, kind, err
		}
		_, err := operatorcfg.ServiceMonitor(&o)
		return &o.ObjectMeta, kind, err
	case "v1 ConfigMap":
		var o corev1.ConfigMap
		if err := strict(&o); err != nil {
			return nil, kind, err
		}
		size := 0
		for k, v := range o.Data {
			if errs := validation.IsConfigMapKey(k); len(errs) > 0 {
				return nil, kind, fmt.Errorf("data key %q: %v", k, errs)
			}
			size += len(k) + len(v)
		}
		if size > corev1.MaxSecretSize {
			return nil, kind, fmt.Errorf("data is %d bytes, over the %d a ConfigMap holds", size, corev1.MaxSecretSize)
		}
		return &o.ObjectMeta, kind, nil
	case "monitoring.coreos.com/v1alpha1 AlertmanagerConfig":
		var o monitoringv1alpha1.AlertmanagerConfig
		if err := strict(&o); err != nil {
			return nil, kind, err
		}
		for _, ti := range o.Spec.MuteTimeIntervals {
			if err := ti.Validate(); err != nil {
				return nil, kind, err
			}
		}
		return &o.ObjectMeta, kind, nil
	case kustomize.KustomizationVersion + " " + kustomize.KustomizationKind:
		var o kustomize.Kustomization
		if err := strict(&o); err != nil {
			return nil, kind, err
		}
		listed := map[string]bool{}
		for _, r := range o.Resources {
			if !paths[kubernetes.Dir+r] {
				return nil, kind, fmt.Errorf("resource %s is not an emitted file", r)
			}
			listed[kubernetes.Dir+r] = true
		}
		for p := range paths {
			if strings.HasPrefix(p, kubernetes.Dir) && p != kubernetes.KustomizationPath && !listed[p] {
				return nil, kind, fmt.Errorf("%s is emitted but not listed", p)
			}
		}
		return &metav1.ObjectMeta{Namespace: o.Namespace}, kind, nil
	}
	return nil, kind, fmt.Errorf("no Go type for %q here: add its real type to checkObject", kind)
}

func kubernetesObjects(t *testing.T, r *compiler.Result) {
	t.Helper()
	paths := map[string]bool{}
	for _, a := range r.Artifacts {
		paths[a.Path] = true
	}
	k := r.Plan.Kubernetes()
	kinds := map[string]int{}
	for _, a := range r.Artifacts {
		if !strings.HasPrefix(a.Path, kubernetes.Dir) {
			continue
		}
		for _, doc := range documents(a.Data) {
			meta, kind, err := checkObject(doc, paths)
			if err != nil {
				t.Errorf("%s (%s): %v", a.Path, kind, err)
				continue
			}
			kinds[kind]++
			if k == nil {
				continue
			}
			if meta.Namespace != k.Namespace {
				t.Errorf("%s (%s): namespace %q, want the kubernetes block's %q", a.Path, kind, meta.Namespace, k.Namespace)
			}
			if strings.HasSuffix(kind, " Kustomization") {
				continue
			}
			if errs := validation.IsDNS1123Subdomain(meta.Name); len(errs) > 0 {
				t.Errorf("%s (%s): name %q: %v", a.Path, kind, meta.Name, errs)
			}
			for l, v := range k.Labels {
				if meta.Labels[l] != v {
					t.Errorf("%s (%s): label %s=%q, want %q", a.Path, kind, l, meta.Labels[l], v)
				}
			}
			for l, v := range k.Annotations {
				if meta.Annotations[l] != v {
					t.Errorf("%s (%s): annotation %s=%q, want %q", a.Path, kind, l, meta.Annotations[l], v)
				}
			}
			if meta.Labels[kubernetes.LabelManagedBy] != kubernetes.ManagedBy {
				t.Errorf("%s (%s): no %s label", a.Path, kind, kubernetes.LabelManagedBy)
			}
		}
	}
	t.Logf("%v", kinds)
}

func compileExample(t *testing.T, name string) *compiler.Result {
	t.Helper()
	r, err := compiler.Compile(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestKubernetesObjectsDecodeStrictly: every object any generator writes
// under kubernetes/ decodes strictly (unknown fields are errors) into its
// real Go type by kind, validates against its CRD's OpenAPI schema as the
// API server would (generated from the API types' markers, crdschema), and
// passes the operator's own checks: PrometheusRules
// render and parse as the admission webhook does, monitors give a scrape
// job Prometheus's config parser accepts (relabel actions, regexes, label
// names, durations), the kustomization lists exactly the emitted files.
// With a kubernetes block every object is in its namespace with its
// labels and annotations.
func TestKubernetesObjectsDecodeStrictly(t *testing.T) {
	t.Run("service", func(t *testing.T) {
		// A model behind a Service (a ServiceMonitor), annotations, DCGM.
		r, err := compiler.CompileFiles(compiler.File{Name: "spec.cue", Data: []byte(oneSLO + `models: m: {podLabels: {"app.kubernetes.io/instance": "m"}, service: {labels: app: "m", port: "http-metrics"}}
kubernetes: {namespace: "monitoring", labels: release: "kps", annotations: "example.com/owner": "ml", dcgmExporter: podLabels: app: "nvidia-dcgm-exporter"}
`)})
		if err != nil {
			t.Fatal(err)
		}
		kubernetesObjects(t, r)
		if _, ok := r.Artifact("kubernetes/servicemonitor-m.yaml"); !ok {
			t.Error("no ServiceMonitor")
		}
	})
	for _, ex := range []string{"quickstart", "platform", "kube-prometheus-stack"} {
		t.Run(ex, func(t *testing.T) {
			r := compileExample(t, ex)
			kubernetesObjects(t, r)
			if ex == "kube-prometheus-stack" {
				for _, want := range []string{kubernetes.KustomizationPath, "kubernetes/podmonitor-dcgm-exporter.yaml", "kubernetes/podmonitor-llama-3.3-70b.yaml", "kubernetes/podmonitor-qwen-2.5-32b.yaml", "kubernetes/podmonitor-mistral-7b-tgi.yaml"} {
					if _, ok := r.Artifact(want); !ok {
						t.Errorf("no %s", want)
					}
				}
			}
		})
	}
}

// TestKubernetesCheckRefusesBadObjects: the checks above fail on a
// misspelt field, a bad enum value, a bad expression and an unlisted file.
func TestKubernetesCheckRefusesBadObjects(t *testing.T) {
	r := compileExample(t, "kube-prometheus-stack")
	paths := map[string]bool{}
	for _, a := range r.Artifacts {
		paths[a.Path] = true
	}
	get := func(p string) []byte {
		a, ok := r.Artifact(p)
		if !ok {
			t.Fatalf("no %s", p)
		}
		return a.Data
	}
	for _, c := range []struct {
		name, path, from, to, want string
	}{
		{"misspelt PodMonitor field", "kubernetes/podmonitor-llama-3.3-70b.yaml", "portNumber:", "portNumbr:", "unknown field"},
		{"misspelt metadata field", "kubernetes/podmonitor-llama-3.3-70b.yaml", "namespace: llm", "namespce: llm", "unknown field"},
		{"bad relabel action", "kubernetes/podmonitor-llama-3.3-70b.yaml", "action: replace", "action: replac", `Unsupported value: "replac"`},
		{"bad scheme", "kubernetes/podmonitor-llama-3.3-70b.yaml", "path: /metrics", "path: /metrics\n    scheme: ftp", `scheme: Unsupported value: "ftp"`},
		{"port out of range", "kubernetes/podmonitor-llama-3.3-70b.yaml", "portNumber: 8000", "portNumber: 80000", "less than or equal to 65535"},
		{"bad relabel regex", "kubernetes/podmonitor-dcgm-exporter.yaml", "regex: namespace|container|pod", "regex: namespace|(container", "error parsing regexp"},
		{"bad interval", "kubernetes/podmonitor-llama-3.3-70b.yaml", "interval: 30s", "interval: 30sec", "should match"},
		{"misspelt rule field", "kubernetes/recording.yaml", "record:", "recrod:", "unknown field"},
		{"bad expression", "kubernetes/recording.yaml", "expr: histogram_quantile(", "expr: histogram_quantile((", "parse error"},
		{"unlisted file", kubernetes.KustomizationPath, "- recording.yaml\n", "", "emitted but not listed"},
	} {
		data := get(c.path)
		bad := bytes.Replace(data, []byte(c.from), []byte(c.to), 1)
		if bytes.Equal(bad, data) {
			t.Fatalf("%s: %q not in %s", c.name, c.from, c.path)
		}
		_, _, err := checkObject(bad, paths)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, _, err := checkObject([]byte("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n"), paths); err == nil {
		t.Error("a kind without a Go type passed")
	}
}

// TestKubernetesSizeLimits: an object over the API server's size, or a
// PrometheusRule whose rendered rules exceed what the operator accepts, is
// a compile error; the examples' largest objects are logged.
func TestKubernetesSizeLimits(t *testing.T) {
	for _, ex := range []string{"platform", "kube-prometheus-stack"} {
		r := compileExample(t, ex)
		var largest emit.Artifact
		for _, a := range r.Artifacts {
			if strings.HasPrefix(a.Path, kubernetes.Dir) && len(a.Data) > len(largest.Data) {
				largest = a
			}
		}
		t.Logf("%s: largest object %s, %d bytes", ex, largest.Path, len(largest.Data))
	}
	r := compileExample(t, "kube-prometheus-stack")
	rule, _ := r.Artifact("kubernetes/recording.yaml")
	// Pad one rule's expression until the rendered rules are too big.
	pad := " + 0" + strings.Repeat(" * 1", kubernetes.MaxRenderedRuleBytes/4)
	i := bytes.Index(rule.Data, []byte("\n          record: "))
	big := slices.Concat(rule.Data[:i], []byte(pad), rule.Data[i:])
	for _, c := range []struct {
		name string
		art  emit.Artifact
		want string
	}{
		{"rendered rules", emit.Artifact{Path: "kubernetes/recording.yaml", Data: big}, "the Prometheus Operator accepts"},
		{"object", emit.Artifact{Path: "kubernetes/huge.yaml", Data: bytes.Repeat([]byte("#"), kubernetes.MaxObjectBytes+1)}, "the API server stores"},
	} {
		_, err := kubernetes.Finish(r.Plan, []emit.Artifact{c.art})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := kubernetes.Finish(r.Plan, []emit.Artifact{rule}); err != nil {
		t.Errorf("the generated rule fails the size check: %v", err)
	}
}

// TestKustomizationOnlyWithBlock: the kustomization lists every file under
// kubernetes/ sorted, and exists only with a kubernetes block.
func TestKustomizationOnlyWithBlock(t *testing.T) {
	r := compileExample(t, "quickstart")
	if _, ok := r.Artifact(kubernetes.KustomizationPath); ok {
		t.Error("quickstart (no kubernetes block) has a kustomization")
	}
	r = compileExample(t, "kube-prometheus-stack")
	a, _ := r.Artifact(kubernetes.KustomizationPath)
	var k kustomize.Kustomization
	if err := yaml.UnmarshalStrict(a.Data, &k); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range r.Artifacts {
		if rel, ok := strings.CutPrefix(a.Path, kubernetes.Dir); ok && a.Path != kubernetes.KustomizationPath {
			want = append(want, rel)
		}
	}
	if !slices.IsSorted(k.Resources) || !slices.Equal(k.Resources, want) {
		t.Errorf("resources %v, want %v", k.Resources, want)
	}
	if k.Namespace != "llm" {
		t.Errorf("namespace %q", k.Namespace)
	}
}

// TestKustomizeBuild: kustomize itself (its krusty library, what `kubectl
// apply -k` runs) builds DIR/kubernetes/ into one object per emitted
// object, every one in the block's namespace.
func TestKustomizeBuild(t *testing.T) {
	r := compileExample(t, "kube-prometheus-stack")
	fs := filesys.MakeFsInMemory()
	objects := 0
	for _, a := range r.Artifacts {
		if strings.HasPrefix(a.Path, kubernetes.Dir) {
			if err := fs.WriteFile("/out/"+a.Path, a.Data); err != nil {
				t.Fatal(err)
			}
			if a.Path != kubernetes.KustomizationPath {
				objects += len(documents(a.Data))
			}
		}
	}
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/out/"+strings.TrimSuffix(kubernetes.Dir, "/"))
	if err != nil {
		t.Fatal(err)
	}
	if rm.Size() != objects {
		t.Errorf("kustomize built %d objects, %d emitted", rm.Size(), objects)
	}
	for _, res := range rm.Resources() {
		if ns := res.GetNamespace(); ns != r.Plan.Kubernetes().Namespace {
			t.Errorf("%s %s: namespace %q", res.GetKind(), res.GetName(), ns)
		}
	}
}

// TestLargeRuleFilesSplitIntoObjects: rule files too large for one
// PrometheusRule (the large spec at twice its size: 100 models, 400
// tenants) are written as several objects that each pass the operator's
// checks and together hold the file's rules, in order.
func TestLargeRuleFilesSplitIntoObjects(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the large spec at scale 2")
	}
	dir := filepath.Join(t.TempDir(), "large")
	if _, err := largespec.Write(dir, largespec.Options{Scale: 2}); err != nil {
		t.Fatal(err)
	}
	r, err := compiler.Compile(dir)
	if err != nil {
		t.Fatal(err)
	}
	kubernetesObjects(t, r)
	split := 0
	for _, a := range r.Artifacts {
		f, ok := strings.CutPrefix(a.Path, "prometheus/")
		if !ok {
			continue
		}
		f = strings.TrimSuffix(f, ".yaml")
		plain, errs := rulefmt.Parse(a.Data, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
		if len(errs) > 0 {
			t.Fatalf("%s: %v", a.Path, errs[0])
		}
		var want, got []string
		for _, g := range plain.Groups {
			for _, rl := range g.Rules {
				want = append(want, rl.Record+rl.Alert+" "+rl.Expr)
			}
		}
		objects := []string{"kubernetes/" + f + ".yaml"}
		if _, ok := r.Artifact(objects[0]); !ok {
			objects = nil
			for n := 1; ; n++ {
				p := fmt.Sprintf("kubernetes/%s-part-%d.yaml", f, n)
				if _, ok := r.Artifact(p); !ok {
					break
				}
				objects = append(objects, p)
			}
			split++
		}
		for _, p := range objects {
			obj, _ := r.Artifact(p)
			var pr monitoringv1.PrometheusRule
			if err := yaml.UnmarshalStrict(obj.Data, &pr); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			for _, g := range pr.Spec.Groups {
				if g.Interval == nil || *g.Interval == "" {
					t.Errorf("%s: group %s has no interval", p, g.Name)
				}
				for _, rl := range g.Rules {
					got = append(got, rl.Record+rl.Alert+" "+rl.Expr.String())
				}
			}
		}
		if len(objects) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s: objects %v hold %d rules, want the file's %d in order", a.Path, objects, len(got), len(want))
		}
	}
	if split == 0 {
		t.Error("no rule file was split: the spec no longer tests splitting")
	}
	t.Logf("%d rule files split into several PrometheusRules", split)
}
