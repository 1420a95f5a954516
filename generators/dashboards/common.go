package dashboards

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/heatmap"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/grafana/grafana-foundation-sdk/go/units"
	pmodel "github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
)

// Template variables. Every dashboard has datasource; the others appear
// where a query uses them, with the same names everywhere so that links
// carrying the variables (includeVars) keep the selection.
const (
	dsVar     = "datasource"
	modelVar  = "model"
	tenantVar = "tenant"
	nodeVar   = "node"
	gpuVar    = "gpu"
)

// Label names that are Prometheus's or Grafana's own, not an exporter's.
const (
	labelInstance   = "instance"   // the scrape target: one engine replica
	labelLe         = "le"         // histogram bucket bound
	labelAlertName  = "alertname"  // on ALERTS
	labelAlertState = "alertstate" // on ALERTS
	alertFiring     = "firing"
)

// rateInterval stands for Grafana's $__rate_interval in rate windows of raw
// series. The PromQL is built as a parser AST with this sentinel range, one
// no generator would choose, and exprText swaps the printed range for the
// variable.
const (
	rateInterval         = 1234*time.Hour + 56*time.Minute + 7*time.Second + 891*time.Millisecond
	rateIntervalVariable = "$__rate_interval"
)

// exprText prints e with the real parser's printer (MustString re-parses
// it) and puts the Grafana variable in place of the sentinel range.
func exprText(e promql.Expr) string {
	return strings.ReplaceAll(promql.MustString(e), "["+pmodel.Duration(rateInterval).String()+"]", "["+rateIntervalVariable+"]")
}

// varMatch matches label against the (multi-value) template variable v.
func varMatch(label, v string) *labels.Matcher { return promql.Re(label, "$"+v) }

// dsRef points a panel or query at the datasource variable.
func dsRef() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + dsVar + "}")}
}

// query is one PromQL target.
func query(e promql.Expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		Expr(exprText(e)).
		LegendFormat(legend).
		Datasource(dsRef()).
		EditorMode(prometheus.QueryEditorModeCode).
		Range()
}

// instant is a query for tables: the last value only, as a table.
func instant(e promql.Expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		Expr(exprText(e)).
		LegendFormat(legend).
		Datasource(dsRef()).
		EditorMode(prometheus.QueryEditorModeCode).
		Format(prometheus.PromQueryFormatTable).
		Instant()
}

// targets names the queries A, B, C... in order, so overrides can refer
// to them.
func targets(qs []*prometheus.DataqueryBuilder) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], len(qs))
	for i, q := range qs {
		out[i] = q.RefId(refID(i))
	}
	return out
}

func refID(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return fmt.Sprintf("Q%d", i)
}

// timeseriesPanel is the default time series: table legend with last and
// max, shared tooltip sorted by value.
func timeseriesPanel(title, desc, unit string, qs ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Title(title).
		Description(desc).
		Unit(unit).
		Datasource(dsRef()).
		Targets(targets(qs)).
		LineWidth(1).
		FillOpacity(10).
		ShowPoints(common.VisibilityModeNever).
		Legend(common.NewVizLegendOptionsBuilder().
			ShowLegend(true).
			DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementBottom).
			Calcs([]string{"lastNotNull", "max"})).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending))
}

// statPanel is the default stat: last value, colored by thresholds.
func statPanel(title, desc, unit string, qs ...*prometheus.DataqueryBuilder) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Title(title).
		Description(desc).
		Unit(unit).
		Datasource(dsRef()).
		Targets(targets(qs)).
		ColorMode(common.BigValueColorModeValue).
		GraphMode(common.BigValueGraphModeArea).
		TextMode(common.BigValueTextModeValueAndName).
		Orientation(common.VizOrientationAuto).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false))
}

