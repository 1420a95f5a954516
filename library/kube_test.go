package library

import (
	"slices"
	"strings"
	"testing"
)

func TestKubeMetricsAreConsistent(t *testing.T) {
	names := map[string]bool{}
	roles := map[KubeRole]bool{}
	for _, m := range KubeMetrics() {
		if names[m.Name] || roles[m.Role] {
			t.Errorf("%s: name or role %s repeated", m.Name, m.Role)
		}
		names[m.Name], roles[m.Role] = true, true
		if m.Role == "" || m.Help == "" || len(m.Labels) == 0 {
			t.Errorf("%s: role, help or labels missing", m.Name)
		}
		// container_memory_failcnt is the one counter exposed without _total.
		if (m.Type == Counter) != strings.HasSuffix(m.Name, "_total") && m.Name != "container_memory_failcnt" {
			t.Errorf("%s: a counter must end in _total and only a counter may", m.Name)
		}
		switch m.Source {
		case SourceKubeStateMetrics:
			if m.Stability == "" || !strings.HasPrefix(m.Name, "kube_") {
				t.Errorf("%s: kube-state-metrics family without stability or kube_ prefix", m.Name)
			}
		case SourceCAdvisor:
			if !strings.HasPrefix(m.Name, "container_") || !slices.Contains(m.Labels, "container") {
				t.Errorf("%s: cAdvisor family without container_ prefix or container label", m.Name)
			}
		default:
			t.Errorf("%s: unknown source %q", m.Name, m.Source)
		}
	}
}

func TestKubeLookups(t *testing.T) {
	tests := []struct {
		role KubeRole
		name string
		typ  Type
	}{
		{KubeRestarts, "kube_pod_container_status_restarts_total", Counter},
		{KubeMemoryLimit, "container_spec_memory_limit_bytes", Gauge},
		{KubeOOMEvents, "container_oom_events_total", Counter},
		{KubeCPUThrottled, "container_cpu_cfs_throttled_periods_total", Counter},
		{KubeLastTerminatedReason, "kube_pod_container_status_last_terminated_reason", Gauge},
	}
	for _, tc := range tests {
		m, ok := KubeByRole(tc.role)
		if !ok || m.Name != tc.name || m.Type != tc.typ {
			t.Errorf("KubeByRole(%s) = %s %s, want %s %s", tc.role, m.Name, m.Type, tc.name, tc.typ)
		}
		if byName, _ := KubeByName(tc.name); byName.Role != tc.role {
			t.Errorf("KubeByName(%s).Role = %s, want %s", tc.name, byName.Role, tc.role)
		}
	}
	req, _ := KubeByRole(KubeResourceRequests)
	for _, l := range []string{"resource", "unit", "namespace", "pod", "node"} {
		if !slices.Contains(req.Labels, l) {
			t.Errorf("resource requests lack label %s", l)
		}
	}
	if KubeGPUResource != "nvidia_com_gpu" || KubeUnitInteger != "integer" || KubeReasonOOMKilled != "OOMKilled" {
		t.Error("GPU resource, unit or OOM reason constants changed")
	}
	if _, ok := KubeByName("kube_nope"); ok {
		t.Error("unknown metric found")
	}
}
