package simulate_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/inferobs/inferobs/generators/cardinality/synth"
	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/rules"
	"github.com/inferobs/inferobs/generators/simulate"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

var t0 = time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)

func examplePlan(t testing.TB, ex string) *plan.Plan {
	t.Helper()
	r, err := compiler.Compile("../../examples/" + ex)
	if err != nil {
		t.Fatal(err)
	}
	return r.Plan
}

// engines covers every engine shape: vLLM V0 (no _created, no engine
// label), V1 before and after the data-parallel label, several
// data-parallel engines, and TGI before and after its summary.
const enginesSpec = `environment: "test"
gpus: h100: hourlyCost: 3.2
models: {
	v07: {engine: "vllm", engineVersion: "0.7.0", servedName: "org/v07", selector: {job: "v07"}, podLabels: {app: "v07"}, gpu: "h100"}
	v08: {engine: "vllm", engineVersion: "0.8.0", servedName: "org/v08", selector: {job: "v08"}, podLabels: {app: "v08"}, gpu: "h100"}
	v16: {engine: "vllm", engineVersion: "0.16.0", servedName: "org/v16", selector: {job: "v16", namespace: "ns"}, podLabels: {app: "v16"}, gpu: "h100", dataParallel: 2, replicas: 2}
	t22: {engine: "tgi", engineVersion: "2.2", selector: {job: "t22"}, podLabels: {app: "t22"}, gpu: "h100"}
	t33: {engine: "tgi", engineVersion: "3.3", selector: {job: "t33"}, podLabels: {app: "t33"}, gpu: "h100"}
}
workloads: w: {class: "chat", models: ["v07", "v08", "v16", "t22", "t33"]}
`

func enginesPlan(t testing.TB) *plan.Plan {
	t.Helper()
	s, ds := schema.LoadFiles([]schema.File{{Name: "spec.cue", Data: []byte(enginesSpec)}})
	if s == nil {
		t.Fatal(ds.Err())
	}
	p, ds := plan.New(s)
	if p == nil {
		t.Fatal(ds.Err())
	}
	return p
}

func newSim(t testing.TB, p *plan.Plan, o simulate.Options) *simulate.Sim {
	t.Helper()
	if o.Start.IsZero() {
		o.Start = t0
	}
	s, err := simulate.New(p, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parseText(t testing.TB, what string, b []byte) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s does not parse: %v", what, err)
	}
	return fams
}

// seriesKey is a line without its value: name and labels as printed.
func seriesKey(line string) string { return line[:strings.LastIndexByte(line, ' ')] }

