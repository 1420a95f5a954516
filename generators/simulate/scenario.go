package simulate

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// DefaultOnset is when, in scenario time, the incident of a scenario
// starts: the first minutes are healthy, so every rate window has seen
// normal traffic first.
const DefaultOnset = 5 * time.Minute

// Scenario is a story the simulated telemetry tells.
type Scenario struct {
	Name string
	// Summary says what happens, Triggers what the rules should make of it.
	Summary  string
	Triggers string

	// eligible selects the model the incident hits: the first one (in
	// name order) for which it is true. nil: no subject.
	eligible func(p *plan.Plan, m *plan.Model) bool
	// every applies the hooks to every model instead of one subject.
	every bool
	// Hooks, applied from the onset on to the subject's (or every model's)
	// state: the model-wide state, then each replica's, each of its GPUs'.
	model   func(w *world, m *plan.Model, c *engineCond)
	replica func(w *world, m *plan.Model, r int, c *engineCond)
	gpu     func(w *world, g *gpuInfo, c *gpuCond)
}

// thermalGPU describes the throttled GPU of thermal-throttling: clocks cut
// to cool down, power well under the cap, the die and HBM hot. These are
// assumptions (the reference recording has no thermal event), in line with
// H100 slowdown behaviour.
var thermalGPU = struct {
	share          float64 // of time held by temperature
	smClock, power float64
	temp, memTemp  float64
}{share: 0.35, smClock: 1095, power: 540, temp: 88, memTemp: 92}

