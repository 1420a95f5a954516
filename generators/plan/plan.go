// Package plan resolves a validated spec into a Plan: every model bound to
// its engine catalog, every SLO bound to a concrete SLI (metric family,
// selector, good and total events, the bucket le text the engine exposes),
// the burn-rate tiers for the spec's period, and the tracing naming. Every
// generator reads the Plan and never re-derives what is resolved here.
package plan

import (
	"sort"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
	"github.com/inferobs/inferobs/schema/diag"
)

// Plan is the resolved input of every generator.
type Plan struct {
	Spec               *schema.Spec
	Environment        string
	PrometheusMajor    int
	ScrapeInterval     time.Duration
	EvaluationInterval time.Duration
	// QuantileInterval is the interval of the recorded latency quantiles,
	// which only dashboards read: target.quantileInterval, or
	// EvaluationInterval or 1m, whichever is longer.
	QuantileInterval time.Duration
	Period           time.Duration
	Tiers            []Tier
	Currency         string
	RunbookBaseURL   string
	MinEvents        int
	ForbiddenLabels  []string
	// SpecDecodeBreakEven is the acceptance rate below which speculation loses throughput.
	SpecDecodeBreakEven float64

	Models    []*Model    // sorted by name
	Tenants   []*Tenant   // sorted by name
	Workloads []*Workload // sorted by name
	SLOs      []*SLO      // sorted by workload, kind, model, tenant
	Tracing   *Tracing    // nil without a tracing block
	// SLOSets group the SLOs that share everything but the tenant: one set
	// per workload SLO and model, in the order of SLOs.
	SLOSets []*SLOSet

	// Aggregations are the vmagent stream aggregation rules for the plan's
	// high-cardinality histograms; Aggregate (cardinality.streamAggregation)
	// says whether the outputs read their aggregated series.
	Aggregations []Aggregation
	Aggregate    bool

	// Warnings are the planner's non-fatal findings (skipped preset SLOs,
	// snapped thresholds, slow burn tiers).
	Warnings diag.List
}

// Tier is a burn-rate tier with its factor for the plan's period.
type Tier struct {
	library.BurnTier
	Factor float64
}

// CanFire reports whether the tier can fire at an SLO's error budget: the
// error ratio never exceeds 1, so a line of factor × budget at or above it
// is out of reach (factor ≥ 1/(1-objective)). Such a tier is not emitted.
func (t Tier) CanFire(budget float64) bool { return t.Factor*budget < 1 }

// Model is a served model bound to its engine catalog.
type Model struct {
	Name    string
	Spec    schema.Model
	Catalog *library.Catalog
	GPU     schema.GPU
	// Matchers select the model's engine series: the spec's selector plus the
	// model-name label where the engine has one.
	Matchers []*labels.Matcher
	// TargetMatchers select its scrape targets (the spec's selector only).
	TargetMatchers []*labels.Matcher
	// DropLabels are aggregated away before anything else (vLLM's engine
	// label under data parallelism).
	DropLabels []string
	// ReplicaHourlyCost is what one replica's GPUs cost per hour.
	ReplicaHourlyCost float64

	plan *Plan
}

// Engine is the model's engine.
func (m *Model) Engine() library.Engine { return m.Spec.Engine }

// Metric returns the family that plays role r in the model's engine version.
func (m *Model) Metric(r library.Role) (library.Metric, bool) { return m.Catalog.ByRole(r) }

// Select builds a selector for one of the model's series.
func (m *Model) Select(series string, extra ...*labels.Matcher) *parser.VectorSelector {
	return promql.Sel(series, append(append([]*labels.Matcher(nil), m.Matchers...), extra...)...)
}

// GPUs is the number of GPUs the model occupies.
func (m *Model) GPUs() int { return m.Spec.Replicas * m.Spec.GPUsPerReplica }

// Tenant is a customer.
type Tenant struct {
	Name      string
	HighValue bool
}

// Workload is a class of traffic.
type Workload struct {
	Name    string
	Class   string
	Models  []*Model
	Tenants []*Tenant
}

// Tracing is the resolved gateway tracing setup.
type Tracing struct {
	Spec        *schema.Tracing
	SpanMetrics library.SpanMetrics
	// TenantLabel and ModelLabel are the Prometheus label names the tenant
	// and model span attributes become.
	TenantLabel string
	ModelLabel  string
	// WorkloadLabel is the label of tracing.workloadAttribute ("" unset):
	// gateway SLIs select their workload's value.
	WorkloadLabel string
	// Buckets are the spanmetrics histogram boundaries: the collector's
	// defaults plus every gateway SLO threshold, sorted.
	Buckets []time.Duration
	// SlowThreshold keeps traces slower than the strictest gateway threshold
	// or the spec's slow threshold, whichever is lower.
	SlowThreshold time.Duration

	plan *Plan
}

// SLO is one SLO instance: a workload's objective for one model (and one
// tenant when measured at the gateway).
type SLO struct {
	ID        string // workload-kind, the value of the slo label
	Kind      library.SLOKind
	Workload  *Workload
	Model     *Model
	Tenant    *Tenant // nil for engine-sourced SLOs
	Source    schema.Source
	Objective float64 // percent
	Target    float64 // objective as a ratio
	Budget    float64 // 1 - Target, canonical
	Threshold time.Duration
	MaxQueue  int
	Declared  bool
	SLI       SLI
}

// Labels returns the identity labels of the SLO: slo, workload, model and,
// when per tenant, tenant.
func (s *SLO) Labels() map[string]string {
	l := map[string]string{"slo": s.ID, "workload": s.Workload.Name, "model": s.Model.Name}
	if s.Tenant != nil {
		l["tenant"] = s.Tenant.Name
	}
	return l
}

