package lint

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Dashboards are often shipped inside Kubernetes objects: a ConfigMap whose
// data values are dashboard JSON (Grafana's sidecar, kube-prometheus-stack,
// production-stack, llm-d) or a grafana-operator GrafanaDashboard whose
// spec.json holds it. Each such value is read like a dashboard file, with
// lines mapped back to the YAML file when the value is a literal block.

// wrappedDashboard is one dashboard found inside an object.
type wrappedDashboard struct {
	key       string // data key or "spec.json"
	json      []byte
	firstLine int // file line of the value's first line; 0 when unknown
}

// wrappedDashboards lists the dashboards inside ConfigMaps and
// GrafanaDashboards of a YAML or JSON file; a file that does not decode
// has none (the rule reader reports it).
func wrappedDashboards(data []byte) []wrappedDashboard {
	var out []wrappedDashboard
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) || err != nil {
			return out
		}
		if len(doc.Content) > 0 {
			out = append(out, wrappedIn(doc.Content[0])...)
		}
	}
}

func wrappedIn(root *yaml.Node) []wrappedDashboard {
	if root.Kind != yaml.MappingNode {
		return nil
	}
	var vals []*yaml.Node
	var keys []string
	switch scalar(mapValue(root, "kind")) {
	case "List", "ConfigMapList", "GrafanaDashboardList":
		var out []wrappedDashboard
		if items := mapValue(root, "items"); items != nil && items.Kind == yaml.SequenceNode {
			for _, it := range items.Content {
				out = append(out, wrappedIn(it)...)
			}
		}
		return out
	case "ConfigMap":
		if d := mapValue(root, "data"); d != nil && d.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(d.Content); i += 2 {
				keys, vals = append(keys, d.Content[i].Value), append(vals, d.Content[i+1])
			}
		}
	case "GrafanaDashboard":
		if j := mapValue(mapValue(root, "spec"), "json"); j != nil {
			keys, vals = append(keys, "spec.json"), append(vals, j)
		}
	}
	var out []wrappedDashboard
	for i, v := range vals {
		if v.Kind != yaml.ScalarNode || !strings.HasPrefix(strings.TrimSpace(v.Value), "{") {
			continue
		}
		w := wrappedDashboard{key: keys[i], json: []byte(v.Value)}
		if v.Style == yaml.LiteralStyle {
			w.firstLine = v.Line + 1
		}
		out = append(out, w)
	}
	return out
}

// addWrapped adds the queries of every dashboard wrapped in data to src;
// false when there is none.
func (s *source) addWrapped(data []byte) bool {
	found := false
	for _, w := range wrappedDashboards(data) {
		root, err := decodeJSON(w.json)
		if err != nil {
			continue
		}
		dash, ok := dashboardRoot(root)
		if !ok {
			continue
		}
		found = true
		s.addDashboard(dash, newLineIndex(w.json), w.firstLine)
	}
	return found
}

// addDashboard adds a dashboard's queries; lines inside the dashboard JSON
// are shifted to start at firstLine (1 for a file of its own, 0 when the
// position inside the wrapping file is unknown: the whole value's line is
// not known either, so no line is given).
func (s *source) addDashboard(dash *jsonNode, lines lineIndex, firstLine int) {
	for _, q := range dashboardQueries(dash, lines) {
		line := 0
		if firstLine > 0 {
			line = q.line + firstLine - 1
		}
		s.entries = append(s.entries, &entry{
			file: s.name, loc: fixedLocator{line: line}, panel: q.panel, refID: q.refID,
			kind: kindQuery, src: q.expr,
		})
	}
	for _, q := range variableQueries(dash, lines) {
		line := 0
		if firstLine > 0 {
			line = q.line + firstLine - 1
		}
		s.entries = append(s.entries, &entry{
			file: s.name, loc: fixedLocator{line: line}, panel: "variable $" + q.name,
			kind: kindQuery, src: q.expr, labelsOnly: q.labelsOnly,
		})
	}
}
