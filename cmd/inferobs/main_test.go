package main

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/inferobs/inferobs/generators/promql"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

const weirdSpec = `environment: "test"
gpus: h100: hourlyCost: 2
models: "we\"ird}\nname": {
	engine: "vllm", engineVersion: "0.16"
	servedName: "org/we\"ird}\\model"
	selector: {namespace: "llm", job: "j\"}"}
	gpu: "h100"
	pricing: {promptPerMillion: 0.1, generationPerMillion: 0.2}
}
tenants: "ten\"ant}": {}
workloads: "w\"l": {class: "chat", models: ["we\"ird}\nname"], tenants: ["ten\"ant}"]}
tracing: {collectorVersion: "0.140.0", spans: {ttft: "first\"token"}}
workloads: "w\"l": slos: ttft: {threshold: "1s", objective: 99, source: "gateway"}
`

// TestWeirdNamesStayValid: names with quotes, braces and newlines compile
// into PromQL that parses, rule files that load, and YAML that decodes, with
// the names intact.
func TestWeirdNamesStayValid(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec.cue")
	os.WriteFile(spec, []byte(weirdSpec), 0o644)
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "generate", "-q", "-o", out, spec); code != 0 {
		t.Fatalf("generate failed (%d):\n%s", code, stderr)
	}
	sawModel := false
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(path)
		switch {
		case strings.Contains(path, string(filepath.Separator)+"prometheus"+string(filepath.Separator)):
			groups, errs := rulefmt.Parse(data, false, model.LegacyValidation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
			if len(errs) > 0 {
				t.Errorf("%s does not load: %v", path, errs[0])
				return nil
			}
			for _, g := range groups.Groups {
				for _, r := range g.Rules {
					e, err := promql.Parse(r.Expr)
					if err != nil {
						t.Errorf("%s: %v", path, err)
						continue
					}
					for _, vs := range promql.Selectors(e) {
						for _, m := range vs.LabelMatchers {
							if m.Name == "model" && m.Value == "we\"ird}\nname" {
								sawModel = true
							}
						}
					}
				}
			}
		case strings.HasSuffix(path, ".yaml"):
			var docs any
			dec := yaml.NewDecoder(bytes.NewReader(data))
			for dec.Decode(&docs) == nil {
			}
			if err := yaml.Unmarshal(data, &docs); err != nil && !strings.Contains(err.Error(), "multiple documents") {
				t.Errorf("%s is not YAML: %v", path, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sawModel {
		t.Error("no rule selects the weird model name intact")
	}
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			out[path] = string(data)
		}
		return nil
	})
	return out
}

func sameTree(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestInvalidSpecWritesNothing: an invalid spec exits 1 with positioned
// errors and leaves the output directory exactly as it was.
func TestInvalidSpecWritesNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "generate", "-q", "-o", out, "../../examples/quickstart"); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	before := snapshot(t, out)
	bad := filepath.Join(dir, "bad.cue")
	os.WriteFile(bad, []byte("environment: \"x\"\nmodels: m: {engine: \"vllm\", engineVersion: \"9.9\"}\n"), 0o644)
	code, _, stderr := runCLI(t, "generate", "-o", out, bad)
	if code != 1 || !strings.Contains(stderr, "bad.cue:2:") {
		t.Fatalf("want exit 1 with a positioned error, got %d:\n%s", code, stderr)
	}
	if !sameTree(before, snapshot(t, out)) {
		t.Fatal("invalid spec changed the output directory")
	}
}

