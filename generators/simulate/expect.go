package simulate

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/rules"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// Expectation is an alert a scenario brings to pending or firing once its
// incident runs. An alert no expectation matches must stay inactive.
type Expectation struct {
	Alert string
	// Labels identify the alert instance (a subset of its labels).
	Labels map[string]string
	// Must: the alert has to become pending or firing. Otherwise it may
	// (the scenario sits near its line, where noise decides).
	Must bool
	// Why says what crosses which line.
	Why string
}

// Matches reports whether an active alert with these labels is this one.
func (e Expectation) Matches(alert string, ls map[string]string) bool {
	if alert != e.Alert {
		return false
	}
	for k, v := range e.Labels {
		if ls[k] != v {
			return false
		}
	}
	return true
}

func (e Expectation) String() string {
	var ls []string
	for k, v := range e.Labels {
		ls = append(ls, fmt.Sprintf("%s=%q", k, v))
	}
	sort.Strings(ls)
	return e.Alert + "{" + strings.Join(ls, ", ") + "}"
}

// Margins: an alert whose condition sits more than mustMargin times over
// its line must fire; between mayMargin and mustMargin it may.
const (
	mustMargin = 1.25
	mayMargin  = 0.8
	// gapMargin is the absolute margin, in seconds, around the gateway TTFT
	// gap line (histogram_quantile interpolates inside buckets).
	gapMargin = 0.15
)

// Expectations returns what the simulation's scenario does to the plan's
// rules once its incident has run for a while: the alerts that must and
// may become active, from the same state the series are drawn from
// (without noise). Healthy traffic expects nothing.
//
// window is the shortest wall time of traffic the alerts are judged on (0:
// the long run). Over a short window the bad share of an SLO's events
// wanders: a burn tier whose line is within three standard deviations of
// the expected share may fire, and one must clear that band to be sure to.
//
// An SLO whose events the incident stops (an engine that is down) keeps
// the events from before it in its windows while they empty: its tiers may
// fire.
func (s *Sim) Expectations(window time.Duration) []Expectation {
	zero := func() float64 { return 0 }
	snap := s.w.snapshot(true, 1, zero, s.gpuInfos(), nil)
	before := s.w.snapshot(false, 1, zero, s.gpuInfos(), nil)
	return expectations(s.p, snap, before, s.gpuInfos(), window, s.opts.Speed)
}

func expectations(p *plan.Plan, snap, before snapshot, gpus []*gpuInfo, window time.Duration, speed float64) []Expectation {
	var out []Expectation
	add := func(alert string, ls map[string]string, ratio float64, why string) {
		switch {
		case ratio > mustMargin:
			out = append(out, Expectation{Alert: alert, Labels: ls, Must: true, Why: why})
		case ratio > mayMargin:
			out = append(out, Expectation{Alert: alert, Labels: ls, Why: why + " (near its line)"})
		}
	}
	for _, s := range p.SLOs {
		bad, rate, ok := sliBad(s, snap)
		if !ok {
			// No events during the incident (its engine is down): every
			// window holds what is left of the traffic from before, good
			// and bad events together (the rules sample them only in
			// pairs), so its error ratio is the one from before and is
			// judged like it.
			if bad, rate, ok = sliBad(s, before); !ok {
				continue
			}
		}
		for _, t := range p.Tiers {
			line := t.Factor * s.Budget
			ls := s.Labels()
			ls[library.LabelTier] = t.Name
			why := fmt.Sprintf("%.3g of %s events are bad against a %s line of %.3g", bad, s.ID, t.Name, line)
			lo, hi := bad, bad
			if window > 0 && (rate > 0 || s.SLI.Type != plan.SLIRatio) {
				w := window.Seconds()
				if short := t.Short.Seconds() / math.Max(speed, 1); short < w {
					w = short
				}
				n := math.Max(1, rate*w)
				if s.SLI.Type != plan.SLIRatio {
					// A gauge verdict (queue headroom) is one sample per
					// evaluation, and the queue it reads keeps its depth
					// for many of them: count a tenth of the evaluations
					// as independent.
					ev := p.EvaluationInterval.Seconds() / math.Max(speed, 1)
					n = math.Max(1, w/ev/10)
				}
				sd := math.Sqrt(math.Max(bad, 1/n)*(1-bad)/n) + 1/n
				lo, hi = bad-3*sd, bad+3*sd
			}
			switch {
			case bad > mustMargin*line && lo > line:
				out = append(out, Expectation{Alert: rules.AlertName(s), Labels: ls, Must: true, Why: why})
			case hi > mayMargin*line:
				out = append(out, Expectation{Alert: rules.AlertName(s), Labels: ls, Why: why + " (within reach of noise)"})
			}
		}
	}
	for _, m := range p.Models {
		out = append(out, modelExpectations(p, m, snap, gpus, add)...)
	}
	for i, g := range gpus {
		if c := snap.gpus[i]; c.thermal > 0 {
			out = append(out, Expectation{Alert: rules.AlertGPUThermalSlowdown, Must: true,
				Labels: map[string]string{library.DCGMLabelGPU: fmt.Sprint(g.index), library.DCGMLabelUUID: g.uuid, library.DCGMLabelHostname: g.node},
				Why:    fmt.Sprintf("GPU %d on %s accrues thermal-violation time", g.index, g.node)})
		}
	}
	return out
}