// TestEngineShapeIsSynth: every engine target renders exactly the lines
// synth renders (families, HELP and TYPE, label sets in order, buckets with
// their le text, _created series), only the values differ, and the result
// parses with the Prometheus text parser into the same families.
func TestEngineShapeIsSynth(t *testing.T) {
	for _, p := range []*plan.Plan{enginesPlan(t), examplePlan(t, "platform")} {
		s := newSim(t, p, simulate.Options{Scenario: "healthy"})
		for _, tg := range s.Targets() {
			if tg.Kind != simulate.TargetEngine {
				continue
			}
			var m *plan.Model
			for _, pm := range p.Models {
				if pm.Name == tg.Model {
					m = pm
				}
			}
			got, err := s.Render(tg.Path, t0.Add(90*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			want := synth.Exposition(m, tg.Replica)
			gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
			if len(gl) != len(wl) {
				t.Fatalf("%s: %d lines, synth has %d", tg.Path, len(gl), len(wl))
			}
			for i := range gl {
				if strings.HasPrefix(wl[i], "#") || wl[i] == "" {
					if gl[i] != wl[i] {
						t.Fatalf("%s line %d: %q, synth %q", tg.Path, i+1, gl[i], wl[i])
					}
					continue
				}
				if seriesKey(gl[i]) != seriesKey(wl[i]) {
					t.Fatalf("%s line %d: series %q, synth %q", tg.Path, i+1, seriesKey(gl[i]), seriesKey(wl[i]))
				}
			}
			gf, wf := parseText(t, tg.Path, got), parseText(t, "synth "+m.Name, want)
			if len(gf) != len(wf) {
				t.Errorf("%s: %d families, synth %d", tg.Path, len(gf), len(wf))
			}
			for name, f := range wf {
				if g := gf[name]; g == nil || g.GetType() != f.GetType() || len(g.Metric) != len(f.Metric) {
					t.Errorf("%s: family %s differs from synth's", tg.Path, name)
				}
			}
		}
	}
}

// TestEngineValues: the values follow the engine's conventions and the
// catalog's families carry traffic.
func TestEngineValues(t *testing.T) {
	p := enginesPlan(t)
	s := newSim(t, p, simulate.Options{Scenario: "healthy"})
	at := t0.Add(2 * time.Minute)
	for _, m := range p.Models {
		body, err := s.Render(s.Targets()[indexOf(t, s, m.Name, 0)].Path, at)
		if err != nil {
			t.Fatal(err)
		}
		fams := parseText(t, m.Name, body)
		for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
			if strings.HasPrefix(line, "#") {
				continue
			}
			v := line[strings.LastIndexByte(line, ' ')+1:]
			python := m.Engine() == library.VLLM
			if python && !strings.ContainsAny(v, ".en") {
				t.Fatalf("%s: vLLM prints Python floats, got %q", m.Name, line)
			}
			if !python && strings.Contains(v, ".0") && !strings.Contains(seriesKey(line), "_sum") && !strings.Contains(seriesKey(line), "quantile") {
				if _, fam := m.Catalog.SeriesFamily(line[:strings.IndexAny(line, "{ ")]); fam {
					if f, _ := m.Catalog.SeriesFamily(line[:strings.IndexAny(line, "{ ")]); f.Type == library.Counter {
						t.Fatalf("%s: TGI prints counters as integers, got %q", m.Name, line)
					}
				}
			}
		}
		finished, _ := m.Metric(library.RoleRequestFinished)
		if total := sumFamily(fams[finished.Name]); total <= 0 {
			t.Errorf("%s: no finished requests after two minutes", m.Name)
		}
		if e2e, ok := m.Metric(library.RoleE2E); ok {
			f := fams[e2e.Name]
			for _, mt := range f.Metric {
				h := mt.GetHistogram()
				if h.GetSampleCount() == 0 {
					t.Errorf("%s: %s has no observations", m.Name, e2e.Name)
				}
				prev := uint64(0)
				for _, b := range h.Bucket {
					if b.GetCumulativeCount() < prev {
						t.Errorf("%s: %s buckets not cumulative", m.Name, e2e.Name)
					}
					prev = b.GetCumulativeCount()
				}
				if prev > h.GetSampleCount() {
					t.Errorf("%s: bucket above _count", m.Name)
				}
			}
		}
	}
}

func indexOf(t *testing.T, s *simulate.Sim, model string, replica int) int {
	for i, tg := range s.Targets() {
		if tg.Kind == simulate.TargetEngine && tg.Model == model && tg.Replica == replica {
			return i
		}
	}
	t.Fatalf("no target for %s/%d", model, replica)
	return -1
}

func sumFamily(f *dto.MetricFamily) float64 {
	if f == nil {
		return 0
	}
	v := 0.0
	for _, m := range f.Metric {
		v += m.GetCounter().GetValue() + m.GetUntyped().GetValue()
	}
	return v
}

// samples parses an exposition into series key -> value, histograms
// flattened into their _bucket, _sum and _count series.
func samples(fams map[string]*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.Metric {
			var ls []string
			for _, l := range m.Label {
				ls = append(ls, l.GetName()+"="+strconv.Quote(l.GetValue()))
			}
			key := func(suffix string, extra ...string) string {
				return name + suffix + "{" + strings.Join(append(append([]string(nil), ls...), extra...), ",") + "}"
			}
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, bk := range h.Bucket {
					out[key("_bucket", "le="+strconv.FormatFloat(bk.GetUpperBound(), 'g', -1, 64))] = float64(bk.GetCumulativeCount())
				}
				out[key("_sum")] = h.GetSampleSum()
				out[key("_count")] = float64(h.GetSampleCount())
			case dto.MetricType_COUNTER:
				out[key("")] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key("")] = m.GetGauge().GetValue()
			default:
				out[key("")] = m.GetUntyped().GetValue()
			}
		}
	}
	return out
}

