package rules

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"sort"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/model/rulefmt"
	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	k8syaml "sigs.k8s.io/yaml"

	"github.com/inferobs/inferobs/generators/kubernetes"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/schema"
)

func examplePlan(t *testing.T, name string) *plan.Plan {
	t.Helper()
	s, ds := schema.Load(filepath.Join("..", "..", "examples", name))
	if s == nil {
		t.Fatal(ds.Err())
	}
	p, ds := plan.New(s)
	if p == nil {
		t.Fatal(ds.Err())
	}
	return p
}

func yamlV3(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// typedPrometheusRule is the object as prometheus-operator's Go types hold
// it, printed the way kubectl-style tools do (JSON field names, sorted
// keys, empty fields left out).
func typedPrometheusRule(t *testing.T, p *plan.Plan, file string, rgs []rulefmt.RuleGroup) []byte {
	obj := monitoringv1.PrometheusRule{
		TypeMeta: metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "PrometheusRule"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   "inferobs-" + file,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "inferobs", "environment": p.Environment},
		},
	}
	if p.Kubernetes() != nil {
		// The monitors' metadata: one namespace, label and annotation set
		// for every object.
		obj.ObjectMeta = kubernetes.ObjectMeta(p, "inferobs-"+file)
	}
	for _, g := range rgs {
		interval := monitoringv1.Duration(g.Interval.String())
		pg := monitoringv1.RuleGroup{Name: g.Name, Interval: &interval}
		for _, r := range g.Rules {
			pr := monitoringv1.Rule{Record: r.Record, Alert: r.Alert, Expr: intstr.FromString(r.Expr), Labels: r.Labels, Annotations: r.Annotations}
			if r.For != 0 {
				d := monitoringv1.Duration(r.For.String())
				pr.For = &d
			}
			pg.Rules = append(pg.Rules, pr)
		}
		obj.Spec.Groups = append(obj.Spec.Groups, pg)
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var tree map[string]any
	if err := json.Unmarshal(raw, &tree); err != nil {
		t.Fatal(err)
	}
	prune(tree)
	return yamlV3(t, tree)
}

func prune(m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := m[k].(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			if prune(v); len(v) == 0 {
				delete(m, k)
			}
		case []any:
			for _, e := range v {
				if em, ok := e.(map[string]any); ok {
					prune(em)
				}
			}
		}
	}
}

// TestYAMLMatchesYAMLv3: the rule files, PrometheusRule objects and
// promtool tests written with yamlw are byte for byte what yaml.v3 writes
// for rulefmt's types, prometheus-operator's types and the test structs.
func TestYAMLMatchesYAMLv3(t *testing.T) {
	for _, ex := range []string{"quickstart", "platform", "kube-prometheus-stack"} {
		p := examplePlan(t, ex)
		s, err := Build(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range s.Files() {
			rgs, err := ruleGroups(s.GroupsIn(f))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := encodeRuleFile(rgs)
			if want := yamlV3(t, rulefmt.RuleGroups{Groups: rgs}); !bytes.Equal(got, want) {
				t.Errorf("%s rule file %s differs from yaml.v3's", ex, f)
			}
			got, _ = encodePrometheusRule(p, f, rgs)
			if want := typedPrometheusRule(t, p, f, rgs); !bytes.Equal(got, want) {
				t.Errorf("%s PrometheusRule %s differs from the typed object's", ex, f)
			}
			var back monitoringv1.PrometheusRule
			if err := k8syaml.UnmarshalStrict(got, &back); err != nil {
				t.Errorf("%s PrometheusRule %s does not decode strictly: %v", ex, f, err)
			}
		}
		arts, err := Tests(p, s)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range arts {
			var tf testFile
			if err := yaml.Unmarshal(a.Data, &tf); err != nil {
				t.Fatalf("%s %s: %v", ex, a.Path, err)
			}
			head := a.Data[:bytes.Index(a.Data, []byte("\nrule_files:"))+1]
			if want := append(head[:len(head):len(head)], yamlV3(t, tf)[len(header):]...); !bytes.Equal(a.Data, want) {
				t.Errorf("%s %s differs from yaml.v3's", ex, a.Path)
			}
		}
	}
}

// TestYAMLv3WritesTheSameBytes: with useYAMLv3 (the measurement switch
// of README's performance section) every rules artifact is the same as
// yamlw's, so the figures compare like with like.
func TestYAMLv3WritesTheSameBytes(t *testing.T) {
	p := examplePlan(t, "platform")
	want, err := Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	useYAMLv3 = true
	defer func() { useYAMLv3 = false }()
	got, err := Generate(examplePlan(t, "platform"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d artifacts, yamlw %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Path != want[i].Path || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Errorf("%s: yaml.v3 and yamlw differ", want[i].Path)
		}
	}
}
