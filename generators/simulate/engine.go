package simulate

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/inferobs/inferobs/generators/cardinality/synth"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
)

// engineTemplate is a model's exposition as synth renders it (every family,
// label set, bucket and _created series the engine version exposes), with
// each sample bound to the part of the simulated state it reports.
type engineTemplate struct {
	model *plan.Model
	style valueStyle
	fams  []family
	// slots, in sample order across fams.
	slots []slot
	hists []histSpec
}

// histSpec is one histogram series set of the template.
type histSpec struct {
	obs     obsFn
	share   float64
	bounds  []float64
	buckets []int // slot of each bucket sample, +Inf last
	sum     int
	count   int
}

// slot is one sample's binding.
type slot struct {
	// bind returns the sample's value for a replica's state: a gauge value,
	// or the per-second rate a counter grows at (rate true).
	bind     func(c *engineCond) (v float64, rate bool)
	integral bool // counts: exposed rounded down
	created  bool // a _created series: the engine's start time
	constant float64
	hist     int // index of the histogram it belongs to, or -1
}

// newEngineTemplate parses synth's exposition of m and binds its samples.
func newEngineTemplate(m *plan.Model) (*engineTemplate, error) {
	cat := m.Catalog
	t := &engineTemplate{model: m, style: styleRust}
	if cat.Engine() == library.VLLM {
		t.style = stylePython
	}
	created := map[string]library.Metric{}
	for _, f := range cat.Metrics() {
		if c := cat.CreatedSeries(f); c != "" {
			created[c] = f
		}
	}
	share := 1.0
	if cat.HasDataParallelLabel() {
		share = 1 / float64(len(library.DataParallelValues(m.Spec.DataParallel)))
	}
	sc := bufio.NewScanner(bytes.NewReader(synth.Exposition(m, 0)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var cur *family
	histKeys := map[string]int{}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, help, _ := strings.Cut(strings.TrimPrefix(line, "# HELP "), " ")
			t.fams = append(t.fams, family{name: name, help: unescapeHelp(help)})
			cur = &t.fams[len(t.fams)-1]
		case strings.HasPrefix(line, "# TYPE "):
			_, typ, _ := strings.Cut(strings.TrimPrefix(line, "# TYPE "), " ")
			if cur == nil {
				return nil, fmt.Errorf("simulate: TYPE before HELP in %s exposition", m.Name)
			}
			cur.typ = typ
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			name, ls, val, err := parseSampleLine(line)
			if err != nil {
				return nil, fmt.Errorf("simulate: %s exposition: %w", m.Name, err)
			}
			if cur == nil {
				return nil, fmt.Errorf("simulate: sample before HELP in %s exposition", m.Name)
			}
			v, err := strconv.ParseFloat(val, 64)
			if err != nil {
				return nil, fmt.Errorf("simulate: %s exposition: %w", m.Name, err)
			}
			cur.samples = append(cur.samples, sample{name: name, labels: ls})
			sl := bindSample(m, cur.name, name, ls, v, share, created)
			sl.hist = -1
			if sl.obs != nil {
				sl.hist = t.histogram(cur.name, name, ls, sl.obs, share, len(t.slots), histKeys)
			}
			t.slots = append(t.slots, sl.slot)
		}
	}
	return t, sc.Err()
}