// Scenarios returns every scenario, healthy first.
func Scenarios() []Scenario {
	return []Scenario{
		{
			Name:     "healthy",
			Summary:  "Every model serves steady traffic well inside its SLOs; GPUs mostly decode, some prefill at the power cap.",
			Triggers: "nothing: no alert may even be pending",
		},
		{
			Name:     "ttft-fast-burn",
			Summary:  "A prefill-bound surge (long prompts) pushes time to first token far past the first TTFT SLO's threshold: the share of slow first tokens sits above the fastest burn tier's line.",
			Triggers: "every burn tier of the subject's TTFT SLOs whose line the slow share crosses, page-fast included",
			eligible: hasTTFTSLO,
			model:    ttftBurn(true),
			gpu:      busyGPU(map[library.GPUPhase]float64{library.GPUPhasePrefill: 0.6, library.GPUPhaseDecode: 0.4}),
		},
		{
			Name:     "ttft-slow-burn",
			Summary:  "Time to first token degrades moderately: the share of slow first tokens sits between the two fastest burn tiers' lines.",
			Triggers: "the page-slow and ticket tiers of the subject's TTFT SLOs, never page-fast",
			eligible: hasTTFTSLO,
			model:    ttftBurn(false),
			gpu:      busyGPU(map[library.GPUPhase]float64{library.GPUPhasePrefill: 0.45, library.GPUPhaseDecode: 0.55}),
		},
		{
			Name:     "cache-thrash",
			Summary:  "The subject's KV caches run 97% full and the schedulers preempt 1.5 requests per second per replica; a few requests wait (constantly), GPUs decode with the framebuffer full.",
			Triggers: "LLMKVCacheThrash for the subject (the queue-growing alert stays quiet: the cache, not compute, is the bottleneck)",
			eligible: func(_ *plan.Plan, m *plan.Model) bool {
				return hasRole(m, library.RoleKVCacheUsage) && hasRole(m, library.RolePreemptions)
			},
			model: func(_ *world, _ *plan.Model, c *engineCond) {
				c.kv, c.preempt, c.waiting = 0.975, 1.5, 3
			},
			gpu: busyGPU(map[library.GPUPhase]float64{library.GPUPhasePrefill: 0.2, library.GPUPhaseDecode: 0.8}),
		},
		{
			Name:     "tensor-idle",
			Summary:  "The subject's first replica stalls on the host (a stuck serving loop): its requests stay running, nothing completes, its GPUs' tensor pipes drop to ~0 as in the recording's host-stall phase; the other replicas take over its traffic.",
			Triggers: "LLMTensorCoresIdleUnderLoad for the subject's first pod",
			eligible: func(_ *plan.Plan, m *plan.Model) bool { return hasRunningGauge(m) },
			replica: func(_ *world, m *plan.Model, r int, c *engineCond) {
				n := m.Spec.Replicas
				if r == 0 {
					// Requests routed to it before the balancer noticed stay
					// in its batch.
					c.stalled = true
					c.reqRate, c.waiting = 0, 0
					c.running = max(c.running, 3*library.RunningUnderLoad)
					return
				}
				if n > 1 {
					c.reqRate *= float64(n) / float64(n-1)
				}
			},
			gpu: func(_ *world, g *gpuInfo, c *gpuCond) {
				if g.replica == 0 {
					c.mix = map[library.GPUPhase]float64{library.GPUPhaseHostStall: 1}
				}
			},
		},
		{
			Name:     "truncations",
			Summary:  "25% of the subject's streams stop at max_tokens (finish reason length).",
			Triggers: "LLMStreamingTruncations for the subject, and the completeness SLO tiers whose line 25% crosses",
			eligible: func(_ *plan.Plan, m *plan.Model) bool {
				return hasRole(m, library.RoleRequestFinished) && m.Catalog.Info.FinishReasonLabel != "" && m.Catalog.Info.TruncatedReason != ""
			},
			model: func(_ *world, _ *plan.Model, c *engineCond) { c.length = 0.25 },
		},
		{
			Name:     "power-capped",
			Summary:  "Every model runs at full load: GPUs prefill most of the time at their 700 W cap (1350 MHz, power-violation time accruing, thermal-violation time flat, as the real H100 does), KV caches 88% full with a constant short queue, latencies inside their SLOs.",
			Triggers: "nothing: power capping at full load is by design",
			every:    true,
			model: func(_ *world, _ *plan.Model, c *engineCond) {
				c.reqRate *= 1.6
				c.kv, c.waiting = 0.88, 2
			},
			gpu: busyGPU(map[library.GPUPhase]float64{library.GPUPhasePrefill: 0.8, library.GPUPhaseDecode: 0.2}),
		},
		{
			Name:     "thermal-throttling",
			Summary:  "The first GPU of the subject's first replica overheats (88 °C): the driver cuts its clocks to ~1100 MHz and thermal-violation time accrues.",
			Triggers: "GPUThermalSlowdown for that GPU",
			eligible: func(*plan.Plan, *plan.Model) bool { return true },
			gpu: func(_ *world, g *gpuInfo, c *gpuCond) {
				if g.replica == 0 && g.rank == 0 {
					c.thermal = thermalGPU.share
				}
			},
		},
		{
			Name:     "gateway-gap",
			Summary:  "The gateway buffers the subject's streams: first tokens reach clients 1.6 s after the engine produced them (engine TTFT unchanged).",
			Triggers: "LLMGatewayTTFTDivergence for the subject, and its gateway-sourced latency SLOs whose line the delay crosses",
			eligible: func(p *plan.Plan, m *plan.Model) bool {
				if p.Tracing == nil || !hasRole(m, library.RoleTTFT) || len(tenantShares(p, m)) == 0 {
					return false
				}
				_, ok := p.Tracing.Spec.Spans[library.SLOTTFT]
				return ok
			},
			model: func(_ *world, _ *plan.Model, c *engineCond) { c.gatewayLag = 1.6 },
		},
		{
			Name:     "engine-down",
			Summary:  "Every replica of the subject stops answering its metrics endpoint (HTTP 503) and serves nothing; its GPUs idle with no pod; the gateway fails its requests fast.",
			Triggers: "LLMEngineTargetMissing for the subject, and its gateway-sourced success SLO tiers",
			eligible: func(*plan.Plan, *plan.Model) bool { return true },
			replica:  func(_ *world, _ *plan.Model, _ int, c *engineCond) { c.down = true },
			model: func(_ *world, _ *plan.Model, c *engineCond) {
				c.gatewayErr, c.gatewayNoFirstToken = 1, true
			},
			gpu: func(_ *world, _ *gpuInfo, c *gpuCond) { *c = idleGPU() },
		},
	}
}

// ScenarioNames lists the scenario names in order.
func ScenarioNames() []string {
	var out []string
	for _, s := range Scenarios() {
		out = append(out, s.Name)
	}
	return out
}

// Lookup returns the named scenario.
func Lookup(name string) (Scenario, error) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, nil
		}
	}
	return Scenario{}, fmt.Errorf("unknown scenario %q (known: %s)", name, strings.Join(ScenarioNames(), ", "))
}

// NotApplicableError says a scenario cannot play on a spec: no model has
// what the incident needs.
type NotApplicableError struct{ Scenario string }

