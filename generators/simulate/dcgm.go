package simulate

import (
	"fmt"
	"hash/fnv"
	"math"
	"strings"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
)

// GPUsPerNode is how many GPUs a simulated node holds (an HGX board).
const GPUsPerNode = 8

// hgxBusIDs are the PCI buses of an HGX H100 board's GPUs.
var hgxBusIDs = []int{0x18, 0x2a, 0x3a, 0x5d, 0x9a, 0xab, 0xba, 0xdb}

// gpuInfo is one simulated GPU: where it sits and whom it serves.
type gpuInfo struct {
	node    string
	index   int // on its node
	uuid    string
	busID   string
	model   *plan.Model
	replica int
	rank    int // among the replica's GPUs
	pod     string
	ns      string
}

// gpuInventory packs every replica's GPUs onto nodes, models in name order.
func gpuInventory(p *plan.Plan) []*gpuInfo {
	var out []*gpuInfo
	slot := 0
	for _, m := range p.Models {
		for r := 0; r < m.Spec.Replicas; r++ {
			for k := 0; k < max(1, m.Spec.GPUsPerReplica); k++ {
				node := fmt.Sprintf("gpu-node-%d", slot/GPUsPerNode+1)
				idx := slot % GPUsPerNode
				h := fnv.New128a()
				fmt.Fprintf(h, "%s/%d", node, idx)
				u := h.Sum(nil)
				out = append(out, &gpuInfo{
					node: node, index: idx,
					uuid:  fmt.Sprintf("GPU-%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]),
					busID: fmt.Sprintf("00000000:%02X:00.0", hgxBusIDs[idx%len(hgxBusIDs)]),
					model: m, replica: r, rank: k,
					pod: podName(m, r), ns: podNamespace(m),
				})
				slot++
			}
		}
	}
	return out
}

// dcgmFields are the fields the simulated exporter serves: inferobs's
// steady profile, as the generated collectors file configures it.
func dcgmFields() (metrics, labelFields []library.DCGMField) {
	for _, f := range library.DCGMProfileFields(library.DCGMSteady) {
		if f.Type == library.LabelField {
			labelFields = append(labelFields, f)
		} else {
			metrics = append(metrics, f)
		}
	}
	return metrics, labelFields
}

// gpuState is one GPU's counters and current readings.
type gpuState struct {
	info     *gpuInfo
	cond     gpuCond
	readings map[library.GPURole]float64
	// counters by role: value at the tick start and rate per second.
	cur, rate map[library.GPURole]float64
}

func newGPUState(g *gpuInfo) *gpuState {
	return &gpuState{info: g, readings: map[library.GPURole]float64{}, cur: map[library.GPURole]float64{}, rate: map[library.GPURole]float64{}}
}

// counterRoles are the DCGM fields simulated as running totals.
var gpuCounterRoles = map[library.GPURole]bool{
	library.GPUEnergy: true, library.GPUPowerViolation: true, library.GPUThermalViolation: true,
}

// advance integrates the last tick and takes new readings. noise is a
// standard normal draw per GPU and tick.
func (st *gpuState) advance(dt float64, c gpuCond, noise float64) {
	for r, v := range st.rate {
		st.cur[r] += v * dt
	}
	st.cond = c
	rd := map[library.GPURole]float64{}
	total := 0.0
	for _, w := range c.mix {
		total += w
	}
	for _, ph := range library.GPUPhases() {
		w := c.mix[ph]
		if w == 0 || total == 0 {
			continue
		}
		vals, _, _ := library.H100Reading(ph)
		for role, v := range vals {
			rd[role] += v * w / total
		}
	}
	// Framebuffer: the engine preallocates the KV cache, so a serving GPU
	// is as full as the recording's kv_fill phase whatever the load.
	if c.kvFill {
		kv, _, _ := library.H100Reading(library.GPUPhaseKVFill)
		rd[library.GPUFBUsed], rd[library.GPUFBFree] = kv[library.GPUFBUsed], kv[library.GPUFBFree]
	}
	rd[library.GPUFBReserved] = 0
	if c.thermal > 0 {
		rd[library.GPUSMClock] = thermalGPU.smClock
		rd[library.GPUPower] = thermalGPU.power
		rd[library.GPUTemp], rd[library.GPUMemTemp] = thermalGPU.temp, thermalGPU.memTemp
	}
	// Noise: a little on activity and power, a degree on temperatures.
	f := 1 + 0.02*noise
	for _, r := range []library.GPURole{library.GPUTensorActive, library.GPUSMActive, library.GPUSMOccupancy, library.GPUDRAMActive, library.GPUGREngineActive} {
		rd[r] = math.Min(rd[r]*f, 1)
	}
	rd[library.GPUPCIeTx] = math.Round(rd[library.GPUPCIeTx] * f)
	rd[library.GPUPCIeRx] = math.Round(rd[library.GPUPCIeRx] * f)
	rd[library.GPUPower] = math.Min(rd[library.GPUPower]*(1+0.003*noise), library.H100PowerLimitW)
	rd[library.GPUTemp] = math.Round(rd[library.GPUTemp] + noise)
	rd[library.GPUMemTemp] = math.Round(rd[library.GPUMemTemp] + noise)
	if st.info.model != nil && st.info.model.Spec.GPUsPerReplica > 1 && c.assigned {
		// Tensor-parallel ranks exchange activations over NVLink.
		rd[library.GPUNVLinkBandwidth] = math.Round(18000 * rd[library.GPUTensorActive] / 0.4)
	}
	st.readings = rd
	// Counters: energy in mJ, violation times in ns per second. Power
	// capping holds the clocks whenever the GPU prefills (the recording's
	// clock-event reason 0x4); thermal violation accrues only when hot.
	st.rate[library.GPUEnergy] = rd[library.GPUPower] * 1000
	st.rate[library.GPUPowerViolation] = 1e9 * c.mix[library.GPUPhasePrefill] / math.Max(total, 1e-9)
	if c.thermal > 0 {
		st.rate[library.GPUPowerViolation] = 0
	}
	st.rate[library.GPUThermalViolation] = 1e9 * c.thermal
}

// dcgmFamilies renders the DCGM exporter of one node (gpus on it), dt
// wall seconds into the tick.
func dcgmFamilies(gpus []*gpuState, dt float64) []family {
	metrics, labelFields := dcgmFields()
	var fams []family
	for _, f := range metrics {
		fam := family{name: f.Name, help: f.Help, typ: string(f.Type)}
		for _, g := range gpus {
			ls := gpuLabels(g, labelFields)
			v := g.readings[f.Role]
			if gpuCounterRoles[f.Role] {
				v = math.Floor(g.cur[f.Role] + g.rate[f.Role]*dt)
			}
			if f.Role == "" {
				v = 0
			}
			for _, extra := range f.Labels {
				ls = append(ls, label{extra, ""})
			}
			fam.samples = append(fam.samples, sample{name: f.Name, labels: ls, value: v, style: styleDCGM, float: f.Unit == "ratio" || f.Unit == "W"})
		}
		fams = append(fams, fam)
	}
	return fams
}

// gpuLabels are the labels dcgm-exporter puts on every series of a GPU,
// in its order; with -k, the pod using the GPU.
func gpuLabels(g *gpuState, labelFields []library.DCGMField) []label {
	i := g.info
	ls := []label{
		{library.DCGMLabelGPU, fmt.Sprint(i.index)},
		{library.DCGMLabelUUID, i.uuid},
		{library.DCGMLabelPCIBusID, i.busID},
		{library.DCGMLabelDevice, fmt.Sprintf("nvidia%d", i.index)},
		{library.DCGMLabelModelName, gpuModelName(i.model)},
		{library.DCGMLabelHostname, i.node},
	}
	for _, f := range labelFields {
		v := ""
		if f.Role == library.GPUDriverVersion {
			v = library.H100DriverVersion
		}
		ls = append(ls, label{f.Name, v})
	}
	if g.cond.assigned && i.model != nil {
		pod, ns, ctr := library.DCGMWorkloadLabels(true)
		ls = append(ls, label{ctr, string(i.model.Engine())}, label{ns, i.ns}, label{pod, i.pod})
	}
	return ls
}

// gpuModelName is DCGM's modelName for a spec GPU: the recorded H100's
// name for H100s, else the spec's name after "NVIDIA ".
func gpuModelName(m *plan.Model) string {
	if m == nil || strings.Contains(strings.ToUpper(m.Spec.GPU), "H100") {
		return library.H100ModelName
	}
	return "NVIDIA " + m.Spec.GPU
}
