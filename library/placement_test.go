package library

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// knownNames is every metric name the library knows.
func knownNames() map[string]bool {
	out := map[string]bool{}
	for _, e := range Engines() {
		info, _ := Info(e)
		for _, n := range info.AllNames() {
			out[n] = true
		}
	}
	for _, f := range DCGMFields() {
		out[f.Name] = true
	}
	for _, k := range KubeMetrics() {
		out[k.Name] = true
	}
	return out
}

// TestMetricNamesLiveInLibrary: no string literal in the module's non-test
// code outside library/ spells a metric name; generators ask the library.
func TestMetricNamesLiveInLibrary(t *testing.T) {
	names := knownNames()
	fset := token.NewFileSet()
	for _, root := range []string{"../cmd", "../schema", "../generators"} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || d.Name() == "conformance") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					s = lit.Value
				}
				for _, prefix := range []string{"vllm:", "tgi_", "DCGM_"} {
					if strings.Contains(s, prefix) {
						t.Errorf("%s: %s spells a metric name", fset.Position(lit.Pos()), lit.Value)
						return true
					}
				}
				if names[s] {
					t.Errorf("%s: %s spells a metric name", fset.Position(lit.Pos()), lit.Value)
				}
				return true
			})
			return nil
		})
	}
}

// TestGeneratorsDoNotImportEachOther keeps data flowing one way: spec →
// plan → one generator per artifact → files. A generator may import plan,
// promql, emit and library, never another generator.
func TestGeneratorsDoNotImportEachOther(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "../generators/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	shared := map[string]bool{"plan": true, "promql": true, "emit": true, "yamlw": true}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	const prefix = "github.com/inferobs/inferobs/generators/"
	for dec.More() {
		var pkg struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&pkg); err != nil {
			t.Fatal(err)
		}
		self := strings.SplitN(strings.TrimPrefix(pkg.ImportPath, prefix), "/", 2)[0]
		if self == "compiler" || self == "bench" || self == "simulate" || shared[self] {
			continue // consumers of every generator, not generators
		}
		for _, imp := range pkg.Imports {
			if !strings.HasPrefix(imp, prefix) {
				continue
			}
			other := strings.SplitN(strings.TrimPrefix(imp, prefix), "/", 2)[0]
			if other != self && !shared[other] {
				t.Errorf("%s imports %s: generators must not depend on each other", pkg.ImportPath, imp)
			}
		}
	}
}
