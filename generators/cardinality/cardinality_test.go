package cardinality_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"go.yaml.in/yaml/v3"

	"github.com/inferobs/inferobs/generators/cardinality"
	"github.com/inferobs/inferobs/generators/cardinality/synth"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
	"github.com/inferobs/inferobs/schema/diag"
)

// mustPlan loads CUE source and plans it, failing on any error.
func mustPlan(t *testing.T, src string) *plan.Plan {
	t.Helper()
	s, ds := schema.LoadFiles([]schema.File{{Name: "spec.cue", Data: []byte(src)}})
	if s == nil {
		t.Fatalf("spec rejected:\n%v", ds.Err())
	}
	p, ds := plan.New(s)
	if p == nil {
		t.Fatalf("plan failed:\n%v", ds.Err())
	}
	return p
}

// small is the spec of the exposition check: one vLLM 0.11 model with two
// replicas of two data-parallel engines, one TGI 3.3 model.
const small = `environment: "test"
gpus: h100: hourlyCost: 3.2
models: {
	llama: {
		engine:        "vllm"
		engineVersion: "0.11.0"
		servedName:    "meta-llama/Llama-3.1-8B-Instruct"
		selector: {namespace: "llm", job: "vllm-llama"}
		gpu:          "h100"
		replicas:     2
		dataParallel: 2
		pricing: {promptPerMillion: 0.1, generationPerMillion: 0.4}
	}
	mistral: {
		engine:        "tgi"
		engineVersion: "3.3"
		selector: {namespace: "llm", job: "tgi-mistral"}
		gpu:      "h100"
		replicas: 1
	}
}
tenants: {acme: {}, globex: {highValue: true}}
workloads: chat: {
	class: "chat"
	models: ["llama", "mistral"]
	tenants: ["acme", "globex"]
}
`

// TestArticleCardinality reproduces the source article's design-time math
// ("Cardinality": tenants × models × quantiles × histogram_buckets ×
// instances) with the formula helper, then shows where each factor lives
// in the estimator's own terms.
func TestArticleCardinality(t *testing.T) {
	one := cardinality.Formula{
		cardinality.T("tenants", 10), cardinality.T("models", 5), cardinality.T("quantiles", 6),
		cardinality.T("buckets", 10), cardinality.T("instances", 50),
	}
	if got, want := one.String(), "tenants 10 × models 5 × quantiles 6 × buckets 10 × instances 50 = 150000"; got != want {
		t.Fatalf("one histogram:\n got %s\nwant %s", got, want)
	}
	three := append(cardinality.Formula{cardinality.T("histograms (TTFT, ITL, e2e)", 3)}, one...)
	if three.Value() != 450000 {
		t.Fatalf("three histograms: %s", three)
	}

	// The estimator's spanmetrics duration family is the article's formula
	// made exact for a classic histogram: tenants × models become the
	// (tenant, model) pairs some workload serves; instances become collector
	// instances (for engine families: replicas × data-parallel engines);
	// buckets become the stored series per label set, buckets + 1 (+Inf) +
	// _sum + _count. Quantiles are not stored by a histogram: they are
	// computed from the buckets, and inferobs records 4 of them per pair
	// and span (tenant:*:p*_rate5m families).
	var b strings.Builder
	b.WriteString("environment: \"article\"\ngpus: h100: hourlyCost: 3\n")
	var models, tenants []string
	for i := range 5 {
		name := fmt.Sprintf("m%d", i)
		models = append(models, fmt.Sprintf("%q", name))
		fmt.Fprintf(&b, "models: %s: {engine: \"vllm\", engineVersion: \"0.11.0\", selector: {job: %q}, podLabels: {app: %q}, gpu: \"h100\"}\n", name, name, name)
	}
	for i := range 10 {
		name := fmt.Sprintf("t%d", i)
		tenants = append(tenants, fmt.Sprintf("%q", name))
		fmt.Fprintf(&b, "tenants: %s: {}\n", name)
	}
	fmt.Fprintf(&b, "workloads: w: {class: \"chat\", models: [%s], tenants: [%s]}\n", strings.Join(models, ", "), strings.Join(tenants, ", "))
	b.WriteString("tracing: {collectorVersion: \"0.140.0\", spans: {e2e: \"gen_ai.completion\"}}\n")
	p := mustPlan(t, b.String())
	r := cardinality.Estimate(p, cardinality.Options{CollectorInstances: 50})
	dur, ok := r.Family(p.Tracing.SpanMetrics.DurationFamily, "", cardinality.SourceSpanMetrics)
	if !ok {
		t.Fatal("no spanmetrics duration family in the estimate")
	}
	terms := map[string]int{}
	for _, tm := range dur.Formula {
		terms[tm.Name] = tm.Value
	}
	buckets := len(p.Tracing.Buckets)
	for name, want := range map[string]int{"(tenant, model) pairs": 10 * 5, "span names": 1, "status codes": 3, "span kinds": 1, "collector instances": 50} {
		if terms[name] != want {
			t.Errorf("term %q = %d, want %d (formula %s)", name, terms[name], want, dur.Formula)
		}
	}
	if want := 50 * 1 * 3 * 1 * (buckets + 3) * 50; dur.Series != want {
		t.Errorf("duration series %d, want %d: %s", dur.Series, want, dur.Formula)
	}
	// Put the article's numbers into the estimator's shape: pairs = tenants
	// × models, the 6 quantiles in place of span names × status codes, 10
	// buckets in place of the per-label-set series, 50 instances.
	article := cardinality.Formula{
		cardinality.T("tenants", len(p.Tenants)), cardinality.T("models", len(p.Models)),
		cardinality.T("quantiles", 6), cardinality.T("buckets", 10), cardinality.T("instances", terms["collector instances"]),
	}
	if article.Value() != 150000 {
		t.Errorf("article formula from the plan: %s", article)
	}
}

