package kubernetes_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"

	"github.com/inferobs/inferobs/generators/collector"
	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/kubernetes"
	"github.com/inferobs/inferobs/generators/kubernetes/operatorcfg"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// twoModels: models a and b in namespace llm on vLLM's port 8000, told
// apart by their podLabels (a also copies a selector pod label onto its
// series); c behind a Service; the GPU operator's DCGM exporter.
const twoModels = `environment: "test"
gpus: h100: hourlyCost: 3
models: {
	a: {engine: "vllm", engineVersion: "0.11.0", selector: {namespace: "llm", job: "vllm-a", shard: "blue"}, podLabels: {"app.kubernetes.io/instance": "a"}, gpu: "h100"}
	b: {engine: "vllm", engineVersion: "0.11.0", selector: {namespace: "llm", job: "vllm-b"}, podLabels: {"app.kubernetes.io/instance": "b"}, gpu: "h100"}
	c: {engine: "vllm", engineVersion: "0.11.0", selector: {namespace: "llm", job: "vllm-c"}, podLabels: {"app.kubernetes.io/instance": "c"}, gpu: "h100",
		service: {labels: {app: "c"}, port: "http-metrics"}}
}
workloads: chat: {class: "chat", models: ["a", "b", "c"], slos: {success: {objective: 99.5}, ttft: false, itl: false, completeness: false, headroom: false}}
kubernetes: {
	namespace: "monitoring"
	labels: release: "kps"
	dcgmExporter: {namespace: "gpu-operator", podLabels: app: "nvidia-dcgm-exporter"}
}
`

func testPlan(t *testing.T, src string) *plan.Plan {
	t.Helper()
	s, ds := schema.LoadFiles([]schema.File{{Name: "spec.cue", Data: []byte(src)}})
	if s == nil {
		t.Fatal(ds.Err())
	}
	p, ds := plan.New(s)
	if p == nil {
		t.Fatal(ds.Err())
	}
	return p
}

// A pod as Kubernetes discovery sees it.
type pod struct {
	ns, name, node, phase, ip, container string
	labels                               map[string]string
	ports                                map[string]int // container port name -> number
}

// A Service and the pods its Endpoints list.
type service struct {
	ns, name string
	labels   map[string]string
	ports    map[string]int // service port name -> target (container) port
	pods     []*pod
}

func podMeta(p *pod, b *labels.Builder) {
	b.Set("__meta_kubernetes_namespace", p.ns)
	b.Set("__meta_kubernetes_pod_name", p.name)
	b.Set("__meta_kubernetes_pod_node_name", p.node)
	b.Set("__meta_kubernetes_pod_phase", p.phase)
	b.Set("__meta_kubernetes_pod_container_name", p.container)
	for k, v := range p.labels {
		b.Set(kubernetes.MetaPodLabel(k), v)
		b.Set(kubernetes.MetaPodLabelPresent(k), "true")
	}
}

// start is the label set Prometheus relabels: the discovered labels plus
// what the scrape pool sets first (job, address, path, scheme).
func start(sc *config.ScrapeConfig, addr string, meta func(*labels.Builder)) *labels.Builder {
	b := labels.NewBuilder(labels.EmptyLabels())
	b.Set("job", sc.JobName)
	b.Set("__address__", addr)
	b.Set("__metrics_path__", sc.MetricsPath)
	b.Set("__scheme__", sc.Scheme)
	meta(b)
	return b
}

// podTargets are the pod-role targets of a job: one per container port of
// every pod in the job's namespaces.
func podTargets(sc *config.ScrapeConfig, nss []string, pods []*pod) map[string]labels.Labels {
	out := map[string]labels.Labels{}
	for _, p := range pods {
		if len(nss) > 0 && !slices.Contains(nss, p.ns) {
			continue
		}
		for name, num := range p.ports {
			b := start(sc, fmt.Sprintf("%s:%d", p.ip, num), func(b *labels.Builder) {
				podMeta(p, b)
				b.Set("__meta_kubernetes_pod_container_port_name", name)
				b.Set("__meta_kubernetes_pod_container_port_number", fmt.Sprint(num))
			})
			if relabel.ProcessBuilder(b, sc.RelabelConfigs...) {
				out[fmt.Sprintf("%s/%s:%d", p.ns, p.name, num)] = finish(b)
			}
		}
	}
	return out
}

