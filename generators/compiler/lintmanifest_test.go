package compiler_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/generators/emit"
)

// TestLintReadsTheManifestsModels: an output directory for a vLLM 0.9
// model (whose ITL histogram is a name later releases removed) lints clean
// without --spec because its manifest records the model's version; the
// same files without the manifest are checked at the newest release and
// the removed name is reported, so the record is what makes the
// difference.
func TestLintReadsTheManifestsModels(t *testing.T) {
	const spec = `environment: "test"
gpus: h100: hourlyCost: 3
models: m: {engine: "vllm", engineVersion: "0.9.2", selector: {namespace: "llm", job: "m"}, gpu: "h100"}
workloads: chat: {class: "chat", models: ["m"], slos: {itl: {threshold: "100ms", objective: 99}, success: false, ttft: false, completeness: false, headroom: false}}
`
	r, err := compiler.CompileFiles(compiler.File{Name: "spec.cue", Data: []byte(spec)})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := r.Write(dir, emit.Options{}); err != nil {
		t.Fatal(err)
	}
	lint := func() int {
		t.Helper()
		rep, err := compiler.LintRun([]string{dir}, compiler.LintOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range rep.Skipped {
			if filepath.Base(s) == emit.ManifestName {
				t.Errorf("the manifest is counted as a skipped file: %v", rep.Skipped)
			}
		}
		n := 0
		for _, f := range rep.Findings {
			if f.Check != compiler.FindingEngineAssumed {
				n++
			}
		}
		return n
	}
	if n := lint(); n != 0 {
		t.Errorf("with the manifest: %d findings, want 0", n)
	}
	if err := os.Remove(filepath.Join(dir, emit.ManifestName)); err != nil {
		t.Fatal(err)
	}
	if n := lint(); n == 0 {
		t.Errorf("without the manifest the 0.9 names were checked at the newest release and nothing was found: the test no longer tells the two apart")
	}
}
