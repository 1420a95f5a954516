package library

import (
	"fmt"
	"time"
)

// DCGM exporter fields (NVIDIA/dcgm-exporter etc/default-counters.csv at
// HEAD d5e5f51, 2026-05-12). The Prometheus metric name is the DCGM field
// name itself: no prefix and no _total suffix. Help texts are ours; they
// carry no commas because the collectors file is comma-separated.

// LabelField is the collectors-file type of a DCGM field that is not emitted
// as a metric: its value becomes a label (keyed by the field name) on every
// other metric of the GPU.
const LabelField Type = "label"

// GPURole says what a DCGM field measures, independent of its field name.
type GPURole string

// GPU roles. Each DCGM field has at most one role and no two fields share one.
const (
	GPUTensorActive         GPURole = "tensor_active"     // ratio: tensor (HMMA) pipe busy; the real LLM utilisation signal
	GPUSMActive             GPURole = "sm_active"         // ratio: SMs with at least one warp
	GPUSMOccupancy          GPURole = "sm_occupancy"      // ratio: resident warps over the maximum
	GPUDRAMActive           GPURole = "dram_active"       // ratio: memory interface busy (decode is memory-bound)
	GPUGREngineActive       GPURole = "gr_engine_active"  // ratio: graphics/compute engine busy
	GPUFP16Active           GPURole = "fp16_active"       // ratio
	GPUFP32Active           GPURole = "fp32_active"       // ratio
	GPUFP64Active           GPURole = "fp64_active"       // ratio
	GPUUtil                 GPURole = "util"              // percent: coarse; ~100 for memory-bound decode
	GPUMemCopyUtil          GPURole = "mem_copy_util"     // percent
	GPUEncUtil              GPURole = "enc_util"          // percent
	GPUDecUtil              GPURole = "dec_util"          // percent
	GPUFBUsed               GPURole = "fb_used"           // MiB
	GPUFBFree               GPURole = "fb_free"           // MiB
	GPUFBReserved           GPURole = "fb_reserved"       // MiB
	GPUPower                GPURole = "power"             // W
	GPUEnergy               GPURole = "energy"            // mJ counter since driver load
	GPUTemp                 GPURole = "temp"              // °C
	GPUMemTemp              GPURole = "mem_temp"          // °C
	GPUSMClock              GPURole = "sm_clock"          // MHz
	GPUMemClock             GPURole = "mem_clock"         // MHz
	GPUPCIeTx               GPURole = "pcie_tx"           // bytes/s
	GPUPCIeRx               GPURole = "pcie_rx"           // bytes/s
	GPUPCIeReplays          GPURole = "pcie_replays"      // counter
	GPUNVLinkBandwidth      GPURole = "nvlink_bandwidth"  // MiB/s, all links, tx+rx
	GPUNVLinkTx             GPURole = "nvlink_tx"         // DCP field; in neither shipped CSV
	GPUNVLinkRx             GPURole = "nvlink_rx"         // DCP field; in neither shipped CSV
	GPUNVLinkCRCFlit        GPURole = "nvlink_crc_flit"   // counter
	GPUNVLinkCRCData        GPURole = "nvlink_crc_data"   // counter
	GPUNVLinkReplay         GPURole = "nvlink_replay"     // counter
	GPUNVLinkRecovery       GPURole = "nvlink_recovery"   // counter
	GPUXIDErrors            GPURole = "xid_last"          // gauge: code of the last XID
	GPUXIDErrorCount        GPURole = "xid_count"         // XIDs in the exporter's window, by err_code
	GPUClockEvents          GPURole = "clock_events"      // clock events in the exporter's window
	GPUHealth               GPURole = "health"            // exporter health-check status
	GPUP2PStatus            GPURole = "p2p_status"        // exporter peer-to-peer status
	GPUPowerViolation       GPURole = "power_violation"   // ns counter: time clocks were held by the power cap
	GPUThermalViolation     GPURole = "thermal_violation" // ns counter: time clocks were held by temperature
	GPUSyncBoostViolation   GPURole = "sync_boost_violation"
	GPUBoardLimitViolation  GPURole = "board_limit_violation"
	GPULowUtilViolation     GPURole = "low_util_violation"
	GPUReliabilityViolation GPURole = "reliability_violation"
	GPUECCSBEVolatile       GPURole = "ecc_sbe_volatile" // counter since driver load
	GPUECCDBEVolatile       GPURole = "ecc_dbe_volatile" // counter since driver load
	GPUECCSBEAggregate      GPURole = "ecc_sbe_aggregate"
	GPUECCDBEAggregate      GPURole = "ecc_dbe_aggregate"
	GPURetiredSBE           GPURole = "retired_sbe"
	GPURetiredDBE           GPURole = "retired_dbe"
	GPURetiredPending       GPURole = "retired_pending"

	GPURemappedRowsUncorrectable GPURole = "remapped_rows_uncorrectable"
	GPURemappedRowsCorrectable   GPURole = "remapped_rows_correctable"
	GPURowRemapFailure           GPURole = "row_remap_failure"
	GPUVGPULicense               GPURole = "vgpu_license"
	GPUDriverVersion             GPURole = "driver_version" // label field
)

