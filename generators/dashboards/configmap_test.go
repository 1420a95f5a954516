package dashboards_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/inferobs/inferobs/generators/dashboards"
	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/schema"
)

const kubernetesBlock = `
kubernetes: {
	namespace: "monitoring"
	labels: release: "kube-prometheus-stack"
	annotations: "team.example.com/owner": "ml-platform"
	dashboards: {
		folder: "LLM serving"
		grafanaOperator: instanceSelector: dashboards: "grafana"
	}
}
`

// examplePlan plans an example, with extra CUE files beside its own.
func examplePlan(t *testing.T, example string, extra ...schema.File) *plan.Plan {
	t.Helper()
	dir := filepath.Join("..", "..", "examples", example)
	names, err := filepath.Glob(filepath.Join(dir, "*.cue"))
	if err != nil || len(names) == 0 {
		t.Fatalf("example %s: %v", example, err)
	}
	var files []schema.File
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, schema.File{Name: n, Data: data})
	}
	s, ds := schema.LoadFiles(append(files, extra...))
	if ds.HasErrors() {
		t.Fatalf("%s: %v", example, ds.Err())
	}
	p, ds := plan.New(s)
	if p == nil {
		t.Fatalf("%s: %v", example, ds.Err())
	}
	return p
}

// strictDecode decodes a YAML object the way the API server's strict
// field validation does: case-sensitive names, unknown and duplicate
// fields are errors.
func strictDecode(data []byte, obj any) error {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	if len(strict) > 0 {
		return fmt.Errorf("%v", strict)
	}
	return nil
}

func byPath(arts []emit.Artifact) map[string][]byte {
	m := map[string][]byte{}
	for _, a := range arts {
		m[a.Path] = a.Data
	}
	return m
}

// TestDashboardConfigMaps: with a kubernetes block every dashboard is also a
// ConfigMap holding its exact bytes, and a GrafanaDashboard pointing at it.
func TestDashboardConfigMaps(t *testing.T) {
	for _, example := range []string{"quickstart", "platform"} {
		t.Run(example, func(t *testing.T) {
			p := examplePlan(t, example, schema.File{Name: "kubernetes.cue", Data: []byte(kubernetesBlock)})
			arts, err := dashboards.Generate(p)
			if err != nil {
				t.Fatal(err)
			}
			files := byPath(arts)
			n := 0
			for path, data := range files {
				slug, ok := strings.CutPrefix(path, "grafana/")
				if !ok {
					continue
				}
				slug = strings.TrimSuffix(slug, ".json")
				n++
				checkConfigMap(t, example, slug, data, files[dashboards.ConfigMapPath(slug)])
				checkGrafanaDashboard(t, slug, data, files[dashboards.GrafanaDashboardPath(slug)])
			}
			if want := 2 * n; len(files)-n != want {
				t.Errorf("%d dashboards, %d other artifacts; want %d (a ConfigMap and a GrafanaDashboard each)", n, len(files)-n, want)
			}
		})
	}
}

