package collector_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"go.yaml.in/yaml/v3"
	kjson "sigs.k8s.io/json"
	kyaml "sigs.k8s.io/yaml"

	"github.com/inferobs/inferobs/generators/collector"
	"github.com/inferobs/inferobs/generators/emit"
)

const k8sBlock = `
kubernetes: {
	namespace: "observability"
	labels: release: "kube-prometheus-stack"
	annotations: "example.com/owner": "ml"
}
`

// TestOTLPOnlyCollector: with tracing.scrape: false the collector has no
// prometheus receiver and no scrape job; every span feeds spanmetrics
// before tail sampling; the metrics leave by remote write, or, with a
// kubernetes block whose monitors scrape the engines, through a
// prometheus exporter that a PodMonitor has the operator scrape.
func TestOTLPOnlyCollector(t *testing.T) {
	for _, tc := range []struct {
		name, extra string
		exporter    string
	}{
		{"remote write", `tracing: scrape: false`, collector.ExporterRemoteWrite},
		{"monitors none: remote write", k8sBlock + `kubernetes: monitors: "none"` + "\ntracing: scrape: false", collector.ExporterRemoteWrite},
		{"scraped by the operator", k8sBlock + "tracing: scrape: false", collector.ExporterPrometheus},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlan(t, spec("0.140.0", "ms", tc.extra))
			arts, err := collector.Generate(p)
			if err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{}
			for _, a := range arts {
				files[a.Path] = a.Data
			}
			data := files[collector.ArtifactPath]
			c := decode(t, data)
			var raw struct {
				Receivers map[string]any `yaml:"receivers"`
			}
			if err := yaml.Unmarshal(data, &raw); err != nil {
				t.Fatal(err)
			}
			if got := keys(raw.Receivers); !slices.Equal(got, []string{collector.ReceiverOTLP}) {
				t.Errorf("receivers %v, want only otlp", got)
			}
			if bytes.Contains(data, []byte("scrape_configs")) || bytes.Contains(data, []byte("job_name")) {
				t.Error("scrape jobs in an OTLP-only collector")
			}
			sm := p.Tracing.SpanMetrics.Component
			pipes := c.Service.Pipelines
			metrics, all, sampled := pipes[collector.PipelineMetrics], pipes[collector.PipelineTracesAll], pipes[collector.PipelineTracesSample]
			if !slices.Equal(metrics.Receivers, []string{sm}) || !slices.Equal(metrics.Exporters, []string{tc.exporter}) {
				t.Errorf("metrics pipeline %+v, want receivers [%s] exporters [%s]", metrics, sm, tc.exporter)
			}
			if !slices.Equal(all.Receivers, []string{collector.ReceiverOTLP}) || slices.Contains(all.Processors, collector.ProcessorTailSampling) ||
				!slices.Contains(all.Exporters, sm) || !slices.Contains(all.Exporters, collector.ConnectorForward) {
				t.Errorf("%s %+v: must take every OTLP span to %s, unsampled, and forward it", collector.PipelineTracesAll, all, sm)
			}
			if !slices.Equal(sampled.Receivers, []string{collector.ConnectorForward}) || !slices.Contains(sampled.Processors, collector.ProcessorTailSampling) ||
				!slices.Equal(sampled.Exporters, []string{collector.ExporterTraces}) {
				t.Errorf("%s %+v: must tail-sample the forwarded spans to the trace backend", collector.PipelineTracesSample, sampled)
			}
			if _, ok := c.Exporters[tc.exporter]; !ok || len(c.Exporters) != 2 {
				t.Errorf("exporters %v, want %s and %s", keys(c.Exporters), tc.exporter, collector.ExporterTraces)
			}
			pm, hasPM := files[collector.PodMonitorPath]
			if tc.exporter == collector.ExporterRemoteWrite {
				if hasPM || len(arts) != 1 {
					t.Errorf("remote write, yet %d artifacts", len(arts))
				}
				if !bytes.Contains(data, []byte("--web.enable-remote-write-receiver")) || !bytes.Contains(data, []byte("enableRemoteWriteReceiver: true")) {
					t.Error("the header does not say Prometheus needs its remote-write receiver")
				}
				return
			}
			if bytes.Contains(data, []byte(collector.EnvRemoteWriteEndpoint)) {
				t.Error("a remote-write endpoint in a scraped collector")
			}
			checkPodMonitor(t, pm, p.ScrapeInterval)
		})
	}
}

// strictDecode decodes YAML like the API server's strict field
// validation: case-sensitive, unknown and duplicate fields are errors.
func strictDecode(data []byte, obj any) error {
	j, err := kyaml.YAMLToJSONStrict(data)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	if len(strict) > 0 {
		return fmt.Errorf("%v", strict)
	}
	return nil
}