// TestEstimateMatchesExposition renders what every replica of every model
// serves, parses it with Prometheus's scrape parser, attaches the target
// labels Prometheus adds and counts distinct series: the count must equal
// the estimate for every raw engine family, exactly.
func TestEstimateMatchesExposition(t *testing.T) {
	cases := []struct {
		name string
		src  string
		opts cardinality.Options
	}{
		{"vllm 0.11 dp2 and tgi 3.3", small, cardinality.Options{}},
		{"more speculative tokens", small, cardinality.Options{SpeculativeTokens: 5}},
		{"vllm 0.20 with max_model_len and tgi 2.2", strings.NewReplacer(`"0.11.0"`, `"0.20.0"`, `dataParallel: 2`, "dataParallel: 4\n\t\tmaxModelLen: 32768", `"3.3"`, `"2.2"`).Replace(small), cardinality.Options{}},
		{"vllm 0.8.0 (V1, no engine label) and tgi 2.0", strings.NewReplacer(`"0.11.0"`, `"0.8.0"`, `"3.3"`, `"2.0"`).Replace(small), cardinality.Options{}},
		{"vllm 0.7 (V0, no _created)", strings.NewReplacer(`"0.11.0"`, `"0.7.0"`).Replace(small), cardinality.Options{}},
		{"created series not stored", small, cardinality.Options{DropCreated: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, tc.src)
			r := cardinality.Estimate(p, tc.opts)
			for _, m := range p.Models {
				perFamily, total := scrape(t, m, tc.opts)
				estimated := 0
				for _, f := range r.Families {
					if f.Source != cardinality.SourceEngine || f.Model != m.Name {
						continue
					}
					estimated += f.Series
					if got := perFamily[f.Name]; got != f.Series {
						t.Errorf("%s %s: exposition has %d series, estimate %d (%s)", m.Name, f.Name, got, f.Series, f.Formula)
					}
					delete(perFamily, f.Name)
				}
				for name, n := range perFamily {
					t.Errorf("%s: the exposition has family %s (%d series) the estimate lacks", m.Name, name, n)
				}
				if estimated != total {
					t.Errorf("%s: %d distinct series scraped, %d estimated", m.Name, total, estimated)
				}
				if total == 0 {
					t.Errorf("%s: nothing scraped", m.Name)
				}
			}
		})
	}
}

