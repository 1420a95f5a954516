//go:build e2e

package e2e

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"golang.org/x/sync/semaphore"

	"github.com/inferobs/inferobs/generators/cardinality"
	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/generators/simulate"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// repo is the module root, relative to this package.
const repo = "../../.."

// speed compresses time: a 5m rate window lasts 10s, a 1h burn window 2m,
// a `for: 2m` 4s. 30 keeps the shortest window of the examples' rules (the
// KV-thrash alert's 2m) at four 1s scrapes.
const speed = 30

const scrapeInterval = time.Second

// recordingLookback covers three evaluations of the slowest group (5m
// compressed to 10s).
const recordingLookback = 30 * time.Second

// Horizons in wall time.
const (
	asGeneratedHorizon = 40 * time.Second // rules as generated: load and evaluate cleanly
	healthyHorizon     = 60 * time.Second // compressed healthy: nothing even pending (30 minutes of scenario time)
	incidentDeadline   = 150 * time.Second
	// warmup: right after a cold start every window holds a handful of
	// events, and one slow request among three is a 33% error ratio (the
	// spec's slo.minEvents guards production against exactly this). An
	// alert active only during the warm-up is not held against the rules.
	warmup = 20 * time.Second
	// settle keeps watching after the last expected alert showed up, so an
	// unexpected one has time to appear too.
	settle = 10 * time.Second
)

// binary is one backend under test: a Prometheus server, or a
// VictoriaMetrics stack (victoria-metrics single-node and vmalert, plus
// vmagent for the stream aggregation leg).
type binary struct {
	name, path string
	// queryOffset is the rule_query_offset to configure (Prometheus 3);
	// zero where the server has none (Prometheus 2.42).
	queryOffset time.Duration
	// vmDir holds victoria-metrics, vmalert and vmagent; set for the
	// VictoriaMetrics backend (path is then empty).
	vmDir string
}

func (b binary) backend() simulate.Backend {
	if b.vmDir != "" {
		return simulate.BackendVictoriaMetrics
	}
	return simulate.BackendPrometheus
}

// raceFree says whether rules read data that ingestion has completed:
// Prometheus 3's rule_query_offset, vmalert's -rule.evalDelay (paired with
// VictoriaMetrics' -search.latencyOffset).
func (b binary) raceFree() bool { return b.queryOffset > 0 || b.vmDir != "" }

// vmBinaries are the VictoriaMetrics binaries a stack needs.
var vmBinaries = []string{"victoria-metrics", "vmalert", "vmagent"}

// victoriaMetrics returns the VictoriaMetrics stack to test against, from
// INFEROBS_VICTORIAMETRICS (a directory with victoria-metrics, vmalert and
// vmagent; .ci/run builds them into a cache); false when unset.
func victoriaMetrics(t *testing.T) (binary, bool) {
	dir := os.Getenv("INFEROBS_VICTORIAMETRICS")
	if dir == "" {
		return binary{}, false
	}
	for _, b := range vmBinaries {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			t.Fatalf("INFEROBS_VICTORIAMETRICS=%s: %v", dir, err)
		}
	}
	return binary{name: "victoriametrics", vmDir: dir}, true
}

// prometheusBinaries returns the servers to test against: Prometheus 2 from
// INFEROBS_PROMETHEUS or PATH, Prometheus 3 from INFEROBS_PROMETHEUS3.
func prometheusBinaries(t *testing.T) []binary {
	var out []binary
	p2 := os.Getenv("INFEROBS_PROMETHEUS")
	if p2 == "" {
		p2, _ = exec.LookPath("prometheus")
	}
	if p2 != "" {
		out = append(out, binary{name: "prometheus2", path: p2})
	} else {
		t.Log("no prometheus on PATH and INFEROBS_PROMETHEUS unset: skipping Prometheus 2")
	}
	if p3 := os.Getenv("INFEROBS_PROMETHEUS3"); p3 != "" {
		if _, err := os.Stat(p3); err != nil {
			t.Fatalf("INFEROBS_PROMETHEUS3=%s: %v", p3, err)
		}
		out = append(out, binary{name: "prometheus3", path: p3, queryOffset: time.Second})
	} else {
		t.Log("INFEROBS_PROMETHEUS3 unset: skipping Prometheus 3")
	}
	return out
}

// run is one backend + simulator pair.
type run struct {
	example, scenario string
	// asGenerated loads the rule files as generated, only the group
	// intervals divided by the speed (30s and 5m become 1s and 10s).
	asGenerated bool
	// aggregated compiles the example with cardinality.streamAggregation
	// on: vmagent scrapes, aggregates and remote-writes, and the rules read
	// the aggregated series (VictoriaMetrics only).
	aggregated bool
}

func (r run) name() string {
	mode := "compressed"
	if r.asGenerated {
		mode = "as-generated"
	}
	if r.aggregated {
		mode = "stream-aggregated"
	}
	return r.example + "/" + mode + "/" + r.scenario
}

// key names the compiled spec a run reads.
func (r run) key() string {
	if r.aggregated {
		return r.example + "+aggr"
	}
	return r.example
}

