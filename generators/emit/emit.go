// Package emit writes generated artifacts into an output directory safely.
//
// The whole output is passed in at once. Write first checks everything
// (paths, the previous manifest, files that would be overwritten or removed)
// and touches nothing if any check fails. It then writes each changed file to
// a temporary file in its own directory, renames all of them into place,
// writes the manifest last, and finally removes the files that the previous
// manifest listed but the new output no longer contains.
//
// # Manifest
//
// The manifest, [ManifestName] in the output directory, records what inferobs
// wrote. It is indented JSON, ends with a newline, has no timestamps and
// lists files sorted by path, so the same output always gives the same bytes:
//
//	{
//	  "generator": "inferobs",
//	  "version": 1,
//	  "files": [
//	    {
//	      "path": "prometheus/slo.yaml",
//	      "sha256": "<64 lowercase hex digits of the file's content>"
//	    }
//	  ]
//	}
//
// Paths are slash-separated and relative to the output directory. A file that
// exists but is not listed is someone else's: Write refuses to overwrite it
// and never deletes it. A listed file whose content no longer matches its
// sha256 was edited by hand: Write refuses to overwrite or delete it.
// [Options.Force] skips both refusals. An existing file whose content is
// already exactly what would be written is never a conflict; it is kept as is
// (and adopted into the manifest), which also lets a run recover from one
// that was interrupted after renaming files but before writing the manifest.
package emit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
)

// ManifestName is the name of the manifest file in the output directory.
const ManifestName = ".inferobs-manifest.json"

// Artifact is one generated file.
type Artifact struct {
	Path string // relative, slash-separated, e.g. "prometheus/slo.yaml"
	Data []byte
}

// Options changes how Write and Check treat existing files.
type Options struct {
	// Force overwrites or removes files even if they were not written by
	// inferobs or were edited by hand since inferobs wrote them.
	Force bool
	// Spec, when set, is recorded in the manifest under "spec" (JSON): what
	// tools reading the output later need to know of its spec (lint reads
	// the models' engine versions from it).
	Spec any
}

// Result says what Write did (for CLI reporting). Paths are slash-separated,
// relative to the output directory and sorted; the manifest is not listed.
type Result struct {
	Written   []string // created or replaced
	Unchanged []string // already had the right content, not rewritten
	Removed   []string // listed in the previous manifest, no longer generated
}

type manifest struct {
	Generator string          `json:"generator"`
	Version   int             `json:"version"`
	Spec      any             `json:"spec,omitempty"`
	Files     []manifestEntry `json:"files"`
}

type manifestEntry struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// plan is everything Write will do, computed before touching the disk.
type plan struct {
	dir          string
	write        []Artifact
	unchanged    []string
	stale        []string
	manifest     []byte
	manifestSame bool
}

type pathErr struct {
	path string
	err  error
}

// Write writes arts into dir (created if missing) and updates the manifest.
// If any artifact is invalid or any existing file may not be replaced or
// removed, it returns an error naming every such path and writes nothing.
func Write(dir string, arts []Artifact, opts Options) (Result, error) {
	p, err := makePlan(dir, arts, opts)
	if err != nil {
		return Result{}, err
	}
	return p.apply()
}

// Check verifies what Write would do without writing (same refusals), for a
// dry run.
func Check(dir string, arts []Artifact, opts Options) error {
	_, err := makePlan(dir, arts, opts)
	return err
}

