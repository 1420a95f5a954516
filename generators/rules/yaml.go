package rules

import (
	"bytes"
	"maps"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/rulefmt"
	"go.yaml.in/yaml/v3"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/yamlw"
)

// The documents below are written with yamlw, in the key order yaml.v3
// gives these types (rulefmt's field order for rule files, sorted keys for
// the Kubernetes objects); TestYAMLMatchesYAMLv3 holds the two together.

// ruleFileNode is a rule file: groups with name, interval and rules.
func ruleFileNode(rgs []rulefmt.RuleGroup) yamlw.Node {
	groups := make(yamlw.Seq, len(rgs))
	for i, g := range rgs {
		rules := make(yamlw.Seq, len(g.Rules))
		for j, r := range g.Rules {
			rules[j] = ruleMap(r)
		}
		gm := yamlw.Map{{Key: "name", Value: yamlw.Str(g.Name)}}
		if g.Interval != 0 {
			gm = append(gm, yamlw.Field{Key: "interval", Value: yamlw.Str(g.Interval.String())})
		}
		groups[i] = append(gm, yamlw.Field{Key: "rules", Value: rules})
	}
	return yamlw.Map{{Key: "groups", Value: groups}}
}

// ruleMap is one rule with rulefmt's fields in rulefmt's order, empty ones
// left out.
func ruleMap(r rulefmt.Rule) yamlw.Map {
	m := make(yamlw.Map, 0, 5)
	if r.Record != "" {
		m = append(m, yamlw.Field{Key: "record", Value: yamlw.Str(r.Record)})
	}
	if r.Alert != "" {
		m = append(m, yamlw.Field{Key: "alert", Value: yamlw.Str(r.Alert)})
	}
	m = append(m, yamlw.Field{Key: "expr", Value: yamlw.Str(r.Expr)})
	if r.For != 0 {
		m = append(m, yamlw.Field{Key: "for", Value: yamlw.Str(r.For.String())})
	}
	if len(r.Labels) > 0 {
		m = append(m, yamlw.Field{Key: "labels", Value: yamlw.Strings(r.Labels)})
	}
	if len(r.Annotations) > 0 {
		m = append(m, yamlw.Field{Key: "annotations", Value: yamlw.Strings(r.Annotations)})
	}
	return m
}

// prometheusRuleNode is a monitoring.coreos.com/v1 PrometheusRule holding
// the groups, keys sorted as Kubernetes tooling prints them.
func prometheusRuleNode(p *plan.Plan, file string, rgs []rulefmt.RuleGroup) yamlw.Node {
	groups := make(yamlw.Seq, len(rgs))
	for i, g := range rgs {
		rules := make(yamlw.Seq, len(g.Rules))
		for j, r := range g.Rules {
			m := ruleMap(r)
			slices.SortFunc(m, func(a, b yamlw.Field) int { return strings.Compare(a.Key, b.Key) })
			rules[j] = m
		}
		groups[i] = yamlw.Map{
			{Key: "interval", Value: yamlw.Str(g.Interval.String())},
			{Key: "name", Value: yamlw.Str(g.Name)},
			{Key: "rules", Value: rules},
		}
	}
	return yamlw.Map{
		{Key: "apiVersion", Value: yamlw.Str("monitoring.coreos.com/v1")},
		{Key: "kind", Value: yamlw.Str("PrometheusRule")},
		{Key: "metadata", Value: objectMeta(p, "inferobs-"+file)},
		{Key: "spec", Value: yamlw.Map{{Key: "groups", Value: groups}}},
	}
}

// objectMeta is the PrometheusRule's metadata, keys sorted: with a
// kubernetes block, its namespace and its labels and annotations too (the
// labels the stack's ruleSelector matches, release: <helm release>, say).
func objectMeta(p *plan.Plan, name string) yamlw.Map {
	l := map[string]string{}
	var ann map[string]string
	ns := ""
	if k := p.Kubernetes(); k != nil {
		maps.Copy(l, k.Labels)
		ann, ns = k.Annotations, k.Namespace
	}
	l["app.kubernetes.io/managed-by"] = "inferobs"
	l["environment"] = p.Environment
	var m yamlw.Map
	if len(ann) > 0 {
		m = append(m, yamlw.Field{Key: "annotations", Value: yamlw.Strings(ann)})
	}
	m = append(m, yamlw.Field{Key: "labels", Value: yamlw.Strings(l)}, yamlw.Field{Key: "name", Value: yamlw.Str(name)})
	if ns != "" {
		m = append(m, yamlw.Field{Key: "namespace", Value: yamlw.Str(ns)})
	}
	return m
}

