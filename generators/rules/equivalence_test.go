package rules_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/rules"
	"github.com/inferobs/inferobs/generators/rules/ruletest"
	"github.com/inferobs/inferobs/schema"
)

// TestVectorisedRulesDecideAsPerInstance evaluates the vectorised SLO
// rules (one rule per layer for every tenant, and across models) and the
// per-instance rules they replace (each instance's own rules, as before)
// on the same series with the real rules manager: one instance of each
// SLO burns fast, another slowly, the rest stay healthy. Every recorded
// series must have the same samples, bit for bit, and at every evaluation
// the same alerts must be pending or firing with the same labels and the
// same rendered annotations.
func TestVectorisedRulesDecideAsPerInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("long: evaluates hours of rules for both layouts")
	}
	// The platform with a second vLLM 0.11 model in support-chat: its
	// engine SLOs' alerts then cover two models with one rule (a model
	// regex) and the third, whose text differs, with another.
	edits := []string{
		`evaluationInterval: "30s"`, `evaluationInterval: "1m"`,
		`models: ["llama-3.1-8b", "qwen-2.5-72b"]`, `models: ["llama-3.1-8b", "llama-3.1-70b", "qwen-2.5-72b"]`,
		"models: {\n", "models: {\n" + `"llama-3.1-70b": {engine: "vllm", engineVersion: "0.11.0", servedName: "meta-llama/Llama-3.1-70B-Instruct", selector: {namespace: "llm", job: "vllm-llama-70b"}, podLabels: {"app.kubernetes.io/instance": "llama-70b"}, gpu: "H100-SXM-80GB", gpusPerReplica: 4, replicas: 2}` + "\n",
	}
	vec := compileEdits(t, "platform", edits...)
	restore := rules.PerInstance()
	per := compileEdits(t, "platform", edits...)
	restore()
	vecDir, perDir := filepath.Join(writeOut(t, vec), "prometheus"), filepath.Join(writeOut(t, per), "prometheus")
	p := vec.Plan

	const healthyFor, burnFor = 120, 480
	// Gateway SLOs across tenants and models, engine SLOs across models
	// with different alert texts (vLLM and TGI finish reasons), a gauge.
	for _, id := range []string{"code-assist-ttft", "support-chat-e2e", "support-chat-success", "support-chat-headroom"} {
		t.Run(id, func(t *testing.T) {
			var insts []*plan.SLO
			for _, s := range p.SLOs {
				if s.ID == id {
					insts = append(insts, s)
				}
			}
			if len(insts) < 2 {
				t.Fatalf("%d instances: not a test", len(insts))
			}
			b := insts[0].Budget
			fast, slow := []rules.Phase{{healthyFor, 0.5 * b}, {burnFor, min(1, p.Tiers[0].Factor*b/0.9)}}, []rules.Phase{{healthyFor, 0.5 * b}, {burnFor, 4 * b}}
			healthy := []rules.Phase{{healthyFor + burnFor, 0.5 * b}}
			if insts[0].SLI.Type == plan.SLIGaugeThreshold {
				// Whole bad minutes: all of them, or one in ten.
				fast, healthy = []rules.Phase{{healthyFor, 0}, {burnFor, 1}}, []rules.Phase{{healthyFor + burnFor, 0}}
				slow = []rules.Phase{{healthyFor, 0}}
				for i := 0; i < burnFor; i += 10 {
					slow = append(slow, rules.Phase{Minutes: 1, Bad: 1}, rules.Phase{Minutes: 9, Bad: 0})
				}
			}
			in := ruletest.Input{Interval: time.Minute}
			// An engine SLO's last model (another alert text) burns fast
			// too: an alert rule that selected it along with the others
			// would fire for it twice.
			fastToo := len(insts) > 2 && insts[0].Tenant == nil
			for i, s := range insts {
				ph := healthy
				switch {
				case i == 0, fastToo && i == len(insts)-1:
					ph = fast
				case i == 1:
					ph = slow
				}
				in.Series = append(in.Series, rules.ScenarioSeries(p, s, ph)...)
			}
			file := rules.SLOFile(insts[0]) + ".yaml"
			until := time.Duration(healthyFor+burnFor) * time.Minute
			got, err := ruletest.Replay([]string{filepath.Join(vecDir, file)}, in, time.Minute, until)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ruletest.Replay([]string{filepath.Join(perDir, file)}, in, time.Minute, until)
			if err != nil {
				t.Fatal(err)
			}
			compareTraces(t, got, want)
			if id == "support-chat-success" {
				// Not vacuous: one alert rule covers both vLLM 0.11 models.
				data, _ := os.ReadFile(filepath.Join(vecDir, file))
				if !strings.Contains(string(data), `model=~"llama-3\\.1-70b|llama-3\\.1-8b"`) {
					t.Errorf("no alert rule selects both vLLM 0.11 models with one regex")
				}
			}

			// Not vacuous: the fast instance pages, the slow one opens a
			// ticket and never pages, the healthy ones raise nothing.
			fired := map[string]map[string]bool{}
			for _, lines := range want.Alerts {
				for _, l := range lines {
					if !strings.Contains(l, " firing ") {
						continue
					}
					for _, s := range insts {
						if alertOf(l, s) {
							if fired[instanceKey(s)] == nil {
								fired[instanceKey(s)] = map[string]bool{}
							}
							fired[instanceKey(s)][tierOf(l)] = true
						}
					}
				}
			}
			for i, s := range insts {
				f := fired[instanceKey(s)]
				switch {
				case (i == 0 || fastToo && i == len(insts)-1) && !f["page-fast"]:
					t.Errorf("%s: the fast burn never pages: %v", instanceKey(s), f)
				case i == 1 && (f["page-fast"] || !(f["ticket-slow"] || f["ticket-fast"] || f["page-slow"])):
					t.Errorf("%s: the slow burn fires %v", instanceKey(s), f)
				case i > 1 && !(fastToo && i == len(insts)-1) && len(f) > 0:
					t.Errorf("%s: healthy, yet fires %v", instanceKey(s), f)
				}
			}
		})
	}
}