// scrape parses every replica's exposition with the Prometheus text parser
// (expfmt), flattens each family into the series Prometheus stores
// (histograms: one per bucket including +Inf, _sum, _count; summaries: one
// per quantile, _sum, _count), attaches the target labels a scrape adds
// and counts distinct series per family.
func scrape(t *testing.T, m *plan.Model, opts cardinality.Options) (map[string]int, int) {
	t.Helper()
	seen := map[string]string{} // series -> family
	add := func(target labels.Labels, name string, ms []*dto.LabelPair, extra ...string) {
		b := labels.NewBuilder(target)
		for _, lp := range ms {
			b.Set(lp.GetName(), lp.GetValue())
		}
		for i := 0; i+1 < len(extra); i += 2 {
			b.Set(extra[i], extra[i+1])
		}
		b.Set(labels.MetricName, name)
		if opts.DropCreated && strings.HasSuffix(name, "_created") {
			return
		}
		seen[b.Labels().String()] = familyOf(t, m.Catalog, name)
	}
	for r := range m.Spec.Replicas {
		data := synth.ExpositionWith(m, r, synth.Options{SpeculativeTokens: opts.SpeculativeTokens})
		target := synth.TargetLabels(m, r)
		parser := expfmt.NewTextParser(model.LegacyValidation)
		fams, err := parser.TextToMetricFamilies(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s replica %d: exposition does not parse: %v", m.Name, r, err)
		}
		for name, mf := range fams {
			for _, mt := range mf.GetMetric() {
				switch mf.GetType() {
				case dto.MetricType_HISTOGRAM:
					for _, bk := range mt.GetHistogram().GetBucket() {
						add(target, name+"_bucket", mt.GetLabel(), "le", strconv.FormatFloat(bk.GetUpperBound(), 'g', -1, 64))
					}
					add(target, name+"_sum", mt.GetLabel())
					add(target, name+"_count", mt.GetLabel())
				case dto.MetricType_SUMMARY:
					for _, q := range mt.GetSummary().GetQuantile() {
						add(target, name, mt.GetLabel(), "quantile", strconv.FormatFloat(q.GetQuantile(), 'g', -1, 64))
					}
					add(target, name+"_sum", mt.GetLabel())
					add(target, name+"_count", mt.GetLabel())
				default:
					add(target, name, mt.GetLabel())
				}
			}
		}
	}
	per := map[string]int{}
	for _, fam := range seen {
		per[fam]++
	}
	return per, len(seen)
}

// familyOf maps an exposed series name to its catalog family, including
// prometheus_client's _created gauges (a counter's _total stripped).
func familyOf(t *testing.T, cat *library.Catalog, series string) string {
	if f, ok := cat.SeriesFamily(series); ok {
		return f.Name
	}
	if base, ok := strings.CutSuffix(series, "_created"); ok {
		for _, n := range []string{base, base + "_total"} {
			if f, ok := cat.ByName(n); ok {
				return f.Name
			}
		}
	}
	t.Fatalf("series %s belongs to no family of the catalog", series)
	return ""
}

