package conformance

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/connector/spanmetricsconnector"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/exporter"

	"github.com/inferobs/inferobs/generators/collector"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
)

// checkOTLPOnly: no prometheus receiver, no scrape job; OTLP only.
func checkOTLPOnly(t *testing.T, conf *confmap.Conf) {
	if conf.IsSet("receivers::" + collector.ReceiverPrometheus) {
		t.Errorf("tracing.scrape: false, yet receivers::%s is set", collector.ReceiverPrometheus)
	}
	recv, err := conf.Sub("receivers")
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(func(yield func(string) bool) {
		for k := range recv.ToStringMap() {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(got, []string{collector.ReceiverOTLP}) {
		t.Errorf("receivers %v, want only %s", got, collector.ReceiverOTLP)
	}
}

// checkMetricsExporter: the metrics pipeline ends in the exporter the plan
// chose; a prometheus exporter is decoded, validated and run by its own
// factory, fed by the real spanmetrics connector, and scraped on loopback
// the way Prometheus does, so the names and labels Prometheus stores are
// the ones the rules read.
func checkMetricsExporter(t *testing.T, conf *confmap.Conf, p *plan.Plan) {
	var metrics struct {
		Exporters []string       `mapstructure:"exporters"`
		Rest      map[string]any `mapstructure:",remain"`
	}
	if err := sub(t, conf, "service::pipelines::"+collector.PipelineMetrics).Unmarshal(&metrics); err != nil {
		t.Fatal(err)
	}
	if !p.CollectorExposesMetrics() {
		if !slices.Equal(metrics.Exporters, []string{collector.ExporterRemoteWrite}) || conf.IsSet("exporters::"+collector.ExporterPrometheus) {
			t.Errorf("metrics exporters %v, want only %s", metrics.Exporters, collector.ExporterRemoteWrite)
		}
		return
	}
	if !slices.Equal(metrics.Exporters, []string{collector.ExporterPrometheus}) || conf.IsSet("exporters::"+collector.ExporterRemoteWrite) {
		t.Errorf("metrics exporters %v, want only %s", metrics.Exporters, collector.ExporterPrometheus)
	}
	f := prometheusexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*prometheusexporter.Config)
	decode(t, conf, "exporters::"+collector.ExporterPrometheus, cfg)
	if cfg.Endpoint != fmt.Sprintf("0.0.0.0:%d", collector.MetricsPort) || !cfg.EnableOpenMetrics || cfg.ConstLabels[library.LabelEnv] != p.Environment {
		t.Errorf("prometheus exporter: endpoint %s, open metrics %v, const labels %v", cfg.Endpoint, cfg.EnableOpenMetrics, cfg.ConstLabels)
	}
	// Serve on a free loopback port instead of the pod's 0.0.0.0.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Endpoint = l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	exp, err := f.CreateMetrics(ctx, exporter.Settings{
		ID:                component.NewID(f.Type()),
		TelemetrySettings: componenttest.NewNopTelemetrySettings(),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, cfg)
	if err != nil {
		t.Fatalf("the prometheus exporter rejects the config: %v", err)
	}
	if err := exp.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := exp.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}()

	tr := p.Tracing
	sm := tr.SpanMetrics
	cf := spanmetricsconnector.NewFactory()
	ccfg := cf.CreateDefaultConfig().(*spanmetricsconnector.Config)
	decode(t, conf, "connectors::"+sm.Component, ccfg)
	// The connector clears its exemplars at every flush: flush slowly
	// enough for a scrape to see the batch that carried them.
	ccfg.MetricsFlushInterval = 100 * time.Millisecond
	conn, err := cf.CreateTracesToMetrics(ctx, connectortest.NewNopSettings(cf.Type()), ccfg, exp)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := conn.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}()

	// Scrape as Prometheus does (it asks for OpenMetrics first) and parse
	// with its own parser, sending a span before each try.
	var series map[string][]labels.Labels
	exemplars := 0
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := conn.ConsumeTraces(ctx, gatewayTrace(tr)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		series, exemplars = scrape(t, "http://"+cfg.Endpoint+"/metrics")
		if len(series[sm.CallsSeries]) > 0 && len(series[sm.DurationFamily+"_bucket"]) > 0 && exemplars > 0 {
			break
		}
	}
	for _, name := range []string{sm.CallsSeries, sm.DurationFamily + "_bucket", sm.DurationFamily + "_count", sm.DurationFamily + "_sum"} {
		ls := series[name]
		if len(ls) == 0 {
			t.Errorf("the exporter serves no %s; it serves %v", name, slices.Sorted(func(yield func(string) bool) {
				for k := range series {
					if !yield(k) {
						return
					}
				}
			}))
			continue
		}
		for _, want := range []string{tr.TenantLabel, tr.ModelLabel, sm.Labels.SpanName, sm.Labels.StatusCode, library.LabelEnv} {
			if !ls[0].Has(want) {
				t.Errorf("%s carries %s, not %s", name, ls[0], want)
			}
		}
		if got := ls[0].Get(library.LabelEnv); got != p.Environment {
			t.Errorf("%s: %s=%q, want %q", name, library.LabelEnv, got, p.Environment)
		}
		if got := ls[0].Get("job"); got != "gateway" {
			t.Errorf("%s: job=%q, want the spans' service.name (the PodMonitor honours it)", name, got)
		}
	}
	if exemplars == 0 {
		t.Error("no exemplars in the OpenMetrics exposition (the dashboards link latency to traces)")
	}
	t.Logf("prometheus exporter served %d families, %d exemplars", len(series), exemplars)
}

// scrape fetches and parses one exposition with Prometheus's parser.
func scrape(t *testing.T, url string) (map[string][]labels.Labels, int) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	ct := resp.Header.Get("Content-Type")
	parser, err := textparse.New(body, ct, nil, textparse.ParserOptions{})
	if parser == nil {
		t.Fatalf("Prometheus cannot parse %q: %v", ct, err)
	}
	out := map[string][]labels.Labels{}
	n := 0
	for {
		e, err := parser.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Prometheus rejects the exposition (%s): %v\n%s", ct, err, body)
		}
		if e != textparse.EntrySeries {
			continue
		}
		var ls labels.Labels
		parser.Labels(&ls)
		out[ls.Get(labels.MetricName)] = append(out[ls.Get(labels.MetricName)], ls)
		var ex exemplar.Exemplar
		for parser.Exemplar(&ex) {
			n++
		}
	}
	return out, n
}