// tablePanel is an instant table whose queries are merged on their labels;
// rename maps "Value #A" (the value column of query A) to a header.
func tablePanel(title, desc, unit string, rename map[string]string, hide []string, qs ...*prometheus.DataqueryBuilder) *table.PanelBuilder {
	exclude := map[string]any{"Time": true}
	for _, h := range hide {
		exclude[h] = true
	}
	renames := map[string]any{}
	for k, v := range rename {
		renames[k] = v
	}
	return table.NewPanelBuilder().
		Title(title).
		Description(desc).
		Unit(unit).
		Datasource(dsRef()).
		Targets(targets(qs)).
		WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
			"excludeByName": exclude,
			"renameByName":  renames,
		}}).
		Filterable(true)
}

// heatmapPanel shows a Prometheus histogram whose buckets the query already
// returns per le (format heatmap, no client-side calculation).
func heatmapPanel(title, desc, yUnit string, q *prometheus.DataqueryBuilder) *heatmap.PanelBuilder {
	return heatmap.NewPanelBuilder().
		Title(title).
		Description(desc).
		Unit(units.Short).
		Datasource(dsRef()).
		Targets(targets([]*prometheus.DataqueryBuilder{q.Format(prometheus.PromQueryFormatHeatmap)})).
		Calculate(false).
		YAxis(heatmap.NewYAxisConfigBuilder().Unit(yUnit)).
		Color(heatmap.NewHeatmapColorOptionsBuilder().
			Mode(heatmap.HeatmapColorModeScheme).
			Scheme("Oranges").
			Scale(heatmap.HeatmapColorScaleExponential).
			Exponent(0.5).
			Steps(64)).
		CellValues(heatmap.NewCellValuesBuilder().Unit(units.Short)).
		Tooltip(heatmap.NewHeatmapTooltipBuilder().Mode(common.TooltipDisplayModeSingle).YHistogram(true))
}

// step is one threshold: from value on (nil: from minus infinity), color.
type step struct {
	value *float64
	color string
}

func at(v float64, color string) step { return step{cog.ToPtr(promql.Canonical(v)), color} }
func base(color string) step          { return step{nil, color} }

func thresholds(steps ...step) *dashboard.ThresholdsConfigBuilder {
	out := make([]dashboard.Threshold, len(steps))
	for i, s := range steps {
		out[i] = dashboard.Threshold{Value: s.value, Color: s.color}
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(out)
}

// stacked stacks the series of a time series (parts of a total).
func stacked() *common.StackingConfigBuilder {
	return common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)
}

// thresholdLines draws thresholds as dashed lines on a time series.
func thresholdLines() *common.GraphThresholdsStyleConfigBuilder {
	return common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)
}

// rightAxis is the override that moves a query's series to a right-hand
// axis with its own unit (an overlay such as preemptions on KV-cache usage).
func rightAxis(unit string) []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{
		{Id: "unit", Value: unit},
		{Id: "custom.axisPlacement", Value: string(common.AxisPlacementRight)},
	}
}

// sized sets a panel's size at the call site, so panel functions carry no
// layout (the builder places panels left to right, wrapping at 24).
type sized struct {
	panel cog.Builder[dashboard.Panel]
	w, h  uint32
}

func (s sized) Build() (dashboard.Panel, error) {
	p, err := s.panel.Build()
	if err != nil {
		return p, err
	}
	p.GridPos = &dashboard.GridPos{W: s.w, H: s.h}
	return p, nil
}

func size(w, h uint32, p cog.Builder[dashboard.Panel]) cog.Builder[dashboard.Panel] {
	return sized{panel: p, w: w, h: h}
}

// addRow appends a row and its panels: after the row when expanded, inside
// it when collapsed (Grafana drops panels inside an expanded row).
func addRow(b *dashboard.DashboardBuilder, title string, collapsed bool, panels ...cog.Builder[dashboard.Panel]) {
	if len(panels) == 0 {
		return
	}
	r := dashboard.NewRowBuilder(title)
	if collapsed {
		for _, p := range panels {
			r.WithPanel(p)
		}
		b.WithRow(r)
		return
	}
	b.WithRow(r)
	for _, p := range panels {
		b.WithPanel(p)
	}
}

