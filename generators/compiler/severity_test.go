package compiler_test

import (
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/inferobs/inferobs/generators/compiler"
)

// severityCounts checks every alert the result carries, in the rule
// files, the promtool tests' expected alerts, the docs' severity columns
// and the dashboards' text, against the allowed severities and the static
// alert labels; it returns how many alerts of each severity it saw.
func severityCounts(t *testing.T, r *compiler.Result, allowed []string, static map[string]string) map[string]int {
	t.Helper()
	ok := func(v string) bool {
		for _, a := range allowed {
			if v == a {
				return true
			}
		}
		return false
	}
	seen := map[string]int{}
	cell := regexp.MustCompile(`\s*\|\s*`)
	for _, a := range r.Artifacts {
		switch {
		case strings.HasPrefix(a.Path, "prometheus/"):
			rgs, errs := rulefmt.Parse(a.Data, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
			if len(errs) > 0 {
				t.Fatalf("%s: %v", a.Path, errs)
			}
			for _, g := range rgs.Groups {
				for _, rule := range g.Rules {
					if rule.Alert == "" {
						continue
					}
					sev := rule.Labels["severity"]
					seen[sev]++
					if !ok(sev) {
						t.Errorf("%s: alert %s has severity %q, want one of %v", a.Path, rule.Alert, sev, allowed)
					}
					for k, v := range static {
						if rule.Labels[k] != v {
							t.Errorf("%s: alert %s has %s=%q, want %q", a.Path, rule.Alert, k, rule.Labels[k], v)
						}
					}
				}
			}
		case strings.HasPrefix(a.Path, "tests/"):
			var f struct {
				Tests []struct {
					AlertRuleTest []struct {
						Alertname string `yaml:"alertname"`
						ExpAlerts []struct {
							ExpLabels map[string]string `yaml:"exp_labels"`
						} `yaml:"exp_alerts"`
					} `yaml:"alert_rule_test"`
				} `yaml:"tests"`
			}
			if err := yaml.Unmarshal(a.Data, &f); err != nil {
				t.Fatalf("%s: %v", a.Path, err)
			}
			for _, g := range f.Tests {
				for _, at := range g.AlertRuleTest {
					for _, e := range at.ExpAlerts {
						seen["test:"+e.ExpLabels["severity"]]++
						if !ok(e.ExpLabels["severity"]) {
							t.Errorf("%s: %s expects severity %q", a.Path, at.Alertname, e.ExpLabels["severity"])
						}
						for k, v := range static {
							if e.ExpLabels[k] != v {
								t.Errorf("%s: %s expects %s=%q, want %q", a.Path, at.Alertname, k, e.ExpLabels[k], v)
							}
						}
					}
				}
			}
		case strings.HasPrefix(a.Path, "docs/"):
			col := -1
			for _, line := range strings.Split(string(a.Data), "\n") {
				if !strings.HasPrefix(line, "|") {
					col = -1
					continue
				}
				cells := cell.Split(strings.Trim(line, "|"), -1)
				if col < 0 {
					for i, c := range cells {
						if strings.TrimSpace(c) == "severity" {
							col = i
						}
					}
					continue
				}
				if col >= len(cells) || strings.HasPrefix(cells[col], "---") {
					continue
				}
				seen["doc:"+strings.TrimSpace(cells[col])]++
				if v := strings.TrimSpace(cells[col]); !ok(v) {
					t.Errorf("%s: severity cell %q in %q", a.Path, v, line)
				}
			}
		case strings.HasPrefix(a.Path, "grafana/"):
			for _, m := range regexp.MustCompile(`severity=(\w+)`).FindAllStringSubmatch(string(a.Data), -1) {
				seen["dashboard:"+m[1]]++
				if !ok(m[1]) {
					t.Errorf("%s: text says severity=%s", a.Path, m[1])
				}
			}
		}
	}
	return seen
}

// TestSeverityMapping: with a kubernetes block mapping page and ticket to
// critical and warning (or to anything else), every alert, every promtool
// test's expected alert, the docs and the dashboards use the mapped
// values and carry the block's alertLabels, and the generated tests still
// pass in process on the mapped rules; without the block they say page
// and ticket.
func TestSeverityMapping(t *testing.T) {
	for _, c := range []struct {
		block   string
		allowed []string
		static  map[string]string
	}{
		{``, []string{"page", "ticket"}, nil},
		{`kubernetes: {namespace: "llm", severity: {page: "critical", ticket: "warning"}, alertLabels: team: "ml-platform"}`, []string{"critical", "warning"}, map[string]string{"team": "ml-platform"}},
		{`kubernetes: {namespace: "llm", severity: {page: "P1", ticket: "P3"}}`, []string{"P1", "P3"}, nil},
	} {
		r, err := compiler.CompileFiles(compiler.File{Name: "spec.cue", Data: []byte(oneSLO + c.block + "\n")})
		if err != nil {
			t.Fatal(err)
		}
		seen := severityCounts(t, r, c.allowed, c.static)
		for _, where := range []string{"", "test:", "doc:", "dashboard:"} {
			for _, sev := range c.allowed {
				if seen[where+sev] == 0 {
					t.Errorf("%v: no %q severity %s seen (%v)", c.allowed, where, sev, seen)
				}
			}
		}
		// The in-process run once, on the critical/warning mapping.
		if testing.Short() || c.static == nil {
			continue
		}
		if err := r.VerifyTests(); err != nil {
			t.Errorf("%v: generated tests fail on the mapped rules:\n%v", c.allowed, err)
		}
	}
	// The example deploys with the default mapping and a team label.
	r := compileExample(t, "kube-prometheus-stack")
	seen := severityCounts(t, r, []string{"critical", "warning"}, map[string]string{"team": "ml-platform"})
	t.Logf("kube-prometheus-stack: %v", seen)
}
