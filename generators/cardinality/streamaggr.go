package cardinality

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"go.yaml.in/yaml/v3"

	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
)

// StreamAggrPath is where the vmagent stream aggregation config goes.
const StreamAggrPath = "vmagent/stream-aggr.yaml"

// AggrOutput is the vmagent output inferobs aggregates histogram buckets
// with: a running total per bucket, a counter the rules can rate().
const AggrOutput = "total"

// Target labels that tell the replicas of a model apart: Prometheus's
// instance, and the pod label Kubernetes service discovery adds.
const (
	instanceLabel = model.InstanceLabel
	podLabel      = "pod"
)

// aggregatedRoles are the engine histograms stream aggregation pre-rolls:
// the high-cardinality ones the rules read quantiles and SLIs from.
var aggregatedRoles = []library.Role{library.RoleTTFT, library.RoleITL, library.RoleE2E}

// AggrRule is one vmagent stream aggregation rule.
type AggrRule struct {
	Name     string // the rule's name (a label of vmagent's self-metrics)
	Model    string // spec model key; "" for the spanmetrics rule
	Family   string // the histogram's base name
	Match    string // selector of the family's _bucket series
	Interval time.Duration
	Without  []string // sorted
	Output   string
	// Series is the aggregated series name vmagent writes (AggregatedName).
	Series string
}

// AggregatedName is the series name vmagent gives an aggregation output
// (lib/streamaggr: the input name, ":" and the interval as written in the
// config, "_without_" and the sorted labels joined by "_", "_" and the
// output), e.g. foo_bucket:1m_without_instance_pod_total. The interval is
// printed the way StreamAggregation writes it into the config.
func AggregatedName(series string, interval time.Duration, without []string, output string) string {
	var b strings.Builder
	b.WriteString(series)
	b.WriteString(":")
	b.WriteString(IntervalText(interval))
	if ls := sortedLabels(without); len(ls) > 0 {
		b.WriteString("_without_")
		b.WriteString(strings.Join(ls, "_"))
	}
	b.WriteString("_")
	b.WriteString(output)
	return b.String()
}

// IntervalText prints an aggregation interval as both vmagent (Go
// durations) and Prometheus read it: 1m, 1m30s, 2m.
func IntervalText(d time.Duration) string { return model.Duration(d).String() }

// sortedLabels sorts and dedups labels and drops __name__, as vmagent does
// before naming outputs.
func sortedLabels(ls []string) []string {
	out := slices.Clone(ls)
	sort.Strings(out)
	out = slices.Compact(out)
	return slices.DeleteFunc(out, func(s string) bool { return s == labels.MetricName })
}

// AggregationInterval derives the aggregation interval from the scrape
// interval: at least 2× the scrape interval (vmagent's recommendation, so
// every interval sees two samples of each series), at least 1m, rounded up
// to 30s.
func AggregationInterval(scrape time.Duration) time.Duration {
	d := max(2*scrape, time.Minute)
	const step = 30 * time.Second
	if r := d % step; r != 0 {
		d += step - r
	}
	return d
}

// aggregatable reports whether stream aggregation pre-rolls family f of m.
func aggregatable(m *plan.Model, f library.Metric) bool {
	if f.Type != library.Histogram {
		return false
	}
	for _, r := range aggregatedRoles {
		if rf, ok := m.Metric(r); ok && rf.Name == f.Name {
			return true
		}
	}
	return false
}

