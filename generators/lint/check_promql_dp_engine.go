package lint

import (
	"slices"

	"github.com/inferobs/inferobs/library"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// promqlDPEngineName reports values that keep an engine's data-parallel
// label where a per-model or per-replica value was meant; the exact rule is
// in the package documentation.
const promqlDPEngineName = "promql/dp-engine"

// perRankRoles are gauges that are meaningful per data-parallel rank
// (every rank has its own KV cache), so comparing them per rank is right.
var perRankRoles = []library.Role{library.RoleKVCacheUsage}

type promqlDPEngine struct{}

func (promqlDPEngine) name() string { return promqlDPEngineName }

func (promqlDPEngine) check(e *entry) []Finding {
	var out []Finding
	for _, cat := range e.cats.byEngine {
		if !cat.HasDataParallelLabel() {
			continue
		}
		d := dpAnalysis{e: e, cat: cat, label: cat.Info.DataParallelLabel}
		sev := SeverityInfo
		if (e.dataParallel != nil && e.dataParallel(cat.Engine())) || mentionsLabel(e.expr, d.label) {
			sev = SeverityWarning
		}
		for _, f := range d.findings() {
			f.Severity = sev
			out = append(out, f)
		}
	}
	return out
}

// keepState says whether the data-parallel label survives into a value.
type keepState int

const (
	dropped  keepState = iota // no DP series, or the label was aggregated away
	implicit                  // kept because nothing removed it
	explicit                  // kept because a by() list names it
)

type dpAnalysis struct {
	e     *entry
	cat   *library.Catalog
	label string
}

func (d dpAnalysis) findings() []Finding {
	var out []Finding
	parser.Inspect(d.e.expr, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.Call:
			if _, ok := isCall(n, "histogram_quantile"); ok && len(n.Args) == 2 && d.keeps(n.Args[1]) == implicit {
				out = append(out, d.e.findingAt(n, promqlDPEngineName, SeverityWarning,
					"histogram_quantile() keeps the %s label of %s: under data parallelism that is one quantile per engine rank over its share of the requests, not the model's; aggregate it away, e.g. sum by (%s, %s) (...) or sum without (%s) (...)",
					d.label, d.firstName(n.Args[1]), labels.BucketLabel, d.modelLabel(), d.label))
			}
		case *parser.BinaryExpr:
			if d.e.kind != kindAlert || !n.Op.IsComparisonOperator() {
				return nil
			}
			for _, side := range thresholdSides(n) {
				if d.keeps(side) == implicit && d.additive(side) {
					out = append(out, d.e.findingAt(n, promqlDPEngineName, SeverityWarning,
						"alert condition compares %s per engine rank (the %s label is kept): under data parallelism each rank holds only its share of the load, so a per-replica threshold fires late or never; aggregate first, e.g. sum without (%s) (...)",
						d.firstName(side), d.label, d.label))
				}
			}
		case *parser.AggregateExpr:
			if n.Op == parser.COUNT && d.keeps(n.Expr) != dropped && dropsLabel(n, d.label) {
				out = append(out, d.e.findingAt(n, promqlDPEngineName, SeverityWarning,
					"count() over %s counts one series per engine rank, not one per replica; count group without (%s) (...) instead",
					d.firstName(n.Expr), d.label))
			}
		}
		return nil
	})
	return out
}

// thresholdSides returns the vector operand of a comparison with a number.
func thresholdSides(b *parser.BinaryExpr) []parser.Expr {
	l, r := b.LHS.Type() == parser.ValueTypeScalar, b.RHS.Type() == parser.ValueTypeScalar
	switch {
	case r && !l:
		return []parser.Expr{b.LHS}
	case l && !r:
		return []parser.Expr{b.RHS}
	}
	return nil
}

// dpSeries resolves a selector that carries the label unpinned.
func (d dpAnalysis) dpSeries(vs *parser.VectorSelector) (series, bool) {
	name := selectorName(vs)
	cat, ok := d.e.cats.forName(name)
	if !ok || cat != d.cat {
		return series{}, false
	}
	sr, ok := resolveSeries(cat, name)
	if !ok || sr.fam.NoCommonLabels {
		return series{}, false
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == d.label && m.Type == labels.MatchEqual {
			return series{}, false // one rank on purpose
		}
	}
	return sr, true
}

