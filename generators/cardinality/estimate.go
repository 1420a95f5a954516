// Package cardinality estimates, at compile time, the active series the
// monitoring outputs of a plan cost, and checks them against the spec's
// budget (cardinality.budget) and label bans (cardinality.forbiddenLabels).
//
// The estimate covers every family the outputs read or create: the raw
// engine families (everything the engine version exposes, since Prometheus
// stores all of it), the DCGM fields of the steady profile, the spanmetrics
// families of the gateway, the series inferobs records, and, with
// cardinality.streamAggregation, the families vmagent writes instead of raw
// histogram buckets. Each family comes with its formula, numbers filled in,
// so a reviewer can see which factor to cut.
//
// Series are counted at steady state: every label value the engine can emit
// is assumed to have been emitted (prometheus_client pre-creates them; the
// Rust exporter TGI uses renders a label set once first used, so for TGI the
// estimate is an upper bound). Where the spec does not say something the
// count depends on, a documented default applies (see Options).
package cardinality

import (
	"fmt"
	"sort"
	"strings"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
)

// Source says where a family's series come from.
type Source string

// Sources.
const (
	SourceEngine      Source = "engine"              // scraped from the engine's /metrics
	SourceDCGM        Source = "dcgm"                // scraped from dcgm-exporter (steady profile)
	SourceSpanMetrics Source = "spanmetrics"         // written by the collector's spanmetrics connector
	SourceRecorded    Source = "recorded (estimate)" // written by inferobs recording rules, estimated from the plan
	SourceAggregated  Source = "stream-aggregated"   // written by vmagent stream aggregation
)

// Defaults for what the spec does not say.
const (
	// DefaultCollectorInstances is the number of collectors running the
	// spanmetrics connector. Each writes its own series (told apart by
	// collector_instance_id from collector-contrib 0.152, else by instance).
	DefaultCollectorInstances = 1
	// DefaultSpanKinds is the number of span kinds each configured span is
	// emitted with (a gateway span is usually SERVER or CLIENT, not both).
	DefaultSpanKinds = 1
	// DefaultDimensionValues is the number of values assumed for a custom
	// spanmetrics dimension (tracing.dimensions) Options does not size.
	DefaultDimensionValues = 1
)

// Options holds what the estimate depends on that the spec does not say.
// The zero value means "the documented defaults".
type Options struct {
	// CollectorInstances is how many collectors run the spanmetrics
	// connector (0: DefaultCollectorInstances).
	CollectorInstances int `json:"collectorInstances"`
	// SpanKinds is how many span kinds each configured span has (0:
	// DefaultSpanKinds).
	SpanKinds int `json:"spanKinds"`
	// DimensionValues sizes custom spanmetrics dimensions by span attribute
	// name (missing: DefaultDimensionValues).
	DimensionValues map[string]int `json:"dimensionValues,omitempty"`
	// SpeculativeTokens is vLLM's num_speculative_tokens: the values of the
	// per-position acceptance counter (0: library.DefaultSpeculativeTokens).
	SpeculativeTokens int `json:"speculativeTokens"`
	// DropCreated says Prometheus does not store the engines' _created
	// series (it runs with created-timestamp zero ingestion, or a
	// metric_relabel_config drops them).
	DropCreated bool `json:"dropCreated"`
}

func (o Options) withDefaults() Options {
	if o.CollectorInstances <= 0 {
		o.CollectorInstances = DefaultCollectorInstances
	}
	if o.SpanKinds <= 0 {
		o.SpanKinds = DefaultSpanKinds
	}
	if o.SpeculativeTokens <= 0 {
		o.SpeculativeTokens = library.DefaultSpeculativeTokens
	}
	return o
}

func (o Options) dimensionValues(attr string) int {
	if n, ok := o.DimensionValues[attr]; ok && n > 0 {
		return n
	}
	return DefaultDimensionValues
}

// Family is the estimate of one metric family.
type Family struct {
	// Name is the family as stored: a histogram's base name, a counter's
	// exposed name, a recorded or aggregated series name.
	Name string
	// Model is the spec's model key for per-model raw and aggregated
	// families, "" for families that span models.
	Model  string
	Source Source
	Type   library.Type // as exposed; "" for recorded series
	// Read is true when an emitted rule or SLI reads the family (recorded
	// and aggregated families are created by the outputs: always true).
	Read    bool
	Series  int
	Formula Formula
	// Note qualifies the count (a feature the family needs, what was
	// aggregated away, the condition of a recording rule).
	Note string
	// Advice says what would bring the count down.
	Advice string
}

