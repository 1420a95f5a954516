package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"github.com/inferobs/inferobs/library"
)

// warnSpec compiles with one warning: the chat preset's ITL threshold is
// no vLLM bucket and is snapped down (everything else is declared).
const warnSpec = `environment: "test"
gpus: h100: hourlyCost: 2
models: m: {engine: "vllm", engineVersion: "0.11.0", selector: {namespace: "llm", job: "m"}, gpu: "h100"}
workloads: w: {class: "chat", models: ["m"], slos: {
	ttft: {threshold: "2.5s", objective: 99}
	success: {objective: 99.5}
	completeness: false
	headroom: {maxQueue: 8, objective: 99}
}}
`

func writeSpec(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "spec.cue")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStrictTurnsWarningsIntoErrors(t *testing.T) {
	spec := writeSpec(t, warnSpec)
	code, _, stderr := runCLI(t, "check", spec)
	if code != 0 || !strings.Contains(stderr, "warning: workloads.w.class: the chat preset's itl SLO (80ms at 95 %)") {
		t.Fatalf("check without --strict: exit %d\n%s", code, stderr)
	}
	for _, args := range [][]string{{"check", "--strict", spec}, {"check", "--strict", "-q", spec}, {"generate", "--strict", "-o", filepath.Join(t.TempDir(), "out"), spec}} {
		code, _, stderr := runCLI(t, args...)
		if code != 1 || !strings.Contains(stderr, "--strict: the warnings above are errors") || !strings.Contains(stderr, "itl SLO") {
			t.Errorf("%v: exit %d, want 1 with the warning printed\n%s", args, code, stderr)
		}
	}
	out := filepath.Join(t.TempDir(), "out")
	runCLI(t, "generate", "--strict", "-o", out, spec)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("generate --strict wrote %s despite the warning", out)
	}
	clean := writeSpec(t, strings.Replace(warnSpec, "completeness: false", `completeness: false
	itl: {threshold: "100ms", objective: 99}`, 1))
	if code, _, stderr := runCLI(t, "check", "--strict", clean); code != 0 {
		t.Errorf("clean spec under --strict: exit %d\n%s", code, stderr)
	}
}

func TestFractionalObjectiveExits1(t *testing.T) {
	spec := writeSpec(t, strings.Replace(warnSpec, "success: {objective: 99.5}", "success: {objective: 0.995}", 1))
	for _, args := range [][]string{{"check", "-q", spec}, {"generate", "-q", "-o", filepath.Join(t.TempDir(), "out"), spec}} {
		code, _, stderr := runCLI(t, args...)
		if code != 1 || !strings.Contains(stderr, "objective 0.995: write percent, did you mean 99.5?") {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
}

// TestPresetsPrintsTheLibrary: the printed presets are CUE whose values
// are the library's.
func TestPresetsPrintsTheLibrary(t *testing.T) {
	code, stdout, _ := runCLI(t, "presets")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	v := cuecontext.New().CompileString(stdout)
	if err := v.Err(); err != nil {
		t.Fatalf("presets output is not CUE: %v\n%s", err, stdout)
	}
	for _, class := range library.PresetClasses() {
		p, _ := library.PresetFor(class)
		n := 0
		it, _ := v.LookupPath(cue.ParsePath(class)).Fields()
		for it.Next() {
			n++
		}
		if n != len(p.SLOs) {
			t.Errorf("%s: %d SLOs printed, library has %d", class, n, len(p.SLOs))
		}
		for _, s := range p.SLOs {
			obj, err := v.LookupPath(cue.ParsePath(class + "." + string(s.Kind) + ".objective")).Float64()
			if err != nil || obj != s.Objective {
				t.Errorf("%s.%s objective: %v %v, want %v", class, s.Kind, obj, err, s.Objective)
			}
		}
	}
}
