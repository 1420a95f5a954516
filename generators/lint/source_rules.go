package lint

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// A rule file is YAML with a top-level "groups" list (Prometheus rule
// files) or any number of documents of kind PrometheusRule with groups under
// spec.groups (prometheus-operator), possibly inside a kind: List.

// ruleFile is the rule groups of one file.
type ruleFile struct {
	name   string
	groups []*ruleGroup
}

type ruleGroup struct {
	name     string
	line     int
	interval *yamlDuration
	rules    []*rule
}

type yamlDuration struct {
	text      string
	d         time.Duration
	line, col int
}

type rule struct {
	alert, record string
	line, col     int // of the name
	labels        map[string]string
	entry         *entry
}

// ruleName returns the alert or record name.
func (r *rule) ruleName() string { return r.alert + r.record }

// parseRuleFile reads the rule groups of a YAML file; ok is false when the
// file holds no rule groups.
func parseRuleFile(name string, data []byte) (*ruleFile, bool, error) {
	f := &ruleFile{name: name}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	dec := yaml.NewDecoder(bytes.NewReader(data))
	found := false
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false, err
		}
		if len(doc.Content) == 0 {
			continue
		}
		found = f.addDocument(doc.Content[0], lines) || found
	}
	return f, found, nil
}

// addDocument adds the groups of one document; false when it has none.
func (f *ruleFile) addDocument(root *yaml.Node, lines []string) bool {
	if root.Kind != yaml.MappingNode {
		return false
	}
	switch kind := scalar(mapValue(root, "kind")); kind {
	case "List":
		found := false
		if items := mapValue(root, "items"); items != nil && items.Kind == yaml.SequenceNode {
			for _, it := range items.Content {
				found = f.addDocument(it, lines) || found
			}
		}
		return found
	case "PrometheusRule":
		return f.addGroups(mapValue(mapValue(root, "spec"), "groups"), lines)
	case "":
		return f.addGroups(mapValue(root, "groups"), lines)
	default:
		return false
	}
}

func (f *ruleFile) addGroups(groups *yaml.Node, lines []string) bool {
	if groups == nil || groups.Kind != yaml.SequenceNode {
		return false
	}
	for _, g := range groups.Content {
		if g.Kind != yaml.MappingNode || (mapValue(g, "rules") == nil && mapValue(g, "name") == nil) {
			return false
		}
	}
	for _, g := range groups.Content {
		grp := &ruleGroup{name: scalar(mapValue(g, "name")), line: g.Line}
		if iv := mapValue(g, "interval"); iv != nil {
			d, _ := model.ParseDuration(iv.Value)
			grp.interval = &yamlDuration{text: iv.Value, d: time.Duration(d), line: iv.Line, col: iv.Column}
		}
		if rs := mapValue(g, "rules"); rs != nil && rs.Kind == yaml.SequenceNode {
			for _, r := range rs.Content {
				if rl, ok := f.newRule(r, lines); ok {
					grp.rules = append(grp.rules, rl)
				}
			}
		}
		f.groups = append(f.groups, grp)
	}
	return true
}

func (f *ruleFile) newRule(n *yaml.Node, lines []string) (*rule, bool) {
	if n.Kind != yaml.MappingNode {
		return nil, false
	}
	r := &rule{line: n.Line, col: n.Column, labels: map[string]string{}}
	kind := kindRecord
	if a := mapValue(n, "alert"); a != nil {
		r.alert, r.line, r.col, kind = a.Value, a.Line, a.Column, kindAlert
	} else if rec := mapValue(n, "record"); rec != nil {
		r.record, r.line, r.col = rec.Value, rec.Line, rec.Column
	}
	if ls := mapValue(n, "labels"); ls != nil && ls.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(ls.Content); i += 2 {
			r.labels[ls.Content[i].Value] = ls.Content[i+1].Value
		}
	}
	x := mapValue(n, "expr")
	if x == nil || x.Kind != yaml.ScalarNode {
		return nil, false
	}
	r.entry = &entry{
		file: f.name, loc: yamlLocator{node: x, lines: lines},
		rule: r.ruleName(), kind: kind, src: x.Value, query: x.Value,
		disabled: disabledChecks(n),
	}
	return r, true
}

// mapValue returns the value of key in a mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// yamlLocator maps offsets in a YAML scalar to file positions: exactly for
// single-line plain or quoted scalars (without escapes) and literal blocks,
// else to the scalar's start.
type yamlLocator struct {
	node  *yaml.Node
	lines []string
}

func (l yamlLocator) start() (int, int) { return l.node.Line, l.node.Column }

func (l yamlLocator) at(off int) (int, int, bool) {
	n, v := l.node, l.node.Value
	if off < 0 || off > len(v) {
		return 0, 0, false
	}
	switch n.Style {
	case 0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		col := n.Column
		if n.Style != 0 {
			col++
		}
		raw := l.line(n.Line)
		if strings.Contains(v, "\n") || col-1 > len(raw) || !strings.HasPrefix(raw[col-1:], v) {
			return 0, 0, false
		}
		return n.Line, col + off, true
	case yaml.LiteralStyle:
		k := strings.Count(v[:off], "\n")
		lineStart := strings.LastIndex(v[:off], "\n") + 1
		content := v[lineStart:]
		if i := strings.IndexByte(content, '\n'); i >= 0 {
			content = content[:i]
		}
		raw := l.line(n.Line + 1 + k)
		if !strings.HasSuffix(raw, content) {
			return 0, 0, false
		}
		return n.Line + 1 + k, len(raw) - len(content) + (off - lineStart) + 1, true
	}
	return 0, 0, false
}

func (l yamlLocator) line(n int) string {
	if n < 1 || n > len(l.lines) {
		return ""
	}
	return l.lines[n-1]
}