func (e *NotApplicableError) Error() string {
	return fmt.Sprintf("scenario %q does not apply to this spec: no model has what it needs", e.Scenario)
}

// subject picks the model the scenario hits.
func (sc Scenario) subject(p *plan.Plan) (*plan.Model, error) {
	if sc.eligible == nil {
		return nil, nil
	}
	for _, m := range p.Models {
		if sc.eligible(p, m) {
			return m, nil
		}
	}
	return nil, &NotApplicableError{sc.Name}
}

// hits reports whether the scenario's hooks apply to model m.
func (w *world) hits(m *plan.Model) bool { return w.sc.every || (m != nil && m == w.subject) }

func hasRole(m *plan.Model, r library.Role) bool {
	_, ok := m.Metric(r)
	return ok
}

func hasRunningGauge(m *plan.Model) bool {
	return hasRole(m, library.RoleRequestsRunning) || hasRole(m, library.RoleBatchSize)
}

func hasTTFTSLO(p *plan.Plan, m *plan.Model) bool {
	for _, s := range p.SLOs {
		if s.Model == m && s.Kind == library.SLOTTFT {
			return true
		}
	}
	return false
}

// primaryTTFT is the SLO a TTFT scenario aims at: the subject's first TTFT
// SLO in plan order.
func primaryTTFT(p *plan.Plan, m *plan.Model) *plan.SLO {
	for _, s := range p.SLOs {
		if s.Model == m && s.Kind == library.SLOTTFT {
			return s
		}
	}
	return nil
}

// burnMargin keeps a scenario's bad share clear of the burn lines it means
// to cross (or stay under), so noise and rounding cannot flip an alert.
const burnMargin = 1.3

// ttftBurn moves the TTFT distribution so that the primary TTFT SLO sees a
// bad share above the fastest tier's line (fast) or between the two
// fastest tiers' lines (slow).
func ttftBurn(fast bool) func(w *world, m *plan.Model, c *engineCond) {
	return func(w *world, m *plan.Model, c *engineCond) {
		s := primaryTTFT(w.p, m)
		if s == nil {
			return
		}
		lines := tierLines(w.p, s)
		target := 0.97
		switch {
		case fast && len(lines) > 0:
			target = min(0.97, burnMargin*lines[0])
		case !fast && len(lines) > 1:
			target = math.Sqrt(lines[0] * lines[1])
			if lines[0] >= 0.97 { // the fastest tier cannot fire: cross the second one clearly
				target = min(0.97, burnMargin*lines[1])
			}
		}
		shift := 0.0
		if s.Source == schema.SourceGateway {
			shift = c.gatewayLag
		}
		if med := medianFor(s.Threshold.Seconds(), sigmaTTFT, target, shift); med > 0 {
			c.ttft = logn(med, sigmaTTFT)
		}
		c.queue = c.queue.scaled(4)
	}
}

// busyGPU sets the phase mix of the affected GPUs.
func busyGPU(mix map[library.GPUPhase]float64) func(*world, *gpuInfo, *gpuCond) {
	return func(_ *world, _ *gpuInfo, c *gpuCond) {
		c.mix = map[library.GPUPhase]float64{}
		for k, v := range mix {
			c.mix[k] = v
		}
	}
}

// WriteList prints every scenario with what it should trigger and, for a
// plan, the concrete alerts it expects (or why it does not apply).
func WriteList(w io.Writer, p *plan.Plan) error {
	for _, sc := range Scenarios() {
		fmt.Fprintf(w, "%s\n  %s\n  triggers: %s\n", sc.Name, sc.Summary, sc.Triggers)
		if p == nil {
			continue
		}
		s, err := New(p, Options{Scenario: sc.Name, Start: time.Unix(0, 0)})
		if err != nil {
			fmt.Fprintf(w, "  for this spec: %v\n", err)
			continue
		}
		if m := s.Subject(); m != nil {
			fmt.Fprintf(w, "  subject: model %s\n", m.Name)
		}
		exp := s.Expectations(0)
		if len(exp) == 0 {
			fmt.Fprintf(w, "  expects: no alert\n")
		}
		for _, e := range exp {
			kind := "must"
			if !e.Must {
				kind = "may "
			}
			fmt.Fprintf(w, "  %s %s: %s\n", kind, e, e.Why)
		}
	}
	return nil
}