// compileEdits compiles an example with each old text (even arguments)
// replaced by the next.
func compileEdits(t *testing.T, example string, edits ...string) *compiler.Result {
	t.Helper()
	var files []schema.File
	paths, _ := filepath.Glob(filepath.Join("..", "..", "examples", example, "*.cue"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		for i := 0; i+1 < len(edits); i += 2 {
			src = strings.ReplaceAll(src, edits[i], edits[i+1])
		}
		files = append(files, schema.File{Name: p, Data: []byte(src)})
	}
	r, err := compiler.CompileFiles(files...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// instanceKey names an instance by its model and tenant labels.
func instanceKey(s *plan.SLO) string {
	k := fmt.Sprintf(`model="%s"`, s.Model.Name)
	if s.Tenant != nil {
		k += fmt.Sprintf(` tenant="%s"`, s.Tenant.Name)
	}
	return k
}

// alertOf reports whether an alert line belongs to instance s.
func alertOf(line string, s *plan.SLO) bool {
	for _, part := range strings.Fields(instanceKey(s)) {
		if !strings.Contains(line, part+",") && !strings.Contains(line, part+"}") {
			return false
		}
	}
	return true
}

func tierOf(line string) string {
	_, rest, _ := strings.Cut(line, `tier="`)
	tier, _, _ := strings.Cut(rest, `"`)
	return tier
}

func compareTraces(t *testing.T, got, want *ruletest.Trace) {
	t.Helper()
	if len(want.Records) == 0 {
		t.Fatal("nothing recorded: not a test")
	}
	for k, ws := range want.Records {
		gs, ok := got.Records[k]
		if !ok {
			t.Errorf("vectorised rules never record %s", k)
			continue
		}
		if len(gs) != len(ws) {
			t.Errorf("%s: %d samples, want %d", k, len(gs), len(ws))
			continue
		}
		for i := range ws {
			if gs[i].T != ws[i].T || math.Float64bits(gs[i].V) != math.Float64bits(ws[i].V) {
				t.Errorf("%s at %s: %v, want %v at %s", k, gs[i].T, gs[i].V, ws[i].V, ws[i].T)
				break
			}
		}
	}
	for k := range got.Records {
		if _, ok := want.Records[k]; !ok {
			t.Errorf("vectorised rules record %s, the per-instance ones do not", k)
		}
	}
	var times []time.Duration
	for at := range want.Alerts {
		times = append(times, at)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	diffs := 0
	for _, at := range times {
		if g, w := strings.Join(got.Alerts[at], "\n"), strings.Join(want.Alerts[at], "\n"); g != w && diffs < 3 {
			diffs++
			t.Errorf("alerts at %s:\n got: %s\nwant: %s", at, g, w)
		}
	}
}