func checkPodMonitor(t *testing.T, data []byte, interval time.Duration) {
	t.Helper()
	if data == nil {
		t.Fatalf("no %s", collector.PodMonitorPath)
	}
	var pm monitoringv1.PodMonitor
	if err := strictDecode(data, &pm); err != nil {
		t.Fatalf("does not decode strictly into a PodMonitor: %v\n%s", err, data)
	}
	if err := strictDecode(bytes.Replace(data, []byte("portNumber:"), []byte("portnumber:"), 1), &monitoringv1.PodMonitor{}); err == nil {
		t.Error("a misspelt portNumber decodes")
	}
	if pm.APIVersion != "monitoring.coreos.com/v1" || pm.Kind != "PodMonitor" || pm.Namespace != "observability" || pm.Name != collector.PodMonitorName {
		t.Errorf("%s %s %s/%s", pm.APIVersion, pm.Kind, pm.Namespace, pm.Name)
	}
	if pm.Labels["release"] != "kube-prometheus-stack" || pm.Labels["app.kubernetes.io/managed-by"] != "inferobs" || pm.Annotations["example.com/owner"] != "ml" {
		t.Errorf("labels %v annotations %v", pm.Labels, pm.Annotations)
	}
	if sel := pm.Spec.Selector; len(sel.MatchLabels) != 1 || sel.MatchLabels[collector.PodLabel] != collector.PodLabelValue || len(sel.MatchExpressions) > 0 {
		t.Errorf("selector %+v", sel)
	}
	if len(pm.Spec.PodMetricsEndpoints) != 1 {
		t.Fatalf("endpoints %+v", pm.Spec.PodMetricsEndpoints)
	}
	ep := pm.Spec.PodMetricsEndpoints[0]
	if ep.PortNumber == nil || *ep.PortNumber != collector.MetricsPort || ep.Port != nil || ep.Path != "/metrics" || !ep.HonorLabels {
		t.Errorf("endpoint %+v", ep)
	}
	if d, err := model.ParseDuration(string(ep.Interval)); err != nil || time.Duration(d) != interval {
		t.Errorf("interval %q, want the scrape interval %s", ep.Interval, interval)
	}
	// The relabelling, as Prometheus loads it, drops the operator's pod
	// target labels and keeps job and instance.
	var cfgs []*relabel.Config
	for _, r := range ep.RelabelConfigs {
		y, err := yaml.Marshal(map[string]any{"action": strings.ToLower(r.Action), "regex": r.Regex})
		if err != nil {
			t.Fatal(err)
		}
		var rc relabel.Config
		if err := yaml.Unmarshal(y, &rc); err != nil {
			t.Fatalf("Prometheus rejects %+v: %v", r, err)
		}
		if err := rc.Validate(model.UTF8Validation); err != nil {
			t.Fatalf("Prometheus rejects %+v: %v", r, err)
		}
		cfgs = append(cfgs, &rc)
	}
	lb := labels.NewBuilder(labels.FromStrings("__address__", "10.0.0.7:8889", "job", "observability/inferobs-collector", "instance", "10.0.0.7:8889",
		"namespace", "observability", "pod", "collector-0", "container", "otelcol", "endpoint", "8889"))
	if !relabel.ProcessBuilder(lb, cfgs...) {
		t.Fatal("the relabelling drops the target")
	}
	if got := lb.Labels().String(); got != `{__address__="10.0.0.7:8889", instance="10.0.0.7:8889", job="observability/inferobs-collector"}` {
		t.Errorf("target labels after relabelling: %s", got)
	}
}

// TestScrapingCollectorWithKubernetesBlock: with scrape still on, the
// collector keeps its jobs and remote write, no PodMonitor, and its header
// says the monitors already scrape the engines.
func TestScrapingCollectorWithKubernetesBlock(t *testing.T) {
	p := newPlan(t, spec("0.140.0", "ms", k8sBlock))
	arts, err := collector.Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 {
		t.Fatalf("artifacts %v", paths(arts))
	}
	c := decode(t, arts[0].Data)
	if len(c.Receivers.Prometheus.Config.ScrapeConfigs) == 0 {
		t.Error("no scrape jobs with tracing.scrape: true")
	}
	for _, want := range []string{"scrapes them twice", "tracing.scrape: false", "--web.enable-remote-write-receiver"} {
		if !bytes.Contains(arts[0].Data, []byte(want)) {
			t.Errorf("header lacks %q", want)
		}
	}
}

func paths(arts []emit.Artifact) []string {
	var out []string
	for _, a := range arts {
		out = append(out, a.Path)
	}
	return out
}
