// Package yamlw writes block-style YAML documents built as small trees of
// mappings, sequences and scalars, without reflection.
//
// The rule files, PrometheusRule objects and promtool tests of a large spec
// are tens of megabytes; yaml.v3's encoder spent most of the compile time
// on them. This writer produces the same text yaml.v3 does for these
// documents (two-space indentation, sequences indented under their key, no
// line folding, the same choice between plain, single- and double-quoted
// scalars), which the tests check byte for byte, and every document it
// writes decodes back to the tree it came from.
package yamlw

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Node is a YAML value: Map, Seq, Str, Float or Int.
type Node interface{ node() }

// Map is a mapping whose keys are written in the order given.
type Map []Field

// Field is one key of a Map.
type Field struct {
	Key   string
	Value Node
}

// Seq is a sequence.
type Seq []Node

// Str is a string scalar; it is quoted where a plain scalar would read back
// as another type or not parse.
type Str string

// Float is a number written as Go's shortest representation ('g').
type Float float64

// Int is an integer.
type Int int64

func (Map) node()   {}
func (Seq) node()   {}
func (Str) node()   {}
func (Float) node() {}
func (Int) node()   {}

// Strings returns a string map as a Map with its keys sorted.
func Strings(m map[string]string) Map {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(Map, len(keys))
	for i, k := range keys {
		out[i] = Field{k, Str(m[k])}
	}
	return out
}

// StringSeq returns strings as a Seq.
func StringSeq(ss []string) Seq {
	out := make(Seq, len(ss))
	for i, s := range ss {
		out[i] = Str(s)
	}
	return out
}

// scratch buffers absorb the growth while a document is written, so the
// result is allocated once at its final size.
var scratch = sync.Pool{New: func() any { return new([]byte) }}

// Append writes n as a document (a Map or Seq at the top level, or a
// scalar) after buf.
func Append(buf []byte, n Node) []byte {
	sp := scratch.Get().(*[]byte)
	doc := appendDocument((*sp)[:0], n)
	out := make([]byte, len(buf), len(buf)+len(doc))
	copy(out, buf)
	out = append(out, doc...)
	*sp = doc[:0]
	scratch.Put(sp)
	return out
}

func appendDocument(buf []byte, n Node) []byte {
	switch v := n.(type) {
	case Map:
		if len(v) == 0 {
			return append(buf, "{}\n"...)
		}
		return appendMap(buf, v, 0, false)
	case Seq:
		if len(v) == 0 {
			return append(buf, "[]\n"...)
		}
		return appendSeq(buf, v, 0, false)
	default:
		// A top-level literal block's lines start at column 0.
		buf = appendScalar(buf, n, -2)
		return append(buf, '\n')
	}
}

// Encode returns n as a document.
func Encode(n Node) []byte { return Append(nil, n) }

// appendMap writes the fields at indent; when inline, the first field
// continues the current line (after "- ").
func appendMap(buf []byte, m Map, indent int, inline bool) []byte {
	for i, f := range m {
		if i > 0 || !inline {
			buf = appendIndent(buf, indent)
		}
		if len(f.Key) > maxSimpleKey {
			// YAML limits implicit keys to 1024 characters.
			buf = append(buf, "? "...)
			buf = appendDoubleQuoted(buf, f.Key)
			buf = append(buf, '\n')
			buf = appendIndent(buf, indent)
		} else {
			buf = appendKey(buf, f.Key)
		}
		buf = append(buf, ':')
		buf = appendValue(buf, f.Value, indent, false)
	}
	return buf
}

// appendSeq writes the items at indent, each after "- ".
func appendSeq(buf []byte, s Seq, indent int, inline bool) []byte {
	for i, item := range s {
		if i > 0 || !inline {
			buf = appendIndent(buf, indent)
		}
		buf = append(buf, '-')
		buf = appendValue(buf, item, indent, true)
	}
	return buf
}

// appendValue writes what follows "key:" or "-": a scalar or empty
// collection on the same line, a nested mapping on the next lines, a
// sequence under a key indented by two and inside a sequence on the same
// line.
func appendValue(buf []byte, v Node, indent int, inSeq bool) []byte {
	switch c := v.(type) {
	case Map:
		if len(c) == 0 {
			return append(buf, " {}\n"...)
		}
		if inSeq {
			buf = append(buf, ' ')
			return appendMap(buf, c, indent+2, true)
		}
		buf = append(buf, '\n')
		return appendMap(buf, c, indent+2, false)
	case Seq:
		if len(c) == 0 {
			return append(buf, " []\n"...)
		}
		if inSeq {
			buf = append(buf, ' ')
			return appendSeq(buf, c, indent+2, true)
		}
		buf = append(buf, '\n')
		return appendSeq(buf, c, indent+2, false)
	default:
		buf = append(buf, ' ')
		buf = appendScalar(buf, v, indent)
		return append(buf, '\n')
	}
}

