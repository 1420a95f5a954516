package plan

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// targetIdentity proves every model's targets its own: two models whose
// targets can overlap (CanOverlap) are an error at both models' selectors,
// naming the other model and what would tell them apart. Without it one
// model's cost and target-missing rules count the other's pods, and a pod
// selected by both is scraped twice.
func (b *builder) targetIdentity() {
	targets := map[string]Target{}
	for _, m := range b.p.Models {
		t, err := m.Target()
		var sel *SelectorLabelError
		switch {
		case errors.As(err, &sel):
			b.errorf([]string{"models", m.Name, "selector", sel.Label}, "%v", err)
		case err == nil:
			targets[m.Name] = t
		}
	}
	for i, a := range b.p.Models {
		for _, o := range b.p.Models[i+1:] {
			ta, okA := targets[a.Name]
			tb, okB := targets[o.Name]
			if !okA || !okB {
				continue
			}
			ov := CanOverlap(ta, tb)
			if !ov.Discovery && !ov.Series {
				continue
			}
			b.errorf([]string{"models", a.Name, "selector"}, "%s", overlapMessage(a.Name, o.Name, ta, tb, ov))
			b.errorf([]string{"models", o.Name, "selector"}, "%s", overlapMessage(o.Name, a.Name, tb, ta, ov))
		}
	}
}

func overlapMessage(self, other string, ts, to Target, ov Overlap) string {
	where := fmt.Sprintf("port %d", ts.Port)
	if ts.Namespace != "" {
		where += " in namespace " + strconv.Quote(ts.Namespace)
	} else if to.Namespace != "" {
		where += " in namespace " + strconv.Quote(to.Namespace)
	}
	if ov.Discovery {
		fix := fmt.Sprintf(`give both podLabels that differ, e.g. podLabels: {"app.kubernetes.io/instance": %q} here and {"app.kubernetes.io/instance": %q} on model %q`, self, other, other)
		for _, pair := range []struct {
			from, to Target
			model    string
		}{{ts, to, other}, {to, ts, self}} {
			if k, ok := onlyIn(pair.from.PodLabels, pair.to.PodLabels); ok {
				fix = fmt.Sprintf("set podLabels.%s on model %q too, to a value other than %q", quoteKey(k), pair.model, pair.from.PodLabels[k])
				break
			}
		}
		if ts.Namespace == "" || to.Namespace == "" {
			fix += ", or set selector.namespace on both"
		}
		return fmt.Sprintf("model %q can scrape the same pods as model %q (%s, no pod label required by both with different values): each would count the other's replicas in its up, cost and DCGM rules, and a pod of both is scraped twice; %s", self, other, where, fix)
	}
	var written []string
	f := ts.Fixed()
	for _, k := range slices.Sorted(maps.Keys(f)) {
		written = append(written, fmt.Sprintf("%s=%q", k, f[k]))
	}
	return fmt.Sprintf("model %q's targets are told from model %q's only by a pod label the scrape does not write onto their series (both write %s): their up series cannot be told apart; give them distinct selector.job values, or name the distinguishing pod label in both selectors so it is copied onto the series", self, other, strings.Join(written, ", "))
}

// onlyIn returns the first key (sorted) of a that b lacks.
func onlyIn(a, b map[string]string) (string, bool) {
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if _, ok := b[k]; !ok {
			return k, true
		}
	}
	return "", false
}

func quoteKey(k string) string {
	for i, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return strconv.Quote(k)
		}
	}
	return k
}

func promLabelOrEmpty(attr string) string {
	if attr == "" {
		return ""
	}
	return library.PromLabelName(attr)
}

// workloadIdentity warns about two workloads' SLOs that read the same
// series with the same good and total events: one signal under two alert
// names, and neither tells its workload's traffic from the other's.
func (b *builder) workloadIdentity() {
	seen := map[string]*SLO{}
	type pair struct {
		a, b *Workload
		kind library.SLOKind
	}
	pairs := map[pair][]string{} // -> models (and tenants) where they coincide
	var order []pair
	for _, s := range b.p.SLOs {
		k := sliKey(s)
		prev, ok := seen[k]
		if !ok {
			seen[k] = s
			continue
		}
		if prev.Workload == s.Workload {
			continue
		}
		pr := pair{prev.Workload, s.Workload, s.Kind}
		if _, ok := pairs[pr]; !ok {
			order = append(order, pr)
		}
		where := fmt.Sprintf("model %q", s.Model.Name)
		if s.Tenant != nil {
			where += fmt.Sprintf(" and tenant %q", s.Tenant.Name)
		}
		if !slices.Contains(pairs[pr], where) {
			pairs[pr] = append(pairs[pr], where)
		}
	}
	for _, pr := range order {
		path := []string{"workloads", pr.b.Name, "slos", string(pr.kind)}
		if _, declared := b.s.Workloads[pr.b.Name].SLOs[pr.kind]; !declared {
			path = []string{"workloads", pr.b.Name, "class"}
		}
		gateway := false
		for _, s := range b.p.SLOs {
			if s.Workload == pr.b && s.Kind == pr.kind && s.Source == schema.SourceGateway {
				gateway = true
			}
		}
		way := "engine series carry no workload: give the workloads distinct models or servedNames (a LoRA adapter per workload, say), serve both from one workload, or turn one off with " + string(pr.kind) + ": false"
		if gateway {
			way = "set tracing.workloadAttribute (the span attribute that names the workload) so each reads its own workload's spans"
		}
		b.warnf(path, "the %s SLO of workload %q reads the same series with the same good and total events as workload %q's for %s: one signal under two alert names; %s",
			pr.kind, pr.b.Name, pr.a.Name, joinAnd(pairs[pr]), way)
	}
}

// sliKey identifies what an SLO measures: its kind and its SLI's
// selections and threshold.
func sliKey(s *SLO) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%g|", s.Kind, s.SLI.Type, s.SLI.GaugeMax)
	for _, sels := range [][]Selector{s.SLI.Good, s.SLI.Total, {s.SLI.Gauge}} {
		for _, sel := range sels {
			b.WriteString(sel.VectorSelector().String())
			b.WriteByte(';')
		}
		b.WriteByte('|')
	}
	return b.String()
}
