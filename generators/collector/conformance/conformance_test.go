package conformance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/connector/spanmetricsconnector"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/xconfmap"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/connector/forwardconnector"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/inferobs/inferobs/generators/collector"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
	"github.com/inferobs/inferobs/schema/diag"
)

const (
	contribPrefix = "github.com/open-telemetry/opentelemetry-collector-contrib/"
	corePrefix    = "go.opentelemetry.io/collector/"
)

// release is the collector-contrib version this module pins, read from
// go.mod so a bump needs no edit here. Test binaries carry no module list
// in their build info.
func release(t *testing.T) library.Version {
	t.Helper()
	data, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	versions := map[string]bool{}
	core := map[string]bool{} // pinned core versions: one v1 and one v0 line
	var v string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.HasPrefix(f[0], contribPrefix) && strings.HasPrefix(f[1], "v") {
			versions[f[1]] = true
			v = f[1]
		}
		if len(f) == 4 && f[1] == "=>" && strings.HasPrefix(f[0], corePrefix) {
			core[f[3]] = true
		}
	}
	if len(versions) != 1 {
		t.Fatalf("collector-contrib modules are at %d releases %v: pin them to one", len(versions), versions)
	}
	if len(core) != 2 {
		t.Fatalf("collector core modules are pinned to %v: want one release (its v1 and v0 versions)", core)
	}
	rv, err := library.ParseVersion(v)
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

// testSpec is a gateway-measured spec for the pinned release: a 750ms TTFT
// and a 5s e2e SLO per tenant, a high-value tenant, an extra dimension.
func testSpec(version library.Version, unit string) string {
	return fmt.Sprintf(`
environment: "conformance"
gpus: "H100": hourlyCost: 3
models: "m": {
	engine: "tgi"
	engineVersion: "3.3"
	selector: {namespace: "llm", job: "tgi-m", app: "tgi-$m"}
	gpu: "H100"
}
tenants: {"gold": highValue: true, "$tin": highValue: true}
workloads: "w": {
	class: "code"
	models: ["m"]
	tenants: ["gold", "$tin"]
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
	sampling: {baselinePercent: 2.5, slowThreshold: "3s", decisionWait: "15s"}
}
`, version.String(), unit)
}

type subject struct {
	name string
	plan *plan.Plan
}

// subjects plans the examples and the test specs. It plans with schema and
// plan directly rather than through compiler.Compile: the other generators
// are not under test here, and leaving them out keeps the build small.
func subjects(t *testing.T) []subject {
	t.Helper()
	var out []subject
	for _, ex := range []string{"quickstart", "platform"} {
		s, ds := schema.Load(filepath.Join("..", "..", "..", "examples", ex))
		out = append(out, subject{"examples/" + ex, mustPlan(t, ex, s, ds)})
	}
	rel := release(t)
	for _, unit := range []string{"ms", "s"} {
		s, ds := schema.LoadFiles([]schema.File{{Name: "conformance.cue", Data: []byte(testSpec(rel, unit))}})
		out = append(out, subject{"spec@" + rel.String() + "/" + unit, mustPlan(t, "test spec", s, ds)})
	}
	// The OTLP-only collector (tracing.scrape: false): its metrics leave
	// by remote write, or, with a kubernetes block whose monitors scrape
	// the engines, through the prometheus exporter.
	for _, v := range []struct{ name, extra string }{
		{"otlp-only", "tracing: scrape: false\n"},
		{"otlp-only+kubernetes", "tracing: scrape: false\nkubernetes: namespace: \"observability\"\n"},
	} {
		name, extra := v.name, v.extra
		spec := testSpec(rel, "ms")
		if strings.Contains(extra, "kubernetes:") {
			// A "$" is no Kubernetes label value: no pod could carry it.
			spec = strings.ReplaceAll(spec, `app: "tgi-$m"`, `app: "tgi-m"`)
		}
		s, ds := schema.LoadFiles([]schema.File{{Name: "conformance.cue", Data: []byte(spec + extra)}})
		out = append(out, subject{"spec@" + rel.String() + "/" + name, mustPlan(t, "test spec", s, ds)})
	}
	return out
}

