package alertmanager_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
	k8syaml "sigs.k8s.io/yaml"

	"github.com/inferobs/inferobs/generators/alertmanager"
	"github.com/inferobs/inferobs/generators/plan"
)

func objectOf(t *testing.T, p *plan.Plan) []byte {
	t.Helper()
	arts, err := alertmanager.Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		if a.Path == alertmanager.ObjectPath {
			return a.Data
		}
	}
	t.Fatalf("no %s", alertmanager.ObjectPath)
	return nil
}

// decode decodes an AlertmanagerConfig strictly, its child routes too
// (they are raw JSON in the type; the operator decodes them with unknown
// fields disallowed), and applies the operator's semantic validation.
func decode(data []byte) (*monitoringv1alpha1.AlertmanagerConfig, error) {
	var obj monitoringv1alpha1.AlertmanagerConfig
	if err := k8syaml.UnmarshalStrict(data, &obj); err != nil {
		return nil, err
	}
	if obj.APIVersion != "monitoring.coreos.com/v1alpha1" || obj.Kind != "AlertmanagerConfig" {
		return nil, fmt.Errorf("apiVersion %q kind %q", obj.APIVersion, obj.Kind)
	}
	return &obj, validate(&obj)
}

// validate is the operator's ValidateAlertmanagerConfig
// (pkg/alertmanager/validation/v1alpha1, not importable: that module is
// not served here) for what this object uses: unique receivers, a
// receiver on the top-level route, every route's receiver defined, no
// repeated groupBy label, valid matchers, child routes that decode.
func validate(obj *monitoringv1alpha1.AlertmanagerConfig) error {
	receivers := map[string]bool{}
	for _, r := range obj.Spec.Receivers {
		if r.Name == "" || receivers[r.Name] {
			return fmt.Errorf("receiver %q empty or not unique", r.Name)
		}
		receivers[r.Name] = true
	}
	var walk func(r *monitoringv1alpha1.Route, top bool) error
	walk = func(r *monitoringv1alpha1.Route, top bool) error {
		if r.Receiver == "" && top {
			return errors.New("root route must define a receiver")
		}
		if r.Receiver != "" && !receivers[r.Receiver] {
			return fmt.Errorf("receiver %q not found", r.Receiver)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(r.GroupBy)))) != len(r.GroupBy) {
			return fmt.Errorf("duplicate groupBy %v", r.GroupBy)
		}
		for _, m := range r.Matchers {
			if err := m.Validate(); err != nil {
				return err
			}
		}
		children, err := r.ChildRoutes()
		if err != nil {
			return err
		}
		for i := range children {
			if err := walk(&children[i], false); err != nil {
				return fmt.Errorf("route[%d]: %w", i, err)
			}
		}
		return nil
	}
	if obj.Spec.Route == nil {
		return errors.New("no route")
	}
	if err := walk(obj.Spec.Route, true); err != nil {
		return err
	}
	for _, ir := range obj.Spec.InhibitRules {
		for _, m := range slices.Concat(ir.SourceMatch, ir.TargetMatch) {
			if err := m.Validate(); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestObjectDecodesAndValidates(t *testing.T) {
	for _, np := range plans(t) {
		if np.p.Kubernetes() == nil {
			continue
		}
		data := objectOf(t, np.p)
		if _, err := decode(data); err != nil {
			t.Errorf("%s: %v\n%s", np.name, err, data)
		}
	}
	p := planOf(t, twoModels+kubernetesBlock)
	data := objectOf(t, p)
	obj, err := decode(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	k := p.Kubernetes()
	if obj.Namespace != k.Namespace || obj.Name != alertmanager.ObjectName || obj.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("metadata %+v", obj.ObjectMeta)
	}
	var names []string
	for _, r := range obj.Spec.Receivers {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"ml-oncall", "ml-tickets"}) {
		t.Errorf("receivers %v", names)
	}
	if !strings.Contains(string(data), "alertmanagerConfigMatcherStrategy") {
		t.Error("the header does not tell about the matcher strategy")
	}
}

// TestObjectRejectsMistakes shows the checks above fail on a misspelt
// field, at the top and in a child route, and on a bad match type.
func TestObjectRejectsMistakes(t *testing.T) {
	data := string(objectOf(t, planOf(t, twoModels+kubernetesBlock)))
	for name, bad := range map[string]string{
		"misspelt field":             strings.Replace(data, "  inhibitRules:", "  inhibitRule:", 1),
		"misspelt child route field": strings.Replace(data, "groupWait:", "groupWiat:", 1),
		"bad match type":             strings.Replace(data, "matchType: =~", "matchType: ==", 1),
		"unknown receiver":           strings.Replace(data, "receiver: ml-oncall", "receiver: ml-on-call", 1),
	} {
		if bad == data {
			t.Fatalf("%s: nothing replaced", name)
		}
		if _, err := decode([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// operatorConfig turns the object into the Alertmanager configuration the
// operator generates from it (pkg/alertmanager/amcfg.go, Alertmanager
// >= 0.22): receiver names prefixed with namespace/name, matchers as
// their String(), continue forced on the top-level route, and with the
// OnNamespace strategy a namespace matcher on that route and on both
// sides of every inhibition rule. The object's route goes first under a
// root route of the main configuration.
func operatorConfig(t *testing.T, obj *monitoringv1alpha1.AlertmanagerConfig, onNamespace bool) *config.Config {
	t.Helper()
	prefix := obj.Namespace + "/" + obj.Name + "/"
	nsMatcher := monitoringv1alpha1.Matcher{Name: "namespace", Value: obj.Namespace, MatchType: monitoringv1alpha1.MatchEqual}
	strs := func(ms []monitoringv1alpha1.Matcher, ns bool) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.String())
		}
		if ns {
			out = append(out, nsMatcher.String())
		}
		return out
	}
	var route func(r *monitoringv1alpha1.Route, top bool) map[string]any
	route = func(r *monitoringv1alpha1.Route, top bool) map[string]any {
		m := map[string]any{"receiver": prefix + r.Receiver, "matchers": strs(r.Matchers, top && onNamespace), "continue": top}
		if len(r.GroupBy) > 0 {
			m["group_by"] = r.GroupBy
		}
		for k, d := range map[string]*monitoringv1.NonEmptyDuration{"group_wait": r.GroupWait, "group_interval": r.GroupInterval, "repeat_interval": r.RepeatInterval} {
			if d != nil {
				m[k] = string(*d)
			}
		}
		children, err := r.ChildRoutes()
		if err != nil {
			t.Fatal(err)
		}
		var cs []any
		for i := range children {
			cs = append(cs, route(&children[i], false))
		}
		if len(cs) > 0 {
			m["routes"] = cs
		}
		return m
	}
	receivers := []any{map[string]any{"name": rootReceiver}}
	for _, r := range obj.Spec.Receivers {
		receivers = append(receivers, map[string]any{"name": prefix + r.Name})
	}
	var inhibit []any
	for _, ir := range obj.Spec.InhibitRules {
		inhibit = append(inhibit, map[string]any{
			"source_matchers": strs(ir.SourceMatch, onNamespace),
			"target_matchers": strs(ir.TargetMatch, onNamespace),
			"equal":           ir.Equal,
		})
	}
	doc := map[string]any{
		"route":         map[string]any{"receiver": rootReceiver, "routes": []any{route(obj.Spec.Route, true)}},
		"receivers":     receivers,
		"inhibit_rules": inhibit,
	}
	text, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(string(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return cfg
}

// TestObjectRoutesLikeSnippet routes every generated alert through the
// configuration the operator builds from the object and through the
// pasted routes.yaml: both pick the same receiver. With the operator's
// default OnNamespace strategy the object takes none of them, unless
// the alerts carry the namespace label (kubernetes.alertLabels).
func TestObjectRoutesLikeSnippet(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		labeled    bool
	}{
		{"no namespace label", twoModels + kubernetesBlock, false},
		{"namespace alert label", twoModels + strings.Replace(kubernetesBlock, `alertLabels: team: "ml-platform"`, `alertLabels: {team: "ml-platform", namespace: "monitoring"}`, 1), true},
	} {
		p := planOf(t, tc.spec)
		if got := alertmanager.NamespaceLabeled(p.Kubernetes()); got != tc.labeled {
			t.Fatalf("%s: NamespaceLabeled %v", tc.name, got)
		}
		obj, err := decode(objectOf(t, p))
		if err != nil {
			t.Fatal(err)
		}
		snippet, err := config.Load(compose(alertmanager.Build(p)))
		if err != nil {
			t.Fatal(err)
		}
		viaSnippet := dispatch.NewRoute(snippet.Route, nil)
		none := dispatch.NewRoute(operatorConfig(t, obj, false).Route, nil)
		onNS := dispatch.NewRoute(operatorConfig(t, obj, true).Route, nil)
		prefix := obj.Namespace + "/" + obj.Name + "/"
		receivers := func(r *dispatch.Route, ls model.LabelSet) []string {
			var out []string
			for _, m := range r.Match(ls) {
				out = append(out, strings.TrimPrefix(m.RouteOpts.Receiver, prefix))
			}
			return out
		}
		for _, a := range alertsOf(t, p) {
			want := receivers(viaSnippet, a.labels)
			if got := receivers(none, a.labels); !slices.Equal(got, want) {
				t.Errorf("%s: strategy None: %v goes to %v, routes.yaml to %v", tc.name, a.labels, got, want)
			}
			wantNS := []string{rootReceiver}
			if tc.labeled {
				wantNS = want
			}
			if got := receivers(onNS, a.labels); !slices.Equal(got, wantNS) {
				t.Errorf("%s: strategy OnNamespace: %v goes to %v, want %v", tc.name, a.labels, got, wantNS)
			}
		}
		if !tc.labeled && !strings.Contains(string(objectOf(t, p)), "match nothing") {
			t.Errorf("%s: the header does not warn that the object matches nothing", tc.name)
		}
	}
}
