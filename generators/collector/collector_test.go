package collector_test

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/relabel"
	"go.yaml.in/yaml/v3"

	"github.com/inferobs/inferobs/generators/collector"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// spec returns a gateway spec; collectorVersion, unit and extra CUE are
// the knobs the tests turn.
func spec(collectorVersion, unit, extra string) string {
	return fmt.Sprintf(`
environment: "test-env"
target: prometheus: "3"
gpus: "H100": hourlyCost: 3
models: {
	"mistral": {
		engine: "tgi"
		engineVersion: "3.3"
		selector: {namespace: "llm", job: "tgi-mistral", app: "tgi"}
		gpu: "H100"
	}
	"llama": {
		engine: "vllm"
		engineVersion: "0.11.0"
		servedName: "meta-llama/Llama-3.1-8B-Instruct"
		selector: {namespace: "llm"}
		podLabels: {"app.kubernetes.io/name": "vllm-llama"}
		gpu: "H100"
	}
}
tenants: {"gold": highValue: true, "acme": {}, "bronze": {}, "platinum": highValue: true}
workloads: "code": {
	class: "code"
	models: ["mistral"]
	tenants: ["gold", "acme", "platinum"]
	slos: {
		ttft: {threshold: "750ms", objective: 95, source: "gateway"}
		e2e: {threshold: "5s", objective: 99, source: "gateway"}
	}
}
tracing: {
	collectorVersion: %q
	unit: %q
	dimensions: ["gen_ai.operation.name"]
	spans: {ttft: "gen_ai.first_token", e2e: "gen_ai.completion"}
	sampling: {baselinePercent: 2.5, slowThreshold: "2s", decisionWait: "15s"}
}
%s`, collectorVersion, unit, extra)
}

func newPlan(t *testing.T, src string) *plan.Plan {
	t.Helper()
	s, ds := schema.LoadFiles([]schema.File{{Name: "spec.cue", Data: []byte(src)}})
	if ds.HasErrors() {
		t.Fatalf("spec: %v", ds.Err())
	}
	p, ds := plan.New(s)
	if p == nil {
		t.Fatalf("plan: %v", ds.Err())
	}
	return p
}

func generate(t *testing.T, p *plan.Plan) []byte {
	t.Helper()
	arts, err := collector.Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || arts[0].Path != collector.ArtifactPath {
		t.Fatalf("artifacts %v", arts)
	}
	return arts[0].Data
}

// config is the decoded file, typed where the tests look.
type config struct {
	Receivers struct {
		OTLP       map[string]any `yaml:"otlp"`
		Prometheus struct {
			Config struct {
				ScrapeConfigs []scrapeConfig `yaml:"scrape_configs"`
			} `yaml:"config"`
		} `yaml:"prometheus"`
	} `yaml:"receivers"`
	Processors map[string]yaml.Node `yaml:"processors"`
	Connectors map[string]yaml.Node `yaml:"connectors"`
	Exporters  map[string]yaml.Node `yaml:"exporters"`
	Service    struct {
		Pipelines map[string]struct {
			Receivers  []string `yaml:"receivers"`
			Processors []string `yaml:"processors"`
			Exporters  []string `yaml:"exporters"`
		} `yaml:"pipelines"`
	} `yaml:"service"`
}

type scrapeConfig struct {
	JobName        string            `yaml:"job_name"`
	ScrapeInterval string            `yaml:"scrape_interval"`
	MetricsPath    string            `yaml:"metrics_path"`
	HonorLabels    bool              `yaml:"honor_labels"`
	SD             []map[string]any  `yaml:"kubernetes_sd_configs"`
	Relabel        []*relabel.Config `yaml:"relabel_configs"`
}

type spanMetricsConfig struct {
	Histogram struct {
		Unit     string `yaml:"unit"`
		Explicit struct {
			Buckets []string `yaml:"buckets"`
		} `yaml:"explicit"`
	} `yaml:"histogram"`
	Namespace  *string `yaml:"namespace"`
	Dimensions []struct {
		Name string `yaml:"name"`
	} `yaml:"dimensions"`
	Exemplars struct {
		Enabled bool `yaml:"enabled"`
	} `yaml:"exemplars"`
}

