package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	pql "github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// TestSamplesPerMinute measures what the platform example's SLO rules cost
// a Prometheus at steady state, in samples read per minute of evaluation,
// and compares it with the rules sloth v0.16.0 generates for the same SLOs.
// It runs only when INFEROBS_BENCH_SAMPLES=1 (make bench sets it) and
// prints a table; it asserts nothing about the figures. The sloth half
// needs the sloth binary (INFEROBS_SLOTH, else sloth on PATH) and is
// skipped with a message when there is none.
//
// Method:
//
//   - Raw series: every series the SLIs select, as the platform's engines
//     and gateway would expose them: 4 replicas (instance label) per model
//     and, for data-parallel vLLM, one series per engine rank; every
//     finish-reason / error / status value of a partitioned counter; the
//     histogram bucket at the threshold and the _count. Counters grow at a
//     constant rate with some bad events, the queue gauge sits below its
//     limit. Scraped every 15s, with 32 days of history, so every window up
//     to the 30-day period is full: a test with only a few days of history
//     would read fewer samples for the long windows than a Prometheus that
//     has been running for a month (the steady state we want to compare).
//   - The samples are synthesised on demand by a storage.Queryable (see
//     synthStorage) instead of being loaded into a TSDB: the engine reads
//     exactly the points a TSDB holding them would return, without the
//     gigabytes a month of 15s samples would take.
//   - Recorded series: every recording rule is evaluated once at the steady
//     state timestamp T; each output series is then registered with a sample
//     at every multiple of its group's interval back 32 days, which is what
//     a month of evaluations would have written. Rules are evaluated twice
//     (the first pass registers every output, the second measures), so a
//     rule reading a series recorded by a later group finds its history.
//   - Cost: the real PromQL engine (promql.NewEngine) runs each rule's
//     expression as an instant query at T; the query's TotalSamples (what
//     Prometheus reports as the samples a query read) is summed per group
//     and multiplied by 60s / the group's interval. Groups without an
//     interval (sloth's) run at the global evaluation interval, the spec's
//     evaluationInterval (30s).
//   - Sloth: one sloth SLO per inferobs SLO instance, same 30-day period,
//     same objective, the same good and total selections, the default
//     (Google SRE workbook) windows that inferobs's "google" table also
//     uses. Ratio SLIs are given to sloth as a raw error ratio
//     1 - good/total (the cheapest form: sloth's events form,
//     (total - good) / total, reads total twice and is reported too); the
//     queue-headroom SLI, a gauge, as 1 - avg_over_time((max(queue) <= bool
//     N)[window:30s]), the subquery a sloth user would write.
func TestSamplesPerMinute(t *testing.T) {
	if os.Getenv("INFEROBS_BENCH_SAMPLES") != "1" {
		t.Skip("set INFEROBS_BENCH_SAMPLES=1 to measure samples read per minute (make bench does)")
	}
	sloth := slothBinary()
	if sloth == "" {
		fmt.Println("sloth: binary not found (set INFEROBS_SLOTH or put sloth v0.16.0 on PATH); skipping the sloth comparison")
	}
	// The spec's own evaluation interval, then 1m (Prometheus's default
	// global interval) for both rule sets, to show how the ratio moves.
	for _, every := range []string{"30s", "1m"} {
		p, ours := platformAt(t, every)
		at := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
		results := []costRow{measure(t, "inferobs", p, ours, at, p.EvaluationInterval)}
		if sloth != "" {
			for _, form := range []string{"raw", "events"} {
				data, err := runSloth(t, sloth, p, form)
				if err != nil {
					fmt.Printf("sloth: %v; skipping the sloth comparison\n", err)
					sloth = ""
					break
				}
				results = append(results, measure(t, "sloth-"+form, p, []ruleFile{{"sloth-" + form + ".yaml", data}}, at, p.EvaluationInterval))
			}
		}
		printCosts(p, results)
	}
}

// platformAt compiles examples/platform with its evaluation interval set
// to every and returns the plan and the SLO rule files.
func platformAt(t *testing.T, every string) (*plan.Plan, []ruleFile) {
	t.Helper()
	names, err := schema.FindFiles([]string{"../../examples/platform"})
	if err != nil {
		t.Fatal(err)
	}
	var files []schema.File
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		data = []byte(strings.ReplaceAll(string(data), `evaluationInterval: "30s"`, `evaluationInterval: "`+every+`"`))
		files = append(files, schema.File{Name: n, Data: data})
	}
	r, err := compiler.CompileFiles(files...)
	if err != nil {
		t.Fatal(err)
	}
	if got := model.Duration(r.Plan.EvaluationInterval).String(); got != every {
		t.Fatalf("platform spec: evaluation interval %s, want %s", got, every)
	}
	var ours []ruleFile
	for _, a := range r.Artifacts {
		if strings.HasPrefix(a.Path, "prometheus/slo-") {
			ours = append(ours, ruleFile{a.Path, a.Data})
		}
	}
	return r.Plan, ours
}

