package dashboards_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/inferobs/inferobs/library"
)

// TestNoMetricNames keeps metric knowledge in library: no string literal in
// the package's non-test code spells a metric name an exporter or inferobs's
// rules produce.
func TestNoMetricNames(t *testing.T) {
	bad := []string{"vllm:", "tgi_", "DCGM_", "kube_", "container_", "traces_span", "calls_total", "slo:", "model:", "tenant:", library.AlertsSeries}
	for _, e := range library.Engines() {
		info, _ := library.Info(e)
		bad = append(bad, info.AllNames()...)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
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
			for _, b := range bad {
				if strings.Contains(s, b) {
					t.Errorf("%s: string literal %s spells a metric name (%q)", fset.Position(lit.Pos()), lit.Value, b)
				}
			}
			return true
		})
	}
}
