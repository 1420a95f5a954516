package dashboards

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/schema"
	"github.com/inferobs/inferobs/schema/diag"
)

// Labels inferobs sets on every Kubernetes object it writes.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "inferobs"
)

// MaxConfigMapData is the most data a ConfigMap holds: the API server
// (ValidateConfigMap) refuses one whose values add up to more than
// corev1.MaxSecretSize bytes.
const MaxConfigMapData = corev1.MaxSecretSize

// GrafanaDashboardAPIVersion is grafana-operator's dashboard API.
const GrafanaDashboardAPIVersion = "grafana.integreatly.org/v1beta1"

// GrafanaDashboard is the part of grafana-operator's GrafanaDashboard
// (grafana.integreatly.org/v1beta1) that inferobs writes. The operator's Go
// module is not served to this build, so the type is written out here, with
// the json names of api/v1beta1 (grafanadashboard_types.go, common.go,
// content.go) at grafana-operator v5.24.0; configMapRef exists since v5.2.0.
type GrafanaDashboard struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              GrafanaDashboardSpec `json:"spec"`
}

// GrafanaDashboardSpec: the Grafana instances to import into, the model
// from the dashboard's ConfigMap (one copy in etcd, not two) and the folder.
type GrafanaDashboardSpec struct {
	InstanceSelector *metav1.LabelSelector        `json:"instanceSelector"`
	ConfigMapRef     *corev1.ConfigMapKeySelector `json:"configMapRef,omitempty"`
	FolderTitle      string                       `json:"folder,omitempty"`
}

// ConfigMapPath is where the ConfigMap of the dashboard grafana/<slug>.json
// is written.
func ConfigMapPath(slug string) string { return "kubernetes/dashboard-" + slug + ".yaml" }

// GrafanaDashboardPath is where its GrafanaDashboard is written.
func GrafanaDashboardPath(slug string) string {
	return "kubernetes/grafanadashboard-" + slug + ".yaml"
}

// kubernetesObjects returns, for a spec with a kubernetes block, one
// ConfigMap per dashboard for the Grafana sidecar (and, with
// dashboards.grafanaOperator, one GrafanaDashboard each). The ConfigMap's
// one key is <uid>.json: the sidecar writes every key as a file into one
// directory, and the uid (which carries the environment's hash) keeps two
// environments' dashboards apart where bare file names would collide.
func (c *ctx) kubernetesObjects(dashboards []emit.Artifact) ([]emit.Artifact, error) {
	k := c.p.Kubernetes()
	if k == nil {
		return nil, nil
	}
	var ds diag.List
	var out []emit.Artifact
	for _, l := range c.layers {
		data, ok := artifactData(dashboards, "grafana/"+l.slug+".json")
		if !ok {
			return nil, fmt.Errorf("dashboards: no grafana/%s.json to wrap in a ConfigMap", l.slug)
		}
		arts, lds := c.dashboardObjects(k, l, data)
		ds = append(ds, lds...)
		out = append(out, arts...)
	}
	if ds.HasErrors() {
		return nil, ds.Sorted().Err()
	}
	return out, nil
}

func artifactData(arts []emit.Artifact, path string) ([]byte, bool) {
	for _, a := range arts {
		if a.Path == path {
			return a.Data, true
		}
	}
	return nil, false
}

// ConfigMapLabels are the labels of every dashboard ConfigMap: the block's,
// the sidecar's (dashboards.labels) and managed-by, later ones winning.
func ConfigMapLabels(k *schema.Kubernetes) map[string]string {
	l := maps.Clone(k.Labels)
	if l == nil {
		l = map[string]string{}
	}
	maps.Copy(l, k.Dashboards.Labels)
	l[LabelManagedBy] = ManagedBy
	return l
}

// ConfigMapAnnotations are the block's annotations and, with a folder, the
// sidecar's folder annotation.
func ConfigMapAnnotations(k *schema.Kubernetes) map[string]string {
	a := maps.Clone(k.Annotations)
	if k.Dashboards.Folder != "" {
		if a == nil {
			a = map[string]string{}
		}
		a[k.Dashboards.FolderAnnotation] = k.Dashboards.Folder
	}
	if len(a) == 0 {
		return nil
	}
	return a
}

