package collector

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
)

// JobName is the scrape job of a model: the value of its selector's job
// label (so the job label the rules select is the one the scrape writes),
// else inferobs-<model>.
func JobName(m *plan.Model) string {
	if j, ok := m.Spec.Selector[model.JobLabel]; ok && j != "" {
		return j
	}
	return "inferobs-" + m.Name
}

// scrapeConfigs returns one job per model (models that share a job name
// share the job, when they would scrape the same targets) and the DCGM job.
//
// Targets come from Kubernetes pod discovery rather than static addresses:
// replicas come and go, and discovery gives the namespace, pod and node each
// series needs for the joins with DCGM and kube-state-metrics. A model's
// pods are the pods of its selector's namespace (the discovery itself is
// restricted to it, which is cheaper than a keep rule and lets a namespaced
// Role suffice), exposing the engine's metrics port, and matching its pod
// labels.
func (g *gen) scrapeConfigs() (*yaml.Node, error) {
	jobs := seq()
	byName := map[string]string{}
	var names []string
	rendered := map[string]*yaml.Node{}
	for _, m := range g.p.Models {
		name := JobName(m)
		job, err := g.engineJob(m, name)
		if err != nil {
			return nil, err
		}
		text, err := yaml.Marshal(job)
		if err != nil {
			return nil, err
		}
		if prev, ok := byName[name]; ok {
			if prev != string(text) {
				return nil, fmt.Errorf("collector: models share the scrape job %q but select different targets; give them distinct selector.job values", name)
			}
			continue
		}
		byName[name] = string(text)
		names = append(names, name)
		rendered[name] = job
	}
	if _, clash := byName[DCGMJob]; clash {
		return nil, fmt.Errorf("collector: a model's scrape job is named %q, the DCGM exporter's job", DCGMJob)
	}
	for _, n := range names {
		jobs.Content = append(jobs.Content, rendered[n])
	}
	jobs.Content = append(jobs.Content, g.dcgmJob())
	return jobs, nil
}