type ruleFile struct {
	name string
	data []byte
}

// costRow is what one rule set costs.
type costRow struct {
	name           string
	groups         int
	recording      int
	alerting       int
	recordedSeries int
	perCycle       int64   // samples read by one evaluation of every group
	perMinute      float64 // samples read per minute at the groups' intervals
	byInterval     map[time.Duration]int64
	// heaviest rules (per minute), for the report.
	top []ruleCost
	// ratios holds every recorded error ratio at the steady state, by
	// instance and window, to check both rule sets measure the same SLIs.
	ratios map[string]float64
}

type ruleCost struct {
	rule      string
	perMinute float64
}

const (
	scrape   = 15 * time.Second
	history  = 32 * 24 * time.Hour
	replicas = 4
)

// rawSeries registers the series every SLI of the plan reads.
func rawSeries(p *plan.Plan, st *synthStorage, at time.Time) {
	end := at.UnixMilli()
	start := at.Add(-history).UnixMilli()
	const rate = 2.0 // events per second per replica and series family
	addSeries := func(ser plan.Series, shard map[string]string, slope, value float64) {
		b := labels.NewBuilder(labels.EmptyLabels())
		b.Set(labels.MetricName, ser.Name)
		for k, v := range ser.Labels {
			b.Set(k, v)
		}
		for k, v := range shard {
			b.Set(k, v)
		}
		st.add(&synthSeries{lset: b.Labels(), start: start, end: end, step: scrape.Milliseconds(), slope: slope, value: value})
	}
	for _, s := range p.SLOs {
		ex := s.SLI.Example
		var shards []map[string]string
		dp := []string{""}
		if s.Source != "gateway" && s.Model.Catalog.HasDataParallelLabel() {
			dp = library.DataParallelValues(s.Model.Spec.DataParallel)
		}
		for r := 0; r < replicas; r++ {
			for _, e := range dp {
				l := map[string]string{"instance": fmt.Sprintf("%s-%d", s.Model.Name, r)}
				if e != "" {
					l[s.Model.Catalog.Info.DataParallelLabel] = e
				}
				shards = append(shards, l)
			}
		}
		for _, sh := range shards {
			switch ex.Shape {
			case plan.ShapeHistogram:
				addSeries(ex.Good, sh, 0.97*rate, 0)
				addSeries(ex.Total, sh, rate, 0)
			case plan.ShapePartition:
				// Every value of the label that tells good from bad.
				key, values := partitionValues(s)
				if key == "" {
					addSeries(ex.Good, sh, 0.98*rate, 0)
					addSeries(ex.Bad, sh, 0.02*rate, 0)
					continue
				}
				if ex.Good.Name != ex.Bad.Name {
					addSeries(ex.Good, sh, 0.98*rate, 0)
				}
				for _, v := range values {
					ser := ex.Bad
					if v == ex.Good.Labels[key] && ex.Good.Name == ex.Bad.Name {
						ser = ex.Good
					}
					l := map[string]string{}
					for k, x := range ser.Labels {
						l[k] = x
					}
					l[key] = v
					slope := 0.02 * rate / float64(len(values))
					if ser.Name == ex.Good.Name && v == ex.Good.Labels[key] {
						slope = 0.98 * rate
					}
					addSeries(plan.Series{Name: ser.Name, Labels: l}, sh, slope, 0)
				}
			case plan.ShapeGauge:
				addSeries(ex.Good, sh, 0, 2)
			}
		}
	}
}

// partitionValues returns the label that separates a partition SLI's good
// and bad series and every value the source exposes for it.
func partitionValues(s *plan.SLO) (string, []string) {
	ex := s.SLI.Example
	var key string
	for k, v := range ex.Bad.Labels {
		if g, ok := ex.Good.Labels[k]; !ok || g != v {
			key = k
		}
	}
	if key == "" {
		return "", nil
	}
	set := map[string]bool{ex.Bad.Labels[key]: true}
	if v, ok := ex.Good.Labels[key]; ok {
		set[v] = true
	}
	cat := s.Model.Catalog
	switch {
	case s.Source == "gateway":
		for _, v := range []string{library.StatusCodeOK, library.StatusCodeError, library.StatusCodeUnset} {
			set[v] = true
		}
	case key == cat.Info.FinishReasonLabel:
		for _, v := range cat.FinishReasons() {
			set[v] = true
		}
	default:
		if m, ok := cat.ByName(ex.Bad.Name); ok {
			if vals, ok := cat.LabelValues(m, key, library.Deployment{}); ok {
				for _, v := range vals {
					set[v] = true
				}
			}
		}
	}
	var out []string
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	return key, out
}

