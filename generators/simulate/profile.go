package simulate

import (
	"math"
	"sort"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// Healthy traffic. The latency medians are derived from the spec's SLOs so
// that a healthy model spends a fifth of each SLO's error budget
// (healthyBurn): every burn-rate line stays far away, whatever the
// objectives. Without an SLO the defaults below apply (an 8B chat model on
// one H100).
const (
	healthyBurn = 0.2

	baseRequestRate = 12.0  // finished requests per second per replica
	promptMedian    = 400.0 // prompt tokens
	genMedian       = 120.0 // generated tokens
	ttftMedian      = 0.25  // seconds
	itlMedian       = 0.03  // seconds per token
	queueMedian     = 0.02  // seconds
	sigmaTTFT       = 0.6
	sigmaITL        = 0.35
	sigmaE2E        = 0.45
	sigmaTokens     = 0.7
	healthyKV       = 0.55
	prefixHitRatio  = 0.35
	specAcceptance  = 0.72
	// gatewayOverhead is what the gateway adds to every span (proxying,
	// auth, tokenizer), seconds.
	gatewayOverhead = 0.015
	defaultFailure  = 0.001 // share of requests aborted or failed
	defaultLength   = 0.015 // share of streams cut at max_tokens
	// tgiTokenBudget is a TGI max_batch_total_tokens for an 8B model on 80 GB.
	tgiTokenBudget = 131072
)

// profile is a model's healthy traffic per replica.
type profile struct {
	reqRate     float64
	prompt, gen dist
	ttft, itl   dist
	e2e, queue  dist
	fail        float64
	length      float64
	tenants     []tenantShare
	gatewayLag  float64
}

type tenantShare struct {
	name  string
	share float64
}

// engineCond is one replica's state during a tick (rates per second).
type engineCond struct {
	down    bool // the engine target answers with errors
	stalled bool // the host loop is stuck: nothing completes, requests stay running

	reqRate                float64
	prompt, gen            dist
	ttft, itl, tpot, e2e   dist
	queue, prefill, decode dist
	inference, stepTokens  dist
	stop, length, fail     float64
	running, waiting, kv   float64
	preempt                float64
	prefixHit, specAccept  float64
	waitingSlope           float64 // requests per second the queue grows by
	gatewayLag, gatewayErr float64
	gatewayNoFirstToken    bool
}

// gpuCond is one GPU's state during a tick.
type gpuCond struct {
	mix      map[library.GPUPhase]float64
	thermal  float64 // share of time clocks are held by temperature
	kvFill   bool    // the engine holds most of the framebuffer (vLLM preallocates it)
	assigned bool    // a pod uses it (DCGM adds pod/namespace/container)
}

// newProfile derives a model's healthy traffic from its SLOs.
func newProfile(p *plan.Plan, m *plan.Model) *profile {
	pr := &profile{
		reqRate:    baseRequestRate,
		prompt:     logn(promptMedian, sigmaTokens),
		gen:        logn(genMedian, sigmaTokens),
		gatewayLag: gatewayOverhead,
	}
	ttft, itl := ttftMedian, itlMedian
	e2e := math.Inf(1)
	fail, length := math.Inf(1), math.Inf(1)
	for _, s := range p.SLOs {
		if s.Model != m {
			continue
		}
		shift := 0.0
		if s.Source == schema.SourceGateway {
			shift = gatewayOverhead
		}
		bad := healthyBurn * s.Budget
		th := s.Threshold.Seconds()
		switch s.Kind {
		case library.SLOTTFT:
			ttft = min(ttft, medianFor(th, sigmaTTFT, bad, shift))
		case library.SLOITL:
			itl = min(itl, medianFor(th, sigmaITL, bad, shift))
		case library.SLOE2E:
			e2e = min(e2e, medianFor(th, sigmaE2E, bad, shift))
		case library.SLOSuccess:
			fail = min(fail, bad)
		case library.SLOCompleteness:
			length = min(length, bad)
		}
	}
	pr.ttft, pr.itl = logn(ttft, sigmaTTFT), logn(itl, sigmaITL)
	natural := ttft + genMedian*itl
	pr.e2e = logn(min(natural, e2e), sigmaE2E)
	pr.queue = logn(queueMedian, 1)
	pr.fail = defaultFailure
	if !math.IsInf(fail, 1) {
		pr.fail = fail
	}
	pr.length = defaultLength
	if !math.IsInf(length, 1) {
		// Completeness counts failures as incomplete too.
		pr.length = max(0, min(defaultLength, length-pr.fail))
	}
	pr.tenants = tenantShares(p, m)
	return pr
}

// tenantShares splits a model's gateway traffic between the tenants of
// the workloads it serves: high-value tenants send twice as much.
func tenantShares(p *plan.Plan, m *plan.Model) []tenantShare {
	weight := map[string]float64{}
	for _, w := range p.Workloads {
		served := false
		for _, wm := range w.Models {
			served = served || wm == m
		}
		if !served {
			continue
		}
		for _, t := range w.Tenants {
			weight[t.Name] = 1
			if t.HighValue {
				weight[t.Name] = 2
			}
		}
	}
	var names []string
	total := 0.0
	for n, w := range weight {
		names = append(names, n)
		total += w
	}
	sort.Strings(names)
	out := make([]tenantShare, 0, len(names))
	for _, n := range names {
		out = append(out, tenantShare{n, weight[n] / total})
	}
	return out
}

// cond returns the healthy state of one replica, before noise.
func (pr *profile) cond() engineCond {
	c := engineCond{
		reqRate:    pr.reqRate,
		prompt:     pr.prompt,
		gen:        pr.gen,
		ttft:       pr.ttft,
		itl:        pr.itl,
		e2e:        pr.e2e,
		queue:      pr.queue,
		fail:       pr.fail,
		length:     pr.length,
		kv:         healthyKV,
		prefixHit:  prefixHitRatio,
		specAccept: specAcceptance,
		gatewayLag: pr.gatewayLag,
	}
	c.derive()
	return c
}

// derive fills what follows from the primary fields: finish shares, the
// per-request histograms and the requests in flight (Little's law).
func (c *engineCond) derive() {
	c.stop = max(0, 1-c.length-c.fail)
	c.tpot = logn(c.itl.median*1.05, 0.2)
	c.prefill = logn(max(c.ttft.median-c.queue.median, c.ttft.median/2), c.ttft.sigma)
	c.decode = logn(c.gen.median*c.itl.median, 0.6)
	c.inference = logn(c.prefill.median+c.decode.median, 0.5)
	if !c.stalled {
		c.running = math.Round(c.reqRate * c.e2e.mean())
	}
	c.stepTokens = logn(max(1, c.running), 0.9)
}

// healthyGPU is a serving GPU: mostly decode, some prefill.
func healthyGPU() gpuCond {
	return gpuCond{mix: map[library.GPUPhase]float64{library.GPUPhasePrefill: 0.25, library.GPUPhaseDecode: 0.7, library.GPUPhaseIdle: 0.05}, kvFill: true, assigned: true}
}

// idleGPU is a GPU no pod uses.
func idleGPU() gpuCond {
	return gpuCond{mix: map[library.GPUPhase]float64{library.GPUPhaseIdle: 1}}
}

// tierLines returns the error-ratio line of every burn tier for an SLO,
// highest factor first.
func tierLines(p *plan.Plan, s *plan.SLO) []float64 {
	var out []float64
	for _, t := range p.Tiers {
		out = append(out, t.Factor*s.Budget)
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(out)))
	return out
}
