// Package operatorcfg turns a PodMonitor or ServiceMonitor into the
// Prometheus scrape job the Prometheus Operator generates for it, so tests
// can run a monitor's selection and relabelling on discovered pods with
// Prometheus's own relabel code and check its config with Prometheus's own
// parser.
//
// It follows pkg/prometheus/promcfg.go of prometheus-operator v0.93.0
// (generatePodMonitorConfig, generateServiceMonitorConfig,
// generateRunningFilter, initRelabelings, generateRelabelConfig,
// getNamespacesFromNamespaceSelector), for a Prometheus with one shard,
// no scrape class, no enforced namespace label and no podTargetLabels of
// its own. It covers the fields inferobs sets and refuses an object that
// sets any other, so it cannot silently differ from the operator.
package operatorcfg

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"go.yaml.in/yaml/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Scrape is the job generated for one endpoint of a monitor.
type Scrape struct {
	// Role and Namespaces are the job's kubernetes_sd_configs (kept apart:
	// parsing them would need Prometheus's Kubernetes discovery and
	// client-go).
	Role       string
	Namespaces []string
	// YAML is the rest of the job as the operator writes it; Config is
	// that text parsed by Prometheus's config parser and validated against
	// the default global config.
	YAML   string
	Config *config.ScrapeConfig
}

type item = yaml.MapItem
type rule = yaml.MapSlice

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func relabelings(rc []monitoringv1.RelabelConfig) []rule {
	var out []rule
	for _, c := range rc {
		r := rule{}
		if len(c.SourceLabels) > 0 {
			r = append(r, item{Key: "source_labels", Value: c.SourceLabels})
		}
		if c.Separator != nil {
			r = append(r, item{Key: "separator", Value: *c.Separator})
		}
		if c.TargetLabel != "" {
			r = append(r, item{Key: "target_label", Value: c.TargetLabel})
		}
		if c.Regex != "" {
			r = append(r, item{Key: "regex", Value: c.Regex})
		}
		if c.Modulus != 0 {
			r = append(r, item{Key: "modulus", Value: c.Modulus})
		}
		if c.Replacement != nil {
			r = append(r, item{Key: "replacement", Value: *c.Replacement})
		}
		if c.Action != "" {
			r = append(r, item{Key: "action", Value: strings.ToLower(c.Action)})
		}
		out = append(out, r)
	}
	return out
}

func namespaces(sel monitoringv1.NamespaceSelector, own string) []string {
	switch {
	case sel.Any:
		return nil
	case len(sel.MatchNames) == 0:
		return []string{own}
	}
	return slices.Clone(sel.MatchNames)
}

// selectorRules are the keep rules of a label selector on discovered
// labels with the given prefix (pod or service), in key order.
func selectorRules(sel metav1.LabelSelector, prefix string) ([]rule, error) {
	if len(sel.MatchExpressions) > 0 {
		return nil, fmt.Errorf("operatorcfg: matchExpressions are not covered")
	}
	var rs []rule
	for _, k := range slices.Sorted(maps.Keys(sel.MatchLabels)) {
		rs = append(rs, rule{
			{Key: "action", Value: "keep"},
			{Key: "source_labels", Value: []string{"__meta_kubernetes_" + prefix + "_label_" + sanitize(k), "__meta_kubernetes_" + prefix + "_labelpresent_" + sanitize(k)}},
			{Key: "regex", Value: fmt.Sprintf("(%s);true", sel.MatchLabels[k])},
		})
	}
	return rs, nil
}

func runningFilter() rule {
	return rule{{Key: "action", Value: "drop"}, {Key: "source_labels", Value: []string{"__meta_kubernetes_pod_phase"}}, {Key: "regex", Value: "(Failed|Succeeded)"}}
}

func copyRule(source, target string) rule {
	return rule{{Key: "source_labels", Value: []string{source}}, {Key: "target_label", Value: target}}
}

func targetLabelRule(source, target string) rule {
	return rule{{Key: "source_labels", Value: []string{source}}, {Key: "target_label", Value: target}, {Key: "regex", Value: "(.+)"}, {Key: "replacement", Value: "${1}"}}
}

// onlyCovered fails when v sets a field other than the covered ones.
func onlyCovered(what string, v any, covered ...string) error {
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		if slices.Contains(covered, f.Name) || rv.Field(i).IsZero() {
			continue
		}
		return fmt.Errorf("operatorcfg: %s sets %s, which this translation does not cover", what, f.Name)
	}
	return nil
}