// aggregatedRuns are the vmagent leg: the quickstart with stream
// aggregation on, healthy (every recording rule, the quantiles included,
// returns series from the aggregated buckets) and the TTFT burns (the SLI
// reads good and total events from them).
func aggregatedRuns() []run {
	var out []run
	for _, sc := range []string{"healthy", "ttft-fast-burn", "ttft-slow-burn"} {
		out = append(out, run{example: "quickstart", scenario: sc, aggregated: true})
	}
	return out
}

// compileExamples compiles the examples, and the quickstart with stream
// aggregation on (key "quickstart+aggr").
func compileExamples(t *testing.T) map[string]*compiler.Result {
	plans := map[string]*compiler.Result{}
	for _, ex := range []string{"quickstart", "platform"} {
		r, err := compiler.Compile(filepath.Join(repo, "examples", ex))
		if err != nil {
			t.Fatalf("compile %s: %v", ex, err)
		}
		plans[ex] = r
	}
	r, err := compiler.CompileFiles(aggregatedSpec(t)...)
	if err != nil {
		t.Fatalf("compile the quickstart with stream aggregation: %v", err)
	}
	plans["quickstart+aggr"] = r
	return plans
}

// aggregatedSpec is the quickstart's spec files plus
// cardinality.streamAggregation: true.
func aggregatedSpec(t *testing.T) []compiler.File {
	return specWith(t, filepath.Join(repo, "examples", "quickstart"), "stream-aggregation.cue", "cardinality: streamAggregation: true\n")
}

// specWith is the spec files in dir plus one more, name, holding extra
// (CUE unifies it with the rest).
func specWith(t *testing.T, dir, name, extra string) []compiler.File {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.cue"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("%s: no spec files (%v)", dir, err)
	}
	var files []compiler.File
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, compiler.File{Name: p, Data: data})
	}
	return append(files, compiler.File{Name: name, Data: []byte(extra)})
}

func runs() []run {
	var out []run
	for _, ex := range []string{"quickstart", "platform"} {
		out = append(out, run{example: ex, scenario: "healthy", asGenerated: true})
	}
	for _, sc := range simulate.ScenarioNames() {
		out = append(out, run{example: "quickstart", scenario: sc})
	}
	// The platform adds vLLM 0.16 with data parallelism, TGI and the
	// gateway: the scenarios that exercise what the quickstart lacks.
	for _, sc := range []string{"healthy", "gateway-gap", "engine-down"} {
		out = append(out, run{example: "platform", scenario: sc})
	}
	return out
}

// TestPrometheus runs every scenario against every available Prometheus.
func TestPrometheus(t *testing.T) {
	bins := prometheusBinaries(t)
	if len(bins) == 0 {
		t.Skip("no Prometheus binary")
	}
	plans := compileExamples(t)
	for _, bin := range bins {
		runBackend(t, bin, plans, runs(), nil)
	}
}

// TestVictoriaMetrics runs every scenario against VictoriaMetrics
// single-node and vmalert with their production defaults compressed by the
// speed (simulate.VictoriaMetricsSetup), and the stream aggregation leg
// through vmagent.
func TestVictoriaMetrics(t *testing.T) {
	bin, ok := victoriaMetrics(t)
	if !ok {
		t.Skip("INFEROBS_VICTORIAMETRICS unset: skipping VictoriaMetrics")
	}
	slots := int64(vmSlots)
	if s := os.Getenv("INFEROBS_E2E_VM_SLOTS"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < vmWeight["platform"] {
			t.Fatalf("INFEROBS_E2E_VM_SLOTS=%s: want a number of at least %d", s, vmWeight["platform"])
		}
		slots = n
	}
	runBackend(t, bin, compileExamples(t), append(runs(), aggregatedRuns()...), semaphore.NewWeighted(slots))
}

// A VictoriaMetrics stack costs more CPU than a Prometheus (the rules'
// queries cross HTTP twice): measured here, about 0.13 of a core for the
// quickstart's (victoria-metrics, vmalert, the simulator) and 0.45 for the
// platform's. Run them all at once on two cores and scrapes time out, so
// at most vmSlots weight units run together (about 1.3 cores). At 12
// units (1.7 cores) about one pass in fifteen failed here: a stack's
// samples landed after vmalert's evaluation delay and an alert went
// pending that the scenario does not raise.
const vmSlots = 9

var vmWeight = map[string]int64{"quickstart": 1, "platform": 3}

// runBackend runs every run against one backend, in parallel (as many at
// once as limit allows, when given).
func runBackend(t *testing.T, bin binary, plans map[string]*compiler.Result, rs []run, limit *semaphore.Weighted) {
	start := time.Now()
	t.Run(bin.name, func(t *testing.T) {
		for _, r := range rs {
			t.Run(r.name(), func(t *testing.T) {
				t.Parallel()
				if limit != nil {
					w := vmWeight[r.example]
					if err := limit.Acquire(context.Background(), w); err != nil {
						t.Fatal(err)
					}
					defer limit.Release(w)
				}
				check(t, bin, plans[r.key()], r)
			})
		}
	})
	t.Logf("%s: e2e wall time %s", bin.name, time.Since(start).Round(time.Second))
}