func modelExpectations(p *plan.Plan, m *plan.Model, snap snapshot, gpus []*gpuInfo, add func(string, map[string]string, float64, string)) []Expectation {
	var out []Expectation
	ml := func(extra ...string) map[string]string {
		l := map[string]string{library.LabelModel: m.Name}
		for i := 0; i+1 < len(extra); i += 2 {
			l[extra[i]] = extra[i+1]
		}
		return l
	}
	var up []engineCond
	for _, c := range snap.replicas[m] {
		if !c.down {
			up = append(up, c)
		}
	}
	if len(up) == 0 {
		return []Expectation{{Alert: rules.AlertTargetMissing, Labels: ml(), Must: true, Why: "every engine target of " + m.Name + " is down"}}
	}
	maxKV, preempt, waiting, slope, rate, length := 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
	for _, c := range up {
		maxKV = math.Max(maxKV, c.kv)
		preempt += c.preempt
		waiting += c.waiting
		slope += c.waitingSlope
		rate += c.reqRate
		length += c.reqRate * c.length
	}
	if hasRole(m, library.RoleKVCacheUsage) && hasRole(m, library.RolePreemptions) {
		r := math.Min(preempt/library.PreemptionsPerSecond, 1+(maxKV-library.KVCacheFull)/0.02)
		add(rules.AlertKVCacheThrash, ml(), r, fmt.Sprintf("KV cache %.3g full, %.3g preemptions/s", maxKV, preempt))
	}
	if hasRole(m, library.RoleKVCacheUsage) && waiting > 0 && slope > 0 {
		add(rules.AlertQueueComputeBound, ml(), library.KVCacheHealthy/maxKV, fmt.Sprintf("the queue grows with the KV cache %.3g full", maxKV))
	}
	if hasRunningGauge(m) {
		pod, ns, _ := library.DCGMWorkloadLabels(true)
		for r, c := range snap.replicas[m] {
			if c.down || c.running <= library.RunningUnderLoad {
				continue
			}
			tensor, n := 0.0, 0
			for i, g := range gpus {
				if g.model == m && g.replica == r {
					tensor += gpuReading(snap.gpus[i], library.GPUTensorActive)
					n++
				}
			}
			if n == 0 {
				continue
			}
			tensor /= float64(n)
			add(rules.AlertTensorIdle, ml(pod, podName(m, r), ns, podNamespace(m)), library.TensorIdle/math.Max(tensor, 1e-9),
				fmt.Sprintf("pod %s runs %g requests at %.3g tensor activity", podName(m, r), c.running, tensor))
		}
	}
	if hasRole(m, library.RoleRequestFinished) && m.Catalog.Info.FinishReasonLabel != "" && m.Catalog.Info.TruncatedReason != "" && rate > 0 {
		share := length / rate
		add(rules.AlertTruncations, ml(), share/library.TruncatedShare, fmt.Sprintf("%.3g of streams stop at max_tokens", share))
	}
	if hasRole(m, library.RoleSpecAcceptedTokens) {
		acc := snap.models[m].specAccept
		add(rules.AlertSpecDecodeBelowBE, ml(), p.SpecDecodeBreakEven/acc, fmt.Sprintf("draft acceptance %.3g", acc))
	}
	if gap, ok := gatewayGap(p, m, snap); ok {
		r := 0.0
		switch {
		case gap > library.GatewayTTFTGapSeconds+gapMargin:
			r = mustMargin + 1
		case gap > library.GatewayTTFTGapSeconds-gapMargin:
			r = 1
		}
		add(rules.AlertGatewayTTFTGap, ml(), r, fmt.Sprintf("gateway p95 TTFT %.3gs behind the engine's", gap))
	}
	return out
}