func endpointCommon(job string, honor bool, interval monitoringv1.Duration, path string, scheme *monitoringv1.Scheme) yaml.MapSlice {
	cfg := yaml.MapSlice{{Key: "job_name", Value: job}, {Key: "honor_labels", Value: honor}}
	if interval != "" {
		cfg = append(cfg, item{Key: "scrape_interval", Value: string(interval)})
	}
	if path != "" {
		cfg = append(cfg, item{Key: "metrics_path", Value: path})
	}
	if scheme != nil {
		cfg = append(cfg, item{Key: "scheme", Value: scheme.String()})
	}
	return cfg
}

func parse(role string, ns []string, cfg yaml.MapSlice) (Scrape, error) {
	text, err := yaml.Marshal(cfg)
	if err != nil {
		return Scrape{}, err
	}
	var sc config.ScrapeConfig
	if err := yaml.UnmarshalStrict(text, &sc); err != nil {
		return Scrape{}, fmt.Errorf("operatorcfg: Prometheus refuses the generated job: %w\n%s", err, text)
	}
	if err := sc.Validate(config.DefaultGlobalConfig); err != nil {
		return Scrape{}, fmt.Errorf("operatorcfg: Prometheus refuses the generated job: %w\n%s", err, text)
	}
	// Prometheus 2, which the operator may run, knows only legacy names.
	for _, rc := range sc.RelabelConfigs {
		if err := rc.Validate(model.LegacyValidation); err != nil {
			return Scrape{}, fmt.Errorf("operatorcfg: Prometheus 2 refuses the generated job: %w\n%s", err, text)
		}
	}
	return Scrape{Role: role, Namespaces: ns, YAML: string(text), Config: &sc}, nil
}

