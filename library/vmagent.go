package library

import (
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// vmagent stream aggregation: how it names its outputs
// (lib/streamaggr: input name, ":", the interval as written in the config,
// "_without_" and the sorted labels joined by "_", then "_" and the output),
// and which histograms inferobs pre-aggregates.

// AggregationOutput is the output inferobs aggregates bucket series with: a
// running total per bucket, a counter the rules can rate().
const AggregationOutput = "total"

// AggregatedRoles are the engine histograms worth pre-aggregating: the
// high-cardinality ones the rules read SLIs and quantiles from.
func AggregatedRoles() []Role { return []Role{RoleTTFT, RoleITL, RoleE2E} }

// AggregatedName is the series name vmagent writes for an aggregation, e.g.
// foo_bucket:1m_without_instance_pod_total.
func AggregatedName(series string, interval time.Duration, without []string, output string) string {
	ls := SortedLabels(without)
	var b strings.Builder
	b.WriteString(series + ":" + model.Duration(interval).String())
	if len(ls) > 0 {
		b.WriteString("_without_" + strings.Join(ls, "_"))
	}
	b.WriteString("_" + output)
	return b.String()
}

// SortedLabels sorts and dedups label names and drops __name__, as vmagent
// does before naming outputs.
func SortedLabels(ls []string) []string {
	out := append([]string(nil), ls...)
	sort.Strings(out)
	var dedup []string
	for i, l := range out {
		if l == "__name__" || (i > 0 && l == out[i-1]) {
			continue
		}
		dedup = append(dedup, l)
	}
	return dedup
}

// AggregationInterval derives the aggregation interval from the scrape
// interval: at least twice it (so every interval sees two samples of each
// series), at least 1m, rounded up to 30s.
func AggregationInterval(scrape time.Duration) time.Duration {
	d := max(2*scrape, time.Minute)
	const step = 30 * time.Second
	if r := d % step; r != 0 {
		d += step - r
	}
	return d
}
