package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/inferobs/inferobs/generators/compiler"
)

func (a *app) lintCmd() *cobra.Command {
	var engine, format string
	var warnOnly bool
	var forbidden []string
	cmd := &cobra.Command{
		Use:   "lint [--engine vllm@0.16] [PATHS...]",
		Short: "Check rule files, PrometheusRule objects and Grafana dashboards against the engine catalogs",
		Long: "lint reads Prometheus rule files, PrometheusRule objects and Grafana dashboard JSON and reports PromQL that does not parse, metric names the engine version does not expose (with the replacement), counters read without rate, quantiles without le, data-parallel double counting, le values that are not buckets, forbidden labels, alerts without a comparison, duplicate rules and long group intervals.\n\n" +
			"Without --engine the engine is inferred from the names used and checked at its newest release.",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := compiler.LintOptions{ForbiddenLabels: forbidden}
			if engine != "" {
				if err := compiler.ParseEngine(engine, &opts); err != nil {
					return usageError(cmd, err)
				}
			}
			if len(args) == 0 {
				args = []string{"."}
			}
			all, err := compiler.Lint(args, opts)
			if err != nil {
				return a.fail("%v", err)
			}
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
			if compiler.HasErrors(fs) && !warnOnly {
				return &exitError{code: exitInvalid}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&engine, "engine", "", "engine and version to check against, e.g. vllm@0.16 or tgi@3.3")
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
