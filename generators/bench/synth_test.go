package bench

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	pql "github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// synthStorage is a storage.Queryable whose series are generated on
// demand: each series has samples every step milliseconds, aligned on end,
// from start to end inclusive. A counter's value grows by slope per second;
// a gauge's is constant. Nothing is materialised beyond the samples an
// iterator is asked for, so a month of 15-second history costs no memory,
// and the engine reads (and counts) exactly the samples a real TSDB holding
// the same points would give it.
type synthStorage struct {
	series []*synthSeries
	index  map[string]int // labels.String() → position, for re-registration
}

type synthSeries struct {
	lset       labels.Labels
	start, end int64 // ms, inclusive
	step       int64 // ms
	slope      float64
	value      float64 // gauge value, or the counter's value at start
}

func newSynthStorage() *synthStorage { return &synthStorage{index: map[string]int{}} }

// add registers a series, replacing one with the same labels.
func (s *synthStorage) add(ser *synthSeries) {
	k := ser.lset.String()
	if i, ok := s.index[k]; ok {
		s.series[i] = ser
		return
	}
	s.index[k] = len(s.series)
	s.series = append(s.series, ser)
}

func (s *synthStorage) Querier(mint, maxt int64) (storage.Querier, error) {
	return &synthQuerier{s: s, mint: mint, maxt: maxt}, nil
}

type synthQuerier struct {
	s          *synthStorage
	mint, maxt int64
}

func (q *synthQuerier) Select(_ context.Context, sortSeries bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	mint, maxt := q.mint, q.maxt
	if hints != nil {
		mint, maxt = hints.Start, hints.End
	}
	var out []storage.Series
outer:
	for _, ser := range q.s.series {
		for _, m := range ms {
			if !m.Matches(ser.lset.Get(m.Name)) {
				continue outer
			}
		}
		out = append(out, &synthView{ser: ser, mint: mint, maxt: maxt})
	}
	if sortSeries {
		sort.Slice(out, func(i, j int) bool { return labels.Compare(out[i].Labels(), out[j].Labels()) < 0 })
	}
	return &synthSet{series: out, i: -1}
}

func (q *synthQuerier) LabelValues(context.Context, string, *storage.LabelHints, ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return nil, nil, nil
}

func (q *synthQuerier) LabelNames(context.Context, *storage.LabelHints, ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return nil, nil, nil
}

func (q *synthQuerier) Close() error { return nil }

type synthSet struct {
	series []storage.Series
	i      int
}

func (s *synthSet) Next() bool                        { s.i++; return s.i < len(s.series) }
func (s *synthSet) At() storage.Series                { return s.series[s.i] }
func (s *synthSet) Err() error                        { return nil }
func (s *synthSet) Warnings() annotations.Annotations { return nil }

// synthView is a series restricted to a select's time range.
type synthView struct {
	ser        *synthSeries
	mint, maxt int64
}

func (v *synthView) Labels() labels.Labels { return v.ser.lset }

func (v *synthView) Iterator(chunkenc.Iterator) chunkenc.Iterator {
	ser := v.ser
	lo, hi := max(ser.start, v.mint), min(ser.end, v.maxt)
	// The grid is end - k*step: its first point at or after lo, and how
	// many points fit up to hi.
	first := ser.end - ((ser.end-lo)/ser.step)*ser.step
	if first < lo {
		first += ser.step
	}
	n := 0
	if first <= hi {
		n = int((hi-first)/ser.step) + 1
	}
	return storage.NewListSeriesIterator(synthSamples{ser: ser, first: first, n: n})
}

// synthSamples computes the i-th sample of a view when asked.
type synthSamples struct {
	ser   *synthSeries
	first int64
	n     int
}

func (s synthSamples) Len() int { return s.n }

func (s synthSamples) Get(i int) chunks.Sample {
	t := s.first + int64(i)*s.ser.step
	return synthSample{t: t, f: s.ser.value + s.ser.slope*float64(t-s.ser.start)/1000}
}

type synthSample struct {
	t int64
	f float64
}

func (s synthSample) T() int64                      { return s.t }
func (s synthSample) ST() int64                     { return 0 }
func (s synthSample) F() float64                    { return s.f }
func (s synthSample) H() *histogram.Histogram       { return nil }
func (s synthSample) FH() *histogram.FloatHistogram { return nil }
func (s synthSample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s synthSample) Copy() chunks.Sample           { return s }

// TestSynthStorageMatchesTSDB checks that the engine reads as many samples
// from a synthetic series as from a TSDB holding the same points.
func TestSynthStorageMatchesTSDB(t *testing.T) {
	const day = 24 * time.Hour
	tsdb := promqltest.LoadedStorage(t, `
load 15s
  c{job="a",instance="0"} 0+2x5760
  c{job="a",instance="1"} 0+2x5760
  g{job="a",instance="0"} 3x5760
`)
	at := time.Unix(0, 0).Add(day)
	syn := newSynthStorage()
	for _, s := range []struct {
		l     labels.Labels
		slope float64
		value float64
	}{
		{labels.FromStrings("__name__", "c", "job", "a", "instance", "0"), 2.0 / 15, 0},
		{labels.FromStrings("__name__", "c", "job", "a", "instance", "1"), 2.0 / 15, 0},
		{labels.FromStrings("__name__", "g", "job", "a", "instance", "0"), 0, 3},
	} {
		syn.add(&synthSeries{lset: s.l, start: 0, end: at.UnixMilli(), step: 15000, slope: s.slope, value: s.value})
	}
	ng := pql.NewEngine(pql.EngineOpts{MaxSamples: 1 << 30, Timeout: time.Minute, LookbackDelta: 5 * time.Minute, Parser: parser.NewParser(parser.Options{})})
	for _, q := range []string{
		`sum(rate(c{job="a"}[5m]))`,
		`sum(rate(c{job="a"}[6h]))`,
		`sum_over_time(c{instance="0"}[1d])`,
		`count_over_time(c[2h])`,
		`1 - avg_over_time((max(g) <= bool 8)[1h:30s])`,
		`max(g)`,
	} {
		var got []int64
		var vals []string
		for _, st := range []storage.Queryable{tsdb, syn} {
			qr, err := ng.NewInstantQuery(context.Background(), st, pql.NewPrometheusQueryOpts(false, 0, nil), q, at)
			if err != nil {
				t.Fatal(err)
			}
			res := qr.Exec(context.Background())
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			got = append(got, qr.Stats().Samples.TotalSamples)
			// The engine does not order an instant vector's series.
			if v, err := res.Vector(); err == nil {
				sort.Slice(v, func(i, j int) bool { return labels.Compare(v[i].Metric, v[j].Metric) < 0 })
				res.Value = v
			}
			vals = append(vals, res.String())
			qr.Close()
		}
		if got[0] != got[1] || got[0] == 0 {
			t.Errorf("%s: TSDB read %d samples, synthetic storage %d", q, got[0], got[1])
		}
		if vals[0] != vals[1] {
			t.Errorf("%s: TSDB gives %s, synthetic storage %s", q, vals[0], vals[1])
		}
	}
}
