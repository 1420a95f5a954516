package cardinality

import (
	"fmt"
	"sort"
	"time"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
)

// Scope says what one instance of a recording rule kind is.
type Scope string

// Scopes.
const (
	PerSLO         Scope = "SLO instances"         // each plan.SLO (slo, workload, model, tenant where per tenant)
	PerModel       Scope = "models"                // each served model
	PerTenantModel Scope = "(tenant, model) pairs" // each pair some workload serves, when tracing is set
)

// Instance is one instance of a scope.
type Instance struct {
	Plan   *plan.Plan
	SLO    *plan.SLO    // PerSLO
	Model  *plan.Model  // PerModel, PerTenantModel (and the SLO's model)
	Tenant *plan.Tenant // PerTenantModel
}

// RuleKind is one kind of recording rule the rules generator writes, and
// what one instance of its scope costs. The estimate cannot import the
// rules generator (generators never import each other), so it mirrors its
// conditions here; a cross-check test compares the two.
type RuleKind struct {
	ID    string
	Scope Scope
	// Series is how many series each recorded name has per instance (more
	// than one when a label varies inside the instance, e.g. token_type).
	Series      int
	SeriesLabel string // the label that varies, when Series > 1
	// Les, when set, counts the series of one name per instance instead
	// of Series: one per le value of a recorded bucket rate (or per pod,
	// with LesLabel "pods").
	Les      func(x Instance, name string) int
	LesLabel string // what Les counts, "le values" when empty
	// When says in words when the kind applies.
	When string
	// Names returns the names the kind records for one instance; none when
	// it does not apply.
	Names func(x Instance) []string
	// Reads returns the raw engine families the kind reads for a model.
	Reads func(m *plan.Model) []string
}