// TestCountersMonotonic: from scrape to scrape (within ticks and across
// them, through an incident's onset) no counter, bucket, _sum or _count
// ever decreases, and histogram buckets stay cumulative.
func TestCountersMonotonic(t *testing.T) {
	p := examplePlan(t, "platform")
	for _, sc := range []string{"cache-thrash", "engine-down", "gateway-gap"} {
		s := newSim(t, p, simulate.Options{Scenario: sc, Speed: 60, Seed: 7})
		counters := map[string]bool{}
		prev := map[string]float64{}
		for step := 0; step < 16; step++ {
			at := t0.Add(time.Duration(step) * 700 * time.Millisecond)
			fams := parseText(t, sc, s.RenderAll(at))
			for _, f := range fams {
				if dcgm, ok := library.DCGMByName(f.GetName()); ok && dcgm.NotMonotonic {
					continue // typed counter, but an instantaneous rate
				}
				if f.GetType() == dto.MetricType_COUNTER || f.GetType() == dto.MetricType_HISTOGRAM {
					counters[f.GetName()] = true
				}
			}
			for k, v := range samples(fams) {
				name := k[:strings.IndexByte(k, '{')]
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
				if !counters[name] && !counters[base] {
					continue
				}
				if old, ok := prev[k]; ok && v < old {
					t.Fatalf("%s: %s went from %g to %g at %s", sc, k, old, v, at.Sub(t0))
				}
				prev[k] = v
			}
		}
	}
}

// TestDeterministic: a seed fixes every value; another seed changes them.
func TestDeterministic(t *testing.T) {
	p := examplePlan(t, "quickstart")
	write := func(seed uint64) []byte {
		s := newSim(t, p, simulate.Options{Scenario: "truncations", Seed: seed, Tick: 15 * time.Second})
		var b bytes.Buffer
		if err := s.WriteOpenMetrics(&b, 20*time.Minute, 15*time.Second); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b, c := write(42), write(42), write(43)
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed gave different series")
	}
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same series")
	}
	// The server path too: two simulations scraped at the same times agree.
	s1 := newSim(t, p, simulate.Options{Seed: 9, Speed: 10})
	s2 := newSim(t, p, simulate.Options{Seed: 9, Speed: 10})
	for i := 1; i < 5; i++ {
		at := t0.Add(time.Duration(i) * 1300 * time.Millisecond)
		if !bytes.Equal(s1.RenderAll(at), s2.RenderAll(at)) {
			t.Fatal("scrapes of two simulations with one seed differ")
		}
	}
}