// TestOverBudget: a budget of 1000 fails with one error at
// cardinality.budget naming the three largest families and their formulas.
func TestOverBudget(t *testing.T) {
	src := small + "cardinality: budget: 1000\n"
	p := mustPlan(t, src)
	r := cardinality.Estimate(p, cardinality.Options{})
	if r.Total <= 1000 {
		t.Fatalf("total %d is not over 1000", r.Total)
	}
	ds := cardinality.Check(p, r)
	if len(ds) != 1 {
		t.Fatalf("want exactly one diagnostic, got:\n%v", ds)
	}
	d := ds[0]
	line := strings.Count(small, "\n") + 1
	col := strings.Index("cardinality: budget: 1000", "1000") + 1
	if d.Severity != diag.Error || d.Path != "cardinality.budget" || d.Pos.File != "spec.cue" || d.Pos.Line != line || d.Pos.Col != col {
		t.Fatalf("diagnostic at %s %q (%s), want spec.cue:%d:%d cardinality.budget error", d.Pos, d.Path, d.Severity, line, col)
	}
	if !strings.Contains(d.Message, fmt.Sprintf("estimated %d active series, over the budget of 1000", r.Total)) {
		t.Errorf("message does not name the total and budget:\n%s", d.Message)
	}
	last := -1
	for i, f := range r.Top(3) {
		item := fmt.Sprintf("%d. %s (", i+1, f.Name)
		at := strings.Index(d.Message, item)
		if at < 0 || at < last {
			t.Fatalf("family %d (%s) missing or out of order in:\n%s", i+1, f.Name, d.Message)
		}
		last = at
		if !strings.Contains(d.Message[at:], f.Formula.String()) {
			t.Errorf("family %s: formula %q missing", f.Name, f.Formula)
		}
		if f.Advice == "" || !strings.Contains(d.Message[at:], f.Advice) {
			t.Errorf("family %s: no advice in the message", f.Name)
		}
	}
	// Within budget: nothing.
	p = mustPlan(t, small+"cardinality: budget: 100000000\n")
	if ds := cardinality.Check(p, cardinality.Estimate(p, cardinality.Options{})); len(ds) != 0 {
		t.Fatalf("within budget, got:\n%v", ds)
	}
}

// TestOverBudgetAdvice checks the remedies the error suggests for the
// usual culprits.
func TestOverBudgetAdvice(t *testing.T) {
	p := mustPlan(t, small+"tracing: {collectorVersion: \"0.140.0\", spans: {ttft: \"first\", e2e: \"done\"}}\n")
	r := cardinality.Estimate(p, cardinality.Options{})
	advice := func(name, model string, src cardinality.Source) string {
		f, ok := r.Family(name, model, src)
		if !ok {
			t.Fatalf("no family %s %s %s", name, model, src)
		}
		return f.Advice
	}
	ttft, _ := p.Models[0].Metric(library.RoleTTFT)
	for _, c := range []struct{ got, want string }{
		{advice(ttft.Name, "llama", cardinality.SourceEngine), "enable cardinality.streamAggregation"},
		{advice(ttft.Name, "llama", cardinality.SourceEngine), "fewer replicas are not an option"},
		{advice("tgi_batch_next_size", "mistral", cardinality.SourceEngine), "disable unused buckets"},
		{advice(p.Tracing.SpanMetrics.DurationFamily, "", cardinality.SourceSpanMetrics), "drop the tenant dimension"},
		{advice("DCGM_FI_DEV_GPU_TEMP", "", cardinality.SourceDCGM), "incident profile"},
	} {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("advice %q lacks %q", c.got, c.want)
		}
	}
}

