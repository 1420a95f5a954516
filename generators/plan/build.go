package plan

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
	"github.com/inferobs/inferobs/schema/diag"
)

// DefaultSpecDecodeBreakEven is the draft acceptance rate under which
// speculative decoding is assumed to cost more than it saves.
const DefaultSpecDecodeBreakEven = 0.5

type builder struct {
	s  *schema.Spec
	p  *Plan
	ds diag.List
}

func (b *builder) errorf(path []string, format string, args ...any) {
	b.ds = append(b.ds, diag.Errorf(b.s.Pos(path...), schema.Path(path...), format, args...))
}

func (b *builder) warnf(path []string, format string, args ...any) {
	b.ds = append(b.ds, diag.Warnf(b.s.Pos(path...), schema.Path(path...), format, args...))
}

// New resolves a spec. The plan is nil when any diagnostic is an error;
// warnings are returned either way (and kept in Plan.Warnings).
func New(s *schema.Spec) (*Plan, diag.List) {
	b := &builder{s: s, p: &Plan{
		Spec:                s,
		Environment:         s.Environment,
		PrometheusMajor:     s.Target.PrometheusMajor,
		ScrapeInterval:      s.Target.ScrapeInterval,
		EvaluationInterval:  s.Target.EvaluationInterval,
		QuantileInterval:    s.Target.QuantileInterval,
		Period:              s.SLO.Period,
		Currency:            s.Currency,
		RunbookBaseURL:      s.SLO.RunbookBaseURL,
		MinEvents:           s.SLO.MinEvents,
		ForbiddenLabels:     append([]string(nil), s.Cardinality.ForbiddenLabels...),
		SpecDecodeBreakEven: DefaultSpecDecodeBreakEven,
		Aggregate:           s.Cardinality.StreamAggregation,
	}}
	if b.p.QuantileInterval == 0 {
		// A dashboard's usual resolution.
		b.p.QuantileInterval = max(b.p.EvaluationInterval, time.Minute)
	}
	if s.SpecDecode != nil {
		b.p.SpecDecodeBreakEven = s.SpecDecode.BreakEvenAcceptance
	}
	b.tiers()
	b.models()
	b.targetIdentity()
	b.kubernetesObjects()
	b.tenantsAndWorkloads()
	b.tracing()
	b.scrapeWarnings()
	b.aggregations()
	b.slos()
	b.workloadIdentity()
	b.tierWarnings()
	b.gatewayBuckets()
	ds := b.ds.Sorted()
	b.p.Warnings = ds.Warnings()
	if ds.HasErrors() {
		return nil, ds
	}
	return b.p, ds
}

func (b *builder) tiers() {
	set, _ := library.WindowSet(b.s.SLO.Windows)
	for _, t := range set {
		switch {
		case t.Long > b.p.Period:
			b.errorf([]string{"slo", "period"}, "period %s is shorter than the %s long window of the %s tier", model.Duration(b.p.Period), model.Duration(t.Long), t.Name)
		case t.Short >= t.Long:
			b.errorf([]string{"slo", "windows"}, "tier %s: short window %s is not shorter than its long window %s", t.Name, model.Duration(t.Short), model.Duration(t.Long))
		case t.Short < 4*b.p.ScrapeInterval:
			b.errorf([]string{"target", "scrapeInterval"}, "tier %s: the %s window holds fewer than 4 scrapes at %s; scrape more often", t.Name, model.Duration(t.Short), model.Duration(b.p.ScrapeInterval))
		}
		b.p.Tiers = append(b.p.Tiers, Tier{BurnTier: t, Factor: promql.Canonical(t.Factor(b.p.Period))})
	}
	if ev := b.p.EvaluationInterval; ev > 0 && 5*time.Minute < 4*b.p.ScrapeInterval {
		b.errorf([]string{"target", "scrapeInterval"}, "scrape interval %s is too long for the 5m base rate window (needs 4 scrapes)", model.Duration(b.p.ScrapeInterval))
	}
}

