package rules

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/template"

	"github.com/inferobs/inferobs/generators/plan"
	pql "github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
)

// A diagnostic case: series to load and, at one time, the alert expected
// firing (with the labels of the sample that triggers it) or quiet.
type diagCase struct {
	name   string
	alert  string
	model  *plan.Model
	series []inputSeries
	at     time.Duration
	// fire is the triggering sample's labels (without the rule's labels)
	// and value; nil when the alert must stay quiet.
	fire  map[string]string
	value float64
}

// diagnosticTests returns a firing and a quiet case per diagnostic alert.
func diagnosticTests(p *plan.Plan, alerts map[string][]Rule) []testGroup {
	var cases []diagCase
	for _, m := range p.Models {
		cases = append(cases, modelDiagCases(p, m)...)
	}
	cases = append(cases, gpuDiagCases()...)
	// Two replicas up per model, so a rule that forgets to aggregate its
	// targets fails to evaluate.
	ups := map[*plan.Model][]inputSeries{}
	for _, m := range p.Models {
		second := upSeries(m)
		second["instance"] = fmt.Sprintf("10.0.0.11:%d", m.Catalog.Info.DefaultPort)
		ups[m] = []inputSeries{seriesOf(upSeries(m), steady(1, diagMinutes)), seriesOf(second, steady(1, diagMinutes))}
	}
	var out []testGroup
	for _, c := range cases {
		// A missing-target case has every other model up, so only its own
		// model can page; other cases need only their own model's
		// targets (every model's for GPU cases, which have none), as the
		// test looks at one alert name.
		for _, m := range p.Models {
			switch {
			case c.alert == AlertTargetMissing && m != c.model,
				c.alert != AlertTargetMissing && (c.model == nil || c.model == m):
				c.series = append(c.series, ups[m]...)
			}
		}
		rule, ok := findRule(alerts[c.alert], c.model)
		if !ok {
			continue
		}
		exp := []expAlert{}
		if c.fire != nil {
			exp = append(exp, expectedAlert(rule, c.alert, c.fire, c.value))
		}
		out = append(out, testGroup{
			Name:        c.name,
			Interval:    model.Duration(sampleStep).String(),
			InputSeries: c.series,
			AlertTests:  []alertTest{{EvalTime: model.Duration(c.at).String(), Alertname: c.alert, ExpAlerts: exp}},
		})
	}
	return out
}

func findRule(rs []Rule, m *plan.Model) (Rule, bool) {
	for _, r := range rs {
		if m == nil || r.Labels[library.LabelModel] == m.Name {
			return r, true
		}
	}
	return Rule{}, false
}

// expectedAlert is what the engine makes of a firing sample: its labels
// without the metric name plus the rule's, and the annotations expanded
// with the sample's labels.
func expectedAlert(r Rule, name string, sample map[string]string, value float64) expAlert {
	l := map[string]string{}
	for k, v := range sample {
		if k != labels.MetricName {
			l[k] = v
		}
	}
	for k, v := range r.Labels {
		l[k] = v
	}
	ann := map[string]string{}
	for k, text := range r.Annotations {
		ann[k] = expand(name, text, sample, value)
	}
	return expAlert{ExpLabels: l, ExpAnnotations: ann}
}

// expand renders an annotation template the way the rule engine does.
func expand(name, text string, sample map[string]string, value float64) string {
	defs := "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
	data := template.AlertTemplateData(sample, map[string]string{}, "", promql.Sample{F: value})
	noQuery := func(context.Context, string, time.Time) (promql.Vector, error) { return nil, nil }
	exp := template.NewTemplateExpander(context.Background(), defs+text, "__alert_"+name, data, model.Time(0), noQuery, &url.URL{}, nil)
	out, err := exp.Expand()
	if err != nil {
		return text
	}
	return out
}

