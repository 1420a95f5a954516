package simulate

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// valueStyle is how an exporter prints sample values.
type valueStyle int

const (
	// stylePython is prometheus_client's floatToGoString (vLLM): Python
	// float repr (1.0, 0.25), exponent form once the integer part passes
	// six digits (1.7e+09).
	stylePython valueStyle = iota
	// styleRust is metrics-exporter-prometheus (TGI): counts as integers,
	// floats as Rust's Display (no exponent).
	styleRust
	// styleGo is client_golang and the OpenTelemetry collector's exporter:
	// strconv 'g' shortest form.
	styleGo
	// styleDCGM is dcgm-exporter: integer fields as integers, double
	// fields with six decimals.
	styleDCGM
)

type label struct{ name, value string }

// sample is one exposed series; value is filled at render time.
type sample struct {
	name   string
	labels []label
	value  float64
	style  valueStyle
	float  bool // styleDCGM: a double field
}

// family is one metric family of an exposition.
type family struct {
	name, help, typ string
	samples         []sample
}

var (
	valueEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

// writeText renders families in the Prometheus text format.
func writeText(b *bytes.Buffer, fams []family) {
	for _, f := range fams {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", f.name, helpEscaper.Replace(f.help), f.name, f.typ)
		for _, s := range f.samples {
			writeSeries(b, s.name, s.labels)
			b.WriteByte(' ')
			b.WriteString(formatValue(s.value, s.style, s.float))
			b.WriteByte('\n')
		}
	}
}

// seriesWriter is what the exposition writers write to (a bytes.Buffer or
// a bufio.Writer).
type seriesWriter interface {
	io.StringWriter
	io.ByteWriter
}

// writeSeries writes name{label="value",...} with label values escaped.
func writeSeries(w seriesWriter, name string, ls []label) {
	w.WriteString(name)
	if len(ls) == 0 {
		return
	}
	w.WriteByte('{')
	for i, l := range ls {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(l.name)
		w.WriteString(`="`)
		w.WriteString(valueEscaper.Replace(l.value))
		w.WriteByte('"')
	}
	w.WriteByte('}')
}

func formatValue(v float64, style valueStyle, isFloat bool) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	switch style {
	case stylePython:
		return pythonFloat(v)
	case styleRust:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case styleDCGM:
		if isFloat {
			return strconv.FormatFloat(v, 'f', 6, 64)
		}
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
}

// pythonFloat is prometheus_client's floatToGoString: Python's repr of the
// float, switched to Go's exponent form once the integer part passes six
// digits.
func pythonFloat(d float64) string {
	s := pythonRepr(d)
	dot := strings.IndexByte(s, '.')
	if d > 0 && dot > 6 {
		mantissa := strings.TrimRight(s[:1]+"."+s[1:dot]+s[dot+1:], "0.")
		return fmt.Sprintf("%se+0%d", mantissa, dot-1)
	}
	return s
}

// pythonRepr is Python's repr(float): the shortest round-trip digits, in
// positional form from 1e-4 up to 1e16, always with a fraction.
func pythonRepr(d float64) string {
	if d == 0 {
		if math.Signbit(d) {
			return "-0.0"
		}
		return "0.0"
	}
	a := math.Abs(d)
	if a >= 1e16 || a < 1e-4 {
		s := strconv.FormatFloat(d, 'e', -1, 64) // 1e+16, 1.5e-05
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[0]
		exp = strings.TrimLeft(exp[1:], "0")
		if len(exp) < 2 {
			exp = strings.Repeat("0", 2-len(exp)) + exp
		}
		return mant + "e" + string(sign) + exp
	}
	s := strconv.FormatFloat(d, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// parseSampleLine splits `name{l="v",...} value` into its parts, undoing
// the text format's label-value escapes.
func parseSampleLine(line string) (name string, ls []label, value string, err error) {
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return "", nil, "", fmt.Errorf("no value in %q", line)
	}
	name = line[:i]
	rest := line[i:]
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			rest = strings.TrimLeft(rest, ",")
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.Index(rest, `="`)
			if eq < 0 {
				return "", nil, "", fmt.Errorf("bad label in %q", line)
			}
			lname := rest[:eq]
			rest = rest[eq+2:]
			var v strings.Builder
			closed := false
			for j := 0; j < len(rest); j++ {
				c := rest[j]
				if c == '\\' && j+1 < len(rest) {
					j++
					switch rest[j] {
					case 'n':
						v.WriteByte('\n')
					default:
						v.WriteByte(rest[j])
					}
					continue
				}
				if c == '"' {
					rest = rest[j+1:]
					closed = true
					break
				}
				v.WriteByte(c)
			}
			if !closed {
				return "", nil, "", fmt.Errorf("unterminated label value in %q", line)
			}
			ls = append(ls, label{lname, v.String()})
		}
	}
	value = strings.TrimSpace(rest)
	if value == "" {
		return "", nil, "", fmt.Errorf("no value in %q", line)
	}
	return name, ls, value, nil
}

func labelValue(ls []label, name string) (string, bool) {
	for _, l := range ls {
		if l.name == name {
			return l.value, true
		}
	}
	return "", false
}