// TestOpenMetrics: the file parses as OpenMetrics to its # EOF, carries
// up for every target, and every sample has a timestamp.
func TestOpenMetrics(t *testing.T) {
	p := examplePlan(t, "platform")
	s := newSim(t, p, simulate.Options{Scenario: "engine-down", Tick: 30 * time.Second})
	var b bytes.Buffer
	if err := s.WriteOpenMetrics(&b, 15*time.Minute, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("# EOF\n")) {
		t.Fatal("no # EOF at the end")
	}
	// The structure promtool's OpenMetrics parser needs: metadata before
	// a family's first sample, every sample with a value and a timestamp.
	ups := map[string]float64{}
	n := 0
	typed := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if strings.HasPrefix(line, "# ") {
			f := strings.Fields(line)
			if f[1] == "TYPE" {
				typed[f[2]] = true
			} else if f[1] != "HELP" && f[1] != "EOF" {
				t.Fatalf("line %d: %q", i+1, line)
			}
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		ts, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil || ts < 1e9 {
			t.Fatalf("line %d: no timestamp: %q", i+1, line)
		}
		rest := line[:sp]
		vs := strings.LastIndexByte(rest, ' ')
		v, err := strconv.ParseFloat(rest[vs+1:], 64)
		if err != nil {
			t.Fatalf("line %d: no value: %q", i+1, line)
		}
		series := rest[:vs]
		name := series
		if j := strings.IndexByte(series, '{'); j >= 0 {
			name = series[:j]
		}
		base := name
		for _, suf := range []string{"_total", "_bucket", "_count", "_sum"} {
			base = strings.TrimSuffix(base, suf)
		}
		if !typed[name] && !typed[base] && !typed[strings.TrimSuffix(name, "_total")] {
			t.Fatalf("line %d: sample before its family's TYPE: %q", i+1, line)
		}
		n++
		if name == library.UpSeries {
			fams := parseText(t, "up", []byte(series+" 0\n"))
			for _, l := range fams[name].Metric[0].Label {
				if l.GetName() == "instance" {
					ups[l.GetValue()] = v
				}
			}
		}
	}
	if len(ups) != len(s.Targets()) {
		t.Errorf("up for %d targets, want %d", len(ups), len(s.Targets()))
	}
	// engine-down: the subject's replicas end down, the others up.
	for _, tg := range s.Targets() {
		want := 1.0
		if tg.Kind == simulate.TargetEngine && tg.Model == s.Subject().Name {
			want = 0
		}
		if got := ups[tg.Labels["instance"]]; got != want {
			t.Errorf("last up of %s = %g, want %g", tg.Labels["instance"], got, want)
		}
	}
	if n < 10000 {
		t.Errorf("only %d samples", n)
	}
}

// TestDCGM: the DCGM series carry the exporter's labels and the steady
// profile's fields, and their values follow the H100 recording per phase.
func TestDCGM(t *testing.T) {
	p := examplePlan(t, "quickstart")
	read := func(sc string, at time.Duration) map[string]*dto.MetricFamily {
		s := newSim(t, p, simulate.Options{Scenario: sc, Onset: -1})
		var path string
		for _, tg := range s.Targets() {
			if tg.Kind == simulate.TargetDCGM {
				path = tg.Path
			}
		}
		s.Render(path, t0.Add(at-time.Second))
		b, err := s.Render(path, t0.Add(at))
		if err != nil {
			t.Fatal(err)
		}
		return parseText(t, "dcgm", b)
	}
	field := func(r library.GPURole) string {
		f, _ := library.DCGMByRole(r)
		return f.Name
	}
	healthy := read("healthy", time.Minute)
	var want []string
	for _, f := range library.DCGMProfileFields(library.DCGMSteady) {
		if f.Type != library.LabelField {
			want = append(want, f.Name)
		}
	}
	for _, n := range want {
		if healthy[n] == nil {
			t.Errorf("no %s", n)
		}
	}
	if len(healthy) != len(want) {
		t.Errorf("%d DCGM families, the steady profile has %d", len(healthy), len(want))
	}
	pod, ns, ctr := library.DCGMWorkloadLabels(true)
	for _, m := range healthy[field(library.GPUTensorActive)].Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for _, l := range []string{library.DCGMLabelGPU, library.DCGMLabelUUID, library.DCGMLabelPCIBusID, library.DCGMLabelDevice, library.DCGMLabelModelName, library.DCGMLabelHostname, pod, ns, ctr} {
			if got[l] == "" {
				t.Errorf("DCGM series without %s: %v", l, got)
			}
		}
		if got[library.DCGMLabelModelName] != library.H100ModelName || got[ns] != "llm" || !strings.HasPrefix(got[pod], "llama-3.1-8b-") {
			t.Errorf("labels %v", got)
		}
	}
	gauge := func(fams map[string]*dto.MetricFamily, r library.GPURole, gpu int) float64 {
		return fams[field(r)].Metric[gpu].GetGauge().GetValue()
	}
	counter := func(fams map[string]*dto.MetricFamily, r library.GPURole, gpu int) float64 {
		return fams[field(r)].Metric[gpu].GetCounter().GetValue()
	}
	if v := counter(healthy, library.GPUThermalViolation, 0); v != 0 {
		t.Errorf("healthy thermal violation %g, want flat 0", v)
	}
	if v := counter(healthy, library.GPUPowerViolation, 0); v <= 0 {
		t.Errorf("healthy GPUs prefill at the power cap part of the time: power violation %g", v)
	}
	capped := read("power-capped", time.Minute)
	if v := gauge(capped, library.GPUPower, 0); v < 690 || v > library.H100PowerLimitW {
		t.Errorf("power-capped draws %g W, want ~698 W and at most the cap", v)
	}
	if v := gauge(capped, library.GPUSMClock, 0); v > 1600 {
		t.Errorf("power-capped SM clock %g MHz, want near 1350", v)
	}
	if v := counter(capped, library.GPUThermalViolation, 0); v != 0 {
		t.Errorf("power-capped thermal violation %g, want 0", v)
	}
	if a, b := counter(capped, library.GPUPowerViolation, 0), counter(healthy, library.GPUPowerViolation, 0); a <= b {
		t.Errorf("power violation under the cap %g not above healthy %g", a, b)
	}
	hot := read("thermal-throttling", time.Minute)
	if v := counter(hot, library.GPUThermalViolation, 0); v <= 0 {
		t.Errorf("thermal-throttling: thermal violation %g", v)
	}
	if v := counter(hot, library.GPUThermalViolation, 1); v != 0 {
		t.Errorf("thermal-throttling: GPU 1 accrues thermal time %g", v)
	}
	stall := read("tensor-idle", time.Minute)
	if v := gauge(stall, library.GPUTensorActive, 0); v > 0.01 {
		t.Errorf("stalled replica's GPU tensor activity %g, want ~0.001", v)
	}
	if v := gauge(stall, library.GPUTensorActive, 1); v < 0.3 {
		t.Errorf("serving GPU tensor activity %g", v)
	}
}