func mustPlan(t *testing.T, what string, s *schema.Spec, ds diag.List) *plan.Plan {
	t.Helper()
	if ds.HasErrors() {
		t.Fatalf("%s: %v", what, ds.Err())
	}
	p, ds := plan.New(s)
	if p == nil {
		t.Fatalf("%s: %v", what, ds.Err())
	}
	return p
}

// resolve loads the generated file the way the collector does.
func resolve(t *testing.T, p *plan.Plan) *confmap.Conf {
	t.Helper()
	arts, err := collector.Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	for _, a := range arts {
		if a.Path == collector.ArtifactPath {
			data = a.Data
		}
	}
	if data == nil {
		t.Fatalf("no %s", collector.ArtifactPath)
	}
	path := filepath.Join(t.TempDir(), "collector.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(collector.EnvRemoteWriteEndpoint, "http://prometheus.test:9090/api/v1/write")
	t.Setenv(collector.EnvTracesEndpoint, "tempo.test:4317")
	res, err := confmap.NewResolver(confmap.ResolverSettings{
		URIs:              []string{"file:" + path},
		ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
		DefaultScheme:     "env",
	})
	if err != nil {
		t.Fatal(err)
	}
	conf, err := res.Resolve(context.Background())
	if err != nil {
		t.Fatalf("the collector cannot resolve the file: %v", err)
	}
	return conf
}

func sub(t *testing.T, conf *confmap.Conf, key string) *confmap.Conf {
	t.Helper()
	if !conf.IsSet(key) {
		t.Fatalf("%s is missing", key)
	}
	s, err := conf.Sub(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// decode unmarshals a section over the factory's defaults and validates it
// the way the collector does.
func decode(t *testing.T, conf *confmap.Conf, key string, cfg component.Config) {
	t.Helper()
	if err := sub(t, conf, key).Unmarshal(cfg); err != nil {
		t.Fatalf("%s does not decode: %v", key, err)
	}
	if err := xconfmap.Validate(cfg); err != nil {
		t.Fatalf("%s is invalid: %v", key, err)
	}
}

func TestConformance(t *testing.T) {
	for _, s := range subjects(t) {
		t.Run(s.name, func(t *testing.T) {
			conf := resolve(t, s.plan)
			checkCoreProcessors(t, conf)
			if s.plan.CollectorScrapes() {
				checkScrapeJobs(t, conf, s.plan)
			} else {
				checkOTLPOnly(t, conf)
			}
			checkMetricsExporter(t, conf, s.plan)
			if s.plan.Tracing == nil {
				for _, key := range []string{"connectors", "processors::" + collector.ProcessorTailSampling, "service::pipelines::" + collector.PipelineTracesAll} {
					if conf.IsSet(key) {
						t.Errorf("no tracing block, yet %s is set", key)
					}
				}
				return
			}
			checkTailSampling(t, conf, s.plan)
			checkSpanMetrics(t, conf, s.plan)
			checkPipelines(t, conf, s.plan)
		})
	}
}

func checkCoreProcessors(t *testing.T, conf *confmap.Conf) {
	decode(t, conf, "processors::"+collector.ProcessorBatch, batchprocessor.NewFactory().CreateDefaultConfig())
	decode(t, conf, "processors::"+collector.ProcessorMemoryLimiter, memorylimiterprocessor.NewFactory().CreateDefaultConfig())
}

// build creates a traces processor from the config, which compiles what
// the config only describes (the tail-sampling policies).
func build(t *testing.T, f processor.Factory, cfg component.Config) {
	t.Helper()
	p, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	if err != nil {
		t.Fatalf("%s: the component rejects the config: %v", f.Type(), err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatalf("%s: start: %v", f.Type(), err)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatalf("%s: shutdown: %v", f.Type(), err)
	}
}

func checkTailSampling(t *testing.T, conf *confmap.Conf, p *plan.Plan) {
	f := tailsamplingprocessor.NewFactory()
	cfg := f.CreateDefaultConfig().(*tailsamplingprocessor.Config)
	decode(t, conf, "processors::"+collector.ProcessorTailSampling, cfg)
	build(t, f, cfg)

	tr := p.Tracing
	if cfg.DecisionWait != tr.Spec.Sampling.DecisionWait {
		t.Errorf("decision_wait %s, spec %s", cfg.DecisionWait, tr.Spec.Sampling.DecisionWait)
	}
	var high []string
	for _, tn := range p.Tenants {
		if tn.HighValue {
			high = append(high, tn.Name)
		}
	}
	byName := map[string]tailsamplingprocessor.PolicyCfg{}
	for _, pc := range cfg.PolicyCfgs {
		byName[pc.Name] = pc
	}
	if pc := byName[collector.PolicyErrors]; pc.Type != tailsamplingprocessor.StatusCode || !slices.Equal(pc.StatusCodeCfg.StatusCodes, []string{"ERROR"}) {
		t.Errorf("errors policy: %+v", pc)
	}
	if pc := byName[collector.PolicySlow]; pc.Type != tailsamplingprocessor.Latency || time.Duration(pc.LatencyCfg.ThresholdMs)*time.Millisecond != tr.SlowThreshold {
		t.Errorf("slow policy: %+v, want %s", pc, tr.SlowThreshold)
	}
	if pc := byName[collector.PolicyBaseline]; pc.Type != tailsamplingprocessor.Probabilistic || pc.ProbabilisticCfg.SamplingPercentage != tr.Spec.Sampling.BaselinePercent {
		t.Errorf("baseline policy: %+v, want %v%%", pc, tr.Spec.Sampling.BaselinePercent)
	}
	pc, ok := byName[collector.PolicyHighValue]
	if len(high) == 0 {
		if ok {
			t.Errorf("high-value policy without high-value tenants: %+v", pc)
		}
	} else if !ok || pc.Type != tailsamplingprocessor.StringAttribute || pc.StringAttributeCfg.Key != tr.Spec.TenantAttribute ||
		!slices.Equal(pc.StringAttributeCfg.Values, high) || pc.StringAttributeCfg.EnabledRegexMatching || pc.StringAttributeCfg.InvertMatch {
		t.Errorf("high-value policy: %+v, want key %s values %v", pc, tr.Spec.TenantAttribute, high)
	}
}

func checkSpanMetrics(t *testing.T, conf *confmap.Conf, p *plan.Plan) {
	tr := p.Tracing
	sm := tr.SpanMetrics
	f := spanmetricsconnector.NewFactory()
	cfg := f.CreateDefaultConfig().(*spanmetricsconnector.Config)
	decode(t, conf, "connectors::"+sm.Component, cfg)
	if release(t) == sm.CollectorVersion && f.Type().String() != sm.Component && f.Type().String() != sm.LegacyComponent {
		t.Errorf("the connector's type at %s is %s; the plan writes %s", sm.CollectorVersion, f.Type(), sm.Component)
	}

	// Every gateway SLO threshold is a bucket, and the le the connector
	// writes for it (bounds computed the connector's way) is one the SLI
	// selects.
	explicit := cfg.Histogram.Explicit.Get()
	if explicit == nil {
		t.Fatal("no explicit buckets")
	}
	divider := map[string]float64{"ms": float64(time.Millisecond), "s": float64(time.Second)}[sm.Unit]
	for _, s := range p.SLOs {
		if s.Source != schema.SourceGateway || !s.Kind.IsLatency() {
			continue
		}
		if !slices.Contains(explicit.Buckets, s.Threshold) {
			t.Errorf("%s: threshold %s is not a bucket of the connector (%v)", s.ID, s.Threshold, explicit.Buckets)
		}
		le := strconv.FormatFloat(float64(s.Threshold.Nanoseconds())/divider, 'g', -1, 64)
		if !slices.Contains(s.SLI.LeTexts, le) {
			t.Errorf("%s: the connector writes le=%q, the SLI selects %v", s.ID, le, s.SLI.LeTexts)
		}
	}
	if !cfg.Exemplars.Enabled {
		t.Error("exemplars are off")
	}

	// Run spans through the real connector and translate what it emits.
	cfg.MetricsFlushInterval = 10 * time.Millisecond
	sink := &consumertest.MetricsSink{}
	conn, err := f.CreateTracesToMetrics(context.Background(), connectortest.NewNopSettings(f.Type()), cfg, sink)
	if err != nil {
		t.Fatalf("the connector rejects the config: %v", err)
	}
	if err := conn.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := conn.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	if err := conn.ConsumeTraces(context.Background(), gatewayTrace(tr)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for sink.DataPointCount() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := emitted(t, sink.AllMetrics())
	namer := otlptranslator.MetricNamer{WithMetricSuffixes: true}
	var names []string
	for _, m := range got {
		name, err := namer.Build(m.metric)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		switch m.metric.Type {
		case otlptranslator.MetricTypeHistogram:
			if name != sm.DurationFamily {
				t.Errorf("duration histogram %q (unit %q) becomes %s; the rules read %s", m.metric.Name, m.metric.Unit, name, sm.DurationFamily)
			}
			for _, s := range p.SLOs {
				if s.Source == schema.SourceGateway && s.Kind.IsLatency() && !slices.Contains(m.bounds, float64(s.Threshold.Nanoseconds())/divider) {
					t.Errorf("%s: no emitted bucket bound for %s in %v", s.ID, s.Threshold, m.bounds)
				}
			}
		case otlptranslator.MetricTypeMonotonicCounter:
			if name != sm.CallsSeries {
				t.Errorf("calls counter %q becomes %s; the rules read %s", m.metric.Name, name, sm.CallsSeries)
			}
		}
		for _, want := range []string{tr.TenantLabel, tr.ModelLabel, sm.Labels.SpanName, sm.Labels.StatusCode} {
			if !slices.Contains(m.labels, want) {
				t.Errorf("%s carries %v, not %s", name, m.labels, want)
			}
		}
	}
	t.Logf("connector at %s emitted %v (rules read %s, %s)", release(t), names, sm.DurationFamily, sm.CallsSeries)
	if !slices.Contains(names, sm.DurationFamily) || !slices.Contains(names, sm.CallsSeries) {
		t.Errorf("the connector emitted %v; the rules read %s and %s", names, sm.DurationFamily, sm.CallsSeries)
	}
}

// gatewayTrace is one span of the gateway's TTFT kind for a tenant.
func gatewayTrace(tr *plan.Tracing) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "gateway")
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetName(tr.Spec.Spans[library.SLOTTFT])
	span.SetKind(ptrace.SpanKindServer)
	span.SetTraceID(pcommon.TraceID{1})
	span.SetSpanID(pcommon.SpanID{1})
	start := time.Unix(1_700_000_000, 0)
	span.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	span.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(700 * time.Millisecond)))
	span.Attributes().PutStr(tr.Spec.TenantAttribute, "gold")
	span.Attributes().PutStr(tr.Spec.ModelAttribute, "m")
	for _, d := range tr.Spec.Dimensions {
		span.Attributes().PutStr(d, "chat")
	}
	return td
}

type emittedMetric struct {
	metric otlptranslator.Metric
	bounds []float64
	labels []string
}

func emitted(t *testing.T, mds []pmetric.Metrics) []emittedMetric {
	t.Helper()
	var out []emittedMetric
	seen := map[string]bool{}
	for _, md := range mds {
		for i := 0; i < md.ResourceMetrics().Len(); i++ {
			sms := md.ResourceMetrics().At(i).ScopeMetrics()
			for j := 0; j < sms.Len(); j++ {
				ms := sms.At(j).Metrics()
				for k := 0; k < ms.Len(); k++ {
					m := ms.At(k)
					if seen[m.Name()] {
						continue
					}
					seen[m.Name()] = true
					em := emittedMetric{metric: otlptranslator.Metric{Name: m.Name(), Unit: m.Unit()}}
					var attrs pcommon.Map
					switch m.Type() {
					case pmetric.MetricTypeHistogram:
						em.metric.Type = otlptranslator.MetricTypeHistogram
						dp := m.Histogram().DataPoints().At(0)
						em.bounds = dp.ExplicitBounds().AsRaw()
						attrs = dp.Attributes()
					case pmetric.MetricTypeSum:
						em.metric.Type = otlptranslator.MetricTypeNonMonotonicCounter
						if m.Sum().IsMonotonic() {
							em.metric.Type = otlptranslator.MetricTypeMonotonicCounter
						}
						attrs = m.Sum().DataPoints().At(0).Attributes()
					default:
						t.Fatalf("unexpected %s metric %s", m.Type(), m.Name())
					}
					for key := range attrs.All() {
						em.labels = append(em.labels, library.PromLabelName(key))
					}
					out = append(out, em)
				}
			}
		}
	}
	return out
}

func checkPipelines(t *testing.T, conf *confmap.Conf, p *plan.Plan) {
	sm := p.Tracing.SpanMetrics
	decode(t, conf, "connectors::"+collector.ConnectorForward, forwardconnector.NewFactory().CreateDefaultConfig())
	var pipes map[string]struct {
		Receivers  []string `mapstructure:"receivers"`
		Processors []string `mapstructure:"processors"`
		Exporters  []string `mapstructure:"exporters"`
	}
	if err := sub(t, conf, "service::pipelines").Unmarshal(&pipes); err != nil {
		t.Fatal(err)
	}
	all, sampled, metrics := pipes[collector.PipelineTracesAll], pipes[collector.PipelineTracesSample], pipes[collector.PipelineMetrics]
	if slices.Contains(all.Processors, collector.ProcessorTailSampling) || !slices.Contains(all.Exporters, sm.Component) {
		t.Errorf("%s must feed %s without sampling: %+v", collector.PipelineTracesAll, sm.Component, all)
	}
	if !slices.Contains(sampled.Processors, collector.ProcessorTailSampling) || slices.Contains(sampled.Exporters, sm.Component) {
		t.Errorf("%s must sample and not feed %s: %+v", collector.PipelineTracesSample, sm.Component, sampled)
	}
	if !slices.Contains(metrics.Receivers, sm.Component) {
		t.Errorf("%s does not receive from %s: %+v", collector.PipelineMetrics, sm.Component, metrics)
	}
	// Every component a pipeline names is defined.
	for name, pl := range pipes {
		for kind, ids := range map[string][]string{"receivers": pl.Receivers, "processors": pl.Processors, "exporters": pl.Exporters} {
			for _, id := range ids {
				if !conf.IsSet(kind+"::"+id) && !conf.IsSet("connectors::"+id) {
					t.Errorf("pipeline %s names undefined %s %s", name, kind, id)
				}
			}
		}
	}
}

// checkScrapeJobs checks the scrape jobs after the collector's own "$$"
// expansion (Prometheus's loader checks them in the main module's tests).
func checkScrapeJobs(t *testing.T, conf *confmap.Conf, p *plan.Plan) {
	var cfg struct {
		ScrapeConfigs []struct {
			JobName        string           `mapstructure:"job_name"`
			ScrapeInterval string           `mapstructure:"scrape_interval"`
			MetricsPath    string           `mapstructure:"metrics_path"`
			Relabel        []map[string]any `mapstructure:"relabel_configs"`
			Other          map[string]any   `mapstructure:",remain"`
		} `mapstructure:"scrape_configs"`
	}
	if err := sub(t, conf, "receivers::"+collector.ReceiverPrometheus+"::config").Unmarshal(&cfg); err != nil {
		t.Fatal(err)
	}
	jobs := map[string]int{}
	for i, sc := range cfg.ScrapeConfigs {
		jobs[sc.JobName] = i
	}
	for _, m := range p.Models {
		i, ok := jobs[collector.JobName(m)]
		if !ok {
			t.Errorf("model %s: no job %s", m.Name, collector.JobName(m))
			continue
		}
		sc := cfg.ScrapeConfigs[i]
		if d, err := time.ParseDuration(sc.ScrapeInterval); err != nil || d != p.ScrapeInterval || sc.MetricsPath != m.Catalog.Info.MetricsPath {
			t.Errorf("model %s: interval %s path %s", m.Name, sc.ScrapeInterval, sc.MetricsPath)
		}
		// A label value with "$" reaches Prometheus as written in the spec.
		for k, v := range m.Spec.Selector {
			if !strings.Contains(v, "$") {
				continue
			}
			found := false
			for _, r := range sc.Relabel {
				if r["regex"] == regexp.QuoteMeta(v) {
					found = true
				}
			}
			if !found {
				t.Errorf("model %s: no keep rule matches selector %s=%q after expansion: %v", m.Name, k, v, sc.Relabel)
			}
		}
	}
	if _, ok := jobs[collector.DCGMJob]; !ok {
		t.Errorf("no DCGM job")
	}
}
