package lint

import "slices"

// exprChecker inspects one expression in its context.
type exprChecker interface {
	name() string
	check(e *entry) []Finding
}

// brokenChecker is implemented by checks that also run on expressions that
// failed to parse; the others only see a parsed AST.
type brokenChecker interface {
	runsOnBroken()
}

// fileChecker inspects the rule groups of one file.
type fileChecker interface {
	name() string
	check(f *ruleFile) []Finding
}

// exprChecks is every expression check, sorted by name.
var exprChecks = []exprChecker{
	alertsComparison{},
	labelsForbidden{},
	metricRemoved{},
	metricSanitized{},
	metricUnknown{},
	promqlCounterRate{},
	promqlDeadMatch{},
	promqlDPEngine{},
	promqlLeBucket{},
	promqlQuantileLe{},
	promqlRateGauge{},
	promqlRateWindow{},
	promqlSyntax{},
}

// fileChecks is every rule-file check, sorted by name.
var fileChecks = []fileChecker{
	rulesDuplicate{},
	rulesEngineName{},
	rulesGroupInterval{},
}

// Check names that are not a check of their own.
// EngineAssumed is the check name of the note that says which engine
// version names were checked against when none was given.
const EngineAssumed = "engine/assumed"

const (
	engineAssumedName = EngineAssumed  // which engine version was assumed
	fileSyntaxName    = "file/syntax"  // a YAML or JSON file that does not decode
	fileSkippedName   = "file/skipped" // a named file lint cannot read as rules or a dashboard
)

// checkExpr runs every expression check on e.
func checkExpr(e *entry) []Finding {
	var out []Finding
	for _, c := range exprChecks {
		if _, ok := c.(brokenChecker); e.expr == nil && !ok {
			continue
		}
		if e.labelsOnly && !slices.Contains(labelsOnlyChecks, c.name()) {
			continue
		}
		out = append(out, c.check(e)...)
	}
	return out
}
