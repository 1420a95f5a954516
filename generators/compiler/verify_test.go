package compiler_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/schema/diag"
)

// oneSLO is a spec whose generated tests run in a few seconds: one model,
// one success SLO.
const oneSLO = `environment: "test"
gpus: h100: hourlyCost: 3
models: m: {engine: "vllm", engineVersion: "0.11.0", selector: {namespace: "llm", job: "m"}, gpu: "h100"}
workloads: chat: {class: "chat", models: ["m"], slos: {success: {objective: 99.5}, ttft: false, itl: false, completeness: false, headroom: false}}
`

// TestVerifyTestsCatchesABrokenRule: the generated tests pass on the
// rules as generated; with one alert's page threshold mutated, VerifyTests
// fails naming the test file, the test and the alert.
func TestVerifyTestsCatchesABrokenRule(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generated tests in process")
	}
	r, err := compiler.CompileFiles(compiler.File{Name: "spec.cue", Data: []byte(oneSLO)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.VerifyTests(); err != nil {
		t.Fatalf("generated tests fail on the generated rules:\n%v", err)
	}
	const file = "prometheus/slo-chat-success.yaml"
	// The page-fast tier's line (factor x budget), on both windows, made
	// a hundred times higher.
	var line float64
	for _, tier := range r.Plan.Tiers {
		if tier.Name == "page-fast" {
			line = tier.Factor * r.Plan.SLOs[0].Budget
		}
	}
	from, to := "> "+promql.FormatNumber(line)+")", "> "+promql.FormatNumber(100*line)+")"
	mutated := false
	for i, a := range r.Artifacts {
		if a.Path == file {
			r.Artifacts[i].Data = bytes.ReplaceAll(a.Data, []byte(from), []byte(to))
			mutated = !bytes.Equal(r.Artifacts[i].Data, a.Data)
		}
	}
	if !mutated {
		t.Fatalf("%s has no page-fast threshold to mutate", file)
	}
	err = r.VerifyTests()
	ds := diag.AsList(err)
	if len(ds) == 0 {
		t.Fatalf("a page alert that can no longer fire passed its tests (err %v)", err)
	}
	t.Logf("%d failures, first:\n%s", len(ds), ds[0])
	for _, d := range ds {
		s := d.String()
		if !strings.HasPrefix(s, "tests/slo-chat-success") || !strings.Contains(s, "ChatSuccessBudgetBurn at ") || !strings.Contains(s, `test "`) {
			t.Errorf("failure does not name the test file, the test and the alert: %s", s)
		}
	}
}
