package lint

import (
	"maps"
	"slices"
	"strings"
)

// rulesDuplicateName reports rules defined twice: the same name, expression
// and labels anywhere in a file, or the same record name with the same
// labels twice in one group (both write the same series, and Prometheus
// drops one rule's samples as duplicates). Recording rules that share a name
// but differ in their static labels write different series and are fine.
const rulesDuplicateName = "rules/duplicate"

type rulesDuplicate struct{}

func (rulesDuplicate) name() string { return rulesDuplicateName }

func (rulesDuplicate) check(f *ruleFile) []Finding {
	var out []Finding
	inFile := map[string]*rule{}
	for _, g := range f.groups {
		inGroup := map[string]*rule{}
		for _, r := range g.rules {
			if r.record != "" {
				key := r.record + "\x00" + labelsKey(r.labels)
				if first, ok := inGroup[key]; ok {
					out = append(out, ruleFinding(f, r, rulesDuplicateName, SeverityError,
						"record %s is defined twice in group %q with the same labels (first at line %d): both write the same series",
						r.record, g.name, first.line))
					continue
				}
				inGroup[key] = r
			}
			key := r.ruleName() + "\x00" + exprKey(r.entry) + "\x00" + labelsKey(r.labels)
			if first, ok := inFile[key]; ok {
				out = append(out, ruleFinding(f, r, rulesDuplicateName, SeverityWarning,
					"%s duplicates the rule at line %d (same name, expression and labels)", r.ruleName(), first.line))
				continue
			}
			inFile[key] = r
		}
	}
	return out
}

// exprKey normalises an expression so formatting does not hide a duplicate.
func exprKey(e *entry) string {
	if e.expr != nil {
		return e.expr.String()
	}
	return strings.Join(strings.Fields(e.src), " ")
}

func labelsKey(l map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(l)) {
		b.WriteString(k + "=" + l[k] + "\x00")
	}
	return b.String()
}

// ruleFinding builds a finding at a rule's name.
func ruleFinding(f *ruleFile, r *rule, check string, sev Severity, format string, args ...any) Finding {
	fd := r.entry.findingAt(nil, check, sev, format, args...)
	fd.File, fd.Line, fd.Column = f.name, r.line, r.col
	return fd
}
