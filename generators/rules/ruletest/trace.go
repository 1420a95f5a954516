package ruletest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/rules"
)

// Trace is everything a rule set did on an input: at each evaluation, the
// active alerts (labels, state and rendered annotations), and every
// sample the rules recorded.
type Trace struct {
	// Alerts holds, per evaluation time, one line per pending or firing
	// alert: its labels, state and annotations, sorted.
	Alerts map[time.Duration][]string
	// Records holds every recorded series (labels) with its samples.
	Records map[string][]Sample
}

// Sample is one recorded value.
type Sample struct {
	T time.Duration
	V float64
}

// Replay evaluates the rule files' groups the way Prometheus does (the
// real rules manager: each rule's result appended before the next rule
// runs, templates expanded), every interval from 0 to until, each group
// at the times its interval makes due, in the files' order.
func Replay(ruleFiles []string, in Input, every, until time.Duration) (*Trace, error) {
	suite, p, err := in.load()
	if err != nil {
		return nil, err
	}
	defer suite.Close()
	mgr := newManager(suite, p)
	groupsMap, errs := mgr.LoadGroups(every, labels.EmptyLabels(), "", nil, false, ruleFiles...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// The files' own order, as they list their groups.
	var groups []*rules.Group
	recorded := map[string]bool{}
	for _, f := range ruleFiles {
		rgs, errs := rulefmt.ParseFile(f, false, model.UTF8Validation, p, slog.New(slog.DiscardHandler))
		if len(errs) > 0 {
			return nil, errs[0]
		}
		for _, g := range rgs.Groups {
			gr, ok := groupsMap[rules.GroupKey(f, g.Name)]
			if !ok {
				return nil, fmt.Errorf("group %s of %s not loaded", g.Name, f)
			}
			groups = append(groups, gr)
			for _, r := range g.Rules {
				if r.Record != "" {
					recorded[r.Record] = true
				}
			}
		}
	}
	for _, gr := range groups {
		for _, r := range gr.Rules() {
			if a, ok := r.(*rules.AlertingRule); ok {
				a.SetRestored(true)
			}
		}
	}
	tr := &Trace{Alerts: map[time.Duration][]string{}, Records: map[string][]Sample{}}
	start := time.Unix(0, 0).UTC()
	for t := time.Duration(0); t <= until; t += every {
		ts := start.Add(t)
		var evalErr error
		suite.WithSamplesTill(ts, func(err error) {
			if err != nil {
				evalErr = err
				return
			}
			for _, gr := range groups {
				if t%gr.Interval() != 0 {
					continue
				}
				gr.Eval(context.Background(), ts)
				for _, r := range gr.Rules() {
					if r.LastError() != nil {
						evalErr = fmt.Errorf("rule %s at %s: %w", r.Name(), model.Duration(t), r.LastError())
					}
				}
			}
		})
		if evalErr != nil {
			return nil, evalErr
		}
		var active []string
		for _, gr := range groups {
			for _, r := range gr.Rules() {
				if a, ok := r.(*rules.AlertingRule); ok {
					for _, act := range a.ActiveAlerts() {
						active = append(active, act.Labels.String()+" "+act.State.String()+" "+act.Annotations.String())
					}
				}
			}
		}
		sort.Strings(active)
		tr.Alerts[t] = active
	}
	q, err := suite.Storage().Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	set := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchRegexp, labels.MetricName, ".+"))
	for set.Next() {
		s := set.At()
		if !recorded[s.Labels().Get(labels.MetricName)] {
			continue
		}
		var samples []Sample
		it := s.Iterator(nil)
		for it.Next() != 0 {
			ms, v := it.At()
			samples = append(samples, Sample{time.Duration(ms) * time.Millisecond, v})
		}
		if err := it.Err(); err != nil {
			return nil, err
		}
		tr.Records[s.Labels().String()] = samples
	}
	return tr, set.Err()
}
