package simulate_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/inferobs/inferobs/generators/cardinality"
	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/generators/simulate"
)

// TestVictoriaMetricsScrapeConfig: the VictoriaMetrics scrape config keeps
// every target but none of the rule settings VictoriaMetrics refuses.
func TestVictoriaMetricsScrapeConfig(t *testing.T) {
	s := newSim(t, examplePlan(t, "quickstart"), simulate.Options{})
	setup := simulate.PrometheusSetup{Address: "127.0.0.1:1234", RuleFiles: []string{"/r/*.yaml"}, RuleQueryOffset: time.Second, Backend: simulate.BackendVictoriaMetrics}
	cfg, err := s.PrometheusConfig(setup)
	if err != nil {
		t.Fatal(err)
	}
	for _, no := range []string{"rule_files", "evaluation_interval", "rule_query_offset", "/r/*.yaml"} {
		if bytes.Contains(cfg, []byte(no)) {
			t.Errorf("VictoriaMetrics scrape config has %q:\n%s", no, cfg)
		}
	}
	for _, want := range []string{"__metrics_path__: /metrics/engine/llama-3.1-8b/3", "scrape_interval: 1s", "job: dcgm-exporter"} {
		if !bytes.Contains(cfg, []byte(want)) {
			t.Errorf("VictoriaMetrics scrape config lacks %q:\n%s", want, cfg)
		}
	}
	if _, err := simulate.ParseBackend("victoria"); err == nil {
		t.Error("ParseBackend accepted an unknown backend")
	}
}

// TestCompressStreamAggr: the compressed config aggregates over the
// interval divided by the speed, and its output relabeling turns the name
// vmagent gives the compressed output back into the one the rules read.
func TestCompressStreamAggr(t *testing.T) {
	r, err := compiler.CompileFiles(compiler.File{Name: "spec.cue", Data: []byte(enginesSpec + "cardinality: streamAggregation: true\n")})
	if err != nil {
		t.Fatal(err)
	}
	art, ok := r.Artifact(cardinality.StreamAggrPath)
	if !ok {
		t.Fatal("no stream aggregation config")
	}
	out, err := simulate.CompressStreamAggr(art.Data, 30)
	if err != nil {
		t.Fatal(err)
	}
	var rules []struct {
		Match    string   `yaml:"match"`
		Interval string   `yaml:"interval"`
		Without  []string `yaml:"without"`
		Outputs  []string `yaml:"outputs"`
		Relabel  []struct {
			SourceLabels []string `yaml:"source_labels"`
			Regex        string   `yaml:"regex"`
			TargetLabel  string   `yaml:"target_label"`
			Replacement  string   `yaml:"replacement"`
		} `yaml:"output_relabel_configs"`
	}
	if err := yaml.Unmarshal(out, &rules); err != nil {
		t.Fatal(err)
	}
	if len(rules) != len(r.Plan.Aggregations) {
		t.Fatalf("%d compressed rules for %d aggregations", len(rules), len(r.Plan.Aggregations))
	}
	for i, a := range r.Plan.Aggregations {
		rule := rules[i]
		if rule.Interval != "2s" || len(rule.Relabel) != 1 {
			t.Errorf("rule %d: interval %s, %d relabelings; want 2s and one", i, rule.Interval, len(rule.Relabel))
			continue
		}
		// vmagent's name for the compressed output, relabeled as vmagent
		// does (an anchored regex, ${n} expanded).
		compressed := a.Input + ":2s_without_" + strings.Join(rule.Without, "_") + "_" + rule.Outputs[0]
		rl := rule.Relabel[0]
		re := regexp.MustCompile("^(?:" + rl.Regex + ")$")
		m := re.FindStringSubmatchIndex(compressed)
		if m == nil || rl.TargetLabel != "__name__" || rl.SourceLabels[0] != "__name__" {
			t.Errorf("rule %d: relabeling %+v does not apply to %s", i, rl, compressed)
			continue
		}
		if got := string(re.ExpandString(nil, rl.Replacement, compressed, m)); got != a.Output {
			t.Errorf("rule %d: %s is renamed %s, want the name the rules read, %s", i, compressed, got, a.Output)
		}
	}
	if _, err := simulate.CompressStreamAggr(art.Data, 120); err == nil || !strings.Contains(err.Error(), "below vmagent's minimum of 1s") {
		t.Errorf("a 0.5s interval: %v, want vmagent's minimum named", err)
	}
}

// TestVictoriaMetricsCommands: the compressed run divides the production
// defaults that decide what a rule evaluation sees by the speed (the query
// step is the lookback of a bare selector), keeps vmalert's evaluation
// delay equal to VictoriaMetrics' latency offset and never shorter than
// ingestion, and starts vmagent only with stream aggregation.
func TestVictoriaMetricsCommands(t *testing.T) {
	flags := func(cs []simulate.Command) map[string]map[string]string {
		out := map[string]map[string]string{}
		for _, c := range cs {
			out[c.Name] = map[string]string{}
			for _, a := range c.Args {
				k, v, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
				out[c.Name][k] = v
			}
		}
		return out
	}
	v := simulate.VictoriaMetricsSetup{Speed: 30, ScrapeConfig: "/d/scrape.yml", RuleFiles: []string{"/d/rules/*.yaml"}, DataDir: "/d",
		VictoriaMetrics: "127.0.0.1:8428", VMAlert: "127.0.0.1:8880", VMAgent: "127.0.0.1:8429"}
	f := flags(v.Commands())
	if _, ok := f["vmagent"]; ok || f["victoria-metrics"]["promscrape.config"] != "/d/scrape.yml" {
		t.Errorf("without stream aggregation victoria-metrics scrapes, no vmagent: %v", f)
	}
	for name, want := range map[string]string{"datasource.queryStep": "10s", "rule.evalDelay": "5s", "rule": "/d/rules/*.yaml", "datasource.url": "http://127.0.0.1:8428"} {
		if got := f["vmalert"][name]; got != want {
			t.Errorf("vmalert -%s=%s, want %s", name, got, want)
		}
	}
	if _, ok := f["vmalert"]["datasource.queryStep"]; !ok {
		t.Error("no -datasource.queryStep")
	}
	if f["victoria-metrics"]["search.latencyOffset"] != f["vmalert"]["rule.evalDelay"] {
		t.Errorf("-search.latencyOffset %s differs from -rule.evalDelay %s", f["victoria-metrics"]["search.latencyOffset"], f["vmalert"]["rule.evalDelay"])
	}
	v.Speed, v.StreamAggrConfig = 1, "/d/stream-aggr.yaml"
	f = flags(v.Commands())
	if f["vmagent"]["remoteWrite.streamAggr.config"] != "/d/stream-aggr.yaml" || f["vmagent"]["remoteWrite.url"] != "http://127.0.0.1:8428/api/v1/write" || f["victoria-metrics"]["promscrape.config"] != "" {
		t.Errorf("with stream aggregation vmagent scrapes and aggregates: %v", f)
	}
	// Uncompressed, the production defaults themselves.
	if f["vmalert"]["datasource.queryStep"] != "5m0s" || f["vmalert"]["rule.evalDelay"] != "30s" || f["victoria-metrics"]["search.latencyOffset"] != "30s" {
		t.Errorf("speed 1 changes the defaults: %v", f)
	}
}
