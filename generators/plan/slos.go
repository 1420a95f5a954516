package plan

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// slos expands each workload's SLOs (declared, else from the class preset)
// into one instance per model, or per model and tenant at the gateway.
func (b *builder) slos() {
	for _, w := range b.p.Workloads {
		sw := b.s.Workloads[w.Name]
		preset, _ := library.PresetFor(w.Class)
		for _, kind := range library.SLOKinds() {
			spec, declared := sw.SLOs[kind]
			if sw.Off[kind] {
				if _, ok := presetSLO(preset, kind); !ok {
					b.warnf([]string{"workloads", w.Name, "slos", string(kind)}, "the %s preset adds no %s SLO: %s: false turns nothing off", w.Class, kind, kind)
				}
				continue
			}
			if !declared {
				ps, ok := presetSLO(preset, kind)
				if !ok {
					continue
				}
				spec = schema.SLOSpec{Kind: kind, Threshold: ps.Threshold, MaxQueue: ps.MaxQueue, Objective: ps.Objective, Source: schema.SourceEngine}
			}
			b.sloFor(w, spec)
		}
	}
	sortSLOs(b.p.SLOs)
	b.sloSets()
}

// sloSets groups the sorted SLOs into sets that differ only by tenant.
func (b *builder) sloSets() {
	var cur *SLOSet
	for _, s := range b.p.SLOs {
		if cur == nil || cur.First().ID != s.ID || cur.First().Model != s.Model {
			cur = &SLOSet{}
			b.p.SLOSets = append(b.p.SLOSets, cur)
		}
		cur.Instances = append(cur.Instances, s)
	}
	for _, set := range b.p.SLOSets {
		set.SLI = set.First().SLI
		if set.First().Tenant == nil {
			continue
		}
		// One matcher for the set's tenants, escaped by construction.
		label := b.p.Tracing.TenantLabel
		names := set.Tenants()
		m := promql.Eq(label, names[0])
		if len(names) > 1 {
			m = promql.Re(label, alternation(names))
		}
		set.By = label
		set.SLI.Good = withTenants(set.SLI.Good, label, m)
		set.SLI.Total = withTenants(set.SLI.Total, label, m)
	}
}

// withTenants replaces the tenant matcher of each selection with m.
func withTenants(sels []Selector, label string, m *labels.Matcher) []Selector {
	out := make([]Selector, len(sels))
	for i, sel := range sels {
		ms := make([]*labels.Matcher, len(sel.Matchers))
		for j, x := range sel.Matchers {
			if x.Name == label {
				x = m
			}
			ms[j] = x
		}
		out[i] = Selector{Series: sel.Series, Matchers: ms}
	}
	return out
}

func presetSLO(p library.Preset, k library.SLOKind) (library.PresetSLO, bool) {
	for _, s := range p.SLOs {
		if s.Kind == k {
			return s, true
		}
	}
	return library.PresetSLO{}, false
}

func (b *builder) sloFor(w *Workload, spec schema.SLOSpec) {
	path := []string{"workloads", w.Name, "slos", string(spec.Kind)}
	if !spec.Declared {
		path = []string{"workloads", w.Name, "class"}
	}
	base := SLO{
		ID:        w.Name + "-" + string(spec.Kind),
		Kind:      spec.Kind,
		Workload:  w,
		Source:    spec.Source,
		Objective: spec.Objective,
		Target:    promql.Canonical(spec.Objective / 100),
		Budget:    budgetOf(spec.Objective),
		Threshold: spec.Threshold,
		MaxQueue:  spec.MaxQueue,
		Declared:  spec.Declared,
	}
	models := w.Models
	if len(spec.Models) > 0 {
		models = nil
		for i, name := range spec.Models {
			m := b.model(name)
			if m == nil || !slices.Contains(w.Models, m) {
				var names []string
				for _, wm := range w.Models {
					names = append(names, wm.Name)
				}
				b.errorf(append(path, "models", fmt.Sprint(i)), "model %q is not a model of workload %q (its models: %s)", name, w.Name, strings.Join(names, ", "))
				continue
			}
			models = append(models, m)
		}
	}
	if spec.Source == schema.SourceEngine {
		if len(spec.Tenants) > 0 {
			b.errorf(append(path, "tenants"), "engine metrics carry no tenant label, so a %s SLO scoped to tenants needs source: \"gateway\"", spec.Kind)
			return
		}
		for _, m := range models {
			s := base
			s.Model = m
			if b.engineSLI(&s, path) {
				b.p.SLOs = append(b.p.SLOs, &s)
			}
		}
		return
	}
	// Gateway: per model and tenant, from spanmetrics.
	if b.p.Tracing == nil {
		b.errorf(append(path, "source"), "a gateway-sourced SLO reads spanmetrics: add a tracing block (collectorVersion, spans)")
		return
	}
	tenants := w.Tenants
	if len(spec.Tenants) > 0 {
		tenants = nil
		for i, t := range spec.Tenants {
			pt := b.tenant(t)
			if pt == nil || !containsTenant(w.Tenants, t) {
				b.errorf(append(path, "tenants", fmt.Sprint(i)), "tenant %q is not a tenant of workload %q", t, w.Name)
				continue
			}
			tenants = append(tenants, pt)
		}
	}
	if len(tenants) == 0 {
		b.errorf(path, "a gateway-sourced SLO is per tenant: list the workload's tenants")
		return
	}
	for _, m := range models {
		for _, t := range tenants {
			s := base
			s.Model, s.Tenant = m, t
			if b.gatewaySLI(&s, path) {
				b.p.SLOs = append(b.p.SLOs, &s)
			}
		}
	}
}

