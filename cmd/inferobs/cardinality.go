package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/inferobs/inferobs/generators/cardinality"
	"github.com/inferobs/inferobs/generators/plan"
)

func (a *app) cardinalityCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "cardinality [PATHS...]",
		Short: "Estimate the active series of every family the outputs read or create",
		Long:  "cardinality prints, per metric family, the expected active series, its share of cardinality.budget and the formula with the spec's numbers filled in. It exits 1 when the total is over budget.",
		RunE: func(cmd *cobra.Command, args []string) error {
			s, ds := loadSpec(args)
			if s == nil {
				return a.report(ds)
			}
			p, pds := plan.New(s)
			if p == nil {
				return a.report(append(ds, pds...))
			}
			r := cardinality.Estimate(p, cardinality.Options{})
			if err := r.Write(a.stdout, format); err != nil {
				var uf *cardinality.UnknownFormatError
				if errors.As(err, &uf) {
					return usageError(cmd, err)
				}
				return a.fail("%v", err)
			}
			return a.report(append(append(ds, pds...), cardinality.Check(p, r)...))
		},
	}
	cmd.Flags().StringVar(&format, "output", cardinality.FormatTable, "table or json")
	return cmd
}
