package ruletest

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/promqltest"
)

// Ruler is a rule evaluator's write-visibility semantics, to check that
// rules decide the same under every ruler users run, not only under
// Prometheus' (each result appended before the next rule runs).
type Ruler struct {
	// Lookback is the instant-selector lookback; a series recorded every
	// interval is invisible to instant selectors when it is shorter.
	Lookback time.Duration
	// Deferred makes every result of an evaluation time visible only after
	// every group due then has run: no rule sees a result of its own
	// evaluation, of its own group or another (vmalert's asynchronous
	// remote write).
	Deferred bool
	// Immediate makes each result visible to the next rule of its group,
	// as Prometheus appends it; otherwise a group's results are written
	// once the whole group has run.
	Immediate bool
	// Delay, when set, holds a rule's result at an evaluation back until
	// every group due then has run (a write that loses a race with a
	// reader in another group).
	Delay func(group, rule string, at time.Duration) bool
	// StartAt is the first evaluation time (a ruler starting, or reloading
	// its rule files, while the raw series already exist).
	StartAt time.Duration
}

// Input is a set of synthetic series in promtool's notation, sampled every
// Interval from time 0.
type Input struct {
	Interval time.Duration
	Series   [][2]string // series, values
}

// Timeline is, per alert (its labels), every evaluation time it was firing.
type Timeline map[string][]time.Duration

// Evaluate runs the rule files' groups on the input every step until
// `until`, each group at the evaluations its interval makes due (a group
// every 5m runs at 0, 5m, 10m ...), with the ruler's semantics, and
// returns when each alert fired (pending for its `for`, then firing).
func Evaluate(r Ruler, ruleFiles []string, in Input, step, until time.Duration) (Timeline, error) {
	suite, p, err := in.load()
	if err != nil {
		return nil, err
	}
	defer suite.Close()
	var groups []rulefmt.RuleGroup
	for _, f := range ruleFiles {
		rgs, errs := rulefmt.ParseFile(f, false, model.UTF8Validation, p, slog.New(slog.DiscardHandler))
		if len(errs) > 0 {
			return nil, errs[0]
		}
		groups = append(groups, rgs.Groups...)
	}
	// Per alerting rule (group, index): alert labels -> condition true since.
	pending := map[[2]int]map[string]time.Duration{}
	out := Timeline{}
	opts := promql.NewPrometheusQueryOpts(false, r.Lookback, nil)
	start := time.Unix(0, 0).UTC()
	ctx := context.Background()
	for t := r.StartAt; t <= until; t += step {
		ts := start.Add(t)
		var evalErr error
		suite.WithSamplesTill(ts, func(err error) {
			if err != nil {
				evalErr = err
				return
			}
			var deferred []sample
			for gi, g := range groups {
				iv := time.Duration(g.Interval)
				if iv == 0 {
					iv = step
				}
				if t%iv != 0 {
					continue
				}
				var own []sample
				for ri, rule := range g.Rules {
					q, err := suite.QueryEngine().NewInstantQuery(ctx, suite.Storage(), opts, rule.Expr, ts)
					if err != nil {
						evalErr = err
						return
					}
					res := q.Exec(ctx)
					q.Close()
					if res.Err != nil {
						evalErr = fmt.Errorf("%s at %s: %w", rule.Record+rule.Alert, model.Duration(t), res.Err)
						return
					}
					vec, _ := res.Vector()
					if rule.Record != "" {
						var res []sample
						for _, s := range vec {
							b := labels.NewBuilder(s.Metric)
							for k, v := range rule.Labels {
								b.Set(k, v)
							}
							b.Set(labels.MetricName, rule.Record)
							res = append(res, sample{b.Labels(), s.F})
						}
						switch {
						case r.Delay != nil && r.Delay(g.Name, rule.Record, t):
							deferred = append(deferred, res...)
						case r.Immediate:
							if err := appendAll(suite, ts, res); err != nil {
								evalErr = err
								return
							}
						default:
							own = append(own, res...)
						}
						continue
					}
					prev := pending[[2]int{gi, ri}]
					cur := map[string]time.Duration{}
					for _, s := range vec {
						b := labels.NewBuilder(s.Metric)
						b.Del(labels.MetricName)
						for k, v := range rule.Labels {
							b.Set(k, v)
						}
						b.Set(labels.AlertName, rule.Alert)
						key := b.Labels().String()
						since, ok := prev[key]
						if !ok {
							since = t
						}
						cur[key] = since
						if t-since >= time.Duration(rule.For) {
							out[key] = append(out[key], t)
						}
					}
					pending[[2]int{gi, ri}] = cur
				}
				// Every result of the group is written once the group has
				// run, or with every other group's when deferred.
				if r.Deferred {
					deferred = append(deferred, own...)
				} else if err := appendAll(suite, ts, own); err != nil {
					evalErr = err
					return
				}
			}
			if err := appendAll(suite, ts, deferred); err != nil {
				evalErr = err
			}
		})
		if evalErr != nil {
			return nil, evalErr
		}
	}
	for k := range out {
		sort.Slice(out[k], func(i, j int) bool { return out[k][i] < out[k][j] })
	}
	return out, nil
}

// sample is one rule result waiting to be written.
type sample struct {
	l labels.Labels
	v float64
}

func appendAll(suite *promqltest.LazyLoader, ts time.Time, samples []sample) error {
	if len(samples) == 0 {
		return nil
	}
	app := suite.Storage().Appender(context.Background())
	for _, s := range samples {
		if _, err := app.Append(0, s.l, ts.UnixMilli(), s.v); err != nil {
			app.Rollback()
			return err
		}
	}
	return app.Commit()
}
