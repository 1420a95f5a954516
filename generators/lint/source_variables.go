package lint

import (
	"regexp"
	"strings"
)

// Template variables of type "query" run a query of their own: a dead one
// empties every panel that uses it. label_values(EXPR, label) and
// query_result(EXPR) carry a PromQL expression; label_values(label),
// label_names() and metrics(re) do not.

// variableQuery is the PromQL inside a template variable's query.
type variableQuery struct {
	name       string // the variable's name
	expr       string
	labelsOnly bool // label_values: only the names matter, not the values
	line       int
}

var (
	labelValuesRe = regexp.MustCompile(`(?s)^\s*label_values\s*\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$`)
	queryResultRe = regexp.MustCompile(`(?s)^\s*query_result\s*\((.*)\)\s*$`)
)

// variableQueries lists the PromQL of a dashboard's query variables.
func variableQueries(dash *jsonNode, lines lineIndex) []variableQuery {
	tmpl := child(dash, "templating")
	list := child(tmpl, "list")
	if list == nil || list.kind != jsonArray {
		return nil
	}
	var out []variableQuery
	for _, v := range list.vals {
		if t, _ := v.getString("type"); t != "query" {
			continue
		}
		q, ok := v.get("query")
		if ok && q.kind == jsonObject {
			q, ok = q.get("query")
		}
		if !ok || q.kind != jsonString {
			continue
		}
		name, _ := v.getString("name")
		vq := variableQuery{name: name, line: lines.line(q.end)}
		if m := labelValuesRe.FindStringSubmatch(q.str); m != nil {
			vq.expr, vq.labelsOnly = m[1], true
		} else if m := queryResultRe.FindStringSubmatch(q.str); m != nil {
			vq.expr = m[1]
		} else {
			continue
		}
		if strings.TrimSpace(vq.expr) != "" {
			out = append(out, vq)
		}
	}
	return out
}

// labelsOnlyChecks are the checks that mean something for a query whose
// values are never used (label_values).
var labelsOnlyChecks = []string{metricRemovedName, metricUnknownName, promqlSyntaxName, promqlDeadMatchName}