// ruleKinds is the table of recording rule kinds: per SLO instance 4 + 2 ×
// windows + 3 series (+1 for headroom); per model 4 quantiles per latency
// histogram + the gauges, rates and costs below; per (tenant, model) pair
// 4 (3 without pricing) + 4 quantiles per configured span.
var ruleKinds = []RuleKind{
	// Per SLO instance.
	{ID: "sli-rates", Scope: PerSLO, Series: 1, When: "every SLO: good and total event rates over 5m",
		Names: always(library.RecSLIGood, library.RecSLITotal)},
	{ID: "sli-rates-sampled", Scope: PerSLO, Series: 1, When: "every SLO: the 5m rates sampled every 5m for long windows",
		Names: always(library.RecSLIGoodSampled, library.RecSLITotalSampled)},
	{ID: "error-ratio", Scope: PerSLO, Series: 1, When: "every SLO, one per window (5m, the tiers' windows and the period)",
		Names: perWindow(library.RecSLIErrorRatio)},
	{ID: "burn-rate", Scope: PerSLO, Series: 1, When: "every SLO, one per window (5m, the tiers' windows and the period)",
		Names: perWindow(library.RecBurnRate)},
	{ID: "objective", Scope: PerSLO, Series: 1, When: "every SLO", Names: always(library.RecObjective)},
	{ID: "error-budget", Scope: PerSLO, Series: 1, When: "every SLO", Names: always(library.RecErrorBudget)},
	{ID: "budget-remaining", Scope: PerSLO, Series: 1, When: "every SLO", Names: always(library.RecBudgetRemaining)},
	{ID: "headroom-ok", Scope: PerSLO, Series: 1, When: "headroom SLOs",
		Names: func(x Instance) []string {
			if x.SLO.Kind == library.SLOHeadroom {
				return []string{library.RecHeadroomOK}
			}
			return nil
		}},

	// Per model.
	{ID: "latency-quantiles", Scope: PerModel, Series: 1, When: "4 quantiles of each TTFT, ITL, E2E and queue-time histogram the engine has",
		Names: func(x Instance) []string {
			var out []string
			for _, fam := range families(x.Model, latencyRoles...) {
				for _, q := range library.Quantiles() {
					out = append(out, library.RecQuantile(fam, q))
				}
			}
			return out
		},
		Reads: func(m *plan.Model) []string { return families(m, latencyRoles...) }},
	{ID: "tokens", Scope: PerModel, Series: 1, When: "prompt and generation token rates (counter, else the length histogram's _sum)",
		Names: func(x Instance) []string {
			var out []string
			for _, tt := range tokenTypes {
				if first(x.Model, tt.roles...) != "" {
					out = append(out, library.RecTokens(tt.name))
				}
			}
			return out
		},
		Reads: func(m *plan.Model) []string {
			var out []string
			for _, tt := range tokenTypes {
				out = append(out, nonEmpty(first(m, tt.roles...))...)
			}
			return out
		}},
	onRole("requests-running", library.RecRequestsRunning, "a running-requests gauge (vLLM) or batch size (TGI)", library.RunningRoles...),
	onRole("requests-waiting", library.RecRequestsWaiting, "a queue-depth gauge", library.RoleRequestsWaiting),
	onRole("kv-cache", library.RecKVCacheUsage, "a KV-cache usage gauge (vLLM)", library.RoleKVCacheUsage),
	onRole("preemptions", library.RecPreemptions, "a preemption counter (vLLM)", library.RolePreemptions),
	onRole("requests", library.RecRequests, "a finished-requests counter", library.RoleRequestFinished),
	onAllRoles("prefix-hit-ratio", library.RecPrefixHitRatio, "prefix-cache hit and query counters", library.RolePrefixCacheHits, library.RolePrefixCacheQueries),
	onAllRoles("spec-acceptance", library.RecSpecAcceptance, "spec-decode accepted and draft token counters", library.RoleSpecAcceptedTokens, library.RoleSpecDraftTokens),
	{ID: "tokens-per-gpu-second", Scope: PerModel, Series: 1, When: "generated tokens are counted",
		Names: func(x Instance) []string {
			if first(x.Model, generationRoles...) == "" {
				return nil
			}
			return []string{library.RecTokensPerGPUSec}
		},
		Reads: func(m *plan.Model) []string { return nonEmpty(first(m, generationRoles...)) }},
	{ID: "tensor-active", Scope: PerModel, Series: 1, When: "every model (DCGM tensor-pipe activity of its GPUs)", Names: always(library.RecTensorActive)},
	{ID: "pod-tensor-active", Scope: PerModel, LesLabel: "pods", When: "every model: the DCGM tensor-pipe activity of each of its pods (its replicas), which its mean reads",
		Names: always(library.RecPodTensorActive), Les: replicas},
	{ID: "pod-tensor-active-idle-window", Scope: PerModel, LesLabel: "pods", When: "models with a running gauge: each pod's tensor-pipe activity over the idle-under-load diagnostic's window",
		Names: func(x Instance) []string {
			if first(x.Model, library.RunningRoles...) == "" {
				return nil
			}
			return []string{library.RecPodTensorActiveOver(library.TensorIdleWindow)}
		}, Les: replicas},
	{ID: "token-price", Scope: PerModel, Series: 2, SeriesLabel: library.LabelTokenType, When: "models with pricing", Names: withPricing(library.RecTokenPrice)},
	{ID: "token-spend", Scope: PerModel, Series: 2, SeriesLabel: library.LabelTokenType, When: "models with pricing", Names: withPricing(library.RecTokenSpend)},
	{ID: "gpu-cost", Scope: PerModel, Series: 1, When: "every model", Names: always(library.RecGPUCost)},
	{ID: "effective-cost", Scope: PerModel, Series: 1, When: "every model", Names: always(library.RecEffectiveCost)},

	{ID: "latency-bucket-rates", Scope: PerModel, When: "the bucket rates (by le) of each TTFT, ITL, E2E and queue-time histogram, which its quantiles read",
		Names: func(x Instance) []string {
			var out []string
			for _, fam := range families(x.Model, latencyRoles...) {
				out = append(out, library.RecBucketRate(fam))
			}
			return out
		},
		Les: func(x Instance, name string) int {
			for _, r := range latencyRoles {
				if f, ok := x.Model.Metric(r); ok && library.RecBucketRate(f.Name) == name {
					return len(f.Buckets) + 1
				}
			}
			return 0
		},
		Reads: func(m *plan.Model) []string { return families(m, latencyRoles...) }},

	// Per (tenant, model) pair served at the gateway (tracing set).
	{ID: "tenant-requests", Scope: PerTenantModel, Series: 1, When: "tracing set", Names: always(library.RecTenantRequests)},
	{ID: "tenant-error-ratio", Scope: PerTenantModel, Series: 1, When: "tracing set", Names: always(library.RecTenantErrorRatio)},
	{ID: "tenant-spend", Scope: PerTenantModel, Series: 1, When: "tracing set and the model has pricing", Names: withPricing(library.RecTenantSpend)},
	{ID: "tenant-gpu-cost", Scope: PerTenantModel, Series: 1, When: "tracing set", Names: always(library.RecTenantGPUCost)},
	{ID: "tenant-bucket-rates", Scope: PerTenantModel, When: "the bucket rates (by le) of each configured gateway span, which its quantiles read",
		Names: func(x Instance) []string {
			var out []string
			for _, span := range spanNames(x.Plan) {
				out = append(out, library.RecTenantBucketRate(x.Plan.Tracing.SpanMetrics.DurationFamily, span))
			}
			return out
		},
		Les: func(x Instance, _ string) int { return len(x.Plan.Tracing.Buckets) + 1 }},
	{ID: "tenant-quantiles", Scope: PerTenantModel, Series: 1, When: "4 quantiles per configured gateway span",
		Names: func(x Instance) []string {
			var out []string
			for _, span := range spanNames(x.Plan) {
				for _, q := range library.Quantiles() {
					out = append(out, library.RecTenantQuantile(x.Plan.Tracing.SpanMetrics.DurationFamily, span, q))
				}
			}
			return out
		}},
}