// Label returns the value of one identity label, "" when the SLO has none
// of that name.
func (s *SLO) Label(name string) string {
	switch name {
	case "slo":
		return s.ID
	case "workload":
		return s.Workload.Name
	case "model":
		return s.Model.Name
	case "tenant":
		if s.Tenant != nil {
			return s.Tenant.Name
		}
	}
	return ""
}

// LabelNames returns the sorted names of Labels.
func (s *SLO) LabelNames() []string {
	names := []string{"model", "slo", "workload"}
	if s.Tenant != nil {
		names = append(names, "tenant")
	}
	sort.Strings(names)
	return names
}

// SLOSet is the instances of one workload SLO on one model: one for an
// engine SLO, one per tenant at the gateway. They share the SLI but for
// the tenant matcher, the objective and the tiers, so one set of rules
// evaluates them all, keeping the tenant label apart.
type SLOSet struct {
	Instances []*SLO // sorted by tenant
	// SLI selects every instance's events: the gateway SLI with the
	// tenant equality replaced by one matcher for the set's tenants.
	SLI SLI
	// By is the label the event rates keep, one series per instance: the
	// tracing's tenant label, or none for an engine SLO.
	By string
}

// First is the set's first instance, which stands for what they share.
func (s *SLOSet) First() *SLO { return s.Instances[0] }

// Tenants returns the set's tenant names, in order (none for an engine SLO).
func (s *SLOSet) Tenants() []string {
	var out []string
	for _, i := range s.Instances {
		if i.Tenant != nil {
			out = append(out, i.Tenant.Name)
		}
	}
	return out
}

// SLIType says how an SLI counts events.
type SLIType string

// SLI types.
const (
	// Ratio: good and total are counters (or histogram buckets and counts);
	// events per second are their rates.
	SLIRatio SLIType = "ratio"
	// GaugeThreshold: every evaluation is an event, good when the gauge
	// (aggregated per model) is at most Threshold.
	SLIGaugeThreshold SLIType = "gauge-threshold"
)

// Selector is one series selection.
type Selector struct {
	Series   string
	Matchers []*labels.Matcher
}

// VectorSelector builds the PromQL selector.
func (s Selector) VectorSelector() *parser.VectorSelector { return promql.Sel(s.Series, s.Matchers...) }

// SumRates is how an SLI counts events: the sum of the rates of the
// selections over w, every operand after the first allowed to be absent (a
// failure counter before the first failure).
func SumRates(sels []Selector, w time.Duration) promql.Expr {
	var acc promql.Expr
	for i, sel := range sels {
		r := promql.Sum(promql.Rate(sel.VectorSelector(), w))
		if i == 0 {
			acc = r
			continue
		}
		acc = promql.Add(acc, promql.Paren(promql.Or(r, promql.Call("vector", promql.Num(0)))))
	}
	return acc
}

// SLI is the concrete measurement behind an SLO.
type SLI struct {
	Type SLIType
	// Good and Total are summed after taking rates (Ratio).
	Good  []Selector
	Total []Selector
	// Gauge and GaugeMax define GaugeThreshold SLIs; GaugeAgg is how the
	// per-replica values combine ("max": the worst replica decides).
	Gauge    Selector
	GaugeMax float64
	// Drop lists labels summed away first (data-parallel ranks).
	Drop []string
	// Family is the metric family read and LeTexts the bucket texts matched.
	Family  string
	LeTexts []string
	// Unit is the unit of Family's observations ("seconds", "milliseconds").
	Unit string
	// Describe says in words what a good event is.
	Describe string
	// describeTenant renders Describe with another text in the place of
	// the quoted tenant name (nil when the SLI is not per tenant).
	describeTenant func(tenant string) string
	// Example describes concrete series that feed the SLI, for generated
	// tests, the simulator and cardinality checks.
	Example Example
}

// DescribeWith is Describe with tenant, as written, where Describe has
// the instance's quoted tenant name (a template that renders it, say);
// Describe itself when the SLI is not per tenant.
func (s SLI) DescribeWith(tenant string) string {
	if s.describeTenant == nil {
		return s.Describe
	}
	return s.describeTenant(tenant)
}

// Shape says how an SLI's example series produce events.
type Shape string

// Example shapes.
const (
	// ShapeHistogram: Good is the bucket series at the threshold (cumulative
	// good events), Total the _count series (all events).
	ShapeHistogram Shape = "histogram"
	// ShapePartition: Good and Bad are two counters whose sum is all events.
	ShapePartition Shape = "partition"
	// ShapeGauge: Good is the gauge; values at most the threshold are good.
	ShapeGauge Shape = "gauge"
)

// Series is one concrete series: a name and its labels.
type Series struct {
	Name   string
	Labels map[string]string
}

// Example holds the example series of an SLI.
type Example struct {
	Shape Shape
	Good  Series
	Bad   Series // partition only
	Total Series // histogram only
}

// sortSLOs orders SLOs deterministically.
func sortSLOs(slos []*SLO) {
	kindOrder := map[library.SLOKind]int{}
	for i, k := range library.SLOKinds() {
		kindOrder[k] = i
	}
	sort.SliceStable(slos, func(i, j int) bool {
		a, b := slos[i], slos[j]
		if a.Workload.Name != b.Workload.Name {
			return a.Workload.Name < b.Workload.Name
		}
		if a.Kind != b.Kind {
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		}
		if a.Model.Name != b.Model.Name {
			return a.Model.Name < b.Model.Name
		}
		return tenantName(a) < tenantName(b)
	})
}

func tenantName(s *SLO) string {
	if s.Tenant == nil {
		return ""
	}
	return s.Tenant.Name
}
