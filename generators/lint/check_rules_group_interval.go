package lint

import (
	"fmt"
	"time"
)

// rulesGroupIntervalName reports rule groups evaluated less often than
// Prometheus's default 5m lookback: the series they record go stale between
// evaluations, so queries and alerts over them see gaps.
const rulesGroupIntervalName = "rules/group-interval"

// lookbackDelta is Prometheus's default --query.lookback-delta.
const lookbackDelta = 5 * time.Minute

type rulesGroupInterval struct{}

func (rulesGroupInterval) name() string { return rulesGroupIntervalName }

func (rulesGroupInterval) check(f *ruleFile) []Finding {
	var out []Finding
	for _, g := range f.groups {
		if g.interval == nil || g.interval.d <= lookbackDelta {
			continue
		}
		out = append(out, Finding{
			File: f.name, Line: g.interval.line, Column: g.interval.col,
			Check: rulesGroupIntervalName, Severity: SeverityWarning,
			Message: fmt.Sprintf("group %q is evaluated every %s, longer than the %s lookback: the series it records are stale for part of every interval, so queries and alerts over them see gaps",
				g.name, g.interval.text, "5m"),
		})
	}
	return out
}
