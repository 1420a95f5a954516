package simulate

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/inferobs/inferobs/generators/cardinality/synth"
	"github.com/inferobs/inferobs/generators/collector"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
)

// Defaults.
const (
	DefaultTick = time.Second // wall time between state updates
	// DefaultNamespace is the namespace of a model whose selector names
	// none (Kubernetes discovery always gives one).
	DefaultNamespace = "default"
	// DCGMNamespace and GatewayJob label the exporter and collector targets.
	DCGMNamespace    = "gpu-operator"
	GatewayJob       = "otel-collector"
	GatewayNamespace = "observability"
	gatewayPort      = 8889
)

// Options configures a simulation.
type Options struct {
	Scenario string // default "healthy"
	Seed     uint64
	// Speed is scenario seconds per wall second (default 1).
	Speed float64
	// Start is the wall time of scenario time 0.
	Start time.Time
	// Tick is the wall time between state updates (default 1s); counters
	// grow linearly within a tick.
	Tick time.Duration
	// Onset is the scenario time the incident starts at (default
	// DefaultOnset; negative: at once).
	Onset time.Duration
}

// TargetKind says what a target impersonates.
type TargetKind string

// Target kinds.
const (
	TargetEngine  TargetKind = "engine"
	TargetDCGM    TargetKind = "dcgm"
	TargetGateway TargetKind = "gateway"
)

// Target is one endpoint of the simulator, standing for one scrape target
// of a real deployment.
type Target struct {
	Kind TargetKind
	// Path is where the simulator serves it.
	Path string
	// Labels are the target labels a real Prometheus would attach
	// (service discovery and relabeling): job, instance, namespace, pod.
	Labels map[string]string
	// Model and Replica name an engine target; Node a DCGM target.
	Model   string
	Replica int
	Node    string
}

// ErrTargetDown is what rendering a target that stopped answering returns.
var ErrTargetDown = errors.New("target is down")

// Sim is a running simulation. It is safe for concurrent use.
type Sim struct {
	p     *plan.Plan
	opts  Options
	w     *world
	rng   *rand.Rand
	mu    sync.Mutex
	tick  int64
	tmpl  map[*plan.Model]*engineTemplate
	eng   map[*plan.Model][]*engineState
	gpus  []*gpuState
	gw    *gatewayState
	conds map[*plan.Model]engineCond

	targets []Target
	byPath  map[string]int
}

// world is what the scenario hooks see.
type world struct {
	p       *plan.Plan
	sc      Scenario
	subject *plan.Model
	prof    map[*plan.Model]*profile
	onset   time.Duration
}

// New prepares a simulation of plan p. The error is a *NotApplicableError
// when no model of the spec can play the scenario.
func New(p *plan.Plan, o Options) (*Sim, error) {
	if o.Scenario == "" {
		o.Scenario = "healthy"
	}
	sc, err := Lookup(o.Scenario)
	if err != nil {
		return nil, err
	}
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.Tick <= 0 {
		o.Tick = DefaultTick
	}
	switch {
	case o.Onset == 0:
		o.Onset = DefaultOnset
	case o.Onset < 0:
		o.Onset = 0
	}
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	subj, err := sc.subject(p)
	if err != nil {
		return nil, err
	}
	w := &world{p: p, sc: sc, subject: subj, prof: map[*plan.Model]*profile{}, onset: o.Onset}
	for _, m := range p.Models {
		w.prof[m] = newProfile(p, m)
	}
	s := &Sim{
		p: p, opts: o, w: w,
		rng:  rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)),
		tmpl: map[*plan.Model]*engineTemplate{}, eng: map[*plan.Model][]*engineState{},
		byPath: map[string]int{},
	}
	start := float64(o.Start.UnixMilli()) / 1000
	for _, m := range p.Models {
		t, err := newEngineTemplate(m)
		if err != nil {
			return nil, err
		}
		s.tmpl[m] = t
		for r := 0; r < m.Spec.Replicas; r++ {
			s.eng[m] = append(s.eng[m], newEngineState(t, start))
		}
	}
	for _, g := range gpuInventory(p) {
		s.gpus = append(s.gpus, newGPUState(g))
	}
	if gt := newGatewayTemplate(p, w.prof); gt != nil {
		s.gw = newGatewayState(gt)
	}
	s.buildTargets()
	s.step(0)
	return s, nil
}