type tailSamplingConfig struct {
	DecisionWait string `yaml:"decision_wait"`
	Policies     []struct {
		Name       string `yaml:"name"`
		Type       string `yaml:"type"`
		StatusCode struct {
			StatusCodes []string `yaml:"status_codes"`
		} `yaml:"status_code"`
		Latency struct {
			ThresholdMs int64 `yaml:"threshold_ms"`
		} `yaml:"latency"`
		StringAttribute struct {
			Key    string   `yaml:"key"`
			Values []string `yaml:"values"`
		} `yaml:"string_attribute"`
		Probabilistic struct {
			SamplingPercentage float64 `yaml:"sampling_percentage"`
		} `yaml:"probabilistic"`
	} `yaml:"policies"`
}

func decode(t *testing.T, data []byte) config {
	t.Helper()
	var c config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("decode: %v\n%s", err, data)
	}
	return c
}

func (c config) spanMetrics(t *testing.T, key string) spanMetricsConfig {
	t.Helper()
	n, ok := c.Connectors[key]
	if !ok {
		t.Fatalf("no connector %q in %v", key, keys(c.Connectors))
	}
	var sm spanMetricsConfig
	if err := n.Decode(&sm); err != nil {
		t.Fatal(err)
	}
	return sm
}

func (c config) tailSampling(t *testing.T) tailSamplingConfig {
	t.Helper()
	n, ok := c.Processors[collector.ProcessorTailSampling]
	if !ok {
		t.Fatal("no tail_sampling")
	}
	var ts tailSamplingConfig
	if err := n.Decode(&ts); err != nil {
		t.Fatal(err)
	}
	return ts
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestHeaderAndDeterminism(t *testing.T) {
	for _, src := range []string{spec("0.140.0", "ms", ""), spec("0.108.0", "s", ""), noTracing} {
		p := newPlan(t, src)
		a, b := generate(t, p), generate(t, newPlan(t, src))
		if !bytes.Equal(a, b) {
			t.Error("two runs differ")
		}
		if !bytes.HasPrefix(a, []byte("# Generated by inferobs from the spec; do not edit.\n")) {
			t.Errorf("header: %q", a[:80])
		}
		if regexp.MustCompile(`\d{4}-\d\d-\d\d|v\d+\.\d+\.\d+`).Match(a[:bytes.Index(a, []byte("\nreceivers:"))]) {
			t.Errorf("header carries a date or an inferobs version:\n%s", a)
		}
	}
}

// A 750ms gateway TTFT threshold becomes the bucket "750ms" of the
// connector, and the SLI selects the le the connector writes for it.
func TestGatewayThresholdIsABucket(t *testing.T) {
	tests := []struct {
		unit, bucket, le string
	}{
		{"ms", "750ms", "750"},
		{"s", "0.75s", "0.75"},
	}
	for _, tt := range tests {
		t.Run(tt.unit, func(t *testing.T) {
			p := newPlan(t, spec("0.140.0", tt.unit, ""))
			c := decode(t, generate(t, p))
			sm := c.spanMetrics(t, p.Tracing.SpanMetrics.Component)
			if sm.Histogram.Unit != tt.unit {
				t.Errorf("histogram.unit %q, want %q written explicitly", sm.Histogram.Unit, tt.unit)
			}
			if !slices.Contains(sm.Histogram.Explicit.Buckets, tt.bucket) {
				t.Errorf("buckets %v lack %s", sm.Histogram.Explicit.Buckets, tt.bucket)
			}
			// Every plan bucket is there, in order, and reads back to itself.
			if len(sm.Histogram.Explicit.Buckets) != len(p.Tracing.Buckets) {
				t.Fatalf("buckets %v, plan %v", sm.Histogram.Explicit.Buckets, p.Tracing.Buckets)
			}
			for i, b := range sm.Histogram.Explicit.Buckets {
				d, err := time.ParseDuration(b)
				if err != nil || d != p.Tracing.Buckets[i] || !strings.HasSuffix(b, tt.unit) {
					t.Errorf("bucket %q reads as %v (%v), plan %v", b, d, err, p.Tracing.Buckets[i])
				}
			}
			var ttft *plan.SLO
			for _, s := range p.SLOs {
				if s.Kind == library.SLOTTFT && s.Source == schema.SourceGateway {
					ttft = s
				}
			}
			if ttft == nil {
				t.Fatal("no gateway TTFT SLO")
			}
			if ttft.SLI.LeTexts[0] != tt.le {
				t.Errorf("le texts %v, want %s first", ttft.SLI.LeTexts, tt.le)
			}
			var le *struct{ ok bool }
			for _, m := range ttft.SLI.Good[0].Matchers {
				if m.Name == model.BucketLabel {
					le = &struct{ ok bool }{m.Matches(tt.le)}
				}
			}
			if le == nil || !le.ok {
				t.Errorf("the SLI's good selector %v does not select le=%q", ttft.SLI.Good[0].Matchers, tt.le)
			}
		})
	}
}

// Across 0.109.0 the connector's default namespace appears; the plan's SLI
// family follows it. The connector side is computed here from the decoded
// config (namespace, else the version's default, and the unit) by the
// OTel-to-Prometheus rules, independently of the library.
func TestNamingFollowsCollectorVersion(t *testing.T) {
	tests := []struct {
		version, unit        string
		component, defaultNS string
		family, calls        string
	}{
		{"0.108.0", "ms", "spanmetrics", "", "duration_milliseconds", "calls_total"},
		{"0.109.0", "ms", "spanmetrics", "traces.span.metrics", "traces_span_metrics_duration_milliseconds", "traces_span_metrics_calls_total"},
		{"0.109.0", "s", "spanmetrics", "traces.span.metrics", "traces_span_metrics_duration_seconds", "traces_span_metrics_calls_total"},
		{"0.140.0", "ms", "spanmetrics", "traces.span.metrics", "traces_span_metrics_duration_milliseconds", "traces_span_metrics_calls_total"},
		{"0.155.0", "ms", "span_metrics", "traces.span.metrics", "traces_span_metrics_duration_milliseconds", "traces_span_metrics_calls_total"},
	}
	for _, tt := range tests {
		t.Run(tt.version+"/"+tt.unit, func(t *testing.T) {
			p := newPlan(t, spec(tt.version, tt.unit, ""))
			c := decode(t, generate(t, p))
			if keys(c.Connectors)[1] != tt.component && keys(c.Connectors)[0] != tt.component {
				t.Fatalf("connectors %v, want %s", keys(c.Connectors), tt.component)
			}
			sm := c.spanMetrics(t, tt.component)
			ns := tt.defaultNS
			if sm.Namespace != nil {
				t.Errorf("namespace written (%q); it is left at the version's default", *sm.Namespace)
				ns = *sm.Namespace
			}
			prefix := ""
			if ns != "" {
				prefix = strings.ReplaceAll(ns, ".", "_") + "_"
			}
			unitWord := map[string]string{"ms": "milliseconds", "s": "seconds"}[sm.Histogram.Unit]
			connectorFamily, connectorCalls := prefix+"duration_"+unitWord, prefix+"calls_total"
			if connectorFamily != tt.family || connectorCalls != tt.calls {
				t.Errorf("connector side: %s %s, want %s %s", connectorFamily, connectorCalls, tt.family, tt.calls)
			}
			for _, s := range p.SLOs {
				switch {
				case s.Source != schema.SourceGateway:
				case s.Kind.IsLatency():
					if s.SLI.Family != connectorFamily || s.SLI.Good[0].Series != connectorFamily+"_bucket" || s.SLI.Total[0].Series != connectorFamily+"_count" {
						t.Errorf("%s reads %s (%s, %s); the connector writes %s", s.ID, s.SLI.Family, s.SLI.Good[0].Series, s.SLI.Total[0].Series, connectorFamily)
					}
				case s.Kind == library.SLOSuccess:
					if s.SLI.Family != connectorCalls {
						t.Errorf("%s reads %s; the connector writes %s", s.ID, s.SLI.Family, connectorCalls)
					}
				}
			}
		})
	}
}

// TestWorkloadAttributeIsADimension: tracing.workloadAttribute becomes a
// spanmetrics dimension, so the gateway SLIs that select it find it.
func TestWorkloadAttributeIsADimension(t *testing.T) {
	p := newPlan(t, spec("0.140.0", "ms", `tracing: workloadAttribute: "gen_ai.workload"`))
	sm := decode(t, generate(t, p)).spanMetrics(t, p.Tracing.SpanMetrics.Component)
	var dims []string
	for _, d := range sm.Dimensions {
		dims = append(dims, d.Name)
	}
	if want := []string{"gen_ai.request.model", "tenant", "gen_ai.workload", "gen_ai.operation.name"}; !slices.Equal(dims, want) {
		t.Errorf("dimensions %v, want %v", dims, want)
	}
	for _, s := range p.SLOs {
		if s.Source != "gateway" {
			continue
		}
		if sel := s.SLI.Total[0].VectorSelector().String(); !strings.Contains(sel, `gen_ai_workload="code"`) {
			t.Errorf("%s does not select its workload: %s", s.ID, sel)
		}
	}
}

func TestTracingPipelines(t *testing.T) {
	p := newPlan(t, spec("0.140.0", "ms", ""))
	c := decode(t, generate(t, p))
	comp := p.Tracing.SpanMetrics.Component

	sm := c.spanMetrics(t, comp)
	var dims []string
	for _, d := range sm.Dimensions {
		dims = append(dims, d.Name)
	}
	if want := []string{"gen_ai.request.model", "tenant", "gen_ai.operation.name"}; !slices.Equal(dims, want) {
		t.Errorf("dimensions %v, want %v", dims, want)
	}
	if !sm.Exemplars.Enabled {
		t.Error("exemplars off")
	}

	ts := c.tailSampling(t)
	if ts.DecisionWait != "15s" {
		t.Errorf("decision_wait %q", ts.DecisionWait)
	}
	var names []string
	for _, pol := range ts.Policies {
		names = append(names, pol.Name+":"+pol.Type)
		switch pol.Name {
		case collector.PolicyErrors:
			if !slices.Equal(pol.StatusCode.StatusCodes, []string{"ERROR"}) {
				t.Errorf("errors policy %v", pol.StatusCode)
			}
		case collector.PolicySlow:
			// min(slowThreshold 2s, gateway thresholds 750ms and 5s)
			if pol.Latency.ThresholdMs != 750 {
				t.Errorf("slow threshold %d ms, want 750", pol.Latency.ThresholdMs)
			}
		case collector.PolicyHighValue:
			if pol.StringAttribute.Key != "tenant" || !slices.Equal(pol.StringAttribute.Values, []string{"gold", "platinum"}) {
				t.Errorf("high-value policy %+v", pol.StringAttribute)
			}
		case collector.PolicyBaseline:
			if pol.Probabilistic.SamplingPercentage != 2.5 {
				t.Errorf("baseline %v", pol.Probabilistic.SamplingPercentage)
			}
		}
	}
	if want := []string{"errors:status_code", "slow:latency", "high-value-tenants:string_attribute", "baseline:probabilistic"}; !slices.Equal(names, want) {
		t.Errorf("policies %v, want %v", names, want)
	}

	pipes := c.Service.Pipelines
	all, sampled, metrics := pipes[collector.PipelineTracesAll], pipes[collector.PipelineTracesSample], pipes[collector.PipelineMetrics]
	if slices.Contains(all.Processors, collector.ProcessorTailSampling) || !slices.Contains(all.Exporters, comp) {
		t.Errorf("%s must feed %s unsampled: %+v", collector.PipelineTracesAll, comp, all)
	}
	if !slices.Contains(all.Exporters, collector.ConnectorForward) || !slices.Equal(sampled.Receivers, []string{collector.ConnectorForward}) {
		t.Errorf("the sampled pipeline must receive from %s: %+v %+v", collector.ConnectorForward, all, sampled)
	}
	if !slices.Contains(sampled.Processors, collector.ProcessorTailSampling) || !slices.Equal(sampled.Exporters, []string{collector.ExporterTraces}) {
		t.Errorf("%s: %+v", collector.PipelineTracesSample, sampled)
	}
	if !slices.Equal(metrics.Receivers, []string{collector.ReceiverPrometheus, comp}) || !slices.Equal(metrics.Exporters, []string{collector.ExporterRemoteWrite}) {
		t.Errorf("%s: %+v", collector.PipelineMetrics, metrics)
	}
	// Every component a pipeline names is defined, and every defined one is used.
	used := map[string]bool{}
	for name, pl := range pipes {
		for _, id := range slices.Concat(pl.Receivers, pl.Processors, pl.Exporters) {
			used[id] = true
			_, r := map[string]bool{collector.ReceiverOTLP: c.Receivers.OTLP != nil, collector.ReceiverPrometheus: true}[id]
			_, pr := c.Processors[id]
			_, cn := c.Connectors[id]
			_, ex := c.Exporters[id]
			if !r && !pr && !cn && !ex {
				t.Errorf("pipeline %s names undefined component %s", name, id)
			}
		}
	}
	for _, id := range slices.Concat(keys(c.Processors), keys(c.Connectors), keys(c.Exporters)) {
		if !used[id] {
			t.Errorf("%s is defined but no pipeline uses it", id)
		}
	}
}

const noTracing = `
environment: "plain"
gpus: "H100": hourlyCost: 3
models: "llama": {
	engine: "vllm"
	engineVersion: "0.11.0"
	selector: {namespace: "llm", job: "vllm-llama"}
	gpu: "H100"
}
`

func TestWithoutTracing(t *testing.T) {
	p := newPlan(t, noTracing)
	data := generate(t, p)
	c := decode(t, data)
	if c.Receivers.OTLP != nil || len(c.Connectors) != 0 {
		t.Errorf("otlp receiver or connectors without tracing")
	}
	if _, ok := c.Processors[collector.ProcessorTailSampling]; ok {
		t.Error("tail_sampling without tracing")
	}
	if want := []string{collector.PipelineMetrics}; !slices.Equal(keys(c.Service.Pipelines), want) {
		t.Errorf("pipelines %v, want %v", keys(c.Service.Pipelines), want)
	}
	var jobs []string
	for _, sc := range c.Receivers.Prometheus.Config.ScrapeConfigs {
		jobs = append(jobs, sc.JobName)
	}
	if want := []string{"vllm-llama", collector.DCGMJob}; !slices.Equal(jobs, want) {
		t.Errorf("jobs %v, want %v", jobs, want)
	}
	if bytes.Contains(data, []byte(collector.EnvTracesEndpoint)) {
		t.Error("traces endpoint without tracing")
	}
}

func TestScrapeJobs(t *testing.T) {
	p := newPlan(t, spec("0.140.0", "ms", `target: scrapeInterval: "10s"`))
	c := decode(t, generate(t, p))
	byJob := map[string]scrapeConfig{}
	for _, sc := range c.Receivers.Prometheus.Config.ScrapeConfigs {
		byJob[sc.JobName] = sc
		for _, r := range sc.Relabel {
			if err := r.Validate(model.UTF8Validation); err != nil {
				t.Errorf("job %s: Prometheus rejects a relabel rule: %v", sc.JobName, err)
			}
		}
	}
	type rule struct{ src, target, regex, action string }
	rules := func(sc scrapeConfig) []rule {
		var out []rule
		for _, r := range sc.Relabel {
			var src []string
			for _, l := range r.SourceLabels {
				src = append(src, string(l))
			}
			out = append(out, rule{strings.Join(src, ","), r.TargetLabel, r.Regex.String(), string(r.Action)})
		}
		return out
	}
	tests := []struct {
		job, port, ns string
		honor         bool
		want, absent  []rule
	}{
		// The selector's job names the job; app is taken for a pod label,
		// kept and copied onto the series.
		{job: "tgi-mistral", port: "80", ns: "llm", want: []rule{
			{"__meta_kubernetes_pod_label_app", "", "tgi", "keep"},
			{"__meta_kubernetes_pod_label_app", "app", "(.*)", "replace"},
			{"__meta_kubernetes_namespace", "namespace", "(.*)", "replace"},
			{"__meta_kubernetes_pod_name", "pod", "(.*)", "replace"},
		}},
		// No job label: inferobs-<model>; podLabels filter without copying.
		{job: "inferobs-llama", port: "8000", ns: "llm", want: []rule{
			{"__meta_kubernetes_pod_label_app_kubernetes_io_name", "", "vllm-llama", "keep"},
		}, absent: []rule{
			{"__meta_kubernetes_pod_label_app_kubernetes_io_name", "app_kubernetes_io_name", "(.*)", "replace"},
		}},
		{job: collector.DCGMJob, port: "9400", honor: true, absent: []rule{
			{"__meta_kubernetes_namespace", "namespace", "(.*)", "replace"},
		}},
	}
	for _, tt := range tests {
		sc, ok := byJob[tt.job]
		if !ok {
			t.Errorf("no job %s in %v", tt.job, keys(byJob))
			continue
		}
		if sc.ScrapeInterval != "10s" || sc.MetricsPath != "/metrics" || sc.HonorLabels != tt.honor {
			t.Errorf("%s: interval %s path %s honor %v", tt.job, sc.ScrapeInterval, sc.MetricsPath, sc.HonorLabels)
		}
		if len(sc.SD) != 1 || sc.SD[0]["role"] != "pod" {
			t.Errorf("%s: discovery %v", tt.job, sc.SD)
		}
		gotNS := fmt.Sprint(sc.SD[0]["namespaces"])
		if (tt.ns == "") != (sc.SD[0]["namespaces"] == nil) || (tt.ns != "" && gotNS != "map[names:["+tt.ns+"]]") {
			t.Errorf("%s: namespaces %s, want %q", tt.job, gotNS, tt.ns)
		}
		got := rules(sc)
		if want := (rule{"__meta_kubernetes_pod_container_port_number", "", tt.port, "keep"}); !slices.Contains(got, want) {
			t.Errorf("%s: no port keep %v in %v", tt.job, want, got)
		}
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: missing %v in %v", tt.job, w, got)
			}
		}
		for _, a := range tt.absent {
			if slices.Contains(got, a) {
				t.Errorf("%s: unexpected %v", tt.job, a)
			}
		}
	}
}

