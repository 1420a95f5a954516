package lint

import (
	"fmt"

	"github.com/inferobs/inferobs/library"
)

// metricRemovedName reports engine metric names the checked version no
// longer exposes (renamed, hidden or removed), and deprecated names it still
// exposes.
const metricRemovedName = "metric/removed"

type metricRemoved struct{}

func (metricRemoved) name() string { return metricRemovedName }

func (metricRemoved) check(e *entry) []Finding {
	var out []Finding
	for s, cat := range e.engineSels() {
		if sr, ok := resolveSeries(cat, s.name); ok {
			if msg, ok := deprecation(cat, sr); ok {
				out = append(out, e.findingAt(s.vs, metricRemovedName, SeverityWarning, "%s", msg))
			}
			continue
		}
		if msg, ok := removal(cat, s.name); ok {
			out = append(out, e.findingAt(s.vs, metricRemovedName, SeverityError, "%s", msg))
		}
	}
	return out
}

// changeOf finds the change record of a series name or its family.
func changeOf(cat *library.Catalog, name string) (ch library.Change, suffix string, ok bool) {
	if ch, ok := cat.ChangeFor(name); ok {
		return ch, "", true
	}
	base, suffix := splitSeries(name)
	if ch, ok := cat.ChangeFor(base); ok {
		return ch, suffix, true
	}
	return library.Change{}, "", false
}

// removal explains a name the version does not expose because of a change
// that already happened.
func removal(cat *library.Catalog, name string) (string, bool) {
	ch, suffix, ok := changeOf(cat, name)
	if !ok {
		return "", false
	}
	v, eng := cat.Version, displayName(cat.Engine())
	var msg string
	switch {
	case !ch.Removed.IsZero() && !v.Less(ch.Removed):
		msg = fmt.Sprintf("%s was removed in %s %s", name, eng, versionText(ch.Removed))
	case !ch.Hidden.IsZero() && !v.Less(ch.Hidden):
		msg = fmt.Sprintf("%s is hidden since %s %s and removed in %s", name, eng, versionText(ch.Hidden), versionText(ch.Removed))
	default:
		return "", false
	}
	return msg + advice(ch, suffix), true
}

// deprecation explains an exposed name that is deprecated at this version.
func deprecation(cat *library.Catalog, s series) (string, bool) {
	ch, ok := cat.ChangeFor(s.fam.Name)
	if !ok || ch.Deprecated.IsZero() || cat.Version.Less(ch.Deprecated) {
		return "", false
	}
	eng := displayName(cat.Engine())
	msg := fmt.Sprintf("%s is deprecated since %s %s", s.name, eng, versionText(ch.Deprecated))
	switch {
	case !ch.Hidden.IsZero():
		msg += fmt.Sprintf(", hidden in %s and removed in %s", versionText(ch.Hidden), versionText(ch.Removed))
	case !ch.Removed.IsZero():
		msg += fmt.Sprintf(" and removed in %s", versionText(ch.Removed))
	}
	return msg + advice(ch, s.suffix), true
}

func advice(ch library.Change, suffix string) string {
	var s string
	if ch.Replacement != "" {
		s += "; use " + ch.Replacement + suffix
	}
	if ch.Advice != "" {
		s += "; " + ch.Advice
	}
	return s
}