// ruleFilesOf returns the rule files of a run: the example's generated
// files from out/ (what `make generate` committed), or, for a spec
// compiled in the test, its artifacts.
func ruleFilesOf(t *testing.T, res *compiler.Result, r run) map[string][]byte {
	if !r.aggregated {
		return ruleFiles(t, r.example)
	}
	out := map[string][]byte{}
	for _, a := range res.Artifacts {
		if strings.HasPrefix(a.Path, "prometheus/") {
			out[filepath.Base(a.Path)] = a.Data
		}
	}
	return out
}

// ruleFiles reads the example's generated rule files from out/.
func ruleFiles(t *testing.T, example string) map[string][]byte {
	paths, err := filepath.Glob(filepath.Join(repo, "out", example, "prometheus", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no rule files in out/%s/prometheus (run make generate): %v", example, err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = data
	}
	return out
}

func check(t *testing.T, bin binary, res *compiler.Result, r run) {
	p := res.Plan
	sim, err := simulate.New(p, simulate.Options{Scenario: r.scenario, Seed: 1, Speed: speed, Start: time.Now()})
	var na *simulate.NotApplicableError
	if errors.As(err, &na) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	// The simulator, in process, on a free loopback port.
	ln, err := simulate.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: sim.Handler(nil), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})

	dir := t.TempDir()
	files := ruleFilesOf(t, res, r)
	comp := simulate.Compression{Factor: speed, Exprs: !r.asGenerated, For: !r.asGenerated}
	setup := simulate.PrometheusSetup{Address: ln.Addr().String(), ScrapeInterval: scrapeInterval, EvaluationInterval: scrapeInterval, RuleQueryOffset: bin.queryOffset}
	var prom *prometheus
	if bin.backend() == simulate.BackendVictoriaMetrics {
		var aggr []byte
		if r.aggregated {
			art, ok := res.Artifact(cardinality.StreamAggrPath)
			if !ok {
				t.Fatalf("no %s in the aggregated compile", cardinality.StreamAggrPath)
			}
			aggr = art.Data
		}
		vm, err := sim.WriteVictoriaMetricsDir(dir, files, aggr, comp, setup)
		if err != nil {
			t.Fatal(err)
		}
		prom = startVictoriaMetrics(t, bin, vm)
	} else {
		if r.aggregated {
			t.Fatal("the stream aggregation leg needs vmagent")
		}
		cfg, err := sim.WritePrometheusDir(dir, files, comp, setup)
		if err != nil {
			t.Fatal(err)
		}
		prom = startPrometheus(t, bin, dir, cfg, simulate.LookbackDelta(speed, scrapeInterval), "")
	}

	want := map[string][]string{} // group -> rule names
	for name, data := range files {
		groups, err := simulate.RuleNames(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for g, rs := range groups {
			want[g] = append(want[g], rs...)
		}
	}

	// What the scenario must trigger, and what may fire by chance: after
	// the warm-up every window holds at least warmup's worth of events, so
	// a tier whose line is within three standard deviations of the
	// expected bad share (a 99% SLO of a tenant sending a few requests a
	// second) is not held against the rules. The as-generated runs have
	// unscaled windows, but right after a cold start those hold all the
	// data there is, which is the same.
	exps := sim.Expectations(warmup)
	// Rules evaluate from the start, before the first scrapes: an absent()
	// alert goes pending on a cold start. Observe from the moment every
	// target has been scraped, two evaluations later.
	if err := waitScraped(prom, len(sim.Targets())); err != nil {
		t.Fatalf("%v\n%s", err, prom.logTail())
	}
	time.Sleep(2 * scrapeInterval)
	obs := newObserver(prom)
	begin := time.Now()
	obs.judgeFrom = begin.Add(warmup)
	musts, mays := 0, 0
	for _, e := range exps {
		if e.Must {
			musts++
		} else {
			mays++
		}
	}
	horizon := healthyHorizon
	switch {
	case r.asGenerated:
		horizon = asGeneratedHorizon
	case musts > 0:
		horizon = incidentDeadline
	}
	var allSeenAt time.Time
	for polls := 0; time.Since(begin) < horizon; polls++ {
		time.Sleep(time.Second)
		// The rules API answer is large (every rule with its query and
		// annotations): read it every third second.
		if err := obs.poll(polls%3 == 0); err != nil {
			t.Fatalf("%v\n%s", err, prom.logTail())
		}
		if musts == 0 {
			continue
		}
		if obs.missing(exps) == nil {
			if allSeenAt.IsZero() {
				allSeenAt = time.Now()
			}
			if time.Since(allSeenAt) >= settle && time.Since(begin) >= warmup+settle {
				break
			}
		}
	}
	if err := obs.poll(true); err != nil {
		t.Fatalf("%v\n%s", err, prom.logTail())
	}
	elapsed := time.Since(begin).Round(time.Second)

	var problems []string
	// Every group and rule of the files is loaded.
	loaded := map[string][]string{}
	for _, g := range obs.lastRules.Data.Groups {
		for _, rl := range g.Rules {
			loaded[g.Name] = append(loaded[g.Name], rl.Name)
		}
	}
	for g, rs := range want {
		if got := loaded[g]; len(got) != len(rs) {
			problems = append(problems, fmt.Sprintf("group %s: %d rules loaded, %d in the files", g, len(got), len(rs)))
		}
	}
	if len(loaded) != len(want) {
		problems = append(problems, fmt.Sprintf("%d groups loaded, %d in the files", len(loaded), len(want)))
	}
	// Every rule evaluated, never with an error.
	for _, k := range slices.Sorted(maps.Keys(obs.ruleErrs)) {
		problems = append(problems, "rule "+k+" failed to evaluate: "+obs.ruleErrs[k])
	}
	for _, g := range obs.lastRules.Data.Groups {
		for _, rl := range g.Rules {
			if rl.Health == "unknown" || rl.LastEvaluation.Before(begin) {
				problems = append(problems, fmt.Sprintf("rule %s/%s never evaluated (health %s)", g.Name, rl.Name, rl.Health))
			}
		}
	}
	// Healthy traffic: every recording rule returns series for its model,
	// once the longest chain of recorded series has had time to fill
	// (seriesSettle): until then a missing series is waited for.
	if r.scenario == "healthy" {
		deadline := begin.Add(seriesSettle(obs.lastRules, readDelay(bin)))
		for {
			missing, err := missingSeries(obs)
			if err != nil {
				t.Fatalf("%v\n%s", err, prom.logTail())
			}
			if len(missing) == 0 || time.Now().After(deadline) {
				problems = append(problems, missing...)
				break
			}
			time.Sleep(time.Second)
		}
		if waited := time.Since(begin).Round(time.Second); waited > elapsed {
			t.Logf("%s: every recording rule returned series after %s", r.name(), waited)
		}
	}
	// Alerts: the expected ones became active, nothing else did.
	for _, e := range obs.missing(exps) {
		problems = append(problems, fmt.Sprintf("expected alert %s never became pending or firing within %s: %s", e, elapsed, e.Why))
	}
	tolerated := 0
	for _, a := range obs.unexpected(exps) {
		if !bin.raceFree() && raceProne(p, a) {
			tolerated++
			continue
		}
		problems = append(problems, "unexpected alert "+a.String())
	}
	if len(problems) > 0 {
		for _, u := range slices.Sorted(maps.Keys(obs.scrapeErrs)) {
			problems = append(problems, fmt.Sprintf("note: scrape of %s failed: %s (not a simulated outage: was the machine too busy to scrape every second?)", u, obs.scrapeErrs[u]))
		}
		t.Errorf("%s on %s (%s observed):\n  %s\n%s", r.name(), bin.name, elapsed, strings.Join(problems, "\n  "), prom.logTail())
		return
	}
	note := ""
	if tolerated > 0 {
		note = fmt.Sprintf(" (%d race-prone burn alerts tolerated, see raceProne)", tolerated)
	}
	t.Logf("%s: ok after %s (%d alerts expected, %d allowed near their line); active: %s%s", r.name(), elapsed, musts, mays, strings.Join(obs.activeNames(), ", "), note)
}