// AggregationRules returns the rules StreamAggregation emits for the plan
// (whether or not cardinality.streamAggregation is on): per model, one per
// TTFT, ITL and E2E histogram its engine version has; and one for the
// spanmetrics duration histogram of the configured spans. Each drops the
// labels that tell replicas, data-parallel engines and collectors apart and
// keeps le and every label the rules group or select by.
func AggregationRules(p *plan.Plan) []AggrRule {
	iv := AggregationInterval(p.ScrapeInterval)
	var out []AggrRule
	for _, m := range p.Models {
		without := sortedLabels(append([]string{instanceLabel, podLabel}, m.DropLabels...))
		for _, r := range aggregatedRoles {
			f, ok := m.Metric(r)
			if !ok || f.Type != library.Histogram {
				continue
			}
			bucket := f.Series("_bucket")
			out = append(out, AggrRule{
				Name: m.Name + ":" + string(r), Model: m.Name, Family: f.Name,
				Match:    m.Select(bucket).String(),
				Interval: iv, Without: without, Output: AggrOutput,
				Series: AggregatedName(bucket, iv, without, AggrOutput),
			})
		}
	}
	if tr := p.Tracing; tr != nil {
		sm := tr.SpanMetrics
		without := []string{instanceLabel, podLabel}
		if sm.Labels.CollectorInstanceID != "" {
			without = append(without, sm.Labels.CollectorInstanceID)
		}
		without = sortedLabels(without)
		bucket := sm.DurationFamily + "_bucket"
		var ms []*labels.Matcher
		switch spans := spanNames(p); len(spans) {
		case 0:
		case 1:
			ms = append(ms, promql.Eq(sm.Labels.SpanName, spans[0]))
		default:
			q := make([]string, len(spans))
			for i, s := range spans {
				q[i] = regexp.QuoteMeta(s)
			}
			ms = append(ms, promql.Re(sm.Labels.SpanName, strings.Join(q, "|")))
		}
		out = append(out, AggrRule{
			Name: "spanmetrics:duration", Family: sm.DurationFamily,
			Match:    promql.Sel(bucket, ms...).String(),
			Interval: iv, Without: without, Output: AggrOutput,
			Series: AggregatedName(bucket, iv, without, AggrOutput),
		})
	}
	return out
}

// AggregatedSeries returns the aggregated _bucket series the rules should
// read for family of model m (nil m: the spanmetrics duration histogram)
// when cardinality.streamAggregation is on.
func AggregatedSeries(p *plan.Plan, m *plan.Model, family string) (string, bool) {
	if !p.Spec.Cardinality.StreamAggregation {
		return "", false
	}
	name := ""
	if m != nil {
		name = m.Name
	}
	for _, a := range AggregationRules(p) {
		if a.Model == name && a.Family == family {
			return a.Series, true
		}
	}
	return "", false
}

type vmRule struct {
	Name     string   `yaml:"name"`
	Match    string   `yaml:"match"`
	Interval string   `yaml:"interval"`
	Without  []string `yaml:"without,flow"`
	Outputs  []string `yaml:"outputs,flow"`
}

// StreamAggregation emits vmagent/stream-aggr.yaml when
// cardinality.streamAggregation is on, and nothing otherwise.
func StreamAggregation(p *plan.Plan) ([]emit.Artifact, error) {
	if !p.Spec.Cardinality.StreamAggregation {
		return nil, nil
	}
	rules := AggregationRules(p)
	var b bytes.Buffer
	fmt.Fprintf(&b, "# vmagent stream aggregation for %s, generated by inferobs; do not edit.\n", p.Environment)
	b.WriteString("# Load it with -remoteWrite.streamAggr.config (or -streamAggr.config) and leave\n")
	b.WriteString("# -streamAggr.keepInput off: vmagent then drops the matched raw _bucket series and\n")
	b.WriteString("# writes one aggregated counter per bucket instead. The rules read:\n")
	seen := map[string]bool{}
	for _, r := range rules {
		if !seen[r.Series] {
			seen[r.Series] = true
			fmt.Fprintf(&b, "#   %s\n", r.Series)
		}
	}
	vm := make([]vmRule, len(rules))
	for i, r := range rules {
		vm[i] = vmRule{Name: r.Name, Match: r.Match, Interval: IntervalText(r.Interval), Without: r.Without, Outputs: []string{r.Output}}
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(vm); err != nil {
		return nil, fmt.Errorf("stream aggregation config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return []emit.Artifact{{Path: StreamAggrPath, Data: b.Bytes()}}, nil
}
