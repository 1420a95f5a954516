package lint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// promqlQuantileLeName reports histogram_quantile over classic histograms
// that lost their le label to an aggregation, or that read no _bucket
// series at all.
const promqlQuantileLeName = "promql/quantile-le"

type promqlQuantileLe struct{}

func (promqlQuantileLe) name() string { return promqlQuantileLeName }

func (promqlQuantileLe) check(e *entry) []Finding {
	var out []Finding
	parser.Inspect(e.expr, func(n parser.Node, _ []parser.Node) error {
		c, ok := isCall(n, "histogram_quantile", "histogram_fraction")
		if !ok || len(c.Args) < 2 {
			return nil
		}
		hist := c.Args[len(c.Args)-1]
		if agg, ok := outerAggregation(hist); ok && dropsLabel(agg, labels.BucketLabel) {
			out = append(out, e.findingAt(agg, promqlQuantileLeName, SeverityError,
				"%s() over %s: the aggregation drops the %s label, so the quantile has no buckets to read; keep %s in the grouping",
				c.Func.Name, groupingText(agg), labels.BucketLabel, labels.BucketLabel))
		}
		if msg, ok := readsNoBuckets(e, hist); ok {
			out = append(out, e.findingAt(c, promqlQuantileLeName, SeverityError, "%s() %s", c.Func.Name, msg))
		}
		return nil
	})
	return out
}

// outerAggregation finds the aggregation that shapes an expression's labels,
// looking through parentheses and label-preserving functions.
func outerAggregation(e parser.Expr) (*parser.AggregateExpr, bool) {
	for {
		switch n := unwrap(e).(type) {
		case *parser.AggregateExpr:
			return n, true
		case *parser.Call:
			if _, ok := isCall(n, "label_replace", "label_join", "sort", "sort_desc", "sort_by_label", "sort_by_label_desc"); !ok || len(n.Args) == 0 {
				return nil, false
			}
			e = n.Args[0]
		default:
			return nil, false
		}
	}
}

// keepsAllLabels is true for aggregations that select series rather than
// group them.
func keepsAllLabels(agg *parser.AggregateExpr) bool {
	switch agg.Op {
	case parser.TOPK, parser.BOTTOMK, parser.LIMITK, parser.LIMIT_RATIO:
		return true
	}
	return false
}

// dropsLabel reports whether the aggregation removes a label from its output.
func dropsLabel(agg *parser.AggregateExpr, label string) bool {
	if keepsAllLabels(agg) {
		return false
	}
	if agg.Without {
		return slices.Contains(agg.Grouping, label)
	}
	return !slices.Contains(agg.Grouping, label)
}

// groupingText prints an aggregation's head: "sum by (model_name)".
func groupingText(agg *parser.AggregateExpr) string {
	op := agg.Op.String()
	switch {
	case agg.Without:
		return fmt.Sprintf("%s without (%s)", op, strings.Join(agg.Grouping, ", "))
	case len(agg.Grouping) == 0:
		return op + "()"
	default:
		return fmt.Sprintf("%s by (%s)", op, strings.Join(agg.Grouping, ", "))
	}
}

// readsNoBuckets reports a histogram argument whose engine series are all
// known and none is a _bucket series (the engines expose classic histograms).
func readsNoBuckets(e *entry, hist parser.Expr) (string, bool) {
	var names []string
	for _, vs := range selectorsIn(hist) {
		sr, ok := e.seriesOf(selectorRef{vs: vs, name: selectorName(vs)})
		if !ok {
			return "", false // unknown or not an engine series: cannot tell
		}
		if sr.suffix == sufBucket {
			return "", false
		}
		names = append(names, sr.name)
	}
	if len(names) == 0 {
		return "", false
	}
	return fmt.Sprintf("reads %s, not a %s series: the quantile needs the per-bucket counters", strings.Join(slices.Compact(names), ", "), sufBucket), true
}
