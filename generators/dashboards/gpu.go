package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/grafana/grafana-foundation-sdk/go/units"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
)

// gpuSilicon: DCGM fields per GPU, filtered by node and GPU.
func gpuSilicon(c *ctx, b *dashboard.DashboardBuilder) {
	b.WithVariable(nodeVariable()).WithVariable(gpuVariable()).WithVariable(c.modelVariable())
	addRow(b, "Compute: tensor cores, SMs, memory interface", false,
		size(12, 8, tensorActiveTimeseries()),
		size(12, 8, smActivityTimeseries()),
		size(12, 8, dramActiveTimeseries()),
		size(12, 8, clockThrottlingTimeseries()))
	memory := []cog.Builder[dashboard.Panel]{size(12, 8, framebufferTimeseries())}
	if kv, ok := c.kvCacheByModelTimeseries(); ok {
		memory = append(memory, size(12, 8, kv))
	}
	addRow(b, "Memory: framebuffer and the KV cache in it", false, memory...)
	addRow(b, "Power, thermals and clocks", false,
		size(8, 8, powerTimeseries()),
		size(8, 8, temperatureTimeseries()),
		size(8, 8, clocksTimeseries()))
	addRow(b, "Interconnect: PCIe and NVLink", false,
		size(12, 8, pcieTimeseries()),
		size(12, 8, nvlinkTimeseries()))
	addRow(b, "Errors: XID and row remapping", false,
		size(12, 8, xidTimeseries()),
		size(12, 8, gpuHealthTable()))
}

// dcgmField returns the DCGM field of a role; every role used here is in
// the library, so a miss is a bug.
func dcgmField(r library.GPURole) library.DCGMField {
	f, ok := library.DCGMByRole(r)
	if !ok {
		panic("dashboards: no DCGM field for role " + string(r))
	}
	return f
}

// gpuKeys are the labels that tell GPUs and MIG instances apart: both
// spellings of the node label, the device index and the MIG instance.
func gpuKeys() []string {
	return append(library.DCGMHostnameLabels(), library.DCGMLabelGPU, library.DCGMLabelMIGProfile, library.DCGMLabelMIGID)
}

// gpuLegend names a GPU by node and index, and its MIG instance when the
// series is one (the MIG labels are empty otherwise).
func gpuLegend(what string) string {
	var node strings.Builder
	for _, h := range library.DCGMHostnameLabels() {
		node.WriteString("{{" + h + "}}")
	}
	l := fmt.Sprintf("%s gpu {{%s}} {{%s}} {{%s}}", node.String(), library.DCGMLabelGPU, library.DCGMLabelMIGProfile, library.DCGMLabelMIGID)
	if what != "" {
		l = what + " " + l
	}
	return l
}

// dcgm selects a field on the GPUs picked in the node and gpu variables.
// dcgm-exporter names the node label Hostname up to 4.5.3-4.8.2 and
// hostname after d5e5f51, so the selection is the union of both spellings
// (a series carries one or the other, never both).
func dcgm(f library.DCGMField) promql.Expr {
	return dcgmEach(f, func(s *parser.VectorSelector) promql.Expr { return s })
}

// dcgmEach applies fn (a rate, say) to the selector of each node-label
// spelling and joins the results with or.
func dcgmEach(f library.DCGMField, fn func(*parser.VectorSelector) promql.Expr) promql.Expr {
	var e promql.Expr
	for _, h := range library.DCGMHostnameLabels() {
		s := fn(promql.Sel(f.Name, varMatch(h, nodeVar), varMatch(library.DCGMLabelGPU, gpuVar)))
		if e == nil {
			e = s
			continue
		}
		e = promql.Or(e, s)
	}
	return e
}

// perGPU keeps one series per GPU (or MIG instance), dropping the pod,
// driver and exporter labels that would split or rename it.
func perGPU(e promql.Expr) promql.Expr { return promql.Max(e, gpuKeys()...) }

// profileNote says whether the stock exporter collects a field.
func profileNote(f library.DCGMField) string {
	switch {
	case f.DefaultEnabled:
		return ""
	case f.Steady:
		return fmt.Sprintf(" %s is off in dcgm-exporter's stock counters file (default-counters.csv); inferobs's steady DCGM profile enables it, so deploy that profile or this series stays empty.", f.Name)
	default:
		return fmt.Sprintf(" %s is in neither the stock counters file nor inferobs's steady profile.", f.Name)
	}
}

func nodeVariable() *dashboard.QueryVariableBuilder {
	f := dcgmField(library.GPUTemp)
	hosts := library.DCGMHostnameLabels()
	q := "query_result(" + exprText(promql.Count(promql.Sel(f.Name), hosts...)) + ")"
	return queryVariable(nodeVar, "Node", q, `/(?:`+quoteAlternation(hosts)+`)="([^"]+)"/`,
		fmt.Sprintf("GPU nodes reporting %s. dcgm-exporter labels the node %s on every release up to 4.5.3-4.8.2 and %s from commit d5e5f51 on; label_values can read only one label, so the variable reads query_result over both and the regex takes either, and every panel selects both spellings joined with or.", f.Name, hosts[0], hosts[1]))
}