// DCGMField is one DCGM field the exporter can collect.
type DCGMField struct {
	Name string // the DCGM field name, which is also the Prometheus metric name
	Type Type   // as the collectors file types it: Gauge, Counter or LabelField
	Unit string // "ratio", "percent", "MHz", "W", "C", "MiB", "MiB/s", "bytes/s", "ns", "mJ", "count", "code", "bool", "status", "text"
	Help string // our words; never contains a comma
	// Labels are extra labels the exporter adds to this field only.
	Labels []string
	// Listed is true when etc/default-counters.csv names the field at all
	// (enabled or commented out).
	Listed bool
	// DefaultEnabled is true when the line is not commented out at HEAD.
	DefaultEnabled bool
	// Steady and Incident say whether inferobs's profiles collect it.
	Steady   bool
	Incident bool
	// NotMonotonic marks fields the collectors file types as counter whose
	// value is not a running total (an instantaneous rate, a count over a
	// sliding window, a status): read the raw value, never rate() it.
	NotMonotonic bool
	Role         GPURole
}

// CSVLine renders the field as a collectors-file line: "NAME, type, help".
func (f DCGMField) CSVLine() string {
	return fmt.Sprintf("%s, %s, %s", f.Name, f.Type, f.Help)
}

// The DCGM exporter's command line and defaults (pkg/cmd/app.go).
const (
	DCGMFlagCollectors      = "-f" // collectors CSV path; env DCGM_EXPORTER_COLLECTORS
	DCGMFlagCollectInterval = "-c" // collect interval in milliseconds; env DCGM_EXPORTER_INTERVAL
	DCGMFlagKubernetes      = "-k" // add pod/namespace/container from the kubelet pod-resources API
	DCGMFlagNoHostname      = "-n" // omit the Hostname label
	DCGMEnvCollectors       = "DCGM_EXPORTER_COLLECTORS"
	DCGMEnvInterval         = "DCGM_EXPORTER_INTERVAL"
	DCGMDefaultPort         = 9400
	DCGMMetricsPath         = "/metrics"
	DCGMDefaultCollectors   = "/etc/dcgm-exporter/default-counters.csv"
	// DCGMDefaultInterval is the exporter's -c default (30000 ms).
	DCGMDefaultInterval = 30 * time.Second
)

// DCGMIntervalArg renders a collect interval as the -c value (milliseconds).
func DCGMIntervalArg(d time.Duration) string { return fmt.Sprint(d.Milliseconds()) }

// DCGMProfile names one of inferobs's DCGM collection profiles.
type DCGMProfile string

// DCGM profiles: steady runs all the time; incident is switched on by an
// alert webhook and samples few fields fast (source article, "Sampling").
const (
	DCGMSteady   DCGMProfile = "steady"
	DCGMIncident DCGMProfile = "incident"
)

// Interval is the profile's collect interval.
func (p DCGMProfile) Interval() time.Duration {
	if p == DCGMIncident {
		return 250 * time.Millisecond
	}
	return 5 * time.Second
}

