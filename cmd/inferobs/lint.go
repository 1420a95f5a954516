package main

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/inferobs/inferobs/generators/compiler"
)

func (a *app) lintCmd() *cobra.Command {
	var engine, format, config string
	var warnOnly bool
	var forbidden, specs []string
	cmd := &cobra.Command{
		Use:   "lint [--spec SPEC_PATHS] [--engine vllm@0.16] [PATHS...]",
		Short: "Check rule files, PrometheusRule objects and Grafana dashboards against the engine catalogs",
		Long: "lint reads Prometheus rule files, PrometheusRule objects and Grafana dashboard JSON and reports PromQL that does not parse, metric names the engine version does not expose (with the replacement), counters read without rate, quantiles without le, data-parallel double counting, le values that are not buckets, forbidden labels, alerts without a comparison, duplicate rules and long group intervals.\n\n" +
			"With --spec, each query is checked at the engine version of the spec's models its selectors select. Without it, files in an inferobs output directory use the models its " + compiler.ManifestName + " records. Queries that select no known model are checked at --engine or the engine's newest release.\n\n" +
			"Dashboards may be plain JSON, or wrapped in ConfigMaps and grafana-operator GrafanaDashboards. " + compiler.LintConfigFile + " in the current directory (or --config) lists checks, names and paths to ignore; a rule also skips the checks named in an \"# inferobs-lint-disable [checks]\" comment on it.",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := compiler.LintOptions{ForbiddenLabels: forbidden}
			if engine != "" {
				if err := compiler.ParseEngine(engine, &opts); err != nil {
					return usageError(cmd, err)
				}
			}
			if len(specs) > 0 {
				if err := a.report(compiler.LintSpec(specs, &opts)); err != nil {
					return err
				}
			}
			if config == "" {
				if _, err := os.Stat(compiler.LintConfigFile); err == nil {
					config = compiler.LintConfigFile
				}
			}
			if config != "" {
				cfg, err := compiler.LoadLintConfig(config)
				if err != nil {
					return a.fail("%v", err)
				}
				opts.Config = cfg
			}
			if len(args) == 0 {
				args = []string{"."}
			}
			rep, err := compiler.LintRun(args, opts)
			if err != nil {
				return a.fail("%v", err)
			}
			all := rep.Findings
			// Which version was assumed is a note about the run, not a
			// finding about a file: say it once per engine, on stderr.
			var fs []compiler.Finding
			noted := map[string]bool{}
			for _, f := range all {
				if f.Check != compiler.FindingEngineAssumed {
					fs = append(fs, f)
					continue
				}
				if !noted[f.Message] && !a.quiet {
					noted[f.Message] = true
					fmt.Fprintln(a.stderr, "note: "+f.Message)
				}
			}
			if !slices.Contains(compiler.LintFormats, format) {
				return usageError(cmd, fmt.Errorf("unknown --format %q: want text, json or github", format))
			}
			if err := compiler.WriteFindings(a.stdout, fs, format); err != nil {
				return a.fail("%v", err)
			}
			// What was looked at: on stdout after the text summary, on
			// stderr for machine formats.
			summary := a.stderr
			if format == "text" {
				summary = a.stdout
			}
			fmt.Fprintf(summary, "checked %d files, %d queries; skipped %d%s\n", rep.Files, rep.Queries, len(rep.Skipped), skippedByDir(rep.Skipped))
			if compiler.HasErrors(fs) && !warnOnly {
				return &exitError{code: exitInvalid}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&engine, "engine", "", "engine and version to check against, e.g. vllm@0.16 or tgi@3.3")
	cmd.Flags().StringSliceVar(&specs, "spec", nil, "spec files or directories whose models give each query its engine version")
	cmd.Flags().StringVar(&config, "config", "", "lint config file (default "+compiler.LintConfigFile+" when present)")
	cmd.Flags().StringVar(&format, "format", "text", "output: text, json or github (workflow annotations)")
	cmd.Flags().BoolVar(&warnOnly, "warn-only", false, "never exit 1 on findings")
	cmd.Flags().StringSliceVar(&forbidden, "forbidden-label", nil, "labels that must not appear in groupings (default user_id, session_id, request_id)")
	return cmd
}

// usageError reports a bad flag value with exit code 2.
func usageError(cmd *cobra.Command, err error) error {
	fmt.Fprintf(cmd.ErrOrStderr(), "inferobs: %v\n", err)
	return &exitError{code: exitUsage}
}

// skippedByDir says where the skipped files are (neither rules nor
// dashboards, so no queries: promtool tests, collector configs, monitors),
// by directory, most first: " (tests 47, kubernetes 7)".
func skippedByDir(files []string) string {
	if len(files) == 0 {
		return ""
	}
	n := map[string]int{}
	for _, f := range files {
		n[filepath.Base(filepath.Dir(f))]++
	}
	dirs := slices.Collect(maps.Keys(n))
	slices.SortFunc(dirs, func(a, b string) int { return cmp.Or(n[b]-n[a], strings.Compare(a, b)) })
	parts := make([]string, len(dirs))
	for i, d := range dirs {
		parts[i] = fmt.Sprintf("%s %d", d, n[d])
	}
	return " with no queries (" + strings.Join(parts, ", ") + ")"
}
