package lint

import (
	"github.com/prometheus/prometheus/promql/parser"
)

// promqlCounterRateName reports counters (and histogram _bucket/_sum/_count
// series) read raw: their value only grows and drops to zero on restart, so
// only a rate/increase over a range means anything.
const promqlCounterRateName = "promql/counter-rate"

type promqlCounterRate struct{}

func (promqlCounterRate) name() string { return promqlCounterRateName }

func (promqlCounterRate) check(e *entry) []Finding {
	var out []Finding
	for _, s := range e.sels {
		sr, ok := e.typeOf(s)
		if !ok || !sr.isCounter() || counterReadSafely(s) {
			continue
		}
		out = append(out, e.findingAt(s.vs, promqlCounterRateName, SeverityWarning,
			"counter %s is read without rate(), irate() or increase(): its raw value only grows and resets when the engine restarts", s.name))
	}
	return out
}

// counterReadSafely reports whether an ancestor of the selector turns the
// raw counter into something meaningful: a rate-like or existence function,
// a count/group aggregation, or the right side of and/unless (whose values
// are not used).
func counterReadSafely(s selectorRef) bool {
	child := parser.Node(s.vs)
	for i := len(s.path) - 1; i >= 0; i-- {
		switch n := s.path[i].(type) {
		case *parser.Call:
			if _, ok := isCall(n, counterSafeFuncs...); ok {
				return true
			}
		case *parser.AggregateExpr:
			if n.Op == parser.COUNT || n.Op == parser.GROUP || n.Op == parser.COUNT_VALUES {
				return true
			}
		case *parser.BinaryExpr:
			if (n.Op == parser.LAND || n.Op == parser.LUNLESS) && n.RHS == child {
				return true
			}
		}
		child = s.path[i]
	}
	return false
}
