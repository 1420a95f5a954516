package lint

import (
	"fmt"
	"regexp"
	"strings"

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
	return msg + adviceAt(cat, advice(ch, suffix)), true
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
	return msg + adviceAt(cat, advice(ch, s.suffix)), true
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

// engineNameRe finds metric names in advice text.
var engineNameRe = regexp.MustCompile(`[a-zA-Z_][a-zA-Z0-9_:]*`)

// adviceAt rewrites advice so that it only names series the checked
// version exposes: a name the version lacks becomes the family of the same
// role at that version, or, when there is none, is marked with the release
// it first appears in.
func adviceAt(cat *library.Catalog, text string) string {
	var later []string
	out := engineNameRe.ReplaceAllStringFunc(text, func(name string) string {
		if eng, ok := engineOf(name); !ok || eng != cat.Engine() {
			return name
		}
		if _, ok := resolveSeries(cat, name); ok {
			return name
		}
		base, suffix := splitSeries(name)
		for _, m := range cat.Info.Metrics {
			if m.Name != base && m.Name != name || m.Role == "" {
				continue
			}
			if now, ok := cat.ByRole(m.Role); ok && now.Type == m.Type {
				if m.Name == name {
					return now.Name
				}
				return now.Name + suffix
			}
		}
		if first, ok := firstRelease(cat.Info, base); ok && cat.Version.Less(first) {
			later = append(later, fmt.Sprintf("%s first appears in %s", name, versionText(first)))
		}
		return name
	})
	if len(later) > 0 {
		out += " (" + strings.Join(later, "; ") + ")"
	}
	return out
}

// firstRelease is the first version any family of that name exists in.
func firstRelease(info *library.EngineInfo, name string) (library.Version, bool) {
	var first library.Version
	found := false
	for _, m := range info.Metrics {
		if m.Name == name && (!found || m.Range.Since.Less(first)) {
			first, found = m.Range.Since, true
		}
	}
	return first, found
}
