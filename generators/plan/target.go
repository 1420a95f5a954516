package plan

import (
	"fmt"
	"maps"
	"slices"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
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
			return Target{}, &SelectorLabelError{Model: m.Name, Label: k}
		default:
			if _, dup := t.PodLabels[k]; !dup {
				t.PodLabels[k] = v
			}
			t.Copied = append(t.Copied, k)
		}
	}
	return t, nil
}

// SelectorLabelError is a selector label no Kubernetes scrape can write.
type SelectorLabelError struct{ Model, Label string }

func (e *SelectorLabelError) Error() string {
	if e.Label == model.InstanceLabel {
		return fmt.Sprintf("model %q: selector label %q is the address a scrape reads (pod IP and port), which discovery assigns and no spec can fix: select the model's pods by podLabels (or pod, node) instead", e.Model, e.Label)
	}
	return fmt.Sprintf("model %q: selector label %q cannot be written by a Kubernetes scrape: a pod label becomes a series label only under a valid Prometheus label name (letters, digits, '_'); put the pod label in podLabels and select on a label name the scrape can write", e.Model, e.Label)
}

// Matchers are the matchers that select the target's own series (up,
// scrape_duration_seconds, every engine series): exactly the labels the
// scrape writes, job, namespace, pod, container and node from discovery
// and the copied pod labels, each fixed to the selector's value. The
// pod-label filters that are not copied are not on the series, so they
// are not matched.
func (t Target) Matchers() []*labels.Matcher {
	fixed := t.Fixed()
	var ms []*labels.Matcher
	for _, k := range slices.Sorted(maps.Keys(fixed)) {
		ms = append(ms, labels.MustNewMatcher(labels.MatchEqual, k, fixed[k]))
	}
	return ms
}

// Fixed maps every label the scrape writes with one known value to it.
func (t Target) Fixed() map[string]string {
	f := map[string]string{model.JobLabel: t.Job}
	for k, v := range map[string]string{LabelNamespace: t.Namespace, LabelPod: t.Pod, LabelContainer: t.Container, LabelNode: t.Node} {
		if v != "" {
			f[k] = v
		}
	}
	for _, k := range t.Copied {
		f[k] = t.PodLabels[k]
	}
	return f
}

// Overlap says whether two targets can select the same pod and, if their
// scrapes stay apart, whether their series can still be told apart.
//
// Discovery: two targets can scrape the same pod's endpoint unless they
// differ in port or path, in a namespace both fix, in the pod, container
// or node both fix, or in a pod label both require. A pod matching both
// would be scraped twice and counted by both models' up, cost and DCGM
// rules.
//
// Series: apart in discovery, their up series are still one set when the
// labels the scrape writes (Fixed) agree on every label both fix; a model
// whose targets only differ from another's in a filter that is not copied
// (a podLabel under one shared job name) has its up counted with the
// other's.
type Overlap struct {
	// Discovery: a pod can be a target of both.
	Discovery bool
	// Series: their series carry the same written labels.
	Series bool
}

// CanOverlap compares two target descriptions (see Overlap).
func CanOverlap(a, b Target) Overlap {
	return Overlap{Discovery: discoveryOverlap(a, b), Series: !differ(a.Fixed(), b.Fixed())}
}

func discoveryOverlap(a, b Target) bool {
	if a.Port != b.Port || a.Path != b.Path {
		return false
	}
	for _, p := range [][2]string{{a.Namespace, b.Namespace}, {a.Pod, b.Pod}, {a.Container, b.Container}, {a.Node, b.Node}} {
		if p[0] != "" && p[1] != "" && p[0] != p[1] {
			return false
		}
	}
	return !differ(a.PodLabels, b.PodLabels)
}

// differ reports whether some key is in both maps with different values.
func differ(a, b map[string]string) bool {
	for k, v := range a {
		if w, ok := b[k]; ok && w != v {
			return true
		}
	}
	return false
}