// Report is the estimate for a plan.
type Report struct {
	Budget            int
	StreamAggregation bool
	Options           Options // with defaults filled in
	Total             int
	// Families is sorted by series (descending), then name, model and source.
	Families []Family
}

// SourceTotal is the sum of the series of one source.
type SourceTotal struct {
	Source Source `json:"source"`
	Series int    `json:"series"`
}

// Sources returns the subtotal of each source present, in a fixed order.
func (r Report) Sources() []SourceTotal {
	sum := map[Source]int{}
	for _, f := range r.Families {
		sum[f.Source] += f.Series
	}
	var out []SourceTotal
	for _, s := range []Source{SourceEngine, SourceAggregated, SourceDCGM, SourceSpanMetrics, SourceRecorded} {
		if n, ok := sum[s]; ok {
			out = append(out, SourceTotal{s, n})
		}
	}
	return out
}

// Top returns the n largest families.
func (r Report) Top(n int) []Family {
	if n > len(r.Families) {
		n = len(r.Families)
	}
	return r.Families[:n]
}

// Family returns the estimate of family name for model ("" for
// cross-model families) from source.
func (r Report) Family(name, model string, source Source) (Family, bool) {
	for _, f := range r.Families {
		if f.Name == name && f.Model == model && f.Source == source {
			return f, true
		}
	}
	return Family{}, false
}

// Share is series as a percentage of the budget.
func (r Report) Share(series int) float64 {
	if r.Budget <= 0 {
		return 0
	}
	return 100 * float64(series) / float64(r.Budget)
}

// Estimate computes the expected active series of every family the plan's
// outputs read or create.
func Estimate(p *plan.Plan, opts Options) Report {
	o := opts.withDefaults()
	e := &estimator{p: p, o: o, reads: readFamilies(p)}
	r := Report{Budget: p.Spec.Cardinality.Budget, StreamAggregation: p.Spec.Cardinality.StreamAggregation, Options: o}
	if r.StreamAggregation {
		e.aggr = map[string]AggrRule{}
		for _, a := range AggregationRules(p) {
			e.aggr[a.Model+"\x00"+a.Family] = a
		}
	}
	for _, m := range p.Models {
		for _, f := range m.Catalog.Metrics() {
			r.Families = append(r.Families, e.engine(m, f)...)
		}
	}
	r.Families = append(r.Families, e.dcgm()...)
	r.Families = append(r.Families, e.spanMetrics()...)
	r.Families = append(r.Families, recorded(p)...)
	sortFamilies(r.Families)
	for _, f := range r.Families {
		r.Total += f.Series
	}
	return r
}

func sortFamilies(fs []Family) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Series != b.Series {
			return a.Series > b.Series
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Model != b.Model {
			return a.Model < b.Model
		}
		return a.Source < b.Source
	})
}

type estimator struct {
	p     *plan.Plan
	o     Options
	reads map[string]map[string]bool // model -> family names read
	aggr  map[string]AggrRule        // model\x00family -> rule, when stream aggregation is on
}

// deployment is what fixes a model's label values beyond its catalog.
func deployment(m *plan.Model, speculativeTokens int) library.Deployment {
	d := m.Deployment()
	d.SpeculativeTokens = speculativeTokens
	return d
}

