package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/grafana/grafana-foundation-sdk/go/units"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
)

// containerOS: the GPU pods, then per model its pods' CPU, memory,
// throttling, restarts and OOM kills.
func containerOS(c *ctx, b *dashboard.DashboardBuilder) {
	addRow(b, "GPU allocation", false, size(24, 9, podGPUTable()))
	for _, m := range c.p.Models {
		if _, ok := modelPods(m); !ok {
			continue
		}
		addRow(b, fmt.Sprintf("Pods of %s (%s)", m.Name, engineLabel(m)), false,
			size(8, 8, podCPUTimeseries(m)),
			size(8, 8, podCPUThrottlingTimeseries(m)),
			size(8, 8, podMemoryTimeseries(m)),
			size(8, 8, podRestartsTimeseries(m)),
			size(8, 8, podOOMTimeseries(m)),
			size(8, 8, podWaitingTimeseries(m)))
	}
}

// kube-state-metrics label names.
const (
	ksmLabelResource = "resource"
	ksmLabelUnit     = "unit"
	ksmLabelNode     = "node"
	ksmLabelReason   = "reason"
)

func kubeMetric(r library.KubeRole) library.KubeMetric {
	k, ok := library.KubeByRole(r)
	if !ok {
		panic("dashboards: no platform metric for role " + string(r))
	}
	return k
}

// runningFamily is a gauge every replica of m exposes: requests running
// (vLLM), batch size (TGI), else the queue depth.
func runningFamily(m *plan.Model) (library.Metric, bool) {
	for _, r := range []library.Role{library.RoleRequestsRunning, library.RoleBatchSize, library.RoleRequestsWaiting} {
		if f, ok := m.Metric(r); ok {
			return f, true
		}
	}
	return library.Metric{}, false
}

// modelPods is one series per (namespace, pod) serving m, read from the
// model's own engine series (the scrape must carry pod and namespace, as
// ServiceMonitor and PodMonitor targets do). The grouping also drops the
// data-parallel label.
func modelPods(m *plan.Model) (promql.Expr, bool) {
	f, ok := runningFamily(m)
	if !ok {
		return nil, false
	}
	pod, ns, _ := library.DCGMWorkloadLabels(true)
	return aggregate(parser.GROUP, m.Select(f.Name), ns, pod), true
}

// ofModel keeps the series of e whose pod serves m.
func ofModel(e promql.Expr, m *plan.Model) promql.Expr {
	pods, _ := modelPods(m)
	pod, ns, _ := library.DCGMWorkloadLabels(true)
	return promql.And(e, pods, promql.Matching{On: true, Labels: []string{ns, pod}})
}

// podNormalized copies DCGM's workload labels from their exported_ names
// (a ServiceMonitor that does not honour labels renames pod, namespace and
// container that clash with its own target labels) to the plain names.
func podNormalized(e promql.Expr) promql.Expr {
	pod, ns, ctr := library.DCGMWorkloadLabels(true)
	xpod, xns, xctr := library.DCGMWorkloadLabels(false)
	for _, l := range [][2]string{{pod, xpod}, {ns, xns}, {ctr, xctr}} {
		e = promql.Call("label_replace", e, promql.Str(l[0]), promql.Str("$1"), promql.Str(l[1]), promql.Str("(.+)"))
	}
	return e
}

// containers selects a cAdvisor family for real containers (not the
// pod-level cgroup nor the pause container).
func containers(k library.KubeMetric, extra ...*labels.Matcher) *parser.VectorSelector {
	_, _, ctr := library.DCGMWorkloadLabels(true)
	return promql.Sel(k.Name, append([]*labels.Matcher{promql.Neq(ctr, ""), promql.Neq(ctr, library.CAdvisorSandboxContainer)}, extra...)...)
}

func containerKeys() []string {
	pod, ns, ctr := library.DCGMWorkloadLabels(true)
	return []string{ns, pod, ctr}
}

func podLegend(m *plan.Model, what string) string {
	pod, _, ctr := library.DCGMWorkloadLabels(true)
	l := fmt.Sprintf("%s {{%s}}/{{%s}}", m.Name, pod, ctr)
	if what != "" {
		l += " " + what
	}
	return l
}

func podGPUTable() *table.PanelBuilder {
	fb := dcgmField(library.GPUFBUsed)
	req := kubeMetric(library.KubeResourceRequests)
	info := kubeMetric(library.KubePodInfo)
	pod, ns, ctr := library.DCGMWorkloadLabels(true)
	keys := append([]string{ns, pod, ctr, library.DCGMLabelUUID, library.DCGMLabelModelName}, gpuKeys()...)
	gpuPods := promql.Gt(promql.Sel(req.Name,
		promql.Re(ksmLabelResource, quoteAlternation([]string{library.KubeGPUResource})+"|"+library.SanitizeName(library.KubeMIGResourcePrefix)+".+"),
		promql.Eq(ksmLabelUnit, library.KubeUnitInteger)), promql.Num(0))
	e := promql.Mul(
		promql.And(promql.Max(podNormalized(promql.Sel(fb.Name)), keys...), gpuPods, promql.Matching{On: true, Labels: []string{ns, pod}}),
		promql.Sel(info.Name),
		promql.Matching{On: true, Labels: []string{ns, pod}, GroupLeft: []string{ksmLabelNode}})
	return tablePanel("Pod to GPU mapping", fmt.Sprintf("Which pod holds which GPU (and MIG instance), with the node from %s and the framebuffer the pod uses. DCGM's pod, namespace and container labels arrive as exported_pod, exported_namespace and exported_container behind a ServiceMonitor that does not honour labels; label_replace copies them back, so both setups work. Only pods that request GPUs (%s with resource %s or a MIG slice) are listed, which also hides the exporter's own pod. A GPU missing here is idle or held outside Kubernetes.", info.Name, req.Name, library.KubeGPUResource),
		units.Mebibytes,
		map[string]string{"Value": "framebuffer used"},
		nil,
		instant(e, "{{"+pod+"}} gpu {{"+library.DCGMLabelGPU+"}}"))
}

