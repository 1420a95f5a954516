package yamlw

import (
	"bytes"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// v3Style is the style yaml.v3 picks for a string value (its node encoder
// alone would write YAML 1.1 booleans such as "yes" plain).
func v3Style(s string) yaml.Style {
	out, err := yaml.Marshal(s)
	if err != nil {
		panic(err)
	}
	switch out[0] {
	case '"':
		return yaml.DoubleQuotedStyle
	case '\'':
		return yaml.SingleQuotedStyle
	case '|':
		return yaml.LiteralStyle
	}
	return 0
}

// toYAMLNode builds the yaml.v3 node tree of n: keys in the same order,
// each string in the style yaml.v3 gives it when encoding a Go string.
func toYAMLNode(n Node) *yaml.Node {
	switch v := n.(type) {
	case Map:
		out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, f := range v {
			out.Content = append(out.Content, toYAMLNode(Str(f.Key)), toYAMLNode(f.Value))
		}
		return out
	case Seq:
		out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, item := range v {
			out.Content = append(out.Content, toYAMLNode(item))
		}
		return out
	case Str:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(v), Style: v3Style(string(v))}
	case Float, Int:
		return &yaml.Node{Kind: yaml.ScalarNode, Value: string(appendScalar(nil, v, 0))}
	}
	panic("unknown node")
}

func yamlV3(t testing.TB, n Node) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(toYAMLNode(n)); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// plainValue is the Go value a tree decodes to through yaml.v3.
func plainValue(n Node) any {
	switch v := n.(type) {
	case Map:
		out := map[string]any{}
		for _, f := range v {
			out[f.Key] = plainValue(f.Value)
		}
		return out
	case Seq:
		out := []any{}
		for _, item := range v {
			out = append(out, plainValue(item))
		}
		return out
	case Str:
		return string(v)
	case Float, Int:
		var out any
		if err := yaml.Unmarshal(appendScalar(nil, v, 0), &out); err != nil {
			panic(err)
		}
		return out
	}
	panic("unknown node")
}

// Strings whose style is easy to get wrong: yaml.v3 writes these as the
// tests expect, and they must read back unchanged.
var awkward = []string{
	"", " ", "a", "0", "00000000:18:00.0", "1:20", "-1", "+1", ".5", "1e3", "1_000", "0x1F", "0o17", "0b101",
	"2026-11-27", "2026-11-27T06:00:00Z", "1.0", "+Inf", "-Inf", ".inf", "NaN", ".nan", "~", "null", "NULL",
	"true", "False", "yes", "No", "on", "OFF", "y", "n", "30s", "1h30m", "5m", "p99", "le", "1 - x",
	"a: b", "a:b", "a:", ":a", "a #b", "a#b", "#a", "- a", "-a", "? a", "[a]", "{a}", "a, b", "&a", "*a", "!a",
	"|a", ">a", "'a'", `"a"`, "%a", "@a", "`a", "--- a", "... a", "a ", " a", "it's", `back\slash`,
	"tab\there", "line\nbreak", "trailing\n", "nul\x00", "bell\a", "del\x7f", "é", "中文", "emoji 🚀", "\u0085", "\u00a0", "\ufeff",
	`sum(rate(vllm:time_to_first_token_seconds_bucket{job="x",le="1.0"}[5m])) > 0.5`,
	`{__name__=~"a|b"}`, "a: ", "a :b", "http://example.com/runbook#slo", "99.9%", "14.4×", "<=5m",
}

func TestMatchesYAMLv3AndRoundTrips(t *testing.T) {
	var seq Seq
	m := Map{}
	for i, s := range awkward {
		seq = append(seq, Str(s))
		m = append(m, Field{"k" + strconv.Itoa(i), Str(s)})
		// yaml.v3 writes a multi-line key as a complex key ("? |-");
		// yamlw double-quotes it (see TestMultiLineKeys).
		if !strings.ContainsAny(s, "\n\u0085") {
			m = append(m, Field{s, Int(i)})
		}
	}
	docs := []Node{
		seq, m,
		Map{{"groups", Seq{Map{{"name", Str("g")}, {"interval", Str("30s")}, {"rules", Seq{
			Map{{"record", Str("a:b:rate5m")}, {"expr", Str("sum(x)")}, {"labels", Strings(map[string]string{"b": "2", "a": "x"})}},
			Map{{"alert", Str("A")}, {"annotations", Map{}}, {"labels", Seq{}}},
		}}}}}},
		Map{{"tests", Seq{Map{{"exp_samples", Seq{Map{{"labels", Str(`x{a="b"}`)}, {"value", Float(0.05)}}, Map{{"value", Float(1e21)}}, Map{{"value", Float(-3)}}}}}}}},
		Seq{Seq{Str("a"), Str("b")}, Seq{}, Map{}, Seq{Map{{"a", Seq{Str("x")}}}}},
		Map{{"nested", Map{{"deeper", Map{{"list", Seq{Str("1"), Map{{"k", Str("v")}, {"k2", Map{{"x", Str("y")}}}}}}}}}}},
		Seq{Float(math.Inf(1)), Float(math.Inf(-1)), Float(0.1), Float(100), Float(1e-7)},
	}
	for i, d := range docs {
		got := Encode(d)
		if want := yamlV3(t, d); !bytes.Equal(got, want) {
			t.Errorf("doc %d differs from yaml.v3:\n--- yamlw\n%s--- yaml.v3\n%s", i, got, want)
		}
		var back any
		if err := yaml.Unmarshal(got, &back); err != nil {
			t.Fatalf("doc %d does not parse: %v\n%s", i, err, got)
		}
		if !reflect.DeepEqual(back, plainValue(d)) {
			t.Errorf("doc %d reads back as %#v, want %#v", i, back, plainValue(d))
		}
	}
}

func TestMultiLineKeys(t *testing.T) {
	doc := Map{{"line\nbreak", Int(1)}, {"trailing\n", Int(2)}, {"\u0085", Int(3)}}
	got := string(Encode(doc))
	want := "\"line\\nbreak\": 1\n\"trailing\\n\": 2\n\"\\N\": 3\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var back map[string]int
	if err := yaml.Unmarshal([]byte(got), &back); err != nil || back["line\nbreak"] != 1 || back["trailing\n"] != 2 || back["\u0085"] != 3 {
		t.Errorf("read back %v, %v", back, err)
	}
}

// FuzzRoundTrip: any valid UTF-8 string, as a value and as a key, reads
// back unchanged.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !validUTF8(s) {
			t.Skip()
		}
		doc := Map{{"\x00value", Str(s)}, {"k" + s, Seq{Str(s)}}}
		var back map[string]any
		if err := yaml.Unmarshal(Encode(doc), &back); err != nil {
			t.Fatalf("%q: %v\n%s", s, err, Encode(doc))
		}
		if back["\x00value"] != s {
			t.Fatalf("%q read back as %#v\n%s", s, back["\x00value"], Encode(doc))
		}
		if l, ok := back["k"+s].([]any); !ok || len(l) != 1 || l[0] != s {
			t.Fatalf("key %q read back as %#v\n%s", s, back, Encode(doc))
		}
	})
}

func validUTF8(s string) bool {
	for _, r := range s {
		if r == 0xfffd {
			return false
		}
	}
	return true
}