// engineSeries builds a series of the model: its selector's labels, a pod
// and an instance, and the data-parallel label where the engine has one.
func engineSeries(m *plan.Model, name string, replica int, extra ...string) map[string]string {
	l := map[string]string{labels.MetricName: name}
	for _, mt := range m.Matchers {
		if mt.Type == labels.MatchEqual {
			l[mt.Name] = mt.Value
		}
	}
	pod, ns, _ := library.DCGMWorkloadLabels(true)
	if _, ok := l[ns]; !ok {
		l[ns] = "inference"
	}
	l[pod] = fmt.Sprintf("%s-%d", fileName(m.Name), replica)
	l["instance"] = fmt.Sprintf("10.0.0.%d:%d", 10+replica, m.Catalog.Info.DefaultPort)
	if m.Catalog.HasDataParallelLabel() {
		l[m.Catalog.Info.DataParallelLabel] = "0"
	}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

// gpuSeries builds a DCGM series of GPU i as scraped through a
// ServiceMonitor that does not honour labels, serving the given pod.
func gpuSeries(name string, i int, pod, namespace string) map[string]string {
	xpod, xns, _ := library.DCGMWorkloadLabels(false)
	ipod, ins, _ := library.DCGMWorkloadLabels(true)
	l := map[string]string{
		labels.MetricName: name,
		"gpu":             fmt.Sprint(i), "UUID": fmt.Sprintf("GPU-00000000-0000-0000-0000-00000000000%d", i),
		"device": fmt.Sprintf("nvidia%d", i), "modelName": "NVIDIA H100 80GB HBM3",
		"Hostname": "gpu-node-1", "pci_bus_id": fmt.Sprintf("00000000:%02X:00.0", 0x18+i),
		ipod: "dcgm-exporter-7xk2p", ins: "gpu-operator",
	}
	if pod != "" {
		l[xpod], l[xns] = pod, namespace
	}
	return l
}

func seriesOf(l map[string]string, values string) inputSeries {
	name := l[labels.MetricName]
	rest := map[string]string{}
	for k, v := range l {
		if k != labels.MetricName {
			rest[k] = v
		}
	}
	return inputSeries{Series: seriesText(plan.Series{Name: name, Labels: rest}, nil), Values: values}
}

// rising is a counter growing by perMin every minute for minutes.
func rising(perMin float64, minutes int) string { return fmt.Sprintf("0+%sx%d", num(perMin), minutes) }

// steady is a gauge holding v for minutes.
func steady(v float64, minutes int) string { return fmt.Sprintf("%s+0x%d", num(v), minutes) }

// histogram returns the bucket, sum and count series of one histogram
// whose observations all take value v, perMin of them a minute.
func histogram(base map[string]string, bucketSeries, family string, bounds []float64, style library.LeStyle, v, perMin float64, minutes int) []inputSeries {
	var out []inputSeries
	for _, b := range append(append([]float64(nil), bounds...), inf) {
		l := copyLabels(base)
		l[labels.MetricName] = bucketSeries
		l["le"] = style.LeText(b)
		inc := 0.0
		if v <= b {
			inc = perMin
		}
		out = append(out, seriesOf(l, rising(inc, minutes)))
	}
	l := copyLabels(base)
	l[labels.MetricName] = family + "_count"
	out = append(out, seriesOf(l, rising(perMin, minutes)))
	return out
}

var inf = posInf()

func posInf() float64 { var z float64; return 1 / z }

func copyLabels(l map[string]string) map[string]string {
	out := make(map[string]string, len(l))
	for k, v := range l {
		out[k] = v
	}
	return out
}

func noName(l map[string]string) map[string]string {
	out := copyLabels(l)
	delete(out, labels.MetricName)
	return out
}

const diagMinutes = 40

// upSeries is the scrape health of the model's first replica.
func upSeries(m *plan.Model) map[string]string {
	up := map[string]string{labels.MetricName: library.UpSeries}
	for _, mt := range m.TargetMatchers {
		up[mt.Name] = mt.Value
	}
	up["instance"] = fmt.Sprintf("10.0.0.10:%d", m.Catalog.Info.DefaultPort)
	return up
}

func modelDiagCases(p *plan.Plan, m *plan.Model) []diagCase {
	var cs []diagCase
	n := diagMinutes
	at := 30 * time.Minute
	tag := func(alert, what string) string { return fmt.Sprintf("%s %s: %s", alert, m.Name, what) }

	up := upSeries(m)
	cs = append(cs,
		diagCase{tag(AlertTargetMissing, "every target down pages"), AlertTargetMissing, m, []inputSeries{seriesOf(up, steady(0, n))}, at, map[string]string{}, 1},
		diagCase{tag(AlertTargetMissing, "targets up stay quiet"), AlertTargetMissing, m, []inputSeries{seriesOf(up, steady(1, n))}, at, nil, 0})

	kv, hasKV := m.Metric(library.RoleKVCacheUsage)
	pre, hasPre := m.Metric(library.RolePreemptions)
	if hasKV && hasPre {
		thrash := func(preemptPerMin float64) []inputSeries {
			return []inputSeries{
				seriesOf(engineSeries(m, kv.Name, 0), steady(0.97, n)),
				seriesOf(engineSeries(m, pre.Name, 0), rising(preemptPerMin, n)),
			}
		}
		cs = append(cs,
			diagCase{tag(AlertKVCacheThrash, "a full cache with 1 preemption/s fires"), AlertKVCacheThrash, m, thrash(60), at, map[string]string{}, 0.97},
			diagCase{tag(AlertKVCacheThrash, "a full cache without preemptions stays quiet"), AlertKVCacheThrash, m, thrash(0), at, nil, 0})
	}

	if run, ok := runningGauge(m); ok {
		tensor, _ := library.DCGMByRole(library.GPUTensorActive)
		pod, ns, _ := library.DCGMWorkloadLabels(true)
		eng := engineSeries(m, run.Name, 0)
		idle := func(activity float64) []inputSeries {
			return []inputSeries{
				seriesOf(eng, steady(6, n)),
				seriesOf(gpuSeries(tensor.Name, 0, eng[pod], eng[ns]), steady(activity, n)),
			}
		}
		// 0.001 is the H100's tensor activity during a host-side stall; 0.24
		// its memory-bound decode: busy, not idle.
		cs = append(cs,
			diagCase{tag(AlertTensorIdle, "requests running on a stalled GPU fire"), AlertTensorIdle, m, idle(0.001), at, map[string]string{ns: eng[ns], pod: eng[pod]}, 0.001},
			diagCase{tag(AlertTensorIdle, "memory-bound decode at 24% tensor activity stays quiet"), AlertTensorIdle, m, idle(0.24), at, nil, 0})
	}

	if fin, ok := m.Metric(library.RoleRequestFinished); ok && m.Catalog.Info.TruncatedReason != "" {
		label := m.Catalog.Info.FinishReasonLabel
		trunc := func(lengthPerMin float64) []inputSeries {
			return []inputSeries{
				seriesOf(engineSeries(m, fin.Name, 0, label, m.Catalog.Info.CompleteReason), rising(80-lengthPerMin, n)),
				seriesOf(engineSeries(m, fin.Name, 0, label, m.Catalog.Info.TruncatedReason), rising(lengthPerMin, n)),
			}
		}
		cs = append(cs,
			diagCase{tag(AlertTruncations, "25% of streams cut at max_tokens fire"), AlertTruncations, m, trunc(20), at, map[string]string{}, 0.25},
			diagCase{tag(AlertTruncations, "2.5% cut stays quiet"), AlertTruncations, m, trunc(2), at, nil, 0})
	}

	if hasKV {
		waiting, _ := m.Metric(library.RoleRequestsWaiting)
		queue := func(usage float64) []inputSeries {
			return []inputSeries{
				seriesOf(engineSeries(m, waiting.Name, 0), fmt.Sprintf("1+1x%d", n)),
				seriesOf(engineSeries(m, kv.Name, 0), steady(usage, n)),
			}
		}
		cs = append(cs,
			diagCase{tag(AlertQueueComputeBound, "a growing queue with a half-empty cache fires"), AlertQueueComputeBound, m, queue(0.5), at, map[string]string{labels.MetricName: library.RecRequestsWaiting, library.LabelModel: m.Name}, 0},
			diagCase{tag(AlertQueueComputeBound, "a growing queue with a full cache (memory-bound) stays quiet"), AlertQueueComputeBound, m, queue(0.97), at, nil, 0})
	}

	if acc, ok := m.Metric(library.RoleSpecAcceptedTokens); ok {
		draft, _ := m.Metric(library.RoleSpecDraftTokens)
		spec := func(acceptedPerMin float64) []inputSeries {
			return []inputSeries{
				seriesOf(engineSeries(m, acc.Name, 0), rising(acceptedPerMin, n)),
				seriesOf(engineSeries(m, draft.Name, 0), rising(100, n)),
			}
		}
		cs = append(cs,
			diagCase{tag(AlertSpecDecodeBelowBE, "30% acceptance fires"), AlertSpecDecodeBelowBE, m, spec(30), at, map[string]string{labels.MetricName: library.RecSpecAcceptance, library.LabelModel: m.Name}, 0.3},
			diagCase{tag(AlertSpecDecodeBelowBE, "80% acceptance stays quiet"), AlertSpecDecodeBelowBE, m, spec(80), at, nil, 0})
	}

	if tr := p.Tracing; tr != nil {
		span, hasSpan := tr.Spec.Spans[library.SLOTTFT]
		fam, hasTTFT := m.Metric(library.RoleTTFT)
		if hasSpan && hasTTFT && servedAtGateway(p, m) {
			sm := tr.SpanMetrics
			gwLabels := map[string]string{tr.ModelLabel: m.Spec.ServedName, sm.Labels.SpanName: span}
			if len(p.Tenants) > 0 {
				gwLabels[tr.TenantLabel] = p.Tenants[0].Name
			}
			var bounds []float64
			for _, b := range tr.Buckets {
				bounds = append(bounds, sm.Bound(b))
			}
			gap := func(gatewaySeconds float64) []inputSeries {
				ser := histogram(noName(engineSeries(m, "", 0)), m.BucketSeries(fam), fam.Name, fam.Buckets, m.Catalog.Info.LeStyle, 0.2, 60, n)
				return append(ser, histogram(gwLabels, tr.DurationBuckets(), sm.DurationFamily, bounds, sm.LeStyle, sm.Bound(time.Duration(gatewaySeconds*float64(time.Second))), 60, n)...)
			}
			cs = append(cs,
				diagCase{tag(AlertGatewayTTFTGap, "gateway TTFT 1.9s behind a 0.2s engine fires"), AlertGatewayTTFTGap, m, gap(1.9), at, map[string]string{}, 0},
				diagCase{tag(AlertGatewayTTFTGap, "gateway within 0.15s of the engine stays quiet"), AlertGatewayTTFTGap, m, gap(0.35), at, nil, 0})
		}
	}
	return cs
}

func gpuDiagCases() []diagCase {
	n := diagMinutes
	at := 30 * time.Minute
	field := func(r library.GPURole) string {
		f, _ := library.DCGMByRole(r)
		return f.Name
	}
	thermal := gpuSeries(field(library.GPUThermalViolation), 0, "", "")
	power := gpuSeries(field(library.GPUPowerViolation), 0, "", "")
	clock := gpuSeries(field(library.GPUSMClock), 0, "", "")
	watts := gpuSeries(field(library.GPUPower), 0, "", "")
	xid := gpuSeries(field(library.GPUXIDErrors), 0, "", "")
	// The real H100 at full load: 1350 MHz at its 700 W cap, power-violation
	// time accruing, thermal-violation time flat.
	capped := []inputSeries{
		seriesOf(thermal, steady(0, n)),
		seriesOf(power, rising(3e10, n)),
		seriesOf(clock, steady(1350, n)),
		seriesOf(watts, steady(698, n)),
	}
	hot := []inputSeries{
		seriesOf(thermal, rising(2e10, n)),
		seriesOf(power, steady(0, n)),
		seriesOf(clock, steady(1100, n)),
		seriesOf(watts, steady(540, n)),
	}
	return []diagCase{
		{"GPUThermalSlowdown: thermal-violation time accruing fires", AlertGPUThermalSlowdown, nil, hot, at, noName(thermal), 0},
		{"GPUThermalSlowdown: a fully loaded GPU at its power cap (1350 MHz, 698 W) stays quiet", AlertGPUThermalSlowdown, nil, capped, at, nil, 0},
		{"GPUXIDError: a new XID 79 fires", AlertGPUXIDError, nil, []inputSeries{seriesOf(xid, "0+0x24 79+0x15")}, at, xid, 79},
		{"GPUXIDError: no XID stays quiet", AlertGPUXIDError, nil, []inputSeries{seriesOf(xid, steady(0, n))}, at, nil, 0},
	}
}

var _ = sort.Strings
var _ = strings.Join
var _ = pql.Num
