package library

// Real GPU readings per serving phase, for the simulator and for anything
// else that needs plausible DCGM values. Source: one NVIDIA H100 80GB HBM3
// (driver 580.159.04, power limit 700 W, max SM clock 1980 MHz, MIG off)
// sampled through NVML every 250 ms, GPM profiling metrics included
// (gpm_tensor_util ≈ DCGM_FI_PROF_PIPE_TENSOR_ACTIVE × 100 and so on), while
// it ran phases shaped like LLM serving. Values are the per-phase medians of
// that recording (the reference data set's h100-llm-phases.csv).

// GPUPhase is what a GPU is doing, as far as its counters can tell.
type GPUPhase string

// GPU phases.
const (
	GPUPhaseIdle      GPUPhase = "idle"       // nothing runs
	GPUPhasePrefill   GPUPhase = "prefill"    // tensor-bound matmuls, at the power cap
	GPUPhaseDecode    GPUPhase = "decode"     // memory-bound mat-vec: util ~100 %, tensor ~24 %
	GPUPhaseHostStall GPUPhase = "host_stall" // the serving loop is stuck on the host: tensor ~0
	GPUPhaseKVFill    GPUPhase = "kv_fill"    // decode with 85 % of memory allocated (a full KV cache)
	GPUPhaseCooldown  GPUPhase = "cooldown"   // just stopped: clocks still high, little power
)

// GPUPhases lists the phases in the recording's order.
func GPUPhases() []GPUPhase {
	return []GPUPhase{GPUPhaseIdle, GPUPhasePrefill, GPUPhaseDecode, GPUPhaseHostStall, GPUPhaseKVFill, GPUPhaseCooldown}
}

// Facts of the recorded GPU.
const (
	H100ModelName     = "NVIDIA H100 80GB HBM3" // DCGM's modelName label (blanks kept)
	H100DriverVersion = "580.159.04"
	H100PowerLimitW   = 700.0
	H100MaxSMClockMHz = 1980.0
	H100FBTotalMiB    = 81559.0 // framebuffer used + free as NVML reports it
)

// h100Readings are the medians per phase, keyed by the DCGM role whose field
// reports them, in the field's unit (ratios 0-1, percents 0-100, MHz, W, °C,
// MiB, bytes/s; PCIe from NVML's KB/s × 1000).
var h100Readings = map[GPUPhase]map[GPURole]float64{
	GPUPhaseIdle: {
		GPUUtil: 0, GPUMemCopyUtil: 0, GPUSMClock: 345, GPUMemClock: 2619, GPUPower: 71.465,
		GPUTemp: 31, GPUMemTemp: 34, GPUFBUsed: 480, GPUFBFree: 81079,
		GPUPCIeTx: 1.53e6, GPUPCIeRx: 0.56e6,
		GPUTensorActive: 0, GPUSMActive: 0, GPUSMOccupancy: 0, GPUDRAMActive: 0.00001,
		GPUFP16Active: 0, GPUFP32Active: 0, GPUGREngineActive: 0,
	},
	GPUPhasePrefill: {
		GPUUtil: 99, GPUMemCopyUtil: 33, GPUSMClock: 1350, GPUMemClock: 2619, GPUPower: 697.472,
		GPUTemp: 57, GPUMemTemp: 48, GPUFBUsed: 1490, GPUFBFree: 80068,
		GPUPCIeTx: 8.502e6, GPUPCIeRx: 18.639e6,
		GPUTensorActive: 0.92614, GPUSMActive: 0.95414, GPUSMOccupancy: 0.14101, GPUDRAMActive: 0.24982,
		GPUFP16Active: 0, GPUFP32Active: 0, GPUGREngineActive: 0.98867,
	},
	GPUPhaseDecode: {
		GPUUtil: 99, GPUMemCopyUtil: 94, GPUSMClock: 1980, GPUMemClock: 2619, GPUPower: 682.308,
		GPUTemp: 58, GPUMemTemp: 64, GPUFBUsed: 2004, GPUFBFree: 79554,
		GPUPCIeTx: 14.7845e6, GPUPCIeRx: 44.9335e6,
		GPUTensorActive: 0.240605, GPUSMActive: 0.90183, GPUSMOccupancy: 0.06452, GPUDRAMActive: 0.742675,
		GPUFP16Active: 0, GPUFP32Active: 0.0007, GPUGREngineActive: 0.992965,
	},
	GPUPhaseHostStall: {
		GPUUtil: 0, GPUMemCopyUtil: 0, GPUSMClock: 1980, GPUMemClock: 2619, GPUPower: 130.772,
		GPUTemp: 43, GPUMemTemp: 45, GPUFBUsed: 2004, GPUFBFree: 79554,
		GPUPCIeTx: 0.61e6, GPUPCIeRx: 0.446e6,
		GPUTensorActive: 0.00096, GPUSMActive: 0.00351, GPUSMOccupancy: 0.00025, GPUDRAMActive: 0.00322,
		GPUFP16Active: 0, GPUFP32Active: 0, GPUGREngineActive: 0.00436,
	},
	GPUPhaseKVFill: {
		GPUUtil: 100, GPUMemCopyUtil: 94, GPUSMClock: 1980, GPUMemClock: 2619, GPUPower: 661.654,
		GPUTemp: 55, GPUMemTemp: 62, GPUFBUsed: 69716, GPUFBFree: 11842,
		GPUPCIeTx: 14.976e6, GPUPCIeRx: 44.783e6,
		GPUTensorActive: 0.23649, GPUSMActive: 0.90073, GPUSMOccupancy: 0.0643, GPUDRAMActive: 0.74435,
		GPUFP16Active: 0, GPUFP32Active: 0.00069, GPUGREngineActive: 0.99505,
	},
	GPUPhaseCooldown: {
		GPUUtil: 0, GPUMemCopyUtil: 0, GPUSMClock: 1980, GPUMemClock: 2619, GPUPower: 127.918,
		GPUTemp: 42, GPUMemTemp: 43.5, GPUFBUsed: 1198, GPUFBFree: 80360,
		GPUPCIeTx: 0.5705e6, GPUPCIeRx: 0.4225e6,
		GPUTensorActive: 0, GPUSMActive: 0, GPUSMOccupancy: 0, GPUDRAMActive: 0.00001,
		GPUFP16Active: 0, GPUFP32Active: 0, GPUGREngineActive: 0.00006,
	},
}

// h100ClockEvents is the NVML clock-event mask each phase read most often:
// idle clocks down (0x1) and, at full tensor load, the software power cap
// (0x4) by design.
var h100ClockEvents = map[GPUPhase]uint64{GPUPhaseIdle: 0x1, GPUPhasePrefill: 0x4}

// H100Reading returns the recorded medians of a phase, keyed by DCGM role
// (a copy), and the clock-event mask the phase showed.
func H100Reading(p GPUPhase) (map[GPURole]float64, uint64, bool) {
	r, ok := h100Readings[p]
	if !ok {
		return nil, 0, false
	}
	out := make(map[GPURole]float64, len(r))
	for k, v := range r {
		out[k] = v
	}
	return out, h100ClockEvents[p], true
}
