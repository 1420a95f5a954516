package library

import (
	"strings"
	"testing"
	"time"
)

func TestDCGMFieldsAreConsistent(t *testing.T) {
	names := map[string]bool{}
	roles := map[GPURole]string{}
	enabled := 0
	for _, f := range DCGMFields() {
		if names[f.Name] {
			t.Errorf("%s listed twice", f.Name)
		}
		names[f.Name] = true
		if f.Role != "" {
			if other, dup := roles[f.Role]; dup {
				t.Errorf("role %s claimed by %s and %s", f.Role, other, f.Name)
			}
			roles[f.Role] = f.Name
		}
		if !strings.HasPrefix(f.Name, "DCGM_FI_") && !strings.HasPrefix(f.Name, "DCGM_EXP_") {
			t.Errorf("%s: not a DCGM field name", f.Name)
		}
		if f.Help == "" || f.Unit == "" {
			t.Errorf("%s: help or unit missing", f.Name)
		}
		// The collectors file is comma-separated: a comma in help breaks the line.
		if strings.Contains(f.Help, ",") {
			t.Errorf("%s: help contains a comma", f.Name)
		}
		if strings.Count(f.CSVLine(), ",") != 2 {
			t.Errorf("%s: CSV line %q does not have exactly 2 commas", f.Name, f.CSVLine())
		}
		switch f.Type {
		case Gauge, Counter, LabelField:
		default:
			t.Errorf("%s: type %q is not gauge, counter or label", f.Name, f.Type)
		}
		if f.Incident && !f.Steady {
			t.Errorf("%s is in the incident profile but not the steady one", f.Name)
		}
		if f.DefaultEnabled {
			enabled++
			if !f.Listed || !f.Steady {
				t.Errorf("%s: a default field must be listed and in the steady profile", f.Name)
			}
		}
		if f.NotMonotonic && f.Type != Counter {
			t.Errorf("%s: NotMonotonic only qualifies counter-typed fields", f.Name)
		}
	}
	// default-counters.csv at HEAD enables 26 lines: 25 metrics and one label.
	if enabled != 26 {
		t.Errorf("%d fields enabled by default, want 26", enabled)
	}
}

func TestDCGMProfiles(t *testing.T) {
	f, ok := DCGMByName("DCGM_FI_PROF_SM_ACTIVE")
	if !ok || f.DefaultEnabled || !f.Steady {
		t.Errorf("SM_ACTIVE = %+v, want off by default and in the steady profile", f)
	}
	for _, r := range []GPURole{GPUSMActive, GPUSMOccupancy, GPUThermalViolation, GPUPowerViolation,
		GPUNVLinkCRCFlit, GPUNVLinkCRCData, GPUNVLinkReplay, GPUNVLinkRecovery, GPUECCDBEVolatile, GPUECCSBEVolatile} {
		f, ok := DCGMByRole(r)
		if !ok || !f.Steady || f.DefaultEnabled {
			t.Errorf("role %s: %+v, want a steady field that is off by default", r, f)
		}
	}
	wantIncident := []GPURole{GPUTensorActive, GPUSMActive, GPUDRAMActive, GPUSMClock, GPUMemClock, GPUPower,
		GPUTemp, GPUMemTemp, GPUFBUsed, GPUPCIeTx, GPUPCIeRx, GPUNVLinkBandwidth, GPUXIDErrors}
	got := map[GPURole]bool{}
	for _, f := range DCGMProfileFields(DCGMIncident) {
		got[f.Role] = true
	}
	for _, r := range wantIncident {
		if !got[r] {
			t.Errorf("incident profile lacks %s", r)
		}
	}
	if len(got) != len(wantIncident) {
		t.Errorf("incident profile has %d fields, want %d", len(got), len(wantIncident))
	}
	if DCGMIncident.Interval() != 250*time.Millisecond || DCGMSteady.Interval() != 5*time.Second {
		t.Errorf("profile intervals %v / %v", DCGMSteady.Interval(), DCGMIncident.Interval())
	}
	if got := DCGMIntervalArg(DCGMIncident.Interval()); got != "250" {
		t.Errorf("-c for the incident profile = %q, want 250", got)
	}
}

func TestDCGMLookups(t *testing.T) {
	if f, ok := DCGMByRole(GPUTensorActive); !ok || f.Name != "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE" || !f.DefaultEnabled {
		t.Errorf("tensor role = %+v", f)
	}
	if _, ok := DCGMByName("DCGM_FI_NOPE"); ok {
		t.Error("unknown field found")
	}
	if _, ok := DCGMByRole(""); ok {
		t.Error("empty role found")
	}
	if f, _ := DCGMByRole(GPUNVLinkBandwidth); !f.NotMonotonic {
		t.Error("NVLINK_BANDWIDTH_TOTAL is a rate despite its counter type")
	}
	fields := DCGMFields()
	fields[0].Name = "changed"
	if DCGMFields()[0].Name == "changed" {
		t.Error("DCGMFields exposes its backing array")
	}
}

func TestDCGMLabels(t *testing.T) {
	pod, ns, ctr := DCGMWorkloadLabels(false)
	if pod != "exported_pod" || ns != "exported_namespace" || ctr != "exported_container" {
		t.Errorf("not honouring labels: %s %s %s", pod, ns, ctr)
	}
	if pod, _, _ := DCGMWorkloadLabels(true); pod != "pod" {
		t.Errorf("honouring labels: pod label %s", pod)
	}
	if h := DCGMHostnameLabels(); len(h) != 2 || h[0] != "Hostname" || h[1] != "hostname" {
		t.Errorf("hostname labels %v", h)
	}
}

func TestClockEvents(t *testing.T) {
	tests := []struct {
		mask      uint64
		wantNames string
		wantFault bool
	}{
		{0x0, "", false},
		{0x1, "gpu_idle", false},
		{0x4, "sw_power_cap", false}, // H100 at full tensor load: by design
		{0x8, "hw_slowdown", true},
		{0x20, "sw_thermal_slowdown", true},
		{0x40, "hw_thermal_slowdown", true},
		{0x44, "sw_power_cap hw_thermal_slowdown", true},
	}
	for _, tc := range tests {
		rs, fault := DecodeClockEvents(tc.mask)
		var names []string
		for _, r := range rs {
			names = append(names, r.Name)
		}
		if got := strings.Join(names, " "); got != tc.wantNames || fault != tc.wantFault {
			t.Errorf("DecodeClockEvents(%#x) = %q, %v; want %q, %v", tc.mask, got, fault, tc.wantNames, tc.wantFault)
		}
	}
	seen := uint64(0)
	for _, r := range ClockEventReasons() {
		if r.Bit&(r.Bit-1) != 0 || seen&r.Bit != 0 {
			t.Errorf("%s: bit %#x is not a fresh single bit", r.Name, r.Bit)
		}
		seen |= r.Bit
	}
}