// node is a promtool unit-test file.
func (f testFile) node() yamlw.Node {
	tests := make(yamlw.Seq, len(f.Tests))
	for i, g := range f.Tests {
		tests[i] = g.node()
	}
	m := yamlw.Map{
		{Key: "rule_files", Value: yamlw.StringSeq(f.RuleFiles)},
		{Key: "evaluation_interval", Value: yamlw.Str(f.EvaluationInterval)},
	}
	if len(f.GroupEvalOrder) > 0 {
		m = append(m, yamlw.Field{Key: "group_eval_order", Value: yamlw.StringSeq(f.GroupEvalOrder)})
	}
	return append(m, yamlw.Field{Key: "tests", Value: tests})
}

func (g testGroup) node() yamlw.Node {
	series := make(yamlw.Seq, len(g.InputSeries))
	for i, s := range g.InputSeries {
		series[i] = yamlw.Map{{Key: "series", Value: yamlw.Str(s.Series)}, {Key: "values", Value: yamlw.Str(s.Values)}}
	}
	m := yamlw.Map{
		{Key: "name", Value: yamlw.Str(g.Name)},
		{Key: "interval", Value: yamlw.Str(g.Interval)},
		{Key: "input_series", Value: series},
	}
	if len(g.AlertTests) > 0 {
		alerts := make(yamlw.Seq, len(g.AlertTests))
		for i, a := range g.AlertTests {
			exp := make(yamlw.Seq, len(a.ExpAlerts))
			for j, e := range a.ExpAlerts {
				exp[j] = yamlw.Map{
					{Key: "exp_labels", Value: yamlw.Strings(e.ExpLabels)},
					{Key: "exp_annotations", Value: yamlw.Strings(e.ExpAnnotations)},
				}
			}
			alerts[i] = yamlw.Map{
				{Key: "eval_time", Value: yamlw.Str(a.EvalTime)},
				{Key: "alertname", Value: yamlw.Str(a.Alertname)},
				{Key: "exp_alerts", Value: exp},
			}
		}
		m = append(m, yamlw.Field{Key: "alert_rule_test", Value: alerts})
	}
	if len(g.ExprTests) > 0 {
		exprs := make(yamlw.Seq, len(g.ExprTests))
		for i, e := range g.ExprTests {
			samples := make(yamlw.Seq, len(e.ExpSamples))
			for j, s := range e.ExpSamples {
				samples[j] = yamlw.Map{{Key: "labels", Value: yamlw.Str(s.Labels)}, {Key: "value", Value: yamlw.Float(s.Value)}}
			}
			exprs[i] = yamlw.Map{
				{Key: "expr", Value: yamlw.Str(e.Expr)},
				{Key: "eval_time", Value: yamlw.Str(e.EvalTime)},
				{Key: "exp_samples", Value: samples},
			}
		}
		m = append(m, yamlw.Field{Key: "promql_expr_test", Value: exprs})
	}
	return m
}

// useYAMLv3 writes every document with go.yaml.in/yaml/v3 instead of
// yamlw: the same bytes (TestYAMLMatchesYAMLv3), kept to measure what the
// hand-written writer saves.
var useYAMLv3 = false

func encodeV3(head []byte, v any) []byte {
	var b bytes.Buffer
	b.Write(head)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		panic("rules: yaml.v3: " + err.Error()) // plain strings, maps and slices always encode
	}
	enc.Close()
	return b.Bytes()
}

// prometheusRuleTree is the PrometheusRule as maps, which yaml.v3 writes
// with sorted keys.
func prometheusRuleTree(p *plan.Plan, file string, rgs []rulefmt.RuleGroup) map[string]any {
	groups := make([]any, len(rgs))
	for i, g := range rgs {
		rules := make([]any, len(g.Rules))
		for j, r := range g.Rules {
			m := map[string]any{"expr": r.Expr}
			if r.Record != "" {
				m["record"] = r.Record
			}
			if r.Alert != "" {
				m["alert"] = r.Alert
			}
			if r.For != 0 {
				m["for"] = r.For.String()
			}
			if len(r.Labels) > 0 {
				m["labels"] = r.Labels
			}
			if len(r.Annotations) > 0 {
				m["annotations"] = r.Annotations
			}
			rules[j] = m
		}
		groups[i] = map[string]any{"interval": g.Interval.String(), "name": g.Name, "rules": rules}
	}
	return map[string]any{
		"apiVersion": "monitoring.coreos.com/v1",
		"kind":       "PrometheusRule",
		"metadata": map[string]any{
			"labels": map[string]string{"app.kubernetes.io/managed-by": "inferobs", "environment": p.Environment},
			"name":   "inferobs-" + file,
		},
		"spec": map[string]any{"groups": groups},
	}
}
