package library

// Kubernetes platform metrics inferobs reads: kube-state-metrics (pod and
// node objects, HEAD c92fe0c / v2.20.0) and cAdvisor as served by the
// kubelet at /metrics/cadvisor (google/cadvisor docs/storage/prometheus.md).
// GPU use per container is not here: cAdvisor has no accelerator metrics,
// so it comes from DCGM joined on (namespace, pod).

// KubeSource names the exporter of a platform metric.
type KubeSource string

// Platform metric sources.
const (
	SourceKubeStateMetrics KubeSource = "kube-state-metrics"
	SourceCAdvisor         KubeSource = "cadvisor"
)

// KubeRole says what a platform metric measures.
type KubeRole string

// Platform roles.
const (
	KubePodInfo                KubeRole = "pod_info"   // pod -> node, uid, owner kind; the join target
	KubePodOwner               KubeRole = "pod_owner"  // pod -> owning controller
	KubePodLabels              KubeRole = "pod_labels" // label_<name> per allow-listed pod label
	KubePodPhase               KubeRole = "pod_phase"  // one series per phase, value 1 for the current one
	KubePodStatusReason        KubeRole = "pod_status_reason"
	KubeContainerInfo          KubeRole = "container_info" // image and container id
	KubeRestarts               KubeRole = "restarts"       // counter
	KubeLastTerminatedReason   KubeRole = "last_terminated_reason"
	KubeLastTerminatedExitCode KubeRole = "last_terminated_exitcode"
	KubeTerminatedReason       KubeRole = "terminated_reason"
	KubeWaitingReason          KubeRole = "waiting_reason" // CrashLoopBackOff, ImagePullBackOff...
	KubeContainerReady         KubeRole = "container_ready"
	KubeContainerRunning       KubeRole = "container_running"
	KubeResourceRequests       KubeRole = "resource_requests" // by resource and unit; GPUs as nvidia_com_gpu
	KubeResourceLimits         KubeRole = "resource_limits"
	KubeNodeInfo               KubeRole = "node_info"
	KubeNodeCapacity           KubeRole = "node_capacity"
	KubeNodeAllocatable        KubeRole = "node_allocatable"
	KubeCPUUsage               KubeRole = "cpu_usage"             // counter, seconds
	KubeCPUThrottled           KubeRole = "cpu_throttled"         // counter of throttled CFS periods
	KubeCPUThrottledSeconds    KubeRole = "cpu_throttled_seconds" // counter, seconds
	KubeCPUPeriods             KubeRole = "cpu_periods"           // counter of CFS periods
	KubeCPUQuota               KubeRole = "cpu_quota"
	KubeCPUPeriod              KubeRole = "cpu_period"
	KubeMemoryWorkingSet       KubeRole = "memory_working_set" // what the OOM killer compares with the limit
	KubeMemoryRSS              KubeRole = "memory_rss"
	KubeMemoryUsage            KubeRole = "memory_usage"
	KubeMemoryCache            KubeRole = "memory_cache"
	KubeMemoryMaxUsage         KubeRole = "memory_max_usage"
	KubeMemoryFailcnt          KubeRole = "memory_failcnt"
	KubeMemoryLimit            KubeRole = "memory_limit" // container_spec_memory_limit_bytes; 0 when unlimited
	KubeOOMEvents              KubeRole = "oom_events"
	KubeNetworkRx              KubeRole = "network_rx"
	KubeNetworkTx              KubeRole = "network_tx"
	KubeContainerStartTime     KubeRole = "container_start_time"
	KubeContainerLastSeen      KubeRole = "container_last_seen"
)

// KubeMetric is one platform metric family.
type KubeMetric struct {
	Name   string
	Type   Type
	Labels []string // labels the source always sets
	Source KubeSource
	Unit   string // "seconds", "bytes", "count", or "" for info-style and state gauges
	// Stability is kube-state-metrics' level (STABLE, EXPERIMENTAL); empty for cAdvisor.
	Stability string
	Help      string
	Role      KubeRole
}

// Values and names used with the platform metrics.
const (
	// KubeGPUResource is nvidia.com/gpu as kube-state-metrics spells it in
	// the resource label (SanitizeLabelName turns [^a-zA-Z0-9_] into _).
	KubeGPUResource = "nvidia_com_gpu"
	// KubeGPUResourceRaw is the extended-resource name pods request.
	KubeGPUResourceRaw = "nvidia.com/gpu"
	// KubeMIGResourcePrefix starts the extended-resource names of MIG slices.
	KubeMIGResourcePrefix = "nvidia.com/mig-"
	// KubeUnitInteger is the unit label of extended resources such as GPUs.
	KubeUnitInteger = "integer"
	// KubeUnitCore and KubeUnitByte are the unit labels of cpu and memory.
	KubeUnitCore = "core"
	KubeUnitByte = "byte"
	// KubeReasonOOMKilled is the kubelet's termination reason for an OOM
	// kill (a Kubernetes string; kube-state-metrics passes it through raw).
	KubeReasonOOMKilled = "OOMKilled"
	// CAdvisorSandboxContainer is the container value of the pause
	// container's cgroup on runtimes that report it; filter it out together
	// with container="" (the pod-level cgroup).
	CAdvisorSandboxContainer = "POD"
)

