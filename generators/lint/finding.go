package lint

import (
	"cmp"
	"slices"
)

// Severity is how bad a finding is.
type Severity string

// Severities, most severe first.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Finding is one problem found in one place.
type Finding struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`   // 1-based; 0 when unknown
	Column int    `json:"column,omitempty"` // 1-based; 0 when unknown
	Panel  string `json:"panel,omitempty"`  // dashboard panel title, when from a dashboard
	RefID  string `json:"refId,omitempty"`  // dashboard target refId, when from a dashboard
	Rule   string `json:"rule,omitempty"`   // alert or record name, when from a rule

	Check    string   `json:"check"` // "area/topic", e.g. "metric/removed"
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// HasErrors reports whether any finding has severity error.
func HasErrors(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Severity == SeverityError })
}

// sortFindings orders findings by file, line, column and check, and drops
// exact duplicates.
func sortFindings(fs []Finding) []Finding {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Check, b.Check),
			cmp.Compare(a.Panel, b.Panel),
			cmp.Compare(a.RefID, b.RefID),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return groupFindings(slices.Compact(fs))
}
