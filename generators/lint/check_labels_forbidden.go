package lint

import (
	"slices"

	"github.com/prometheus/prometheus/promql/parser"
)

// labelsForbiddenName reports high-cardinality labels (Options.ForbiddenLabels)
// in groupings, vector matching and selectors: each one multiplies the
// series a query or recording rule produces by the number of users,
// sessions or requests.
const labelsForbiddenName = "labels/forbidden"

type labelsForbidden struct{}

func (labelsForbidden) name() string { return labelsForbiddenName }

func (labelsForbidden) check(e *entry) []Finding {
	if len(e.forbidden) == 0 {
		return nil
	}
	var out []Finding
	report := func(n parser.Node, label, where string) {
		if slices.Contains(e.forbidden, label) {
			out = append(out, e.findingAt(n, labelsForbiddenName, SeverityError,
				"label %s is forbidden (high cardinality) but is used in %s", label, where))
		}
	}
	parser.Inspect(e.expr, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			for _, m := range n.LabelMatchers {
				report(n, m.Name, "a selector of "+selectorName(n))
			}
		case *parser.AggregateExpr:
			if !n.Without {
				for _, l := range n.Grouping {
					report(n, l, groupingText(n))
				}
			}
			if n.Op == parser.COUNT_VALUES {
				if s, ok := unwrap(n.Param).(*parser.StringLiteral); ok {
					report(n, s.Val, "count_values()")
				}
			}
		case *parser.BinaryExpr:
			if vm := n.VectorMatching; vm != nil {
				if vm.On {
					for _, l := range vm.MatchingLabels {
						report(n, l, "on(...)")
					}
				}
				for _, l := range vm.Include {
					report(n, l, "group_left/group_right(...)")
				}
			}
		case *parser.Call:
			if _, ok := isCall(n, "label_replace", "label_join"); ok && len(n.Args) > 1 {
				if s, ok := unwrap(n.Args[1]).(*parser.StringLiteral); ok {
					report(n, s.Val, n.Func.Name+"()")
				}
			}
		}
		return nil
	})
	return out
}