func (b *builder) models() {
	for _, name := range slices.Sorted(maps.Keys(b.s.Models)) {
		sm := b.s.Models[name]
		cat, err := library.Lookup(sm.Engine, sm.EngineVersion)
		if err != nil {
			b.errorf([]string{"models", name, "engineVersion"}, "%v", err)
			continue
		}
		if note := cat.VerificationNote(); note != "" {
			b.warnf([]string{"models", name, "engineVersion"}, "%s", note)
		}
		m := &Model{Name: name, Spec: sm, Catalog: cat, GPU: b.s.GPUs[sm.GPU], plan: b.p}
		if t, err := m.Target(); err == nil {
			m.TargetMatchers = t.Matchers()
			// Engine series carry every label of their target plus what the
			// engine exposes: both sets of matchers, in label order.
			m.Matchers = clone(m.TargetMatchers)
			for _, k := range t.EngineLabels {
				m.Matchers = append(m.Matchers, promql.Eq(k, sm.Selector[k]))
			}
			sort.SliceStable(m.Matchers, func(i, j int) bool { return m.Matchers[i].Name < m.Matchers[j].Name })
		} else {
			// A selector no scrape can produce (instance, say): the
			// collector reports it; the rules select what the spec says.
			for _, k := range slices.Sorted(maps.Keys(sm.Selector)) {
				m.TargetMatchers = append(m.TargetMatchers, promql.Eq(k, sm.Selector[k]))
			}
			m.Matchers = clone(m.TargetMatchers)
		}
		if l, ok := cat.ModelLabel(); ok {
			if _, clash := sm.Selector[l]; !clash {
				m.Matchers = append(m.Matchers, promql.Eq(l, sm.ServedName))
			}
		}
		if cat.HasDataParallelLabel() {
			m.DropLabels = []string{cat.Info.DataParallelLabel}
		}
		m.ReplicaHourlyCost = promql.Canonical(float64(sm.GPUsPerReplica) * m.GPU.HourlyCost)
		b.p.Models = append(b.p.Models, m)
	}
}

func (b *builder) model(name string) *Model {
	for _, m := range b.p.Models {
		if m.Name == name {
			return m
		}
	}
	return nil
}

func (b *builder) tenant(name string) *Tenant {
	for _, t := range b.p.Tenants {
		if t.Name == name {
			return t
		}
	}
	return nil
}

func (b *builder) tenantsAndWorkloads() {
	for _, name := range slices.Sorted(maps.Keys(b.s.Tenants)) {
		b.p.Tenants = append(b.p.Tenants, &Tenant{Name: name, HighValue: b.s.Tenants[name].HighValue})
	}
	for _, name := range slices.Sorted(maps.Keys(b.s.Workloads)) {
		sw := b.s.Workloads[name]
		w := &Workload{Name: name, Class: sw.Class}
		for _, m := range sw.Models {
			if pm := b.model(m); pm != nil {
				w.Models = append(w.Models, pm)
			}
		}
		for _, t := range sw.Tenants {
			if pt := b.tenant(t); pt != nil {
				w.Tenants = append(w.Tenants, pt)
			}
		}
		b.p.Workloads = append(b.p.Workloads, w)
	}
}

func (b *builder) tracing() {
	t := b.s.Tracing
	if t == nil {
		return
	}
	sm, err := library.SpanMetricsFor(t.CollectorVersion, t.Unit)
	if err != nil {
		b.errorf([]string{"tracing", "collectorVersion"}, "%v", err)
		return
	}
	b.p.Tracing = &Tracing{
		plan:          b.p,
		Spec:          t,
		SpanMetrics:   sm,
		TenantLabel:   library.PromLabelName(t.TenantAttribute),
		ModelLabel:    library.PromLabelName(t.ModelAttribute),
		WorkloadLabel: promLabelOrEmpty(t.WorkloadAttribute),
		SlowThreshold: t.Sampling.SlowThreshold,
	}
}

// gatewayBuckets makes the spanmetrics boundaries contain every gateway
// SLO threshold, so the le the rules select always exists, and, where the
// gateway traces TTFT, the engines' TTFT boundaries in the range
// library.GatewayTTFTAlign* (see there).
func (b *builder) gatewayBuckets() {
	tr := b.p.Tracing
	if tr == nil {
		return
	}
	set := map[time.Duration]bool{}
	for _, d := range tr.SpanMetrics.DefaultBuckets {
		set[d] = true
	}
	if _, ok := tr.Spec.Spans[library.SLOTTFT]; ok {
		for _, m := range b.p.Models {
			fam, ok := m.Metric(library.RoleTTFT)
			if !ok {
				continue
			}
			for _, sec := range fam.Buckets {
				d := time.Duration(math.Round(sec * float64(time.Second)))
				if d >= library.GatewayTTFTAlignMin && d <= library.GatewayTTFTAlignMax {
					set[d] = true
				}
			}
		}
	}
	for _, s := range b.p.SLOs {
		if s.Source == schema.SourceGateway && s.Kind.IsLatency() {
			set[s.Threshold] = true
			if s.Threshold < tr.SlowThreshold {
				tr.SlowThreshold = s.Threshold
			}
		}
	}
	for d := range set {
		tr.Buckets = append(tr.Buckets, d)
	}
	sort.Slice(tr.Buckets, func(i, j int) bool { return tr.Buckets[i] < tr.Buckets[j] })
}