// maxSimpleKey leaves room for quotes and escapes under YAML's limit.
const maxSimpleKey = 200

// appendKey writes a mapping key; a multi-line key is double-quoted, as a
// literal block cannot be a simple key.
func appendKey(buf []byte, k string) []byte {
	if strings.IndexByte(k, '\n') >= 0 {
		return appendDoubleQuoted(buf, k)
	}
	return appendString(buf, k, 0)
}

func appendIndent(buf []byte, n int) []byte {
	for ; n > 0; n-- {
		buf = append(buf, ' ')
	}
	return buf
}

func appendScalar(buf []byte, n Node, indent int) []byte {
	switch v := n.(type) {
	case Str:
		return appendString(buf, string(v), indent)
	case Float:
		f := float64(v)
		switch {
		case math.IsInf(f, 1):
			return append(buf, ".inf"...)
		case math.IsInf(f, -1):
			return append(buf, "-.inf"...)
		case math.IsNaN(f):
			return append(buf, ".nan"...)
		}
		return strconv.AppendFloat(buf, f, 'g', -1, 64)
	case Int:
		return strconv.AppendInt(buf, int64(v), 10)
	case nil:
		return append(buf, "null"...)
	}
	panic("yamlw: not a scalar")
}

// appendString writes s plain when it reads back as the same string,
// single-quoted when only its characters' positions forbid plain, as a
// literal block when it spans lines, and double-quoted (with escapes)
// otherwise. indent is the indentation of the key or "-" it follows.
func appendString(buf []byte, s string, indent int) []byte {
	switch scalarStyle(s) {
	case plain:
		return append(buf, s...)
	case singleQuoted:
		buf = append(buf, '\'')
		for {
			i := strings.IndexByte(s, '\'')
			if i < 0 {
				break
			}
			buf = append(buf, s[:i+1]...)
			buf = append(buf, '\'')
			s = s[i+1:]
		}
		buf = append(buf, s...)
		return append(buf, '\'')
	case literal:
		return appendLiteral(buf, s, indent)
	default:
		return appendDoubleQuoted(buf, s)
	}
}

type style int

const (
	plain style = iota
	singleQuoted
	literal
	doubleQuoted
)

func scalarStyle(s string) style {
	if s == "" {
		return doubleQuoted
	}
	if strings.IndexByte(s, '\n') >= 0 {
		return multiLineStyle(s)
	}
	if readsAsNonString(s) {
		return doubleQuoted
	}
	st := plain
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		st = singleQuoted
	}
	switch s[0] {
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ':
		st = singleQuoted
	case '-', '?', ':':
		// Indicators only when a space or the end follows.
		if len(s) == 1 || s[1] == ' ' {
			st = singleQuoted
		}
	}
	if s[len(s)-1] == ' ' || s[len(s)-1] == ':' {
		st = singleQuoted
	}
	prevSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if plainByte[c] {
			prevSpace = false
			continue
		}
		switch {
		case c == ' ':
			prevSpace = true
			continue
		case c >= 0x80:
			// Decode only outside ASCII; expressions rarely get here.
			r, size := utf8.DecodeRuneInString(s[i:])
			if !printable(r) {
				return doubleQuoted
			}
			i += size - 1
		case c < 0x20 || c == 0x7f:
			return doubleQuoted
		case c == ':':
			if i+1 < len(s) && s[i+1] == ' ' {
				st = singleQuoted
			}
		case c == '#':
			if prevSpace {
				st = singleQuoted
			}
		}
		prevSpace = false
	}
	return st
}

// plainByte marks the ASCII bytes that never affect the style of a
// scalar past its first character.
var plainByte = func() (t [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		t[c] = c != ':' && c != '#'
	}
	return t
}()

// multiLineStyle: a literal block unless a line ends in a space, a
// character needs escaping, or the text starts with a space or line break
// (which would need an indentation indicator).
func multiLineStyle(s string) style {
	if s[0] == ' ' || s[0] == '\n' || strings.Contains(s, " \n") {
		return doubleQuoted
	}
	for _, r := range s {
		if r != '\n' && !printable(r) {
			return doubleQuoted
		}
	}
	return literal
}