// keeps computes whether the label survives into the value of e.
func (d dpAnalysis) keeps(e parser.Expr) keepState {
	switch n := unwrap(e).(type) {
	case *parser.VectorSelector:
		if _, ok := d.dpSeries(n); ok {
			return implicit
		}
		return dropped
	case *parser.MatrixSelector:
		return d.keeps(n.VectorSelector)
	case *parser.SubqueryExpr:
		return d.keeps(n.Expr)
	case *parser.UnaryExpr:
		return d.keeps(n.Expr)
	case *parser.Call:
		if _, ok := isCall(n, "absent", "absent_over_time", "scalar", "vector", "time"); ok {
			return dropped
		}
		k := dropped
		for _, a := range vectorArgs(n) {
			k = max(k, d.keeps(a))
		}
		return k
	case *parser.AggregateExpr:
		inner := d.keeps(n.Expr)
		switch {
		case inner == dropped || keepsAllLabels(n):
			return inner
		case dropsLabel(n, d.label):
			return dropped
		case n.Without:
			return inner
		default:
			return explicit
		}
	case *parser.BinaryExpr:
		if n.Op == parser.LAND || n.Op == parser.LUNLESS {
			return d.keeps(n.LHS)
		}
		k := max(d.keeps(n.LHS), d.keeps(n.RHS))
		if vm := n.VectorMatching; vm != nil && vm.On && vm.Card == parser.CardOneToOne &&
			!n.Op.IsComparisonOperator() && !n.Op.IsSetOperator() && !slices.Contains(vm.MatchingLabels, d.label) {
			return dropped
		}
		return k
	}
	return dropped
}

// additive reports whether a value is a share of the replica's load that
// summing over ranks would restore: a gauge, a counter rate, or sums,
// extremes and scalar arithmetic of those. Ratios of two vectors are not.
func (d dpAnalysis) additive(e parser.Expr) bool {
	switch n := unwrap(e).(type) {
	case *parser.VectorSelector:
		sr, ok := d.dpSeries(n)
		return ok && sr.isGauge() && !slices.Contains(perRankRoles, sr.fam.Role)
	case *parser.Call:
		if _, ok := isCall(n, counterRateFuncs...); ok && len(n.Args) == 1 {
			vs, ok := rangeSelector(n.Args[0])
			if !ok {
				return false
			}
			sr, ok := d.dpSeries(vs)
			return ok && sr.isCounter() && sr.suffix != sufBucket
		}
		if _, ok := isCall(n, "avg_over_time", "max_over_time", "min_over_time", "last_over_time", "quantile_over_time"); ok {
			vs, ok := rangeSelector(n.Args[len(n.Args)-1])
			return ok && d.additive(vs)
		}
		if _, ok := isCall(n, "abs", "ceil", "floor", "round", "clamp", "clamp_max", "clamp_min", "label_replace", "label_join"); ok {
			return d.additive(n.Args[0])
		}
		return false
	case *parser.AggregateExpr:
		return n.Op != parser.COUNT && n.Op != parser.GROUP && d.additive(n.Expr)
	case *parser.BinaryExpr:
		switch {
		case n.LHS.Type() == parser.ValueTypeScalar:
			return d.additive(n.RHS)
		case n.RHS.Type() == parser.ValueTypeScalar:
			return d.additive(n.LHS)
		case n.Op == parser.ADD || n.Op == parser.SUB:
			return d.additive(n.LHS) && d.additive(n.RHS)
		}
	}
	return false
}

// firstName names the first data-parallel series under a node, for messages.
func (d dpAnalysis) firstName(n parser.Node) string {
	for _, vs := range selectorsIn(n) {
		if sr, ok := d.dpSeries(vs); ok {
			return sr.name
		}
	}
	return "the series"
}

func (d dpAnalysis) modelLabel() string {
	if l, ok := d.cat.ModelLabel(); ok {
		return l
	}
	return "job"
}

// mentionsLabel reports whether the expression names the label in a
// matcher, a grouping or a matching list: evidence that the series carry it
// (without it, a warning about ranks would be a guess).
func mentionsLabel(e parser.Expr, label string) bool {
	found := false
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			for _, m := range n.LabelMatchers {
				found = found || m.Name == label
			}
		case *parser.AggregateExpr:
			found = found || slices.Contains(n.Grouping, label)
		case *parser.BinaryExpr:
			if n.VectorMatching != nil {
				found = found || slices.Contains(n.VectorMatching.MatchingLabels, label) || slices.Contains(n.VectorMatching.Include, label)
			}
		}
		return nil
	})
	return found
}