// engine estimates one raw engine family of a model (and, when stream
// aggregation replaces its buckets, the aggregated family).
func (e *estimator) engine(m *plan.Model, f library.Metric) []Family {
	cat := m.Catalog
	d := deployment(m, e.o.SpeculativeTokens)
	var perTarget Formula // replicas × data-parallel engines: what aggregation removes
	perTarget = append(perTarget, T("replicas", m.Spec.Replicas))
	dp := 1
	if cat.HasDataParallelLabel() && !f.NoCommonLabels {
		dp = len(library.DataParallelValues(m.Spec.DataParallel))
		perTarget = append(perTarget, T("engines", dp))
	}
	var labelTerms Formula
	var unknown []string
	for _, l := range f.Labels {
		if cat.PerProcessLabel(f, l) {
			continue // one configuration value per process: no extra series
		}
		vs, ok := cat.LabelValues(f, l, d)
		if !ok {
			unknown = append(unknown, l)
			labelTerms = append(labelTerms, T(l+" (values unknown, 1 assumed)", 1))
			continue
		}
		labelTerms = append(labelTerms, T(l, len(vs)))
	}
	created := cat.CreatedSeries(f) != "" && !e.o.DropCreated
	rule, aggregated := e.aggr[m.Name+"\x00"+f.Name]

	var parts []Term
	switch f.Type {
	case library.Histogram:
		if !aggregated {
			parts = append(parts, T("buckets", len(cat.ExposedBuckets(f, d))), T("+Inf", 1))
		}
		parts = append(parts, T("_sum", 1), T("_count", 1))
	case library.Summary:
		parts = append(parts, T("quantiles", len(cat.SummaryQuantiles())), T("_sum", 1), T("_count", 1))
	case library.Counter:
		if created {
			parts = append(parts, T("value", 1))
		}
	}
	if created && len(parts) > 0 {
		parts = append(parts, T("_created", 1))
	}
	formula := append(append(Formula(nil), perTarget...), labelTerms...)
	if len(parts) > 1 {
		formula = append(formula, Sum("", parts...))
	}

	read := e.reads[m.Name][f.Name]
	var notes []string
	if when := cat.ExposedWhen(f); when != "" {
		notes = append(notes, "exposed only when "+when)
	}
	if aggregated {
		notes = append(notes, "_bucket series replaced by "+rule.Series)
	}
	fam := Family{
		Name: f.Name, Model: m.Name, Source: SourceEngine, Type: f.Type, Read: read,
		Series: formula.Value(), Formula: formula, Note: strings.Join(notes, "; "),
	}
	fam.Advice = e.engineAdvice(m, f, fam, dp, aggregated, unknown)
	out := []Family{fam}
	if aggregated {
		af := Formula{T("label sets", Formula(labelTerms).Value()), Sum("", T("buckets", len(cat.ExposedBuckets(f, d))), T("+Inf", 1))}
		out = append(out, Family{
			Name: rule.Series, Model: m.Name, Source: SourceAggregated, Type: library.Counter, Read: true,
			Series: af.Value(), Formula: af,
			Note:   fmt.Sprintf("%s_bucket without %s: %s aggregated away", f.Name, strings.Join(rule.Without, ", "), Formula(perTarget).String()),
			Advice: "already pre-aggregated; drop le values no rule or dashboard reads before aggregation (keep every SLO threshold)",
		})
	}
	return out
}

func (e *estimator) engineAdvice(m *plan.Model, f library.Metric, fam Family, dp int, aggregated bool, unknown []string) string {
	var adv []string
	if !fam.Read {
		drop := "drop it at scrape time (metric_relabel_configs action: drop on __name__)"
		if f.Type == library.Histogram {
			drop = "drop it at scrape time (metric_relabel_configs action: drop on __name__), or disable unused buckets (drop the le values nothing reads)"
		}
		adv = append(adv, "no emitted rule reads it: "+drop)
	} else if f.Type == library.Histogram && !aggregated {
		if aggregatable(m, f) {
			adv = append(adv, "enable cardinality.streamAggregation to pre-aggregate away instance/pod"+dpText(m, dp)+" labels (fewer replicas are not an option: aggregate with stream aggregation)")
		} else {
			adv = append(adv, "disable unused buckets (drop the le values nothing reads at scrape time)")
		}
	} else if dp > 1 {
		adv = append(adv, fmt.Sprintf("the %d data-parallel engines multiply it; fewer replicas are not an option: aggregate the %s label away at ingestion (vmagent stream aggregation)", dp, m.Catalog.Info.DataParallelLabel))
	}
	for _, l := range f.Labels {
		if vs, ok := m.Catalog.LabelValues(f, l, deployment(m, e.o.SpeculativeTokens)); ok && len(vs) > 2 {
			adv = append(adv, fmt.Sprintf("its %s label has %d values", l, len(vs)))
		}
	}
	if len(unknown) > 0 {
		adv = append(adv, "the values of "+strings.Join(unknown, ", ")+" are unknown to inferobs: the count may be higher")
	}
	if fam.Read && f.Type != library.Histogram && dp <= 1 && len(adv) == 0 {
		adv = append(adv, "read by the emitted rules; one series per target")
	}
	return strings.Join(adv, "; ")
}

func dpText(m *plan.Model, dp int) string {
	if dp > 1 || m.Catalog.HasDataParallelLabel() {
		return "/" + m.Catalog.Info.DataParallelLabel
	}
	return ""
}

