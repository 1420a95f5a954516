package simulate

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
)

// Gateway spans as the OpenTelemetry collector's spanmetrics connector
// turns them into Prometheus series: one calls counter and one duration
// histogram per (tenant, model, span, status), labels as the connector's
// dimensions translate, buckets as the generated connector config sets
// them (the connector's defaults plus every gateway SLO threshold).
const (
	gatewayService     = "llm-gateway"
	gatewayInstanceID  = "otelcol-0"
	gatewayFailMedian  = 0.05 // seconds: the gateway fails requests fast
	dimensionValueStub = "sim"
)

type gatewayTemplate struct {
	fams  []family
	slots []gatewaySlot
	hists []gatewayHist
}

// gatewayHist is one duration histogram series set.
type gatewayHist struct {
	model   *plan.Model
	obs     func(c *engineCond, replicas float64) (float64, dist)
	bounds  []float64
	buckets []int
	sum     int
	count   int
}

type gatewaySlot struct {
	model    *plan.Model
	bind     func(c *engineCond, replicas float64) float64 // rate per second
	integral bool
}

type gatewaySeries struct {
	model  *plan.Model
	tenant string
	share  float64
	span   string
	kind   library.SLOKind
	status string
	labels []label
}

func newGatewayTemplate(p *plan.Plan, profiles map[*plan.Model]*profile) *gatewayTemplate {
	tr := p.Tracing
	if tr == nil {
		return nil
	}
	sm := tr.SpanMetrics
	// Configured spans, by kind in SLO-kind order, each name once.
	type span struct {
		name string
		kind library.SLOKind
	}
	var spans []span
	seen := map[string]bool{}
	for _, k := range library.SLOKinds() {
		if n, ok := tr.Spec.Spans[k]; ok && !seen[n] {
			seen[n] = true
			spans = append(spans, span{n, k})
		}
	}
	if len(spans) == 0 {
		return nil
	}
	var series []gatewaySeries
	for _, m := range p.Models {
		for _, ts := range profiles[m].tenants {
			for _, sp := range spans {
				for _, status := range []string{library.StatusCodeUnset, sm.StatusError} {
					spanKind := library.SpanKindServer
					if sp.kind == library.SLOTTFT {
						spanKind = library.SpanKindInternal
					}
					ls := []label{
						{sm.Labels.ServiceName, gatewayService},
						{sm.Labels.SpanName, sp.name},
						{sm.Labels.SpanKind, spanKind},
						{sm.Labels.StatusCode, status},
						{tr.TenantLabel, ts.name},
						{tr.ModelLabel, m.Spec.ServedName},
					}
					if sm.Labels.CollectorInstanceID != "" {
						ls = append(ls, label{sm.Labels.CollectorInstanceID, gatewayInstanceID})
					}
					for _, d := range tr.Spec.Dimensions {
						ls = append(ls, label{library.PromLabelName(d), dimensionValueStub})
					}
					sort.Slice(ls, func(i, j int) bool { return ls[i].name < ls[j].name })
					series = append(series, gatewaySeries{model: m, tenant: ts.name, share: ts.share, span: sp.name, kind: sp.kind, status: status, labels: ls})
				}
			}
		}
	}
	unit := 1.0
	if sm.Unit == "ms" {
		unit = 1000
	}
	var bounds []float64
	for _, b := range tr.Buckets {
		bounds = append(bounds, sm.Bound(b))
	}
	// rate of spans of one series, and their duration distribution in the
	// histogram's unit.
	spansOf := func(s gatewaySeries) func(c *engineCond, replicas float64) (float64, dist) {
		ok := s.status == library.StatusCodeUnset
		return func(c *engineCond, replicas float64) (float64, dist) {
			total := c.reqRate * replicas * s.share
			errShare := c.gatewayErr + (1-c.gatewayErr)*c.fail
			if s.kind == library.SLOTTFT {
				if !ok || c.gatewayNoFirstToken {
					return 0, logn(1, 1)
				}
				return total * (1 - c.gatewayErr), scaleDist(c.ttft.shifted(c.gatewayLag), unit)
			}
			if !ok {
				return total * errShare, scaleDist(logn(gatewayFailMedian, 0.5), unit)
			}
			return total * (1 - errShare), scaleDist(c.e2e.shifted(c.gatewayLag), unit)
		}
	}
	t := &gatewayTemplate{}
	calls := family{name: sm.CallsSeries, typ: string(library.Counter), help: "Number of spans (spanmetrics connector)."}
	for _, s := range series {
		f := spansOf(s)
		calls.samples = append(calls.samples, sample{name: sm.CallsSeries, labels: s.labels})
		t.slots = append(t.slots, gatewaySlot{model: s.model, integral: true, bind: func(c *engineCond, n float64) float64 { r, _ := f(c, n); return r }})
	}
	dur := family{name: sm.DurationFamily, typ: string(library.Histogram), help: "Span durations (spanmetrics connector)."}
	for _, s := range series {
		h := gatewayHist{model: s.model, obs: spansOf(s), bounds: bounds}
		for _, b := range append(append([]float64(nil), bounds...), math.Inf(1)) {
			dur.samples = append(dur.samples, sample{name: sm.DurationFamily + "_bucket", labels: append(append([]label(nil), s.labels...), label{"le", sm.LeStyle.LeText(b)})})
			h.buckets = append(h.buckets, len(t.slots))
			t.slots = append(t.slots, gatewaySlot{model: s.model, integral: true})
		}
		dur.samples = append(dur.samples, sample{name: sm.DurationFamily + "_sum", labels: s.labels})
		h.sum = len(t.slots)
		t.slots = append(t.slots, gatewaySlot{model: s.model})
		dur.samples = append(dur.samples, sample{name: sm.DurationFamily + "_count", labels: s.labels})
		h.count = len(t.slots)
		t.slots = append(t.slots, gatewaySlot{model: s.model, integral: true})
		t.hists = append(t.hists, h)
	}
	t.fams = []family{calls, dur}
	return t
}

func scaleDist(d dist, unit float64) dist {
	d.median *= unit
	d.shift *= unit
	return d
}

type gatewayState struct {
	t         *gatewayTemplate
	cur, rate []float64
	hists     []*histState
}

func newGatewayState(t *gatewayTemplate) *gatewayState {
	st := &gatewayState{t: t, cur: make([]float64, len(t.slots)), rate: make([]float64, len(t.slots))}
	for _, h := range t.hists {
		hs := newHistState(h.bounds)
		hs.buckets, hs.sumSlot, hs.cntSlt = h.buckets, h.sum, h.count
		st.hists = append(st.hists, hs)
	}
	return st
}

// advance integrates the last tick and takes each model's new state.
func (st *gatewayState) advance(rng *rand.Rand, dt float64, models map[*plan.Model]engineCond) {
	for i := range st.cur {
		st.cur[i] += st.rate[i] * dt
	}
	for _, h := range st.hists {
		h.observe(rng, dt, st.cur)
	}
	for i, sl := range st.t.slots {
		if sl.bind == nil {
			continue
		}
		c := models[sl.model]
		v := sl.bind(&c, float64(sl.model.Spec.Replicas))
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			v = 0
		}
		st.rate[i] = v
	}
	for i, h := range st.t.hists {
		c := models[h.model]
		st.hists[i].set(h.obs(&c, float64(h.model.Spec.Replicas)))
	}
}

func (st *gatewayState) families(dt float64) []family {
	return render(st.t.fams, st.cur, st.rate, func(i int) bool { return st.t.slots[i].integral }, dt, styleGo)
}
