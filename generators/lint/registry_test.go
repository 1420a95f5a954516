package lint

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestRegistry: every check is listed once, in name order, and lives in
// check_<area>_<topic>.go.
func TestRegistry(t *testing.T) {
	var names []string
	for _, c := range exprChecks {
		names = append(names, c.name())
	}
	for _, c := range fileChecks {
		names = append(names, c.name())
	}
	exprNames, fileNames := names[:len(exprChecks)], names[len(exprChecks):]
	if !slices.IsSorted(exprNames) || !slices.IsSorted(fileNames) {
		t.Errorf("registry not sorted: %v / %v", exprNames, fileNames)
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("check %s registered twice", n)
		}
		seen[n] = true
		file := "check_" + strings.NewReplacer("/", "_", "-", "_").Replace(n) + ".go"
		if _, err := os.Stat(file); err != nil {
			t.Errorf("check %s: %v", n, err)
		}
	}
}
