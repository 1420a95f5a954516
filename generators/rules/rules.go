// Package rules generates the Prometheus rules of a plan: SLI recording
// rules with tiered windows, multi-window multi-burn-rate alerts, error
// budget series, engine and cost recording rules, and diagnostic alerts. It
// writes them as plain rule files (prometheus/*.yaml) and as PrometheusRule
// objects (kubernetes/*.yaml), together with promtool unit tests
// (tests/*.yaml) whose expectations come from the window math.
//
// Every expression is a syntax tree of the real PromQL parser, printed and
// parsed back before it is written.
package rules

import (
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
)

// Rule is a recording or alerting rule.
type Rule struct {
	Record      string
	Alert       string
	Expr        promql.Expr
	For         time.Duration
	Labels      map[string]string
	Annotations map[string]string
	// scope tells apart rules of the same name and labels that select
	// disjoint series (one alert per family text, each for its models).
	scope string
}

// Name is the record or alert name.
func (r Rule) Name() string {
	if r.Alert != "" {
		return r.Alert
	}
	return r.Record
}

// Group is a rule group; File names the output file it belongs to.
type Group struct {
	File     string // base name without extension, e.g. "slo-support-chat"
	Name     string
	Interval time.Duration
	Rules    []Rule
}

// Set is everything the generator produces for a plan.
type Set struct {
	Groups []Group
}

// Files returns the distinct file names, in order of first appearance.
func (s *Set) Files() []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range s.Groups {
		if !seen[g.File] {
			seen[g.File] = true
			out = append(out, g.File)
		}
	}
	return out
}

// GroupsIn returns the groups of one file.
func (s *Set) GroupsIn(file string) []Group {
	var out []Group
	for _, g := range s.Groups {
		if g.File == file {
			out = append(out, g)
		}
	}
	return out
}

// Build assembles every rule group of the plan.
func Build(p *plan.Plan) (*Set, error) {
	s := &Set{}
	slo, diag := sloGroups(p), diagnosticGroups(p)
	s.Groups = append(s.Groups, slo...)
	s.Groups = append(s.Groups, engineGroups(p, readNames(slo, diag))...)
	s.Groups = append(s.Groups, diag...)
	var kept []Group
	for _, g := range s.Groups {
		if len(g.Rules) > 0 {
			kept = append(kept, g)
		}
	}
	s.Groups = kept
	fitted, err := fitRuler(p, s.Groups)
	if err != nil {
		return nil, err
	}
	s.Groups = fitted
	if err := Verify(p, s); err != nil {
		return nil, err
	}
	return s, nil
}

// readNames are the metric names the groups' rules select.
func readNames(sets ...[]Group) map[string]bool {
	names := map[string]bool{}
	for _, gs := range sets {
		for _, g := range gs {
			for _, r := range g.Rules {
				for _, vs := range promql.Selectors(r.Expr) {
					names[vs.Name] = true
				}
			}
		}
	}
	return names
}

// Generate returns the rule files, PrometheusRule objects and promtool tests.
func Generate(p *plan.Plan) ([]emit.Artifact, error) {
	s, err := Build(p)
	if err != nil {
		return nil, err
	}
	var tests []emit.Artifact
	var testsErr error
	var wg sync.WaitGroup
	alerts := alertRules(s)
	order := groupOrder(s)
	wg.Go(func() { tests, testsErr = testsFor(p, alerts, order) })

	// Each file's expressions are printed and parsed back once for both
	// outputs; files are independent, so they are rendered in parallel.
	files := s.Files()
	byFile := make([][]emit.Artifact, len(files))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, f := range files {
		g.Go(func() error {
			groups := s.GroupsIn(f)
			rgs, err := ruleGroups(groups)
			if err != nil {
				return fmt.Errorf("rule file %s: %w", f, err)
			}
			// The syntax trees are printed now and nothing after reads
			// them (the tests and docs read names and labels): let the
			// collector have them while the other files render.
			for _, grp := range groups {
				for j := range grp.Rules {
					grp.Rules[j].Expr = nil
				}
			}
			data, err := encodeRuleFile(rgs)
			if err != nil {
				return fmt.Errorf("rule file %s: %w", f, err)
			}
			out := []emit.Artifact{{Path: "prometheus/" + f + ".yaml", Data: data}}
			objs := ruleObjects(rgs, len(data))
			for j, part := range objs {
				name := f
				if len(objs) > 1 {
					name += "-part-" + strconv.Itoa(j+1)
				}
				obj, err := encodePrometheusRule(p, name, part)
				if err != nil {
					return fmt.Errorf("PrometheusRule %s: %w", name, err)
				}
				out = append(out, emit.Artifact{Path: "kubernetes/" + name + ".yaml", Data: obj})
			}
			byFile[i] = out
			return nil
		})
	}
	err = g.Wait()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if testsErr != nil {
		return nil, testsErr
	}
	arts := make([]emit.Artifact, 0, 2*len(files)+len(tests)+1)
	for _, file := range byFile {
		arts = append(arts, file...)
	}
	arts = append(arts, tests...)
	arts = append(arts, alertDocs(p, s))
	sort.Slice(arts, func(i, j int) bool { return arts[i].Path < arts[j].Path })
	return arts, nil
}