// dcgm estimates the steady-profile DCGM fields on every GPU the models use.
func (e *estimator) dcgm() []Family {
	var parts []Term
	for _, m := range e.p.Models {
		parts = append(parts, T(fmt.Sprintf("%s %d×%d", m.Name, m.Spec.Replicas, m.Spec.GPUsPerReplica), m.GPUs()))
	}
	if len(parts) == 0 {
		return nil
	}
	gpus := Sum("GPUs", parts...)
	if len(parts) == 1 {
		gpus = T("GPUs ("+parts[0].Name+")", parts[0].Value)
	}
	tensor, _ := library.DCGMByRole(library.GPUTensorActive)
	var out []Family
	for _, f := range library.DCGMProfileFields(library.DCGMSteady) {
		if f.Type == library.LabelField {
			continue
		}
		formula := Formula{gpus}
		for _, l := range f.Labels {
			formula = append(formula, T(l+" (values unknown, 1 assumed)", 1))
		}
		read := f.Name == tensor.Name
		advice := "move it to the incident profile if no dashboard needs it between incidents"
		if read {
			advice = "read by the tensor-active rule: keep it"
		}
		out = append(out, Family{
			Name: f.Name, Source: SourceDCGM, Type: f.Type, Read: read,
			Series: formula.Value(), Formula: formula, Advice: advice,
		})
	}
	return out
}

// servedPairs returns the (tenant, model) pairs some workload serves, sorted.
func servedPairs(p *plan.Plan) [][2]string {
	seen := map[[2]string]bool{}
	for _, w := range p.Workloads {
		for _, m := range w.Models {
			for _, t := range w.Tenants {
				seen[[2]string{t.Name, m.Name}] = true
			}
		}
	}
	out := make([][2]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}

// spanNames returns the distinct configured gateway span names, sorted.
func spanNames(p *plan.Plan) []string {
	if p.Tracing == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, k := range library.SLOKinds() {
		if n, ok := p.Tracing.Spec.Spans[k]; ok && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// spanMetrics estimates the spanmetrics calls and duration families.
func (e *estimator) spanMetrics() []Family {
	tr := e.p.Tracing
	if tr == nil {
		return nil
	}
	sm := tr.SpanMetrics
	pairs := servedPairs(e.p)
	spans := spanNames(e.p)
	base := Formula{
		T("(tenant, model) pairs", len(pairs)),
		T("span names", len(spans)),
		T("status codes", len(library.SpanStatusCodes())),
		T("span kinds", e.o.SpanKinds),
	}
	for _, d := range tr.Spec.Dimensions {
		base = append(base, T("dimension "+d, e.o.dimensionValues(d)))
	}
	instances := T("collector instances", e.o.CollectorInstances)
	read := len(pairs) > 0 && len(spans) > 0
	tenantAdvice := "drop the tenant dimension (measure at the engine, or scope gateway SLOs to fewer tenants with slos.<kind>.tenants), or configure fewer tracing.spans"

	note := "configured spans of served (tenant, model) pairs only"
	if len(spans) == 0 {
		note = "no tracing.spans configured: spans the connector sees anyway are not counted"
	}
	calls := append(append(Formula(nil), base...), instances)
	out := []Family{{
		Name: sm.CallsSeries, Source: SourceSpanMetrics, Type: library.Counter, Read: read,
		Series: calls.Value(), Formula: calls, Note: note,
		Advice: tenantAdvice,
	}}

	buckets := len(tr.Buckets)
	rule, aggregated := e.aggr["\x00"+sm.DurationFamily]
	var parts []Term
	if !aggregated {
		parts = append(parts, T("buckets", buckets), T("+Inf", 1))
	}
	parts = append(parts, T("_sum", 1), T("_count", 1))
	dur := append(append(Formula(nil), base...), Sum("", parts...), instances)
	advice := tenantAdvice + ", or enable cardinality.streamAggregation to pre-aggregate away collector instances"
	if extra := buckets - len(sm.DefaultBuckets); extra > 0 {
		advice += fmt.Sprintf("; %d buckets beyond the connector's defaults hold the gateway SLO thresholds", extra)
	}
	if aggregated {
		note += "; _bucket series replaced by " + rule.Series
		advice = tenantAdvice
	}
	out = append(out, Family{
		Name: sm.DurationFamily, Source: SourceSpanMetrics, Type: library.Histogram, Read: read,
		Series: dur.Value(), Formula: dur, Note: note, Advice: advice,
	})
	if aggregated {
		af := append(append(Formula(nil), base...), Sum("", T("buckets", buckets), T("+Inf", 1)))
		out = append(out, Family{
			Name: rule.Series, Source: SourceAggregated, Type: library.Counter, Read: true,
			Series: af.Value(), Formula: af,
			Note:   fmt.Sprintf("%s_bucket without %s: %s aggregated away", sm.DurationFamily, strings.Join(rule.Without, ", "), Formula{instances}.String()),
			Advice: tenantAdvice,
		})
	}
	return out
}