// DCGMProfileFields returns the profile's fields in catalog order.
func DCGMProfileFields(p DCGMProfile) []DCGMField {
	var out []DCGMField
	for _, f := range dcgmFields {
		if (p == DCGMSteady && f.Steady) || (p == DCGMIncident && f.Incident) {
			out = append(out, f)
		}
	}
	return out
}

// DCGMFields returns every known field in a stable order: the enabled
// defaults in collectors-file order, then the commented-out ones, then DCP
// fields no shipped file lists.
func DCGMFields() []DCGMField { return append([]DCGMField(nil), dcgmFields...) }

// DCGMByRole returns the field that plays role r.
func DCGMByRole(r GPURole) (DCGMField, bool) {
	for _, f := range dcgmFields {
		if f.Role == r && r != "" {
			return f, true
		}
	}
	return DCGMField{}, false
}

// DCGMByName returns the field named name.
func DCGMByName(name string) (DCGMField, bool) {
	for _, f := range dcgmFields {
		if f.Name == name {
			return f, true
		}
	}
	return DCGMField{}, false
}

// Shorthands for the table below. Every default field is in the steady
// profile ("full set"); the extra steady fields are marked one by one.
func dflt(f DCGMField) DCGMField {
	f.Listed, f.DefaultEnabled, f.Steady = true, true, true
	return f
}

func listed(f DCGMField) DCGMField {
	f.Listed = true
	return f
}

func steady(f DCGMField) DCGMField {
	f.Steady = true
	return f
}

func incident(f DCGMField) DCGMField {
	f.Incident = true
	return f
}