func gpuVariable() *dashboard.QueryVariableBuilder {
	f := dcgmField(library.GPUTemp)
	var onNodes promql.Expr
	for _, h := range library.DCGMHostnameLabels() {
		s := promql.Sel(f.Name, varMatch(h, nodeVar))
		if onNodes == nil {
			onNodes = s
			continue
		}
		onNodes = promql.Or(onNodes, s)
	}
	q := "query_result(" + exprText(promql.Count(onNodes, library.DCGMLabelGPU)) + ")"
	return queryVariable(gpuVar, "GPU", q, `/`+library.DCGMLabelGPU+`="([^"]+)"/`,
		"GPU device indices on the selected nodes (MIG instances of one GPU share its index; legends add GPU_I_PROFILE and GPU_I_ID).")
}

func tensorActiveTimeseries() *timeseries.PanelBuilder {
	f := dcgmField(library.GPUTensorActive)
	return timeseriesPanel("Tensor pipe active", f.Help+" The real utilisation signal for LLM inference, unlike "+dcgmField(library.GPUUtil).Name+", which reads 100% whenever any kernel runs. Prefill drives it high; decode is memory-bound and keeps it lower. Low tensor activity while the engine reports running requests means a stall outside the tensor cores (host, scheduler or a collective): see the CUDA dashboard."+profileNote(f),
		units.PercentUnit,
		query(perGPU(dcgm(f)), gpuLegend(""))).
		Min(0).Max(1)
}

func smActivityTimeseries() *timeseries.PanelBuilder {
	act, occ := dcgmField(library.GPUSMActive), dcgmField(library.GPUSMOccupancy)
	return timeseriesPanel("SM active and SM occupancy", "SM active: "+act.Help+" SM occupancy: "+occ.Help+" SMs busy with the tensor pipe idle points at non-matmul kernels (attention, sampling, a precision fallback); SMs idle with requests waiting points at the host (tokenizer, scheduler, Python) or a stalled collective."+profileNote(act)+profileNote(occ),
		units.PercentUnit,
		query(perGPU(dcgm(act)), gpuLegend("active")),
		query(perGPU(dcgm(occ)), gpuLegend("occupancy"))).
		Min(0).Max(1)
}

func dramActiveTimeseries() *timeseries.PanelBuilder {
	f := dcgmField(library.GPUDRAMActive)
	return timeseriesPanel("DRAM active", f.Help+" Decode reads every weight and the whole KV cache per generated token, so decode-heavy traffic is memory-bound: DRAM activity near 1 with tensor activity low is expected there. Larger batches move the same weights for more tokens; a KV cache that fills first limits how far batching helps."+profileNote(f),
		units.PercentUnit,
		query(perGPU(dcgm(f)), gpuLegend(""))).
		Min(0).Max(1)
}

func clockThrottlingTimeseries() *timeseries.PanelBuilder {
	pw, th := dcgmField(library.GPUPowerViolation), dcgmField(library.GPUThermalViolation)
	share := func(f library.DCGMField) promql.Expr {
		rate := dcgmEach(f, func(s *parser.VectorSelector) promql.Expr { return promql.Rate(s, rateInterval) })
		return promql.Div(perGPU(rate), promql.Num(1e9))
	}
	return timeseriesPanel("Clock throttling: time held by power and temperature", "Share of time the clocks were held down by the power limit and by temperature (violation counters in ns per second). Power capping at full tensor load is by design on H100-class GPUs; thermal time above a few percent means a cooling problem: compare temperatures and check the node's airflow before blaming the model server."+profileNote(pw)+profileNote(th),
		units.PercentUnit,
		query(share(pw), gpuLegend("power")),
		query(share(th), gpuLegend("thermal"))).
		Min(0)
}

func framebufferTimeseries() *timeseries.PanelBuilder {
	used, free := dcgmField(library.GPUFBUsed), dcgmField(library.GPUFBFree)
	return timeseriesPanel("Framebuffer used and free", used.Help+" "+free.Help+" The model server reserves most of it at start (vLLM takes gpu_memory_utilization of the framebuffer for weights and KV blocks), so used stays flat and high by design: what fills up is the KV cache inside it, next panel. Used growing on a GPU without a model server points at a leak or a stray process.",
		units.Mebibytes,
		query(perGPU(dcgm(used)), gpuLegend("used")),
		query(perGPU(dcgm(free)), gpuLegend("free")))
}

func (c *ctx) kvCacheByModelTimeseries() (*timeseries.PanelBuilder, bool) {
	var names []string
	for _, m := range c.p.Models {
		if _, ok := m.Metric(library.RoleKVCacheUsage); ok {
			names = append(names, m.Name)
		}
	}
	if len(names) == 0 {
		return nil, false
	}
	return timeseriesPanel("KV-cache usage by model", fmt.Sprintf("Highest KV-cache usage among each model's replicas (models with a KV-cache gauge: %s). The framebuffer looks full either way; this is the part that varies. At 100%% vLLM preempts requests and recomputes them later, which stretches latency: the engine dashboard overlays preemptions on it.", strings.Join(names, ", ")),
		units.PercentUnit,
		query(c.recModels(library.RecKVCacheUsage), "{{model}}")).
		Min(0).Max(1), true
}

