// Package compiler is inferobs as a Go library: load a spec from files or
// bytes, compile it into an in-memory set of artifacts (rule files,
// dashboards, collector snippets, ...), write them safely, estimate a
// spec's series, and lint existing rule files and dashboards. The CLI uses
// this package for everything but `inferobs simulate`, which drives package
// simulate with a compiled Result's Plan; diagnostics are schema/diag's.
//
// A typical use compiles a spec directory and reads or writes its artifacts:
//
//	r, err := compiler.Compile("examples/quickstart")
//	if err != nil {
//		// err is a *diag.Errors: every problem, positioned (file:line:col).
//	}
//	rules, _ := r.Artifact("prometheus/slo-support-chat-ttft.yaml")
//	_, err = r.Write("out", emit.Options{})
//
// Compiling is deterministic: the same spec gives byte-identical artifacts.
package compiler

import (
	"fmt"
	"sort"
	"sync"

	"github.com/inferobs/inferobs/generators/alertmanager"
	"github.com/inferobs/inferobs/generators/cardinality"
	"github.com/inferobs/inferobs/generators/collector"
	"github.com/inferobs/inferobs/generators/dashboards"
	"github.com/inferobs/inferobs/generators/dcgm"
	"github.com/inferobs/inferobs/generators/docs"
	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/kubernetes"
	"github.com/inferobs/inferobs/generators/lint"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/rules"
	"github.com/inferobs/inferobs/generators/security"
	"github.com/inferobs/inferobs/schema"
	"github.com/inferobs/inferobs/schema/diag"
)

// Generator produces one kind of artifact from a plan.
type Generator struct {
	// Name identifies the generator in errors ("rules", "dashboards", ...).
	Name string
	// Generate is a pure function of the plan: it returns the artifacts
	// (paths relative to the output directory) and never writes anything.
	Generate func(*plan.Plan) ([]emit.Artifact, error)
}

// Generators lists every artifact generator in the order CompileSpec runs
// them.
func Generators() []Generator {
	return []Generator{
		{Name: "docs", Generate: docs.Generate},
		{Name: "rules", Generate: rules.Generate},
		{Name: "dashboards", Generate: dashboards.Generate},
		{Name: "stream-aggregation", Generate: cardinality.StreamAggregation},
		{Name: "collector", Generate: collector.Generate},
		{Name: "dcgm", Generate: dcgm.Generate},
		{Name: "security", Generate: security.Generate},
		{Name: "alertmanager", Generate: alertmanager.Generate},
		{Name: "kubernetes", Generate: kubernetes.Generate},
	}
}

// Result is a compiled spec. A failed compile may still return a Result
// holding what was built before the failure (and the warnings).
type Result struct {
	// Spec is the validated spec (nil when loading failed).
	Spec *schema.Spec
	// Plan is the resolved plan every generator read (nil when planning
	// failed).
	Plan *plan.Plan
	// Artifacts are the generated files, sorted by path.
	Artifacts []emit.Artifact
	// Cardinality is the series estimate the budget was checked against.
	Cardinality cardinality.Report
	// Diagnostics holds the warnings (a failed compile returns its errors
	// as a *diag.Errors).
	Diagnostics diag.List
}

// Load reads and validates spec files (files or directories; "." when none).
// The spec is nil when any diagnostic is an error; the list holds warnings
// too.
func Load(paths ...string) (*schema.Spec, diag.List) { return schema.Load(paths...) }

// LoadFiles validates spec sources held in memory, like Load.
func LoadFiles(files ...schema.File) (*schema.Spec, diag.List) { return schema.LoadFiles(files) }

// Compile loads the spec at paths and compiles it. The error, when the
// spec is invalid, is a *diag.Errors listing every problem; warnings come
// back in the Result (or alongside the error via diag.AsList).
func Compile(paths ...string) (*Result, error) {
	s, ds := Load(paths...)
	return compileLoaded(s, ds)
}

// CompileFiles is Compile for sources held in memory; file names appear in
// diagnostics as given.
func CompileFiles(files ...schema.File) (*Result, error) {
	s, ds := LoadFiles(files...)
	return compileLoaded(s, ds)
}

func compileLoaded(s *schema.Spec, ds diag.List) (*Result, error) {
	if s == nil {
		return &Result{Diagnostics: ds.Warnings()}, ds.Err()
	}
	r, err := CompileSpec(s)
	if r != nil {
		r.Diagnostics = append(ds.Warnings(), r.Diagnostics...).Sorted()
	}
	return r, err
}

// CompileSpec plans a loaded spec, checks its cardinality budget and
// forbidden labels, and runs every generator. An invalid plan gives a
// *diag.Errors; a generator failure gives a plain error naming the
// generator (and no Result).
func CompileSpec(s *schema.Spec) (*Result, error) {
	p, ds := plan.New(s)
	if p == nil {
		return &Result{Spec: s, Diagnostics: ds.Warnings()}, ds.Err()
	}
	// Refuse a spec whose series would blow the cardinality budget, or that
	// puts a forbidden label anywhere, before anything is generated.
	card, cds := cardinality.CheckPlan(p)
	ds = append(ds, cds...)
	if ds.HasErrors() {
		return &Result{Spec: s, Plan: p, Cardinality: card, Diagnostics: ds.Warnings()}, ds.Err()
	}
	r := &Result{Spec: s, Plan: p, Cardinality: card, Diagnostics: ds.Warnings()}
	// Generators only read the plan, so they run side by side; the first
	// failure in generator order is reported, whatever finished first.
	gens := Generators()
	arts := make([][]emit.Artifact, len(gens))
	errs := make([]error, len(gens))
	var wg sync.WaitGroup
	for i, g := range gens {
		wg.Go(func() { arts[i], errs[i] = g.Generate(p) })
	}
	wg.Wait()
	for i, g := range gens {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s generator: %w", g.Name, errs[i])
		}
		r.Artifacts = append(r.Artifacts, arts[i]...)
	}
	// Over every generator's objects: the size checks and the
	// kustomization of DIR/kubernetes/.
	more, err := kubernetes.Finish(p, r.Artifacts)
	if err != nil {
		return nil, fmt.Errorf("kubernetes generator: %w", err)
	}
	r.Artifacts = append(r.Artifacts, more...)
	sort.Slice(r.Artifacts, func(i, j int) bool { return r.Artifacts[i].Path < r.Artifacts[j].Path })
	return r, nil
}

// Artifact returns the artifact at path (relative to the output directory,
// e.g. "prometheus/recording.yaml"), if the result has one.
func (r *Result) Artifact(path string) (emit.Artifact, bool) {
	for _, a := range r.Artifacts {
		if a.Path == path {
			return a, true
		}
	}
	return emit.Artifact{}, false
}

// Write writes the result's artifacts into dir (see emit.Write): it checks
// everything first and writes nothing on a conflict, never overwrites a file
// inferobs did not write (or one edited since) unless opts.Force, replaces
// changed files by rename, and removes the files of its previous manifest
// the result no longer contains.
// The manifest records the spec's models, so `inferobs lint DIR` later
// checks each query at its model's engine version.
func (r *Result) Write(dir string, opts emit.Options) (emit.Result, error) {
	if opts.Spec == nil && r.Spec != nil {
		opts.Spec = lint.Record(lintModels(r.Spec), r.Spec.Target.ScrapeInterval)
	}
	return emit.Write(dir, r.Artifacts, opts)
}
