package schema

import (
	"fmt"
	"strconv"
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
		case strings.HasPrefix(format, "explicit error (_|_ literal)"):
			continue // #Off eliminated from a disjunction (loaderSchema): not the user's
		case format == "field not allowed":
			ds = append(ds, unknownField(pos, path, def))
		case strings.HasPrefix(format, "conflicting values") && strings.Contains(format, "mismatched types"):
			ds = append(ds, wrongType(pos, path, args, user, def))
		case strings.HasPrefix(format, "incomplete value"):
			ds = append(ds, missingField(path, user, def))
		case strings.HasPrefix(format, "reference %q not found") && len(args) == 1 && yamlBooleans[fmt.Sprint(args[0])] != "":
			ds = append(ds, diag.Errorf(pos, formatPath(path), "%s is not a CUE value: CUE booleans are true/false; write %s", args[0], yamlBooleans[fmt.Sprint(args[0])]))
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
	got, hint := "", ""
	if user != nil {
		if v := user.user.LookupPath(cuePath(path)); v.Exists() {
			got = fmt.Sprintf("%s %s", kindName(v.IncompleteKind()), short(v))
			if v.IncompleteKind() == cue.NullKind {
				got = "null"
			}
			hint = typeHint(path, want, v)
		}
	}
	if got == "" && len(args) > 0 {
		got = fmt.Sprint(args[0])
	}
	return diag.Errorf(pos, formatPath(path), "expected %s, got %s%s", want, got, hint)
}

// durationUnits is the unit a bare number most likely meant, per duration
// field of the schema.
var durationUnits = map[string]func(float64) string{
	"threshold":          func(n float64) string { return unitFor(n, 10, "s", "ms") },
	"slowThreshold":      func(n float64) string { return unitFor(n, 10, "s", "ms") },
	"scrapeInterval":     func(float64) string { return "s" },
	"evaluationInterval": func(float64) string { return "s" },
	"quantileInterval":   func(float64) string { return "s" },
	"decisionWait":       func(float64) string { return "s" },
	"period":             func(float64) string { return "d" },
}

func unitFor(n, cut float64, small, large string) string {
	if n >= cut {
		return large
	}
	return small
}

// typeHint says what the user most likely meant by a value of the wrong
// type: a duration without its unit, a percentage with its sign, null or
// true where an SLO (or false) goes.
func typeHint(path []string, want string, v cue.Value) string {
	name := path[len(path)-1]
	inSLOs := len(path) == 4 && path[0] == "workloads" && path[2] == "slos"
	switch k := v.IncompleteKind(); {
	case want == "a string" && (k == cue.IntKind || k == cue.FloatKind || k == cue.NumberKind):
		if unit, ok := durationUnits[name]; ok {
			n, _ := v.Float64()
			return fmt.Sprintf(": a duration is a string with its unit; did you mean \"%s%s\"?", trimFloat(n), unit(n))
		}
	case want == "a number" && k == cue.StringKind:
		str, _ := v.String()
		if num, ok := strings.CutSuffix(strings.TrimSpace(str), "%"); ok {
			if _, err := strconv.ParseFloat(strings.TrimSpace(num), 64); err == nil {
				return fmt.Sprintf(": write the percentage as a number without %%, %s: %s", name, strings.TrimSpace(num))
			}
		}
	case inSLOs && k == cue.NullKind:
		return fmt.Sprintf(": to turn off the preset's %s SLO write %s: false", name, name)
	case inSLOs && k == cue.BoolKind:
		return fmt.Sprintf(": write the SLO's fields, or %s: false to turn the preset's SLO off", name)
	}
	return ""
}

// yamlBooleans are the words YAML reads as booleans; CUE reads them as
// references to fields that do not exist.
var yamlBooleans = map[string]string{
	"yes": "true", "no": "false", "on": "true", "off": "false", "y": "true", "n": "false",
	"True": "true", "False": "false", "TRUE": "true", "FALSE": "false", "Yes": "true", "No": "false",
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
