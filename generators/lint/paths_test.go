package lint

import (
	"path/filepath"
	"testing"
)

func TestPaths(t *testing.T) {
	walk := filepath.Join("testdata", "walk")
	broken := filepath.Join(walk, "broken.yaml")
	rules := filepath.Join(walk, "rules.yml")

	// A walk skips files that are not rules or dashboards, files that do
	// not decode and hidden directories.
	got, err := Paths([]string{walk}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	assertFindings(t, got, []want{
		{5, 0, engineAssumedName, "", "", "checked vLLM names against vLLM 0.25"},
		{5, 15, metricRemovedName, "", "", "vllm:gpu_cache_usage_perc was removed in vLLM 0.12"},
	})
	for _, f := range got {
		if f.File != rules {
			t.Errorf("finding in %q, want %q", f.File, rules)
		}
	}

	// A named file that does not decode is reported.
	got, err = Paths([]string{broken}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Check != fileSyntaxName || got[0].File != broken {
		t.Errorf("named broken file:%s", describe(got))
	}

	if _, err := Paths([]string{filepath.Join("testdata", "missing")}, Options{}); err == nil {
		t.Error("missing path: no error")
	}
}

// TestPathsRecordedNames: a series recorded in one file is not an engine
// metric when another file reads it.
func TestPathsRecordedNames(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.yaml"), "groups:\n- name: a\n  rules:\n  - record: vllm:requests:rate5m\n    expr: sum(rate(vllm:request_success_total[5m]))\n")
	write(t, filepath.Join(dir, "b.yaml"), "groups:\n- name: b\n  rules:\n  - alert: Idle\n    expr: vllm:requests:rate5m < 1\n")
	got, err := Paths([]string{dir}, vllmAt(16))
	if err != nil {
		t.Fatal(err)
	}
	assertFindings(t, got, nil)
}
