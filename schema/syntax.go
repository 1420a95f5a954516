package schema

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/inferobs/inferobs/schema/diag"
)

// syntaxDiagnostics rewords CUE's parse errors for the mistakes people
// bring from YAML and other languages: a # comment, and a brace never
// closed (CUE reports the end of the file; the useful position is where
// the brace was opened).
func syntaxDiagnostics(f File, ds diag.List) diag.List {
	if line, col, ok := hashComment(f.Data); ok {
		return diag.List{diag.Errorf(diag.Pos{File: f.Name, Line: line, Col: col}, "",
			"CUE comments start with //, not #: write // here (a # starts a definition name in CUE)")}
	}
	out := make(diag.List, 0, len(ds))
	for _, d := range ds {
		if strings.Contains(d.Message, "found 'EOF'") {
			if open, ok := unclosed(f.Data); ok {
				d = diag.Errorf(diag.Pos{File: f.Name, Line: open.line, Col: open.col}, "",
					"this %q is never closed: the file ends (at %d:%d) before its %q", open.ch, d.Pos.Line, d.Pos.Col, closer[open.ch])
			}
		}
		out = append(out, d)
	}
	return out
}

var closer = map[string]string{"{": "}", "[": "]", "(": ")"}

type bracket struct {
	ch        string
	line, col int
}

// scan walks CUE source outside strings and comments, calling visit with
// every byte's line and column.
func scan(src []byte, visit func(i, line, col int) bool) {
	line, col := 1, 0
	inStr, multi := false, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		col++
		if c == '\n' {
			line, col = line+1, 0
		}
		switch {
		case inStr && multi:
			if bytes.HasPrefix(src[i:], []byte(`"""`)) {
				inStr, multi = false, false
				i += 2
				col += 2
			}
			continue
		case inStr:
			switch c {
			case '\\':
				i++
				col++
			case '"', '\n':
				inStr = false
			}
			continue
		case bytes.HasPrefix(src[i:], []byte(`"""`)):
			inStr, multi = true, true
			i += 2
			col += 2
			continue
		case c == '"':
			inStr = true
			continue
		case bytes.HasPrefix(src[i:], []byte("//")):
			for i < len(src) && src[i] != '\n' {
				i++
			}
			i--
			continue
		}
		if !visit(i, line, col) {
			return
		}
	}
}

// unclosed finds the innermost bracket still open at the end of the file.
func unclosed(src []byte) (bracket, bool) {
	var stack []bracket
	scan(src, func(i, line, col int) bool {
		switch c := string(src[i]); c {
		case "{", "[", "(":
			stack = append(stack, bracket{c, line, col})
		case "}", "]", ")":
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
		return true
	})
	if len(stack) == 0 {
		return bracket{}, false
	}
	return stack[len(stack)-1], true
}

// hashComment finds a # outside strings that cannot start a CUE
// definition (#Name): one followed by a space, another #, ! or the end of
// the line.
func hashComment(src []byte) (line, col int, found bool) {
	scan(src, func(i, l, c int) bool {
		if src[i] != '#' {
			return true
		}
		if i+1 == len(src) || strings.ContainsRune(" \t\r\n#!", rune(src[i+1])) {
			line, col, found = l, c, true
			return false
		}
		return true
	})
	return
}

// yamlLabel is a line holding only a label and its colon: YAML's way to
// open a nested block, which CUE reads as a field whose value is the next
// field alone.
var yamlLabel = regexp.MustCompile(`^([ \t]*)("[^"]*"|[A-Za-z_$][\w$-]*)[ \t]*:[ \t]*$`)

// yamlNesting finds a line written as YAML nesting (a bare "label:"
// followed by more-indented lines). It is reported only when the spec has
// errors: CUE accepts "a:\n  b: 1" as a: b: 1, so the shape is fine until
// the indented block holds a second field, which then lands one level up.
func yamlNesting(files []File) *diag.Diagnostic {
	for _, f := range files {
		lines := strings.Split(string(f.Data), "\n")
		for i, l := range lines {
			m := yamlLabel.FindStringSubmatch(l)
			if m == nil || i+1 >= len(lines) {
				continue
			}
			next := lines[i+1]
			if len(next)-len(strings.TrimLeft(next, " \t")) <= len(m[1]) {
				continue
			}
			d := diag.Errorf(diag.Pos{File: f.Name, Line: i + 1, Col: len(m[1]) + 1}, "",
				"CUE is not YAML: indentation does not nest fields, so %s: takes only the next field as its value and the fields after it land elsewhere; write %s: { ... } with braces", m[2], m[2])
			return &d
		}
	}
	return nil
}