// Plan is the simulated plan.
func (s *Sim) Plan() *plan.Plan { return s.p }

// Options are the effective options.
func (s *Sim) Options() Options { return s.opts }

// Scenario is the scenario played.
func (s *Sim) Scenario() Scenario { return s.w.sc }

// Subject is the model the incident hits (nil when none or all).
func (s *Sim) Subject() *plan.Model { return s.w.subject }

// Targets lists the simulator's endpoints.
func (s *Sim) Targets() []Target { return append([]Target(nil), s.targets...) }

// ScenarioTime is the scenario time at wall time t.
func (s *Sim) ScenarioTime(t time.Time) time.Duration {
	return time.Duration(float64(t.Sub(s.opts.Start)) * s.opts.Speed)
}

// advanceTo runs the ticks up to wall time t and returns the wall seconds
// elapsed in the current tick.
func (s *Sim) advanceTo(t time.Time) float64 {
	el := t.Sub(s.opts.Start)
	if el < 0 {
		el = 0
	}
	k := int64(el / s.opts.Tick)
	for s.tick < k {
		s.tick++
		s.step(s.opts.Tick.Seconds())
	}
	return (el - time.Duration(s.tick)*s.opts.Tick).Seconds()
}

// step integrates the last tick (dt wall seconds) and draws the state of
// the tick starting now. The random draws happen in a fixed order, so a
// seed fixes every value.
func (s *Sim) step(dt float64) {
	simT := time.Duration(float64(time.Duration(s.tick)*s.opts.Tick) * s.opts.Speed)
	// A slow swell of traffic, period two hours of scenario time.
	swell := 1 + 0.08*math.Sin(2*math.Pi*simT.Hours()/2)
	snap := s.w.snapshot(simT >= s.w.onset, swell, s.rng.NormFloat64, s.gpuInfos(), func(m *plan.Model, r int) bool { return s.eng[m][r].down })
	s.conds = snap.models
	for _, m := range s.p.Models {
		for r, st := range s.eng[m] {
			st.advance(s.rng, dt, snap.replicas[m][r])
		}
	}
	for i, g := range s.gpus {
		g.advance(dt, snap.gpus[i], snap.gpuNoise[i])
	}
	if s.gw != nil {
		s.gw.advance(s.rng, dt, s.conds)
	}
}

func (s *Sim) gpuInfos() []*gpuInfo {
	out := make([]*gpuInfo, len(s.gpus))
	for i, g := range s.gpus {
		out[i] = g.info
	}
	return out
}

// snapshot is the state of everything during one tick.
type snapshot struct {
	models   map[*plan.Model]engineCond   // model-wide (what the gateway sees)
	replicas map[*plan.Model][]engineCond // per replica
	gpus     []gpuCond
	gpuNoise []float64
	tenants  map[*plan.Model][]tenantShare
}

