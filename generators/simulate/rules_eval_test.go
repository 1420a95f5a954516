package simulate_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"

	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/rules/ruletest"
	"github.com/inferobs/inferobs/generators/simulate"
)

// TestRulesEvaluateOnSimulatedData runs every generated rule file of the
// examples in process (the Prometheus 3 rule engine, as promtool test
// rules does) over 30 minutes of the simulator's series: several replicas
// per model, data-parallel ranks, every finish reason, DCGM and
// spanmetrics. Any rule whose evaluation fails (many-to-many matching after
// a forgotten aggregation, for one) fails the test with the rule's name.
// The e2e test does the same against real servers; this one needs no
// binary.
func TestRulesEvaluateOnSimulatedData(t *testing.T) {
	for _, ex := range []string{"quickstart", "platform"} {
		t.Run(ex, func(t *testing.T) {
			r, err := compiler.Compile(filepath.Join("..", "..", "examples", ex))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if _, err := r.Write(dir, emit.Options{}); err != nil {
				t.Fatal(err)
			}
			step := 15 * time.Second
			sim, err := simulate.New(r.Plan, simulate.Options{Scenario: "healthy", Seed: 1, Start: time.Unix(0, 0).UTC(), Tick: step})
			if err != nil {
				t.Fatal(err)
			}
			var om bytes.Buffer
			if err := sim.WriteOpenMetrics(&om, 30*time.Minute, step); err != nil {
				t.Fatal(err)
			}
			series, err := loadSeries(om.Bytes(), step)
			if err != nil {
				t.Fatal(err)
			}
			var ruleFiles []string
			for _, a := range r.Artifacts {
				if strings.HasPrefix(a.Path, "prometheus/") {
					ruleFiles = append(ruleFiles, "../"+a.Path)
				}
			}
			// A promtool test with no expectation: the runner evaluates
			// every group every 30s until eval_time and stops at the first
			// rule that fails.
			var b strings.Builder
			fmt.Fprintf(&b, "rule_files: [%s]\nevaluation_interval: 30s\ntests:\n  - interval: %s\n    input_series:\n", strings.Join(ruleFiles, ", "), step)
			for _, s := range series {
				fmt.Fprintf(&b, "      - series: %s\n        values: %q\n", strconv.Quote(s.desc), s.values)
			}
			b.WriteString("    alert_rule_test:\n      - eval_time: 30m\n        alertname: NoSuchAlert\n        exp_alerts: []\n")
			path := filepath.Join(dir, "tests", "simulated.yaml")
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := ruletest.RunFile(path)
			if err != nil {
				t.Fatalf("%s: %v", ex, err)
			}
			if len(res) != 1 || res[0].Evals == 0 || len(res[0].Failures) > 0 {
				t.Fatalf("%s: unexpected result %+v", ex, res)
			}
			t.Logf("%s: %d series, %d group evaluations without an error", ex, len(series), res[0].Evals)
		})
	}
}

type loadedSeries struct {
	desc   string // {__name__="...", ...}
	values string // promtool's expanding notation, one value per step
}

// loadSeries reads an OpenMetrics exposition with Prometheus's parser into
// promtool input series, one value per step ("_" where a series has none).
func loadSeries(data []byte, step time.Duration) ([]loadedSeries, error) {
	p := textparse.NewOpenMetricsParser(data, labels.NewSymbolTable())
	vals := map[string]map[int64]float64{}
	var maxStep int64
	for {
		e, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if e != textparse.EntrySeries {
			continue
		}
		_, ts, v := p.Series()
		if ts == nil {
			return nil, fmt.Errorf("sample without a timestamp")
		}
		var l labels.Labels
		p.Labels(&l)
		k := l.String()
		if vals[k] == nil {
			vals[k] = map[int64]float64{}
		}
		i := *ts / step.Milliseconds()
		vals[k][i] = v
		maxStep = max(maxStep, i)
	}
	out := make([]loadedSeries, 0, len(vals))
	for k, byStep := range vals {
		parts := make([]string, maxStep+1)
		for i := range parts {
			if v, ok := byStep[int64(i)]; ok {
				parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
			} else {
				parts[i] = "_"
			}
		}
		out = append(out, loadedSeries{desc: k, values: strings.Join(parts, " ")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].desc < out[j].desc })
	return out, nil
}
