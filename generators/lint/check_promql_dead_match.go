package lint

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// promqlDeadMatchName reports binary operations between two vectors whose
// sides can never match: one side fixes a label (le="120.0") that the
// other provably lacks, the two fix it to different values, or an on()
// label one side fixes is absent on the other. Vector matching then pairs
// nothing, the result is always empty and an alert built on it never fires.
const promqlDeadMatchName = "promql/dead-match"

type promqlDeadMatch struct{}

func (promqlDeadMatch) name() string { return promqlDeadMatchName }

func (promqlDeadMatch) check(e *entry) []Finding {
	var out []Finding
	parser.Inspect(e.expr, func(n parser.Node, _ []parser.Node) error {
		b, ok := n.(*parser.BinaryExpr)
		if !ok || b.Op == parser.LOR || b.LHS.Type() != parser.ValueTypeVector || b.RHS.Type() != parser.ValueTypeVector {
			return nil
		}
		if msg, ok := deadMatch(b); ok {
			out = append(out, e.findingAt(b, promqlDeadMatchName, SeverityError, "%s", msg))
		}
		return nil
	})
	return out
}

// deadMatch explains why a vector-vector operation matches nothing.
func deadMatch(b *parser.BinaryExpr) (string, bool) {
	var candidates []string
	vm := b.VectorMatching
	if vm != nil && vm.On {
		candidates = vm.MatchingLabels
	} else {
		for _, side := range []parser.Expr{b.LHS, b.RHS} {
			for l := range fixedLabels(side) {
				if vm == nil || !slices.Contains(vm.MatchingLabels, l) {
					candidates = append(candidates, l)
				}
			}
		}
	}
	slices.Sort(candidates)
	for _, l := range slices.Compact(candidates) {
		if l == labels.MetricName {
			continue
		}
		lv, lfix := fixedLabels(b.LHS)[l]
		rv, rfix := fixedLabels(b.RHS)[l]
		fix := func(which string, v string) string {
			if v == "" {
				return fmt.Sprintf("the %s side always has a %s label", which, l)
			}
			return fmt.Sprintf("the %s side fixes %s=%q", which, l, v)
		}
		switch {
		case lfix && rfix && lv != "" && rv != "" && lv != rv:
			return fmt.Sprintf("the two sides of %s can never match: the left fixes %s=%q and the right %s=%q, so vector matching pairs nothing and the result is always empty; match on the labels they share, e.g. ignoring(%s)", b.Op, l, lv, l, rv, l), true
		case lfix && !mayHave(b.RHS, l):
			return fmt.Sprintf("the two sides of %s can never match: %s but the right side (%s) has no %s label, so vector matching pairs nothing and the result is always empty; add ignoring(%s) or give both sides the label", b.Op, fix("left", lv), firstSeriesName(b.RHS), l, l), true
		case rfix && !mayHave(b.LHS, l):
			return fmt.Sprintf("the two sides of %s can never match: %s but the left side (%s) has no %s label, so vector matching pairs nothing and the result is always empty; add ignoring(%s) or give both sides the label", b.Op, fix("right", rv), firstSeriesName(b.LHS), l, l), true
		}
	}
	return "", false
}

func firstSeriesName(e parser.Expr) string {
	for _, vs := range selectorsIn(e) {
		if n := selectorName(vs); n != "" {
			return n
		}
	}
	return e.String()
}