// TestForbiddenLabels: the loader rejects forbidden labels in tracing
// attributes and dimensions (end to end through schema.LoadFiles); Check
// catches those the planner and the catalogs add.
func TestForbiddenLabels(t *testing.T) {
	loader := []struct {
		name, add, want string
	}{
		{"tenant attribute", `tracing: {collectorVersion: "0.140.0", tenantAttribute: "session_id"}`,
			`tracing.tenantAttribute: span attribute "session_id" would become the forbidden label "session_id"`},
		{"custom dimension", "tracing: {collectorVersion: \"0.140.0\", dimensions: [\"user.id\"]}\ncardinality: forbiddenLabels: [\"user_id\"]",
			`tracing.dimensions: span attribute "user.id" would become the forbidden label "user_id"`},
		{"model selector", `models: llama: selector: request_id: "x"`,
			`models.llama.selector.request_id: label "request_id" is forbidden`},
	}
	line := strings.Count(small, "\n") + 1
	for _, c := range loader {
		t.Run("loader "+c.name, func(t *testing.T) {
			src := small + c.add + "\n"
			s, ds := schema.LoadFiles([]schema.File{{Name: "spec.cue", Data: []byte(src)}})
			if s != nil {
				t.Fatal("spec with a forbidden label was accepted")
			}
			var found bool
			for _, d := range ds.Errors() {
				if strings.Contains(d.String(), c.want) {
					found = true
					if d.Pos.File != "spec.cue" || d.Pos.Line != line {
						t.Errorf("%s: positioned at %s, want spec.cue:%d", c.name, d.Pos, line)
					}
				}
			}
			if !found {
				t.Fatalf("no error containing %q in:\n%v", c.want, ds)
			}
		})
	}

	engineLine := lineOf(t, small, `engine:        "vllm"`)
	classLine := lineOf(t, small, `class: "chat"`)
	planner := []struct {
		name, add, path string
		line            int // 0: the appended line
		want            string
	}{
		{"catalog model label", `cardinality: forbiddenLabels: ["model_name"]`, "models.llama.engine", engineLine,
			`the vllm 0.11 catalog selects model "llama" by it`},
		{"data-parallel label summed away", `cardinality: forbiddenLabels: ["engine"]`, "models.llama.engine", engineLine,
			`sum without(engine)`},
		{"finish reason in a declared SLI", "cardinality: forbiddenLabels: [\"finished_reason\"]\nworkloads: chat: slos: success: objective: 99", "workloads.chat.slos.success", -1,
			`the chat-success SLI of model "llama" selects on it`},
		{"finish reason in a preset SLI", `cardinality: forbiddenLabels: ["finished_reason"]`, "workloads.chat.class", classLine,
			`the chat-success SLI of model "llama" selects on it`},
		{"spanmetrics default dimension", "cardinality: forbiddenLabels: [\"span_kind\"]\ntracing: {collectorVersion: \"0.140.0\", spans: e2e: \"done\"}", "tracing.collectorVersion", -1,
			`writes it on every series (a default dimension)`},
		{"label inferobs writes", `cardinality: forbiddenLabels: ["user_id", "workload"]`, "cardinality.forbiddenLabels[1]", 0,
			`inferobs writes it on every series and alert of SLO`},
	}
	for _, c := range planner {
		t.Run("check "+c.name, func(t *testing.T) {
			src := small + c.add + "\n"
			p := mustPlan(t, src)
			ds := cardinality.Check(p, cardinality.Estimate(p, cardinality.Options{}))
			var found bool
			for _, d := range ds {
				if d.Path != c.path || !strings.Contains(d.Message, c.want) {
					continue
				}
				found = true
				want := c.line
				switch want {
				case 0:
					want = line
				case -1:
					want = line + 1
				}
				if d.Pos.File != "spec.cue" || d.Pos.Line != want {
					t.Errorf("positioned at %s, want spec.cue:%d", d.Pos, want)
				}
			}
			if !found {
				t.Fatalf("no error at %s containing %q in:\n%v", c.path, c.want, ds)
			}
		})
	}
}

