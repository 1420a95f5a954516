package schema

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/ast/astutil"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/inferobs/inferobs/schema/diag"
)

// File is one spec source.
type File struct {
	Name string // as positions print it
	Data []byte
}

// FindFiles expands paths (files or directories; "." when empty) into the
// sorted list of .cue files they name. Directories are read one level deep.
func FindFiles(paths []string) ([]string, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("spec path %s: %w", p, err)
		}
		if !st.IsDir() {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".cue") {
				continue
			}
			f := filepath.Join(p, e.Name())
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no .cue files in %s", strings.Join(paths, ", "))
	}
	sort.Strings(out)
	return out, nil
}

// Load reads the spec files named by paths (see FindFiles) and returns the
// validated spec and every diagnostic (warnings included). The spec is nil
// when any diagnostic is an error.
func Load(paths ...string) (*Spec, diag.List) {
	names, err := FindFiles(paths)
	if err != nil {
		return nil, diag.List{diag.Errorf(diag.Pos{}, "", "%v", err)}
	}
	files := make([]File, 0, len(names))
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, diag.List{diag.Errorf(diag.Pos{File: n}, "", "%v", err)}
		}
		files = append(files, File{Name: n, Data: data})
	}
	return LoadFiles(files)
}

// LoadFiles is Load for sources already in memory. Files are processed in
// name order whatever order they are given in.
func LoadFiles(files []File) (*Spec, diag.List) {
	files = append([]File(nil), files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })

	var ds diag.List
	var asts []*ast.File
	for _, f := range files {
		af, err := parser.ParseFile(f.Name, f.Data, parser.ParseComments)
		if err != nil {
			ds = append(ds, syntaxDiagnostics(f, cueDiagnostics(err, nil, cue.Value{}))...)
			continue
		}
		asts = append(asts, af)
	}
	if ds.HasErrors() {
		return nil, ds.Sorted()
	}
	ds = append(ds, duplicateNames(asts)...)
	yaml := yamlNesting(files)

	ctx := cuecontext.New()
	off := cutOff(asts)
	def := ctx.CompileString(loaderSchema(), cue.Filename(schemaFile)).LookupPath(cue.ParsePath(rootDefinition))
	if err := def.Err(); err != nil {
		panic(fmt.Sprintf("schema: embedded schema does not compile: %v", err))
	}

	user, merged, cueDiags := evaluate(ctx, def, asts)
	ds = append(ds, cueDiags...)
	if !user.Exists() {
		if yaml != nil {
			ds = append(ds, *yaml)
		}
		return nil, ds.Sorted()
	}
	spec, decodeDiags := decode(merged, positions{user: user, firstFile: asts[0].Filename}, off)
	ds = append(ds, decodeDiags...)
	ds = append(ds, validate(spec)...)
	if ds.HasErrors() && yaml != nil {
		ds = append(ds, *yaml)
	}
	ds = ds.Sorted()
	if ds.HasErrors() {
		return nil, ds
	}
	return spec, ds
}

// evaluate unifies the user's files with the schema and collects CUE's
// errors. CUE reports some classes only once others are gone (a field not
// allowed hides a missing one), so fields with errors are cut from the
// syntax and the evaluation repeats until no new error appears.
func evaluate(ctx *cue.Context, def cue.Value, asts []*ast.File) (user, merged cue.Value, ds diag.List) {
	seen := map[string]bool{}
	cutPaths := map[string]bool{} // fields cut for a type error: not also "missing"
	for round := 0; round < 8; round++ {
		var err error
		user, err = build1(ctx, asts)
		if err == nil {
			err = user.Err()
		}
		if err != nil {
			return cue.Value{}, cue.Value{}, append(ds, cueDiagnostics(err, nil, def)...)
		}
		merged = def.Unify(user)
		err = merged.Validate(cue.Concrete(true), cue.Final())
		if err == nil {
			return user, merged, ds
		}
		var cut []token.Pos
		fresh := false
		for _, e := range cueerrors.Errors(err) {
			if isIncomplete(e) && cutPaths[formatPath(trimRoot(e.Path()))] {
				continue
			}
			for _, d := range cueDiagnostics(e, &positions{user: user, firstFile: asts[0].Filename}, def) {
				k := d.String()
				if !seen[k] {
					seen[k] = true
					ds = append(ds, d)
					fresh = true
				}
			}
			if !isIncomplete(e) {
				cutPaths[formatPath(trimRoot(e.Path()))] = true
				cut = append(cut, e.InputPositions()...)
				cut = append(cut, e.Position())
			}
		}
		if !fresh || len(cut) == 0 || !cutFields(asts, cut) {
			return user, merged, ds
		}
	}
	return user, merged, ds
}

