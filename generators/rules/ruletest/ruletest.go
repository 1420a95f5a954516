// Package ruletest runs promtool-format rule unit tests in process, on the
// Prometheus 3 rule engine of this module (promql/promqltest's storage and
// the rules package), the way `promtool test rules` does: every rule group
// is evaluated at every evaluation interval and alerts are compared with
// their labels and annotations at each eval_time.
package ruletest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/rules"
	"go.yaml.in/yaml/v3"
)

type file struct {
	RuleFiles          []string       `yaml:"rule_files"`
	EvaluationInterval model.Duration `yaml:"evaluation_interval"`
	GroupEvalOrder     []string       `yaml:"group_eval_order"`
	Tests              []group        `yaml:"tests"`
}

type group struct {
	Name        string `yaml:"name"`
	Interval    model.Duration
	InputSeries []struct {
		Series string `yaml:"series"`
		Values string `yaml:"values"`
	} `yaml:"input_series"`
	AlertTests []struct {
		EvalTime  model.Duration `yaml:"eval_time"`
		Alertname string         `yaml:"alertname"`
		ExpAlerts []struct {
			ExpLabels      map[string]string `yaml:"exp_labels"`
			ExpAnnotations map[string]string `yaml:"exp_annotations"`
		} `yaml:"exp_alerts"`
	} `yaml:"alert_rule_test"`
}

// Result is what one test group did.
type Result struct {
	Name     string
	Failures []string
	Evals    int // rule group evaluations performed
}

// RunFile runs every test group of a promtool test file; rule_files are
// resolved relative to the file. It returns an error when the file cannot
// be run and a Result per group otherwise.
func RunFile(path string) ([]Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f file
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.EvaluationInterval == 0 {
		f.EvaluationInterval = model.Duration(time.Minute)
	}
	var ruleFiles []string
	for _, r := range f.RuleFiles {
		ruleFiles = append(ruleFiles, filepath.Join(filepath.Dir(path), r))
	}
	var out []Result
	for _, g := range f.Tests {
		r, err := runGroup(g, time.Duration(f.EvaluationInterval), ruleFiles, f.GroupEvalOrder)
		if err != nil {
			return nil, fmt.Errorf("%s: test %q: %w", path, g.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func runGroup(g group, every time.Duration, ruleFiles, evalOrder []string) (Result, error) {
	res := Result{Name: g.Name}
	if g.Interval == 0 {
		g.Interval = model.Duration(every)
	}
	var load strings.Builder
	fmt.Fprintf(&load, "load %s\n", g.Interval)
	for _, s := range g.InputSeries {
		fmt.Fprintf(&load, "  %s %s\n", s.Series, s.Values)
	}
	p := parser.NewParser(parser.Options{})
	suite, err := promqltest.NewLazyLoader(load.String(), promqltest.LazyLoaderOpts{EnableAtModifier: true, EnableNegativeOffset: true, Parser: p})
	if err != nil {
		return res, fmt.Errorf("input series: %w", err)
	}
	defer suite.Close()
	mgr := newManager(suite, p)
	groupsMap, errs := mgr.LoadGroups(every, labels.EmptyLabels(), "", nil, false, ruleFiles...)
	if len(errs) > 0 {
		return res, errors.Join(errs...)
	}
	groups := make([]*rules.Group, 0, len(groupsMap))
	for _, gr := range groupsMap {
		groups = append(groups, gr)
	}
	// group_eval_order first, as promtool does; then by file and name.
	pos := map[string]int{}
	for i, n := range evalOrder {
		pos[n] = i + 1
	}
	sort.Slice(groups, func(i, j int) bool {
		if pi, pj := pos[groups[i].Name()], pos[groups[j].Name()]; pi != pj {
			return pi > 0 && (pj == 0 || pi < pj)
		}
		if groups[i].File() != groups[j].File() {
			return groups[i].File() < groups[j].File()
		}
		return groups[i].Name() < groups[j].Name()
	})
	for _, gr := range groups {
		for _, r := range gr.Rules() {
			if a, ok := r.(*rules.AlertingRule); ok {
				a.SetRestored(true)
			}
		}
	}
	checks := map[time.Duration][]int{}
	var maxT time.Duration
	for i, at := range g.AlertTests {
		checks[time.Duration(at.EvalTime)] = append(checks[time.Duration(at.EvalTime)], i)
		maxT = max(maxT, time.Duration(at.EvalTime))
	}
	start := time.Unix(0, 0).UTC()
	for t := time.Duration(0); t <= maxT; t += every {
		ts := start.Add(t)
		var evalErr error
		suite.WithSamplesTill(ts, func(err error) {
			if err != nil {
				evalErr = err
				return
			}
			for _, gr := range groups {
				gr.Eval(context.Background(), ts)
				res.Evals++
				for _, r := range gr.Rules() {
					if r.LastError() != nil {
						evalErr = fmt.Errorf("rule %s at %s: %w", r.Name(), model.Duration(t), r.LastError())
					}
				}
			}
		})
		if evalErr != nil {
			return res, evalErr
		}
		for _, i := range checks[t] {
			at := g.AlertTests[i]
			var want []string
			for _, a := range at.ExpAlerts {
				l := map[string]string{"alertname": at.Alertname}
				for k, v := range a.ExpLabels {
					l[k] = v
				}
				want = append(want, labels.FromMap(l).String()+" "+labels.FromMap(a.ExpAnnotations).String())
			}
			var got []string
			for _, gr := range groups {
				for _, r := range gr.Rules() {
					a, ok := r.(*rules.AlertingRule)
					if !ok || a.Name() != at.Alertname {
						continue
					}
					for _, act := range a.ActiveAlerts() {
						if act.State == rules.StateFiring {
							got = append(got, act.Labels.String()+" "+act.Annotations.String())
						}
					}
				}
			}
			sort.Strings(want)
			sort.Strings(got)
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				res.Failures = append(res.Failures, fmt.Sprintf("%s at %s:\n  want: %s\n  got:  %s", at.Alertname, model.Duration(t), strings.Join(want, "\n        "), strings.Join(got, "\n        ")))
			}
		}
	}
	return res, nil
}

// load puts the input series into a lazily evaluated test storage.
func (in Input) load() (*promqltest.LazyLoader, parser.Parser, error) {
	var load strings.Builder
	fmt.Fprintf(&load, "load %s\n", model.Duration(in.Interval))
	for _, s := range in.Series {
		fmt.Fprintf(&load, "  %s %s\n", s[0], s[1])
	}
	p := parser.NewParser(parser.Options{})
	suite, err := promqltest.NewLazyLoader(load.String(), promqltest.LazyLoaderOpts{Parser: p})
	if err != nil {
		return nil, nil, fmt.Errorf("input series: %w", err)
	}
	return suite, p, nil
}

// newManager is a rules manager over the test storage, as promtool builds
// it: alerts are not sent anywhere.
func newManager(suite *promqltest.LazyLoader, p parser.Parser) *rules.Manager {
	return rules.NewManager(&rules.ManagerOptions{
		QueryFunc:    rules.EngineQueryFunc(suite.QueryEngine(), suite.Storage()),
		AppendableV2: suite.Storage(),
		Context:      context.Background(),
		NotifyFunc:   func(context.Context, string, ...*rules.Alert) {},
		Logger:       slog.New(slog.DiscardHandler),
		Parser:       p,
	})
}