// The uid label on pod metrics is documented from kube-state-metrics
// v2.13.0 on (absent in v2.10.0); join on (namespace, pod) to be safe.
var (
	ksmPodLabels       = []string{"namespace", "pod", "uid"}
	ksmContainerLabels = []string{"namespace", "pod", "uid", "container"}
	ksmResourceLabels  = []string{"namespace", "pod", "uid", "container", "node", "resource", "unit"}
	// cadvisorLabels are added by the kubelet (containerPrometheusLabelsFunc).
	cadvisorLabels = []string{"id", "name", "image", "namespace", "pod", "container"}
)

func labelsPlus(base []string, extra ...string) []string {
	return append(append([]string(nil), base...), extra...)
}

func ksm(name string, t Type, labels []string, stability string, role KubeRole, help string) KubeMetric {
	return KubeMetric{Name: name, Type: t, Labels: labels, Source: SourceKubeStateMetrics, Stability: stability, Role: role, Help: help}
}

func cadvisor(name string, t Type, unit string, labels []string, role KubeRole, help string) KubeMetric {
	return KubeMetric{Name: name, Type: t, Unit: unit, Labels: labels, Source: SourceCAdvisor, Role: role, Help: help}
}

// kube-state-metrics stability levels.
const (
	ksmStable       = "STABLE"
	ksmExperimental = "EXPERIMENTAL"
)

