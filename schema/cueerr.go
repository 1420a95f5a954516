package schema

import (
	"fmt"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/inferobs/inferobs/schema/diag"
)

// cueDiagnostics turns CUE's errors into diagnostics in inferobs's words:
// a field the schema does not declare, a value of the wrong type, a
// required field left out. Other messages pass through.
func cueDiagnostics(err error, user *positions, def cue.Value) diag.List {
	var ds diag.List
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		path := trimRoot(e.Path())
		pos := userPos(e)
		switch {
		case strings.Contains(format, "errors in empty disjunction"):
			continue // the per-disjunct errors that follow say it better
		case format == "field not allowed":
			ds = append(ds, unknownField(pos, path, def))
		case strings.HasPrefix(format, "conflicting values") && strings.Contains(format, "mismatched types"):
			ds = append(ds, wrongType(pos, path, args, user, def))
		case strings.HasPrefix(format, "incomplete value"):
			ds = append(ds, missingField(path, user, def))
		default:
			ds = append(ds, diag.Errorf(pos, formatPath(path), "%s", fmt.Sprintf(format, args...)))
		}
	}
	return ds
}

func trimRoot(path []string) []string {
	if len(path) > 0 && path[0] == rootDefinition {
		path = path[1:]
	}
	out := make([]string, len(path))
	for i, p := range path {
		out[i] = unquoteLabel(p)
	}
	return out
}

func unquoteLabel(p string) string {
	if len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"' {
		if s, err := literalString(p); err == nil {
			return s
		}
	}
	return p
}

// userPos picks the first position in the user's files (not the schema).
func userPos(e cueerrors.Error) diag.Pos {
	cands := append([]token.Pos{e.Position()}, e.InputPositions()...)
	for _, p := range cands {
		if p.IsValid() && p.Filename() != schemaFile {
			return toPos(p)
		}
	}
	return diag.Pos{}
}

func unknownField(pos diag.Pos, path []string, def cue.Value) diag.Diagnostic {
	name := path[len(path)-1]
	allowed := schemaFields(def, path[:len(path)-1])
	msg := fmt.Sprintf("unknown field %q", name)
	if near := nearest(name, allowed); near != "" {
		msg += fmt.Sprintf("; did you mean %q?", near)
	}
	if len(allowed) > 0 {
		msg += " (allowed: " + strings.Join(allowed, ", ") + ")"
	}
	return diag.Diagnostic{Pos: pos, Path: formatPath(path), Severity: diag.Error, Message: msg}
}

func wrongType(pos diag.Pos, path []string, args []any, user *positions, def cue.Value) diag.Diagnostic {
	want := "a different type"
	if s := schemaAt(def, path); s.Exists() {
		want = kindName(s.IncompleteKind())
		// Both values fit the schema: the user set the field twice.
		if len(args) >= 4 && kindOf(args[2])&s.IncompleteKind() != 0 && kindOf(args[3])&s.IncompleteKind() != 0 {
			return diag.Errorf(pos, formatPath(path), "conflicting values %v and %v: the field is set twice with different values", args[0], args[1])
		}
	}
	got := ""
	if user != nil {
		if v := user.user.LookupPath(cuePath(path)); v.Exists() {
			got = fmt.Sprintf("%s %s", kindName(v.IncompleteKind()), short(v))
		}
	}
	if got == "" && len(args) > 0 {
		got = fmt.Sprint(args[0])
	}
	return diag.Errorf(pos, formatPath(path), "expected %s, got %s", want, got)
}

func missingField(path []string, user *positions, def cue.Value) diag.Diagnostic {
	name := path[len(path)-1]
	parent := path[:len(path)-1]
	var pos diag.Pos
	if user != nil {
		pos = user.lookup(parent)
	}
	want := ""
	if s := schemaAt(def, path); s.Exists() {
		want = " (" + kindName(s.IncompleteKind()) + ")"
	}
	return diag.Errorf(pos, formatPath(parent), "missing required field %q%s", name, want)
}

func kindOf(typeName any) cue.Kind {
	switch fmt.Sprint(typeName) {
	case "int":
		return cue.IntKind
	case "float":
		return cue.FloatKind
	case "string":
		return cue.StringKind
	case "bool":
		return cue.BoolKind
	case "struct":
		return cue.StructKind
	case "list":
		return cue.ListKind
	}
	return cue.BottomKind
}

func short(v cue.Value) string {
	s := fmt.Sprint(v)
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}

func kindName(k cue.Kind) string {
	switch k {
	case cue.StringKind:
		return "a string"
	case cue.IntKind:
		return "an integer"
	case cue.NumberKind, cue.FloatKind:
		return "a number"
	case cue.BoolKind:
		return "a boolean (true or false)"
	case cue.StructKind:
		return "a struct"
	case cue.ListKind:
		return "a list"
	case cue.NullKind:
		return "null"
	}
	return k.String()
}

// schemaAt finds the schema value that constrains path, following pattern
// constraints ([Name=string]: ...) for user-chosen names.
func schemaAt(def cue.Value, path []string) cue.Value {
	cur := def
	for _, p := range path {
		var next cue.Value
		if isIndex(p) {
			next = cur.LookupPath(cue.MakePath(cue.AnyIndex))
		} else {
			next = cur.LookupPath(cue.MakePath(cue.Str(p).Optional()))
			if !next.Exists() {
				next = cur.LookupPath(cue.MakePath(cue.Str(p)))
			}
			if !next.Exists() {
				next = cur.LookupPath(cue.MakePath(cue.AnyString))
			}
		}
		if !next.Exists() {
			return cue.Value{}
		}
		cur = next
	}
	return cur
}

// schemaFields lists the field names the schema allows at path, sorted.
func schemaFields(def cue.Value, path []string) []string {
	s := schemaAt(def, path)
	if !s.Exists() {
		return nil
	}
	it, err := s.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var out []string
	for it.Next() {
		out = append(out, it.Selector().Unquoted())
	}
	sortStrings(out)
	return out
}

func cuePath(path []string) cue.Path {
	sels := make([]cue.Selector, len(path))
	for i, p := range path {
		if isIndex(p) {
			n := 0
			fmt.Sscan(p, &n)
			sels[i] = cue.Index(n)
		} else {
			sels[i] = cue.Str(p)
		}
	}
	return cue.MakePath(sels...)
}
