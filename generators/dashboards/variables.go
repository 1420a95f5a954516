package dashboards

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// datasourceVariable is the Prometheus datasource every query uses.
func datasourceVariable() *dashboard.DatasourceVariableBuilder {
	return dashboard.NewDatasourceVariableBuilder(dsVar).
		Label("Data source").
		Description("The Prometheus (or compatible) datasource that holds the engine, DCGM, Kubernetes and spanmetrics series and inferobs's recording rules.").
		Type("prometheus")
}

// allOption is the "All" entry of a multi-value variable.
func allOption(selected bool) dashboard.VariableOption {
	return dashboard.VariableOption{
		Selected: cog.ToPtr(selected),
		Text:     dashboard.StringOrArrayOfString{String: cog.ToPtr("All")},
		Value:    dashboard.StringOrArrayOfString{String: cog.ToPtr("$__all")},
	}
}

// customVariable lists values from the spec: unlike label_values it shows
// every model or tenant even before it has traffic, and never a stray one.
func customVariable(name, label, desc string, values []string) *dashboard.CustomVariableBuilder {
	escaped := make([]string, len(values))
	opts := []dashboard.VariableOption{allOption(true)}
	for i, v := range values {
		escaped[i] = strings.ReplaceAll(v, ",", `\,`)
		opts = append(opts, dashboard.VariableOption{
			Selected: cog.ToPtr(false),
			Text:     dashboard.StringOrArrayOfString{String: cog.ToPtr(v)},
			Value:    dashboard.StringOrArrayOfString{String: cog.ToPtr(v)},
		})
	}
	return dashboard.NewCustomVariableBuilder(name).
		Label(label).
		Description(desc).
		Values(dashboard.StringOrMap{String: cog.ToPtr(strings.Join(escaped, ","))}).
		Multi(true).
		IncludeAll(true).
		Current(allOption(true)).
		Options(opts)
}

// queryVariable lists values found by a query (all selected by default;
// All is .* so it also matches series without the label).
func queryVariable(name, label, q, regex, desc string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Description(desc).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).
		Definition(q).
		Datasource(dsRef()).
		Regex(regex).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalCaseInsensitiveAsc).
		Multi(true).
		IncludeAll(true).
		AllValue(".*").
		Current(allOption(true))
}

func (c *ctx) modelVariable() *dashboard.CustomVariableBuilder {
	var names []string
	for _, m := range c.p.Models {
		names = append(names, m.Name)
	}
	return customVariable(modelVar, "Model", "Models of the spec (the model label inferobs's recording rules set).", names)
}

func (c *ctx) tenantVariable() *dashboard.CustomVariableBuilder {
	var names []string
	for _, t := range c.p.Tenants {
		names = append(names, t.Name)
	}
	return customVariable(tenantVar, "Tenant", "Tenants of the spec (the tenant label of gateway spans).", names)
}