func containsTenant(ts []*Tenant, name string) bool {
	for _, t := range ts {
		if t.Name == name {
			return true
		}
	}
	return false
}

// cannot reports an SLO the engine cannot measure: an error when the user
// declared it, a warning (and the SLO is skipped) when a preset added it.
func (b *builder) cannot(s *SLO, path []string, why string) bool {
	if s.Declared {
		if len(s.Workload.Models) > 1 {
			why += fmt.Sprintf("; to keep the SLO for the workload's other models, list them in slos.%s.models", s.Kind)
		}
		b.errorf(path, "%s", why)
	} else {
		b.warnf(path, "skipped %s for model %q: %s; declare slos.%s with models: [...] to keep it for the others, or write slos.%s: false", presetName(s), s.Model.Name, why, s.Kind, s.Kind)
	}
	return false
}

// presetName names a preset SLO with its values, the way warnings about
// it say it: the chat preset's ttft SLO (1s at 95 %).
func presetName(s *SLO) string {
	return fmt.Sprintf("the %s preset's %s", s.Workload.Class, presetValues(s))
}

// presetValues is "ttft SLO (1s at 95 %)".
func presetValues(s *SLO) string {
	var vals []string
	if s.Kind.IsLatency() {
		vals = append(vals, fmtSeconds(s.Threshold)+" at")
	}
	if s.Kind == library.SLOHeadroom {
		vals = append(vals, fmt.Sprintf("queue <= %d at", s.MaxQueue))
	}
	vals = append(vals, promql.FormatNumber(s.Objective)+" %")
	return fmt.Sprintf("%s SLO (%s)", s.Kind, strings.Join(vals, " "))
}

var engineLatencyRole = map[library.SLOKind]library.Role{
	library.SLOTTFT: library.RoleTTFT,
	library.SLOITL:  library.RoleITL,
	library.SLOE2E:  library.RoleE2E,
}