// appendLiteral writes s as a literal block: "|-" without a final line
// break, "|" with one, "|+" with more; its lines indented two more than the
// key.
func appendLiteral(buf []byte, s string, indent int) []byte {
	body := strings.TrimRight(s, "\n")
	switch trailing := len(s) - len(body); {
	case trailing == 0:
		buf = append(buf, "|-"...)
	case trailing == 1:
		buf = append(buf, '|')
	default:
		buf = append(buf, "|+"...)
	}
	for _, line := range strings.Split(s[:len(s)-boolInt(len(s) > len(body))], "\n") {
		buf = append(buf, '\n')
		if line != "" {
			buf = appendIndent(buf, indent+2)
			buf = append(buf, line...)
		}
	}
	return buf
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// printable is the set of characters written as they are; the others are
// escaped in double quotes. Line breaks and tabs are excluded here, and so
// are characters beyond the Basic Multilingual Plane, as yaml.v3 does.
func printable(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return false
	case r >= 0x20 && r <= 0x7e:
		return true
	case r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd && r != 0xfeff:
		return true
	}
	return false
}

// readsAsNonString reports whether s, written plain, would be read as a
// null, boolean, number or timestamp (YAML 1.1 spellings included, as
// other tools still read them so).
func readsAsNonString(s string) bool {
	switch s {
	case "~", "null", "Null", "NULL",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"on", "On", "ON", "off", "Off", "OFF",
		".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
		".nan", ".NaN", ".NAN":
		return true
	}
	c := s[0]
	if !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
		return false
	}
	// Numbers and the timestamps with a time part are short and have no
	// spaces; strconv would copy a long expression into its error.
	if len(s) > 64 || strings.IndexByte(s, ' ') >= 0 {
		return timestamp(s)
	}
	num := strings.ReplaceAll(s, "_", "")
	// Go reads "Inf" and "NaN"; YAML spells them .inf and .nan (above).
	if !strings.ContainsAny(num, "iInN") {
		if _, err := strconv.ParseFloat(num, 64); err == nil {
			return true
		}
	}
	if _, err := strconv.ParseInt(num, 0, 64); err == nil {
		return true
	}
	if _, err := strconv.ParseUint(num, 0, 64); err == nil {
		return true
	}
	return sexagesimal(s) || timestamp(s)
}

// sexagesimal matches YAML 1.1 base-60 numbers such as 1:20 or 190:20:30.15.
func sexagesimal(s string) bool {
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	if s == "" || s[0] < '0' || s[0] > '9' || !strings.Contains(s, ":") {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == '_' || r == ':' || r == '.') {
			return false
		}
	}
	return true
}

// timestamp matches the date forms YAML reads as timestamps (2006-01-02,
// optionally followed by a time).
func timestamp(s string) bool {
	i := 0
	digits := func(min, max int) bool {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' && n < max {
			i++
			n++
		}
		return n >= min
	}
	if !digits(4, 4) || i >= len(s) || s[i] != '-' {
		return false
	}
	i++
	if !digits(1, 2) || i >= len(s) || s[i] != '-' {
		return false
	}
	i++
	return digits(1, 2)
}

// escapes are YAML's short escapes.
var escapes = map[rune]string{
	0: `\0`, 0x07: `\a`, 0x08: `\b`, '\t': `\t`, '\n': `\n`, 0x0b: `\v`, 0x0c: `\f`, '\r': `\r`,
	0x1b: `\e`, '"': `\"`, '\\': `\\`, 0x85: `\N`, 0xa0: `\_`, 0x2028: `\L`, 0x2029: `\P`,
}

func appendDoubleQuoted(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for _, r := range s {
		if e, ok := escapes[r]; ok && (r < 0x20 || r == '"' || r == '\\' || !printable(r)) {
			buf = append(buf, e...)
			continue
		}
		switch {
		case printable(r):
			buf = utf8.AppendRune(buf, r)
		case r <= 0xff:
			buf = append(buf, '\\', 'x')
			buf = appendHex(buf, uint32(r), 2)
		case r <= 0xffff:
			buf = append(buf, '\\', 'u')
			buf = appendHex(buf, uint32(r), 4)
		default:
			buf = append(buf, '\\', 'U')
			buf = appendHex(buf, uint32(r), 8)
		}
	}
	return append(buf, '"')
}

func appendHex(buf []byte, v uint32, width int) []byte {
	const digits = "0123456789ABCDEF"
	for shift := (width - 1) * 4; shift >= 0; shift -= 4 {
		buf = append(buf, digits[(v>>uint(shift))&0xf])
	}
	return buf
}