func checkConfigMap(t *testing.T, example, slug string, dashboard, data []byte) {
	t.Helper()
	if data == nil {
		t.Errorf("%s: no %s", slug, dashboards.ConfigMapPath(slug))
		return
	}
	var cm corev1.ConfigMap
	if err := strictDecode(data, &cm); err != nil {
		t.Errorf("%s: does not decode strictly into a ConfigMap: %v", slug, err)
		return
	}
	var model struct {
		UID string `json:"uid"`
	}
	if err := json.Unmarshal(dashboard, &model); err != nil || model.UID == "" {
		t.Fatalf("%s: no uid: %v", slug, err)
	}
	if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" || cm.Name != model.UID || cm.Namespace != "monitoring" {
		t.Errorf("%s: %s/%s %s/%s, want v1/ConfigMap monitoring/%s", slug, cm.APIVersion, cm.Kind, cm.Namespace, cm.Name, model.UID)
	}
	if errs := apivalidation.ValidateObjectMeta(&cm.ObjectMeta, true, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata")); len(errs) > 0 {
		t.Errorf("%s: metadata the API server refuses: %v", slug, errs.ToAggregate())
	}
	key := model.UID + ".json"
	if len(cm.Data) != 1 || len(cm.BinaryData) != 0 {
		t.Errorf("%s: data keys %v, want only %s", slug, cm.Data, key)
	}
	// The uid is the one the dashboard has without the block (the
	// committed example output): links and bookmarks survive the move.
	if committed, err := os.ReadFile(filepath.Join("..", "..", "out", example, "grafana", slug+".json")); err == nil {
		var was struct {
			UID string `json:"uid"`
		}
		if json.Unmarshal(committed, &was) != nil || was.UID != model.UID {
			t.Errorf("%s: uid %s, without the kubernetes block %s", slug, model.UID, was.UID)
		}
	} else {
		t.Errorf("%s: %v", slug, err)
	}
	bad := bytes.Replace(data, []byte("\ndata:"), []byte("\nDATA:"), 1)
	if err := strictDecode(bad, &corev1.ConfigMap{}); err == nil {
		t.Errorf("%s: a misspelt data field decodes", slug)
	}
	if got, ok := cm.Data[key]; !ok || !bytes.Equal([]byte(got), dashboard) {
		t.Errorf("%s: data[%s] is not grafana/%s.json byte for byte (%d against %d bytes)", slug, key, slug, len(got), len(dashboard))
	}
	for k, v := range map[string]string{"release": "kube-prometheus-stack", "grafana_dashboard": "1", dashboards.LabelManagedBy: dashboards.ManagedBy} {
		if cm.Labels[k] != v {
			t.Errorf("%s: label %s=%q, want %q (labels %v)", slug, k, cm.Labels[k], v, cm.Labels)
		}
	}
	for k, v := range map[string]string{"team.example.com/owner": "ml-platform", "grafana_folder": "LLM serving"} {
		if cm.Annotations[k] != v {
			t.Errorf("%s: annotation %s=%q, want %q", slug, k, cm.Annotations[k], v)
		}
	}
	// kubectl's client-side apply records the object's JSON in an
	// annotation; the file says to apply server-side exactly when that
	// would not fit.
	j, err := json.Marshal(cm)
	if err != nil {
		t.Fatal(err)
	}
	a := map[string]string{corev1.LastAppliedConfigAnnotation: string(j)}
	for k, v := range cm.Annotations {
		a[k] = v
	}
	tooBig := apivalidation.ValidateAnnotationsSize(a) != nil
	if says := bytes.Contains(data, []byte("kubectl apply --server-side")); says != tooBig {
		t.Errorf("%s: last-applied annotation %d bytes (too big: %v), yet the file says --server-side: %v", slug, len(j), tooBig, says)
	}
	t.Logf("%s: dashboard %d bytes (%.1f%% of the ConfigMap limit), last-applied-configuration %d bytes (limit %d), file %d bytes",
		slug, len(dashboard), 100*float64(len(dashboard))/float64(dashboards.MaxConfigMapData), len(j), apivalidation.TotalAnnotationSizeLimitB, len(data))
}

func checkGrafanaDashboard(t *testing.T, slug string, dashboard, data []byte) {
	t.Helper()
	if data == nil {
		t.Errorf("%s: no %s", slug, dashboards.GrafanaDashboardPath(slug))
		return
	}
	var gd dashboards.GrafanaDashboard
	if err := strictDecode(data, &gd); err != nil {
		t.Errorf("%s: does not decode strictly into a GrafanaDashboard: %v", slug, err)
		return
	}
	var model struct {
		UID string `json:"uid"`
	}
	_ = json.Unmarshal(dashboard, &model)
	if gd.APIVersion != "grafana.integreatly.org/v1beta1" || gd.Kind != "GrafanaDashboard" || gd.Namespace != "monitoring" || gd.Name != model.UID {
		t.Errorf("%s: %s %s %s/%s", slug, gd.APIVersion, gd.Kind, gd.Namespace, gd.Name)
	}
	if r := gd.Spec.ConfigMapRef; r == nil || r.Name != model.UID || r.Key != model.UID+".json" {
		t.Errorf("%s: configMapRef %+v, want %s key %s.json", slug, r, model.UID, model.UID)
	}
	if s := gd.Spec.InstanceSelector; s == nil || len(s.MatchLabels) != 1 || s.MatchLabels["dashboards"] != "grafana" {
		t.Errorf("%s: instanceSelector %+v", slug, s)
	}
	if gd.Spec.FolderTitle != "LLM serving" || gd.Labels["release"] != "kube-prometheus-stack" || gd.Labels["grafana_dashboard"] != "" {
		t.Errorf("%s: folder %q labels %v (the sidecar's label belongs on the ConfigMap only)", slug, gd.Spec.FolderTitle, gd.Labels)
	}
	// A misspelt field is refused by the same decode.
	for _, typo := range []string{"configmapRef:", "configMapRefs:"} {
		bad := bytes.Replace(data, []byte("configMapRef:"), []byte(typo), 1)
		var gd dashboards.GrafanaDashboard
		if err := strictDecode(bad, &gd); err == nil {
			t.Errorf("%s: a misspelt configMapRef (%s) decodes", slug, typo)
		}
	}
}