// gatewayGap is the gap the gateway-divergence alert computes: the
// gateway's p95 TTFT minus the engine's, both as histogram_quantile reads
// their buckets.
func gatewayGap(p *plan.Plan, m *plan.Model, snap snapshot) (float64, bool) {
	tr := p.Tracing
	if tr == nil {
		return 0, false
	}
	if _, ok := tr.Spec.Spans[library.SLOTTFT]; !ok || len(tenantShares(p, m)) == 0 {
		return 0, false
	}
	fam, ok := m.Metric(library.RoleTTFT)
	if !ok {
		return 0, false
	}
	c := snap.models[m]
	if c.gatewayNoFirstToken {
		return 0, false
	}
	var bounds []float64
	for _, b := range tr.Buckets {
		bounds = append(bounds, b.Seconds())
	}
	q := library.GatewayTTFTGapQuantile
	return histogramQuantile(q, bounds, c.ttft.shifted(c.gatewayLag)) - histogramQuantile(q, fam.Buckets, c.ttft), true
}

// sliBad is the share of an SLO's events that are bad in a snapshot, with
// the events per second, and false when the SLO has no events (its series
// are gone).
func sliBad(s *plan.SLO, snap snapshot) (bad, rate float64, ok bool) {
	th := s.Threshold.Seconds()
	if s.Source == schema.SourceGateway {
		c := snap.models[s.Model]
		rate = c.reqRate * float64(s.Model.Spec.Replicas) * tenantShareOf(snap, s)
		errShare := c.gatewayErr + (1-c.gatewayErr)*c.fail
		switch s.Kind {
		case library.SLOTTFT:
			if c.gatewayNoFirstToken {
				return 0, 0, false
			}
			return 1 - c.ttft.shifted(c.gatewayLag).cdf(th), rate * (1 - c.gatewayErr), true
		case library.SLOE2E:
			return (1-errShare)*(1-c.e2e.shifted(c.gatewayLag).cdf(th)) + errShare*(1-logn(gatewayFailMedian, 0.5).cdf(th)), rate, true
		case library.SLOSuccess:
			return errShare, rate, true
		}
		return 0, 0, false
	}
	var events, sum float64
	worstQueue := 0.0
	live := false
	for _, c := range snap.replicas[s.Model] {
		if c.down {
			continue
		}
		live = true
		worstQueue = math.Max(worstQueue, c.waiting)
		switch s.Kind {
		case library.SLOTTFT:
			events += c.reqRate
			sum += c.reqRate * (1 - c.ttft.cdf(th))
		case library.SLOITL:
			n := c.reqRate * c.gen.mean()
			events += n
			sum += n * (1 - c.itl.cdf(th))
		case library.SLOE2E:
			events += c.reqRate
			sum += c.reqRate * (1 - c.e2e.cdf(th))
		case library.SLOSuccess:
			events += c.reqRate
			sum += c.reqRate * c.fail
		case library.SLOCompleteness:
			events += c.reqRate
			sum += c.reqRate * (1 - c.stop)
		}
	}
	if !live {
		return 0, 0, false
	}
	if s.Kind == library.SLOHeadroom {
		if worstQueue > float64(s.MaxQueue) {
			return 1, 0, true
		}
		return 0, 0, true
	}
	if events == 0 {
		return 0, 0, false
	}
	return sum / events, events, true
}

// tenantShareOf is the share of its model's gateway traffic an SLO's tenant
// sends.
func tenantShareOf(snap snapshot, s *plan.SLO) float64 {
	if s.Tenant == nil {
		return 1
	}
	for _, ts := range snap.tenants[s.Model] {
		if ts.name == s.Tenant.Name {
			return ts.share
		}
	}
	return 0
}

// gpuReading is the mean reading of a role under a GPU state's phase mix.
func gpuReading(c gpuCond, role library.GPURole) float64 {
	total, v := 0.0, 0.0
	for ph, w := range c.mix {
		r, _, _ := library.H100Reading(ph)
		v += w * r[role]
		total += w
	}
	if total == 0 {
		return 0
	}
	return v / total
}
