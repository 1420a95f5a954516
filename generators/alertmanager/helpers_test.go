package alertmanager_test

import (
	"maps"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/common/model"

	"github.com/inferobs/inferobs/generators/alertmanager"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/rules"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// twoModels is a spec with a kubernetes block: two models, engine SLOs
// for both and a per-tenant gateway SLO.
const twoModels = `
environment: "test"
gpus: "H100": hourlyCost: 3
models: {
	a: {engine: "vllm", engineVersion: "0.11.0", selector: {namespace: "llm", job: "a"}, podLabels: {app: "a"}, gpu: "H100"}
	b: {engine: "vllm", engineVersion: "0.11.0", selector: {namespace: "llm", job: "b"}, podLabels: {app: "b"}, gpu: "H100"}
}
tenants: {acme: {}, globex: {}}
tracing: {collectorVersion: "0.140.0", tenantAttribute: "tenant", spans: {e2e: "gen_ai.completion"}}
workloads: chat: {
	class: "chat"
	models: ["a", "b"]
	tenants: ["acme", "globex"]
	slos: {
		ttft: {threshold: "2.5s", objective: 99}
		itl: {threshold: "100ms", objective: 99}
		e2e: {threshold: "5s", objective: 99, source: "gateway", tenants: ["acme"]}
	}
}
`

const kubernetesBlock = `
kubernetes: {
	namespace: "monitoring"
	labels: release: "kube-prometheus-stack"
	alertLabels: team: "ml-platform"
	alertmanager: receivers: {page: "ml-oncall", ticket: "ml-tickets"}
}
`

func planOf(t *testing.T, src string) *plan.Plan {
	t.Helper()
	s, ds := schema.LoadFiles([]schema.File{{Name: "spec.cue", Data: []byte(src)}})
	if ds.HasErrors() {
		t.Fatalf("spec: %v", ds.Err())
	}
	p, ds := plan.New(s)
	if p == nil {
		t.Fatalf("plan: %v", ds.Err())
	}
	return p
}

func planDir(t *testing.T, example string) *plan.Plan {
	t.Helper()
	s, ds := schema.Load(filepath.Join("..", "..", "examples", example))
	if ds.HasErrors() {
		t.Fatalf("%s: %v", example, ds.Err())
	}
	p, ds := plan.New(s)
	if p == nil {
		t.Fatalf("%s: %v", example, ds.Err())
	}
	return p
}

type namedPlan struct {
	name string
	p    *plan.Plan
}

// plans are the examples, the two-model spec, and the two-model spec with
// kubernetes blocks.
func plans(t *testing.T) []namedPlan {
	t.Helper()
	return []namedPlan{
		{"quickstart", planDir(t, "quickstart")},
		{"platform", planDir(t, "platform")},
		{"two-models", planOf(t, twoModels)},
		{"two-models-kubernetes", planOf(t, twoModels+kubernetesBlock)},
		// One receiver for both: the object defines it once.
		{"two-models-one-receiver", planOf(t, twoModels+strings.Replace(kubernetesBlock, `ticket: "ml-tickets"`, `ticket: "ml-oncall"`, 1))},
	}
}

const rootReceiver = "test-root"

// compose pastes the two snippets into a minimal configuration the way the
// README tells a user to (the Makefile's amtool check builds the same):
// a root route to a receiver of its own, routes.yaml under its routes,
// inhibit.yaml under inhibit_rules, and the receivers the routes name.
func compose(c *alertmanager.Config) string {
	var b strings.Builder
	b.WriteString("route:\n  receiver: " + rootReceiver + "\n  routes:\n")
	b.WriteString(indent(string(c.RoutesYAML()), "    "))
	b.WriteString("inhibit_rules:\n")
	b.WriteString(indent(string(c.InhibitYAML()), "  "))
	b.WriteString("receivers:\n  - name: " + rootReceiver + "\n")
	for _, r := range c.Receivers {
		b.WriteString("  - name: " + strconv.Quote(r) + "\n")
	}
	return b.String()
}

func indent(s, by string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = by + l
		}
	}
	return strings.Join(lines, "")
}

// alert is one alerting rule's alert as Alertmanager receives it: the
// rule's labels and its name. The expression's own labels are left out:
// the rules aggregate them away (absent() of a comparison keeps none),
// except the tensor-idle alert's pod and namespace, which the routes and
// inhibitions must not depend on.
type alert struct {
	rule   rules.Rule
	labels model.LabelSet
}

var (
	buildMu sync.Mutex
	built   = map[*plan.Plan][]alert{}
)

// alertsOf returns every alerting rule of the plan's generated rules.
func alertsOf(t *testing.T, p *plan.Plan) []alert {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if as, ok := built[p]; ok {
		return as
	}
	set, err := rules.Build(p)
	if err != nil {
		t.Fatal(err)
	}
	var out []alert
	seen := map[string]bool{}
	for _, g := range set.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			ls := model.LabelSet{model.AlertNameLabel: model.LabelValue(r.Alert)}
			for k, v := range r.Labels {
				ls[model.LabelName(k)] = model.LabelValue(v)
			}
			slo, burn := r.Labels[library.LabelSLO]
			if !burn {
				out = append(out, alert{rule: r, labels: ls})
				continue
			}
			// A burn alert is vectorised: its series name the model and
			// tenant. One alert per SLO instance whose tier can fire.
			for _, s := range p.SLOs {
				if s.ID != slo || s.Workload.Name != r.Labels[library.LabelWorkload] || !canFire(p, s, r.Labels[library.LabelTier]) {
					continue
				}
				inst := maps.Clone(ls)
				for k, v := range s.Labels() {
					inst[model.LabelName(k)] = model.LabelValue(v)
				}
				if key := inst.String(); !seen[key] {
					seen[key] = true
					out = append(out, alert{rule: r, labels: inst})
				}
			}
		}
	}
	built[p] = out
	return out
}

func canFire(p *plan.Plan, s *plan.SLO, tier string) bool {
	for _, t := range p.Tiers {
		if t.Name == tier {
			return t.CanFire(s.Budget)
		}
	}
	return false
}

// with returns a copy of ls with extra labels.
func with(ls model.LabelSet, kv ...string) model.LabelSet {
	out := maps.Clone(ls)
	for i := 0; i < len(kv); i += 2 {
		out[model.LabelName(kv[i])] = model.LabelValue(kv[i+1])
	}
	return out
}