// TestOutputDeterministic: the same plan always gives the same bytes, in
// both formats, and the JSON keeps its field order.
func TestOutputDeterministic(t *testing.T) {
	src := small + "tracing: {collectorVersion: \"0.152.0\", spans: {ttft: \"first\", e2e: \"done\"}, dimensions: [\"gen_ai.operation.name\"]}\ncardinality: streamAggregation: true\n"
	opts := cardinality.Options{DimensionValues: map[string]int{"gen_ai.operation.name": 2, "unused": 7}}
	var first [2][]byte
	for i := range 20 {
		p := mustPlan(t, src)
		r := cardinality.Estimate(p, opts)
		var tbl, js bytes.Buffer
		if err := r.Write(&tbl, cardinality.FormatTable); err != nil {
			t.Fatal(err)
		}
		if err := r.Write(&js, cardinality.FormatJSON); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = [2][]byte{tbl.Bytes(), js.Bytes()}
			continue
		}
		if !bytes.Equal(first[0], tbl.Bytes()) || !bytes.Equal(first[1], js.Bytes()) {
			t.Fatalf("run %d differs from run 0", i)
		}
	}
	var decoded struct {
		Total    int `json:"total"`
		Families []struct {
			Series int `json:"series"`
		} `json:"families"`
	}
	if err := json.Unmarshal(first[1], &decoded); err != nil {
		t.Fatal(err)
	}
	sum := 0
	for i, f := range decoded.Families {
		sum += f.Series
		if i > 0 && f.Series > decoded.Families[i-1].Series {
			t.Fatalf("families not sorted by series at %d", i)
		}
	}
	if sum != decoded.Total {
		t.Fatalf("families add up to %d, total says %d", sum, decoded.Total)
	}
	keys := regexp.MustCompile(`(?m)^  "(\w+)"`).FindAllStringSubmatch(string(first[1]), -1)
	var top []string
	for _, k := range keys {
		top = append(top, k[1])
	}
	if got, want := strings.Join(top, ","), "budget,total,budgetPercent,overBudget,streamAggregation,options,sources,families"; got != want {
		t.Fatalf("JSON field order %s, want %s", got, want)
	}
	fams := string(first[1])[strings.Index(string(first[1]), `"families": [`):]
	famKeys := regexp.MustCompile(`(?m)^      "(\w+)"`).FindAllStringSubmatch(fams, 9)
	var fk []string
	for _, k := range famKeys {
		fk = append(fk, k[1])
	}
	// The keys a family has (model only for per-model families) come in
	// this order.
	order := []string{"family", "model", "source", "type", "read", "series", "budgetPercent", "formula", "terms", "note"}
	next := 0
	for _, k := range fk {
		i := slices.Index(order[next:], k)
		if i < 0 {
			t.Fatalf("family field order %v, want a subsequence of %v", fk, order)
		}
		next += i + 1
	}
	if len(fk) < 6 || fk[0] != "family" {
		t.Fatalf("family field order %v", fk)
	}
	lines := strings.Split(strings.TrimSpace(string(first[0])), "\n")
	if !strings.HasPrefix(lines[0], "FAMILY") || !strings.HasPrefix(lines[len(lines)-1], "total") {
		t.Fatalf("table lacks its header or total line:\n%s", first[0])
	}
	var buf bytes.Buffer
	var uf *cardinality.UnknownFormatError
	if err := cardinality.Estimate(mustPlan(t, src), opts).Write(&buf, "yaml"); !errors.As(err, &uf) {
		t.Fatalf("unknown format: %v", err)
	}
}

func TestAggregatedName(t *testing.T) {
	cases := []struct {
		series   string
		interval time.Duration
		without  []string
		output   string
		want     string
	}{
		// The examples of the vmagent documentation.
		{"foo", time.Minute, []string{"instance"}, "sum_samples", "foo:1m_without_instance_sum_samples"},
		{"some_metric_total", 5 * time.Minute, nil, "total", "some_metric_total:5m_total"},
		{"http_request_duration_seconds_bucket", 5 * time.Minute, []string{"instance"}, "rate_sum", "http_request_duration_seconds_bucket:5m_without_instance_rate_sum"},
		// Labels are sorted and deduplicated, __name__ dropped.
		{"vllm:time_to_first_token_seconds_bucket", time.Minute, []string{"pod", "instance", "engine", "pod", "__name__"}, "total",
			"vllm:time_to_first_token_seconds_bucket:1m_without_engine_instance_pod_total"},
		{"x_bucket", 90 * time.Second, []string{"instance"}, "total", "x_bucket:1m30s_without_instance_total"},
	}
	for _, c := range cases {
		if got := cardinality.AggregatedName(c.series, c.interval, c.without, c.output); got != c.want {
			t.Errorf("AggregatedName(%s, %s, %v, %s) = %s, want %s", c.series, c.interval, c.without, c.output, got, c.want)
		}
	}
}

func TestAggregationInterval(t *testing.T) {
	for scrape, want := range map[time.Duration]time.Duration{
		5 * time.Second: time.Minute, 15 * time.Second: time.Minute, 30 * time.Second: time.Minute,
		45 * time.Second: 90 * time.Second, time.Minute: 2 * time.Minute, 75 * time.Second: 150 * time.Second,
	} {
		got := cardinality.AggregationInterval(scrape)
		if got != want || got < 2*scrape {
			t.Errorf("scrape %s: interval %s, want %s", scrape, got, want)
		}
	}
}

// lineOf returns the 1-based line of the first occurrence of text in src.
func lineOf(t *testing.T, src, text string) int {
	t.Helper()
	i := strings.Index(src, text)
	if i < 0 {
		t.Fatalf("%q not in the source", text)
	}
	return strings.Count(src[:i], "\n") + 1
}

