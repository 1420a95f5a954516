package lint

import (
	"github.com/prometheus/prometheus/promql/parser"
)

// promqlRateGaugeName reports rate/irate/increase over a gauge: those
// functions treat every drop as a counter reset, so a gauge that goes down
// produces nonsense.
const promqlRateGaugeName = "promql/rate-gauge"

type promqlRateGauge struct{}

func (promqlRateGauge) name() string { return promqlRateGaugeName }

func (promqlRateGauge) check(e *entry) []Finding {
	var out []Finding
	parser.Inspect(e.expr, func(n parser.Node, _ []parser.Node) error {
		c, ok := isCall(n, counterRateFuncs...)
		if !ok || len(c.Args) == 0 {
			return nil
		}
		vs, ok := rangeSelector(c.Args[0])
		if !ok {
			return nil
		}
		ref := selectorRef{vs: vs, name: selectorName(vs)}
		sr, ok := e.typeOf(ref)
		if !ok || !sr.isGauge() {
			return nil
		}
		out = append(out, e.findingAt(c, promqlRateGaugeName, SeverityError,
			"%s() over gauge %s: it reads every decrease as a counter reset; use the gauge itself, avg_over_time() or deriv()",
			c.Func.Name, ref.name))
		return nil
	})
	return out
}
