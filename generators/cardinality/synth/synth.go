// Package synth renders synthetic /metrics expositions of the engines a
// plan serves, exactly as each engine's client library would print them:
// every family the engine's catalog exposes at the version, every
// data-parallel engine, every label-value combination, every histogram
// bucket (le text in the engine's style), _sum, _count, summary quantiles
// and the _created series Python's prometheus_client adds. Values are
// zero (and start timestamps fixed) so output is deterministic.
//
// The cardinality tests parse it with the Prometheus text parser (expfmt) to
// check the estimate against reality; a simulator can use it as a
// starting point for realistic scrapes.
package synth

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
)

// ContentType is the exposition format Exposition renders (the classic
// Prometheus text format both engines serve by default).
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// createdAt is the start timestamp the _created series carry.
const createdAt = 1.7e9

// Options tunes the deployment details the spec does not say.
type Options struct {
	// SpeculativeTokens is vLLM's num_speculative_tokens (0: the library
	// default).
	SpeculativeTokens int
}

// Exposition returns what replica (0-based) of model m serves on its
// metrics endpoint.
func Exposition(m *plan.Model, replica int) []byte { return ExpositionWith(m, replica, Options{}) }

// ExpositionWith is Exposition with options.
func ExpositionWith(m *plan.Model, replica int, o Options) []byte {
	cat := m.Catalog
	d := m.Deployment()
	d.SpeculativeTokens = o.SpeculativeTokens
	python := cat.Engine() == library.VLLM
	var b bytes.Buffer
	var created bytes.Buffer // prometheus_client prints _created families after their parent
	for _, f := range cat.Metrics() {
		sets := labelSets(m, f, d)
		typ := string(f.Type)
		if f.Type == library.InfoType {
			typ = string(library.Gauge) // vLLM's info metrics are gauges set to 1
		}
		fmt.Fprintf(&b, "# HELP %s %s\n", f.Name, escapeHelp(f.Help))
		fmt.Fprintf(&b, "# TYPE %s %s\n", f.Name, typ)
		for _, ls := range sets {
			switch f.Type {
			case library.Histogram:
				for _, bound := range cat.ExposedBuckets(f, d) {
					sample(&b, f.Series("_bucket"), with(ls, "le", cat.Info.LeStyle.LeText(bound)), "0", python)
				}
				sample(&b, f.Series("_bucket"), with(ls, "le", "+Inf"), "0", python)
				if python {
					sample(&b, f.Series("_count"), ls, "0", python)
					sample(&b, f.Series("_sum"), ls, "0", python)
				} else {
					sample(&b, f.Series("_sum"), ls, "0", python)
					sample(&b, f.Series("_count"), ls, "0", python)
				}
			case library.Summary:
				for _, q := range cat.SummaryQuantiles() {
					sample(&b, f.Name, with(ls, model.QuantileLabel, strconv.FormatFloat(q, 'g', -1, 64)), "0", python)
				}
				sample(&b, f.Series("_sum"), ls, "0", python)
				sample(&b, f.Series("_count"), ls, "0", python)
			case library.InfoType:
				sample(&b, f.Name, ls, "1", python)
			default:
				sample(&b, f.Name, ls, "0", python)
			}
		}
		if c := cat.CreatedSeries(f); c != "" {
			created.Reset()
			fmt.Fprintf(&created, "# HELP %s %s\n# TYPE %s gauge\n", c, escapeHelp(f.Help), c)
			for _, ls := range sets {
				sample(&created, c, ls, strconv.FormatFloat(createdAt, 'e', -1, 64), python)
			}
			b.Write(created.Bytes())
		}
	}
	return b.Bytes()
}

// TargetLabels returns the labels Prometheus attaches to the series of a
// replica's scrape: the model's selector (as relabeled target labels), a
// distinct instance and pod.
func TargetLabels(m *plan.Model, replica int) labels.Labels {
	pod := fmt.Sprintf("%s-%d", m.Name, replica)
	ls := map[string]string{}
	for k, v := range m.Spec.Selector {
		ls[k] = v
	}
	ls[model.InstanceLabel] = fmt.Sprintf("%s:%d", pod, m.MetricsPort())
	ls["pod"] = pod
	return labels.FromMap(ls)
}

type label struct{ name, value string }

// labelSets returns every label set of family f in one replica: the common
// labels (model name, data-parallel engine), then each label's values, in
// the family's label order.
func labelSets(m *plan.Model, f library.Metric, d library.Deployment) [][]label {
	cat := m.Catalog
	sets := [][]label{nil}
	if !f.NoCommonLabels {
		for _, l := range cat.CommonLabels() {
			var vs []string
			switch {
			case cat.HasDataParallelLabel() && l == cat.Info.DataParallelLabel:
				vs = library.DataParallelValues(d.DataParallel)
			default: // the model-name label
				vs = []string{m.Spec.ServedName}
			}
			sets = cross(sets, l, vs)
		}
	}
	for _, l := range f.Labels {
		vs, ok := cat.LabelValues(f, l, d)
		if !ok || len(vs) == 0 {
			vs = []string{"unknown"}
		}
		sets = cross(sets, l, vs)
	}
	return sets
}

func cross(sets [][]label, name string, values []string) [][]label {
	out := make([][]label, 0, len(sets)*len(values))
	for _, s := range sets {
		for _, v := range values {
			out = append(out, append(slices.Clone(s), label{name, v}))
		}
	}
	return out
}

func with(ls []label, name, value string) []label {
	return append(slices.Clone(ls), label{name, value})
}

// sample writes one exposition line. prometheus_client prints values as
// Python floats (0.0); the Rust exporter as integers where exact.
func sample(b *bytes.Buffer, name string, ls []label, value string, python bool) {
	b.WriteString(name)
	if len(ls) > 0 {
		b.WriteByte('{')
		for i, l := range ls {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(l.name)
			b.WriteString(`="`)
			b.WriteString(escapeValue(l.value))
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	if python && !strings.ContainsAny(value, ".e") {
		value += ".0"
	}
	b.WriteString(value)
	b.WriteByte('\n')
}

var valueEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

func escapeValue(s string) string { return valueEscaper.Replace(s) }

var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

func escapeHelp(s string) string { return helpEscaper.Replace(s) }
