package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/inferobs/inferobs/generators/compiler"
)

func (a *app) cardinalityCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "cardinality [PATHS...]",
		Short: "Estimate the active series of every family the outputs read or create",
		Long:  "cardinality prints, per metric family, the expected active series, its share of cardinality.budget and the formula with the spec's numbers filled in. It exits 1 when the total is over budget.",
		RunE: func(cmd *cobra.Command, args []string) error {
			s, ds := compiler.Load(args...)
			if s == nil {
				return a.report(ds)
			}
			r, pds := compiler.EstimateCardinality(s)
			if r == nil {
				return a.report(append(ds, pds...))
			}
			if err := r.Write(a.stdout, format); err != nil {
				var uf *compiler.CardinalityFormatError
				if errors.As(err, &uf) {
					return usageError(cmd, err)
				}
				return a.fail("%v", err)
			}
			return a.report(append(ds, pds...))
		},
	}
	cmd.Flags().StringVar(&format, "output", compiler.CardinalityFormats[0], "table or json")
	return cmd
}
