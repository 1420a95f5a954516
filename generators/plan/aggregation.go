package plan

import (
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
)

// Aggregation is one vmagent stream aggregation rule: the bucket series of
// a histogram summed over the labels that tell replicas apart. With
// cardinality.streamAggregation on, SLIs, quantiles and dashboards read
// Output instead of Input.
type Aggregation struct {
	Model    *Model // nil for the spanmetrics histogram
	Family   string
	Input    string // raw _bucket series
	Match    []*labels.Matcher
	Interval time.Duration
	Without  []string
	Output   string // the aggregated series name vmagent writes
}

// Replica-identifying target labels: Prometheus's instance, and the pod
// label Kubernetes service discovery adds.
const (
	instanceLabel = "instance"
	podLabel      = "pod"
)

// aggregations computes the stream aggregation rules of the plan. They are
// computed whether or not aggregation is on (the cardinality report shows
// what it would save); Plan.Aggregate says whether the rules read them.
func (b *builder) aggregations() {
	p := b.p
	iv := library.AggregationInterval(p.ScrapeInterval)
	for _, m := range p.Models {
		without := library.SortedLabels(append([]string{instanceLabel, podLabel}, m.DropLabels...))
		for _, r := range library.AggregatedRoles() {
			f, ok := m.Metric(r)
			if !ok || f.Type != library.Histogram {
				continue
			}
			in := f.Series("_bucket")
			p.Aggregations = append(p.Aggregations, Aggregation{
				Model: m, Family: f.Name, Input: in, Match: m.Matchers, Interval: iv, Without: without,
				Output: library.AggregatedName(in, iv, without, library.AggregationOutput),
			})
		}
	}
	if tr := p.Tracing; tr != nil {
		sm := tr.SpanMetrics
		without := []string{instanceLabel, podLabel}
		if sm.Labels.CollectorInstanceID != "" {
			without = append(without, sm.Labels.CollectorInstanceID)
		}
		without = library.SortedLabels(without)
		var spans []string
		for _, s := range tr.Spec.Spans {
			spans = append(spans, s)
		}
		sort.Strings(spans)
		var ms []*labels.Matcher
		if len(spans) > 0 {
			q := make([]string, len(spans))
			for i, s := range spans {
				q[i] = regexp.QuoteMeta(s)
			}
			ms = append(ms, promql.Re(sm.Labels.SpanName, strings.Join(q, "|")))
		}
		in := sm.DurationFamily + "_bucket"
		p.Aggregations = append(p.Aggregations, Aggregation{
			Family: sm.DurationFamily, Input: in, Match: ms, Interval: iv, Without: without,
			Output: library.AggregatedName(in, iv, without, library.AggregationOutput),
		})
	}
}

// aggregated returns the series to read for the _bucket series of family
// (of model m, or spanmetrics when m is nil).
func (p *Plan) aggregated(m *Model, family string) string {
	if p.Aggregate {
		for _, a := range p.Aggregations {
			if a.Model == m && a.Family == family {
				return a.Output
			}
		}
	}
	return family + "_bucket"
}

// BucketSeries is the bucket series to read for one of the model's
// histograms: vmagent's aggregated series when stream aggregation is on
// and the family is aggregated, else the raw _bucket series.
func (m *Model) BucketSeries(f library.Metric) string { return m.plan.aggregated(m, f.Name) }

// Plan returns the plan the model belongs to.
func (m *Model) Plan() *Plan { return m.plan }

// DurationBuckets is the spanmetrics duration bucket series to read.
func (t *Tracing) DurationBuckets() string {
	return t.plan.aggregated(nil, t.SpanMetrics.DurationFamily)
}
