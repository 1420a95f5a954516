package lint

import (
	"strings"

	"github.com/inferobs/inferobs/library"
)

// metricSanitizedName reports names that are an engine's name with the
// prefix's ':' written as '_' (vllm_num_requests_waiting): the engine never
// exposes them, so the query is empty unless an exporter in between
// rewrites names (Ray Serve's ray_ names are recognised separately).
const metricSanitizedName = "metric/sanitized"

type metricSanitized struct{}

func (metricSanitized) name() string { return metricSanitizedName }

func (metricSanitized) check(e *entry) []Finding {
	var out []Finding
	for _, s := range e.sels {
		if e.cats == nil || e.cats.recorded[s.name] || e.cats.config.ignoresName(s.name) {
			continue
		}
		if _, ok := engineOf(s.name); ok {
			continue
		}
		for _, p := range enginePrefixes() {
			under := strings.ReplaceAll(p.prefix, ":", "_")
			rest, ok := strings.CutPrefix(s.name, under)
			if under == p.prefix || !ok {
				continue
			}
			real := p.prefix + rest
			info, _ := library.Info(p.engine)
			base, _ := splitSeries(real)
			if !known(info, real) && !known(info, base) {
				continue
			}
			out = append(out, e.findingAt(s.vs, metricSanitizedName, SeverityWarning,
				"%s is not a name %s exposes: its series are named %s (with ':'); only an exporter that rewrites names produces %s",
				s.name, displayName(p.engine), real, s.name))
		}
	}
	return out
}