// missingSeries lists the recording rules that return no series.
func missingSeries(obs *observer) ([]string, error) {
	var out []string
	for _, g := range obs.lastRules.Data.Groups {
		for _, rl := range g.Rules {
			if rl.Type != "recording" {
				continue
			}
			n, err := obs.count(rl.Name, rl.Labels)
			if err != nil {
				return nil, fmt.Errorf("recording rule %s/%s: query: %v", g.Name, rl.Name, err)
			}
			if n == 0 {
				out = append(out, fmt.Sprintf("recording rule %s/%s%s returned no series (expr: %s)", g.Name, rl.Name, labelText(rl.Labels), rl.Query))
			}
		}
	}
	return out, nil
}

// readDelay is how far in the past the backend's rules read: vmalert's
// evaluation delay, Prometheus 3's query offset.
func readDelay(b binary) time.Duration {
	if b.vmDir != "" {
		return simulate.EvalDelay(speed)
	}
	return b.queryOffset
}

// recordedName finds metric names in a rule's query.
var recordedName = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)

// seriesSettle bounds how long after the start every recorded series
// exists: a rule reading a series another group records sees it at its
// first evaluation after that series' first sample has become readable,
// one group interval plus the backend's read delay and a scrape later;
// along the longest chain of recorded series that adds up hop by hop. On
// vmalert, whose rules read 30s in the past, with the SLO groups' 5m
// interval and a 15s scrape, a burn-rate series four hops from the raw
// data (rates, sampled copies, slow window, burn rate) first appears
// about 23 minutes after a cold start.
func seriesSettle(rr rulesResponse, delay time.Duration) time.Duration {
	type node struct {
		reads    []string
		interval time.Duration
	}
	rules := map[string]node{}
	var longest time.Duration
	for _, g := range rr.Data.Groups {
		iv := time.Duration(g.Interval * float64(time.Second))
		longest = max(longest, iv)
		for _, rl := range g.Rules {
			if rl.Type == "recording" {
				n := rules[rl.Name]
				n.interval = max(n.interval, iv)
				n.reads = append(n.reads, recordedName.FindAllString(rl.Query, -1)...)
				rules[rl.Name] = n
			}
		}
	}
	depth := map[string]int{}
	var visit func(name string, seen map[string]bool) int
	visit = func(name string, seen map[string]bool) int {
		if d, ok := depth[name]; ok {
			return d
		}
		if seen[name] {
			return 0
		}
		seen[name] = true
		d := 1
		for _, r := range rules[name].reads {
			if _, ok := rules[r]; ok && r != name {
				d = max(d, 1+visit(r, seen))
			}
		}
		depth[name] = d
		return d
	}
	most := 0
	for name := range rules {
		most = max(most, visit(name, map[string]bool{}))
	}
	return time.Duration(most) * (longest + delay + scrapeInterval)
}

