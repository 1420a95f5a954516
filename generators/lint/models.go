package lint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/inferobs/inferobs/library"
)

// Model is a model of the spec, as lint needs it: which engine version
// its series come from and how to tell its series apart.
type Model struct {
	Name         string
	Engine       library.Engine
	Version      library.Version
	Selector     map[string]string // matchers that find its series
	ServedName   string            // the engine's model label value, when known
	DataParallel int               // engine ranks per replica; 0 or 1: none
}

// selects reports whether no matcher of the query's selectors of m's
// engine rules the model out. Matchers on template variables match
// anything.
func (m Model) selects(sels []selectorRef) bool {
	cat, err := library.Lookup(m.Engine, m.Version)
	modelLabel := ""
	if err == nil {
		modelLabel, _ = cat.ModelLabel()
	}
	for _, s := range sels {
		if eng, ok := engineOf(s.name); !ok || eng != m.Engine {
			continue
		}
		for _, lm := range s.vs.LabelMatchers {
			if lm.Name == labels.MetricName || strings.Contains(lm.Value, varMark) {
				continue
			}
			v, ok := m.Selector[lm.Name]
			if !ok && lm.Name == modelLabel && m.ServedName != "" {
				v, ok = m.ServedName, true
			}
			if ok && !lm.Matches(v) {
				return false
			}
		}
	}
	return true
}

// catalogKey names one choice of version per engine.
func catalogKey(vs map[library.Engine]library.Version) string {
	var parts []string
	for _, e := range slices.Sorted(mapKeys(vs)) {
		parts = append(parts, string(e)+"@"+vs[e].String())
	}
	return strings.Join(parts, ",")
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// entryVersions returns the version choices to check an entry at: one per
// combination of the versions of the spec's models it selects, per engine.
// fallback lists the engines whose names it uses but whose declared models
// it selects none of (checked at the flag's or newest version).
func entryVersions(e *entry, used []library.Engine, opts Options) (choices []map[library.Engine]library.Version, fallback []library.Engine) {
	choices = []map[library.Engine]library.Version{{}}
	for _, eng := range used {
		var vs []library.Version
		declared := false
		for _, m := range opts.Models {
			if m.Engine != eng {
				continue
			}
			declared = true
			if m.selects(e.sels) && !slices.Contains(vs, m.Version) {
				vs = append(vs, m.Version)
			}
		}
		if len(vs) == 0 {
			if declared {
				fallback = append(fallback, eng)
			}
			continue // resolveCatalogs picks the flag's or the newest version
		}
		slices.SortFunc(vs, library.Version.Compare)
		var next []map[library.Engine]library.Version
		for _, c := range choices {
			for _, v := range vs {
				n := map[library.Engine]library.Version{eng: v}
				for k, x := range c {
					n[k] = x
				}
				next = append(next, n)
			}
		}
		choices = next
	}
	return choices, fallback
}

// dataParallelDeclared reports whether a model the entry selects runs more
// than one engine rank per replica.
func dataParallelDeclared(e *entry, eng library.Engine, opts Options) bool {
	for _, m := range opts.Models {
		if m.Engine == eng && m.DataParallel > 1 && m.selects(e.sels) {
			return true
		}
	}
	return false
}

// fallbackNote is appended to the findings of a query that selects none of
// the spec's models of an engine.
func fallbackNote(engs []library.Engine, cats *catalogs) string {
	var parts []string
	for _, e := range engs {
		if cat, ok := cats.byEngine[e]; ok {
			parts = append(parts, engineLabel(cat))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf(" (the query selects no model of the spec: checked at %s)", strings.Join(parts, ", "))
}
