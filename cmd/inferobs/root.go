package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/inferobs/inferobs/schema/diag"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type app struct {
	stdout, stderr io.Writer
	quiet          bool
	strict         bool // check and generate: every warning is an error
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	a := &app{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "inferobs",
		Short:         "Compile LLM-inference observability from a CUE spec",
		Long:          "inferobs compiles a CUE spec (models, tenants, workloads, SLOs) into Prometheus rules and alerts, promtool tests, Grafana dashboards, OpenTelemetry collector snippets and DCGM profiles that match each model's engine version.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().BoolVarP(&a.quiet, "quiet", "q", false, "do not print warnings")
	root.AddCommand(a.generateCmd(), a.checkCmd(), a.lintCmd(), a.cardinalityCmd(), a.schemaCmd(), a.presetsCmd(), a.versionCmd(), a.simulateCmd())
	return root
}

// report prints diagnostics (warnings unless quiet) and returns the exit
// error for errors.
func (a *app) report(ds diag.List) error {
	failed := false
	warned := false
	for _, d := range ds.Sorted() {
		if d.Severity == diag.Warning {
			warned = true
			if a.quiet && !a.strict {
				continue
			}
		}
		if d.Severity == diag.Error {
			failed = true
		}
		fmt.Fprintln(a.stderr, d.String())
	}
	if warned && a.strict && !failed {
		fmt.Fprintln(a.stderr, "inferobs: --strict: the warnings above are errors")
		failed = true
	}
	if failed {
		return &exitError{code: exitInvalid}
	}
	return nil
}

func (a *app) fail(format string, args ...any) error {
	fmt.Fprintf(a.stderr, "inferobs: "+format+"\n", args...)
	return &exitError{code: exitInvalid}
}