var dcgmFields = []DCGMField{
	// Enabled in default-counters.csv (26 lines: 25 metrics and one label).
	incident(dflt(DCGMField{Name: "DCGM_FI_DEV_SM_CLOCK", Type: Gauge, Unit: "MHz", Role: GPUSMClock, Help: "SM clock in MHz; a drop under load means throttling."})),
	incident(dflt(DCGMField{Name: "DCGM_FI_DEV_MEM_CLOCK", Type: Gauge, Unit: "MHz", Role: GPUMemClock, Help: "Memory clock in MHz."})),
	incident(dflt(DCGMField{Name: "DCGM_FI_DEV_MEMORY_TEMP", Type: Gauge, Unit: "C", Role: GPUMemTemp, Help: "HBM temperature in degrees C."})),
	incident(dflt(DCGMField{Name: "DCGM_FI_DEV_GPU_TEMP", Type: Gauge, Unit: "C", Role: GPUTemp, Help: "GPU die temperature in degrees C."})),
	incident(dflt(DCGMField{Name: "DCGM_FI_DEV_POWER_USAGE", Type: Gauge, Unit: "W", Role: GPUPower, Help: "Board power draw in watts."})),
	dflt(DCGMField{Name: "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", Type: Counter, Unit: "mJ", Role: GPUEnergy, Help: "Energy used since the driver loaded in mJ."}),
	dflt(DCGMField{Name: "DCGM_FI_DEV_PCIE_REPLAY_COUNTER", Type: Counter, Unit: "count", Role: GPUPCIeReplays, Help: "PCIe link retries since the driver loaded."}),
	dflt(DCGMField{Name: "DCGM_FI_DEV_GPU_UTIL", Type: Gauge, Unit: "percent", Role: GPUUtil, Help: "Share of time any kernel ran (0-100); not a measure of how busy the SMs are."}),
	dflt(DCGMField{Name: "DCGM_FI_DEV_MEM_COPY_UTIL", Type: Gauge, Unit: "percent", Role: GPUMemCopyUtil, Help: "Share of time device memory was read or written (0-100)."}),
	dflt(DCGMField{Name: "DCGM_FI_DEV_ENC_UTIL", Type: Gauge, Unit: "percent", Role: GPUEncUtil, Help: "Video encoder use (0-100)."}),
	dflt(DCGMField{Name: "DCGM_FI_DEV_DEC_UTIL", Type: Gauge, Unit: "percent", Role: GPUDecUtil, Help: "Video decoder use (0-100)."}),
	incident(dflt(DCGMField{Name: "DCGM_FI_DEV_XID_ERRORS", Type: Gauge, Unit: "code", Role: GPUXIDErrors, Help: "Code of the most recent XID error; it does not reset on its own."})),
	dflt(DCGMField{Name: "DCGM_FI_DEV_FB_FREE", Type: Gauge, Unit: "MiB", Role: GPUFBFree, Help: "Free framebuffer memory in MiB."}),
	incident(dflt(DCGMField{Name: "DCGM_FI_DEV_FB_USED", Type: Gauge, Unit: "MiB", Role: GPUFBUsed, Help: "Used framebuffer memory in MiB (the KV cache lives here)."})),
	dflt(DCGMField{Name: "DCGM_FI_DEV_FB_RESERVED", Type: Gauge, Unit: "MiB", Role: GPUFBReserved, Help: "Framebuffer memory the driver reserves in MiB."}),
	// Typed counter in the file but DCGM publishes an instantaneous MiB/s rate
	// (dcgm-exporter #417 and #658; #658 was closed unmerged).
	incident(dflt(DCGMField{Name: "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL", Type: Counter, Unit: "MiB/s", NotMonotonic: true, Role: GPUNVLinkBandwidth, Help: "NVLink throughput over all links in MiB/s (tx plus rx); a rate despite its counter type."})),
	dflt(DCGMField{Name: "DCGM_FI_DEV_VGPU_LICENSE_STATUS", Type: Gauge, Unit: "status", Role: GPUVGPULicense, Help: "vGPU licence state."}),
	dflt(DCGMField{Name: "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", Type: Counter, Unit: "count", Role: GPURemappedRowsUncorrectable, Help: "Memory rows remapped after uncorrectable errors."}),
	dflt(DCGMField{Name: "DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", Type: Counter, Unit: "count", Role: GPURemappedRowsCorrectable, Help: "Memory rows remapped after correctable errors."}),
	dflt(DCGMField{Name: "DCGM_FI_DEV_ROW_REMAP_FAILURE", Type: Gauge, Unit: "bool", Role: GPURowRemapFailure, Help: "1 when a row remap failed: the GPU needs service."}),
	dflt(DCGMField{Name: "DCGM_FI_DRIVER_VERSION", Type: LabelField, Unit: "text", Role: GPUDriverVersion, Help: "Driver version (added as a label)."}),
	dflt(DCGMField{Name: "DCGM_FI_PROF_GR_ENGINE_ACTIVE", Type: Gauge, Unit: "ratio", Role: GPUGREngineActive, Help: "Share of time the graphics/compute engine was busy (0-1)."}),
	incident(dflt(DCGMField{Name: "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", Type: Gauge, Unit: "ratio", Role: GPUTensorActive, Help: "Share of cycles the tensor pipe was busy (0-1)."})),
	incident(dflt(DCGMField{Name: "DCGM_FI_PROF_DRAM_ACTIVE", Type: Gauge, Unit: "ratio", Role: GPUDRAMActive, Help: "Share of cycles the device memory interface moved data (0-1)."})),
	// Gauges (bytes/s) since exporter 4.0.0; counters of bytes in 3.x.
	incident(dflt(DCGMField{Name: "DCGM_FI_PROF_PCIE_TX_BYTES", Type: Gauge, Unit: "bytes/s", Role: GPUPCIeTx, Help: "PCIe bytes sent per second including protocol headers."})),
	incident(dflt(DCGMField{Name: "DCGM_FI_PROF_PCIE_RX_BYTES", Type: Gauge, Unit: "bytes/s", Role: GPUPCIeRx, Help: "PCIe bytes received per second including protocol headers."})),

	// Listed but commented out. Violation counters: help said "in us" until
	// e61056b (2025-12-04); the unit is ns.
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_POWER_VIOLATION", Type: Counter, Unit: "ns", Role: GPUPowerViolation, Help: "Time clocks were held down by the power limit in ns; expected at full load."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_THERMAL_VIOLATION", Type: Counter, Unit: "ns", Role: GPUThermalViolation, Help: "Time clocks were held down by temperature in ns."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_SYNC_BOOST_VIOLATION", Type: Counter, Unit: "ns", Role: GPUSyncBoostViolation, Help: "Time clocks were held down by sync boost in ns."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_BOARD_LIMIT_VIOLATION", Type: Counter, Unit: "ns", Role: GPUBoardLimitViolation, Help: "Time clocks were held down by a board limit in ns."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_LOW_UTIL_VIOLATION", Type: Counter, Unit: "ns", Role: GPULowUtilViolation, Help: "Time clocks were held down for low use in ns."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_RELIABILITY_VIOLATION", Type: Counter, Unit: "ns", Role: GPUReliabilityViolation, Help: "Time clocks were held down by a reliability limit in ns."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", Type: Counter, Unit: "count", Role: GPUECCSBEVolatile, Help: "Single-bit ECC errors since the driver loaded."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", Type: Counter, Unit: "count", Role: GPUECCDBEVolatile, Help: "Double-bit ECC errors since the driver loaded."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_ECC_SBE_AGG_TOTAL", Type: Counter, Unit: "count", Role: GPUECCSBEAggregate, Help: "Single-bit ECC errors over the GPU's life."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_ECC_DBE_AGG_TOTAL", Type: Counter, Unit: "count", Role: GPUECCDBEAggregate, Help: "Double-bit ECC errors over the GPU's life."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_RETIRED_SBE", Type: Counter, Unit: "count", Role: GPURetiredSBE, Help: "Pages retired for single-bit errors."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_RETIRED_DBE", Type: Counter, Unit: "count", Role: GPURetiredDBE, Help: "Pages retired for double-bit errors."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_RETIRED_PENDING", Type: Counter, Unit: "count", Role: GPURetiredPending, Help: "Pages waiting to be retired at the next driver reload."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL", Type: Counter, Unit: "count", Role: GPUNVLinkCRCFlit, Help: "NVLink flow-control CRC errors over all links."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL", Type: Counter, Unit: "count", Role: GPUNVLinkCRCData, Help: "NVLink data CRC errors over all links."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL", Type: Counter, Unit: "count", Role: GPUNVLinkReplay, Help: "NVLink retransmissions over all links."})),
	steady(listed(DCGMField{Name: "DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL", Type: Counter, Unit: "count", Role: GPUNVLinkRecovery, Help: "NVLink link recoveries over all links."})),
	// Lane 0 only; BANDWIDTH_TOTAL covers every link.
	listed(DCGMField{Name: "DCGM_FI_DEV_NVLINK_BANDWIDTH_L0", Type: Counter, Unit: "MiB/s", NotMonotonic: true, Help: "NVLink throughput of link 0 in MiB/s; a rate despite its counter type."}),
	listed(DCGMField{Name: "DCGM_FI_NVML_VERSION", Type: LabelField, Unit: "text", Help: "NVML version (added as a label)."}),
	listed(DCGMField{Name: "DCGM_FI_DEV_BRAND", Type: LabelField, Unit: "text", Help: "Device brand (added as a label)."}),
	listed(DCGMField{Name: "DCGM_FI_DEV_SERIAL", Type: LabelField, Unit: "text", Help: "Board serial number (added as a label)."}),
	listed(DCGMField{Name: "DCGM_FI_DEV_OEM_INFOROM_VER", Type: LabelField, Unit: "text", Help: "OEM inforom version (added as a label)."}),
	listed(DCGMField{Name: "DCGM_FI_DEV_ECC_INFOROM_VER", Type: LabelField, Unit: "text", Help: "ECC inforom version (added as a label)."}),
	listed(DCGMField{Name: "DCGM_FI_DEV_POWER_INFOROM_VER", Type: LabelField, Unit: "text", Help: "Power inforom version (added as a label)."}),
	listed(DCGMField{Name: "DCGM_FI_DEV_INFOROM_IMAGE_VER", Type: LabelField, Unit: "text", Help: "Inforom image version (added as a label)."}),
	listed(DCGMField{Name: "DCGM_FI_DEV_VBIOS_VERSION", Type: LabelField, Unit: "text", Help: "VBIOS version (added as a label)."}),
	// DCP fields the defaults leave off: SM_ACTIVE and SM_OCCUPANCY tell a
	// host-side stall (SMs idle) from a memory-bound decode (SMs busy).
	incident(steady(listed(DCGMField{Name: "DCGM_FI_PROF_SM_ACTIVE", Type: Gauge, Unit: "ratio", Role: GPUSMActive, Help: "Share of cycles an SM had at least one warp resident (0-1)."}))),
	steady(listed(DCGMField{Name: "DCGM_FI_PROF_SM_OCCUPANCY", Type: Gauge, Unit: "ratio", Role: GPUSMOccupancy, Help: "Resident warps per SM over the maximum (0-1)."})),
	steady(listed(DCGMField{Name: "DCGM_FI_PROF_PIPE_FP64_ACTIVE", Type: Gauge, Unit: "ratio", Role: GPUFP64Active, Help: "Share of cycles the FP64 pipe was busy (0-1)."})),
	steady(listed(DCGMField{Name: "DCGM_FI_PROF_PIPE_FP32_ACTIVE", Type: Gauge, Unit: "ratio", Role: GPUFP32Active, Help: "Share of cycles the FP32 pipe was busy (0-1); high under LLM load hints at a precision fallback."})),
	steady(listed(DCGMField{Name: "DCGM_FI_PROF_PIPE_FP16_ACTIVE", Type: Gauge, Unit: "ratio", Role: GPUFP16Active, Help: "Share of cycles the FP16 pipe was busy (0-1)."})),
	// Exporter-generated fields (commented block "DCGM Exporter fields").
	// Typed counter in the file; the values are windowed counts or statuses
	// (window: --xid-count-window-size / --clock-events-count-window-size, 5 min).
	listed(DCGMField{Name: "DCGM_EXP_CLOCK_EVENTS_COUNT", Type: Counter, Unit: "count", NotMonotonic: true, Role: GPUClockEvents, Help: "Clock events seen in the exporter's window."}),
	listed(DCGMField{Name: "DCGM_EXP_XID_ERRORS_COUNT", Type: Counter, Unit: "count", NotMonotonic: true, Labels: []string{"err_code", "err_msg"}, Role: GPUXIDErrorCount, Help: "XID errors seen in the exporter's window by code."}),
	listed(DCGMField{Name: "DCGM_EXP_GPU_HEALTH_STATUS", Type: Counter, Unit: "status", NotMonotonic: true, Role: GPUHealth, Help: "Result of the exporter's GPU health checks."}),
	listed(DCGMField{Name: "DCGM_EXP_P2P_STATUS", Type: Counter, Unit: "status", NotMonotonic: true, Role: GPUP2PStatus, Help: "Peer-to-peer link status between GPUs."}),

	// DCP NVLink throughput fields (DCGM field ids 1011/1012). The source
	// article lists them but neither shipped CSV does; some A100 setups read
	// 0 (dcgm-exporter #149). inferobs uses BANDWIDTH_TOTAL instead.
	{Name: "DCGM_FI_PROF_NVLINK_TX_BYTES", Type: Gauge, Unit: "bytes/s", Role: GPUNVLinkTx, Help: "NVLink bytes sent per second over all links."},
	{Name: "DCGM_FI_PROF_NVLINK_RX_BYTES", Type: Gauge, Unit: "bytes/s", Role: GPUNVLinkRx, Help: "NVLink bytes received per second over all links."},
}

