package lint

import (
	"regexp"
	"slices"
	"strings"
)

// Grafana template variables are replaced before parsing so that a
// dashboard query can be checked: inside a string any text will do, inside
// a range or after offset a duration, in a by/on list or glued to a name an
// identifier, and elsewhere a number or an identifier (whichever parses).
// Identifiers and strings carry varMark so that no check mistakes them for
// an engine metric, a label value or a bucket.

// varMark starts every placeholder name.
const varMark = "__grafana_var_"

// Placeholder values by position.
const (
	varDuration = "5m"
	varNumber   = "300"
)

// varPattern matches $var, ${var}, ${var:format}, ${var.field} and [[var]], [[var:format]].
var varPattern = regexp.MustCompile(`^(?:\$\{([^}]*)\}|\$(\w+)|\[\[(\w+)(?::[^\]]*)?\]\])`)

// numericBuiltins are Grafana variables that expand to a plain number;
// durationBuiltins expand to a duration such as 1m30s.
var (
	numericBuiltins  = []string{"__range_s", "__range_ms", "__interval_ms", "__rate_interval_ms"}
	durationBuiltins = []string{"__range", "__interval", "__rate_interval", "__auto"}
)

// labelListWords precede a parenthesised list of label names.
var labelListWords = []string{"by", "without", "on", "ignoring", "group_left", "group_right"}

// expandTemplates returns the query with its variables replaced, in the
// order to try them: variables in ambiguous places become numbers in the
// first variant and identifiers in the second. A query without variables
// comes back alone and unchanged.
func expandTemplates(q string) []string {
	if !strings.Contains(q, "$") && !strings.Contains(q, "[[") {
		return []string{q}
	}
	asNumber, ambiguous := expand(q, true)
	if !ambiguous {
		return []string{asNumber}
	}
	asIdent, _ := expand(q, false)
	return []string{asNumber, asIdent}
}

func expand(q string, ambiguousAsNumber bool) (string, bool) {
	var (
		b         strings.Builder
		quote     byte
		brackets  int
		braces    int
		parens    []bool // true: a label list
		ambiguous bool
	)
	for i := 0; i < len(q); {
		c := q[i]
		if quote != 0 {
			switch {
			case c == '\\' && quote != '`' && i+1 < len(q):
				b.WriteString(q[i : i+2])
				i += 2
				continue
			case c == quote:
				quote = 0
			default:
				if m := matchVar(q[i:]); m != nil {
					b.WriteString(varMark + varName(m))
					i += len(m[0])
					continue
				}
			}
			b.WriteByte(c)
			i++
			continue
		}
		if m := matchVar(q[i:]); m != nil {
			name := varName(m)
			var rep string
			next := byte(0)
			if j := i + len(m[0]); j < len(q) {
				next = q[j]
			}
			switch {
			case brackets > 0 && isIdentByte(next):
				rep = varNumber // a unit follows: [${__range_s}s]
			case brackets > 0 || prevWord(q[:i]) == "offset":
				rep = varDuration
			case braces > 0:
				rep = varMark + name + `="x"`
			case len(parens) > 0 && parens[len(parens)-1],
				i > 0 && (isIdentByte(q[i-1]) || q[i-1] == ':'),
				isIdentByte(next) || next == ':' || next == '{' || next == '[':
				rep = varMark + name
			case slices.Contains(numericBuiltins, name) || slices.Contains(durationBuiltins, name):
				rep = varNumber
			default:
				ambiguous = true
				rep = varMark + name
				if ambiguousAsNumber {
					rep = "1"
				}
			}
			b.WriteString(rep)
			i += len(m[0])
			continue
		}
		switch c {
		case '"', '\'', '`':
			quote = c
		case '[':
			brackets++
		case ']':
			brackets--
		case '{':
			braces++
		case '}':
			braces--
		case '(':
			parens = append(parens, slices.Contains(labelListWords, strings.ToLower(prevWord(q[:i]))))
		case ')':
			if len(parens) > 0 {
				parens = parens[:len(parens)-1]
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), ambiguous
}

// varName returns a variable's name, made safe for an identifier.
func varName(m []string) string {
	name := m[1] + m[2] + m[3]
	name, _, _ = strings.Cut(name, ":")
	return strings.Map(func(r rune) rune {
		if r < 128 && isIdentByte(byte(r)) {
			return r
		}
		return '_'
	}, name)
}

// prevWord returns the identifier just before the end of s, skipping spaces.
func prevWord(s string) string {
	s = strings.TrimRight(s, " \t\r\n")
	i := len(s)
	for i > 0 && isIdentByte(s[i-1]) {
		i--
	}
	return s[i:]
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// matchVar matches a template variable at the start of s; $1-style regex
// group references are not variables.
func matchVar(s string) []string {
	m := varPattern.FindStringSubmatch(s)
	if m == nil || (m[2] != "" && strings.Trim(m[2], "0123456789") == "") {
		return nil
	}
	return m
}
