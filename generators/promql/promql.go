// Package promql builds PromQL expressions as syntax trees of the real
// Prometheus parser and prints them. Label values are escaped by the
// printer, numbers are printed canonically, and Check re-parses every
// printed expression, so a generator cannot emit text Prometheus rejects.
package promql

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Expr is a PromQL expression node.
type Expr = parser.Expr

var theParser = parser.NewParser(parser.Options{})

// Parse parses text with the real parser.
func Parse(s string) (Expr, error) { return theParser.ParseExpr(s) }

// Check prints e and parses the text back, returning the text.
func Check(e Expr) (string, error) {
	s := e.String()
	if _, err := Parse(s); err != nil {
		return "", fmt.Errorf("generated PromQL does not parse: %w\n%s", err, s)
	}
	return s, nil
}

// MustString prints e after checking it parses; it panics otherwise, since
// an unparseable expression is a bug in a generator, not a user error.
func MustString(e Expr) string {
	s, err := Check(e)
	if err != nil {
		panic(err)
	}
	return s
}

// Canonical rounds away float noise from arithmetic (1 - 0.995 is
// 0.0050000000000000044) by keeping 12 significant digits.
func Canonical(f float64) float64 {
	if f == 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 12, 64), 64)
	return v
}

// FormatNumber prints a canonical number the way PromQL and YAML want it
// (0.005, 14.4, 1e-05 never appears).
func FormatNumber(f float64) string { return strconv.FormatFloat(Canonical(f), 'f', -1, 64) }

// Matcher is a label matcher.
type Matcher = labels.Matcher

// Eq builds name="value".
func Eq(name, value string) *Matcher { return labels.MustNewMatcher(labels.MatchEqual, name, value) }

// Neq builds name!="value".
func Neq(name, value string) *Matcher {
	return labels.MustNewMatcher(labels.MatchNotEqual, name, value)
}

// Re builds name=~"regex".
func Re(name, re string) *Matcher { return labels.MustNewMatcher(labels.MatchRegexp, name, re) }

// NotRe builds name!~"regex".
func NotRe(name, re string) *Matcher { return labels.MustNewMatcher(labels.MatchNotRegexp, name, re) }

// Sel builds a vector selector for a metric name and matchers, sorted so
// the output is stable.
func Sel(metric string, ms ...*Matcher) *parser.VectorSelector {
	all := []*Matcher{Eq(labels.MetricName, metric)}
	rest := append([]*Matcher(nil), ms...)
	sort.SliceStable(rest, func(i, j int) bool {
		if rest[i].Name != rest[j].Name {
			return rest[i].Name < rest[j].Name
		}
		return rest[i].Type < rest[j].Type
	})
	all = append(all, rest...)
	return &parser.VectorSelector{Name: metric, LabelMatchers: all}
}

// Range builds sel[d].
func Range(sel *parser.VectorSelector, d time.Duration) *parser.MatrixSelector {
	return &parser.MatrixSelector{VectorSelector: sel, Range: d}
}

// Call applies a function by name.
func Call(name string, args ...Expr) *parser.Call {
	f, ok := parser.Functions[name]
	if !ok {
		panic("promql: unknown function " + name)
	}
	return &parser.Call{Func: f, Args: args}
}

// Rate is rate(sel[d]).
func Rate(sel *parser.VectorSelector, d time.Duration) Expr { return Call("rate", Range(sel, d)) }

// Increase is increase(sel[d]).
func Increase(sel *parser.VectorSelector, d time.Duration) Expr {
	return Call("increase", Range(sel, d))
}

// OverTime applies a *_over_time function to sel[d].
func OverTime(fn string, sel *parser.VectorSelector, d time.Duration) Expr {
	return Call(fn+"_over_time", Range(sel, d))
}

// Subquery builds e[rng:step].
func Subquery(e Expr, rng, step time.Duration) Expr {
	return &parser.SubqueryExpr{Expr: e, Range: rng, Step: step}
}

func agg(op parser.ItemType, e Expr, without bool, grouping []string) Expr {
	g := append([]string(nil), grouping...)
	sort.Strings(g)
	return &parser.AggregateExpr{Op: op, Expr: e, Grouping: g, Without: without}
}

// Sum is sum by (grouping) (e); no grouping sums everything.
func Sum(e Expr, by ...string) Expr { return agg(parser.SUM, e, false, by) }

// SumWithout is sum without (labels) (e).
func SumWithout(e Expr, without ...string) Expr { return agg(parser.SUM, e, true, without) }

// Max is max by (grouping) (e).
func Max(e Expr, by ...string) Expr { return agg(parser.MAX, e, false, by) }

