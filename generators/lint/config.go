package lint

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ConfigFile is the name Run looks for in the current directory when no
// config is given.
const ConfigFile = ".inferobs-lint.yaml"

// Config says what lint leaves alone; it is read from .inferobs-lint.yaml:
//
//	ignore:
//	  checks: [promql/dp-engine]                      # check names
//	  names: ["vllm:healthy_pods_total", "vllm:router_*"]  # series names, * globs
//	  paths: ["legacy/*.json"]                         # file globs, matched on the path and its base name
//
// Ignored names are not treated as engine metrics by any check (as if a
// recording rule wrote them). A rule also skips the checks listed in an
// "inferobs-lint-disable" comment on it (no list: every check).
type Config struct {
	Ignore struct {
		Checks []string `yaml:"checks"`
		Names  []string `yaml:"names"`
		Paths  []string `yaml:"paths"`
	} `yaml:"ignore"`
}

// LoadConfig reads a config file; unknown fields and bad globs are errors
// with the file's line.
func LoadConfig(name string) (*Config, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && err.Error() != "EOF" {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	known := checkNames()
	for _, ch := range c.Ignore.Checks {
		if !slices.Contains(known, ch) {
			return nil, fmt.Errorf("%s: ignore.checks: unknown check %q (known: %s)", name, ch, strings.Join(known, ", "))
		}
	}
	for _, g := range append(slices.Clone(c.Ignore.Names), c.Ignore.Paths...) {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("%s: bad glob %q: %w", name, g, err)
		}
	}
	return &c, nil
}

// checkNames lists every check name a finding can carry.
func checkNames() []string {
	var out []string
	for _, c := range exprChecks {
		out = append(out, c.name())
	}
	for _, c := range fileChecks {
		out = append(out, c.name())
	}
	out = append(out, fileSyntaxName, fileSkippedName)
	slices.Sort(out)
	return slices.Compact(out)
}

func (c *Config) ignoresPath(name string) bool {
	if c == nil {
		return false
	}
	slashed := filepath.ToSlash(name)
	for _, g := range c.Ignore.Paths {
		if ok, _ := path.Match(g, slashed); ok {
			return true
		}
		if ok, _ := path.Match(g, path.Base(slashed)); ok {
			return true
		}
	}
	return false
}

func (c *Config) ignoresName(name string) bool {
	if c == nil {
		return false
	}
	for _, g := range c.Ignore.Names {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

func (c *Config) ignoresCheck(check string) bool {
	return c != nil && slices.Contains(c.Ignore.Checks, check)
}

// disableMark starts an inline disable comment in a rule file.
const disableMark = "inferobs-lint-disable"

// disabledChecks reads the inline disable comments of a rule node: nil
// when there is none, an empty non-nil slice for "every check".
func disabledChecks(n *yaml.Node) []string {
	var out []string
	found := false
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for _, c := range []string{n.HeadComment, n.LineComment, n.FootComment} {
			for _, line := range strings.Split(c, "\n") {
				line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "#"))
				rest, ok := strings.CutPrefix(line, disableMark)
				if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
					continue
				}
				found = true
				for _, f := range strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
					out = append(out, f)
				}
			}
		}
		for _, k := range n.Content {
			walk(k)
		}
	}
	walk(n)
	if !found {
		return nil
	}
	if out == nil {
		out = []string{}
	}
	return out
}