// fixedLabels returns the labels every series of e carries with a
// non-empty value: the value when one equality matcher fixes it, "" when
// it is only known to be present.
func fixedLabels(e parser.Expr) map[string]string {
	out := map[string]string{}
	switch n := unwrap(e).(type) {
	case *parser.VectorSelector:
		for _, m := range n.LabelMatchers {
			if m.Name == labels.MetricName || m.Matches("") || strings.Contains(m.Value, varMark) {
				continue
			}
			if m.Type == labels.MatchEqual {
				out[m.Name] = m.Value
			} else if _, ok := out[m.Name]; !ok {
				out[m.Name] = ""
			}
		}
	case *parser.MatrixSelector:
		return fixedLabels(n.VectorSelector)
	case *parser.SubqueryExpr:
		return fixedLabels(n.Expr)
	case *parser.UnaryExpr:
		return fixedLabels(n.Expr)
	case *parser.Call:
		if !slices.Contains(labelKeepingFuncs, n.Func.Name) {
			return out
		}
		for _, a := range vectorArgs(n) {
			return fixedLabels(a)
		}
	case *parser.AggregateExpr:
		inner := fixedLabels(n.Expr)
		switch {
		case slices.Contains([]parser.ItemType{parser.TOPK, parser.BOTTOMK, parser.LIMITK, parser.LIMIT_RATIO}, n.Op):
			return inner
		case n.Without:
			for l, v := range inner {
				if !slices.Contains(n.Grouping, l) {
					out[l] = v
				}
			}
		default:
			for l, v := range inner {
				if slices.Contains(n.Grouping, l) {
					out[l] = v
				}
			}
		}
	case *parser.BinaryExpr:
		if n.LHS.Type() == parser.ValueTypeVector && n.RHS.Type() != parser.ValueTypeVector {
			return fixedLabels(n.LHS)
		}
		if n.RHS.Type() == parser.ValueTypeVector && n.LHS.Type() != parser.ValueTypeVector {
			return fixedLabels(n.RHS)
		}
		if n.Op == parser.LAND || n.Op == parser.LUNLESS || (n.Op.IsComparisonOperator() && !n.ReturnBool && (n.VectorMatching == nil || n.VectorMatching.Card == parser.CardOneToOne)) {
			return fixedLabels(n.LHS) // filters keep the left side's series
		}
	}
	return out
}

// labelKeepingFuncs return one series per input series with its labels.
var labelKeepingFuncs = []string{
	"rate", "irate", "increase", "delta", "idelta", "deriv", "resets", "changes",
	"avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
	"last_over_time", "quantile_over_time", "stddev_over_time", "stdvar_over_time", "present_over_time",
	"abs", "ceil", "floor", "round", "sqrt", "exp", "ln", "log2", "log10", "clamp", "clamp_min", "clamp_max",
	"predict_linear", "holt_winters", "double_exponential_smoothing", "sort", "sort_desc",
}

// histogramRe matches names that may carry le: classic bucket series and
// recorded series derived from them.
var histogramRe = regexp.MustCompile(`bucket`)

// mayHave reports whether a series of e could carry label l; false only
// when it provably cannot.
func mayHave(e parser.Expr, l string) bool {
	switch n := unwrap(e).(type) {
	case *parser.VectorSelector:
		if _, ok := fixedLabels(n)[l]; ok {
			return true
		}
		if l != labels.BucketLabel {
			return true // any other label may come from the target
		}
		name := selectorName(n)
		if _, engine := engineOf(name); strings.Contains(name, ":") && !engine {
			return true // a recorded series: it may keep le
		}
		return name == "" || histogramRe.MatchString(name) || strings.Contains(name, varMark)
	case *parser.MatrixSelector:
		return mayHave(n.VectorSelector, l)
	case *parser.SubqueryExpr:
		return mayHave(n.Expr, l)
	case *parser.UnaryExpr:
		return mayHave(n.Expr, l)
	case *parser.NumberLiteral, *parser.StringLiteral:
		return false
	case *parser.Call:
		switch {
		case n.Func.Name == "histogram_quantile" || n.Func.Name == "histogram_fraction":
			return l != labels.BucketLabel && len(n.Args) > 1 && mayHave(n.Args[len(n.Args)-1], l)
		case n.Func.Name == "label_replace" || n.Func.Name == "label_join":
			return true
		case n.Func.Name == "vector" || n.Func.Name == "time" || n.Func.Name == "scalar":
			return false
		case slices.Contains(labelKeepingFuncs, n.Func.Name):
			for _, a := range vectorArgs(n) {
				return mayHave(a, l)
			}
		}
		return true
	case *parser.AggregateExpr:
		switch {
		case n.Op == parser.COUNT_VALUES:
			return true
		case slices.Contains([]parser.ItemType{parser.TOPK, parser.BOTTOMK, parser.LIMITK, parser.LIMIT_RATIO}, n.Op):
			return mayHave(n.Expr, l)
		case n.Without:
			return !slices.Contains(n.Grouping, l) && mayHave(n.Expr, l)
		default:
			return slices.Contains(n.Grouping, l) && mayHave(n.Expr, l)
		}
	case *parser.BinaryExpr:
		return mayHave(n.LHS, l) || mayHave(n.RHS, l)
	}
	return true
}