// build1 builds the user's files as one package so they can refer to each
// other, whatever package clause (or none) they carry.
func build1(ctx *cue.Context, asts []*ast.File) (cue.Value, error) {
	inst := build.NewContext().NewInstance("", nil)
	for _, f := range asts {
		g := *f
		decls := []ast.Decl{&ast.Package{Name: ast.NewIdent("spec")}}
		for _, d := range f.Decls {
			if _, ok := d.(*ast.Package); !ok {
				decls = append(decls, d)
			}
		}
		g.Decls = decls
		if err := inst.AddSyntax(&g); err != nil {
			return cue.Value{}, err
		}
	}
	return ctx.BuildInstance(inst), nil
}

// cutFields deletes from the syntax every field whose label or value sits
// at one of the positions; it reports whether anything was cut.
func cutFields(asts []*ast.File, at []token.Pos) bool {
	bad := map[string]bool{}
	for _, p := range at {
		if p.IsValid() {
			bad[p.String()] = true
		}
	}
	cut := false
	for _, f := range asts {
		astutil.Apply(f, func(c astutil.Cursor) bool {
			fld, ok := c.Node().(*ast.Field)
			if !ok {
				return true
			}
			if bad[fld.Label.Pos().String()] || (fld.Value != nil && bad[fld.Value.Pos().String()]) {
				c.Delete()
				cut = true
				return false
			}
			return true
		}, nil)
	}
	return cut
}

func isIncomplete(e cueerrors.Error) bool {
	format, _ := e.Msg()
	return strings.HasPrefix(format, "incomplete value")
}

// duplicateNames reports a model, tenant, workload or GPU declared in two
// files: CUE would silently merge the two, which hides copy-paste mistakes.
func duplicateNames(asts []*ast.File) diag.List {
	kinds := map[string]string{"models": "model", "tenants": "tenant", "workloads": "workload", "gpus": "GPU"}
	type decl struct {
		file string
		pos  token.Pos
	}
	first := map[string]decl{}
	var ds diag.List
	for _, f := range asts {
		inFile := map[string]bool{}
		for _, d := range f.Decls {
			fld, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			top, _, _ := ast.LabelName(fld.Label)
			kind, ok := kinds[top]
			if !ok {
				continue
			}
			for _, name := range childLabels(fld.Value) {
				key := top + "\x00" + name.name
				if inFile[key] {
					continue
				}
				inFile[key] = true
				if prev, ok := first[key]; ok && prev.file != f.Filename {
					ds = append(ds, diag.Errorf(toPos(name.pos), formatPath([]string{top, name.name}),
						"%s %q is also declared in %s; names must be unique across spec files", kind, name.name, prev.pos))
					continue
				}
				if _, ok := first[key]; !ok {
					first[key] = decl{file: f.Filename, pos: name.pos}
				}
			}
		}
	}
	return ds
}

type labelAt struct {
	name string
	pos  token.Pos
}

// childLabels lists the field names directly inside a struct literal, or
// the single name of a `models: name: {...}` chain.
func childLabels(v ast.Expr) []labelAt {
	var out []labelAt
	switch x := v.(type) {
	case *ast.StructLit:
		for _, e := range x.Elts {
			if f, ok := e.(*ast.Field); ok {
				if n, _, err := ast.LabelName(f.Label); err == nil {
					out = append(out, labelAt{n, f.Label.Pos()})
				}
			}
		}
	}
	return out
}

func toPos(p token.Pos) diag.Pos {
	if !p.IsValid() {
		return diag.Pos{}
	}
	return diag.Pos{File: p.Filename(), Line: p.Line(), Col: p.Column()}
}
