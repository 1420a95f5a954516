package plan

import (
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// kubernetesObjects checks, with a kubernetes block, what becomes part of a
// Kubernetes object: label keys and values and annotation keys the API
// server would refuse, object names, and the monitors' selectors (a
// monitor selects by label selector, so a pod label that is no Kubernetes
// label can match no pod).
func (b *builder) kubernetesObjects() {
	k := b.s.Kubernetes
	if k == nil {
		return
	}
	labelKV := func(path []string, what, key, value string) {
		if errs := validation.IsQualifiedName(key); len(errs) > 0 {
			b.errorf(path, "%s key %q is not a Kubernetes label key: %s", what, key, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(value); len(errs) > 0 {
			b.errorf(path, "%s %s=%q: the value is not a Kubernetes label value: %s", what, key, value, strings.Join(errs, "; "))
		}
	}
	for _, l := range slices.Sorted(maps.Keys(k.Labels)) {
		labelKV([]string{"kubernetes", "labels", l}, "label", l, k.Labels[l])
	}
	for _, l := range slices.Sorted(maps.Keys(k.Dashboards.Labels)) {
		labelKV([]string{"kubernetes", "dashboards", "labels", l}, "dashboard label", l, k.Dashboards.Labels[l])
	}
	for _, l := range slices.Sorted(maps.Keys(k.Dashboards.GrafanaOperator)) {
		labelKV([]string{"kubernetes", "dashboards", "grafanaOperator", "instanceSelector", l}, "instance selector label", l, k.Dashboards.GrafanaOperator[l])
	}
	annotationKey := func(path []string, a string) {
		if errs := validation.IsQualifiedName(strings.ToLower(a)); len(errs) > 0 {
			b.errorf(path, "annotation key %q is not a Kubernetes annotation key: %s", a, strings.Join(errs, "; "))
		}
	}
	for _, a := range slices.Sorted(maps.Keys(k.Annotations)) {
		annotationKey([]string{"kubernetes", "annotations", a}, a)
	}
	if k.Dashboards.Folder != "" {
		annotationKey([]string{"kubernetes", "dashboards", "folderAnnotation"}, k.Dashboards.FolderAnnotation)
	}
	if k.Monitors == "none" {
		return
	}
	for _, m := range b.p.Models {
		if errs := validation.IsDNS1123Subdomain("inferobs-" + m.Name); len(errs) > 0 {
			b.errorf([]string{"models", m.Name}, "model name %q makes the monitor name %q, which is not a Kubernetes object name (%s): use lowercase letters, digits, '-' and '.'", m.Name, "inferobs-"+m.Name, strings.Join(errs, "; "))
		}
		t, err := m.Target()
		if err != nil {
			continue // the collector and the rules report it
		}
		for _, l := range slices.Sorted(maps.Keys(t.PodLabels)) {
			path := []string{"models", m.Name, "podLabels", l}
			if _, own := m.Spec.PodLabels[l]; !own {
				path = []string{"models", m.Name, "selector", l}
			}
			labelKV(path, "pod label", l, t.PodLabels[l])
		}
		if svc := m.Spec.Service; svc != nil {
			for _, l := range slices.Sorted(maps.Keys(svc.Labels)) {
				labelKV([]string{"models", m.Name, "service", "labels", l}, "Service label", l, svc.Labels[l])
			}
			if errs := validation.IsValidPortName(svc.Port); len(errs) > 0 {
				b.errorf([]string{"models", m.Name, "service", "port"}, "service.port %q is not a Service port name: %s", svc.Port, strings.Join(errs, "; "))
			}
		} else if len(t.PodLabels) == 0 {
			ns := t.Namespace
			if ns == "" {
				ns = k.Namespace
			}
			b.warnf([]string{"models", m.Name}, "model %q has no podLabels: its PodMonitor selects every pod in namespace %q exposing port %d; set podLabels to the labels of its pods", m.Name, ns, t.Port)
		}
		if m.Name == "dcgm-exporter" && k.DCGM != nil {
			b.errorf([]string{"models", m.Name}, "model %q has the name of the DCGM exporter's PodMonitor; rename the model", m.Name)
		}
	}
	if d := k.DCGM; d != nil {
		for _, l := range slices.Sorted(maps.Keys(d.PodLabels)) {
			labelKV([]string{"kubernetes", "dcgmExporter", "podLabels", l}, "pod label", l, d.PodLabels[l])
		}
		if d.Namespace != "" {
			if errs := validation.IsDNS1123Label(d.Namespace); len(errs) > 0 {
				b.errorf([]string{"kubernetes", "dcgmExporter", "namespace"}, "namespace %q is not a Kubernetes namespace name: %s", d.Namespace, strings.Join(errs, "; "))
			}
		}
	}
}