// tierWarnings flags tiers that can never fire, or fire late, for an
// objective: at objective O the highest burn rate is 1/(1-O), and even at a
// 100 % error rate the long window needs factor × budget of its length to
// cross the line. One warning per objective the user wrote (or per class
// whose preset set it) lists every affected tier.
func (b *builder) tierWarnings() {
	type group struct {
		path  []string
		first *SLO
		names []string // preset SLOs sharing the objective, with their values
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, s := range b.p.SLOs {
		path := []string{"workloads", s.Workload.Name, "slos", string(s.Kind), "objective"}
		if !s.Declared {
			path = []string{"workloads", s.Workload.Name, "class"}
		}
		k := strings.Join(path, "\x00") + promql.FormatNumber(s.Objective)
		g, ok := byKey[k]
		if !ok {
			g = &group{path: path, first: s}
			byKey[k] = g
			groups = append(groups, g)
		}
		if n := presetValues(s); !s.Declared && !slices.Contains(g.names, n) {
			g.names = append(g.names, n)
		}
	}
	for _, g := range groups {
		s := g.first
		var never, slow []string
		for _, t := range b.p.Tiers {
			need := t.Factor * s.Budget
			if !t.CanFire(s.Budget) {
				never = append(never, fmt.Sprintf("%s (%s×)", t.Name, promql.FormatNumber(t.Factor)))
				continue
			}
			detect := time.Duration(need*float64(t.Long)) + t.For
			if float64(detect) > 0.5*float64(t.Long) {
				slow = append(slow, fmt.Sprintf("%s after %s", t.Name, roundDur(detect)))
			}
		}
		var parts []string
		if len(never) > 0 {
			parts = append(parts, fmt.Sprintf("%s can never fire (the highest possible burn rate is %s×) and is not generated", strings.Join(never, ", "), promql.FormatNumber(1/s.Budget)))
		}
		if len(slow) > 0 {
			parts = append(parts, "at a 100% error rate "+strings.Join(slow, ", ")+", more than half its long window")
		}
		if len(parts) == 0 {
			continue
		}
		what := fmt.Sprintf("objective %s%%", promql.FormatNumber(s.Objective))
		if !s.Declared {
			what = fmt.Sprintf("the %s preset's %s", s.Workload.Class, joinAnd(g.names))
		}
		b.warnf(g.path, "%s: %s; a stricter objective detects sooner (see README: choosing objectives)", what, strings.Join(parts, "; "))
	}
}

func joinAnd(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

func roundDur(d time.Duration) string { return model.Duration(d.Round(time.Second)).String() }

// budgetOf returns 1 - objective/100 without float noise.
func budgetOf(objective float64) float64 {
	return promql.Canonical((100 - objective) / 100)
}

// fmtSeconds prints a threshold the way people write it: 75ms, 2.5s, 5m.
func fmtSeconds(d time.Duration) string {
	switch {
	case d >= time.Minute && d%time.Second == 0:
		return model.Duration(d).String()
	case d >= time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
	case d%time.Millisecond == 0:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

func nearestText(buckets []float64, v float64) string {
	below, above := library.NearestBuckets(buckets, v)
	var parts []string
	if !math.IsNaN(below) {
		parts = append(parts, fmtSecondsF(below))
	}
	if !math.IsNaN(above) {
		parts = append(parts, fmtSecondsF(above))
	}
	return strings.Join(parts, " and ")
}

func fmtSecondsF(s float64) string {
	d := time.Duration(math.Round(s * float64(time.Second)))
	if float64(d)/float64(time.Second) == s || math.Abs(float64(d)/float64(time.Second)-s) < 1e-12 {
		return model.Duration(d).String()
	}
	return fmt.Sprintf("%gs", s)
}

var _ = labels.MatchEqual