// measure evaluates every rule of files at steady state and sums what they
// read.
func measure(t *testing.T, name string, p *plan.Plan, files []ruleFile, at time.Time, global time.Duration) costRow {
	t.Helper()
	prs := parser.NewParser(parser.Options{})
	var groups []rulefmt.RuleGroup
	for _, f := range files {
		rgs, errs := rulefmt.Parse(f.data, false, model.UTF8Validation, prs, slog.New(slog.DiscardHandler))
		if len(errs) > 0 {
			t.Fatalf("%s: %v", f.name, errors.Join(errs...))
		}
		groups = append(groups, rgs.Groups...)
	}
	st := newSynthStorage()
	rawSeries(p, st, at)
	ng := pql.NewEngine(pql.EngineOpts{
		Logger:        slog.New(slog.DiscardHandler),
		MaxSamples:    1 << 30,
		Timeout:       10 * time.Minute,
		LookbackDelta: 5 * time.Minute,
		Parser:        prs,
	})
	row := costRow{name: name, groups: len(groups), byInterval: map[time.Duration]int64{}, ratios: map[string]float64{}}
	perRule := map[string]float64{}
	for pass := 0; pass < 2; pass++ {
		for _, g := range groups {
			every := time.Duration(g.Interval)
			if every == 0 {
				every = global
			}
			for _, rl := range g.Rules {
				q, err := ng.NewInstantQuery(context.Background(), st, pql.NewPrometheusQueryOpts(false, 0, nil), rl.Expr, at)
				if err != nil {
					t.Fatalf("%s: %s: %v", name, rl.Expr, err)
				}
				res := q.Exec(context.Background())
				if res.Err != nil {
					t.Fatalf("%s: %s: %v", name, rl.Expr, res.Err)
				}
				samples := q.Stats().Samples.TotalSamples
				vec, _ := res.Vector()
				q.Close()
				if rl.Record != "" {
					for _, smp := range vec {
						b := labels.NewBuilder(smp.Metric)
						b.Set(labels.MetricName, rl.Record)
						for k, v := range rl.Labels {
							b.Set(k, v)
						}
						st.add(&synthSeries{lset: b.Labels(), start: at.Add(-history).UnixMilli(), end: at.UnixMilli(), step: every.Milliseconds(), value: smp.F})
					}
				}
				if pass == 0 {
					continue
				}
				if w, ok := strings.CutPrefix(rl.Record, "slo:sli_error:ratio_rate"); ok {
					for _, smp := range vec {
						// A vectorised rule's model and tenant come from
						// its series, a per-instance rule's from its labels.
						get := func(k string) string {
							if v := rl.Labels[k]; v != "" {
								return v
							}
							return smp.Metric.Get(k)
						}
						id := get("sloth_slo")
						if id == "" {
							id = instanceName(get("slo"), get("model"), get("tenant"))
						}
						row.ratios[id+" "+w] = smp.F
					}
				}
				if rl.Record != "" {
					row.recording++
					row.recordedSeries += len(vec)
				} else {
					row.alerting++
				}
				row.perCycle += samples
				row.byInterval[every] += samples
				pm := float64(samples) * float64(time.Minute) / float64(every)
				row.perMinute += pm
				perRule[ruleKind(rl, every)] += pm
			}
		}
	}
	for k, v := range perRule {
		row.top = append(row.top, ruleCost{k, v})
	}
	sort.Slice(row.top, func(i, j int) bool { return row.top[i].perMinute > row.top[j].perMinute })
	return row
}

