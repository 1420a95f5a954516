// Package compiler is inferobs as a Go library: load a spec from files or
// bytes, compile it into an in-memory set of artifacts (rule files,
// dashboards, collector snippets, ...), and write them safely. The CLI uses
// only this package.
package compiler

import (
	"fmt"
	"sort"

	"github.com/inferobs/inferobs/generators/cardinality"
	"github.com/inferobs/inferobs/generators/collector"
	"github.com/inferobs/inferobs/generators/dashboards"
	"github.com/inferobs/inferobs/generators/dcgm"
	"github.com/inferobs/inferobs/generators/docs"
	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/rules"
	"github.com/inferobs/inferobs/generators/security"
	"github.com/inferobs/inferobs/schema"
	"github.com/inferobs/inferobs/schema/diag"
)

// Generator produces one kind of artifact from a plan.
type Generator struct {
	Name     string
	Generate func(*plan.Plan) ([]emit.Artifact, error)
}

// Generators lists every artifact generator in output order.
func Generators() []Generator {
	return []Generator{
		{Name: "docs", Generate: docs.Generate},
		{Name: "rules", Generate: rules.Generate},
		{Name: "dashboards", Generate: dashboards.Generate},
		{Name: "stream-aggregation", Generate: cardinality.StreamAggregation},
		{Name: "collector", Generate: collector.Generate},
		{Name: "dcgm", Generate: dcgm.Generate},
		{Name: "security", Generate: security.Generate},
	}
}

// Result is a compiled spec.
type Result struct {
	Spec      *schema.Spec
	Plan      *plan.Plan
	Artifacts []emit.Artifact // sorted by path
	// Cardinality is the series estimate the budget was checked against.
	Cardinality cardinality.Report
	// Diagnostics holds the warnings (a failed compile returns its errors
	// as a *diag.Errors).
	Diagnostics diag.List
}

// Load reads and validates spec files (files or directories; "." when none).
func Load(paths ...string) (*schema.Spec, diag.List) { return schema.Load(paths...) }

// LoadFiles validates spec sources held in memory.
func LoadFiles(files ...schema.File) (*schema.Spec, diag.List) { return schema.LoadFiles(files) }

// Compile loads the spec at paths and compiles it. The error, when the
// spec is invalid, is a *diag.Errors listing every problem; warnings come
// back in the Result (or alongside the error via diag.AsList).
func Compile(paths ...string) (*Result, error) {
	s, ds := Load(paths...)
	return compileLoaded(s, ds)
}

// CompileFiles is Compile for sources in memory.
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

// CompileSpec plans a loaded spec and runs every generator.
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
	for _, g := range Generators() {
		arts, err := g.Generate(p)
		if err != nil {
			return nil, fmt.Errorf("%s generator: %w", g.Name, err)
		}
		r.Artifacts = append(r.Artifacts, arts...)
	}
	sort.Slice(r.Artifacts, func(i, j int) bool { return r.Artifacts[i].Path < r.Artifacts[j].Path })
	return r, nil
}

// Artifact returns the artifact at path, if the result has one.
func (r *Result) Artifact(path string) (emit.Artifact, bool) {
	for _, a := range r.Artifacts {
		if a.Path == path {
			return a, true
		}
	}
	return emit.Artifact{}, false
}

// Write writes the result's artifacts into dir (see emit.Write).
func (r *Result) Write(dir string, opts emit.Options) (emit.Result, error) {
	return emit.Write(dir, r.Artifacts, opts)
}