// TestRefusesForeignFile: generate never overwrites a file it did not
// write, and writes nothing at all when it refuses.
func TestRefusesForeignFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	os.MkdirAll(filepath.Join(out, "prometheus"), 0o755)
	mine := filepath.Join(out, "prometheus", "slo-support-chat-ttft.yaml")
	os.WriteFile(mine, []byte("# my hand-written rules\n"), 0o644)
	before := snapshot(t, out)
	code, _, stderr := runCLI(t, "generate", "-q", "-o", out, "../../examples/quickstart")
	if code != 1 || !strings.Contains(stderr, "slo-support-chat-ttft.yaml") {
		t.Fatalf("want a refusal naming the file, got %d:\n%s", code, stderr)
	}
	if !sameTree(before, snapshot(t, out)) {
		t.Fatal("refused generate still wrote files")
	}
}

// TestDeterministicAcrossOrderAndProcs: shuffled input files and another
// GOMAXPROCS give byte-identical output.
func TestDeterministicAcrossOrderAndProcs(t *testing.T) {
	files, _ := filepath.Glob("../../examples/platform/*.cue")
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if code, _, e := runCLI(t, append([]string{"generate", "-q", "-o", a}, files...)...); code != 0 {
		t.Fatal(e)
	}
	rev := make([]string, len(files))
	for i, f := range files {
		rev[len(files)-1-i] = f
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	wd, _ := os.Getwd()
	os.Chdir(dir)
	for i, f := range rev {
		rev[i] = filepath.Join(wd, f)
	}
	code, _, e := runCLI(t, append([]string{"generate", "-q", "-o", b}, rev...)...)
	os.Chdir(wd)
	if code != 0 {
		t.Fatal(e)
	}
	sa, sb := snapshot(t, a), snapshot(t, b)
	if len(sa) == 0 || len(sa) != len(sb) {
		t.Fatalf("file counts differ: %d vs %d", len(sa), len(sb))
	}
	for path, data := range sa {
		other := sb[filepath.Join(b, strings.TrimPrefix(path, a))]
		if other != data {
			t.Errorf("%s differs", strings.TrimPrefix(path, a))
		}
	}
}

func TestExitCodes(t *testing.T) {
	if code, _, _ := runCLI(t, "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "generate", "--no-such-flag"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	if code, out, _ := runCLI(t, "schema"); code != 0 || !strings.Contains(out, "#Spec") {
		t.Errorf("schema: exit %d", code)
	}
	if code, _, _ := runCLI(t, "check", "../../examples/quickstart"); code != 0 {
		t.Errorf("check quickstart: exit %d", code)
	}
}

// TestLintAgreesWithGenerator: the linter finds nothing to say about what
// the generator writes.
func TestLintAgreesWithGenerator(t *testing.T) {
	for _, ex := range []string{"quickstart", "platform"} {
		out := filepath.Join(t.TempDir(), ex)
		if code, _, e := runCLI(t, "generate", "-q", "-o", out, "../../examples/"+ex); code != 0 {
			t.Fatal(e)
		}
		code, stdout, _ := runCLI(t, "lint", "--format", "json", out)
		if code != 0 || strings.TrimSpace(stdout) != "[]" {
			t.Errorf("%s: lint exit %d, findings:\n%s", ex, code, stdout)
		}
		// With the spec, every query is checked at its own models'
		// versions (platform mixes vLLM 0.11, 0.16 and TGI), and nothing
		// falls back to an assumed version.
		code, stdout, stderr := runCLI(t, "lint", "--spec", "../../examples/"+ex, out)
		if code != 0 || !strings.HasPrefix(stdout, "0 errors, 0 warnings, 0 info\nchecked ") || strings.Contains(stderr, "no vLLM version given") {
			t.Errorf("%s: lint --spec exit %d:\n%s%s", ex, code, stdout, stderr)
		}
	}
}

// TestLintNamedFileSkipped: a file named explicitly that lint cannot read
// is a warning, not a silent pass.
func TestLintNamedFileSkipped(t *testing.T) {
	code, stdout, _ := runCLI(t, "lint", "../../README.md")
	if code != 0 || !strings.Contains(stdout, "file/skipped") || !strings.Contains(stdout, "checked 0 files, 0 queries; skipped 0") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}
