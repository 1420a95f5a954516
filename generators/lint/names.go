package lint

import (
	"github.com/inferobs/inferobs/schema/diag"

	"strings"

	"github.com/inferobs/inferobs/library"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Suffixes of the series a classic histogram or summary family exposes.
const (
	sufBucket  = "_bucket"
	sufSum     = "_sum"
	sufCount   = "_count"
	sufCreated = "_created"
)

// series is a selector's metric name resolved against a catalog.
type series struct {
	name   string
	cat    *library.Catalog
	fam    library.Metric
	suffix string // "", _bucket, _sum, _count or _created
}

// selectorName returns the metric name a selector asks for, from its name
// or an equality matcher on __name__.
func selectorName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

// resolveSeries looks a series name up in the catalog at its version.
func resolveSeries(cat *library.Catalog, name string) (series, bool) {
	if fam, ok := cat.SeriesFamily(name); ok {
		return series{name: name, cat: cat, fam: fam, suffix: strings.TrimPrefix(name, fam.Name)}, true
	}
	if base, ok := strings.CutSuffix(name, sufCreated); ok {
		for _, b := range []string{base, base + cat.Info.CounterSuffix} {
			if fam, ok := cat.ByName(b); ok && fam.Type != library.Gauge && fam.Type != library.InfoType {
				return series{name: name, cat: cat, fam: fam, suffix: sufCreated}, true
			}
		}
	}
	return series{}, false
}

// isCounter reports whether the series only grows (until a restart).
func (s series) isCounter() bool {
	switch s.fam.Type {
	case library.Counter:
		return s.suffix == ""
	case library.Histogram, library.Summary:
		return s.suffix == sufBucket || s.suffix == sufSum || s.suffix == sufCount
	default:
		return false
	}
}

// isGauge reports whether the series is a point-in-time value.
func (s series) isGauge() bool {
	switch s.fam.Type {
	case library.Gauge, library.InfoType:
		return true
	case library.Summary:
		return s.suffix == "" // quantile series
	default:
		return s.suffix == sufCreated
	}
}

// splitSeries cuts a histogram/summary/created suffix off a name.
func splitSeries(name string) (base, suffix string) {
	for _, suf := range []string{sufBucket, sufSum, sufCount, sufCreated} {
		if b, ok := strings.CutSuffix(name, suf); ok {
			return b, suf
		}
	}
	return name, ""
}

// exposedSeries lists every series name the catalog exposes.
func exposedSeries(cat *library.Catalog) []string {
	var out []string
	for _, m := range cat.Metrics() {
		switch m.Type {
		case library.Histogram:
			out = append(out, m.Name+sufBucket, m.Name+sufSum, m.Name+sufCount)
		case library.Summary:
			out = append(out, m.Name, m.Name+sufSum, m.Name+sufCount)
		default:
			out = append(out, m.Name)
		}
	}
	return out
}

// nearest returns the candidate closest to name by edit distance, when it
// is close enough to be a typo (at most a third of the name's length).
func nearest(name string, candidates []string) (string, bool) {
	best, bestD := "", -1
	for _, c := range candidates {
		d := diag.EditDistance(name, c)
		if bestD < 0 || d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > max(2, len(name)/3) {
		return "", false
	}
	return best, true
}
