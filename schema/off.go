package schema

import (
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"

	"github.com/inferobs/inferobs/library"
)

// offDecl is the schema's declaration of `false` as an SLO value.
const offDecl = "#Off: false"

// loaderSchema is the schema the loader evaluates with: the same as Text()
// but with #Off eliminated from every disjunction. The loader takes the
// `slos: kind: false` fields out of the user's syntax first (cutOff), so
// every other SLO value meets a plain struct schema and CUE's errors about
// it stay precise ("expected a string, got an integer 1") instead of
// dissolving into a disjunction's "conflicting values ... and false".
func loaderSchema() string {
	if !strings.Contains(schemaSource, offDecl) {
		panic("schema: " + offDecl + " is not declared")
	}
	return strings.Replace(schemaSource, offDecl, "#Off: _|_", 1)
}

// offSLOs are the SLOs the user turned off: workload -> kind -> position.
type offSLOs map[string]map[library.SLOKind]token.Pos

// cutOff finds every `workloads: <w>: slos: <kind>: false` in the syntax
// (whatever mix of nesting and braces writes it), records it and deletes
// the field.
func cutOff(asts []*ast.File) offSLOs {
	off := offSLOs{}
	kinds := map[string]library.SLOKind{}
	for _, k := range library.SLOKinds() {
		kinds[string(k)] = k
	}
	for _, f := range asts {
		var walk func(elts []ast.Decl, path []string) []ast.Decl
		walk = func(elts []ast.Decl, path []string) []ast.Decl {
			out := elts[:0]
			for _, e := range elts {
				fld, ok := e.(*ast.Field)
				if !ok {
					out = append(out, e)
					continue
				}
				name, _, err := ast.LabelName(fld.Label)
				if err != nil {
					out = append(out, e)
					continue
				}
				p := append(append([]string(nil), path...), name)
				if len(p) == 4 && p[0] == "workloads" && p[2] == "slos" {
					if lit, ok := fld.Value.(*ast.BasicLit); ok && lit.Kind == token.FALSE {
						if k, ok := kinds[p[3]]; ok {
							if off[p[1]] == nil {
								off[p[1]] = map[library.SLOKind]token.Pos{}
							}
							off[p[1]][k] = lit.Pos()
							continue
						}
					}
				}
				if st, ok := fld.Value.(*ast.StructLit); ok && len(p) < 4 {
					st.Elts = walk(st.Elts, p)
				}
				out = append(out, e)
			}
			return out
		}
		f.Decls = walk(f.Decls, nil)
	}

	return off
}