func powerTimeseries() *timeseries.PanelBuilder {
	f := dcgmField(library.GPUPower)
	return timeseriesPanel("Power draw", f.Help+" A GPU at full tensor load sits at its power limit; one GPU drawing much less than its peers under the same load is throttled or idle (check clocks and the imbalance panel of the CUDA dashboard).",
		units.Watt,
		query(perGPU(dcgm(f)), gpuLegend("")))
}

func temperatureTimeseries() *timeseries.PanelBuilder {
	g, m := dcgmField(library.GPUTemp), dcgmField(library.GPUMemTemp)
	return timeseriesPanel("GPU and memory temperature", g.Help+" "+m.Help+" Throttling shows here before it shows in user latency: a GPU running hotter than its peers under the same load has a cooling problem.",
		units.Celsius,
		query(perGPU(dcgm(g)), gpuLegend("gpu")),
		query(perGPU(dcgm(m)), gpuLegend("memory")))
}

func clocksTimeseries() *timeseries.PanelBuilder {
	sm, mem := dcgmField(library.GPUSMClock), dcgmField(library.GPUMemClock)
	hz := func(f library.DCGMField) promql.Expr { return promql.Mul(perGPU(dcgm(f)), promql.Num(1e6)) }
	return timeseriesPanel("SM and memory clocks", sm.Help+" "+mem.Help+" A persistent SM clock drop under steady load is the first sign of power or thermal throttling: compare with the throttling panel.",
		units.Hertz,
		query(hz(sm), gpuLegend("SM")),
		query(hz(mem), gpuLegend("memory")))
}

func pcieTimeseries() *timeseries.PanelBuilder {
	tx, rx := dcgmField(library.GPUPCIeTx), dcgmField(library.GPUPCIeRx)
	return timeseriesPanel("PCIe traffic", tx.Help+" "+rx.Help+" Bursts while a model loads are expected; sustained traffic while serving means host-device copies on the hot path (CPU offload of weights or KV, large logits or embeddings returned).",
		units.BytesPerSecondIEC,
		query(perGPU(dcgm(tx)), gpuLegend("tx")),
		query(perGPU(dcgm(rx)), gpuLegend("rx")))
}

func nvlinkTimeseries() *timeseries.PanelBuilder {
	f := dcgmField(library.GPUNVLinkBandwidth)
	return timeseriesPanel("NVLink traffic", f.Help+" Read raw: DCGM publishes it as a rate although the counters file types it counter. Under tensor parallelism every layer ends in an all-reduce over NVLink, so traffic tracks load on all GPUs of a model; one GPU with much less traffic than its peers, or traffic with idle SMs, points at a collective problem (CUDA dashboard).",
		units.MebibytesPerSecond,
		query(perGPU(dcgm(f)), gpuLegend("")))
}

func xidTimeseries() *timeseries.PanelBuilder {
	f := dcgmField(library.GPUXIDErrors)
	return timeseriesPanel("Last XID error", f.Help+" Zero when none was seen. Look the code up in NVIDIA's XID catalogue: 79 (GPU fell off the bus), 48 and 94/95 (ECC errors) and 74 (NVLink error) need the node drained and the GPU reset or replaced.",
		units.Short,
		query(perGPU(dcgm(f)), gpuLegend("XID"))).
		Thresholds(thresholds(base("green"), at(1, "red"))).
		ThresholdsStyle(thresholdLines())
}

func gpuHealthTable() *table.PanelBuilder {
	xid := dcgmField(library.GPUXIDErrors)
	unc := dcgmField(library.GPURemappedRowsUncorrectable)
	cor := dcgmField(library.GPURemappedRowsCorrectable)
	fail := dcgmField(library.GPURowRemapFailure)
	return tablePanel("GPU health: XID and row remapping", fmt.Sprintf("Per GPU now: last XID code, rows remapped after uncorrectable and correctable memory errors, and whether a remap failed. %s %s Uncorrectable remaps take effect at the next GPU reset: drain the node and reset. A remap failure means the GPU needs replacing.", unc.Help, fail.Help),
		units.Short,
		map[string]string{"Value #A": "last XID", "Value #B": "uncorrectable remapped rows", "Value #C": "correctable remapped rows", "Value #D": "remap failed"},
		nil,
		instant(perGPU(dcgm(xid)), gpuLegend("")),
		instant(perGPU(dcgm(unc)), gpuLegend("")),
		instant(perGPU(dcgm(cor)), gpuLegend("")),
		instant(perGPU(dcgm(fail)), gpuLegend(""))).
		Thresholds(thresholds(base("green"), at(1, "red")))
}