// snapshot draws the state of a tick: the healthy profile, noise (norm
// draws standard normals, in a fixed order) and, when active, the
// scenario's hooks. wasDown keeps a target that went down down.
func (w *world) snapshot(active bool, swell float64, norm func() float64, gpus []*gpuInfo, wasDown func(*plan.Model, int) bool) snapshot {
	snap := snapshot{models: map[*plan.Model]engineCond{}, replicas: map[*plan.Model][]engineCond{}, tenants: map[*plan.Model][]tenantShare{}}
	for _, m := range w.p.Models {
		n1, n2 := norm(), norm()
		c := w.prof[m].cond()
		c.reqRate *= swell * math.Exp(0.04*n1)
		lat := math.Exp(0.02 * n2)
		c.ttft, c.itl, c.e2e = c.ttft.scaled(lat), c.itl.scaled(lat), c.e2e.scaled(lat)
		if active && w.hits(m) && w.sc.model != nil {
			w.sc.model(w, m, &c)
		}
		c.derive()
		snap.models[m] = c
		snap.tenants[m] = w.prof[m].tenants
		for r := 0; r < m.Spec.Replicas; r++ {
			n3, n4, n5 := norm(), norm(), norm()
			rc := c
			rc.reqRate *= math.Exp(0.03 * n3)
			rc.kv = clamp(rc.kv+clamp(0.004*n4, -0.01, 0.01), 0, 1)
			rc.prefixHit = clamp(rc.prefixHit+0.01*n5, 0, 1)
			rc.specAccept = clamp(rc.specAccept+0.01*n5, 0, 1)
			rc.derive()
			if active && w.hits(m) && w.sc.replica != nil {
				w.sc.replica(w, m, r, &rc)
				rc.derive()
			}
			if wasDown != nil && wasDown(m, r) {
				rc.down = true
			}
			snap.replicas[m] = append(snap.replicas[m], rc)
		}
	}
	for _, g := range gpus {
		n := norm()
		c := healthyGPU()
		if g.model != nil && snap.replicas[g.model][g.replica].down {
			c = idleGPU()
		}
		if active && w.hits(g.model) && w.sc.gpu != nil {
			w.sc.gpu(w, g, &c)
		}
		snap.gpus = append(snap.gpus, c)
		snap.gpuNoise = append(snap.gpuNoise, n)
	}
	return snap
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// podName is the pod of a replica, as synth's target labels name it.
func podName(m *plan.Model, r int) string {
	pod, _, _ := library.DCGMWorkloadLabels(true)
	return synth.TargetLabels(m, r).Get(pod)
}

// podNamespace is the namespace of a model's pods.
func podNamespace(m *plan.Model) string {
	_, ns, _ := library.DCGMWorkloadLabels(true)
	if v := m.Spec.Selector[ns]; v != "" {
		return v
	}
	return DefaultNamespace
}

func (s *Sim) buildTargets() {
	add := func(t Target) {
		s.byPath[t.Path] = len(s.targets)
		s.targets = append(s.targets, t)
	}
	_, nsLabel, _ := library.DCGMWorkloadLabels(true)
	podLabel, _, _ := library.DCGMWorkloadLabels(true)
	slugs := map[string]bool{}
	for _, m := range s.p.Models {
		slug := pathSlug(m.Name)
		for base, i := slug, 2; slugs[slug]; i++ {
			slug = fmt.Sprintf("%s-%d", base, i)
		}
		slugs[slug] = true
		for r := 0; r < m.Spec.Replicas; r++ {
			ls := map[string]string{}
			synth.TargetLabels(m, r).Range(func(l labels.Label) { ls[l.Name] = l.Value })
			if ls[nsLabel] == "" {
				ls[nsLabel] = podNamespace(m)
			}
			if ls[model.JobLabel] == "" {
				ls[model.JobLabel] = collector.JobName(m)
			}
			add(Target{Kind: TargetEngine, Path: "/metrics/engine/" + slug + "/" + strconv.Itoa(r), Labels: ls, Model: m.Name, Replica: r})
		}
	}
	var nodes []string
	seen := map[string]bool{}
	for _, g := range s.gpus {
		if !seen[g.info.node] {
			seen[g.info.node] = true
			nodes = append(nodes, g.info.node)
		}
	}
	for _, n := range nodes {
		add(Target{Kind: TargetDCGM, Path: "/metrics/dcgm/" + n, Node: n, Labels: map[string]string{
			model.JobLabel:      collector.DCGMJob,
			model.InstanceLabel: fmt.Sprintf("%s:%d", n, library.DCGMDefaultPort),
			nsLabel:             DCGMNamespace,
			podLabel:            "nvidia-dcgm-exporter-" + n,
		}})
	}
	if s.gw != nil {
		add(Target{Kind: TargetGateway, Path: "/metrics/gateway", Labels: map[string]string{
			model.JobLabel:      GatewayJob,
			model.InstanceLabel: fmt.Sprintf("%s:%d", GatewayJob, gatewayPort),
			nsLabel:             GatewayNamespace,
		}})
	}
}

// pathSlug keeps a name usable as one URL path segment.
func pathSlug(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "model"
	}
	return b.String()
}