func (b *builder) engineSLI(s *SLO, path []string) bool {
	m, cat := s.Model, s.Model.Catalog
	eng := fmt.Sprintf("%s %s", m.Engine(), cat.Version.Short())
	sli := SLI{Type: SLIRatio, Drop: m.DropLabels, Unit: "seconds"}
	switch s.Kind {
	case library.SLOTTFT, library.SLOITL, library.SLOE2E:
		fam, ok := cat.ByRole(engineLatencyRole[s.Kind])
		if !ok {
			if s.Kind == library.SLOITL {
				return b.cannot(s, path, fmt.Sprintf("%s exposes no per-token ITL histogram (a per-request mean time per token is not the same SLI), and spans cannot measure it either", eng))
			}
			return b.cannot(s, path, fmt.Sprintf("%s exposes no %s histogram; measure it at the gateway instead (source: \"gateway\" with tracing.spans.%s)", eng, strings.ToUpper(string(s.Kind)), s.Kind))
		}
		bound := s.Threshold.Seconds()
		if !library.HasBucket(fam.Buckets, bound) {
			if s.Declared {
				b.errorf(append(path, "threshold"), "threshold %s is not a bucket boundary of %s in %s; the nearest boundaries are %s", fmtSeconds(s.Threshold), fam.Name, eng, nearestText(fam.Buckets, bound))
				return false
			}
			below, _ := library.NearestBuckets(fam.Buckets, bound)
			if math.IsNaN(below) {
				return b.cannot(s, path, fmt.Sprintf("the preset threshold %s is below every bucket of %s", fmtSeconds(s.Threshold), fam.Name))
			}
			snapped := time.Duration(math.Round(below * float64(time.Second)))
			b.warnf(path, "%s: threshold %s is not a bucket boundary of %s in %s; using %s, the next lower boundary (stricter); declare slos.%s to choose", presetName(s), fmtSeconds(s.Threshold), fam.Name, eng, fmtSeconds(snapped), s.Kind)
			s.Threshold, bound = snapped, below
		}
		for _, bkt := range fam.Buckets {
			if library.NearlyEqual(bkt, bound) {
				bound = bkt // the exact float the engine prints
			}
		}
		sli.Family = fam.Name
		sli.LeTexts = cat.Info.LeStyle.LeTexts(bound, b.p.PrometheusMajor, true)
		sli.Good = []Selector{{m.BucketSeries(fam), append(clone(m.Matchers), leMatcher(sli.LeTexts))}}
		sli.Total = []Selector{totalOf(m.BucketSeries(fam), fam.Series("_bucket"), fam.Series("_count"), m.Matchers)}
		sli.Describe = fmt.Sprintf("%s observations at or below %s", fam.Name, fmtSeconds(s.Threshold))
		sli.Example = Example{Shape: ShapeHistogram,
			Good:  series(m.BucketSeries(fam), m.Matchers, "le", sli.LeTexts[0]),
			Total: exampleOf(sli.Total[0])}
	case library.SLOSuccess:
		fam, ok := cat.ByRole(library.RoleRequestFinished)
		if !ok {
			return b.cannot(s, path, eng+" exposes no finished-request counter")
		}
		sli.Family = fam.Name
		if failed, ok := cat.ByRole(library.RoleRequestFailed); ok {
			// TGI: successes against successes plus failures.
			sli.Good = []Selector{{fam.Name, clone(m.Matchers)}}
			sli.Total = []Selector{{fam.Name, clone(m.Matchers)}, {failed.Name, clone(m.Matchers)}}
			sli.Describe = fmt.Sprintf("%s against %s plus %s", fam.Name, fam.Name, failed.Name)
			bad := series(failed.Name, m.Matchers)
			for _, l := range failed.Labels {
				if vals, ok := cat.LabelValues(failed, l, library.Deployment{}); ok && len(vals) > 0 {
					bad.Labels[l] = vals[len(vals)-1]
				}
			}
			sli.Example = Example{Shape: ShapePartition, Good: series(fam.Name, m.Matchers), Bad: bad}
		} else {
			fails := cat.FailureReasons()
			label := cat.Info.FinishReasonLabel
			sli.Good = []Selector{{fam.Name, append(clone(m.Matchers), promql.NotRe(label, alternation(fails)))}}
			sli.Total = []Selector{{fam.Name, clone(m.Matchers)}}
			sli.Describe = fmt.Sprintf("finished requests whose %s is not %s", label, strings.Join(fails, " or "))
			sli.Example = Example{Shape: ShapePartition,
				Good: series(fam.Name, m.Matchers, label, cat.Info.CompleteReason),
				Bad:  series(fam.Name, m.Matchers, label, fails[0])}
		}
	case library.SLOCompleteness:
		fam, ok := cat.ByRole(library.RoleRequestFinished)
		if !ok || cat.Info.FinishReasonLabel == "" {
			return b.cannot(s, path, eng+" exposes no finish reason, so stream completeness cannot be measured")
		}
		label := cat.Info.FinishReasonLabel
		sli.Family = fam.Name
		sli.Good = []Selector{{fam.Name, append(clone(m.Matchers), promql.Eq(label, cat.Info.CompleteReason))}}
		sli.Total = []Selector{{fam.Name, clone(m.Matchers)}}
		sli.Describe = fmt.Sprintf("finished requests with %s=%q", label, cat.Info.CompleteReason)
		sli.Example = Example{Shape: ShapePartition,
			Good: series(fam.Name, m.Matchers, label, cat.Info.CompleteReason),
			Bad:  series(fam.Name, m.Matchers, label, cat.Info.TruncatedReason)}
	case library.SLOHeadroom:
		fam, ok := cat.ByRole(library.RoleRequestsWaiting)
		if !ok {
			return b.cannot(s, path, eng+" exposes no queue-depth gauge")
		}
		sli.Type = SLIGaugeThreshold
		sli.Family = fam.Name
		sli.Gauge = Selector{fam.Name, clone(m.Matchers)}
		sli.GaugeMax = float64(s.MaxQueue)
		sli.Unit = "requests"
		sli.Describe = fmt.Sprintf("evaluations where every replica's %s is at most %d", fam.Name, s.MaxQueue)
		sli.Example = Example{Shape: ShapeGauge, Good: series(fam.Name, m.Matchers)}
	}
	s.SLI = sli
	return true
}