func unescapeHelp(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\n`, "\n").Replace(s)
}

// bindSample finds what a sample reports. Families with a role get their
// value from the replica's state; a roleless family that is the deprecated
// copy of another (vLLM keeps old names for a few releases) mirrors it;
// the rest keep synth's value (info gauges 1, everything else 0).
func bindSample(m *plan.Model, famName, series string, ls []label, tmplValue, share float64, created map[string]library.Metric) boundSlot {
	cat := m.Catalog
	if _, ok := created[famName]; ok {
		return boundSlot{slot: slot{created: true}}
	}
	fam, ok := cat.ByName(famName)
	if !ok {
		return boundSlot{slot: slot{constant: tmplValue}}
	}
	role := fam.Role
	if role == "" {
		if ch, ok := cat.ChangeFor(fam.Name); ok && ch.Replacement != "" {
			if rep, ok := cat.ByName(ch.Replacement); ok && rep.Type == fam.Type {
				role = rep.Role
			}
		}
	}
	switch fam.Type {
	case library.Histogram:
		if obs := histogramRole(role, ls); obs != nil {
			return boundSlot{slot: slot{integral: !strings.HasSuffix(series, "_sum")}, obs: obs}
		}
	case library.Counter:
		if rate := counterRole(m, fam, role, ls); rate != nil {
			return boundSlot{slot: slot{integral: true, bind: func(c *engineCond) (float64, bool) { return rate(c) * share, true }}}
		}
	case library.Gauge:
		if g := gaugeRole(m, fam, role, ls); g != nil {
			return boundSlot{slot: slot{bind: func(c *engineCond) (float64, bool) { return g(c, share), false }}}
		}
	}
	return boundSlot{slot: slot{constant: tmplValue}}
}

// boundSlot is a slot and, for a histogram sample, what feeds it.
type boundSlot struct {
	slot
	obs obsFn
}

// histogram files sample i of histogram family famName under its series
// set (the labels without le) and returns the set's index.
func (t *engineTemplate) histogram(famName, series string, ls []label, obs obsFn, share float64, i int, keys map[string]int) int {
	var rest []label
	le := ""
	for _, l := range ls {
		if l.name == "le" {
			le = l.value
			continue
		}
		rest = append(rest, l)
	}
	var kb bytes.Buffer
	writeSeries(&kb, famName, rest)
	key := kb.String()
	gi, ok := keys[key]
	if !ok {
		gi = len(t.hists)
		keys[key] = gi
		t.hists = append(t.hists, histSpec{obs: obs, share: share, sum: -1, count: -1})
	}
	h := &t.hists[gi]
	switch strings.TrimPrefix(series, famName) {
	case "_bucket":
		if b, err := strconv.ParseFloat(le, 64); err == nil && !math.IsInf(b, 1) {
			h.bounds = append(h.bounds, b)
		}
		h.buckets = append(h.buckets, i)
	case "_sum":
		h.sum = i
	case "_count":
		h.count = i
	}
	return gi
}

// obsFn returns the observations per second of a histogram and their
// distribution.
type obsFn func(c *engineCond) (perSecond float64, d dist)

func histogramRole(role library.Role, ls []label) obsFn {
	perRequest := func(pick func(c *engineCond) dist) obsFn {
		return func(c *engineCond) (float64, dist) { return c.reqRate, pick(c) }
	}
	prefillMethod := func() bool { v, _ := labelValue(ls, "method"); return v == "prefill" }
	switch role {
	case library.RoleTTFT:
		return perRequest(func(c *engineCond) dist { return c.ttft })
	case library.RoleITL:
		return func(c *engineCond) (float64, dist) { return c.reqRate * c.gen.mean(), c.itl }
	case library.RoleTPOTPerRequest:
		return perRequest(func(c *engineCond) dist { return c.tpot })
	case library.RoleE2E:
		return perRequest(func(c *engineCond) dist { return c.e2e })
	case library.RoleQueueTime:
		return perRequest(func(c *engineCond) dist { return c.queue })
	case library.RolePrefillTime:
		return perRequest(func(c *engineCond) dist { return c.prefill })
	case library.RoleDecodeTime:
		return perRequest(func(c *engineCond) dist { return c.decode })
	case library.RoleInferenceTime:
		return perRequest(func(c *engineCond) dist { return c.inference })
	case library.RolePromptLength:
		return perRequest(func(c *engineCond) dist { return c.prompt })
	case library.RoleGenerationLength:
		return perRequest(func(c *engineCond) dist { return c.gen })
	case library.RoleIterationTokens:
		return func(c *engineCond) (float64, dist) { return steps(c), c.stepTokens }
	case library.RoleBatchInferenceTime, library.RoleBatchForwardTime:
		scale := 1.0
		if role == library.RoleBatchForwardTime {
			scale = 0.9
		}
		if prefillMethod() {
			return func(c *engineCond) (float64, dist) { return c.reqRate / 4, c.prefill.scaled(0.5 * scale) }
		}
		return func(c *engineCond) (float64, dist) { return steps(c), c.itl.scaled(scale) }
	}
	return nil
}

// steps is engine iterations per second: one per decoded token of the
// batch, none while stalled or idle.
func steps(c *engineCond) float64 {
	if c.stalled || c.reqRate == 0 {
		return 0
	}
	return 1 / c.itl.median
}

func counterRole(m *plan.Model, fam library.Metric, role library.Role, ls []label) func(c *engineCond) float64 {
	cat := m.Catalog
	switch role {
	case library.RolePreemptions:
		return func(c *engineCond) float64 { return c.preempt }
	case library.RolePromptTokens:
		return func(c *engineCond) float64 { return c.reqRate * c.prompt.mean() }
	case library.RoleGenerationTokens:
		return func(c *engineCond) float64 { return c.reqRate * c.gen.mean() }
	case library.RoleRequestReceived:
		return func(c *engineCond) float64 { return c.reqRate }
	case library.RolePrefixCacheQueries:
		return func(c *engineCond) float64 { return c.reqRate * c.prompt.mean() }
	case library.RolePrefixCacheHits:
		return func(c *engineCond) float64 { return c.reqRate * c.prompt.mean() * c.prefixHit }
	case library.RoleSpecDrafts, library.RoleSpecDraftTokens, library.RoleSpecAcceptedTokens:
		k := float64(library.DefaultSpeculativeTokens)
		return func(c *engineCond) float64 {
			drafts := c.reqRate * c.gen.mean() / (1 + k*c.specAccept)
			switch role {
			case library.RoleSpecDrafts:
				return drafts
			case library.RoleSpecDraftTokens:
				return drafts * k
			}
			return drafts * k * c.specAccept
		}
	case library.RoleRequestFinished:
		label := cat.Info.FinishReasonLabel
		reason, labelled := labelValue(ls, label)
		if !labelled {
			return func(c *engineCond) float64 { return c.reqRate * (1 - c.fail) }
		}
		fails := cat.FailureReasons()
		switch {
		case reason == cat.Info.CompleteReason:
			return func(c *engineCond) float64 { return c.reqRate * c.stop }
		case reason == cat.Info.TruncatedReason:
			return func(c *engineCond) float64 { return c.reqRate * c.length }
		case len(fails) > 0 && reason == fails[0]:
			// Most failures are client aborts; the rest split evenly.
			w := 1.0
			if len(fails) > 1 {
				w = 0.8
			}
			return func(c *engineCond) float64 { return c.reqRate * c.fail * w }
		}
		for _, f := range fails[min(1, len(fails)):] {
			if reason == f {
				w := 0.2 / float64(len(fails)-1)
				return func(c *engineCond) float64 { return c.reqRate * c.fail * w }
			}
		}
		return func(*engineCond) float64 { return 0 }
	case library.RoleRequestFailed:
		n := 1
		for _, l := range fam.Labels {
			if vs, ok := cat.LabelValues(fam, l, library.Deployment{}); ok && len(vs) > 0 {
				n *= len(vs)
			}
		}
		return func(c *engineCond) float64 { return c.reqRate * c.fail / float64(n) }
	case library.RoleBatchConcat:
		return func(c *engineCond) float64 { return 0.1 * c.reqRate }
	}
	return nil
}

func gaugeRole(m *plan.Model, fam library.Metric, role library.Role, ls []label) func(c *engineCond, share float64) float64 {
	switch role {
	case library.RoleRequestsRunning, library.RoleBatchSize:
		return func(c *engineCond, share float64) float64 { return math.Round(c.running * share) }
	case library.RoleRequestsWaiting:
		return func(c *engineCond, share float64) float64 { return math.Round(c.waiting * share) }
	case library.RoleWaitingByReason:
		// The first reason (capacity) holds the queue; the others are empty.
		for _, l := range fam.Labels {
			vs, _ := m.Catalog.LabelValues(fam, l, library.Deployment{})
			if v, ok := labelValue(ls, l); ok && len(vs) > 0 && v != vs[0] {
				return func(*engineCond, float64) float64 { return 0 }
			}
		}
		return func(c *engineCond, share float64) float64 { return math.Round(c.waiting * share) }
	case library.RoleKVCacheUsage:
		return func(c *engineCond, _ float64) float64 { return c.kv }
	case library.RoleBatchMaxTokens:
		return func(c *engineCond, _ float64) float64 {
			return math.Round(c.running * (c.prompt.mean() + c.gen.mean()))
		}
	case library.RoleBatchTokenBudget:
		return func(*engineCond, float64) float64 { return tgiTokenBudget }
	}
	return nil
}

// engineState is one replica's series values.
type engineState struct {
	t     *engineTemplate
	cur   []float64
	rate  []float64
	hists []*histState
	down  bool
}

func newEngineState(t *engineTemplate, startSec float64) *engineState {
	st := &engineState{t: t, cur: make([]float64, len(t.slots)), rate: make([]float64, len(t.slots))}
	for i, sl := range t.slots {
		switch {
		case sl.created:
			st.cur[i] = startSec
		case sl.bind == nil && sl.hist < 0:
			st.cur[i] = sl.constant
		}
	}
	for _, h := range t.hists {
		hs := newHistState(h.bounds)
		hs.buckets, hs.sumSlot, hs.cntSlt = h.buckets, h.sum, h.count
		st.hists = append(st.hists, hs)
	}
	return st
}

// advance integrates the last tick over dt wall seconds (counters at their
// rates, histograms by whole observations drawn from rng), then takes the
// new state c.
func (st *engineState) advance(rng *rand.Rand, dt float64, c engineCond) {
	for i := range st.cur {
		st.cur[i] += st.rate[i] * dt
	}
	for _, h := range st.hists {
		h.observe(rng, dt, st.cur)
	}
	st.down = c.down
	for i, sl := range st.t.slots {
		if sl.bind == nil {
			continue
		}
		v, isRate := sl.bind(&c)
		if c.down || math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0
		}
		if isRate {
			st.rate[i] = v
		} else {
			st.cur[i], st.rate[i] = v, 0
		}
	}
	for i, h := range st.t.hists {
		n, d := h.obs(&c)
		if c.down {
			n = 0
		}
		st.hists[i].set(n*h.share, d)
	}
}

// families renders the replica's exposition dt wall seconds into the tick.
func (st *engineState) families(dt float64) []family {
	return render(st.t.fams, st.cur, st.rate, func(i int) bool { return st.t.slots[i].integral }, dt, st.t.style)
}

// render copies fams with every sample extrapolated dt seconds past cur at
// its rate (samples in slot order across the families; integral ones
// floored to whole numbers).
func render(fams []family, cur, rate []float64, integral func(slot int) bool, dt float64, style valueStyle) []family {
	out := make([]family, len(fams))
	i := 0
	for fi, f := range fams {
		nf := family{name: f.name, help: f.help, typ: f.typ, samples: make([]sample, len(f.samples))}
		for si, s := range f.samples {
			v := cur[i] + rate[i]*dt
			if integral(i) {
				v = math.Floor(v + 1e-9)
			}
			nf.samples[si] = sample{name: s.name, labels: s.labels, value: v, style: style}
			i++
		}
		out[fi] = nf
	}
	return out
}