// Labels on every DCGM exporter metric (internal/pkg/rendermetrics).
const (
	DCGMLabelGPU        = "gpu"        // device index
	DCGMLabelUUID       = "UUID"       // "uuid" with -o (old namespace)
	DCGMLabelUUIDOld    = "uuid"       // -o spelling
	DCGMLabelPCIBusID   = "pci_bus_id" // PCI address
	DCGMLabelDevice     = "device"     // "nvidia<N>"
	DCGMLabelModelName  = "modelName"  // keeps blanks unless --replace-blanks-in-model-name
	DCGMLabelMIGProfile = "GPU_I_PROFILE"
	DCGMLabelMIGID      = "GPU_I_ID"
	// DCGMLabelHostname is the node name on every tag up to 4.5.3-4.8.2;
	// DCGMLabelHostnameNew replaced it on master (d5e5f51, #655, untagged).
	// Match both.
	DCGMLabelHostname    = "Hostname"
	DCGMLabelHostnameNew = "hostname"
	// With -k the exporter adds the workload labels below; with -o they are
	// pod_name, pod_namespace and container_name instead.
	DCGMLabelPod       = "pod"
	DCGMLabelNamespace = "namespace"
	DCGMLabelContainer = "container"
	DCGMLabelPodUID    = "pod_uid" // only with --kubernetes-enable-pod-uid
	// ExportedPrefix is what Prometheus prepends to a scraped label that
	// clashes with a target label when honor_labels is false (the Helm
	// ServiceMonitor's default): pod becomes exported_pod.
	ExportedPrefix = "exported_"
)

