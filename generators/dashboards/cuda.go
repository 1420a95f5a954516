package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/grafana/grafana-foundation-sdk/go/units"
	pmodel "github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
)

// ncclNote opens every description of this dashboard.
const ncclNote = "NCCL has no Prometheus exporter (its profiler plugins write JSON, not metrics), so collectives are read through proxies. "

// cudaCollectives: proxies for NCCL and the CUDA runtime.
func cudaCollectives(c *ctx, b *dashboard.DashboardBuilder) {
	b.WithVariable(nodeVariable()).WithVariable(gpuVariable()).WithVariable(c.modelVariable())
	addRow(b, "Collectives: bandwidth-bound or stalled", false,
		size(12, 9, nvlinkVsSMTimeseries()),
		size(12, 9, c.tensorIdleWhileServingTimeseries()))
	balance := []cog.Builder[dashboard.Panel]{size(24, 8, c.tensorImbalanceTimeseries())}
	for _, m := range c.p.Models {
		if p, ok := tensorPerGPUTimeseries(m); ok {
			balance = append(balance, size(12, 8, p))
		}
	}
	addRow(b, "Balance of tensor activity across each model's GPUs", false, balance...)
}

func nvlinkVsSMTimeseries() *timeseries.PanelBuilder {
	nv, sm := dcgmField(library.GPUNVLinkBandwidth), dcgmField(library.GPUSMActive)
	return timeseriesPanel("NVLink traffic against SM activity", ncclNote+"Tensor-parallel layers end in an all-reduce over NVLink. Saturated NVLink (traffic flat at the link's ceiling) with SMs mostly idle means the GPUs wait on the collective: the model is bandwidth-bound on its all-reduce (fewer tensor-parallel ranks, or faster links, help). NVLink traffic on the left axis, SM active on the right."+profileNote(sm),
		units.MebibytesPerSecond,
		query(perGPU(dcgm(nv)), gpuLegend("NVLink")),
		query(perGPU(dcgm(sm)), gpuLegend("SM active"))).
		OverrideByQuery(refID(1), rightAxis(units.PercentUnit))
}

func (c *ctx) tensorIdleWhileServingTimeseries() *timeseries.PanelBuilder {
	idle := promql.Sub(promql.Num(1), c.recModels(library.RecTensorActive))
	serving := promql.Gt(c.recModels(library.RecRequestsRunning), promql.Num(0))
	e := promql.And(idle, serving, promql.Matching{On: true, Labels: []string{library.LabelModel}})
	return timeseriesPanel("Tensor cores idle while requests run", ncclNote+fmt.Sprintf("Share of tensor-pipe cycles idle on each model's GPUs, shown only while the engine reports requests running. Work is in flight but the tensor cores do not see it: a stalled collective (one rank waiting for its peers), a CPU-bound step before the GPU (tokenisation, scheduling, sampling in Python) or a host-device copy. Above the dashed line (%s%% idle) with more than %d requests running for %s, the diagnostic alert fires: compare SM activity and PCIe traffic on the GPU dashboard and the imbalance below.", promql.FormatNumber((1-library.TensorIdle)*100), library.RunningUnderLoad, pmodel.Duration(library.TensorIdleFor)),
		units.PercentUnit,
		query(e, "{{model}} tensor idle while serving")).
		Min(0).Max(1).
		Thresholds(thresholds(base("green"), at(1-library.TensorIdle, "orange"))).
		ThresholdsStyle(thresholdLines())
}

// tensorPerGPU is the tensor activity of each GPU that one of m's pods
// holds, with pod and namespace taken from DCGM's workload labels.
func tensorPerGPU(m *plan.Model) (promql.Expr, bool) {
	pods, ok := modelPods(m)
	if !ok {
		return nil, false
	}
	pod, ns, _ := library.DCGMWorkloadLabels(true)
	f := dcgmField(library.GPUTensorActive)
	perPodGPU := promql.Max(podNormalized(promql.Sel(f.Name)), append([]string{ns, pod}, gpuKeys()...)...)
	return promql.And(perPodGPU, pods, promql.Matching{On: true, Labels: []string{ns, pod}}), true
}

// imbalance is stddev/avg of e (by the given labels), without a result
// where the average is zero.
func imbalance(e promql.Expr, by ...string) promql.Expr {
	return promql.Div(aggregate(parser.STDDEV, e, by...), promql.Gt(promql.Avg(e, by...), promql.Num(0)))
}

func (c *ctx) tensorImbalanceTimeseries() *timeseries.PanelBuilder {
	var qs []*prometheus.DataqueryBuilder
	pod, ns, _ := library.DCGMWorkloadLabels(true)
	for _, m := range c.p.Models {
		e, ok := tensorPerGPU(m)
		if !ok {
			continue
		}
		qs = append(qs, query(imbalance(e), m.Name+" across all its GPUs"))
		if m.Spec.GPUsPerReplica > 1 {
			qs = append(qs, query(promql.Max(imbalance(e, ns, pod)), m.Name+" worst pod (tensor-parallel ranks)"))
		}
	}
	return timeseriesPanel("Imbalance of tensor activity (stddev / avg)", ncclNote+"Coefficient of variation of tensor-pipe activity over a model's GPUs (GPUs mapped to the model through DCGM's pod labels and the model's own engine series, so the engine scrape must carry pod and namespace). Within one pod, tensor-parallel ranks run the same kernels and should be near equal: one rank far below the others is waiting in send/recv or an all-reduce (a slow GPU, link or pipeline stage). Across pods the spread also reflects how evenly the load balancer spreads requests.",
		units.PercentUnit, qs...).
		Min(0).
		Thresholds(thresholds(base("green"), at(0.25, "orange"), at(0.5, "red"))).
		ThresholdsStyle(thresholdLines())
}

func tensorPerGPUTimeseries(m *plan.Model) (*timeseries.PanelBuilder, bool) {
	e, ok := tensorPerGPU(m)
	if !ok {
		return nil, false
	}
	pod, _, _ := library.DCGMWorkloadLabels(true)
	return timeseriesPanel("Tensor activity per GPU · "+m.Name, fmt.Sprintf(ncclNote+"Tensor-pipe activity of every GPU that a pod of %s (%s) holds, one line per pod and GPU. Lines of one pod should move together; a GPU that lags its peers under the same load is the one the collective waits for.", m.Name, engineLabel(m)),
		units.PercentUnit,
		query(e, fmt.Sprintf("%s {{%s}} gpu {{%s}}", m.Name, pod, library.DCGMLabelGPU))).
		Min(0).Max(1), true
}