func makePlan(dir string, arts []Artifact, opts Options) (*plan, error) {
	sorted := slices.Clone(arts)
	slices.SortStableFunc(sorted, func(a, b Artifact) int { return strings.Compare(a.Path, b.Path) })
	if err := validate(sorted); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("output directory %s is not a directory", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	old, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	p := &plan{dir: dir}
	m := manifest{Generator: "inferobs", Version: 1, Spec: opts.Spec, Files: []manifestEntry{}}
	var errs []pathErr
	fail := func(rel string, err error) { errs = append(errs, pathErr{rel, err}) }
	produced := map[string]bool{}
	// Hash every artifact and the file it would replace side by side; only
	// digests are kept, so a re-run does not hold the previous output in
	// memory next to the new one.
	newSums := make([]string, len(sorted))
	diskSums := make([]string, len(sorted))
	onDisk := make([]bool, len(sorted))
	diskErrs := make([]error, len(sorted))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, a := range sorted {
		g.Go(func() error {
			newSums[i] = hash(a.Data)
			diskSums[i], onDisk[i], diskErrs[i] = hashExisting(dir, a.Path)
			return nil
		})
	}
	g.Wait()
	for i, a := range sorted {
		produced[a.Path] = true
		m.Files = append(m.Files, manifestEntry{a.Path, newSums[i]})
		exists, disk := onDisk[i], diskSums[i]
		switch {
		case diskErrs[i] != nil:
			fail(a.Path, diskErrs[i])
		case exists && disk == newSums[i]:
			p.unchanged = append(p.unchanged, a.Path)
		case exists && !opts.Force && old[a.Path] == "":
			fail(a.Path, fmt.Errorf("%s already exists and was not written by inferobs; move or delete it, or rerun with --force to overwrite it", show(dir, a.Path)))
		case exists && !opts.Force && old[a.Path] != disk:
			fail(a.Path, fmt.Errorf("%s was edited by hand since inferobs wrote it; move your change to the spec or delete the file", show(dir, a.Path)))
		default:
			p.write = append(p.write, a)
		}
	}
	for _, rel := range slices.Sorted(maps.Keys(old)) {
		if produced[rel] {
			continue
		}
		disk, exists, err := hashExisting(dir, rel)
		switch {
		case err != nil || !exists:
			// Gone already, or no longer a plain file: not ours to remove.
		case !opts.Force && old[rel] != disk:
			fail(rel, fmt.Errorf("%s is no longer generated but was edited by hand since inferobs wrote it; delete it yourself, or rerun with --force to let inferobs delete it", show(dir, rel)))
		default:
			p.stale = append(p.stale, rel)
		}
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b pathErr) int { return strings.Compare(a.path, b.path) })
		all := make([]error, len(errs))
		for i, e := range errs {
			all[i] = e.err
		}
		return nil, errors.Join(all...)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	p.manifest = append(data, '\n')
	cur, err := os.ReadFile(filepath.Join(dir, ManifestName))
	p.manifestSame = err == nil && bytes.Equal(cur, p.manifest)
	return p, nil
}

func (p *plan) apply() (Result, error) {
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return Result{}, err
	}
	// Stage every file before renaming any, so that most failures (disk
	// full, permissions) leave the visible output untouched.
	temps := make([]string, len(p.write))
	cleanup := func() {
		for _, t := range temps {
			if t != "" {
				os.Remove(t)
			}
		}
	}
	stageErrs := make([]error, len(p.write))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, a := range p.write {
		g.Go(func() error {
			temps[i], stageErrs[i] = writeTemp(filepath.Join(p.dir, filepath.FromSlash(a.Path)), a.Data)
			return nil
		})
	}
	g.Wait()
	if err := errors.Join(stageErrs...); err != nil {
		cleanup()
		return Result{}, err
	}
	res := Result{Unchanged: p.unchanged}
	for i, a := range p.write {
		if err := os.Rename(temps[i], filepath.Join(p.dir, filepath.FromSlash(a.Path))); err != nil {
			cleanup()
			return res, fmt.Errorf("%w; the output is partly updated, rerun inferobs", err)
		}
		temps[i] = ""
		res.Written = append(res.Written, a.Path)
	}
	if !p.manifestSame {
		mpath := filepath.Join(p.dir, ManifestName)
		t, err := writeTemp(mpath, p.manifest)
		if err == nil {
			err = os.Rename(t, mpath)
		}
		if err != nil {
			os.Remove(t)
			return res, fmt.Errorf("writing manifest: %w; the output is partly updated, rerun inferobs", err)
		}
	}
	var errs []error
	dirs := map[string]bool{}
	for _, rel := range p.stale {
		if err := os.Remove(filepath.Join(p.dir, filepath.FromSlash(rel))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("%s is no longer generated but could not be removed (%w); delete it yourself", show(p.dir, rel), err))
			continue
		}
		res.Removed = append(res.Removed, rel)
		for d := path.Dir(rel); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	// Deepest first: a descendant's path is always longer than its parent's.
	// os.Remove fails on a non-empty directory, so foreign files keep theirs.
	ds := slices.Sorted(maps.Keys(dirs))
	slices.SortStableFunc(ds, func(a, b string) int { return len(b) - len(a) })
	for _, d := range ds {
		os.Remove(filepath.Join(p.dir, filepath.FromSlash(d)))
	}
	return res, errors.Join(errs...)
}