// DCGMHostnameLabels returns both spellings of the node-name label.
func DCGMHostnameLabels() []string { return []string{DCGMLabelHostname, DCGMLabelHostnameNew} }

// DCGMWorkloadLabels returns the pod, namespace and container label names
// as stored: as exposed when the scrape honours labels, else with the
// exported_ prefix.
func DCGMWorkloadLabels(honorLabels bool) (pod, namespace, container string) {
	p := ""
	if !honorLabels {
		p = ExportedPrefix
	}
	return p + DCGMLabelPod, p + DCGMLabelNamespace, p + DCGMLabelContainer
}

// DCGMMIGLabels returns the labels that tell MIG instances of one GPU apart.
func DCGMMIGLabels() []string { return []string{DCGMLabelMIGProfile, DCGMLabelMIGID} }

// ClockEventReason is one bit of NVML's clock-event (formerly "throttle")
// reason mask.
type ClockEventReason struct {
	Name string
	Bit  uint64
	// Fault is true when the reason means something is wrong (heat, a
	// hardware slowdown). Power capping and idling are by design: an H100 at
	// full tensor load sits at its power cap (reason 0x4) with lower clocks.
	Fault bool
	Help  string
}

// ClockEventReasons returns the reasons in bit order (nvml.h
// nvmlClocksEventReason*).
func ClockEventReasons() []ClockEventReason {
	return []ClockEventReason{
		{Name: "gpu_idle", Bit: 0x1, Help: "Nothing is running; clocks drop to save power."},
		{Name: "applications_clocks_setting", Bit: 0x2, Help: "Clocks are held by an applications-clocks setting."},
		{Name: "sw_power_cap", Bit: 0x4, Help: "Software power capping holds clocks down; normal at full load."},
		{Name: "hw_slowdown", Bit: 0x8, Fault: true, Help: "Hardware slowdown (heat or power brake) halves clocks or worse."},
		{Name: "sync_boost", Bit: 0x10, Help: "Clocks follow a sync-boost group."},
		{Name: "sw_thermal_slowdown", Bit: 0x20, Fault: true, Help: "The driver lowers clocks to stay under a temperature limit."},
		{Name: "hw_thermal_slowdown", Bit: 0x40, Fault: true, Help: "The hardware lowers clocks because it is too hot."},
		{Name: "hw_power_brake_slowdown", Bit: 0x80, Fault: true, Help: "An external power brake signal lowers clocks."},
		{Name: "display_clock_setting", Bit: 0x100, Help: "Clocks are held by a display clock setting."},
	}
}

// DecodeClockEvents returns the reasons set in mask, in bit order, and
// whether any of them is a fault.
func DecodeClockEvents(mask uint64) (reasons []ClockEventReason, fault bool) {
	for _, r := range ClockEventReasons() {
		if mask&r.Bit != 0 {
			reasons = append(reasons, r)
			fault = fault || r.Fault
		}
	}
	return reasons, fault
}
