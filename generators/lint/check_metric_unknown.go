package lint

import (
	"fmt"
	"strings"

	"github.com/inferobs/inferobs/library"
)

// metricUnknownName reports engine-owned names the checked version does not
// expose and that no change record explains: names from another version,
// counters with the wrong _total suffix, histogram base names and typos.
const metricUnknownName = "metric/unknown"

// promCounterSuffix is the Prometheus naming convention for counters.
const promCounterSuffix = "_total"

type metricUnknown struct{}

func (metricUnknown) name() string { return metricUnknownName }

func (metricUnknown) check(e *entry) []Finding {
	var out []Finding
	for s, cat := range e.engineSels() {
		if sr, ok := resolveSeries(cat, s.name); ok {
			if sr.fam.Type == library.Histogram && sr.suffix == "" {
				out = append(out, e.findingAt(s.vs, metricUnknownName, SeverityError,
					"%s is a classic histogram in %s: select %s%s, %s%s or %s%s",
					s.name, engineLabel(cat), s.name, sufBucket, s.name, sufSum, s.name, sufCount))
			}
			continue
		}
		if _, ok := removal(cat, s.name); ok {
			continue // metric/removed explains it
		}
		sev, msg := unknownName(cat, s.name)
		out = append(out, e.findingAt(s.vs, metricUnknownName, sev, "%s", msg))
	}
	return out
}

func unknownName(cat *library.Catalog, name string) (Severity, string) {
	label := engineLabel(cat)
	if msg, ok := wrongSuffix(cat, name); ok {
		return SeverityError, msg
	}
	if msg, ok := otherVersion(cat, name); ok {
		return SeverityError, msg
	}
	eng := displayName(cat.Engine())
	if msg, ok := hinted(cat, name); ok {
		return SeverityError, msg
	}
	if suf := cat.Info.CounterSuffix; suf != "" && !strings.HasSuffix(name, suf) {
		if m, ok := cat.ByName(name + suf); ok && m.Type == library.Counter {
			return SeverityError, fmt.Sprintf("%s is not exposed: %s counters carry the %s suffix; use %s", name, eng, suf, m.Name)
		}
	}
	if cat.Info.CounterSuffix == "" {
		if base, ok := strings.CutSuffix(name, promCounterSuffix); ok {
			if m, ok := cat.ByName(base); ok && m.Type == library.Counter {
				return SeverityError, fmt.Sprintf("%s is not exposed: %s counters have no %s suffix; use %s", name, eng, promCounterSuffix, m.Name)
			}
		}
	}
	if near, ok := nearest(name, exposedSeries(cat)); ok {
		return SeverityError, fmt.Sprintf("%s is not a metric %s exposes; did you mean %s?", name, label, near)
	}
	return SeverityWarning, fmt.Sprintf("%s is not a metric %s exposes (it may come from another exporter)", name, label)
}

// otherVersion explains a name that other versions of the engine expose.
func otherVersion(cat *library.Catalog, name string) (string, bool) {
	fam := name
	if base, suffix := splitSeries(name); suffix != "" && !known(cat.Info, name) {
		fam = base
	}
	if _, ok := cat.ByName(fam); ok {
		return "", false
	}
	var ranges []library.Range
	for _, m := range cat.Info.Metrics {
		if m.Name == fam {
			ranges = append(ranges, m.Range)
		}
	}
	if len(ranges) == 0 {
		return "", false
	}
	v := cat.Version
	var first, last library.Version
	later, earlier := true, true
	for i, r := range ranges {
		if i == 0 || r.Since.Less(first) {
			first = r.Since
		}
		if r.Until.IsZero() || v.Less(r.Until) {
			earlier = false
		} else if last.Less(r.Until) {
			last = r.Until
		}
		if r.Since.IsZero() || !v.Less(r.Since) {
			later = false
		}
	}
	label := engineLabel(cat)
	switch {
	case later:
		return fmt.Sprintf("%s is not exposed by %s: it first appears in %s", name, label, versionText(first)), true
	case earlier:
		return fmt.Sprintf("%s is not exposed by %s: it was removed in %s", name, label, versionText(last)), true
	default:
		return fmt.Sprintf("%s is not exposed by %s", name, label), true
	}
}

// wrongSuffix explains a histogram/summary suffix on a family of another type.
func wrongSuffix(cat *library.Catalog, name string) (string, bool) {
	base, suffix := splitSeries(name)
	if suffix == "" {
		return "", false
	}
	m, ok := cat.ByName(base)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%s is not exposed: %s is a %s in %s and has no %s series", name, base, m.Type, engineLabel(cat), suffix), true
}

// known reports whether any version of the engine has a family of that name.
func known(info *library.EngineInfo, name string) bool {
	for _, m := range info.Metrics {
		if m.Name == name {
			return true
		}
	}
	return false
}

// hinted explains a name users write for a quantity the engine measures
// another way, with the expression that works at this version.
func hinted(cat *library.Catalog, name string) (string, bool) {
	role, ok := library.HintFor(cat.Engine(), name)
	if !ok || role != library.RoleRequestFailed {
		return "", false
	}
	if m, ok := cat.ByRole(library.RoleRequestFailed); ok {
		return fmt.Sprintf("%s is not a metric %s exposes; failed requests are counted by %s", name, engineLabel(cat), m.Name), true
	}
	fin, ok := cat.ByRole(library.RoleRequestFinished)
	reasons := cat.FailureReasons()
	if !ok || cat.Info.FinishReasonLabel == "" || len(reasons) == 0 {
		return "", false
	}
	return fmt.Sprintf("%s is not a metric %s exposes: it counts failed requests as finished ones, use %s{%s=~%q}",
		name, engineLabel(cat), fin.Name, cat.Info.FinishReasonLabel, strings.Join(reasons, "|")), true
}
