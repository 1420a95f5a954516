package plan

import (
	"fmt"
	"maps"
	"slices"

	"github.com/prometheus/common/model"
)

// Labels a model's selector may name that Kubernetes pod discovery (or the
// scrape itself) provides rather than the pod's own labels.
const (
	LabelNamespace = "namespace"
	LabelPod       = "pod"
	LabelContainer = "container"
	LabelNode      = "node"
)

// Target says how a model's scrape targets are found by Kubernetes pod
// discovery and how the labels its rules select on come onto its series.
// Every scrape configuration (the collector's jobs, the operator's
// monitors) and every pod policy renders this one description, so what is
// scraped and what the rules select cannot drift apart.
type Target struct {
	// Job is the scrape job, the value of the job label on every series.
	Job string
	// Namespace restricts discovery; "" when the selector names none.
	Namespace string
	// Port and Path are where the engine serves its metrics.
	Port int
	Path string
	// PodLabels must all match for a pod to be a target: the model's
	// podLabels, then the selector labels that are neither discovered nor
	// exposed by the engine, which are taken to be pod labels.
	PodLabels map[string]string
	// Pod, Container and Node are selector values matched against the
	// discovered pod name, container name and node ("" when absent).
	Pod, Container, Node string
	// Copied are the selector labels read from pod labels and written onto
	// every series of the target, sorted.
	Copied []string
	// EngineLabels are selector labels the engine exposes itself (its model
	// label, say): they filter series, not targets. Sorted.
	EngineLabels []string
}

// JobName is the scrape job of a model: the value of its selector's job
// label (so the job label the rules select is the one the scrape writes),
// else inferobs-<model>.
func JobName(m *Model) string {
	if j, ok := m.Spec.Selector[model.JobLabel]; ok && j != "" {
		return j
	}
	return "inferobs-" + m.Name
}

// Target derives the model's scrape target description from its selector
// and podLabels. It fails on a selector label no scrape can produce.
func (m *Model) Target() (Target, error) {
	sel := m.Spec.Selector
	t := Target{
		Job:       JobName(m),
		Namespace: sel[LabelNamespace],
		Port:      m.MetricsPort(),
		Path:      m.MetricsPath(),
		PodLabels: map[string]string{},
	}
	maps.Copy(t.PodLabels, m.Spec.PodLabels)
	exposed := map[string]bool{}
	for _, l := range m.Catalog.CommonLabels() {
		exposed[l] = true
	}
	if l := m.Catalog.Info.ModelLabel; l != "" {
		exposed[l] = true
	}
	for _, k := range slices.Sorted(maps.Keys(sel)) {
		v := sel[k]
		switch {
		case k == model.JobLabel, k == LabelNamespace:
			// The job label is the job name; discovery is restricted to the namespace.
		case k == LabelPod:
			t.Pod = v
		case k == LabelContainer:
			t.Container = v
		case k == LabelNode:
			t.Node = v
		case exposed[k]:
			t.EngineLabels = append(t.EngineLabels, k)
		case k == model.InstanceLabel || !model.LabelName(k).IsValidLegacy():
			return Target{}, fmt.Errorf("model %q: selector label %q cannot be derived from Kubernetes discovery", m.Name, k)
		default:
			if _, dup := t.PodLabels[k]; !dup {
				t.PodLabels[k] = v
			}
			t.Copied = append(t.Copied, k)
		}
	}
	return t, nil
}