var kubeMetrics = []KubeMetric{
	ksm("kube_pod_info", Gauge, labelsPlus(ksmPodLabels, "host_ip", "pod_ip", "node", "created_by_kind", "created_by_name", "priority_class", "host_network"), ksmStable, KubePodInfo, "One series per pod with its node and owner; value 1."),
	ksm("kube_pod_owner", Gauge, labelsPlus(ksmPodLabels, "owner_kind", "owner_name", "owner_is_controller"), ksmStable, KubePodOwner, "The pod's owning object; value 1."),
	ksm("kube_pod_labels", Gauge, ksmPodLabels, ksmStable, KubePodLabels, "Pod labels as label_<name>; only those allowed by --metric-labels-allowlist."),
	ksm("kube_pod_status_phase", Gauge, labelsPlus(ksmPodLabels, "phase"), ksmStable, KubePodPhase, "1 for the pod's current phase (Pending, Running, Succeeded, Failed, Unknown)."),
	ksm("kube_pod_status_reason", Gauge, labelsPlus(ksmPodLabels, "reason"), ksmExperimental, KubePodStatusReason, "1 for the reason a pod is in its state (Evicted, NodeLost...)."),
	ksm("kube_pod_container_info", Gauge, labelsPlus(ksmContainerLabels, "image", "image_id", "image_spec", "container_id"), ksmStable, KubeContainerInfo, "One series per container with its image; value 1."),
	{Name: "kube_pod_container_status_restarts_total", Type: Counter, Unit: "count", Labels: ksmContainerLabels, Source: SourceKubeStateMetrics, Stability: ksmStable, Role: KubeRestarts, Help: "Container restarts."},
	ksm("kube_pod_container_status_last_terminated_reason", Gauge, labelsPlus(ksmContainerLabels, "reason"), ksmExperimental, KubeLastTerminatedReason, "1 with the reason of the container's previous termination (OOMKilled, Error...)."),
	ksm("kube_pod_container_status_last_terminated_exitcode", Gauge, ksmContainerLabels, ksmExperimental, KubeLastTerminatedExitCode, "Exit code of the container's previous termination."),
	ksm("kube_pod_container_status_terminated_reason", Gauge, labelsPlus(ksmContainerLabels, "reason"), ksmExperimental, KubeTerminatedReason, "1 with the reason while the container is terminated."),
	ksm("kube_pod_container_status_waiting_reason", Gauge, labelsPlus(ksmContainerLabels, "reason"), ksmStable, KubeWaitingReason, "1 with the reason while the container waits (CrashLoopBackOff...)."),
	ksm("kube_pod_container_status_ready", Gauge, ksmContainerLabels, ksmStable, KubeContainerReady, "1 when the container passes its readiness probe."),
	ksm("kube_pod_container_status_running", Gauge, ksmContainerLabels, ksmStable, KubeContainerRunning, "1 while the container runs."),
	ksm("kube_pod_container_resource_requests", Gauge, ksmResourceLabels, ksmStable, KubeResourceRequests, "Requested amount per resource and unit (GPUs: resource nvidia_com_gpu unit integer)."),
	ksm("kube_pod_container_resource_limits", Gauge, ksmResourceLabels, ksmStable, KubeResourceLimits, "Limit per resource and unit."),
	ksm("kube_node_info", Gauge, []string{"node"}, ksmStable, KubeNodeInfo, "One series per node; value 1."),
	ksm("kube_node_status_capacity", Gauge, []string{"node", "resource", "unit"}, ksmStable, KubeNodeCapacity, "Node capacity per resource."),
	ksm("kube_node_status_allocatable", Gauge, []string{"node", "resource", "unit"}, ksmStable, KubeNodeAllocatable, "Node capacity left for pods per resource."),

	cadvisor("container_cpu_usage_seconds_total", Counter, "seconds", cadvisorLabels, KubeCPUUsage, "CPU time used."),
	cadvisor("container_cpu_cfs_throttled_periods_total", Counter, "count", cadvisorLabels, KubeCPUThrottled, "CFS periods in which the container hit its CPU quota."),
	cadvisor("container_cpu_cfs_throttled_seconds_total", Counter, "seconds", cadvisorLabels, KubeCPUThrottledSeconds, "Time the container was held back by its CPU quota."),
	cadvisor("container_cpu_cfs_periods_total", Counter, "count", cadvisorLabels, KubeCPUPeriods, "CFS periods elapsed while the container was runnable."),
	cadvisor("container_spec_cpu_quota", Gauge, "", cadvisorLabels, KubeCPUQuota, "CFS quota per period in microseconds (the CPU limit)."),
	cadvisor("container_spec_cpu_period", Gauge, "", cadvisorLabels, KubeCPUPeriod, "CFS period in microseconds."),
	cadvisor("container_memory_working_set_bytes", Gauge, "bytes", cadvisorLabels, KubeMemoryWorkingSet, "Memory the kernel cannot reclaim easily; compared with the limit for OOM kills."),
	cadvisor("container_memory_rss", Gauge, "bytes", cadvisorLabels, KubeMemoryRSS, "Anonymous memory."),
	cadvisor("container_memory_usage_bytes", Gauge, "bytes", cadvisorLabels, KubeMemoryUsage, "All memory charged to the cgroup including page cache."),
	cadvisor("container_memory_cache", Gauge, "bytes", cadvisorLabels, KubeMemoryCache, "Page cache charged to the cgroup."),
	cadvisor("container_memory_max_usage_bytes", Gauge, "bytes", cadvisorLabels, KubeMemoryMaxUsage, "Peak memory usage."),
	cadvisor("container_memory_failcnt", Counter, "count", cadvisorLabels, KubeMemoryFailcnt, "Times the cgroup hit its memory limit."),
	cadvisor("container_spec_memory_limit_bytes", Gauge, "bytes", cadvisorLabels, KubeMemoryLimit, "Memory limit; 0 when unlimited."),
	cadvisor("container_oom_events_total", Counter, "count", cadvisorLabels, KubeOOMEvents, "OOM kills inside the container."),
	cadvisor("container_network_receive_bytes_total", Counter, "bytes", labelsPlus(cadvisorLabels, "interface"), KubeNetworkRx, "Bytes received (pod network namespace)."),
	cadvisor("container_network_transmit_bytes_total", Counter, "bytes", labelsPlus(cadvisorLabels, "interface"), KubeNetworkTx, "Bytes sent (pod network namespace)."),
	cadvisor("container_start_time_seconds", Gauge, "seconds", cadvisorLabels, KubeContainerStartTime, "Start time as Unix seconds."),
	cadvisor("container_last_seen", Gauge, "seconds", cadvisorLabels, KubeContainerLastSeen, "When cAdvisor last saw the container, Unix seconds."),
}

// KubeMetrics returns every platform metric in a stable order:
// kube-state-metrics first, then cAdvisor.
func KubeMetrics() []KubeMetric { return append([]KubeMetric(nil), kubeMetrics...) }

// KubeByRole returns the metric that plays role r.
func KubeByRole(r KubeRole) (KubeMetric, bool) {
	for _, m := range kubeMetrics {
		if m.Role == r {
			return m, true
		}
	}
	return KubeMetric{}, false
}

// KubeByName returns the metric named n.
func KubeByName(n string) (KubeMetric, bool) {
	for _, m := range kubeMetrics {
		if m.Name == n {
			return m, true
		}
	}
	return KubeMetric{}, false
}

// Size limits an object inferobs writes for Kubernetes meets on its way to
// Prometheus.
const (
	// KubeMaxObjectBytes: a ConfigMap's data may not exceed 1 MiB
	// (k8s.io/api core/v1 MaxSecretSize, which ConfigMap validation
	// applies), and etcd refuses requests over 1.5 MiB.
	KubeMaxObjectBytes = 1 << 20
	// PrometheusRuleMaxRenderedBytes: the Prometheus Operator refuses a
	// PrometheusRule whose spec, rendered as a rule file, exceeds half of
	// MaxSecretSize (pkg/operator/rules.go MaxConfigMapDataSize and
	// ValidateRule, v0.93.0), in its admission webhook and when it
	// selects rules.
	PrometheusRuleMaxRenderedBytes = KubeMaxObjectBytes / 2
)