// ruleKind names a rule without its instance: the recorded name (or the
// alert), the window its expression reads and its group interval.
func ruleKind(rl rulefmt.Rule, every time.Duration) string {
	name := rl.Record
	if name == "" {
		name = "alert"
	}
	var ranges []string
	if e, err := parser.NewParser(parser.Options{}).ParseExpr(rl.Expr); err == nil {
		seen := map[string]bool{}
		parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
			var d time.Duration
			var what string
			switch x := n.(type) {
			case *parser.MatrixSelector:
				d = x.Range
				what = x.VectorSelector.(*parser.VectorSelector).Name
			case *parser.SubqueryExpr:
				d, what = x.Range, "subquery"
			default:
				return nil
			}
			if what != "subquery" && !strings.HasPrefix(what, "slo:") {
				what = "raw"
			}
			k := fmt.Sprintf("%s[%s]", what, model.Duration(d))
			if !seen[k] {
				seen[k] = true
				ranges = append(ranges, k)
			}
			return nil
		})
	}
	sort.Strings(ranges)
	return fmt.Sprintf("%s ← %s @%s", name, strings.Join(ranges, " "), model.Duration(every))
}

func slothBinary() string {
	if s := os.Getenv("INFEROBS_SLOTH"); s != "" {
		if _, err := os.Stat(s); err == nil {
			return s
		}
		return ""
	}
	if s, err := exec.LookPath("sloth"); err == nil {
		return s
	}
	return ""
}

// Sloth's prometheus/v1 spec, the parts used here.
type slothSpec struct {
	Version string     `yaml:"version"`
	Service string     `yaml:"service"`
	SLOs    []slothSLO `yaml:"slos"`
}

type slothSLO struct {
	Name      string        `yaml:"name"`
	Objective float64       `yaml:"objective"`
	SLI       slothSLI      `yaml:"sli"`
	Alerting  slothAlerting `yaml:"alerting"`
}

type slothSLI struct {
	Raw    *slothRaw    `yaml:"raw,omitempty"`
	Events *slothEvents `yaml:"events,omitempty"`
}

type slothRaw struct {
	ErrorRatioQuery string `yaml:"error_ratio_query"`
}

type slothEvents struct {
	ErrorQuery string `yaml:"error_query"`
	TotalQuery string `yaml:"total_query"`
}