// shortAlert names an alert by its identifying labels only.
func shortAlert(a seenAlert) string {
	keep := map[string]string{}
	for _, k := range []string{"model", "tier", "tenant", "pod", "gpu", "Hostname"} {
		if v, ok := a.labels[k]; ok {
			keep[k] = v
		}
	}
	return a.name + labelText(keep)
}

func labelText(ls map[string]string) string {
	if len(ls) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(ls)) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, ls[k]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// prometheus is a running backend: one Prometheus, or a VictoriaMetrics
// stack whose APIs live on different servers.
type prometheus struct {
	// base serves the query API; rules the rules and alerts API (vmalert);
	// targets the targets API (the scraper: vmagent where it scrapes).
	// rules and targets default to base.
	base, rules, targets string
	log                  string
	// logs of the other servers of the stack.
	more []string
}

func (p *prometheus) rulesBase() string   { return cmp.Or(p.rules, p.base) }
func (p *prometheus) targetsBase() string { return cmp.Or(p.targets, p.base) }

func (p *prometheus) logTail() string {
	out := tailOf(p.log)
	for _, l := range p.more {
		out += "\n" + tailOf(l)
	}
	return out
}

func tailOf(log string) string {
	f, err := os.Open(log)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		// VictoriaMetrics logs each reset of its rollup cache (a slow
		// group's sample arriving older than -search.cacheTimestampOffset):
		// noise here.
		if l := sc.Text(); !strings.Contains(l, "rollup result cache") && !strings.Contains(l, "rollupResult cache") {
			lines = append(lines, l)
		}
	}
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	for i, l := range lines {
		if len(l) > 300 {
			lines[i] = l[:300] + "…"
		}
	}
	return "--- " + filepath.Base(log) + " (" + log + ", last lines) ---\n" + strings.Join(lines, "\n")
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startPrometheus starts bin on a free loopback port and waits until it is
// ready. Cleanup stops it by its PID (SIGTERM, then SIGKILL).
func startPrometheus(t *testing.T, bin binary, dir, cfg string, lookback time.Duration, dataDir string) *prometheus {
	t.Helper()
	for attempt := 0; ; attempt++ {
		port := freePort(t)
		p := &prometheus{base: fmt.Sprintf("http://127.0.0.1:%d", port), log: filepath.Join(dir, fmt.Sprintf("prometheus-%d.log", attempt))}
		logf, err := os.Create(p.log)
		if err != nil {
			t.Fatal(err)
		}
		data := dataDir
		if data == "" {
			data = filepath.Join(dir, fmt.Sprintf("data-%d", attempt))
		}
		stop, exited, err := startProcess(bin.path, []string{
			"--config.file=" + cfg,
			"--storage.tsdb.path=" + data,
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
			"--query.lookback-delta=" + lookback.String(),
		}, logf)
		if err != nil {
			t.Fatal(err)
		}
		ready, err := waitReady(p.base+"/-/ready", exited)
		if ready {
			t.Cleanup(stop)
			return p
		}
		stop()
		if attempt < 2 && strings.Contains(p.logTail(), "address already in use") {
			continue
		}
		t.Fatalf("%s did not become ready: %v\n%s", bin.path, err, p.logTail())
	}
}