// endpointTargets are the endpoints-role targets: one per Service port and
// listed pod, with the pod's meta labels where a container port matches.
func endpointTargets(sc *config.ScrapeConfig, nss []string, svcs []*service) map[string]labels.Labels {
	out := map[string]labels.Labels{}
	for _, s := range svcs {
		if len(nss) > 0 && !slices.Contains(nss, s.ns) {
			continue
		}
		for port, target := range s.ports {
			for _, p := range s.pods {
				b := start(sc, fmt.Sprintf("%s:%d", p.ip, target), func(b *labels.Builder) {
					b.Set("__meta_kubernetes_service_name", s.name)
					for k, v := range s.labels {
						b.Set("__meta_kubernetes_service_label_"+strings.NewReplacer(".", "_", "/", "_", "-", "_").Replace(k), v)
						b.Set("__meta_kubernetes_service_labelpresent_"+strings.NewReplacer(".", "_", "/", "_", "-", "_").Replace(k), "true")
					}
					b.Set("__meta_kubernetes_endpoint_port_name", port)
					b.Set("__meta_kubernetes_endpoint_address_target_kind", "Pod")
					b.Set("__meta_kubernetes_endpoint_address_target_name", p.name)
					podMeta(p, b)
					for name, num := range p.ports {
						if num == target {
							b.Set("__meta_kubernetes_pod_container_port_name", name)
							b.Set("__meta_kubernetes_pod_container_port_number", fmt.Sprint(num))
						}
					}
				})
				if relabel.ProcessBuilder(b, sc.RelabelConfigs...) {
					out[fmt.Sprintf("%s/%s:%d", p.ns, p.name, target)] = finish(b)
				}
			}
		}
	}
	return out
}

// finish drops the double-underscore labels and sets instance, as the
// scrape pool does after relabelling.
func finish(b *labels.Builder) labels.Labels {
	if b.Get("instance") == "" {
		b.Set("instance", b.Get("__address__"))
	}
	b.Range(func(l labels.Label) {
		if strings.HasPrefix(l.Name, "__") {
			b.Del(l.Name)
		}
	})
	return b.Labels()
}

func decode[T any](t *testing.T, arts []emit.Artifact, path string) *T {
	t.Helper()
	for _, a := range arts {
		if a.Path == path {
			v := new(T)
			if err := yaml.UnmarshalStrict(a.Data, v); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return v
		}
	}
	t.Fatalf("no artifact %s", path)
	return nil
}

// collectorJobs are the collector's scrape jobs, parsed by Prometheus
// (without their kubernetes_sd_configs), by job name.
func collectorJobs(t *testing.T, p *plan.Plan) map[string]*config.ScrapeConfig {
	t.Helper()
	arts, err := collector.Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Receivers struct {
			Prometheus struct {
				Config struct {
					ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
				} `yaml:"config"`
			} `yaml:"prometheus"`
		} `yaml:"receivers"`
	}
	if err := yamlv2.Unmarshal(arts[0].Data, &doc); err != nil {
		t.Fatal(err)
	}
	jobs := map[string]*config.ScrapeConfig{}
	for _, j := range doc.Receivers.Prometheus.Config.ScrapeConfigs {
		delete(j, "kubernetes_sd_configs")
		text, err := yamlv2.Marshal(j)
		if err != nil {
			t.Fatal(err)
		}
		var sc config.ScrapeConfig
		if err := yamlv2.UnmarshalStrict(text, &sc); err != nil {
			t.Fatalf("collector job: %v\n%s", err, text)
		}
		if err := sc.Validate(config.DefaultGlobalConfig); err != nil {
			t.Fatal(err)
		}
		jobs[sc.JobName] = &sc
	}
	return jobs
}