func (g *gen) engineJob(m *plan.Model, name string) (*yaml.Node, error) {
	info := m.Catalog.Info
	sel := m.Spec.Selector
	exposed := map[string]bool{}
	for _, l := range m.Catalog.CommonLabels() {
		exposed[l] = true
	}
	if info.ModelLabel != "" {
		exposed[info.ModelLabel] = true
	}

	relabel := seq(
		flow(mapping("source_labels", flow(strs(metaPodPhase)), "regex", str("Succeeded|Failed"), "action", str("drop"))),
		flow(mapping("source_labels", flow(strs(metaContainerPort)), "regex", str(strconv.Itoa(m.MetricsPort())), "action", str("keep"))),
	)
	var notes []string
	// Pod labels: the model's podLabels, then selector labels other than
	// the ones discovery or the engine provide, which are assumed to be pod
	// labels and copied onto the series so the rules' selector matches.
	keepLabel := func(key, value string) {
		relabel.Content = append(relabel.Content, flow(mapping("source_labels", flow(strs(metaPodLabelName(key))), "regex", str(regexp.QuoteMeta(value)), "action", str("keep"))))
	}
	for _, k := range slices.Sorted(maps.Keys(m.Spec.PodLabels)) {
		keepLabel(k, m.Spec.PodLabels[k])
	}
	var copied []string
	for _, k := range slices.Sorted(maps.Keys(sel)) {
		v := sel[k]
		switch {
		case k == model.JobLabel:
			// The job label is the job name.
		case k == labelNamespace:
			// Discovery is restricted to the namespace.
		case k == labelPod:
			relabel.Content = append(relabel.Content, flow(mapping("source_labels", flow(strs(metaPodName)), "regex", str(regexp.QuoteMeta(v)), "action", str("keep"))))
		case k == labelContainer:
			relabel.Content = append(relabel.Content, flow(mapping("source_labels", flow(strs(metaContainerName)), "regex", str(regexp.QuoteMeta(v)), "action", str("keep"))))
		case k == labelNode:
			relabel.Content = append(relabel.Content, flow(mapping("source_labels", flow(strs(metaPodNode)), "regex", str(regexp.QuoteMeta(v)), "action", str("keep"))))
		case exposed[k]:
			notes = append(notes, fmt.Sprintf("selector label %s is exposed by %s itself: not a target filter", k, m.Engine()))
		case k == model.InstanceLabel || !model.LabelName(k).IsValidLegacy():
			return nil, fmt.Errorf("collector: model %q: selector label %q cannot be derived from Kubernetes discovery", m.Name, k)
		default:
			if _, dup := m.Spec.PodLabels[k]; !dup {
				keepLabel(k, v)
			}
			copied = append(copied, k)
		}
	}
	targets := []struct{ meta, label string }{
		{metaNamespace, labelNamespace},
		{metaPodName, labelPod},
		{metaContainerName, labelContainer},
		{metaPodNode, labelNode},
	}
	for _, t := range targets {
		if g.checkLabel("target label", t.label) != nil {
			notes = append(notes, fmt.Sprintf("no %s target label: cardinality.forbiddenLabels forbids it", t.label))
			continue
		}
		relabel.Content = append(relabel.Content, flow(mapping("source_labels", flow(strs(t.meta)), "target_label", str(t.label))))
	}
	for _, k := range copied {
		if err := g.checkLabel("target label", k); err != nil {
			return nil, err
		}
		relabel.Content = append(relabel.Content, flow(mapping("source_labels", flow(strs(metaPodLabelName(k))), "target_label", str(k))))
	}

	sd := mapping("role", str("pod"))
	ns, hasNS := sel[labelNamespace]
	if hasNS {
		set(sd, "namespaces", mapping("names", flow(strs(ns))))
	}
	job := mapping(
		"job_name", str(name),
		"scrape_interval", str(promDuration(g.p.ScrapeInterval)),
		"metrics_path", str(m.MetricsPath()),
		"kubernetes_sd_configs", seq(sd),
		"relabel_configs", relabel,
	)
	head := fmt.Sprintf("%s %s (%s): pods exposing port %d", m.Engine(), m.Catalog.Version.Short(), m.Name, m.MetricsPort())
	switch {
	case hasNS:
		head += " in namespace " + ns
	default:
		head += " in every namespace (the selector names none)"
	}
	if len(m.Spec.PodLabels) > 0 {
		head += ", with the model's podLabels"
	}
	head += "."
	if len(copied) > 0 {
		head += fmt.Sprintf("\nAssumed to be pod labels, kept and copied onto the series: %v.", copied)
	}
	if !hasNS && len(m.Spec.PodLabels) == 0 && len(copied) == 0 {
		head += "\nNothing narrows these targets to the model: set selector.namespace or podLabels."
	}
	for _, n := range notes {
		head += "\nNote: " + n + "."
	}
	return comment(job, head), nil
}

// dcgmJob scrapes every DCGM exporter pod. honor_labels keeps the
// exporter's own pod, namespace and container labels (the GPU's workload,
// what the pod-to-GPU join needs) instead of renaming them exported_*;
// the job adds no Kubernetes target labels, so nothing clashes.
func (g *gen) dcgmJob() *yaml.Node {
	job := mapping(
		"job_name", str(DCGMJob),
		"scrape_interval", str(promDuration(g.p.ScrapeInterval)),
		"metrics_path", str(library.DCGMMetricsPath),
		"honor_labels", boolean(true),
		"kubernetes_sd_configs", seq(mapping("role", str("pod"))),
		"relabel_configs", seq(
			flow(mapping("source_labels", flow(strs(metaPodPhase)), "regex", str("Succeeded|Failed"), "action", str("drop"))),
			flow(mapping("source_labels", flow(strs(metaContainerPort)), "regex", str(strconv.Itoa(library.DCGMDefaultPort)), "action", str("keep"))),
		),
	)
	pod, ns, ctr := library.DCGMWorkloadLabels(true)
	return comment(job, fmt.Sprintf(`DCGM exporter pods (port %d) in every namespace. GPU series keep the
exporter's %s, %s and %s labels (the GPU's workload) as exposed.`, library.DCGMDefaultPort, pod, ns, ctr))
}
