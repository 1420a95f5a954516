package plan_test

import (
	"strings"
	"testing"
)

// TestScrapeWarnings: every engine is scraped by exactly one of the
// collector and the operator, or the spec is warned, at tracing.scrape.
func TestScrapeWarnings(t *testing.T) {
	const k8s = `kubernetes: namespace: "llm"`
	for _, tc := range []struct {
		name, add string
		want      string // substring of the one tracing.scrape warning; "" for none
		exposes   bool   // the collector's metrics are scraped, not written
	}{
		{"monitors and the collector's scrape", k8s, `the engines would be scraped twice`, false},
		{"and DCGM twice too", k8s + "\n" + `kubernetes: dcgmExporter: podLabels: app: "dcgm"`, `(and the DCGM exporter, which kubernetes.dcgmExporter has a PodMonitor scrape)`, false},
		{"written scrape: true", k8s + "\ntracing: scrape: true", `the engines would be scraped twice`, false},
		{"monitors only", k8s + "\n" + `kubernetes: dcgmExporter: podLabels: app: "dcgm"` + "\ntracing: scrape: false", "", true},
		{"monitors, DCGM unscraped", k8s + "\ntracing: scrape: false", `nothing inferobs generates scrapes the DCGM exporter`, true},
		{"collector only", k8s + "\n" + `kubernetes: monitors: "none"`, "", false},
		{"no kubernetes block", "", "", false},
		{"nobody scrapes", "tracing: scrape: false", `nothing inferobs generates scrapes the engines`, false},
		{"nobody scrapes, monitors none", k8s + "\n" + `kubernetes: monitors: "none"` + "\ntracing: scrape: false", `nothing inferobs generates scrapes the engines`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ds := planOf(t, tc.add)
			if p == nil {
				t.Fatalf("plan: %v", ds.Err())
			}
			var got []string
			for _, d := range ds {
				if d.Path == "tracing.scrape" {
					got = append(got, d.String())
				}
			}
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("unexpected warnings: %v", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("got %v, want one warning with %q", got, tc.want)
			case tc.want != "" && !strings.HasPrefix(got[0], "spec.cue:") || tc.want != "" && !strings.Contains(got[0], ": warning: tracing.scrape: "):
				t.Errorf("not a positioned warning on tracing.scrape: %s", got[0])
			}
			if tc.want == "the engines would be scraped twice" && !strings.Contains(got[0], `set tracing.scrape: false (the collector then only receives OTLP) or kubernetes.monitors: "none"`) {
				t.Errorf("the warning does not give the fix: %s", got[0])
			}
			if p.CollectorExposesMetrics() != tc.exposes {
				t.Errorf("CollectorExposesMetrics = %v, want %v", p.CollectorExposesMetrics(), tc.exposes)
			}
		})
	}
}
