package simulate

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Backend is the metrics stack that scrapes the simulator and evaluates
// the rules.
type Backend string

// Backends.
const (
	// BackendPrometheus: one Prometheus scrapes, stores and evaluates.
	BackendPrometheus Backend = "prometheus"
	// BackendVictoriaMetrics: VictoriaMetrics single-node scrapes and
	// stores (or vmagent scrapes and remote-writes to it, with stream
	// aggregation), vmalert evaluates the rules against it and writes the
	// results back through remote write.
	BackendVictoriaMetrics Backend = "victoriametrics"
)

// Backends lists the backends in the order --backend documents them.
func Backends() []Backend { return []Backend{BackendPrometheus, BackendVictoriaMetrics} }

// ParseBackend reads a backend name.
func ParseBackend(s string) (Backend, error) {
	for _, b := range Backends() {
		if string(b) == s {
			return b, nil
		}
	}
	names := make([]string, 0, len(Backends()))
	for _, b := range Backends() {
		names = append(names, string(b))
	}
	return "", fmt.Errorf("unknown backend %q: want one of %s", s, strings.Join(names, ", "))
}

// Production defaults of VictoriaMetrics v1.151 and vmalert that decide
// which samples a rule evaluation sees. A compressed run divides each by
// the speed, as CompressRules does with the rules' own durations.
const (
	// vmalert -datasource.queryStep: the step of every instant query,
	// which is also how far back a bare selector finds its last sample.
	vmalertQueryStep = 5 * time.Minute
	// vmalert -rule.evalDelay, which its documentation pairs with
	// VictoriaMetrics' -search.latencyOffset (both 30s): rules evaluate
	// that far in the past, where ingestion is complete.
	vmalertEvalDelay = 30 * time.Second
	// vmalert -remoteWrite.flushInterval: how long recorded samples wait
	// before they are sent.
	vmalertFlushInterval = 2 * time.Second
	// VictoriaMetrics -search.cacheTimestampOffset: results younger than
	// this are always computed from raw data.
	vmCacheTimestampOffset = 5 * time.Minute
	// VictoriaMetrics -search.minWindowForInstantRollupOptimization:
	// instant queries over windows this long reuse cached partial results.
	vmInstantRollupWindow = 3 * time.Hour
	// vmIngestDelay is what does not compress: VictoriaMetrics makes
	// freshly ingested rows searchable on a fixed 2s flush, so the
	// compressed evaluation delay never drops below it plus a scrape, plus
	// 2s for a busy machine. With 3s, a dozen stacks on two cores (the
	// end-to-end test's VictoriaMetrics pass) now and then made a scrape
	// searchable between an SLO's good and total queries of one
	// evaluation: right after a cold start, when a 5m rate holds seconds
	// of events, that one scrape reads as a burn of several percent.
	vmIngestDelay = 5 * time.Second
	// vmalertMinFlush keeps the compressed remote-write flush sane.
	vmalertMinFlush = 100 * time.Millisecond
)

// VictoriaMetricsSetup describes a VictoriaMetrics stack watching the
// simulation, compressed by Speed: victoria-metrics single-node, vmalert
// and, with a stream aggregation config, vmagent.
type VictoriaMetricsSetup struct {
	// Speed is the compression factor (Options.Speed).
	Speed float64
	// EvaluationInterval is vmalert's -evaluationInterval, for groups
	// without their own (already compressed).
	EvaluationInterval time.Duration
	// ScrapeConfig is the path of the scrape config (PrometheusConfig with
	// BackendVictoriaMetrics).
	ScrapeConfig string
	// RuleFiles are the rule file paths or globs vmalert loads.
	RuleFiles []string
	// StreamAggrConfig is the (compressed) vmagent stream aggregation
	// config; with it vmagent scrapes and aggregates, and remote-writes to
	// victoria-metrics, which then scrapes nothing.
	StreamAggrConfig string
	// DataDir holds the storage of victoria-metrics and vmagent's queue.
	DataDir string
	// Listen addresses (host:port) of the three servers.
	VictoriaMetrics, VMAlert, VMAgent string
}