type slothAlerting struct {
	Name        string            `yaml:"name"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	PageAlert   slothAlert        `yaml:"page_alert"`
	TicketAlert slothAlert        `yaml:"ticket_alert"`
}

type slothAlert struct {
	Labels map[string]string `yaml:"labels"`
}

// windowSentinel stands for sloth's {{.window}} while expressions are
// built and printed by the PromQL printer.
const windowSentinel = 7777 * time.Second

func windowed(e promql.Expr) string {
	return strings.ReplaceAll(promql.MustString(e), "["+model.Duration(windowSentinel).String(), "[{{.window}}")
}

// instanceName names an SLO instance for sloth (and matches sloth's
// recorded ratios with inferobs's).
func instanceName(slo, model, tenant string) string {
	name := slo + "-" + model
	if tenant != "" {
		name += "-" + tenant
	}
	return strings.NewReplacer(".", "-", "_", "-", "/", "-").Replace(name)
}

// alertName turns "support-chat-ttft" into "SupportChatTtftBudgetBurn".
func alertName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String() + "BudgetBurn"
}

// slothInput writes one sloth SLO per SLO instance of the plan.
func slothInput(p *plan.Plan, form string) ([]byte, error) {
	if p.Period != 30*24*time.Hour {
		return nil, fmt.Errorf("the comparison uses sloth's 30d windows; the plan's period is %s", model.Duration(p.Period))
	}
	spec := slothSpec{Version: "prometheus/v1", Service: "inferobs"}
	for _, s := range p.SLOs {
		tenant := ""
		if s.Tenant != nil {
			tenant = s.Tenant.Name
		}
		name := instanceName(s.ID, s.Model.Name, tenant)
		var sli slothSLI
		switch s.SLI.Type {
		case plan.SLIGaugeThreshold:
			gauge := promql.Expr(s.SLI.Gauge.VectorSelector())
			if len(s.SLI.Drop) > 0 {
				gauge = promql.SumWithout(gauge, s.SLI.Drop...)
			}
			ok := promql.Subquery(promql.Paren(promql.LteBool(promql.Max(gauge), promql.Num(s.SLI.GaugeMax))), windowSentinel, p.EvaluationInterval)
			sli.Raw = &slothRaw{ErrorRatioQuery: windowed(promql.Sub(promql.Num(1), promql.Call("avg_over_time", ok)))}
		default:
			good, total := plan.SumRates(s.SLI.Good, windowSentinel), plan.SumRates(s.SLI.Total, windowSentinel)
			if form == "raw" {
				sli.Raw = &slothRaw{ErrorRatioQuery: windowed(promql.Sub(promql.Num(1), promql.Div(promql.Paren(good), promql.Paren(total))))}
			} else {
				sli.Events = &slothEvents{
					ErrorQuery: windowed(promql.Sub(promql.Paren(total), promql.Paren(good))),
					TotalQuery: windowed(total),
				}
			}
		}
		labels := map[string]string{"slo": s.ID, "workload": s.Workload.Name, "model": s.Model.Name}
		if s.Tenant != nil {
			labels["tenant"] = s.Tenant.Name
		}
		spec.SLOs = append(spec.SLOs, slothSLO{
			Name:      name,
			Objective: s.Objective,
			SLI:       sli,
			Alerting: slothAlerting{
				Name:        alertName(s.ID),
				Labels:      labels,
				PageAlert:   slothAlert{Labels: map[string]string{"severity": "page"}},
				TicketAlert: slothAlert{Labels: map[string]string{"severity": "ticket"}},
			},
		})
	}
	return yaml.Marshal(spec)
}

func runSloth(t *testing.T, bin string, p *plan.Plan, form string) ([]byte, error) {
	t.Helper()
	in, err := slothInput(p, form)
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	inPath, outPath := filepath.Join(dir, "slos.yaml"), filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(inPath, in, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "generate", "--no-log", "-i", inPath, "-o", outPath)
	cmd.Stdout = io.Discard
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("sloth generate: %v: %s", err, stderr.String())
	}
	if dump := os.Getenv("INFEROBS_BENCH_KEEP"); dump != "" {
		os.MkdirAll(dump, 0o755)
		os.WriteFile(filepath.Join(dump, "sloth-"+form+"-input.yaml"), in, 0o644)
		data, _ := os.ReadFile(outPath)
		os.WriteFile(filepath.Join(dump, "sloth-"+form+"-rules.yaml"), data, 0o644)
	}
	return os.ReadFile(outPath)
}

func printCosts(p *plan.Plan, rows []costRow) {
	fmt.Printf("\nSamples read by the SLO rules of examples/platform at steady state (%d SLO instances, %d raw series scraped every %s, %d days of history; global evaluation interval %s)\n\n",
		len(p.SLOs), countRaw(p), model.Duration(scrape), int(history.Hours()/24), model.Duration(p.EvaluationInterval))
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "rule set\tgroups\trecording rules\talerting rules\trecorded series\tsamples/cycle\tsamples/min\tper SLO/min\tratio\t")
	base := rows[0].perMinute
	for _, r := range rows {
		ratio := "1×"
		if r.name != rows[0].name {
			ratio = fmt.Sprintf("%.0f× more", r.perMinute/base)
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%.0f\t%.0f\t%s\t\n", r.name, r.groups, r.recording, r.alerting, r.recordedSeries, r.perCycle, r.perMinute, r.perMinute/float64(len(p.SLOs)), ratio)
	}
	w.Flush()
	for _, r := range rows[1:] {
		same, differ := 0, 0
		for k, v := range rows[0].ratios {
			if o, ok := r.ratios[k]; ok && math.Abs(o-v) <= 1e-9*math.Max(1, math.Abs(v)) {
				same++
			} else {
				differ++
				if differ <= 3 {
					fmt.Printf("  %s: error ratio %s: inferobs %g, %s %g (present: %v)\n", r.name, k, v, r.name, o, ok)
				}
			}
		}
		fmt.Printf("%s: steady-state error ratios equal to inferobs's for %d of %d (SLO instance, window) pairs\n", r.name, same, same+differ)
	}
	for _, r := range rows {
		var parts []string
		var ivs []time.Duration
		for iv := range r.byInterval {
			ivs = append(ivs, iv)
		}
		sort.Slice(ivs, func(i, j int) bool { return ivs[i] < ivs[j] })
		for _, iv := range ivs {
			parts = append(parts, fmt.Sprintf("%d per %s cycle", r.byInterval[iv], model.Duration(iv)))
		}
		fmt.Printf("%s: %s\n", r.name, strings.Join(parts, ", "))
	}
	for _, r := range rows {
		fmt.Printf("\n%s: samples/min by rule (top 8 of %d kinds)\n", r.name, len(r.top))
		for i, c := range r.top {
			if i == 8 {
				break
			}
			fmt.Printf("  %10.0f  %5.1f%%  %s\n", c.perMinute, 100*c.perMinute/r.perMinute, c.rule)
		}
	}
	fmt.Println()
}

func countRaw(p *plan.Plan) int {
	st := newSynthStorage()
	rawSeries(p, st, time.Unix(0, 0).Add(history))
	return len(st.series)
}
