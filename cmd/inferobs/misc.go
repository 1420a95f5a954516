package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/inferobs/inferobs/generators/compiler"
)

func (a *app) schemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the CUE schema specs are unified with",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprint(a.stdout, compiler.SchemaText())
			return err
		},
	}
}

func (a *app) presetsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "presets",
		Short: "Print the SLOs each workload class adds, as CUE",
		Long:  "presets prints, per workload class, the SLOs a workload of that class gets for every SLO its spec leaves out. Copy one into workloads.<name>.slos to change it, or write <kind>: false to turn it off.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprint(a.stdout, compiler.PresetsText())
			return err
		},
	}
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the inferobs version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(a.stdout, "inferobs", version)
			return err
		},
	}
}