// TestRecordedCounts pins the per-rule-kind table on the small spec: per
// SLO instance 4 + 2 × 8 windows + 3 (+1 for headroom), per model the
// families each engine version has.
func TestRecordedCounts(t *testing.T) {
	p := mustPlan(t, small)
	var windows []string
	for _, w := range cardinality.Windows(p) {
		windows = append(windows, library.WindowName(w))
	}
	if got := strings.Join(windows, ","); got != "5m,30m,1h,2h,6h,1d,3d,30d" {
		t.Fatalf("windows %s", got)
	}
	perScope := map[cardinality.Scope]map[string]int{}
	for _, k := range cardinality.RuleKinds() {
		for _, x := range cardinality.Instances(p, k.Scope) {
			key := ""
			switch k.Scope {
			case cardinality.PerSLO:
				key = x.SLO.ID + "/" + x.SLO.Model.Name
			case cardinality.PerModel:
				key = x.Model.Name
			}
			if perScope[k.Scope] == nil {
				perScope[k.Scope] = map[string]int{}
			}
			perScope[k.Scope][key] += len(k.Names(x)) * k.Series
		}
	}
	for _, s := range p.SLOs {
		want := 4 + 2*8 + 3
		if s.Kind == library.SLOHeadroom {
			want++
		}
		if got := perScope[cardinality.PerSLO][s.ID+"/"+s.Model.Name]; got != want {
			t.Errorf("SLO %s of %s: %d recorded series, want %d", s.ID, s.Model.Name, got, want)
		}
	}
	// vLLM 0.11 with pricing: 4 quantiles × (TTFT, ITL, E2E, queue) + 2
	// token rates + running, waiting, KV, preemptions, requests, prefix
	// ratio, spec acceptance, tokens per GPU-second, tensor active + 2
	// prices + 2 spends + GPU cost + effective cost.
	// TGI 3.3 without pricing: 4 × (E2E, queue) + 2 tokens (length
	// histograms) + batch size, queue, requests, tokens per GPU-second,
	// tensor active, GPU cost, effective cost.
	for model, want := range map[string]int{"llama": 16 + 2 + 9 + 2 + 2 + 1 + 1, "mistral": 8 + 2 + 7} {
		if got := perScope[cardinality.PerModel][model]; got != want {
			t.Errorf("model %s: %d recorded series, want %d", model, got, want)
		}
	}
	if n := len(cardinality.Instances(p, cardinality.PerTenantModel)); n != 0 {
		t.Errorf("no tracing, yet %d gateway pairs", n)
	}
	// With tracing: per served pair 4 (3 without pricing) + 4 quantiles ×
	// 2 spans.
	pt := mustPlan(t, small+"tracing: {collectorVersion: \"0.140.0\", spans: {ttft: \"first\", e2e: \"done\"}}\n")
	rec := cardinality.RecordedSeries(pt)
	if got := rec[library.RecTenantRequests]; got != 4 {
		t.Errorf("tenant requests: %d series, want 4 pairs", got)
	}
	if got := rec[library.RecTenantSpend]; got != 2 {
		t.Errorf("tenant spend: %d series, want the 2 pairs of the priced model", got)
	}
	sm := pt.Tracing.SpanMetrics.DurationFamily
	if got := rec[library.RecTenantQuantile(sm, "first", 0.99)]; got != 4 {
		t.Errorf("tenant quantile: %d series, want 4", got)
	}
	// The report carries the same numbers, marked as estimates.
	r := cardinality.Estimate(pt, cardinality.Options{})
	for name, n := range rec {
		f, ok := r.Family(name, "", cardinality.SourceRecorded)
		if !ok || f.Series != n {
			t.Errorf("report family %s: %+v, want %d series", name, f, n)
		}
	}
}

