// Package diag holds positioned diagnostics: every problem inferobs finds in
// a spec (or in a file it lints) is a Diagnostic with a file:line:col, the
// field path it concerns, a severity and a message that says what would be
// valid. Validators return all of them at once; List sorts them in file order.
package diag

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Severity orders diagnostics: errors fail the run, warnings do not.
type Severity int

// Severities.
const (
	Error Severity = iota
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Pos is a position in a source file; Line and Col are 1-based, zero when unknown.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return "-"
	case p.Line == 0:
		return p.File
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// IsValid reports whether the position names a line.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Diagnostic is one problem.
type Diagnostic struct {
	Pos      Pos
	Path     string // spec field path, e.g. models."llama-3.1-8b".engineVersion
	Severity Severity
	Message  string
}

// String prints "file:line:col: path: message", with "warning: " before the
// message of a warning.
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Pos.String())
	b.WriteString(": ")
	if d.Severity == Warning {
		b.WriteString("warning: ")
	}
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// Errorf builds an error diagnostic.
func Errorf(pos Pos, path, format string, args ...any) Diagnostic {
	return Diagnostic{Pos: pos, Path: path, Severity: Error, Message: fmt.Sprintf(format, args...)}
}

// Warnf builds a warning diagnostic.
func Warnf(pos Pos, path, format string, args ...any) Diagnostic {
	return Diagnostic{Pos: pos, Path: path, Severity: Warning, Message: fmt.Sprintf(format, args...)}
}

// List is a set of diagnostics.
type List []Diagnostic

// Sorted returns the diagnostics in file order with exact duplicates removed.
func (l List) Sorted() List {
	out := append(List(nil), l...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Message < b.Message
	})
	dedup := out[:0]
	for i, d := range out {
		if i > 0 && d == out[i-1] {
			continue
		}
		dedup = append(dedup, d)
	}
	return dedup
}

// Errors returns the error-severity diagnostics.
func (l List) Errors() List {
	var out List
	for _, d := range l {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Warnings returns the warning-severity diagnostics.
func (l List) Warnings() List {
	var out List
	for _, d := range l {
		if d.Severity == Warning {
			out = append(out, d)
		}
	}
	return out
}

// HasErrors reports whether any diagnostic is an error.
func (l List) HasErrors() bool { return len(l.Errors()) > 0 }

// Err returns nil when the list has no errors, else an *Errors holding all
// of them in file order.
func (l List) Err() error {
	errs := l.Errors()
	if len(errs) == 0 {
		return nil
	}
	return &Errors{List: errs.Sorted()}
}

// Errors is the error a failed load or check returns; it carries every
// diagnostic, and prints one per line.
type Errors struct {
	List List
}

func (e *Errors) Error() string {
	lines := make([]string, len(e.List))
	for i, d := range e.List {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// AsList extracts the diagnostics from an error returned by inferobs, or
// nil when err carries none.
func AsList(err error) List {
	var e *Errors
	if errors.As(err, &e) {
		return e.List
	}
	return nil
}

// EditDistance is the Levenshtein distance between a and b, in bytes; used
// to suggest the name a typo meant.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
