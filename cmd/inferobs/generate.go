package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/schema/diag"
)

func (a *app) generateCmd() *cobra.Command {
	var dir string
	var force, verify bool
	cmd := &cobra.Command{
		Use:   "generate [SPEC_PATHS...]",
		Short: "Compile the spec and write every artifact into the output directory",
		Long:  "generate validates the spec, plans it and writes every artifact into DIR atomically. Nothing is written when the spec is invalid, and a file inferobs did not write (or that was edited since) is never overwritten.",
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := compiler.Compile(args...)
			if err != nil {
				return a.compileFailed(r, err)
			}
			if rerr := a.report(r.Diagnostics); rerr != nil {
				return rerr
			}
			if verify {
				if err := r.VerifyTests(); err != nil {
					return a.compileFailed(nil, err)
				}
			}
			res, err := r.Write(dir, compiler.WriteOptions{Force: force})
			if err != nil {
				return a.fail("%v", err)
			}
			if !a.quiet {
				fmt.Fprintf(a.stderr, "inferobs: %d files in %s (%d written, %d unchanged, %d removed)\n",
					len(r.Artifacts), dir, len(res.Written), len(res.Unchanged), len(res.Removed))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&dir, "output", "o", "out", "output directory")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite files inferobs did not write or that were edited by hand")
	a.strictFlag(cmd)
	verifyFlag(cmd, &verify)
	return cmd
}

func verifyFlag(cmd *cobra.Command, verify *bool) {
	cmd.Flags().BoolVar(verify, "verify", false, "run every generated promtool test in process first; a failing test is an error naming the test and its alert (slow on large specs)")
}

// compileFailed prints every diagnostic of a failed compile.
func (a *app) compileFailed(r *compiler.Result, err error) error {
	ds := diag.AsList(err)
	if ds == nil {
		return a.fail("%v", err)
	}
	if r != nil {
		ds = append(ds, r.Diagnostics...)
	}
	a.report(ds)
	return &exitError{code: exitInvalid}
}

func (a *app) strictFlag(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&a.strict, "strict", false, "treat every warning as an error (exit 1, nothing written)")
}

func (a *app) checkCmd() *cobra.Command {
	var verify bool
	cmd := &cobra.Command{
		Use:   "check [SPEC_PATHS...]",
		Short: "Validate and plan the spec without writing anything",
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := compiler.Compile(args...)
			if err != nil {
				return a.compileFailed(r, err)
			}
			if rerr := a.report(r.Diagnostics); rerr != nil {
				return rerr
			}
			if verify {
				if err := r.VerifyTests(); err != nil {
					return a.compileFailed(nil, err)
				}
			}
			if !a.quiet {
				fmt.Fprintf(a.stderr, "inferobs: spec is valid: %d models, %d workloads, %d SLOs, %d artifacts\n",
					len(r.Plan.Models), len(r.Plan.Workloads), len(r.Plan.SLOs), len(r.Artifacts))
			}
			return nil
		},
	}
	a.strictFlag(cmd)
	verifyFlag(cmd, &verify)
	return cmd
}
