package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/inferobs/inferobs/generators/lint"
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
			opts := lint.Options{ForbiddenLabels: forbidden}
			if engine != "" {
				e, v, err := lint.ParseEngineFlag(engine)
				if err != nil {
					return usageError(cmd, err)
				}
				opts.Engine, opts.Version = e, v
			}
			if len(args) == 0 {
				args = []string{"."}
			}
			all, err := lint.Paths(args, opts)
			if err != nil {
				return a.fail("%v", err)
			}
			// Which version was assumed is a note about the run, not a
			// finding about a file: say it once per engine, on stderr.
			var fs []lint.Finding
			noted := map[string]bool{}
			for _, f := range all {
				if f.Check != lint.EngineAssumed {
					fs = append(fs, f)
					continue
				}
				if !noted[f.Message] && !a.quiet {
					noted[f.Message] = true
					fmt.Fprintln(a.stderr, "note: "+f.Message)
				}
			}
			switch format {
			case "text":
				err = lint.FormatText(a.stdout, fs)
			case "json":
				err = lint.FormatJSON(a.stdout, fs)
			case "github":
				err = lint.FormatGitHub(a.stdout, fs)
			default:
				return usageError(cmd, fmt.Errorf("unknown --format %q: want text, json or github", format))
			}
			if err != nil {
				return a.fail("%v", err)
			}
			if lint.HasErrors(fs) && !warnOnly {
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