func objectLabels(k *schema.Kubernetes) map[string]string {
	l := maps.Clone(k.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[LabelManagedBy] = ManagedBy
	return l
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// dashboardObjects wraps one dashboard.
func (c *ctx) dashboardObjects(k *schema.Kubernetes, l layer, data []byte) ([]emit.Artifact, diag.List) {
	var ds diag.List
	name := c.uid(l)
	key := name + ".json"
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		ds = append(ds, c.errorf([]string{"environment"}, "the dashboard ConfigMap name %q is not a Kubernetes object name: %s", name, msg))
	}
	for _, msg := range validation.IsConfigMapKey(key) {
		ds = append(ds, c.errorf([]string{"environment"}, "the ConfigMap key %q is not a ConfigMap key: %s", key, msg))
	}
	if len(data) > MaxConfigMapData {
		ds = append(ds, c.errorf([]string{"kubernetes", "dashboards"},
			"the dashboard grafana/%s.json (%q) is %s (%d bytes), but a ConfigMap holds at most %d bytes of data and a dashboard cannot be split across ConfigMaps: split the spec (fewer models or workloads per environment) so the dashboard shrinks, or remove the kubernetes block and load grafana/%s.json through Grafana's API or file provisioning",
			l.slug, l.title, humanBytes(len(data)), len(data), MaxConfigMapData, l.slug))
		return nil, ds
	}
	cm := &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Namespace:   k.Namespace,
			Labels:      ConfigMapLabels(k),
			Annotations: ConfigMapAnnotations(k),
		},
		Data: map[string]string{key: string(data)},
	}
	head := fmt.Sprintf("Generated by inferobs from the spec; do not edit.\nDashboard %q (grafana/%s.json, uid %s)\nfor the Grafana sidecar, which loads ConfigMaps labelled %s.", l.title, l.slug, name, labelList(k.Dashboards.Labels))
	if k.Dashboards.Folder != "" {
		head += fmt.Sprintf("\nFolder %q via the annotation %s: the sidecar reads it only when\nits folderAnnotation is set to that name (kube-prometheus-stack:\ngrafana.sidecar.dashboards.folderAnnotation, with\ngrafana.sidecar.dashboards.provider.foldersFromFilesStructure: true).", k.Dashboards.Folder, k.Dashboards.FolderAnnotation)
	}
	if n, big := lastAppliedTooLarge(cm); big {
		head += fmt.Sprintf("\nApply with `kubectl apply --server-side`: client-side apply would copy\nthis object (%d bytes) into the annotation\n%s, over the %d bytes\nan object's annotations may hold.", n, corev1.LastAppliedConfigAnnotation, apivalidation.TotalAnnotationSizeLimitB)
	}
	cmYAML, err := marshal(head, cm)
	if err != nil {
		return nil, append(ds, c.errorf(nil, "dashboard %s: %v", l.slug, err))
	}
	arts := []emit.Artifact{{Path: ConfigMapPath(l.slug), Data: cmYAML}}
	if sel := k.Dashboards.GrafanaOperator; sel != nil {
		gd := &GrafanaDashboard{
			TypeMeta: metav1.TypeMeta{APIVersion: GrafanaDashboardAPIVersion, Kind: "GrafanaDashboard"},
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Namespace:   k.Namespace,
				Labels:      objectLabels(k),
				Annotations: nilIfEmpty(k.Annotations),
			},
			Spec: GrafanaDashboardSpec{
				InstanceSelector: &metav1.LabelSelector{MatchLabels: maps.Clone(sel)},
				ConfigMapRef: &corev1.ConfigMapKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: name},
					Key:                  key,
				},
				FolderTitle: k.Dashboards.Folder,
			},
		}
		head := fmt.Sprintf("Generated by inferobs from the spec; do not edit.\nDashboard %q for grafana-operator (v5.2 or later: configMapRef):\nthe model is read from the ConfigMap %s.", l.title, name)
		gdYAML, err := marshal(head, gd)
		if err != nil {
			return nil, append(ds, c.errorf(nil, "dashboard %s: %v", l.slug, err))
		}
		arts = append(arts, emit.Artifact{Path: GrafanaDashboardPath(l.slug), Data: gdYAML})
	}
	return arts, ds
}

// lastAppliedTooLarge reports whether `kubectl apply` (client-side) could
// record obj: it stores the object's JSON in an annotation, and all of an
// object's annotations together are limited by the API server's own check.
func lastAppliedTooLarge(obj *corev1.ConfigMap) (int, bool) {
	j, err := json.Marshal(obj)
	if err != nil {
		return 0, false
	}
	a := maps.Clone(obj.Annotations)
	if a == nil {
		a = map[string]string{}
	}
	a[corev1.LastAppliedConfigAnnotation] = string(j)
	return len(j), apivalidation.ValidateAnnotationsSize(a) != nil
}

func (c *ctx) errorf(path []string, format string, args ...any) diag.Diagnostic {
	return diag.Errorf(c.p.Spec.Pos(path...), schema.Path(path...), format, args...)
}

// marshal writes obj as YAML (sigs.k8s.io/yaml: through its JSON form, so
// keys are sorted and the output is the same run after run) under a
// comment header.
func marshal(head string, obj any) ([]byte, error) {
	y, err := yaml.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, line := range strings.Split(head, "\n") {
		b.WriteString("# " + line + "\n")
	}
	b.Write(y)
	return []byte(b.String()), nil
}

func labelList(l map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, l[k]))
	}
	return strings.Join(parts, ", ")
}

func humanBytes(n int) string {
	return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
}