// Every "$" of the spec reaches the file doubled: the collector expands
// ${...} in every string and reads "$$" as one dollar.
func TestDollarEscaping(t *testing.T) {
	src := strings.Replace(spec("0.140.0", "ms", ""), `app: "tgi"`, `app: "tgi$1"`, 1)
	src = strings.Replace(src, `environment: "test-env"`, `environment: "env-${HOME}"`, 1)
	p := newPlan(t, src)
	data := generate(t, p)
	if !bytes.Contains(data, []byte(`tgi\$$1`)) || !bytes.Contains(data, []byte(`env-$${HOME}`)) {
		t.Errorf("dollars not doubled:\n%s", data)
	}
	// The only single-dollar references are the endpoint variables (comments
	// are not expanded).
	var body []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			body = append(body, l)
		}
	}
	for _, m := range regexp.MustCompile(`(^|[^$])\$\{[^}]*\}`).FindAllString(strings.Join(body, "\n"), -1) {
		if !strings.Contains(m, "${env:INFEROBS_") {
			t.Errorf("unescaped reference %q", m)
		}
	}
}

func TestRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *plan.Plan)
		want   string
	}{
		{"forbidden dimension", func(p *plan.Plan) {
			p.Tracing.Spec.Dimensions = append(p.Tracing.Spec.Dimensions, "user.id")
			p.ForbiddenLabels = append(p.ForbiddenLabels, "user_id")
		}, "forbidden label \"user_id\""},
		{"forbidden tenant attribute", func(p *plan.Plan) {
			p.ForbiddenLabels = append(p.ForbiddenLabels, "tenant")
		}, "forbidden"},
		{"reserved dimension", func(p *plan.Plan) {
			p.Tracing.Spec.Dimensions = append(p.Tracing.Spec.Dimensions, "span.kind")
		}, "always adds"},
		{"sub-millisecond slow threshold", func(p *plan.Plan) {
			p.Tracing.SlowThreshold = 1500 * time.Microsecond
		}, "whole number of milliseconds"},
		{"shared job, different targets", func(p *plan.Plan) {
			p.Models[0].Spec.Selector = map[string]string{"namespace": "a", "job": "same"}
			p.Models[1].Spec.Selector = map[string]string{"namespace": "b", "job": "same"}
		}, "share the scrape job"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlan(t, spec("0.140.0", "ms", ""))
			tt.mutate(p)
			_, err := collector.Generate(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// A forbidden label is never created as a target label; the job loses it
// instead of failing the compile.
func TestForbiddenTargetLabelIsSkipped(t *testing.T) {
	p := newPlan(t, noTracing)
	p.ForbiddenLabels = append(p.ForbiddenLabels, "node")
	c := decode(t, generate(t, p))
	sc := c.Receivers.Prometheus.Config.ScrapeConfigs[0]
	for _, r := range sc.Relabel {
		if r.TargetLabel == "node" {
			t.Errorf("%s sets the forbidden label node", sc.JobName)
		}
	}
}

func TestBucketText(t *testing.T) {
	tests := []struct {
		unit string
		d    time.Duration
		want string
	}{
		{"ms", 750 * time.Millisecond, "750ms"},
		{"ms", 15 * time.Second, "15000ms"},
		{"ms", 2500 * time.Microsecond, "2.5ms"},
		{"s", 750 * time.Millisecond, "0.75s"},
		{"s", 2 * time.Millisecond, "0.002s"},
		{"s", 10 * time.Second, "10s"},
		{"s", 1118 * time.Millisecond, "1.118s"}, // Duration.Seconds() gives 1.1179999999999999
		{"ms", 1118 * time.Millisecond, "1118ms"},
		{"ms", 1500 * time.Nanosecond, "0.0015ms"},
	}
	for _, tt := range tests {
		sm, err := library.SpanMetricsFor(library.V(0, 140, 0), tt.unit)
		if err != nil {
			t.Fatal(err)
		}
		got := collector.Bucket(sm, tt.d)
		back, err := time.ParseDuration(got)
		if got != tt.want || err != nil || back != tt.d {
			t.Errorf("Bucket(%s, %s) = %q (reads back as %v, %v), want %q", tt.unit, tt.d, got, back, err, tt.want)
		}
	}
}

// Each model's scrape job keeps the container port its engine version
// serves /metrics on (TGI 2.x-3.x: the main HTTP port, 80 in the official
// image), or the spec's metricsPort.
func TestScrapePortPerModel(t *testing.T) {
	extra := `models: {
	"tgi22": {engine: "tgi", engineVersion: "2.2", selector: {namespace: "llm", job: "tgi-22"}, podLabels: app: "tgi-22", gpu: "H100"}
	"tgi32": {engine: "tgi", engineVersion: "3.2", selector: {namespace: "llm", job: "tgi-32"}, gpu: "H100", metricsPort: 8080}
	"llama": metricsPort: 9090
}`
	p := newPlan(t, spec("0.140.0", "ms", extra))
	c := decode(t, generate(t, p))
	want := map[string]string{"tgi-22": "80", "tgi-32": "8080", "tgi-mistral": "80", "inferobs-llama": "9090", collector.DCGMJob: "9400"}
	got := map[string]string{}
	for _, sc := range c.Receivers.Prometheus.Config.ScrapeConfigs {
		for _, r := range sc.Relabel {
			if len(r.SourceLabels) == 1 && r.SourceLabels[0] == "__meta_kubernetes_pod_container_port_number" && r.Action == "keep" {
				got[sc.JobName] = r.Regex.String()
			}
		}
	}
	for job, port := range want {
		if got[job] != port {
			t.Errorf("job %s keeps container port %q, want %q (all: %v)", job, got[job], port, got)
		}
	}
	for _, m := range p.Models {
		if m.Name == "tgi22" && m.MetricsPort() != 80 {
			t.Errorf("tgi22 MetricsPort %d", m.MetricsPort())
		}
	}
}