// Min is min by (grouping) (e).
func Min(e Expr, by ...string) Expr { return agg(parser.MIN, e, false, by) }

// Avg is avg by (grouping) (e).
func Avg(e Expr, by ...string) Expr { return agg(parser.AVG, e, false, by) }

// Count is count by (grouping) (e).
func Count(e Expr, by ...string) Expr { return agg(parser.COUNT, e, false, by) }

// AggregateAway sums e without the given labels when there are any, so
// data-parallel engine ranks do not double count; else returns e.
func AggregateAway(e Expr, drop []string) Expr {
	if len(drop) == 0 {
		return e
	}
	return SumWithout(e, drop...)
}

// Num is a number literal.
func Num(f float64) Expr { return &parser.NumberLiteral{Val: Canonical(f)} }

// Paren wraps e in parentheses.
func Paren(e Expr) Expr { return &parser.ParenExpr{Expr: e} }

// Str is a string literal.
func Str(s string) Expr { return &parser.StringLiteral{Val: s} }

// Matching describes vector matching of a binary operation.
type Matching struct {
	On         bool
	Labels     []string
	GroupLeft  []string // include labels from the right (many-to-one)
	GroupLeftM bool     // group_left even with no extra labels
}

func binary(op parser.ItemType, l, r Expr, returnBool bool, m *Matching) Expr {
	b := &parser.BinaryExpr{Op: op, LHS: wrap(l), RHS: wrap(r), ReturnBool: returnBool}
	lt, rt := l.Type(), r.Type()
	if lt == parser.ValueTypeVector && rt == parser.ValueTypeVector {
		card := parser.CardOneToOne
		if op == parser.LAND || op == parser.LOR || op == parser.LUNLESS {
			card = parser.CardManyToMany
		}
		vm := &parser.VectorMatching{Card: card}
		if m != nil {
			vm.On = m.On
			vm.MatchingLabels = sortedCopy(m.Labels)
			if m.GroupLeftM || len(m.GroupLeft) > 0 {
				vm.Card = parser.CardManyToOne
				vm.Include = sortedCopy(m.GroupLeft)
			}
		}
		b.VectorMatching = vm
	}
	return b
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// wrap parenthesises operands that are themselves binary expressions so the
// printed text keeps the tree's precedence.
func wrap(e Expr) Expr {
	if _, ok := e.(*parser.BinaryExpr); ok {
		return Paren(e)
	}
	return e
}

// Div is l / r.
func Div(l, r Expr, m ...Matching) Expr { return binary(parser.DIV, l, r, false, first(m)) }

// Mul is l * r.
func Mul(l, r Expr, m ...Matching) Expr { return binary(parser.MUL, l, r, false, first(m)) }

// Add is l + r.
func Add(l, r Expr, m ...Matching) Expr { return binary(parser.ADD, l, r, false, first(m)) }

// Sub is l - r.
func Sub(l, r Expr, m ...Matching) Expr { return binary(parser.SUB, l, r, false, first(m)) }

// Gt is l > r.
func Gt(l, r Expr, m ...Matching) Expr { return binary(parser.GTR, l, r, false, first(m)) }

// Lt is l < r.
func Lt(l, r Expr, m ...Matching) Expr { return binary(parser.LSS, l, r, false, first(m)) }

// Gte is l >= r.
func Gte(l, r Expr, m ...Matching) Expr { return binary(parser.GTE, l, r, false, first(m)) }

// Lte is l <= r.
func Lte(l, r Expr, m ...Matching) Expr { return binary(parser.LTE, l, r, false, first(m)) }

// Equal is l == r.
func Equal(l, r Expr, m ...Matching) Expr { return binary(parser.EQLC, l, r, false, first(m)) }

// NotEqual is l != r.
func NotEqual(l, r Expr, m ...Matching) Expr { return binary(parser.NEQ, l, r, false, first(m)) }

// LteBool is l <= bool r.
func LteBool(l, r Expr) Expr { return binary(parser.LTE, l, r, true, nil) }

// And is l and r.
func And(l, r Expr, m ...Matching) Expr { return binary(parser.LAND, l, r, false, first(m)) }

// Or is l or r.
func Or(l, r Expr, m ...Matching) Expr { return binary(parser.LOR, l, r, false, first(m)) }

// Unless is l unless r.
func Unless(l, r Expr, m ...Matching) Expr { return binary(parser.LUNLESS, l, r, false, first(m)) }

func first(m []Matching) *Matching {
	if len(m) == 0 {
		return nil
	}
	return &m[0]
}

// Selectors returns every vector selector in e, in tree order.
func Selectors(e Expr) []*parser.VectorSelector {
	var out []*parser.VectorSelector
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			out = append(out, vs)
		}
		return nil
	})
	return out
}
