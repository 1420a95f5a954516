package collector

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/inferobs/inferobs/generators/promql"
)

// The collector config is built as a yaml.Node tree: keys keep the order
// they are added in (the order a reader expects: receivers, processors,
// connectors, exporters, service) and nodes can carry comments.

// Every string that reaches the config goes through str, which doubles "$":
// the collector expands ${...} in every string value and reads "$$" as a
// literal dollar (a relabel replacement "$1" must be written "$$1").
// envRef is the one way to write an unescaped ${env:NAME} reference.

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.ReplaceAll(s, "$", "$$")}
}

func envRef(name string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "${env:" + name + "}"}
}

func integer(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}
}

// number prints f canonically; an integral value is written as an integer
// (YAML would otherwise need an explicit !!float tag), which every float
// field of the collector accepts.
func number(f float64) *yaml.Node {
	v := promql.FormatNumber(f)
	tag := "!!float"
	if !strings.ContainsAny(v, ".eE") {
		tag = "!!int"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v}
}

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

// mapping builds a mapping from alternating keys (string) and values
// (*yaml.Node); a nil value skips the pair.
func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if len(kv)%2 != 0 {
		panic("collector: mapping needs key/value pairs")
	}
	for i := 0; i < len(kv); i += 2 {
		v, _ := kv[i+1].(*yaml.Node)
		if v == nil {
			continue
		}
		n.Content = append(n.Content, str(kv[i].(string)), v)
	}
	return n
}

// set adds or replaces key in a mapping.
func set(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, str(key), v)
}

func seq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

func strs(ss ...string) *yaml.Node {
	n := seq()
	for _, s := range ss {
		n.Content = append(n.Content, str(s))
	}
	return n
}

// flow renders a short sequence or mapping on one line.
func flow(n *yaml.Node) *yaml.Node {
	n.Style = yaml.FlowStyle
	return n
}

// comment sets a head comment (one "# " line per line of text) and
// returns the node.
func comment(n *yaml.Node, text string) *yaml.Node {
	n.HeadComment = commentLines(text)
	return n
}

func commentLines(text string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight("# "+l, " ")
	}
	return strings.Join(lines, "\n")
}

// keyComment puts a comment above key in mapping m.
func keyComment(m *yaml.Node, key, text string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i].HeadComment = commentLines(text)
			return
		}
	}
	panic(fmt.Sprintf("collector: no key %q to comment", key))
}

// render encodes a document with a two-space indent.
func render(header string, root *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(commentLines(header))
	b.WriteString("\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