// TestNoKubernetesBlockNoObjects: without the block only grafana/ files.
func TestNoKubernetesBlockNoObjects(t *testing.T) {
	arts, err := dashboards.Generate(examplePlan(t, "quickstart"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		if !strings.HasPrefix(a.Path, "grafana/") {
			t.Errorf("no kubernetes block, yet %s", a.Path)
		}
	}
}

// TestNoGrafanaOperatorNoGrafanaDashboards: the sidecar's ConfigMaps only.
func TestNoGrafanaOperatorNoGrafanaDashboards(t *testing.T) {
	p := examplePlan(t, "quickstart", schema.File{Name: "k.cue", Data: []byte(`kubernetes: namespace: "obs"`)})
	arts, err := dashboards.Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	files := byPath(arts)
	for path, data := range files {
		if strings.Contains(path, "grafanadashboard-") {
			t.Errorf("no grafanaOperator, yet %s", path)
		}
		if !strings.HasPrefix(path, "kubernetes/dashboard-") {
			continue
		}
		var cm corev1.ConfigMap
		if err := strictDecode(data, &cm); err != nil {
			t.Fatal(err)
		}
		if len(cm.Annotations) != 0 || len(cm.Labels) != 2 || cm.Labels["grafana_dashboard"] != "1" {
			t.Errorf("%s: labels %v annotations %v; want the default sidecar label and managed-by only", path, cm.Labels, cm.Annotations)
		}
	}
}

// TestDashboardObjectErrors: labels and annotations the API server would
// refuse are positioned errors of the planner, before any object is built.
func TestDashboardObjectErrors(t *testing.T) {
	for name, block := range map[string]string{
		"kubernetes.dashboards.labels":           `kubernetes: {namespace: "obs", dashboards: labels: "bad key!": "1"}`,
		"kubernetes.labels":                      `kubernetes: {namespace: "obs", labels: release: "not a value!"}`,
		"kubernetes.dashboards.folderAnnotation": `kubernetes: {namespace: "obs", dashboards: {folderAnnotation: "-bad-", folder: "x"}}`,
		"kubernetes.dashboards.grafanaOperator":  `kubernetes: {namespace: "obs", dashboards: grafanaOperator: instanceSelector: "a/b/c": "x"}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "examples", "quickstart")
			names, _ := filepath.Glob(filepath.Join(dir, "*.cue"))
			var files []schema.File
			for _, n := range names {
				data, err := os.ReadFile(n)
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, schema.File{Name: n, Data: data})
			}
			s, ds := schema.LoadFiles(append(files, schema.File{Name: "k.cue", Data: []byte(block)}))
			if ds.HasErrors() {
				t.Fatal(ds.Err())
			}
			p, ds := plan.New(s)
			if p != nil {
				t.Fatal("planned")
			}
			err := ds.Err()
			if !strings.Contains(err.Error(), "k.cue:1:") || !strings.Contains(err.Error(), name) {
				t.Errorf("error not positioned at %s in k.cue: %v", name, err)
			}
		})
	}
}