// startProcess starts path with args, its output in logf (closed when it
// exits); exited is closed once it has. stop ends it by its PID: SIGTERM,
// then SIGKILL after 10s.
func startProcess(path string, args []string, logf *os.File) (stop func(), exited <-chan struct{}, err error) {
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, nil, fmt.Errorf("start %s: %v", path, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	stop = func() {
		select {
		case <-done:
			return
		default:
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	return stop, done, nil
}

// startVictoriaMetrics starts the stack of vm (victoria-metrics, vmagent
// with stream aggregation, vmalert) on free loopback ports, each with the
// command line simulate.VictoriaMetricsSetup gives, and waits until each
// is healthy. Cleanup stops them by PID, vmalert first.
func startVictoriaMetrics(t *testing.T, bin binary, vm simulate.VictoriaMetricsSetup) *prometheus {
	t.Helper()
	dir := vm.DataDir
	for attempt := 0; ; attempt++ {
		vm.DataDir = filepath.Join(dir, fmt.Sprintf("data-%d", attempt))
		vm.VictoriaMetrics = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		vm.VMAlert = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		vm.VMAgent = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		p := &prometheus{base: "http://" + vm.VictoriaMetrics, rules: "http://" + vm.VMAlert}
		if vm.StreamAggrConfig != "" {
			p.targets = "http://" + vm.VMAgent
		}
		var stops []func()
		stopAll := func() {
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]()
			}
		}
		var failed error
		for _, c := range vm.Commands() {
			log := filepath.Join(dir, fmt.Sprintf("%s-%d.log", c.Name, attempt))
			if p.log == "" {
				p.log = log
			} else {
				p.more = append(p.more, log)
			}
			logf, err := os.Create(log)
			if err != nil {
				t.Fatal(err)
			}
			stop, exited, err := startProcess(filepath.Join(bin.vmDir, c.Name), c.Args, logf)
			if err != nil {
				t.Fatal(err)
			}
			stops = append(stops, stop)
			addr := map[string]string{"victoria-metrics": vm.VictoriaMetrics, "vmagent": vm.VMAgent, "vmalert": vm.VMAlert}[c.Name]
			if ok, err := waitReady("http://"+addr+"/health", exited); !ok {
				failed = fmt.Errorf("%s did not become healthy: %v", c.Name, err)
				break
			}
		}
		if failed == nil {
			t.Cleanup(stopAll)
			return p
		}
		stopAll()
		if attempt < 2 && strings.Contains(p.logTail(), "address already in use") {
			continue
		}
		t.Fatalf("%v\n%s", failed, p.logTail())
	}
}

func waitReady(url string, exited <-chan struct{}) (bool, error) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false, errors.New("exited")
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true, nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false, errors.New("timed out")
}

