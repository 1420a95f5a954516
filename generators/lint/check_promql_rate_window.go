package lint

import (
	"regexp"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
)

// promqlRateWindowName reports rates over windows that can hold fewer than
// two scrapes: rate() needs two samples in the window, so such a panel or
// rule shows gaps or nothing. Grafana's $__interval shrinks with the time
// range down to the data source's minimum; $__rate_interval never drops
// below four scrape intervals. Literal windows are checked when the scrape
// interval is known (the spec's target.scrapeInterval).
const promqlRateWindowName = "promql/rate-window"

type promqlRateWindow struct{}

func (promqlRateWindow) name() string { return promqlRateWindowName }

// intervalRangeRe finds a rate-like call whose range is $__interval.
var intervalRangeRe = regexp.MustCompile(`\b(rate|irate|increase|delta|idelta|deriv)\s*\([^()\[]*\[\s*(\$__interval|\$\{__interval\}|\[\[__interval\]\])\s*\]`)

func (promqlRateWindow) check(e *entry) []Finding {
	var out []Finding
	if m := intervalRangeRe.FindStringSubmatch(e.src); m != nil {
		out = append(out, e.findingAt(nil, promqlRateWindowName, SeverityWarning,
			"%s() over [%s]: at short time ranges the window holds fewer than two scrapes and the panel goes blank or jumps; use [$__rate_interval]", m[1], m[2]))
	}
	if e.scrape <= 0 || e.expr == nil || e.query != e.src {
		return out
	}
	parser.Inspect(e.expr, func(n parser.Node, _ []parser.Node) error {
		c, ok := isCall(n, "rate", "irate", "increase", "delta", "idelta", "deriv")
		if !ok || len(c.Args) == 0 {
			return nil
		}
		ms, ok := unwrap(c.Args[0]).(*parser.MatrixSelector)
		if !ok || ms.Range >= 2*e.scrape {
			return nil
		}
		out = append(out, e.findingAt(ms, promqlRateWindowName, SeverityWarning,
			"%s() over a %s window with a %s scrape interval: the window holds fewer than two samples, so the result is often empty; use at least %s (four scrapes is safer)",
			c.Func.Name, model.Duration(ms.Range), model.Duration(e.scrape), model.Duration(2*e.scrape)))
		return nil
	})
	return out
}