// rec selects a recorded series of this environment. The environment
// matcher also accepts a series without the label, so the dashboards work
// whether the rules stamp it on every series or leave it external.
func (c *ctx) rec(name string, ms ...*labels.Matcher) *parser.VectorSelector {
	env := promql.Re(library.LabelEnv, regexp.QuoteMeta(c.p.Environment)+"|")
	return promql.Sel(name, append(append([]*labels.Matcher(nil), ms...), env)...)
}

// recModel selects a recorded per-model series of model m.
func (c *ctx) recModel(name string, m *plan.Model, ms ...*labels.Matcher) *parser.VectorSelector {
	return c.rec(name, append([]*labels.Matcher{promql.Eq(library.LabelModel, m.Name)}, ms...)...)
}

// recModels selects a recorded per-model series of the models picked in the
// model variable.
func (c *ctx) recModels(name string, ms ...*labels.Matcher) *parser.VectorSelector {
	return c.rec(name, append([]*labels.Matcher{varMatch(library.LabelModel, modelVar)}, ms...)...)
}

// aggregate builds an aggregation the promql package has no helper for.
func aggregate(op parser.ItemType, e promql.Expr, by ...string) promql.Expr {
	g := append([]string(nil), by...)
	sort.Strings(g)
	return &parser.AggregateExpr{Op: op, Expr: e, Grouping: g}
}

// quantile is histogram_quantile(q, sum by (le, by...) (rate(bucket[$__rate_interval]))).
func quantile(q float64, bucket *parser.VectorSelector, by ...string) promql.Expr {
	return promql.Call("histogram_quantile", promql.Num(q), promql.Sum(promql.Rate(bucket, rateInterval), append([]string{labelLe}, by...)...))
}

// currencyUnit is Grafana's unit for an ISO currency code: the built-in
// one when Grafana has it (with its symbol), else Grafana's custom
// "currency:<symbol>" unit, which prefixes the symbol (the trailing space
// keeps the code apart from the number: "NZD 1.20").
func currencyUnit(code string) string {
	known := map[string]string{
		"USD": units.Dollars, "GBP": units.Pounds, "EUR": units.Euro, "JPY": units.Yen,
		"RUB": units.Rubles, "UAH": units.Hryvnias, "BRL": units.Real, "DKK": units.DanishKrone,
		"ISK": units.IcelandicKrona, "NOK": units.NorwegianKrone, "SEK": units.SwedishKrona,
		"CZK": units.CzechKoruna, "CHF": units.SwissFranc, "PLN": units.PolishZloty,
		"ZAR": units.SouthAfricanRand, "INR": units.IndianRupee, "KRW": units.SouthKoreanWon,
		"IDR": units.IndonesianRupiah, "PHP": units.PhilippinePeso, "VND": units.VietnameseDong,
		"TRY": units.TurkishLira, "MYR": units.MalaysianRinggit, "XPF": units.CFPFranc,
		"BGN": units.BulgarianLev, "PYG": units.Guarani, "UYU": units.UruguayPeso, "ILS": units.IsraeliNewShekels,
	}
	if u, ok := known[strings.ToUpper(code)]; ok {
		return u
	}
	return "currency:" + code + " "
}

// Units Grafana has no constant for.
const (
	unitBurnRate     = "suffix:×" // a burn-rate factor
	unitTokensPerSec = "si:tok/s" // tokens per second, SI-scaled
	unitTokens       = "si:tok"   // a token count, SI-scaled
)

// engineName is how titles name an engine.
func engineName(e library.Engine) string {
	switch e {
	case library.VLLM:
		return "vLLM"
	case library.TGI:
		return "TGI"
	}
	return string(e)
}

// engineLabel names a model's engine and version, e.g. "vLLM 0.11".
func engineLabel(m *plan.Model) string {
	return engineName(m.Engine()) + " " + m.Catalog.Version.Short()
}

// quoteAlternation is a regex matching exactly the given values.
func quoteAlternation(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = regexp.QuoteMeta(v)
	}
	return strings.Join(q, "|")
}

// pct names a quantile in legends and titles: 0.5 is p50, 0.999 p99.9.
func pct(q float64) string { return "p" + promql.FormatNumber(q*100) }