func podCPUTimeseries(m *plan.Model) *timeseries.PanelBuilder {
	k := kubeMetric(library.KubeCPUUsage)
	e := ofModel(promql.Sum(promql.Rate(containers(k), rateInterval), containerKeys()...), m)
	return timeseriesPanel("CPU · "+m.Name, fmt.Sprintf("CPU cores used by each container of %s's pods (%s). The model server's CPU side tokenises, schedules and streams; a container pinned at its CPU limit delays every step and shows as tensor cores idle while requests run.", m.Name, k.Name),
		units.Short,
		query(e, podLegend(m, "")))
}

func podCPUThrottlingTimeseries(m *plan.Model) *timeseries.PanelBuilder {
	thr, per := kubeMetric(library.KubeCPUThrottled), kubeMetric(library.KubeCPUPeriods)
	keys := containerKeys()
	e := ofModel(promql.Div(
		promql.Sum(promql.Rate(containers(thr), rateInterval), keys...),
		promql.Gt(promql.Sum(promql.Rate(containers(per), rateInterval), keys...), promql.Num(0))), m)
	return timeseriesPanel("CPU throttling · "+m.Name, fmt.Sprintf("Share of CFS periods in which %s's containers hit their CPU limit. Above a few percent the engine's CPU work (tokenisation, scheduling, detokenisation) waits on the quota: raise the CPU limit or drop it.", m.Name),
		units.PercentUnit,
		query(e, podLegend(m, ""))).
		Min(0)
}

func podMemoryTimeseries(m *plan.Model) *timeseries.PanelBuilder {
	ws, lim := kubeMetric(library.KubeMemoryWorkingSet), kubeMetric(library.KubeMemoryLimit)
	keys := containerKeys()
	return timeseriesPanel("Memory working set and limit · "+m.Name, fmt.Sprintf("Working set (what the kernel compares with the limit before an OOM kill) against the memory limit of %s's containers. Host memory grows with CPU offload, the tokenizer and request buffers; a working set approaching the limit ends in an OOM kill and a restart that drops every in-flight stream.", m.Name),
		units.BytesIEC,
		query(ofModel(promql.Sum(containers(ws), keys...), m), podLegend(m, "working set")),
		query(ofModel(promql.Sum(promql.Gt(containers(lim), promql.Num(0)), keys...), m), podLegend(m, "limit")))
}

func podRestartsTimeseries(m *plan.Model) *timeseries.PanelBuilder {
	k := kubeMetric(library.KubeRestarts)
	e := ofModel(promql.Sum(promql.Increase(promql.Sel(k.Name), rateInterval), containerKeys()...), m)
	return timeseriesPanel("Container restarts · "+m.Name, fmt.Sprintf("Restarts of %s's containers per interval (%s). Each restart of a model server drops its in-flight requests and reloads the weights for minutes; check the OOM panel and the container's last termination reason.", m.Name, k.Name),
		units.Short,
		query(e, podLegend(m, ""))).
		DrawStyle(common.GraphDrawStyleBars)
}

func podOOMTimeseries(m *plan.Model) *timeseries.PanelBuilder {
	oom, last := kubeMetric(library.KubeOOMEvents), kubeMetric(library.KubeLastTerminatedReason)
	keys := containerKeys()
	return timeseriesPanel("OOM kills · "+m.Name, fmt.Sprintf("OOM kills inside %s's containers per interval (cAdvisor %s), and 1 where the container's previous termination was %s (kube-state-metrics). Raise the memory limit or reduce host-side buffers (CPU KV offload, max concurrent requests).", m.Name, oom.Name, library.KubeReasonOOMKilled),
		units.Short,
		query(ofModel(promql.Sum(promql.Increase(containers(oom), rateInterval), keys...), m), podLegend(m, "OOM kills")),
		query(ofModel(promql.Max(promql.Sel(last.Name, promql.Eq(ksmLabelReason, library.KubeReasonOOMKilled)), keys...), m), podLegend(m, "last termination OOMKilled"))).
		DrawStyle(common.GraphDrawStyleBars)
}

func podWaitingTimeseries(m *plan.Model) *timeseries.PanelBuilder {
	k := kubeMetric(library.KubeWaitingReason)
	e := ofModel(promql.Max(promql.Sel(k.Name), append(containerKeys(), ksmLabelReason)...), m)
	return timeseriesPanel("Containers waiting · "+m.Name, fmt.Sprintf("Containers of %s that are not running, by reason (%s): CrashLoopBackOff after repeated crashes, ImagePullBackOff, ContainerCreating while a GPU or volume attaches. A replica stuck here is capacity you pay for and do not serve with.", m.Name, k.Name),
		units.Short,
		query(e, podLegend(m, "{{"+ksmLabelReason+"}}")))
}