// validate checks sorted artifact paths; all problems are reported at once.
func validate(arts []Artifact) error {
	var errs []error
	seen := map[string]bool{}
	folded := map[string]string{}
	for _, a := range arts {
		p := a.Path
		bad := func(why string) { errs = append(errs, fmt.Errorf("invalid artifact path %q: %s", p, why)) }
		switch {
		case p == "" || p == "." || strings.HasPrefix(p, "/") || !filepath.IsLocal(filepath.FromSlash(p)):
			bad("must be a relative path inside the output directory")
		case path.Clean(p) != p || strings.ContainsAny(p, `\`) || strings.ContainsFunc(p, func(r rune) bool { return r < ' ' || r == 0x7f }):
			bad(fmt.Sprintf("must be clean and slash-separated without backslashes or control characters (did you mean %q?)", path.Clean(filepath.ToSlash(p))))
		case p == ManifestName:
			bad("reserved for the inferobs manifest")
		case seen[p]:
			bad("generated more than once")
		case folded[strings.ToLower(p)] != "":
			bad(fmt.Sprintf("differs from %q only in case, which clashes on case-insensitive filesystems", folded[strings.ToLower(p)]))
		default:
			for d := path.Dir(p); d != "."; d = path.Dir(d) {
				if seen[d] {
					bad(fmt.Sprintf("%q is also generated as a file", d))
					break
				}
			}
		}
		seen[p] = true
		if folded[strings.ToLower(p)] == "" {
			folded[strings.ToLower(p)] = p
		}
	}
	return errors.Join(errs...)
}

// readManifest returns the previous manifest as path -> sha256, empty if
// there is none. Anything unexpected is an error: a damaged manifest must
// never lead to deleting or overwriting files.
func readManifest(dir string) (map[string]string, error) {
	name := filepath.Join(dir, ManifestName)
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	} else if err != nil {
		return nil, err
	}
	corrupt := func(why string) error {
		return fmt.Errorf("manifest %s is corrupt (%s); inferobs changed nothing. Restore it from version control, or delete it to start over (inferobs then treats every existing file as hand-written)", name, why)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, corrupt(err.Error())
	}
	if m.Generator != "inferobs" || m.Version != 1 {
		return nil, corrupt(fmt.Sprintf("want generator \"inferobs\" version 1, got %q version %d", m.Generator, m.Version))
	}
	old := map[string]string{}
	for _, e := range m.Files {
		if err := validate([]Artifact{{Path: e.Path}}); err != nil {
			return nil, corrupt(err.Error())
		}
		if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != sha256.Size || strings.ToLower(e.SHA256) != e.SHA256 {
			return nil, corrupt(fmt.Sprintf("bad sha256 for %q", e.Path))
		}
		if old[e.Path] != "" {
			return nil, corrupt(fmt.Sprintf("%q listed twice", e.Path))
		}
		old[e.Path] = e.SHA256
	}
	return old, nil
}

// hashExisting returns the sha256 of dir/rel if it is a regular file. It
// fails if something other than a regular file or a real directory is in the
// way, since Write could not (or must not) replace it.
func hashExisting(dir, rel string) (sum string, exists bool, err error) {
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		fi, err := os.Lstat(filepath.Join(dir, filepath.Join(parts[:i]...)))
		if errors.Is(err, fs.ErrNotExist) {
			return "", false, nil
		} else if err != nil {
			return "", false, err
		} else if !fi.IsDir() {
			return "", false, fmt.Errorf("%s is in the way of %s: it is not a directory (symlinks are not followed); move it away", show(dir, path.Join(parts[:i]...)), show(dir, rel))
		}
	}
	name := filepath.Join(dir, filepath.FromSlash(rel))
	fi, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	} else if err != nil {
		return "", false, err
	} else if !fi.Mode().IsRegular() {
		return "", false, fmt.Errorf("%s exists and is not a regular file; move it away", name)
	}
	f, err := os.Open(name)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", false, err
	}
	return hex.EncodeToString(h.Sum(nil)), true, nil
}

// writeTemp writes data to a new temporary file next to target, creating
// parent directories as needed, and returns its name.
func writeTemp(target string, data []byte) (string, error) {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Dir(target), ".inferobs-*.tmp")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("writing %s: %w", target, err)
	}
	return f.Name(), nil
}

func hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func show(dir, rel string) string { return filepath.Join(dir, filepath.FromSlash(rel)) }
