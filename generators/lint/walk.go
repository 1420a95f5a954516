package lint

import (
	"slices"

	"github.com/prometheus/prometheus/promql/parser"
)

// Functions that read a range of a counter correctly, or only look at
// whether or when samples exist, so a raw counter under them is fine.
var counterSafeFuncs = []string{
	"rate", "irate", "increase", "resets", "changes",
	"absent", "absent_over_time", "present_over_time", "count_over_time", "timestamp",
}

// counterRateFuncs are the functions that assume a counter argument.
var counterRateFuncs = []string{"rate", "irate", "increase"}

// unwrap strips parentheses and step-invariant wrappers.
func unwrap(e parser.Expr) parser.Expr {
	for {
		switch n := e.(type) {
		case *parser.ParenExpr:
			e = n.Expr
		case *parser.StepInvariantExpr:
			e = n.Expr
		default:
			return e
		}
	}
}

// isCall reports whether n is a call to one of the named functions.
func isCall(n parser.Node, names ...string) (*parser.Call, bool) {
	c, ok := n.(*parser.Call)
	if !ok || !slices.Contains(names, c.Func.Name) {
		return nil, false
	}
	return c, true
}

// vectorArgs returns the arguments of a call that carry series.
func vectorArgs(c *parser.Call) []parser.Expr {
	var out []parser.Expr
	for _, a := range c.Args {
		if t := a.Type(); t == parser.ValueTypeVector || t == parser.ValueTypeMatrix {
			out = append(out, a)
		}
	}
	return out
}

// rangeSelector returns the selector a range function reads, through a
// matrix selector or a subquery of a bare selector.
func rangeSelector(arg parser.Expr) (*parser.VectorSelector, bool) {
	switch n := unwrap(arg).(type) {
	case *parser.MatrixSelector:
		vs, ok := n.VectorSelector.(*parser.VectorSelector)
		return vs, ok
	case *parser.SubqueryExpr:
		vs, ok := unwrap(n.Expr).(*parser.VectorSelector)
		return vs, ok
	}
	return nil, false
}

// selectorsIn lists the vector selectors under a node.
func selectorsIn(n parser.Node) []*parser.VectorSelector {
	var out []*parser.VectorSelector
	parser.Inspect(n, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			out = append(out, vs)
		}
		return nil
	})
	return out
}