// Command is one server's command line: the binary's name and its flags.
type Command struct {
	Name string
	Args []string
}

// String prints the command line as a shell would take it.
func (c Command) String() string {
	parts := []string{c.Name}
	for _, a := range c.Args {
		if strings.ContainsAny(a, " *?[]'\"$") {
			a = "'" + a + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// compress divides a production default by the speed, to the millisecond.
func compress(d time.Duration, speed float64) time.Duration {
	out := time.Duration(math.Round(float64(d) / math.Max(speed, 1) / float64(time.Millisecond)))
	return max(out*time.Millisecond, time.Millisecond)
}

func flagDuration(d time.Duration) string { return d.String() }

// EvalDelay is vmalert's -rule.evalDelay (and VictoriaMetrics'
// -search.latencyOffset) of a run at speed: the 30s default compressed,
// but never below what ingestion takes in wall time.
func EvalDelay(speed float64) time.Duration {
	return max(compress(vmalertEvalDelay, speed), vmIngestDelay)
}

// Commands returns the command lines of the stack, in start order:
// victoria-metrics, then vmagent (with stream aggregation), then vmalert.
func (v VictoriaMetricsSetup) Commands() []Command {
	vmURL := "http://" + v.VictoriaMetrics
	delay := EvalDelay(v.Speed)
	vm := Command{Name: "victoria-metrics", Args: []string{
		"-httpListenAddr=" + v.VictoriaMetrics,
		"-storageDataPath=" + filepath.Join(v.DataDir, "victoria-metrics"),
		"-search.latencyOffset=" + flagDuration(delay),
		"-search.cacheTimestampOffset=" + flagDuration(compress(vmCacheTimestampOffset, v.Speed)),
		"-search.minWindowForInstantRollupOptimization=" + flagDuration(compress(vmInstantRollupWindow, v.Speed)),
	}}
	out := []Command{vm}
	if v.StreamAggrConfig != "" {
		out = append(out, Command{Name: "vmagent", Args: []string{
			"-httpListenAddr=" + v.VMAgent,
			"-promscrape.config=" + v.ScrapeConfig,
			"-remoteWrite.url=" + vmURL + "/api/v1/write",
			"-remoteWrite.streamAggr.config=" + v.StreamAggrConfig,
			"-remoteWrite.tmpDataPath=" + filepath.Join(v.DataDir, "vmagent"),
		}})
	} else {
		out[0].Args = append(out[0].Args, "-promscrape.config="+v.ScrapeConfig)
	}
	ev := v.EvaluationInterval
	if ev <= 0 {
		ev = time.Second
	}
	alert := Command{Name: "vmalert", Args: []string{
		"-httpListenAddr=" + v.VMAlert,
		"-datasource.url=" + vmURL,
		"-remoteWrite.url=" + vmURL,
		"-remoteRead.url=" + vmURL,
		"-notifier.blackhole",
		"-evaluationInterval=" + flagDuration(ev),
		"-datasource.queryStep=" + flagDuration(compress(vmalertQueryStep, v.Speed)),
		"-rule.evalDelay=" + flagDuration(delay),
		"-remoteWrite.flushInterval=" + flagDuration(max(compress(vmalertFlushInterval, v.Speed), vmalertMinFlush)),
	}}
	for _, r := range v.RuleFiles {
		alert.Args = append(alert.Args, "-rule="+r)
	}
	return append(out, alert)
}

// streamAggrRule is one rule of a vmagent stream aggregation config, with
// the fields inferobs emits plus the output relabeling CompressStreamAggr
// adds.
type streamAggrRule struct {
	Name                 string          `yaml:"name,omitempty"`
	Match                any             `yaml:"match"`
	Interval             string          `yaml:"interval"`
	Without              []string        `yaml:"without,omitempty,flow"`
	By                   []string        `yaml:"by,omitempty,flow"`
	Outputs              []string        `yaml:"outputs,flow"`
	OutputRelabelConfigs []relabelConfig `yaml:"output_relabel_configs,omitempty"`
}

type relabelConfig struct {
	SourceLabels []string `yaml:"source_labels,flow"`
	Regex        string   `yaml:"regex"`
	TargetLabel  string   `yaml:"target_label"`
	Replacement  string   `yaml:"replacement"`
}

// CompressStreamAggr rewrites a vmagent stream aggregation config for a
// run factor times faster: every rule's interval is divided, and, since
// vmagent names its outputs after the interval as written
// (foo_bucket:2s_without_instance_total), an output relabeling gives them
// back the production name the rules read (foo_bucket:1m_...). The
// compressed interval must stay at least vmagent's minimum of 1s.
func CompressStreamAggr(data []byte, factor float64) ([]byte, error) {
	if factor <= 0 {
		return nil, fmt.Errorf("simulate: compression factor must be positive")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var rules []streamAggrRule
	if err := dec.Decode(&rules); err != nil {
		return nil, fmt.Errorf("simulate: stream aggregation config: %w", err)
	}
	for i := range rules {
		r := &rules[i]
		d, err := model.ParseDuration(r.Interval)
		if err != nil {
			return nil, fmt.Errorf("simulate: stream aggregation rule %d (%s): interval: %w", i+1, r.Name, err)
		}
		c := time.Duration(math.Round(float64(d)/factor/float64(time.Millisecond))) * time.Millisecond
		if c < time.Second {
			return nil, fmt.Errorf("simulate: stream aggregation rule %d (%s): interval %s divided by %g is %s, below vmagent's minimum of 1s: use a lower speed", i+1, r.Name, r.Interval, factor, c)
		}
		text := model.Duration(c).String()
		if text != r.Interval {
			r.OutputRelabelConfigs = append(r.OutputRelabelConfigs, relabelConfig{
				SourceLabels: []string{model.MetricNameLabel},
				Regex:        "(.+):" + regexp.QuoteMeta(text) + "_(.+)",
				TargetLabel:  model.MetricNameLabel,
				Replacement:  "${1}:" + r.Interval + "_${2}",
			})
		}
		r.Interval = text
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Compressed by inferobs simulate: intervals divided by %g, outputs renamed back.\n", factor)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(rules); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// WriteVictoriaMetricsDir writes what a VictoriaMetrics stack needs to
// watch the simulation: dir/rules/<name> for every rule file (compressed
// by c), dir/scrape.yml (the scrape config VictoriaMetrics and vmagent
// accept: no rule_files, no evaluation_interval) and, given a stream
// aggregation config, dir/stream-aggr.yaml compressed by c.Factor. The
// returned setup has every path filled in; the caller sets the listen
// addresses and the data directory.
func (s *Sim) WriteVictoriaMetricsDir(dir string, ruleFiles map[string][]byte, streamAggr []byte, c Compression, setup PrometheusSetup) (VictoriaMetricsSetup, error) {
	setup.Backend = BackendVictoriaMetrics
	if c.Exprs {
		c.Lag = vmIngestDelay
	}
	rules, err := writeRules(dir, ruleFiles, c)
	if err != nil {
		return VictoriaMetricsSetup{}, err
	}
	cfg, err := s.PrometheusConfig(setup)
	if err != nil {
		return VictoriaMetricsSetup{}, err
	}
	v := VictoriaMetricsSetup{Speed: c.Factor, EvaluationInterval: setup.EvaluationInterval, RuleFiles: rules, DataDir: dir,
		ScrapeConfig: filepath.Join(dir, "scrape.yml")}
	if err := os.WriteFile(v.ScrapeConfig, cfg, 0o644); err != nil {
		return VictoriaMetricsSetup{}, err
	}
	if streamAggr != nil {
		data := streamAggr
		if c.Factor > 0 && c.Factor != 1 {
			if data, err = CompressStreamAggr(streamAggr, c.Factor); err != nil {
				return VictoriaMetricsSetup{}, err
			}
		}
		v.StreamAggrConfig = filepath.Join(dir, "stream-aggr.yaml")
		if err := os.WriteFile(v.StreamAggrConfig, data, 0o644); err != nil {
			return VictoriaMetricsSetup{}, err
		}
	}
	return v, nil
}
