package rules_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/inferobs/inferobs/generators/cardinality"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/generators/rules/ruletest"
	"github.com/inferobs/inferobs/library"
)

// TestSharedHistogramsGiveTheSameQuantiles: the quantile rules read the
// bucket rates the histogram group records once per evaluation. On
// synthetic histograms of two models (one split over data-parallel
// engines) and of two tenants at the gateway, evaluated the way
// Prometheus does, every recorded quantile equals, bit for bit and at
// every evaluation, what the direct form (each quantile over the rates of
// the raw buckets, as before) gives.
func TestSharedHistogramsGiveTheSameQuantiles(t *testing.T) {
	r := compileWith(t, "platform", `evaluationInterval: "30s"`, `evaluationInterval: "1m"`)
	p := r.Plan
	dir := writeOut(t, r)
	var in ruletest.Input
	in.Interval = time.Minute
	var checks []map[string]any
	want := map[string]string{} // recorded series -> check series
	// cumulative writes a histogram's buckets: per minute, n events of
	// which a share below each bound that grows with the bound and shifts
	// halfway through (so the quantiles move).
	cumulative := func(name string, l map[string]string, bounds []float64, scale float64, n float64) {
		for _, b := range append(bounds, math.Inf(1)) {
			ls := map[string]string{}
			for k, v := range l {
				ls[k] = v
			}
			le := "+Inf"
			if !math.IsInf(b, 1) {
				le = strconv.FormatFloat(b, 'f', -1, 64)
			}
			ls["le"] = le
			share := 1.0
			if !math.IsInf(b, 1) {
				share = math.Min(1, b/scale)
			}
			a, c := promql.Canonical(n*share), promql.Canonical(n*math.Min(1, share*1.5))
			in.Series = append(in.Series, [2]string{name + labels.FromMap(ls).String(), fmt.Sprintf("0+%sx30 %s+%sx30", num(a), num(30*a+c), num(c))})
		}
	}
	for _, m := range p.Models {
		fam, ok := m.Metric(library.RoleTTFT)
		if !ok {
			continue
		}
		base := map[string]string{}
		for _, mt := range m.Matchers {
			base[mt.Name] = mt.Value
		}
		shards := []string{""}
		if m.Catalog.HasDataParallelLabel() {
			shards = []string{"0", "1"}
		}
		for r := 0; r < 2; r++ {
			for _, e := range shards {
				l := map[string]string{"instance": fmt.Sprintf("replica-%d", r)}
				for k, v := range base {
					l[k] = v
				}
				if e != "" {
					l[m.Catalog.Info.DataParallelLabel] = e
				}
				cumulative(m.BucketSeries(fam), l, fam.Buckets, float64(len(m.Name)%4+1), 60)
			}
		}
		for _, q := range library.Quantiles() {
			check := "check:" + library.QuantileName(q) + "_" + library.SanitizeName(m.Name)
			expr := promql.Call("histogram_quantile", promql.Num(q), promql.Sum(promql.Rate(m.Select(m.BucketSeries(fam)), 5*time.Minute), "le"))
			checks = append(checks, map[string]any{"record": check, "expr": promql.MustString(expr), "labels": map[string]string{"model": m.Name}})
			want[key(library.RecQuantile(fam.Name, q), "model", m.Name)] = key(check, "model", m.Name)
		}
	}
	tr := p.Tracing
	span := tr.Spec.Spans[library.SLOTTFT]
	gw := p.SLOs[0].Model // a model served at the gateway
	for _, s := range p.SLOs {
		if s.Tenant != nil {
			gw = s.Model
		}
	}
	for i, tenant := range []string{"acme", "globex"} {
		l := map[string]string{tr.TenantLabel: tenant, tr.ModelLabel: gw.Spec.ServedName, tr.SpanMetrics.Labels.SpanName: span, "instance": "collector"}
		var bounds []float64
		for _, b := range tr.Buckets {
			bounds = append(bounds, float64(b/time.Millisecond))
		}
		cumulative(tr.DurationBuckets(), l, bounds, float64(500*(i+1)), 30)
	}
	for _, q := range library.Quantiles() {
		bucket := promql.Sel(tr.DurationBuckets(), promql.Eq(tr.ModelLabel, gw.Spec.ServedName), promql.Eq(tr.SpanMetrics.Labels.SpanName, span))
		check := "check:tenant_" + library.QuantileName(q)
		expr := promql.Call("histogram_quantile", promql.Num(q), promql.Sum(promql.Rate(bucket, 5*time.Minute), tr.TenantLabel, "le"))
		checks = append(checks, map[string]any{"record": check, "expr": promql.MustString(expr), "labels": map[string]string{"model": gw.Name}})
		for _, tenant := range []string{"acme", "globex"} {
			want[key(library.RecTenantQuantile(tr.SpanMetrics.DurationFamily, span, q), "model", gw.Name, "tenant", tenant)] = key(check, "model", gw.Name, "tenant", tenant)
		}
	}
	checkFile := filepath.Join(dir, "zz-checks.yaml")
	writeYAML(t, checkFile, map[string]any{"groups": []any{map[string]any{"name": "checks", "interval": "1m", "rules": checks}}})
	got, err := ruletest.Replay([]string{filepath.Join(dir, "prometheus", "recording.yaml"), checkFile}, in, time.Minute, 59*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for rec, check := range want {
		gs, ws := got.Records[rec], got.Records[check]
		if len(ws) < 50 {
			t.Errorf("%s: %d samples: not a test", check, len(ws))
			continue
		}
		if len(gs) != len(ws) {
			t.Errorf("%s: %d samples, the direct form %d", rec, len(gs), len(ws))
			continue
		}
		moved := false
		for i := range ws {
			if gs[i].T != ws[i].T || math.Float64bits(gs[i].V) != math.Float64bits(ws[i].V) {
				t.Errorf("%s at %s: %v, the direct form %v", rec, gs[i].T, gs[i].V, ws[i].V)
				break
			}
			moved = moved || ws[i].V != ws[0].V
		}
		if !moved {
			t.Errorf("%s never changes: not a test", check)
		}
	}
	if _, err := os.Stat(checkFile); err != nil {
		t.Fatal(err)
	}
}

func num(f float64) string { return promql.FormatNumber(f) }

// key is a recorded series as Trace names it.
func key(name string, kv ...string) string {
	return labels.FromStrings(append([]string{labels.MetricName, name}, kv...)...).String()
}

// TestEstimateCountsEveryRecordedName: the cardinality estimate mirrors
// the rules generator's recording rules (it cannot import it): every name
// the rules record is in the estimate and the other way round.
func TestEstimateCountsEveryRecordedName(t *testing.T) {
	for _, ex := range []string{"quickstart", "platform"} {
		r := compile(t, ex)
		groups, err := rulesOf(r)
		if err != nil {
			t.Fatal(err)
		}
		est := cardinality.RecordedSeries(r.Plan)
		recorded := map[string]bool{}
		for _, g := range groups {
			for _, rule := range g.Rules {
				if rule.Record == "" {
					continue
				}
				recorded[rule.Record] = true
				if est[rule.Record] == 0 {
					t.Errorf("%s: the estimate does not count %s", ex, rule.Record)
				}
			}
		}
		for name := range est {
			if !recorded[name] {
				t.Errorf("%s: the estimate counts %s, which no rule records", ex, name)
			}
		}
	}
}

// TestBucketRatesNoAlertReadsAreSlow: on the platform example at 30s, with
// the default quantile interval (1m) and with target.quantileInterval, a
// bucket rate recorded in inferobs:quantiles is read by no rule outside
// that group, a bucket rate some other rule reads stays in
// inferobs:histograms, and every quantile's lag window is three intervals
// of the group that records its buckets.
func TestBucketRatesNoAlertReadsAreSlow(t *testing.T) {
	for _, tc := range []struct{ edit, want string }{
		{`evaluationInterval: "30s"`, "1m"},
		{`evaluationInterval: "30s", quantileInterval: "2m"`, "2m"},
		{`evaluationInterval: "30s", quantileInterval: "15s"`, "15s"},
	} {
		t.Run(tc.want, func(t *testing.T) { checkBucketRateGroups(t, tc.edit, tc.want) })
	}
}

func checkBucketRateGroups(t *testing.T, edit, quantileEvery string) {
	r := compileEdited(t, "platform", `evaluationInterval: "30s"`, edit)
	groups, err := rulesOf(r)
	if err != nil {
		t.Fatal(err)
	}
	writer := map[string]string{}   // bucket rate -> its group
	interval := map[string]string{} // group -> interval
	for _, g := range groups {
		interval[g.Name] = g.Interval
		for _, rl := range g.Rules {
			if strings.HasSuffix(rl.Record, "_bucket:rate5m") {
				writer[rl.Record] = g.Name
			}
		}
	}
	moved, kept := 0, 0
	for name, g := range writer {
		switch g {
		case "inferobs:quantiles":
			moved++
		case "inferobs:histograms":
			kept++
		default:
			t.Errorf("%s recorded in %s", name, g)
		}
	}
	if moved == 0 || kept == 0 || interval["inferobs:quantiles"] != quantileEvery || interval["inferobs:histograms"] != "30s" {
		t.Fatalf("%d bucket rates in inferobs:quantiles, %d in inferobs:histograms; intervals %v", moved, kept, interval)
	}
	readOutside := map[string]bool{}
	for _, g := range groups {
		for _, rl := range g.Rules {
			e, err := promql.Parse(rl.Expr)
			if err != nil {
				t.Fatal(err)
			}
			parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
				switch x := n.(type) {
				case *parser.VectorSelector:
					if g.Name != "inferobs:quantiles" {
						readOutside[x.Name] = true
					}
				case *parser.MatrixSelector:
					vs := x.VectorSelector.(*parser.VectorSelector)
					if w, ok := writer[vs.Name]; ok && g.Name == "inferobs:quantiles" {
						every, _ := time.ParseDuration(interval[w])
						if x.Range != 3*every {
							t.Errorf("%s reads %s (recorded every %s) over %s, want %s", rl.Record, vs.Name, every, x.Range, 3*every)
						}
					}
				}
				return nil
			})
		}
	}
	for name, g := range writer {
		if g == "inferobs:quantiles" && readOutside[name] {
			t.Errorf("%s is recorded every %s but read outside inferobs:quantiles", name, quantileEvery)
		}
		if g == "inferobs:histograms" && !readOutside[name] {
			t.Errorf("%s is recorded every 30s but only the quantiles read it", name)
		}
	}
}
