package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/library"
)

// engineInvalidName reports options Expr cannot use (it returns no error).
const engineInvalidName = "engine/invalid"

// source is one decoded file: the expressions to check and, for rule
// files, its groups.
type source struct {
	name    string
	rules   *ruleFile
	entries []*entry
}

// errNotLintable marks files that are neither rules nor dashboards.
var errNotLintable = errors.New("neither a rule file nor a dashboard")

// decodeError is a YAML or JSON file that does not decode.
type decodeError struct {
	line int
	err  error
}

func (e *decodeError) Error() string { return e.err.Error() }

// Paths lints files and directories. Directories are walked for *.yaml,
// *.yml and *.json files (hidden directories are skipped); walked files that
// do not decode or are neither rules nor dashboards are skipped, while a
// named file that does not decode is reported (file/syntax). Names recorded
// by any rule file are not treated as engine metrics anywhere.
func Paths(paths []string, opts Options) ([]Finding, error) {
	r, err := Run(paths, opts)
	return r.Findings, err
}

// Report is what Run found and what it looked at.
type Report struct {
	Findings []Finding
	Files    int      // files read as rules or dashboards
	Queries  int      // expressions checked
	Skipped  []string // walked files that are neither (or do not decode)
}

// Run lints like Paths and also counts what was checked and skipped. A
// file named explicitly that is neither a rule file nor a dashboard is a
// file/skipped warning; a walked one is listed in Skipped.
func Run(paths []string, opts Options) (Report, error) {
	var rep Report
	if err := opts.validate(); err != nil {
		return rep, err
	}
	type input struct {
		name     string
		explicit bool
	}
	var inputs []input
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return rep, err
		}
		if !st.IsDir() {
			inputs = append(inputs, input{p, true})
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Name() == emit.ManifestName {
				return nil // inferobs's record of its output, read by manifestOptions
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				inputs = append(inputs, input{path, false})
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
	}
	var (
		out      []Finding
		sources  []*source
		recorded = map[string]bool{}
	)
	for _, in := range inputs {
		data, err := os.ReadFile(in.name)
		if err != nil {
			return rep, err
		}
		if opts.Config.ignoresPath(in.name) {
			continue
		}
		src, err := decode(in.name, data)
		var de *decodeError
		switch ext := strings.ToLower(filepath.Ext(in.name)); {
		case errors.As(err, &de) && in.explicit && ext != ".yaml" && ext != ".yml" && ext != ".json":
			err = errNotLintable // a file of another kind (README.md): not broken YAML
		}
		switch {
		case errors.As(err, &de) && in.explicit:
			out = append(out, syntaxFinding(in.name, de))
			continue
		case errors.Is(err, errNotLintable) && in.explicit:
			out = append(out, Finding{File: in.name, Check: fileSkippedName, Severity: SeverityWarning,
				Message: "neither a Prometheus rule file, a PrometheusRule, a Grafana dashboard nor a ConfigMap or GrafanaDashboard holding one: nothing was checked"})
			continue
		case err != nil:
			rep.Skipped = append(rep.Skipped, in.name)
			continue
		}
		rep.Files++
		rep.Queries += len(src.entries)
		src.recordedNames(recorded)
		sources = append(sources, src)
	}
	manifests := map[string]*SpecRecord{}
	for _, src := range sources {
		o, _, err := manifestOptions(src.name, opts, manifests)
		if err != nil {
			return rep, err
		}
		found, err := lintSource(src, o, recorded)
		if err != nil {
			return rep, err
		}
		out = append(out, found...)
	}
	rep.Findings = sortFindings(slices.DeleteFunc(out, func(f Finding) bool { return opts.Config.ignoresCheck(f.Check) }))
	return rep, nil
}

// File lints one file's content; name is used for messages and to tell
// JSON from YAML. A file that is neither rules nor a dashboard yields no
// findings; one that does not decode yields a file/syntax finding.
func File(name string, data []byte, opts Options) ([]Finding, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	src, err := decode(name, data)
	var de *decodeError
	switch {
	case errors.As(err, &de):
		return []Finding{syntaxFinding(name, de)}, nil
	case errors.Is(err, errNotLintable):
		return nil, nil
	case err != nil:
		return nil, err
	}
	recorded := map[string]bool{}
	src.recordedNames(recorded)
	found, err := lintSource(src, opts, recorded)
	if err != nil {
		return nil, err
	}
	return sortFindings(found), nil
}

// Expr lints a single PromQL expression (Grafana variables allowed), with
// the checks that need no rule context. Lines and columns are positions
// inside the expression (line 1, column 1 for the whole of it).
func Expr(expr string, opts Options) []Finding {
	if err := opts.validate(); err != nil {
		return []Finding{{Check: engineInvalidName, Severity: SeverityError, Message: err.Error()}}
	}
	src := &source{entries: []*entry{{loc: queryLocator{query: expr}, kind: kindQuery, src: expr}}}
	found, err := lintSource(src, opts, nil)
	if err != nil {
		return []Finding{{Check: engineInvalidName, Severity: SeverityError, Message: err.Error()}}
	}
	return sortFindings(found)
}

