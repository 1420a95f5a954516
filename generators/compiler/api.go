package compiler

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/prometheus/common/model"

	"github.com/inferobs/inferobs/generators/cardinality"
	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/lint"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
	"github.com/inferobs/inferobs/schema/diag"
)

// File is a spec source held in memory (LoadFiles, CompileFiles): its
// name is what positions in diagnostics refer to.
type File = schema.File

// WriteOptions control Result.Write (see emit.Options).
type WriteOptions = emit.Options

// SchemaText is the CUE schema every spec is checked against.
func SchemaText() string { return schema.Text() }

// PresetsText prints the workload classes' preset SLOs as CUE, one
// struct per class in the shape of workloads.<name>.slos.
func PresetsText() string {
	var b strings.Builder
	b.WriteString("// The SLOs each workload class adds for every SLO a workload leaves out.\n")
	b.WriteString("// Declare one in workloads.<name>.slos to change it; <kind>: false turns it off.\n")
	for _, class := range library.PresetClasses() {
		p, _ := library.PresetFor(class)
		fmt.Fprintf(&b, "%s: {\n", class)
		for _, s := range p.SLOs {
			var fields []string
			if s.Kind.IsLatency() {
				fields = append(fields, fmt.Sprintf("threshold: %q", model.Duration(s.Threshold).String()))
			}
			if s.Kind == library.SLOHeadroom {
				fields = append(fields, fmt.Sprintf("maxQueue: %d", s.MaxQueue))
			}
			fields = append(fields, "objective: "+promql.FormatNumber(s.Objective))
			fmt.Fprintf(&b, "\t%-13s {%s}\n", string(s.Kind)+":", strings.Join(fields, ", "))
		}
		for _, k := range library.SLOKinds() {
			if !slices.ContainsFunc(p.SLOs, func(s library.PresetSLO) bool { return s.Kind == k }) {
				fmt.Fprintf(&b, "\t// no %s SLO%s\n", k, presetAbsence[k])
			}
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// presetAbsence says why a preset leaves a kind out.
var presetAbsence = map[library.SLOKind]string{
	library.SLOE2E:          " (end-to-end latency depends on answer length; declare one with source: \"gateway\")",
	library.SLOCompleteness: " (a max_tokens stop is a normal ending here)",
}

// LintOptions choose the engine version and forbidden labels of Lint.
type LintOptions = lint.Options

// Finding is one problem Lint reports, with its file, position and check.
type Finding = lint.Finding

// FindingEngineAssumed is the check name of the note saying which engine
// version Lint assumed (when LintOptions name none): a note about the run,
// not about a file.
const FindingEngineAssumed = lint.EngineAssumed

// Lint checks Prometheus rule files, PrometheusRule objects and Grafana
// dashboards (files or directories) against the engine metric catalogs:
// names the version does not expose, counters read without rate, le values
// that are not buckets, forbidden labels and the other checks of package
// lint.
func Lint(paths []string, opts LintOptions) ([]Finding, error) { return lint.Paths(paths, opts) }

// LintReport is what LintRun found and how many files and queries it
// checked and skipped.
type LintReport = lint.Report

// LintRun checks like Lint and also counts files, queries and skipped files.
func LintRun(paths []string, opts LintOptions) (LintReport, error) { return lint.Run(paths, opts) }

// LintConfig is the .inferobs-lint.yaml file: checks, names and paths lint ignores.
type LintConfig = lint.Config

// ManifestName is the manifest inferobs writes into an output directory;
// it records the spec's models for lint.
const ManifestName = emit.ManifestName

// LintConfigFile is the config file lint reads from the current directory.
const LintConfigFile = lint.ConfigFile

// LoadLintConfig reads a lint config file.
func LoadLintConfig(path string) (*LintConfig, error) { return lint.LoadConfig(path) }

// LintSpec loads spec files and fills opts with their models (engine,
// version, selector, served name, data parallelism) and scrape interval,
// so each query is checked at the version of the models it selects.
func LintSpec(paths []string, opts *LintOptions) diag.List {
	s, ds := schema.Load(paths...)
	if ds.HasErrors() || s == nil {
		return ds
	}
	opts.Models = lintModels(s)
	opts.ScrapeInterval = s.Target.ScrapeInterval
	return ds
}

// lintModels are the spec's models as lint sees them, sorted by name.
func lintModels(s *schema.Spec) []lint.Model {
	var ms []lint.Model
	for _, name := range slices.Sorted(maps.Keys(s.Models)) {
		m := s.Models[name]
		ms = append(ms, lint.Model{
			Name: name, Engine: m.Engine, Version: m.EngineVersion, Selector: m.Selector,
			ServedName: m.ServedName, DataParallel: m.DataParallel,
		})
	}
	return ms
}

// LintFile checks one file held in memory, like Lint.
func LintFile(name string, data []byte, opts LintOptions) ([]Finding, error) {
	return lint.File(name, data, opts)
}

// ParseEngine reads an engine@version flag (vllm@0.16, tgi@3.3) into
// LintOptions.
func ParseEngine(flag string, opts *LintOptions) error {
	e, v, err := lint.ParseEngineFlag(flag)
	if err != nil {
		return err
	}
	opts.Engine, opts.Version = e, v
	return nil
}

// LintFormats are the formats WriteFindings knows.
var LintFormats = []string{"text", "json", "github"}

// ErrUnknownFormat is wrapped by WriteFindings's error for a format it
// does not know.
var ErrUnknownFormat = errors.New("unknown format")

// WriteFindings writes findings as text (file:line:col lines), json or
// github (workflow annotations).
func WriteFindings(w io.Writer, fs []Finding, format string) error {
	switch format {
	case "text":
		return lint.FormatText(w, fs)
	case "json":
		return lint.FormatJSON(w, fs)
	case "github":
		return lint.FormatGitHub(w, fs)
	}
	return fmt.Errorf("%w %q: want %s", ErrUnknownFormat, format, strings.Join(LintFormats, ", "))
}

// HasErrors reports whether any finding is an error (not a warning or note).
func HasErrors(fs []Finding) bool { return lint.HasErrors(fs) }

// CardinalityReport is the expected active series per metric family.
type CardinalityReport = cardinality.Report

// CardinalityFormats are the formats CardinalityReport.Write knows.
var CardinalityFormats = cardinality.Formats()

// CardinalityFormatError is CardinalityReport.Write's error for a format
// it does not know.
type CardinalityFormatError = cardinality.UnknownFormatError

// EstimateCardinality plans a loaded spec and estimates the series of every
// family its outputs read or create. The diagnostics are the plan's and
// the budget check's (an error when the total is over budget); the report
// is nil only when the spec cannot be planned.
func EstimateCardinality(s *schema.Spec) (*CardinalityReport, diag.List) {
	p, ds := plan.New(s)
	if p == nil {
		return nil, ds
	}
	r := cardinality.Estimate(p, cardinality.Options{})
	return &r, append(ds, cardinality.Check(p, r)...)
}
