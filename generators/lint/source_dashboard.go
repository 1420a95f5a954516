package lint

import (
	"strings"
)

// A Grafana dashboard is recognised by a "panels" list (classic JSON model,
// also inside "dashboard" of an API export or "spec" of a resource), an
// "elements" map (v2 schema) or "rows" (pre-5.0 schema). Every object with a
// string "expr" under it is a query; its panel is the nearest enclosing
// object with a title, its refId the nearest refId. Queries whose data
// source is known not to be Prometheus are skipped.

// dashboardRoot returns the dashboard object in a decoded JSON file.
func dashboardRoot(root *jsonNode) (*jsonNode, bool) {
	for _, cand := range []*jsonNode{root, child(root, "dashboard"), child(root, "spec")} {
		for _, key := range []string{"panels", "elements", "rows"} {
			if v, ok := cand.get(key); ok && (v.kind == jsonArray || v.kind == jsonObject) {
				return cand, true
			}
		}
	}
	return nil, false
}

func child(n *jsonNode, key string) *jsonNode {
	v, _ := n.get(key)
	return v
}

// dashboardQuery is one query found in a dashboard.
type dashboardQuery struct {
	expr  string
	line  int
	panel string
	refID string
}

// dashboardQueries lists the Prometheus queries of a dashboard.
func dashboardQueries(dash *jsonNode, lines lineIndex) []dashboardQuery {
	var out []dashboardQuery
	var walk func(n *jsonNode, ancestors []*jsonNode)
	walk = func(n *jsonNode, ancestors []*jsonNode) {
		if n.kind == jsonObject {
			if v, ok := n.get("expr"); ok && v.kind == jsonString && strings.TrimSpace(v.str) != "" && !foreignSource(n, ancestors) {
				q := dashboardQuery{expr: v.str, line: lines.line(v.end)}
				chain := append(ancestors[:len(ancestors):len(ancestors)], n)
				for i := len(chain) - 1; i >= 1; i-- { // chain[0] is the dashboard
					if q.refID == "" {
						q.refID, _ = chain[i].getString("refId")
					}
					if q.panel == "" {
						q.panel, _ = chain[i].getString("title")
					}
				}
				out = append(out, q)
			}
		}
		if n.kind == jsonObject || n.kind == jsonArray {
			next := ancestors
			if n.kind == jsonObject {
				next = append(ancestors[:len(ancestors):len(ancestors)], n)
			}
			for _, v := range n.vals {
				walk(v, next)
			}
		}
	}
	walk(dash, nil)
	return out
}

// foreignSource reports a query whose data source (its own, else the
// nearest enclosing one) is known not to speak PromQL.
func foreignSource(target *jsonNode, ancestors []*jsonNode) bool {
	for i := len(ancestors); i >= 0; i-- {
		n := target
		if i < len(ancestors) {
			n = ancestors[i]
		}
		if k, _ := n.getString("kind"); k == "DataQuery" { // v2 schema
			if g, ok := n.getString("group"); ok {
				return !promqlSource(g, true)
			}
		}
		ds, ok := n.get("datasource")
		if !ok {
			continue
		}
		switch ds.kind {
		case jsonObject:
			t, _ := ds.getString("type")
			if t == "" || t == "datasource" { // mixed or dashboard: the query decides
				continue
			}
			return !promqlSource(t, true)
		case jsonString:
			return !promqlSource(ds.str, false)
		}
		return false
	}
	return false
}

// nonPromQLHints are words in a data source name or type that mean it does
// not speak PromQL.
var nonPromQLHints = []string{"loki", "tempo", "elastic", "influx", "graphite", "cloudwatch", "mysql", "postgres", "opensearch", "jaeger", "zipkin", "pyroscope", "victoriametrics"}

func promqlSource(s string, isType bool) bool {
	s = strings.ToLower(s)
	if strings.Contains(s, "prometheus") {
		return true
	}
	if isType && !strings.HasPrefix(s, "$") {
		return false
	}
	for _, h := range nonPromQLHints {
		if strings.Contains(s, h) {
			return false
		}
	}
	return true
}