// waitScraped waits until n targets are active and each was scraped.
func waitScraped(p *prometheus, n int) error {
	var tr struct {
		Data struct {
			ActiveTargets []struct {
				Health     string    `json:"health"`
				ScrapeURL  string    `json:"scrapeUrl"`
				LastScrape time.Time `json:"lastScrape"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		if err := getJSON(p.targetsBase()+"/api/v1/targets", &tr); err != nil {
			return err
		}
		done := 0
		last = ""
		for _, t := range tr.Data.ActiveTargets {
			// Prometheus reports an unscraped target as "unknown";
			// VictoriaMetrics as "down" with a zero last scrape.
			if t.Health != "unknown" && t.LastScrape.Year() > 2000 {
				done++
			} else {
				last = t.ScrapeURL
			}
		}
		if done == n && len(tr.Data.ActiveTargets) == n {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%d targets not all scraped after 30s (e.g. %s)", n, last)
}

// API responses.
type rulesResponse struct {
	Status string `json:"status"`
	Data   struct {
		Groups []struct {
			Name     string  `json:"name"`
			File     string  `json:"file"`
			Interval float64 `json:"interval"` // seconds
			Rules    []struct {
				Name           string            `json:"name"`
				Query          string            `json:"query"`
				Health         string            `json:"health"`
				LastError      string            `json:"lastError"`
				Type           string            `json:"type"`
				Labels         map[string]string `json:"labels"`
				LastEvaluation time.Time         `json:"lastEvaluation"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"data"`
}

type targetsResponse struct {
	Data struct {
		ActiveTargets []struct {
			Health    string `json:"health"`
			LastError string `json:"lastError"`
			ScrapeURL string `json:"scrapeUrl"`
		} `json:"activeTargets"`
	} `json:"data"`
}

type alertsResponse struct {
	Status string `json:"status"`
	Data   struct {
		Alerts []struct {
			Labels map[string]string `json:"labels"`
			State  string            `json:"state"`
		} `json:"alerts"`
	} `json:"data"`
}

type queryResponse struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  []any             `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// observer polls the rules and alerts APIs and remembers what it saw.
type observer struct {
	p         *prometheus
	mu        sync.Mutex
	lastRules rulesResponse
	ruleErrs  map[string]string // group/rule -> first error
	// scrapeErrs holds scrape failures other than a simulated outage.
	scrapeErrs map[string]string
	active     map[string]seenAlert
	// judgeFrom: alerts last seen before it are warm-up noise.
	judgeFrom time.Time
}

type seenAlert struct {
	name     string
	labels   map[string]string
	state    string
	lastSeen time.Time
}

func newObserver(p *prometheus) *observer {
	return &observer{p: p, ruleErrs: map[string]string{}, scrapeErrs: map[string]string{}, active: map[string]seenAlert{}}
}

func getJSON(u string, v any) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, body)
	}
	return json.Unmarshal(body, v)
}

func (o *observer) poll(withRules bool) error {
	var rr rulesResponse
	if withRules {
		if err := getJSON(o.p.rulesBase()+"/api/v1/rules", &rr); err != nil {
			return err
		}
	}
	var ar alertsResponse
	if err := getJSON(o.p.rulesBase()+"/api/v1/alerts", &ar); err != nil {
		return err
	}
	var tr targetsResponse
	if withRules {
		if err := getJSON(o.p.targetsBase()+"/api/v1/targets", &tr); err != nil {
			return err
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if withRules {
		o.lastRules = rr
	}
	for _, g := range rr.Data.Groups {
		for _, r := range g.Rules {
			key := g.Name + "/" + r.Name + labelText(r.Labels)
			if r.Health == "err" {
				if _, seen := o.ruleErrs[key]; !seen {
					o.ruleErrs[key] = r.LastError
				}
			}
		}
	}
	for _, t := range tr.Data.ActiveTargets {
		// A simulated engine outage answers 503; anything else (a timeout)
		// is the test machine failing to keep up.
		if t.LastError != "" && !strings.Contains(t.LastError, strconv.Itoa(http.StatusServiceUnavailable)) {
			if _, seen := o.scrapeErrs[t.ScrapeURL]; !seen {
				o.scrapeErrs[t.ScrapeURL] = t.LastError
			}
		}
	}
	for _, a := range ar.Data.Alerts {
		if a.State != "pending" && a.State != "firing" {
			continue
		}
		name := a.Labels[labels.AlertName]
		key := name + labelText(a.Labels)
		state := a.State
		if prev, ok := o.active[key]; ok && prev.state == "firing" {
			state = "firing"
		}
		o.active[key] = seenAlert{name: name, labels: a.Labels, state: state, lastSeen: time.Now()}
	}
	return nil
}

// missing returns the expectations that must fire and have not.
func (o *observer) missing(exps []simulate.Expectation) []simulate.Expectation {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []simulate.Expectation
	for _, e := range exps {
		if !e.Must {
			continue
		}
		found := false
		for _, a := range o.active {
			found = found || e.Matches(a.name, a.labels)
		}
		if !found {
			out = append(out, e)
		}
	}
	return out
}

// unexpected returns the alerts seen active after the warm-up that no
// expectation allows.
func (o *observer) unexpected(exps []simulate.Expectation) []seenAlert {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []seenAlert
	for _, k := range slices.Sorted(maps.Keys(o.active)) {
		a := o.active[k]
		if a.lastSeen.Before(o.judgeFrom) {
			continue
		}
		ok := false
		for _, e := range exps {
			ok = ok || e.Matches(a.name, a.labels)
		}
		if !ok {
			out = append(out, a)
		}
	}
	return out
}

func (a seenAlert) String() string {
	return fmt.Sprintf("%s%s (%s)", a.name, labelText(a.labels), a.state)
}

// raceProne reports whether an unexpected alert is an SLO burn tier that
// a known race of Prometheus without rule_query_offset can trip at this
// compression. A scrape that commits between the evaluation of an SLO's
// good and total rules (same timestamp, consecutive queries) counts its
// events in the total only: one base-window sample then reads an error
// ratio of about (scrape interval / base window) / (targets feeding the
// SLI), 10% for the single gateway target at 30x (1s / 10s). The slow
// windows hold only a couple of samples right after the warm-up, so a
// single such sample can put them over a line that low. In production
// (5m windows, 15s scrapes, millisecond-wide gaps) the race is rare and
// its skew diluted over hundreds of samples.
func raceProne(p *plan.Plan, a seenAlert) bool {
	base := 5 * time.Minute / speed
	for _, s := range p.SLOs {
		ok := true
		for k, v := range s.Labels() {
			ok = ok && a.labels[k] == v
		}
		if !ok || len(s.Labels()) != countSLOLabels(a.labels) {
			continue
		}
		targets := 1.0
		if s.Source == schema.SourceEngine {
			targets = float64(s.Model.Spec.Replicas)
		}
		skew := scrapeInterval.Seconds() / base.Seconds() / targets
		for _, t := range p.Tiers {
			if a.labels[library.LabelTier] == t.Name {
				return t.Factor*s.Budget < 1.25*skew/2
			}
		}
	}
	return false
}

func countSLOLabels(ls map[string]string) int {
	n := 0
	for _, k := range []string{"slo", "workload", "model", "tenant"} {
		if _, ok := ls[k]; ok {
			n++
		}
	}
	return n
}

func (o *observer) activeNames() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, k := range slices.Sorted(maps.Keys(o.active)) {
		a := o.active[k]
		note := ""
		if a.lastSeen.Before(o.judgeFrom) {
			note = " (warm-up only)"
		}
		out = append(out, fmt.Sprintf("%s %s%s", shortAlert(a), a.state, note))
	}
	if len(out) == 0 {
		out = []string{"none"}
	}
	return out
}

// count returns how many series a recorded name with these labels has now.
func (o *observer) count(name string, ls map[string]string) (int, error) {
	var ms []*labels.Matcher
	for _, k := range slices.Sorted(maps.Keys(ls)) {
		ms = append(ms, promql.Eq(k, ls[k]))
	}
	// A slow group's samples can be older than the lookback delta (its
	// interval equals it, as in production): look back over a few.
	q, err := promql.Check(promql.OverTime("last", promql.Sel(name, ms...), recordingLookback))
	if err != nil {
		return 0, err
	}
	var qr queryResponse
	if err := getJSON(o.p.base+"/api/v1/query?query="+url.QueryEscape(q), &qr); err != nil {
		return 0, err
	}
	if qr.Status != "success" {
		return 0, errors.New(qr.Error)
	}
	return len(qr.Data.Result), nil
}

// TestOpenMetricsBackfill writes a scenario as OpenMetrics, backfills it
// with promtool and reads it back through a Prometheus started on the
// blocks.
func TestOpenMetricsBackfill(t *testing.T) {
	bins := prometheusBinaries(t)
	promtool := os.Getenv("INFEROBS_PROMTOOL")
	if promtool == "" {
		promtool, _ = exec.LookPath("promtool")
	}
	if len(bins) == 0 || promtool == "" {
		t.Skip("no prometheus or promtool")
	}
	r, err := compiler.Compile(filepath.Join(repo, "examples", "quickstart"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	end := time.Now().Add(-time.Hour).Truncate(time.Minute)
	dur, step := 30*time.Minute, 15*time.Second
	sim, err := simulate.New(r.Plan, simulate.Options{Scenario: "truncations", Seed: 1, Start: end.Add(-dur), Tick: step})
	if err != nil {
		t.Fatal(err)
	}
	om := filepath.Join(dir, "truncations.om")
	f, err := os.Create(om)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.WriteOpenMetrics(f, dur, step); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data := filepath.Join(dir, "backfilled")
	if out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", om, data).CombinedOutput(); err != nil {
		t.Fatalf("promtool backfill: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(cfg, []byte("global: {scrape_interval: 15s}\n"), 0o644)
	p := startPrometheus(t, bins[0], dir, cfg, 5*time.Minute, data)
	at := strconv.FormatInt(end.Unix(), 10)
	for q, min := range map[string]float64{
		`count(up == 1)`: 5, // four engines and the DCGM exporter
		`sum(increase(vllm:request_success_total{finished_reason="length"}[10m])) / sum(increase(vllm:request_success_total[10m]))`: 0.2,
		`count(DCGM_FI_PROF_PIPE_TENSOR_ACTIVE)`: 4,
	} {
		var qr queryResponse
		if err := getJSON(p.base+"/api/v1/query?time="+at+"&query="+url.QueryEscape(q), &qr); err != nil {
			t.Fatal(err)
		}
		if len(qr.Data.Result) != 1 {
			t.Errorf("%s: %d results\n%s", q, len(qr.Data.Result), p.logTail())
			continue
		}
		v, _ := strconv.ParseFloat(fmt.Sprint(qr.Data.Result[0].Value[1]), 64)
		if v < min {
			t.Errorf("%s = %g, want at least %g", q, v, min)
		}
	}
}

// TestVMAgentDryRun checks the emitted vmagent stream aggregation config,
// as generated and as compressed for the e2e runs, and the VictoriaMetrics
// scrape config with a real vmagent's -dryRun, for the quickstart and the
// platform (engine and spanmetrics histograms) with stream aggregation on;
// and that -dryRun does reject a config vmagent cannot load, so the check
// can fail.
func TestVMAgentDryRun(t *testing.T) {
	bin, ok := victoriaMetrics(t)
	if !ok {
		t.Skip("INFEROBS_VICTORIAMETRICS unset")
	}
	vmagent := filepath.Join(bin.vmDir, "vmagent")
	dryRun := func(scrape, aggr string) (string, error) {
		out, err := exec.Command(vmagent, "-dryRun", "-promscrape.config="+scrape,
			"-remoteWrite.url=http://127.0.0.1:1/api/v1/write", "-remoteWrite.streamAggr.config="+aggr).CombinedOutput()
		return string(out), err
	}
	for _, ex := range []string{"quickstart", "platform"} {
		t.Run(ex, func(t *testing.T) {
			files := specWith(t, filepath.Join(repo, "examples", ex), "stream-aggregation.cue", "cardinality: streamAggregation: true\n")
			res, err := compiler.CompileFiles(files...)
			if err != nil {
				t.Fatal(err)
			}
			art, ok := res.Artifact(cardinality.StreamAggrPath)
			if !ok {
				t.Fatalf("no %s", cardinality.StreamAggrPath)
			}
			sim, err := simulate.New(res.Plan, simulate.Options{Scenario: "healthy", Seed: 1, Speed: speed, Start: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			vm, err := sim.WriteVictoriaMetricsDir(dir, nil, art.Data, simulate.Compression{Factor: speed}, simulate.PrometheusSetup{Address: "127.0.0.1:9400"})
			if err != nil {
				t.Fatal(err)
			}
			generated := filepath.Join(dir, "generated-stream-aggr.yaml")
			if err := os.WriteFile(generated, art.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, aggr := range []string{generated, vm.StreamAggrConfig} {
				if out, err := dryRun(vm.ScrapeConfig, aggr); err != nil {
					t.Errorf("vmagent -dryRun rejects %s: %v\n%s", filepath.Base(aggr), err, out)
				}
			}
			broken := filepath.Join(dir, "broken.yaml")
			os.WriteFile(broken, append(append([]byte(nil), art.Data...), "- match: x\n  interval: 1m\n  outputs: [total]\n  withou: [instance]\n"...), 0o644)
			if out, err := dryRun(vm.ScrapeConfig, broken); err == nil {
				t.Errorf("vmagent -dryRun accepted a config with an unknown field:\n%s", out)
			}
		})
	}
}
