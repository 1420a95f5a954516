package lint

import (
	"github.com/prometheus/prometheus/promql/parser"
)

// alertsComparisonName reports alerting rules whose expression has no
// condition: without a comparison (or absent()) it returns a series
// whenever data exists, so the alert fires all the time.
const alertsComparisonName = "alerts/comparison"

type alertsComparison struct{}

func (alertsComparison) name() string { return alertsComparisonName }

func (alertsComparison) check(e *entry) []Finding {
	if e.kind != kindAlert {
		return nil
	}
	switch condition(e.expr) {
	case hasCondition:
		return nil
	case boolCondition:
		return []Finding{e.findingAt(nil, alertsComparisonName, SeverityError,
			"alert %s compares with the bool modifier, so it returns 0 or 1 for every series and always fires; drop bool", e.rule)}
	default:
		return []Finding{e.findingAt(nil, alertsComparisonName, SeverityWarning,
			"alert %s has no comparison: it fires whenever the expression returns data; add a condition such as > threshold, or use absent()", e.rule)}
	}
}

type conditionKind int

const (
	noCondition   conditionKind = iota // returns every series
	boolCondition                      // compares with bool: returns every series too
	hasCondition                       // filters series
)

// condition decides whether the top of an alert expression filters series.
func condition(e parser.Expr) conditionKind {
	switch n := unwrap(e).(type) {
	case *parser.BinaryExpr:
		switch {
		case n.Op.IsComparisonOperator() && n.ReturnBool:
			return boolCondition
		case n.Op.IsComparisonOperator():
			return hasCondition
		case n.Op == parser.LAND || n.Op == parser.LUNLESS:
			return max(condition(n.LHS), condition(n.RHS))
		case n.Op == parser.LOR:
			return min(condition(n.LHS), condition(n.RHS))
		default:
			return max(condition(n.LHS), condition(n.RHS))
		}
	case *parser.Call:
		if _, ok := isCall(n, "absent", "absent_over_time"); ok {
			return hasCondition
		}
		if args := vectorArgs(n); len(args) > 0 {
			return condition(args[0])
		}
	case *parser.AggregateExpr:
		return condition(n.Expr)
	case *parser.SubqueryExpr:
		return condition(n.Expr)
	}
	return noCondition
}