// RuleKinds returns the table of recording rule kinds the estimate counts.
func RuleKinds() []RuleKind { return append([]RuleKind(nil), ruleKinds...) }

var latencyRoles = []library.Role{library.RoleTTFT, library.RoleITL, library.RoleE2E, library.RoleQueueTime}

var generationRoles = []library.Role{library.RoleGenerationTokens, library.RoleGenerationLength}

var tokenTypes = []struct {
	name  string
	roles []library.Role
}{
	{"prompt", []library.Role{library.RolePromptTokens, library.RolePromptLength}},
	{"generation", generationRoles},
}

// replicas counts one series per pod of the instance's model.
func replicas(x Instance, _ string) int { return x.Model.Spec.Replicas }

func always(names ...string) func(Instance) []string {
	return func(Instance) []string { return names }
}

func withPricing(name string) func(Instance) []string {
	return func(x Instance) []string {
		if x.Model.Spec.Pricing == nil {
			return nil
		}
		return []string{name}
	}
}

func perWindow(name func(time.Duration) string) func(Instance) []string {
	return func(x Instance) []string {
		var out []string
		for _, w := range Windows(x.Plan) {
			out = append(out, name(w))
		}
		return out
	}
}

// onRole records name for models whose engine has the first of roles.
func onRole(id, name, when string, roles ...library.Role) RuleKind {
	return RuleKind{ID: id, Scope: PerModel, Series: 1, When: when,
		Names: func(x Instance) []string {
			if first(x.Model, roles...) == "" {
				return nil
			}
			return []string{name}
		},
		Reads: func(m *plan.Model) []string { return nonEmpty(first(m, roles...)) }}
}

// onAllRoles records name for models whose engine has every role.
func onAllRoles(id, name, when string, roles ...library.Role) RuleKind {
	return RuleKind{ID: id, Scope: PerModel, Series: 1, When: when,
		Names: func(x Instance) []string {
			if len(families(x.Model, roles...)) != len(roles) {
				return nil
			}
			return []string{name}
		},
		Reads: func(m *plan.Model) []string {
			if fs := families(m, roles...); len(fs) == len(roles) {
				return fs
			}
			return nil
		}}
}

// families returns the family names of the roles the model's engine has.
func families(m *plan.Model, roles ...library.Role) []string {
	var out []string
	for _, r := range roles {
		if f, ok := m.Metric(r); ok {
			out = append(out, f.Name)
		}
	}
	return out
}

