package rules

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/inferobs/inferobs/generators/plan"
)

// Verify guarantees statically what pint checks offline: every alert
// compares something, no rule is duplicated, group intervals stay at or
// under 5m, every range over raw series spans at least four scrapes, and
// set operations and on() matchings only name labels both sides can have.
func Verify(p *plan.Plan, s *Set) error {
	var errs []string
	seen := map[string]string{}
	for _, g := range s.Groups {
		if g.Interval > 5*time.Minute {
			errs = append(errs, fmt.Sprintf("group %s: interval %s is over 5m", g.Name, g.Interval))
		}
		for _, r := range g.Rules {
			where := fmt.Sprintf("group %s, rule %s", g.Name, r.Name())
			key := r.Name() + labelKey(r.Labels) + "\x00" + r.scope
			if prev, dup := seen[key]; dup {
				errs = append(errs, fmt.Sprintf("%s: duplicates a rule of %s with the same labels", where, prev))
			}
			seen[key] = g.Name
			if r.Alert != "" && !hasComparison(r.Expr) {
				errs = append(errs, where+": alert has no comparison")
			}
			for _, e := range rangeErrors(p, r.Expr) {
				errs = append(errs, where+": "+e)
			}
			for _, e := range matchingErrors(r.Expr) {
				errs = append(errs, where+": "+e)
			}
		}
	}
	if len(errs) > 0 {
		return errors.New("generated rules fail static checks:\n  " + strings.Join(errs, "\n  "))
	}
	return nil
}

func labelKey(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("\x00" + k + "=" + l[k])
	}
	return b.String()
}

// hasComparison reports whether an alert expression filters by a
// comparison (or is an absent() check).
func hasComparison(e parser.Expr) bool {
	found := false
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch x := n.(type) {
		case *parser.BinaryExpr:
			if x.Op.IsComparisonOperator() && !x.ReturnBool {
				found = true
			}
		case *parser.Call:
			if x.Func.Name == "absent" || x.Func.Name == "absent_over_time" {
				found = true
			}
		}
		return nil
	})
	return found
}

// rangeErrors reports ranges over raw (non-recorded) series shorter than
// four scrape intervals.
func rangeErrors(p *plan.Plan, e parser.Expr) []string {
	var out []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		ms, ok := n.(*parser.MatrixSelector)
		if !ok {
			return nil
		}
		vs, _ := ms.VectorSelector.(*parser.VectorSelector)
		if vs == nil || strings.Count(vs.Name, ":") == 2 {
			return nil // recorded series are written every evaluation
		}
		if ms.Range < 4*p.ScrapeInterval {
			out = append(out, fmt.Sprintf("range %s over %s is under 4 scrape intervals (%s)", ms.Range, vs.Name, 4*p.ScrapeInterval))
		}
		return nil
	})
	return out
}

// labelSet is what a static pass knows of an expression's output labels:
// exactly these (closed) or at least these (open).
type labelSet struct {
	names map[string]bool
	open  bool
}

func (l labelSet) has(n string) bool { return l.open || l.names[n] }

func closed(names ...string) labelSet {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return labelSet{names: m}
}

// labelCache holds the output labels of each node of one expression, so
// that checking every binary operation infers each subtree's labels once
// (the returned sets are never modified in place).
type labelCache map[parser.Expr]labelSet

// outLabels infers an expression's output labels.
func (c labelCache) outLabels(e parser.Expr) labelSet {
	if ls, ok := c[e]; ok {
		return ls
	}
	ls := c.infer(e)
	c[e] = ls
	return ls
}

func (c labelCache) infer(e parser.Expr) labelSet {
	switch x := e.(type) {
	case *parser.VectorSelector:
		ls := labelSet{names: map[string]bool{}, open: true}
		for _, m := range x.LabelMatchers {
			if m.Name != "__name__" {
				ls.names[m.Name] = true
			}
		}
		return ls
	case *parser.MatrixSelector:
		return c.outLabels(x.VectorSelector)
	case *parser.SubqueryExpr:
		return c.outLabels(x.Expr)
	case *parser.ParenExpr:
		return c.outLabels(x.Expr)
	case *parser.NumberLiteral, *parser.StringLiteral:
		return closed()
	case *parser.AggregateExpr:
		if x.Without {
			in := c.outLabels(x.Expr)
			out := labelSet{names: map[string]bool{}, open: in.open}
			for n := range in.names {
				out.names[n] = true
			}
			for _, g := range x.Grouping {
				delete(out.names, g)
			}
			return out
		}
		return closed(x.Grouping...)
	case *parser.Call:
		switch x.Func.Name {
		case "vector", "scalar", "time":
			return closed()
		case "absent":
			return closed()
		case "label_replace":
			in := c.outLabels(x.Args[0])
			if dst, ok := x.Args[1].(*parser.StringLiteral); ok {
				in.names = copySet(in.names)
				in.names[dst.Val] = true
			}
			return in
		case "histogram_quantile":
			in := c.outLabels(x.Args[1])
			in.names = copySet(in.names)
			delete(in.names, "le")
			return in
		}
		for _, a := range x.Args {
			if a.Type() == parser.ValueTypeVector || a.Type() == parser.ValueTypeMatrix {
				return c.outLabels(a)
			}
		}
		return closed()
	case *parser.BinaryExpr:
		l, r := c.outLabels(x.LHS), c.outLabels(x.RHS)
		if x.LHS.Type() != parser.ValueTypeVector {
			return r
		}
		if x.RHS.Type() != parser.ValueTypeVector || x.VectorMatching == nil {
			return l
		}
		vm := x.VectorMatching
		if vm.On && vm.Card == parser.CardOneToOne && !x.Op.IsSetOperator() {
			return closed(vm.MatchingLabels...)
		}
		if vm.Card == parser.CardManyToOne {
			l.names = copySet(l.names)
			for _, n := range vm.Include {
				l.names[n] = true
			}
		}
		return l
	}
	return labelSet{open: true}
}

func copySet(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// matchingErrors finds binary operations whose sides cannot match: on()
// labels a closed side lacks, or two closed sides with different labels.
func matchingErrors(e parser.Expr) []string {
	var out []string
	c := labelCache{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		b, ok := n.(*parser.BinaryExpr)
		if !ok || b.VectorMatching == nil || b.LHS.Type() != parser.ValueTypeVector || b.RHS.Type() != parser.ValueTypeVector {
			return nil
		}
		l, r := c.outLabels(b.LHS), c.outLabels(b.RHS)
		vm := b.VectorMatching
		if vm.On {
			for _, name := range vm.MatchingLabels {
				if !l.has(name) || !r.has(name) {
					out = append(out, fmt.Sprintf("on(%s) names %q, which one side of %q never has", strings.Join(vm.MatchingLabels, ", "), name, b.String()))
				}
			}
			return nil
		}
		if !l.open && !r.open && !sameSet(l.names, r.names) {
			out = append(out, fmt.Sprintf("the sides of %q carry different labels and never match", b.String()))
		}
		return nil
	})
	return out
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