// TestStreamAggregation checks the vmagent config and how the estimate
// changes when it is on.
func TestStreamAggregation(t *testing.T) {
	tracing := "tracing: {collectorVersion: \"0.152.0\", spans: {ttft: \"first\", e2e: \"done\"}}\n"
	off := mustPlan(t, small+tracing)
	if arts, err := cardinality.StreamAggregation(off); err != nil || len(arts) != 0 {
		t.Fatalf("off: %v %v", arts, err)
	}
	p := mustPlan(t, small+tracing+"cardinality: streamAggregation: true\n")
	arts, err := cardinality.StreamAggregation(p)
	if err != nil || len(arts) != 1 || arts[0].Path != "vmagent/stream-aggr.yaml" {
		t.Fatalf("on: %v %v", arts, err)
	}
	var cfg []struct {
		Name     string   `yaml:"name"`
		Match    string   `yaml:"match"`
		Interval string   `yaml:"interval"`
		Without  []string `yaml:"without"`
		Outputs  []string `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(arts[0].Data, &cfg); err != nil {
		t.Fatalf("config is not YAML: %v\n%s", err, arts[0].Data)
	}
	rules := cardinality.AggregationRules(p)
	if len(cfg) != len(rules) || len(cfg) != 3+1+1 { // llama TTFT, ITL, E2E; mistral E2E; spanmetrics
		t.Fatalf("%d rules in the config, %d planned:\n%s", len(cfg), len(rules), arts[0].Data)
	}
	wantWithout := map[string]string{"llama": "engine,instance,pod", "mistral": "instance,pod", "": "collector_instance_id,instance,pod"}
	for i, c := range cfg {
		r := rules[i]
		if _, err := promql.Parse(c.Match); err != nil {
			t.Errorf("rule %s: match %q does not parse: %v", c.Name, c.Match, err)
		}
		if !strings.Contains(c.Match, "_bucket") || c.Interval != "1m" || strings.Join(c.Outputs, ",") != "total" {
			t.Errorf("rule %s: %+v", c.Name, c)
		}
		if got := strings.Join(c.Without, ","); got != wantWithout[r.Model] {
			t.Errorf("rule %s: without %s, want %s", c.Name, got, wantWithout[r.Model])
		}
		if want := cardinality.AggregatedName(r.Family+"_bucket", time.Minute, c.Without, "total"); r.Series != want || !bytes.Contains(arts[0].Data, []byte(want)) {
			t.Errorf("rule %s: series %s, want %s listed in the header", c.Name, r.Series, want)
		}
	}
	llama := p.Models[0]
	ttft, _ := llama.Metric(library.RoleTTFT)
	name, ok := cardinality.AggregatedSeries(p, llama, ttft.Name)
	if want := ttft.Name + "_bucket:1m_without_engine_instance_pod_total"; !ok || name != want {
		t.Fatalf("aggregated TTFT series %q, want %q", name, want)
	}
	if _, ok := cardinality.AggregatedSeries(off, off.Models[0], ttft.Name); ok {
		t.Fatal("aggregated series reported with stream aggregation off")
	}

	before := cardinality.Estimate(off, cardinality.Options{})
	after := cardinality.Estimate(p, cardinality.Options{})
	if after.Total >= before.Total {
		t.Errorf("stream aggregation does not lower the estimate: %d -> %d", before.Total, after.Total)
	}
	raw, _ := after.Family(ttft.Name, "llama", cardinality.SourceEngine)
	if want := 2 * 2 * 3; raw.Series != want { // replicas × engines × (_sum, _count, _created)
		t.Errorf("raw TTFT after aggregation: %s, want %d", raw.Formula, want)
	}
	agg, ok := after.Family(name, "llama", cardinality.SourceAggregated)
	if want := len(ttft.Buckets) + 1; !ok || agg.Series != want {
		t.Errorf("aggregated TTFT: %+v, want %d series", agg, want)
	}
	dur := p.Tracing.SpanMetrics.DurationFamily
	spanAgg, ok := cardinality.AggregatedSeries(p, nil, dur)
	if !ok {
		t.Fatal("no aggregated spanmetrics series")
	}
	if f, ok := after.Family(spanAgg, "", cardinality.SourceAggregated); !ok || f.Series != 4*2*3*1*(len(p.Tracing.Buckets)+1) {
		t.Errorf("aggregated spanmetrics: %+v", f)
	}
}
