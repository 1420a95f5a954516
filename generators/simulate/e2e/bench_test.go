//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/generators/simulate"
)

// TestRuleEvaluationCost is `make bench`'s real-Prometheus run: the rule
// files of the spec in INFEROBS_BENCH_RULES_SPEC (the large spec), as
// generated, loaded into the Prometheus the end-to-end test uses (the one
// of the spec's target major version when both are given), scraping
// `inferobs simulate` of the same spec in real time (healthy traffic).
// After INFEROBS_BENCH_WAIT (default 4m: eight cycles of the 30s groups)
// it prints the rule and group counts, the rule files' size, the CPU share
// of rule evaluation (the sum over groups of the last evaluation's
// duration divided by the group's interval: 1.0 is one core busy), the
// slowest groups and the server's resident memory. It asserts nothing.
func TestRuleEvaluationCost(t *testing.T) {
	spec := os.Getenv("INFEROBS_BENCH_RULES_SPEC")
	if spec == "" {
		t.Skip("INFEROBS_BENCH_RULES_SPEC unset (make bench sets it)")
	}
	wait := 4 * time.Minute
	if w := os.Getenv("INFEROBS_BENCH_WAIT"); w != "" {
		d, err := time.ParseDuration(w)
		if err != nil {
			t.Fatalf("INFEROBS_BENCH_WAIT: %v", err)
		}
		wait = d
	}
	bins := prometheusBinaries(t)
	if len(bins) == 0 {
		t.Skip("no Prometheus binary")
	}
	res, err := compiler.Compile(spec)
	if err != nil {
		t.Fatalf("compile %s: %v", spec, err)
	}
	bin := bins[0]
	for _, b := range bins {
		if b.name == fmt.Sprintf("prometheus%d", res.Plan.PrometheusMajor) {
			bin = b
		}
	}
	files := map[string][]byte{}
	size := 0
	for _, a := range res.Artifacts {
		if strings.HasPrefix(a.Path, "prometheus/") {
			files[a.Path] = a.Data
			size += len(a.Data)
		}
	}
	sim, err := simulate.New(res.Plan, simulate.Options{Scenario: "healthy", Seed: 1, Speed: 1, Start: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := simulate.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: sim.Handler(nil), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	dir := t.TempDir()
	cfg, err := sim.WritePrometheusDir(dir, files, simulate.Compression{Factor: 1},
		simulate.PrometheusSetup{Address: ln.Addr().String(), ScrapeInterval: res.Plan.ScrapeInterval, EvaluationInterval: res.Plan.EvaluationInterval, RuleQueryOffset: bin.queryOffset})
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	prom := startPrometheus(t, bin, dir, cfg, 5*time.Minute, "")
	loadTime := time.Since(started)
	// The large spec's gateway exposition takes a while on a busy machine:
	// give every target up to two minutes for its first scrape.
	err = waitScraped(prom, len(sim.Targets()))
	for try := 1; err != nil && try < 4; try++ {
		err = waitScraped(prom, len(sim.Targets()))
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, prom.logTail())
	}
	time.Sleep(wait)

	var rr struct {
		Data struct {
			Groups []struct {
				Name           string  `json:"name"`
				File           string  `json:"file"`
				Interval       float64 `json:"interval"`
				EvaluationTime float64 `json:"evaluationTime"`
				Rules          []struct {
					Health string `json:"health"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := getJSON(prom.base+"/api/v1/rules", &rr); err != nil {
		t.Fatal(err)
	}
	rules, unevaluated := 0, 0
	share := 0.0
	type groupCost struct {
		name, file   string
		rules        int
		seconds, ivl float64
	}
	var groups []groupCost
	for _, g := range rr.Data.Groups {
		rules += len(g.Rules)
		for _, r := range g.Rules {
			if r.Health == "unknown" {
				unevaluated++
			}
		}
		if g.Interval > 0 {
			share += g.EvaluationTime / g.Interval
		}
		groups = append(groups, groupCost{g.Name, g.File, len(g.Rules), g.EvaluationTime, g.Interval})
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].seconds/groups[i].ivl > groups[j].seconds/groups[j].ivl })
	rss, cpu := processStats(t, prom.base)

	fmt.Printf("Rule evaluation in a real Prometheus (%s, %s), spec %s, healthy traffic in real time, after %s:\n", bin.name, bin.path, spec, wait)
	fmt.Printf("  rules %d in %d groups, %d rule files of %.1f MiB (%d rules not yet evaluated)\n", rules, len(groups), len(files), float64(size)/(1<<20), unevaluated)
	fmt.Printf("  scraped targets %d; rule files loaded and server ready in %s\n", len(sim.Targets()), loadTime.Round(100*time.Millisecond))
	fmt.Printf("  CPU share of rule evaluation (sum of last duration / interval): %.3f cores\n", share)
	fmt.Printf("  server resident memory %.0f MiB; server CPU time %.0f s over %s of wall time\n", rss/(1<<20), cpu, time.Since(started).Round(time.Second))
	fmt.Printf("  slowest groups (share of a core: last duration / interval):\n")
	for _, g := range groups[:min(8, len(groups))] {
		fmt.Printf("    %.4f  %7.3fs / %3.0fs  %5d rules  %s (%s)\n", g.seconds/g.ivl, g.seconds, g.ivl, g.rules, g.name, baseName(g.file))
	}
}

func baseName(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

// processStats reads the server's own resident memory and CPU seconds
// from its /metrics.
func processStats(t *testing.T, base string) (rss, cpu float64) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("Prometheus /metrics: %v", err)
	}
	get := func(name string) float64 {
		f, ok := fams[name]
		if !ok || len(f.Metric) == 0 {
			return 0
		}
		m := f.Metric[0]
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		}
		return 0
	}
	return get("process_resident_memory_bytes"), get("process_cpu_seconds_total")
}
