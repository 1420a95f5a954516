package lint

import (
	"fmt"
	"strings"
	"time"

	"github.com/inferobs/inferobs/library"
)

// DefaultForbiddenLabels are the high-cardinality labels reported when
// Options.ForbiddenLabels is nil.
var DefaultForbiddenLabels = []string{"user_id", "session_id", "request_id"}

// Options says what to check against. The zero value infers the engine
// from the names used and checks against its newest known release.
type Options struct {
	// Engine pins the engine whose names are checked against Version.
	// Names of other engines are still checked, against their newest release.
	Engine library.Engine
	// Version of Engine; zero means the engine's newest known release.
	Version library.Version
	// ForbiddenLabels are label names that must not appear in groupings,
	// vector matching or selectors; nil means DefaultForbiddenLabels and an
	// empty non-nil slice turns the check off.
	ForbiddenLabels []string
	// Models are the spec's models: a query is checked at the version of
	// each model its selectors select, and only against Engine/Version
	// (or the newest release) when it selects none.
	Models []Model
	// ScrapeInterval, when known, is the target's scrape interval: rate
	// windows shorter than two scrapes are reported.
	ScrapeInterval time.Duration
	// Config lists checks, names and paths to leave alone; nil ignores nothing.
	Config *Config
}

func (o Options) validate() error {
	if o.Engine == "" {
		if !o.Version.IsZero() {
			return fmt.Errorf("version %s given without an engine", o.Version.Short())
		}
		return nil
	}
	info, ok := library.Info(o.Engine)
	if !ok {
		return fmt.Errorf("unknown engine %q (known: %s)", o.Engine, engineList())
	}
	if !o.Version.IsZero() && !info.Known.Contains(o.Version) {
		_, err := library.Lookup(o.Engine, o.Version)
		return err
	}
	return nil
}

func (o Options) forbidden() []string {
	if o.ForbiddenLabels == nil {
		return DefaultForbiddenLabels
	}
	return o.ForbiddenLabels
}

// ParseEngineFlag reads "vllm@0.16", "tgi@3.3" or a bare "vllm" (version
// zero: the newest known release is assumed). An empty string returns the
// zero engine, which means "infer".
func ParseEngineFlag(s string) (library.Engine, library.Version, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", library.Version{}, nil
	}
	name, ver, hasVer := strings.Cut(s, "@")
	e := library.Engine(strings.ToLower(strings.TrimSpace(name)))
	info, ok := library.Info(e)
	if !ok {
		return "", library.Version{}, fmt.Errorf("unknown engine %q in %q (known: %s)", name, s, engineList())
	}
	if !hasVer {
		return e, library.Version{}, nil
	}
	v, err := library.ParseVersion(ver)
	if err != nil {
		return "", library.Version{}, fmt.Errorf("engine %q: %w", s, err)
	}
	if !info.Known.Contains(v) {
		return "", library.Version{}, fmt.Errorf("engine %q: %s %s is outside the versions inferobs knows (%s to %s)",
			s, displayName(e), v.Short(), info.Releases[0].Short(), info.LatestRelease().Short())
	}
	return e, v, nil
}

func engineList() string {
	var s []string
	for _, e := range library.Engines() {
		s = append(s, string(e))
	}
	return strings.Join(s, ", ")
}

// displayName is how messages name an engine.
func displayName(e library.Engine) string {
	switch e {
	case library.VLLM:
		return "vLLM"
	case library.TGI:
		return "TGI"
	default:
		return string(e)
	}
}

// versionText prints MAJOR.MINOR, or the full version when it has a patch.
func versionText(v library.Version) string {
	if v.Patch != 0 {
		return v.String()
	}
	return v.Short()
}
