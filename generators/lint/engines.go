package lint

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/inferobs/inferobs/library"
)

// enginePrefix is the prefix that makes a metric name engine-owned.
type enginePrefix struct {
	engine library.Engine
	prefix string
}

// enginePrefixes derives each engine's prefix from its catalog: the longest
// prefix common to every name the engine ever exposed. Longest first, so a
// longer prefix wins when two could match.
var enginePrefixes = sync.OnceValue(func() []enginePrefix {
	var out []enginePrefix
	for _, e := range library.Engines() {
		info, ok := library.Info(e)
		if !ok {
			continue
		}
		if p := commonPrefix(info.AllNames()); p != "" {
			out = append(out, enginePrefix{engine: e, prefix: p})
		}
	}
	slices.SortFunc(out, func(a, b enginePrefix) int { return cmp.Compare(len(b.prefix), len(a.prefix)) })
	return out
})

func commonPrefix(names []string) string {
	if len(names) == 0 {
		return ""
	}
	p := names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// engineOf returns the engine that owns a metric name.
func engineOf(name string) (library.Engine, bool) {
	if _, foreign := library.ForeignExporter(name); foreign {
		return "", false
	}
	for _, p := range enginePrefixes() {
		if strings.HasPrefix(name, p.prefix) {
			return p.engine, true
		}
	}
	return "", false
}

// catalogs holds the catalog each engine's names are checked against.
type catalogs struct {
	byEngine map[library.Engine]*library.Catalog
	assumed  map[library.Engine]bool // version inferred, not given
	recorded map[string]bool         // series written by recording rules: not engine metrics
	config   *Config                 // names it ignores are not engine metrics either
}

// resolveCatalogs picks a catalog for every engine in used: the pinned
// version for opts.Engine, else the newest known release.
func resolveCatalogs(opts Options, used []library.Engine, recorded map[string]bool, choice map[library.Engine]library.Version) (*catalogs, error) {
	c := &catalogs{byEngine: map[library.Engine]*library.Catalog{}, assumed: map[library.Engine]bool{}, recorded: recorded, config: opts.Config}
	for _, e := range used {
		info, ok := library.Info(e)
		if !ok {
			continue
		}
		v := info.LatestRelease()
		if cv, ok := choice[e]; ok {
			v = cv
		} else if e == opts.Engine && !opts.Version.IsZero() {
			v = opts.Version
		} else {
			c.assumed[e] = true
		}
		cat, err := library.Lookup(e, v)
		if err != nil {
			return nil, fmt.Errorf("engine catalog: %w", err)
		}
		c.byEngine[e] = cat
	}
	return c, nil
}

// forName returns the catalog that owns a series name, if any.
func (c *catalogs) forName(name string) (*library.Catalog, bool) {
	if c == nil || c.recorded[name] || strings.Contains(name, varMark) || c.config.ignoresName(name) {
		return nil, false
	}
	e, ok := engineOf(name)
	if !ok {
		return nil, false
	}
	cat, ok := c.byEngine[e]
	return cat, ok
}

// engineLabel is how messages name a catalog: "vLLM 0.16.0", the point
// release checked (vllm@0.6 is 0.6.0, not the whole 0.6 line).
func engineLabel(cat *library.Catalog) string {
	return displayName(cat.Engine()) + " " + cat.Version.String()
}

// canonicalName maps a series name as another system exports it (Ray
// Serve's ray_vllm_... and ray_vllm:...) to the engine's own name.
func canonicalName(name string) string {
	for _, p := range enginePrefixes() {
		if n, ok := library.RayServeName(name, p.prefix); ok {
			return n
		}
	}
	return name
}

func lookupInfo(e library.Engine) (*library.EngineInfo, bool) { return library.Info(e) }

// prefixOf returns the engine's name prefix.
func prefixOf(e library.Engine) string {
	for _, p := range enginePrefixes() {
		if p.engine == e {
			return p.prefix
		}
	}
	return ""
}
