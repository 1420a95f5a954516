package emit

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// arts builds artifacts from path, data pairs.
func arts(kv ...string) []Artifact {
	var out []Artifact
	for i := 0; i < len(kv); i += 2 {
		out = append(out, Artifact{Path: kv[i], Data: []byte(kv[i+1])})
	}
	return out
}

// snapshot records every file (content and mode) and directory under dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			snap[filepath.ToSlash(rel)+"/"] = info.Mode().String()
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		snap[filepath.ToSlash(rel)] = info.Mode().String() + " " + string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func mustWrite(t *testing.T, dir string, a []Artifact, opts Options) Result {
	t.Helper()
	if err := Check(dir, a, opts); err != nil {
		t.Fatalf("Check: %v", err)
	}
	res, err := Write(dir, a, opts)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return res
}

func mustFail(t *testing.T, dir string, a []Artifact, opts Options, want ...string) {
	t.Helper()
	before := snapshot(t, dir)
	cerr := Check(dir, a, opts)
	_, werr := Write(dir, a, opts)
	for _, err := range []error{cerr, werr} {
		if err == nil {
			t.Fatalf("want error containing %q, got nil", want)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not contain %q", err, w)
			}
		}
	}
	if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Errorf("directory changed on error:\nbefore %v\nafter  %v", before, after)
	}
}

func read(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestWriteIdempotentAndDeterministic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	in := arts("prometheus/slo.yaml", "slo", "grafana/dash.json", "{}", "README.md", "hi")
	res := mustWrite(t, dir, in, Options{})
	want := []string{"README.md", "grafana/dash.json", "prometheus/slo.yaml"}
	if !reflect.DeepEqual(res.Written, want) || res.Unchanged != nil || res.Removed != nil {
		t.Fatalf("first write: %+v", res)
	}
	if got := read(t, filepath.Join(dir, "prometheus/slo.yaml")); got != "slo" {
		t.Errorf("content = %q", got)
	}
	info, err := os.Stat(filepath.Join(dir, "grafana/dash.json"))
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, %v", info.Mode(), err)
	}
	m := read(t, filepath.Join(dir, ManifestName))
	if !strings.Contains(m, `"path": "prometheus/slo.yaml"`) || strings.Index(m, "README.md") > strings.Index(m, "grafana") {
		t.Errorf("manifest not as documented:\n%s", m)
	}

	// Make mtimes old so that a rewrite would be visible.
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range append(want, ManifestName) {
		if err := os.Chtimes(filepath.Join(dir, p), old, old); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, dir)
	rev := slices.Clone(in)
	slices.Reverse(rev)
	res = mustWrite(t, dir, rev, Options{})
	if res.Written != nil || !reflect.DeepEqual(res.Unchanged, want) || res.Removed != nil {
		t.Fatalf("second write: %+v", res)
	}
	if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Errorf("second write changed the tree")
	}
	for _, p := range append(want, ManifestName) {
		if info, err := os.Stat(filepath.Join(dir, p)); err != nil || !info.ModTime().Equal(old) {
			t.Errorf("%s was rewritten", p)
		}
	}

	// Another directory, other input order: byte-identical output.
	dir2 := t.TempDir()
	mustWrite(t, dir2, rev, Options{})
	if a, b := snapshot(t, dir), snapshot(t, dir2); !reflect.DeepEqual(a, b) {
		t.Errorf("output depends on input order:\n%v\n%v", a, b)
	}
}

func TestStaleFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, arts("keep.yaml", "k", "old/deep/stale.yaml", "s", "mixed/stale.yaml", "s", "gone.yaml", "g"), Options{})
	for name, data := range map[string]string{"hand.txt": "mine", "mixed/notes.md": "mine"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(filepath.Join(dir, "gone.yaml")); err != nil { // already deleted by the user
		t.Fatal(err)
	}
	res := mustWrite(t, dir, arts("keep.yaml", "k2"), Options{})
	if !reflect.DeepEqual(res.Written, []string{"keep.yaml"}) || !reflect.DeepEqual(res.Removed, []string{"mixed/stale.yaml", "old/deep/stale.yaml"}) {
		t.Fatalf("result: %+v", res)
	}
	got := snapshot(t, dir)
	var names []string
	for k := range got {
		names = append(names, k)
	}
	slices.Sort(names)
	want := []string{"./", ManifestName, "hand.txt", "keep.yaml", "mixed/", "mixed/notes.md"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("tree = %v, want %v", names, want)
	}
	if m := read(t, filepath.Join(dir, ManifestName)); strings.Contains(m, "stale") || strings.Contains(m, "hand.txt") {
		t.Errorf("manifest lists files inferobs does not own:\n%s", m)
	}
}

func TestRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, arts("a.yaml", "a"), Options{})
	for _, name := range []string{"z.yaml", "b.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	in := arts("z.yaml", "gen", "a.yaml", "a2", "new/c.yaml", "c", "b.yaml", "gen")
	mustFail(t, dir, in, Options{}, "b.yaml already exists and was not written by inferobs", "--force")
	_, err := Write(dir, in, Options{})
	if msg := err.Error(); strings.Index(msg, "b.yaml") > strings.Index(msg, "z.yaml") {
		t.Errorf("refusals not sorted by path: %v", err)
	}
	// Identical content is not a conflict: the file is adopted.
	res := mustWrite(t, dir, arts("b.yaml", "mine", "z.yaml", "mine"), Options{})
	if !reflect.DeepEqual(res.Unchanged, []string{"b.yaml", "z.yaml"}) || !reflect.DeepEqual(res.Removed, []string{"a.yaml"}) {
		t.Errorf("adopt: %+v", res)
	}
	// Force overwrites a foreign file.
	if err := os.WriteFile(filepath.Join(dir, "c.yaml"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, dir, arts("c.yaml", "gen"), Options{Force: true})
	if got := read(t, filepath.Join(dir, "c.yaml")); got != "gen" {
		t.Errorf("forced content = %q", got)
	}
}

func TestRefusesHandEditedFiles(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, arts("x.yaml", "v1", "y.yaml", "v1", "old.yaml", "v1"), Options{})
	for _, name := range []string{"x.yaml", "old.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("edited"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := arts("x.yaml", "v2", "y.yaml", "v2")
	mustFail(t, dir, in, Options{},
		filepath.Join(dir, "x.yaml")+" was edited by hand since inferobs wrote it; move your change to the spec or delete the file",
		filepath.Join(dir, "old.yaml")+" is no longer generated but was edited by hand")
	res := mustWrite(t, dir, in, Options{Force: true})
	if !reflect.DeepEqual(res.Written, []string{"x.yaml", "y.yaml"}) || !reflect.DeepEqual(res.Removed, []string{"old.yaml"}) {
		t.Errorf("forced: %+v", res)
	}
	if got := read(t, filepath.Join(dir, "x.yaml")); got != "v2" {
		t.Errorf("forced content = %q", got)
	}
	// The edit is now overwritten and recorded: no more refusal.
	mustWrite(t, dir, arts("x.yaml", "v3"), Options{})
}

func TestInvalidPaths(t *testing.T) {
	for _, tc := range []struct {
		arts []Artifact
		want string
	}{
		{arts("../x", ""), "inside the output directory"},
		{arts("/abs", ""), "inside the output directory"},
		{arts("", ""), "inside the output directory"},
		{arts(".", ""), "inside the output directory"},
		{arts("a/../b", ""), "must be clean"},
		{arts("a//b", ""), `did you mean "a/b"`},
		{arts("./a", ""), "must be clean"},
		{arts(`a\b`, ""), "backslashes"},
		{arts("a\nb", ""), "control characters"},
		{arts(ManifestName, ""), "reserved"},
		{arts("a.yaml", "1", "a.yaml", "2"), "more than once"},
		{arts("A.yaml", "1", "a.yaml", "2"), "only in case"},
		{arts("a", "1", "a/b", "2"), "also generated as a file"},
	} {
		dir := t.TempDir()
		mustFail(t, dir, append(arts("ok.yaml", "fine"), tc.arts...), Options{Force: true}, tc.want)
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%q: wrote %v", tc.arts, entries)
		}
	}
}

func TestObstacles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "dir.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	mustFail(t, dir, arts("dir.yaml", "x"), Options{Force: true}, "not a regular file")
	mustFail(t, dir, arts("file/x.yaml", "x"), Options{Force: true}, "is in the way")
}

func TestCorruptManifest(t *testing.T) {
	for name, manifest := range map[string]string{
		"not json":     "{not json",
		"escapes":      `{"generator":"inferobs","version":1,"files":[{"path":"../victim","sha256":"` + hash(nil) + `"}]}`,
		"bad hash":     `{"generator":"inferobs","version":1,"files":[{"path":"a.yaml","sha256":"xyz"}]}`,
		"wrong format": `{"generator":"other","version":7,"files":[]}`,
		"listed twice": `{"generator":"inferobs","version":1,"files":[{"path":"a.yaml","sha256":"` + hash([]byte("a")) + `"},{"path":"a.yaml","sha256":"` + hash([]byte("a")) + `"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "out")
			mustWrite(t, dir, arts("a.yaml", "a", "b.yaml", "b"), Options{})
			if err := os.WriteFile(filepath.Join(root, "victim"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, ManifestName), []byte(manifest), 0o644); err != nil {
				t.Fatal(err)
			}
			mustFail(t, dir, nil, Options{Force: true}, "is corrupt", "delete it to start over")
			mustFail(t, dir, arts("c.yaml", "c"), Options{}, "is corrupt")
			if _, err := os.Stat(filepath.Join(root, "victim")); err != nil {
				t.Errorf("file outside the output directory touched: %v", err)
			}
		})
	}
}