// TestMonitorsSelectOwnPods: models a and b share namespace and port;
// each one's PodMonitor, run the way the operator runs it (the operator's
// scrape job, relabelled by Prometheus's relabel code), keeps exactly its
// own running pods on the engine's port, and writes the labels its
// TargetMatchers select and nothing else: the same labels, target for
// target, as the collector's job for the model. c's ServiceMonitor keeps
// only c's pods behind a Service that also lists one of b's. The DCGM
// monitor keeps the exporters and writes no pod, namespace or container
// label of its own, so the exporter's (the GPU's workload) survive.
func TestMonitorsSelectOwnPods(t *testing.T) {
	p := testPlan(t, twoModels)
	arts, err := kubernetes.Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	ports := func(n int) map[string]int { return map[string]int{"http": n} }
	a1 := &pod{ns: "llm", name: "a-1", node: "gpu-1", phase: "Running", ip: "10.0.0.1", container: "vllm", labels: map[string]string{"app.kubernetes.io/instance": "a", "shard": "blue"}, ports: map[string]int{"http": 8000, "debug": 9090}}
	a2 := &pod{ns: "llm", name: "a-2", node: "gpu-2", phase: "Running", ip: "10.0.0.2", container: "vllm", labels: map[string]string{"app.kubernetes.io/instance": "a", "shard": "blue"}, ports: ports(8000)}
	aDone := &pod{ns: "llm", name: "a-0", node: "gpu-2", phase: "Failed", ip: "10.0.0.9", container: "vllm", labels: map[string]string{"app.kubernetes.io/instance": "a", "shard": "blue"}, ports: ports(8000)}
	aStaging := &pod{ns: "staging", name: "a-s", node: "gpu-3", phase: "Running", ip: "10.0.1.1", container: "vllm", labels: map[string]string{"app.kubernetes.io/instance": "a", "shard": "blue"}, ports: ports(8000)}
	aGreen := &pod{ns: "llm", name: "a-g", node: "gpu-3", phase: "Running", ip: "10.0.0.7", container: "vllm", labels: map[string]string{"app.kubernetes.io/instance": "a", "shard": "green"}, ports: ports(8000)}
	b1 := &pod{ns: "llm", name: "b-1", node: "gpu-1", phase: "Running", ip: "10.0.0.3", container: "vllm", labels: map[string]string{"app.kubernetes.io/instance": "b"}, ports: ports(8000)}
	stranger := &pod{ns: "llm", name: "x-1", node: "gpu-1", phase: "Running", ip: "10.0.0.4", container: "app", labels: map[string]string{"app": "other"}, ports: ports(8000)}
	c1 := &pod{ns: "llm", name: "c-1", node: "gpu-4", phase: "Running", ip: "10.0.0.5", container: "vllm", labels: map[string]string{"app.kubernetes.io/instance": "c", "app": "c"}, ports: map[string]int{"http": 8000, "grpc": 9000}}
	pods := []*pod{a1, a2, aDone, aStaging, aGreen, b1, stranger, c1}
	svcC := &service{ns: "llm", name: "c", labels: map[string]string{"app": "c"}, ports: map[string]int{"http-metrics": 8000, "grpc": 9000}, pods: []*pod{c1, b1}}
	svcOther := &service{ns: "llm", name: "b", labels: map[string]string{"app": "b"}, ports: map[string]int{"http-metrics": 8000}, pods: []*pod{b1}}
	// A second Service of c whose metrics port name leads to the gRPC port.
	svcMisrouted := &service{ns: "llm", name: "c-grpc", labels: map[string]string{"app": "c"}, ports: map[string]int{"http-metrics": 9000}, pods: []*pod{c1}}

	coll := collectorJobs(t, p)
	want := map[string][]string{
		"a": {"llm/a-1:8000", "llm/a-2:8000"},
		"b": {"llm/b-1:8000"},
		"c": {"llm/c-1:8000"},
	}
	for _, m := range p.Models {
		tgt, err := m.Target()
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]labels.Labels
		if m.Spec.Service != nil {
			sm := decode[monitoringv1.ServiceMonitor](t, arts, "kubernetes/servicemonitor-"+m.Name+".yaml")
			jobs, err := operatorcfg.ServiceMonitor(sm)
			if err != nil {
				t.Fatal(err)
			}
			got = endpointTargets(jobs[0].Config, jobs[0].Namespaces, []*service{svcC, svcOther, svcMisrouted})
		} else {
			pm := decode[monitoringv1.PodMonitor](t, arts, "kubernetes/podmonitor-"+m.Name+".yaml")
			jobs, err := operatorcfg.PodMonitor(pm)
			if err != nil {
				t.Fatal(err)
			}
			got = podTargets(jobs[0].Config, jobs[0].Namespaces, pods)
		}
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want[m.Name]) {
			t.Errorf("model %s: monitor keeps %v, want %v", m.Name, keys, want[m.Name])
		}
		// The collector's job for the model, on the same pods.
		viaCollector := podTargets(coll[tgt.Job], []string{"llm"}, pods)
		for key, ls := range got {
			for _, mt := range m.TargetMatchers {
				if !mt.Matches(ls.Get(mt.Name)) {
					t.Errorf("model %s target %s: labels %s do not match the rules' %s", m.Name, key, ls, mt)
				}
			}
			if c, ok := viaCollector[key]; !ok || !labels.Equal(c, ls) {
				t.Errorf("model %s target %s: the monitor writes %s, the collector's job %s", m.Name, key, ls, c)
			}
		}
		if len(viaCollector) != len(got) {
			t.Errorf("model %s: the collector's job keeps %v, the monitor %v", m.Name, slices.Sorted(maps.Keys(viaCollector)), slices.Sorted(maps.Keys(got)))
		}
	}

	// The DCGM exporter: its monitor selects the GPU operator's exporters.
	exporter := &pod{ns: "gpu-operator", name: "nvidia-dcgm-exporter-7xk2p", node: "gpu-1", phase: "Running", ip: "10.0.2.1", container: "nvidia-dcgm-exporter", labels: map[string]string{"app": "nvidia-dcgm-exporter"}, ports: map[string]int{"metrics": library.DCGMDefaultPort}}
	other := &pod{ns: "gpu-operator", name: "node-feature-discovery", node: "gpu-1", phase: "Running", ip: "10.0.2.2", container: "nfd", labels: map[string]string{"app": "nfd"}, ports: map[string]int{"metrics": library.DCGMDefaultPort}}
	pm := decode[monitoringv1.PodMonitor](t, arts, "kubernetes/podmonitor-"+collector.DCGMJob+".yaml")
	jobs, err := operatorcfg.PodMonitor(pm)
	if err != nil {
		t.Fatal(err)
	}
	if !jobs[0].Config.HonorLabels {
		t.Error("DCGM job does not honour the exporter's labels")
	}
	got := podTargets(jobs[0].Config, jobs[0].Namespaces, []*pod{exporter, other, a1})
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, []string{"gpu-operator/nvidia-dcgm-exporter-7xk2p:9400"}) {
		t.Fatalf("DCGM monitor keeps %v", keys)
	}
	viaCollector := podTargets(coll[collector.DCGMJob], nil, []*pod{exporter})
	for key, ls := range got {
		pl, nl, cl := library.DCGMWorkloadLabels(true)
		for _, l := range []string{pl, nl, cl} {
			if ls.Has(l) {
				t.Errorf("DCGM target %s carries %s=%q, which would stand for the GPU's workload", key, l, ls.Get(l))
			}
		}
		if c := viaCollector[key]; !labels.Equal(c, ls) {
			t.Errorf("DCGM target %s: the monitor writes %s, the collector's job %s", key, ls, c)
		}
	}
}

// TestNoMonitorsWithoutBlock: without a kubernetes block, or with
// monitors "none", nothing is emitted.
func TestNoMonitorsWithoutBlock(t *testing.T) {
	base := twoModels[:strings.Index(twoModels, "kubernetes:")]
	for name, src := range map[string]string{
		"no block":      base,
		"monitors none": base + `kubernetes: {namespace: "monitoring", monitors: "none"}` + "\n",
	} {
		arts, err := kubernetes.Generate(testPlan(t, src))
		if err != nil {
			t.Fatal(err)
		}
		if len(arts) > 0 {
			t.Errorf("%s: %d artifacts", name, len(arts))
		}
	}
}