// PodMonitor returns the operator's job for each endpoint of m.
func PodMonitor(m *monitoringv1.PodMonitor) ([]Scrape, error) {
	if err := onlyCovered("PodMonitor spec", m.Spec, "Selector", "NamespaceSelector", "PodTargetLabels", "PodMetricsEndpoints", "JobLabel"); err != nil {
		return nil, err
	}
	var out []Scrape
	for i, ep := range m.Spec.PodMetricsEndpoints {
		if err := onlyCovered("PodMonitor endpoint", ep, "Port", "PortNumber", "Path", "Scheme", "Interval", "HonorLabels", "RelabelConfigs", "FilterRunning"); err != nil {
			return nil, err
		}
		cfg := endpointCommon(fmt.Sprintf("podMonitor/%s/%s/%d", m.Namespace, m.Name, i), ep.HonorLabels, ep.Interval, ep.Path, ep.Scheme)
		rs := []rule{copyRule("job", "__tmp_prometheus_job_name")}
		if ep.FilterRunning == nil || *ep.FilterRunning {
			rs = append(rs, runningFilter())
		}
		sel, err := selectorRules(m.Spec.Selector, "pod")
		if err != nil {
			return nil, err
		}
		rs = append(rs, sel...)
		switch {
		case ep.Port != nil && *ep.Port != "":
			rs = append(rs, rule{{Key: "action", Value: "keep"}, {Key: "source_labels", Value: []string{"__meta_kubernetes_pod_container_port_name"}}, {Key: "regex", Value: *ep.Port}})
		case ep.PortNumber != nil && *ep.PortNumber != 0:
			rs = append(rs, rule{{Key: "action", Value: "keep"}, {Key: "source_labels", Value: []string{"__meta_kubernetes_pod_container_port_number"}}, {Key: "regex", Value: fmt.Sprint(*ep.PortNumber)}})
		}
		rs = append(rs,
			copyRule("__meta_kubernetes_namespace", "namespace"),
			copyRule("__meta_kubernetes_pod_container_name", "container"),
			copyRule("__meta_kubernetes_pod_name", "pod"))
		for _, l := range m.Spec.PodTargetLabels {
			rs = append(rs, targetLabelRule("__meta_kubernetes_pod_label_"+sanitize(l), sanitize(l)))
		}
		rs = append(rs, rule{{Key: "target_label", Value: "job"}, {Key: "replacement", Value: m.Namespace + "/" + m.Name}})
		if m.Spec.JobLabel != "" {
			rs = append(rs, targetLabelRule("__meta_kubernetes_pod_label_"+sanitize(m.Spec.JobLabel), "job"))
		}
		if ep.Port != nil && *ep.Port != "" {
			rs = append(rs, rule{{Key: "target_label", Value: "endpoint"}, {Key: "replacement", Value: *ep.Port}})
		}
		rs = append(rs, relabelings(ep.RelabelConfigs)...)
		cfg = append(cfg, item{Key: "relabel_configs", Value: rs})
		s, err := parse("pod", namespaces(m.Spec.NamespaceSelector, m.Namespace), cfg)
		if err != nil {
			return nil, fmt.Errorf("PodMonitor %s/%s: %w", m.Namespace, m.Name, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// ServiceMonitor returns the operator's job for each endpoint of m, for
// the endpoints discovery role (the operator's default).
func ServiceMonitor(m *monitoringv1.ServiceMonitor) ([]Scrape, error) {
	if err := onlyCovered("ServiceMonitor spec", m.Spec, "Selector", "NamespaceSelector", "PodTargetLabels", "Endpoints", "JobLabel"); err != nil {
		return nil, err
	}
	var out []Scrape
	for i, ep := range m.Spec.Endpoints {
		if err := onlyCovered("ServiceMonitor endpoint", ep, "Port", "Path", "Scheme", "Interval", "HonorLabels", "RelabelConfigs", "FilterRunning"); err != nil {
			return nil, err
		}
		cfg := endpointCommon(fmt.Sprintf("serviceMonitor/%s/%s/%d", m.Namespace, m.Name, i), ep.HonorLabels, ep.Interval, ep.Path, ep.Scheme)
		rs := []rule{copyRule("job", "__tmp_prometheus_job_name")}
		sel, err := selectorRules(m.Spec.Selector, "service")
		if err != nil {
			return nil, err
		}
		rs = append(rs, sel...)
		if ep.Port != "" {
			rs = append(rs, rule{{Key: "action", Value: "keep"}, {Key: "source_labels", Value: []string{"__meta_kubernetes_endpoint_port_name"}}, {Key: "regex", Value: ep.Port}})
		}
		kind := []string{"__meta_kubernetes_endpoint_address_target_kind", "__meta_kubernetes_endpoint_address_target_name"}
		rs = append(rs,
			rule{{Key: "source_labels", Value: kind}, {Key: "separator", Value: ";"}, {Key: "regex", Value: "Node;(.*)"}, {Key: "replacement", Value: "${1}"}, {Key: "target_label", Value: "node"}},
			rule{{Key: "source_labels", Value: kind}, {Key: "separator", Value: ";"}, {Key: "regex", Value: "Pod;(.*)"}, {Key: "replacement", Value: "${1}"}, {Key: "target_label", Value: "pod"}},
			copyRule("__meta_kubernetes_namespace", "namespace"),
			copyRule("__meta_kubernetes_service_name", "service"),
			copyRule("__meta_kubernetes_pod_name", "pod"),
			copyRule("__meta_kubernetes_pod_container_name", "container"))
		if ep.FilterRunning == nil || *ep.FilterRunning {
			rs = append(rs, runningFilter())
		}
		for _, l := range m.Spec.PodTargetLabels {
			rs = append(rs, targetLabelRule("__meta_kubernetes_pod_label_"+sanitize(l), sanitize(l)))
		}
		rs = append(rs, rule{{Key: "source_labels", Value: []string{"__meta_kubernetes_service_name"}}, {Key: "target_label", Value: "job"}, {Key: "replacement", Value: "${1}"}})
		if m.Spec.JobLabel != "" {
			rs = append(rs, targetLabelRule("__meta_kubernetes_service_label_"+sanitize(m.Spec.JobLabel), "job"))
		}
		if ep.Port != "" {
			rs = append(rs, rule{{Key: "target_label", Value: "endpoint"}, {Key: "replacement", Value: ep.Port}})
		}
		rs = append(rs, relabelings(ep.RelabelConfigs)...)
		cfg = append(cfg, item{Key: "relabel_configs", Value: rs})
		s, err := parse("endpoints", namespaces(m.Spec.NamespaceSelector, m.Namespace), cfg)
		if err != nil {
			return nil, fmt.Errorf("ServiceMonitor %s/%s: %w", m.Namespace, m.Name, err)
		}
		out = append(out, s)
	}
	return out, nil
}
