package lint

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/parser/posrange"

	"github.com/inferobs/inferobs/library"
)

// exprKind says where an expression came from.
type exprKind int

const (
	kindQuery  exprKind = iota // a bare expression (Expr) or a dashboard target
	kindRecord                 // a recording rule
	kindAlert                  // an alerting rule
)

// locator maps a byte offset in the parsed query to a line and column of
// the source file; ok is false when the offset cannot be mapped, and the
// whole expression's position is used instead.
type locator interface {
	at(offset int) (line, col int, ok bool)
	start() (line, col int)
}

// fixedLocator puts every finding of an expression at one place.
type fixedLocator struct{ line, col int }

func (l fixedLocator) at(int) (int, int, bool) { return 0, 0, false }
func (l fixedLocator) start() (int, int)       { return l.line, l.col }

// queryLocator positions findings inside a bare expression (Expr):
// line and column within the expression text.
type queryLocator struct{ query string }

func (l queryLocator) start() (int, int) { return 1, 1 }

func (l queryLocator) at(off int) (int, int, bool) {
	if off < 0 || off > len(l.query) {
		return 0, 0, false
	}
	before := l.query[:off]
	nl := strings.LastIndexByte(before, '\n')
	return strings.Count(before, "\n") + 1, off - nl, true
}

// entry is one expression with its context: what every expression check sees.
type entry struct {
	file  string
	loc   locator
	panel string // dashboard panel title
	refID string // dashboard target refId
	rule  string // alert or record name
	kind  exprKind
	// labelsOnly: a label_values() variable query, whose values are unused.
	labelsOnly bool

	src   string      // as written
	query string      // as parsed, after template substitution
	expr  parser.Expr // nil when the query does not parse
	err   error       // the parse error

	cats      *catalogs
	forbidden []string
	disabled  []string // checks an inline comment turns off; empty non-nil: all
	// dataParallel reports whether the spec declares data parallelism for
	// a model of the engine the entry selects.
	dataParallel func(library.Engine) bool
	scrape       time.Duration // the target's scrape interval; 0 when unknown

	sels []selectorRef // every vector selector, filled by parse
}

// selectorRef is a vector selector with its ancestors (outermost first).
type selectorRef struct {
	vs   *parser.VectorSelector
	path []parser.Node
	name string
}

// engineSels yields the selectors whose name an engine catalog owns, with
// that catalog.
func (e *entry) engineSels() iter.Seq2[selectorRef, *library.Catalog] {
	return func(yield func(selectorRef, *library.Catalog) bool) {
		for _, s := range e.sels {
			if cat, ok := e.cats.forName(s.name); ok && !yield(s, cat) {
				return
			}
		}
	}
}

// promqlParser accepts experimental functions, so a dashboard using them
// on a Prometheus that enables them is not reported as broken.
var promqlParser = parser.NewParser(parser.Options{EnableExperimentalFunctions: true})

// parse fills expr (or err) and the selector list.
func (e *entry) parse() {
	expr, err := promqlParser.ParseExpr(e.query)
	if err != nil {
		e.err = err
		return
	}
	e.expr = expr
	parser.Inspect(expr, func(n parser.Node, path []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			e.sels = append(e.sels, selectorRef{vs: vs, path: slices.Clone(path), name: canonicalName(selectorName(vs))})
		}
		return nil
	})
}

// parseErrors returns the parse errors with their positions.
func (e *entry) parseErrors() []parser.ParseErr {
	var pe parser.ParseErrors
	if errors.As(e.err, &pe) {
		return pe
	}
	var one *parser.ParseErr
	if errors.As(e.err, &one) {
		return []parser.ParseErr{*one}
	}
	return []parser.ParseErr{{PositionRange: posrange.PositionRange{Start: -1, End: -1}, Err: e.err, Query: e.query}}
}

// findingAt builds a finding located at a node of the expression (or at
// the expression when node is nil).
func (e *entry) findingAt(node parser.Node, check string, sev Severity, format string, args ...any) Finding {
	off := -1
	if node != nil {
		off = int(node.PositionRange().Start)
	}
	return e.findingAtOffset(off, check, sev, fmt.Sprintf(format, args...))
}

func (e *entry) findingAtOffset(off int, check string, sev Severity, msg string) Finding {
	line, col := e.loc.start()
	if off >= 0 && e.query == e.src {
		if l, c, ok := e.loc.at(off); ok {
			line, col = l, c
		}
	}
	return Finding{
		File: e.file, Line: line, Column: col,
		Panel: e.panel, RefID: e.refID, Rule: e.rule,
		Check: check, Severity: sev, Message: msg,
	}
}

// seriesOf resolves a selector against its engine's catalog.
func (e *entry) seriesOf(s selectorRef) (series, bool) {
	cat, ok := e.cats.forName(s.name)
	if !ok {
		return series{}, false
	}
	return resolveSeries(cat, s.name)
}

// typeOf resolves a selector for checks that only need the series' type:
// at the checked version, else at the newest release that exposed the
// name, so that a removed name still gets its rate/counter findings (the
// rename the removal suggests would otherwise keep the mistake).
func (e *entry) typeOf(s selectorRef) (series, bool) {
	if sr, ok := e.seriesOf(s); ok {
		return sr, true
	}
	cat, ok := e.cats.forName(s.name)
	if !ok {
		return series{}, false
	}
	rels := cat.Info.Releases
	for i := len(rels) - 1; i >= 0; i-- {
		other, err := library.Lookup(cat.Engine(), rels[i])
		if err != nil {
			continue
		}
		if sr, ok := resolveSeries(other, s.name); ok {
			return sr, true
		}
	}
	return series{}, false
}