func (b *builder) gatewaySLI(s *SLO, path []string) bool {
	tr := b.p.Tracing
	sm := tr.SpanMetrics
	matchers := []*labels.Matcher{promql.Eq(tr.TenantLabel, s.Tenant.Name), promql.Eq(tr.ModelLabel, s.Model.Spec.ServedName)}
	if tr.WorkloadLabel != "" {
		matchers = append(matchers, promql.Eq(tr.WorkloadLabel, s.Workload.Name))
	}
	sli := SLI{Type: SLIRatio, Unit: map[string]string{"ms": "milliseconds", "s": "seconds"}[sm.Unit]}
	span := func(kind library.SLOKind) (string, bool) {
		name, ok := tr.Spec.Spans[kind]
		return name, ok
	}
	switch s.Kind {
	case library.SLOTTFT, library.SLOE2E:
		name, ok := span(s.Kind)
		if !ok {
			b.errorf(path, "a gateway %s SLO needs tracing.spans.%s: the span that measures it", s.Kind, s.Kind)
			return false
		}
		bound := sm.Bound(s.Threshold)
		sli.Family = sm.DurationFamily
		sli.LeTexts = sm.LeStyle.LeTexts(bound, b.p.PrometheusMajor, true)
		ms := append(clone(matchers), promql.Eq(sm.Labels.SpanName, name))
		sli.Good = []Selector{{tr.DurationBuckets(), append(clone(ms), leMatcher(sli.LeTexts))}}
		sli.Total = []Selector{totalOf(tr.DurationBuckets(), sm.DurationFamily+"_bucket", sm.DurationFamily+"_count", ms)}
		threshold := fmtSeconds(s.Threshold)
		sli.describeTenant = func(tenant string) string {
			return fmt.Sprintf("%q spans of tenant %s no longer than %s", name, tenant, threshold)
		}
		sli.Example = Example{Shape: ShapeHistogram,
			Good:  series(tr.DurationBuckets(), ms, "le", sli.LeTexts[0]),
			Total: exampleOf(sli.Total[0])}
	case library.SLOSuccess:
		name, ok := span(library.SLOE2E)
		if !ok {
			b.errorf(path, "a gateway success SLO counts the tracing.spans.e2e span: set it")
			return false
		}
		ms := append(clone(matchers), promql.Eq(sm.Labels.SpanName, name))
		sli.Family = sm.CallsSeries
		sli.Good = []Selector{{sm.CallsSeries, append(clone(ms), promql.Neq(sm.Labels.StatusCode, sm.StatusError))}}
		sli.Total = []Selector{{sm.CallsSeries, ms}}
		sli.describeTenant = func(tenant string) string {
			return fmt.Sprintf("%q spans of tenant %s without an error status", name, tenant)
		}
		sli.Example = Example{Shape: ShapePartition,
			Good: series(sm.CallsSeries, ms, sm.Labels.StatusCode, library.StatusCodeOK),
			Bad:  series(sm.CallsSeries, ms, sm.Labels.StatusCode, sm.StatusError)}
	default:
		b.errorf(append(path, "source"), "the gateway cannot measure %s: spanmetrics carry span durations and statuses only; use source: \"engine\"", s.Kind)
		return false
	}
	sli.Describe = sli.describeTenant(strconv.Quote(s.Tenant.Name))
	s.SLI = sli
	return true
}

// totalOf selects all events of a histogram whose good events come from
// bucket: the raw _count, or, where stream aggregation replaced the raw
// buckets (bucket is not the raw _bucket series), the aggregated +Inf
// bucket, so good and total are sampled on vmagent's grid together (the raw
// _count is scraped on another grid, and a ratio of the two can leave
// [0, 1]).
func totalOf(bucket, rawBucket, count string, ms []*labels.Matcher) Selector {
	if bucket == rawBucket {
		return Selector{count, clone(ms)}
	}
	return Selector{bucket, append(clone(ms), promql.Eq("le", library.InfText))}
}

// exampleOf is the concrete series a selector of equality matchers names.
func exampleOf(sel Selector) Series { return series(sel.Series, sel.Matchers) }

// leMatcher matches every text the boundary may carry: one text is an
// equality, several (Prometheus 3 normalising a scraped "1" to "1.0") a
// regex alternation.
func leMatcher(texts []string) *labels.Matcher {
	if len(texts) == 1 {
		return promql.Eq("le", texts[0])
	}
	return promql.Re("le", alternation(texts))
}

func alternation(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = regexp.QuoteMeta(v)
	}
	return strings.Join(q, "|")
}

func clone(ms []*labels.Matcher) []*labels.Matcher { return append([]*labels.Matcher(nil), ms...) }

// series builds an example series from the equality matchers of a selector
// plus extra label pairs.
func series(name string, ms []*labels.Matcher, extra ...string) Series {
	l := map[string]string{}
	for _, m := range ms {
		if m.Type == labels.MatchEqual {
			l[m.Name] = m.Value
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return Series{Name: name, Labels: l}
}