// targetFamilies returns the families of target i at wall time t (the
// state must be advanced), or ErrTargetDown.
func (s *Sim) targetFamilies(i int, dt float64) ([]family, error) {
	t := s.targets[i]
	switch t.Kind {
	case TargetEngine:
		for _, m := range s.p.Models {
			if m.Name != t.Model {
				continue
			}
			st := s.eng[m][t.Replica]
			if st.down {
				return nil, ErrTargetDown
			}
			return st.families(dt), nil
		}
	case TargetDCGM:
		var gs []*gpuState
		for _, g := range s.gpus {
			if g.info.node == t.Node {
				gs = append(gs, g)
			}
		}
		return dcgmFamilies(gs, dt), nil
	case TargetGateway:
		return s.gw.families(dt), nil
	}
	return nil, fmt.Errorf("simulate: no target %s", t.Path)
}

// Render returns the exposition of the target served at path, at wall
// time t, in the Prometheus text format.
func (s *Sim) Render(path string, t time.Time) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.byPath[path]
	if !ok {
		return nil, fmt.Errorf("simulate: no target at %s", path)
	}
	dt := s.advanceTo(t)
	fams, err := s.targetFamilies(i, dt)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	writeText(&b, fams)
	return b.Bytes(), nil
}

// RenderAll returns every target's series in one exposition, each sample
// carrying its target's labels (job, instance, namespace, pod) the way a
// scrape with honor_labels: true keeps them; targets that are down are
// left out. Families of the same name merge; a family whose type clashes
// with an earlier one of the same name is left out.
func (s *Sim) RenderAll(t time.Time) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	dt := s.advanceTo(t)
	var b bytes.Buffer
	writeText(&b, s.union(dt, nil))
	return b.Bytes()
}

// union merges the families of every live target, target labels added;
// each target's up series is passed to up (when not nil).
func (s *Sim) union(dt float64, up func(t Target, ok bool)) []family {
	var order []string
	merged := map[string]*family{}
	for i, t := range s.targets {
		fams, err := s.targetFamilies(i, dt)
		if up != nil {
			up(t, err == nil)
		}
		if err != nil {
			continue
		}
		for _, f := range fams {
			mf, ok := merged[f.name]
			if !ok {
				mf = &family{name: f.name, help: f.help, typ: f.typ}
				merged[f.name] = mf
				order = append(order, f.name)
			}
			if mf.typ != f.typ {
				continue
			}
			for _, smp := range f.samples {
				smp.labels = withTargetLabels(smp.labels, t.Labels)
				mf.samples = append(mf.samples, smp)
			}
		}
	}
	out := make([]family, 0, len(order))
	for _, n := range order {
		out = append(out, *merged[n])
	}
	return out
}

// withTargetLabels appends the target labels a sample does not carry
// itself, sorted by name.
func withTargetLabels(ls []label, target map[string]string) []label {
	out := append([]label(nil), ls...)
	var names []string
	for k := range target {
		if _, clash := labelValue(ls, k); !clash && !strings.HasPrefix(k, model.ReservedLabelPrefix) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		out = append(out, label{k, target[k]})
	}
	return out
}