// TestGateway: spanmetrics series for every served (tenant, model) pair
// and configured span, with every gateway SLO threshold among the buckets.
func TestGateway(t *testing.T) {
	p := examplePlan(t, "platform")
	s := newSim(t, p, simulate.Options{})
	b, err := s.Render("/metrics/gateway", t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	fams := parseText(t, "gateway", b)
	sm := p.Tracing.SpanMetrics
	dur := fams[sm.DurationFamily]
	calls := fams[sm.CallsSeries]
	if dur == nil || calls == nil {
		t.Fatalf("families %v", keys(fams))
	}
	for _, slo := range p.SLOs {
		if slo.Source != schema.SourceGateway || !slo.Kind.IsLatency() {
			continue
		}
		found := false
		for _, m := range dur.Metric {
			ls := map[string]string{}
			for _, l := range m.Label {
				ls[l.GetName()] = l.GetValue()
			}
			if ls[p.Tracing.TenantLabel] != slo.Tenant.Name || ls[p.Tracing.ModelLabel] != slo.Model.Spec.ServedName {
				continue
			}
			for _, bk := range m.GetHistogram().Bucket {
				if library.NearlyEqual(bk.GetUpperBound(), sm.Bound(slo.Threshold)) {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s: no gateway bucket at %s for tenant %s", slo.ID, slo.Threshold, slo.Tenant.Name)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestScenarios: the list, and what each scenario expects of the
// generated rules.
func TestScenarios(t *testing.T) {
	want := []string{"healthy", "ttft-fast-burn", "ttft-slow-burn", "cache-thrash", "tensor-idle", "truncations", "power-capped", "thermal-throttling", "gateway-gap", "engine-down"}
	if got := simulate.ScenarioNames(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("scenarios %v, want %v", got, want)
	}
	if _, err := simulate.Lookup("nope"); err == nil {
		t.Error("unknown scenario accepted")
	}
	var list bytes.Buffer
	simulate.WriteList(&list, nil)
	for _, n := range want {
		if !strings.Contains(list.String(), n+"\n") {
			t.Errorf("--list lacks %s", n)
		}
	}

	q := examplePlan(t, "quickstart")
	ttft := &plan.SLO{}
	for _, s := range q.SLOs {
		if s.Kind == library.SLOTTFT {
			ttft = s
		}
	}
	must := map[string][]string{
		"healthy":            nil,
		"power-capped":       nil,
		"cache-thrash":       {rules.AlertKVCacheThrash},
		"tensor-idle":        {rules.AlertTensorIdle},
		"truncations":        {rules.AlertTruncations},
		"thermal-throttling": {rules.AlertGPUThermalSlowdown},
		"engine-down":        {rules.AlertTargetMissing},
		"ttft-fast-burn":     {rules.AlertName(ttft) + "/page-fast", rules.AlertName(ttft) + "/page-slow"},
		"ttft-slow-burn":     {rules.AlertName(ttft) + "/page-slow"},
	}
	for sc, alerts := range must {
		s := newSim(t, q, simulate.Options{Scenario: sc})
		exps := s.Expectations(0)
		got := map[string]bool{}
		for _, e := range exps {
			if e.Must {
				got[e.Alert] = true
				if tier := e.Labels[library.LabelTier]; tier != "" {
					got[e.Alert+"/"+tier] = true
				}
			}
		}
		for _, a := range alerts {
			if !got[a] {
				t.Errorf("%s: does not expect %s (%v)", sc, a, exps)
			}
		}
		if alerts == nil && len(exps) > 0 {
			t.Errorf("%s expects %v, want nothing", sc, exps)
		}
	}
	// A slow burn never pages fast.
	for _, e := range newSim(t, q, simulate.Options{Scenario: "ttft-slow-burn"}).Expectations(0) {
		if e.Labels[library.LabelTier] == "page-fast" {
			t.Errorf("ttft-slow-burn expects %s", e)
		}
	}
	// Without tracing there is no gateway to lag.
	var na *simulate.NotApplicableError
	if _, err := simulate.New(q, simulate.Options{Scenario: "gateway-gap"}); !errors.As(err, &na) {
		t.Errorf("gateway-gap on the quickstart: %v", err)
	}
	pl := examplePlan(t, "platform")
	exps := newSim(t, pl, simulate.Options{Scenario: "gateway-gap"}).Expectations(0)
	found := false
	for _, e := range exps {
		found = found || (e.Must && e.Alert == rules.AlertGatewayTTFTGap)
	}
	if !found {
		t.Errorf("gateway-gap on the platform: %v", exps)
	}
}

func TestHandler(t *testing.T) {
	p := examplePlan(t, "quickstart")
	now := t0
	s := newSim(t, p, simulate.Options{Scenario: "engine-down", Speed: 60})
	srv := httptest.NewServer(s.Handler(func() time.Time { return now }))
	defer srv.Close()
	get := func(path string) (int, []byte) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	code, body := get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	fams := parseText(t, "/metrics", body)
	running := fams["vllm:num_requests_running"]
	if running == nil || len(running.Metric) != 4 {
		t.Fatalf("/metrics: running series %v", running)
	}
	engine := s.Targets()[0]
	if code, _ := get(engine.Path); code != 200 {
		t.Errorf("%s before the onset: %d", engine.Path, code)
	}
	now = t0.Add(time.Minute) // 60x: an hour of scenario time, past the onset
	if code, _ := get(engine.Path); code != http.StatusServiceUnavailable {
		t.Errorf("%s after the engine went down: %d, want 503", engine.Path, code)
	}
	if code, _ := get("/metrics/nope"); code != 404 {
		t.Errorf("/metrics/nope: %d", code)
	}
	code, body = get("/targets")
	var sd []simulate.SDTarget
	if err := json.Unmarshal(body, &sd); err != nil || code != 200 || len(sd) != len(s.Targets()) {
		t.Fatalf("/targets: %d %v %s", code, err, body)
	}
	if sd[0].Labels["__metrics_path__"] != engine.Path || sd[0].Labels["job"] != "vllm-llama-8b" {
		t.Errorf("/targets[0] = %v", sd[0])
	}
	if code, body := get("/"); code != 200 || !bytes.Contains(body, []byte("engine-down")) {
		t.Errorf("index: %d %s", code, body)
	}
}

func TestCheckLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:9400": true, "[::1]:9400": true, "localhost:9400": true, "127.0.0.2:1": true,
		":9400": false, "0.0.0.0:9400": false, "[::]:9400": false, "10.0.0.1:9400": false, "example.com:9400": false, "127.0.0.1": false,
	} {
		if err := simulate.CheckLoopback(addr); (err == nil) != ok {
			t.Errorf("CheckLoopback(%q) = %v", addr, err)
		}
	}
}

func TestCompressRules(t *testing.T) {
	r, err := compiler.Compile("../../examples/quickstart")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := r.Artifact("prometheus/diagnostics.yaml")
	out, err := simulate.CompressRules(a.Data, simulate.Compression{Factor: 30, Exprs: true, For: true})
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{"interval: 1s", "[4s]", "[20s]", "for: 10s", "for: 30s", "absent(up{"} {
		if !strings.Contains(text, want) {
			t.Errorf("compressed diagnostics lack %q:\n%s", want, text)
		}
	}
	for _, gone := range []string{"[2m]", "[10m]", "for: 5m"} {
		if strings.Contains(text, gone) {
			t.Errorf("compressed diagnostics still have %q", gone)
		}
	}
	slo, _ := r.Artifact("prometheus/slo-support-chat-ttft.yaml")
	only, err := simulate.CompressRules(slo.Data, simulate.Compression{Factor: 30})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(only); !strings.Contains(s, "interval: 10s") || !strings.Contains(s, "[30d]") || !strings.Contains(s, "for: 2m") {
		t.Errorf("interval-only compression changed more than the intervals:\n%s", s)
	}
	names, err := simulate.RuleNames(out)
	if err != nil || len(names["inferobs:diagnostics"]) == 0 {
		t.Errorf("RuleNames: %v %v", names, err)
	}
}

// TestPrometheusConfig: the generated prometheus.yml names every target
// with its path and labels.
func TestPrometheusConfig(t *testing.T) {
	p := examplePlan(t, "quickstart")
	s := newSim(t, p, simulate.Options{})
	cfg, err := s.PrometheusConfig(simulate.PrometheusSetup{Address: "127.0.0.1:1234", RuleFiles: []string{"/r/*.yaml"}, RuleQueryOffset: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"__metrics_path__: /metrics/engine/llama-3.1-8b/3", "rule_query_offset: 1s", "- /r/*.yaml", "honor_labels: false", "job: dcgm-exporter"} {
		if !bytes.Contains(cfg, []byte(want)) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
}

func TestPythonFloatFormatting(t *testing.T) {
	// Through the vLLM exposition: _created carries the start time in
	// Python's exponent form.
	p := examplePlan(t, "quickstart")
	s := newSim(t, p, simulate.Options{Start: time.Unix(1700000000, 0)})
	b, _ := s.Render(s.Targets()[0].Path, time.Unix(1700000001, 0))
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "vllm:num_preemptions_created{") && !strings.HasSuffix(sc.Text(), " 1.7e+09") {
			t.Errorf("created line %q", sc.Text())
		}
	}
}

// TestTTFTBurnIsNoGatewayGap: when the engine's TTFT degrades, the gateway
// sees the same first tokens a few milliseconds later; with the spanmetrics
// boundaries aligned on the engine's in the TTFT range, the p95s the
// gateway-gap alert compares agree, and only a real delay at the gateway
// trips it.
func TestTTFTBurnIsNoGatewayGap(t *testing.T) {
	p := examplePlan(t, "platform")
	for _, sc := range []string{"ttft-fast-burn", "ttft-slow-burn"} {
		for _, e := range newSim(t, p, simulate.Options{Scenario: sc}).Expectations(0) {
			if e.Alert == rules.AlertGatewayTTFTGap {
				t.Errorf("%s expects %s: a TTFT burn at the engine reads as gateway buffering", sc, e)
			}
		}
	}
	found := false
	for _, e := range newSim(t, p, simulate.Options{Scenario: "gateway-gap"}).Expectations(0) {
		found = found || (e.Alert == rules.AlertGatewayTTFTGap && e.Must)
	}
	if !found {
		t.Error("gateway-gap does not expect the gateway-gap alert")
	}
}
