package rules

import (
	"strings"
	"testing"

	"github.com/inferobs/inferobs/generators/promql"
)

// TestMatchingErrors: the static matching check finds on() labels one side
// never has and closed sides with different labels, at any depth, once
// each, and passes matchings that can match.
func TestMatchingErrors(t *testing.T) {
	for _, c := range []struct {
		expr string
		want []string // substrings, one per error, in order
	}{
		{`sum by (tenant) (rate(a[5m])) / on (tenant) sum by (tenant) (rate(b[5m]))`, nil},
		{`sum by (tenant) (rate(a[5m])) / on (model) sum by (tenant) (rate(b[5m]))`, []string{`on(model) names "model"`}},
		{`sum by (tenant) (a) / sum by (model) (b)`, []string{"carry different labels"}},
		{`max(sum by (tenant) (a) / sum by (model) (b)) > on (tenant) sum by (tenant) (c)`, []string{`on(tenant) names "tenant"`, "carry different labels"}},
		{`histogram_quantile(0.9, sum by (le, model) (rate(a_bucket[5m]))) > on (model) sum by (model) (b)`, nil},
		{`label_replace(sum by (pod) (a), "model", "$1", "pod", "(.*)") / on (model) sum by (model) (b)`, nil},
		{`sum by (tenant) (a) / on (pod) b`, []string{`on(pod) names "pod"`}},
		{`sum without (pod) (a) / on (tenant) b`, nil}, // open: it may have tenant
		{`a / on (tenant) group_left (model) b`, nil},
	} {
		e, err := promql.Parse(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		got := matchingErrors(e)
		if len(got) != len(c.want) {
			t.Errorf("%s: %d errors, want %d: %q", c.expr, len(got), len(c.want), got)
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s: error %d is %q, want it to contain %q", c.expr, i, got[i], w)
			}
		}
	}
}