// decode classifies and decodes a file.
func decode(name string, data []byte) (*source, error) {
	src := &source{name: name}
	isJSON := strings.EqualFold(filepath.Ext(name), ".json") ||
		(filepath.Ext(name) == "" && bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")))
	if isJSON {
		root, err := decodeJSON(data)
		if err != nil {
			return nil, &decodeError{line: jsonErrorLine(data, err), err: err}
		}
		if dash, ok := dashboardRoot(root); ok {
			src.addDashboard(dash, newLineIndex(data), 1)
			return src, nil
		}
		kind, _ := root.getString("kind")
		if _, ok := root.get("groups"); !ok && kind != "PrometheusRule" && kind != "List" {
			if src.addWrapped(data) {
				return src, nil
			}
			return nil, errNotLintable
		}
	}
	wrapped := !isJSON && src.addWrapped(data)
	rf, ok, err := parseRuleFile(name, data)
	if err != nil {
		return nil, &decodeError{line: yamlErrorLine(err), err: err}
	}
	if !ok {
		if wrapped {
			return src, nil
		}
		return nil, errNotLintable
	}
	src.rules = rf
	for _, g := range rf.groups {
		for _, r := range g.rules {
			src.entries = append(src.entries, r.entry)
		}
	}
	return src, nil
}

// recordedNames adds the names the file's recording rules write.
func (s *source) recordedNames(into map[string]bool) {
	if s.rules == nil {
		return
	}
	for _, g := range s.rules.groups {
		for _, r := range g.rules {
			if r.record != "" {
				into[r.record] = true
			}
		}
	}
}

// lintSource parses every expression, picks the engine catalogs of the
// models each selects and runs the checks.
func lintSource(src *source, opts Options, recorded map[string]bool) ([]Finding, error) {
	var out []Finding
	cache := map[string]*catalogs{}
	noted := map[library.Engine]bool{}
	forbidden := opts.forbidden()
	for _, e := range src.entries {
		parseEntry(e)
		var used []library.Engine
		for _, s := range e.sels {
			if strings.Contains(s.name, varMark) || recorded[s.name] || opts.Config.ignoresName(s.name) {
				continue
			}
			if eng, ok := engineOf(s.name); ok && !slices.Contains(used, eng) {
				used = append(used, eng)
			}
		}
		slices.Sort(used)
		choices, fallback := entryVersions(e, used, opts)
		seen := map[[3]any]int{} // one finding per place and check over the versions
		for _, choice := range choices {
			key := catalogKey(choice)
			cats, ok := cache[key]
			if !ok {
				var err error
				if cats, err = resolveCatalogs(opts, allEngines(), recorded, choice); err != nil {
					return nil, err
				}
				cache[key] = cats
			}
			for _, eng := range used {
				if !cats.assumed[eng] || noted[eng] {
					continue
				}
				noted[eng] = true
				cat := cats.byEngine[eng]
				f := e.findingAt(nil, engineAssumedName, SeverityInfo,
					"no %s version given: checked %s names against %s, the newest release inferobs knows (pin one with --engine %s@<version>)%s",
					displayName(eng), displayName(eng), engineLabel(cat), eng, verificationSuffix(cat))
				f.Panel, f.RefID, f.Rule, f.Column = "", "", "", 0
				out = append(out, f)
			}
			e.cats, e.forbidden, e.scrape = cats, forbidden, opts.ScrapeInterval
			e.dataParallel = func(eng library.Engine) bool { return dataParallelDeclared(e, eng, opts) }
			note := fallbackNote(fallback, cats)
			for _, f := range checkExpr(e) {
				if e.disabled != nil && (len(e.disabled) == 0 || slices.Contains(e.disabled, f.Check)) {
					continue
				}
				f.Message += note
				k := [3]any{f.Line, f.Column, f.Check}
				if i, ok := seen[k]; ok && len(choices) > 1 {
					if severityRank(f.Severity) < severityRank(out[i].Severity) {
						out[i] = f
					}
					continue
				}
				seen[k] = len(out)
				out = append(out, f)
			}
		}
	}
	if src.rules != nil {
		for _, c := range fileChecks {
			out = append(out, c.check(src.rules)...)
		}
	}
	return slices.DeleteFunc(out, func(f Finding) bool { return opts.Config.ignoresCheck(f.Check) }), nil
}

func allEngines() []library.Engine { return library.Engines() }

// parseEntry parses an entry's expression; dashboard queries and bare
// expressions get their template variables replaced first.
func parseEntry(e *entry) {
	if e.kind != kindQuery {
		e.query = e.src
		e.parse()
		return
	}
	variants := expandTemplates(e.src)
	for _, q := range variants {
		e.query, e.expr, e.err, e.sels = q, nil, nil, nil
		e.parse()
		if e.err == nil {
			return
		}
	}
	if len(variants) > 1 { // none parses: report the first variant's error
		e.query, e.expr, e.err, e.sels = variants[0], nil, nil, nil
		e.parse()
	}
}

func syntaxFinding(name string, de *decodeError) Finding {
	return Finding{File: name, Line: de.line, Check: fileSyntaxName, Severity: SeverityError,
		Message: "file does not decode: " + de.err.Error()}
}

var yamlLineRe = regexp.MustCompile(`line (\d+)`)

func yamlErrorLine(err error) int {
	if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

func jsonErrorLine(data []byte, err error) int {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return newLineIndex(data).line(se.Offset)
	}
	return 0
}

// verificationSuffix names the release the catalog was last verified
// against when cat's version is newer (library data).
func verificationSuffix(cat *library.Catalog) string {
	if n := cat.VerificationNote(); n != "" {
		return "; " + n
	}
	return ""
}

// severityRank orders severities, most severe first.
func severityRank(s Severity) int {
	return slices.Index([]Severity{SeverityError, SeverityWarning, SeverityInfo}, s)
}