// first returns the family of the first role the engine has, or "".
func first(m *plan.Model, roles ...library.Role) string {
	if fs := families(m, roles...); len(fs) > 0 {
		return fs[0]
	}
	return ""
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// Windows returns the windows SLO error ratios and burn rates are recorded
// over: the 5m base window, every tier's short and long window, and the
// SLO period, sorted.
func Windows(p *plan.Plan) []time.Duration {
	set := map[time.Duration]bool{5 * time.Minute: true, p.Period: true}
	for _, t := range p.Tiers {
		set[t.Short], set[t.Long] = true, true
	}
	out := make([]time.Duration, 0, len(set))
	for w := range set {
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Instances returns the instances of a scope in the plan.
func Instances(p *plan.Plan, s Scope) []Instance {
	var out []Instance
	switch s {
	case PerSLO:
		for _, slo := range p.SLOs {
			out = append(out, Instance{Plan: p, SLO: slo, Model: slo.Model, Tenant: slo.Tenant})
		}
	case PerModel:
		for _, m := range p.Models {
			out = append(out, Instance{Plan: p, Model: m})
		}
	case PerTenantModel:
		if p.Tracing == nil {
			return nil
		}
		for _, pair := range servedPairs(p) {
			out = append(out, Instance{Plan: p, Tenant: tenantByName(p, pair[0]), Model: modelByName(p, pair[1])})
		}
	}
	return out
}

func tenantByName(p *plan.Plan, n string) *plan.Tenant {
	for _, t := range p.Tenants {
		if t.Name == n {
			return t
		}
	}
	return nil
}

func modelByName(p *plan.Plan, n string) *plan.Model {
	for _, m := range p.Models {
		if m.Name == n {
			return m
		}
	}
	return nil
}

// RecordedSeries returns, per recorded name, the series the rule kinds
// write for the plan: the numbers a cross-check against the rules
// generator compares.
func RecordedSeries(p *plan.Plan) map[string]int {
	out := map[string]int{}
	for _, k := range ruleKinds {
		for _, x := range Instances(p, k.Scope) {
			for _, n := range k.Names(x) {
				out[n] += k.series(x, n)
			}
		}
	}
	return out
}

// recorded turns the rule kinds into report families, one per name.
func recorded(p *plan.Plan) []Family {
	type acc struct {
		kind  RuleKind
		count int
		les   []int // per instance, for kinds that count le values
	}
	byName := map[string]*acc{}
	var order []string
	for _, k := range ruleKinds {
		for _, x := range Instances(p, k.Scope) {
			for _, n := range k.Names(x) {
				a, ok := byName[n]
				if !ok {
					a = &acc{kind: k}
					byName[n] = a
					order = append(order, n)
				}
				a.count++
				if a.kind.Les != nil {
					a.les = append(a.les, a.kind.Les(x, n))
				}
			}
		}
	}
	var out []Family
	for _, n := range order {
		a := byName[n]
		f := Formula{T(string(a.kind.Scope), a.count)}
		if a.kind.Les != nil {
			f = lesFormula(a.kind.Scope, a.kind.LesLabel, a.les)
		} else if a.kind.Series > 1 {
			f = append(f, T(a.kind.SeriesLabel, a.kind.Series))
		}
		out = append(out, Family{
			Name: n, Source: SourceRecorded, Read: true, Series: f.Value(), Formula: f,
			Note: fmt.Sprintf("rule kind %s: %s", a.kind.ID, a.kind.When), Advice: recordedAdvice(a.kind.Scope),
		})
	}
	return out
}

// series is how many series the kind records under one name for x.
func (k RuleKind) series(x Instance, name string) int {
	if k.Les != nil {
		return k.Les(x, name)
	}
	return k.Series
}

// lesFormula counts series with per-instance le values: instances × le
// values when they agree, else their sum.
func lesFormula(scope Scope, label string, les []int) Formula {
	if label == "" {
		label = "le values"
	}
	same := true
	for _, n := range les {
		same = same && n == les[0]
	}
	if same {
		return Formula{T(string(scope), len(les)), T(label, les[0])}
	}
	terms := make([]Term, len(les))
	for i, n := range les {
		terms[i] = T(label, n)
	}
	return Formula{Sum(string(scope), terms...)}
}

func recordedAdvice(s Scope) string {
	switch s {
	case PerSLO:
		return "one per SLO instance: gateway SLOs are per tenant and model, scope them with slos.<kind>.tenants"
	case PerTenantModel:
		return "drop the tenant dimension or serve fewer (tenant, model) pairs through the gateway"
	}
	return "one per model"
}

// readFamilies returns, per model, the raw engine families the emitted
// rules and SLIs read.
func readFamilies(p *plan.Plan) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	mark := func(m *plan.Model, fam string) {
		if out[m.Name] == nil {
			out[m.Name] = map[string]bool{}
		}
		out[m.Name][fam] = true
	}
	for _, k := range ruleKinds {
		if k.Reads == nil || k.Scope != PerModel {
			continue
		}
		for _, m := range p.Models {
			if len(k.Names(Instance{Plan: p, Model: m})) == 0 {
				continue
			}
			for _, f := range k.Reads(m) {
				mark(m, f)
			}
		}
	}
	for _, s := range p.SLOs {
		if s.Tenant != nil {
			continue // gateway SLIs read spanmetrics
		}
		sels := append(append([]plan.Selector(nil), s.SLI.Good...), s.SLI.Total...)
		if s.SLI.Gauge.Series != "" {
			sels = append(sels, s.SLI.Gauge)
		}
		for _, sel := range sels {
			if f, ok := s.Model.Catalog.SeriesFamily(sel.Series); ok {
				mark(s.Model, f.Name)
			}
		}
	}
	return out
}
