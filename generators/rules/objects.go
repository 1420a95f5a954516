package rules

import (
	"strconv"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/inferobs/inferobs/library"
)

// objectBudget is how many bytes of plain rule file one PrometheusRule
// carries. The operator refuses an object whose rules render to more than
// library.PrometheusRuleMaxRenderedBytes; its rendering (sigs.k8s.io/yaml)
// differs from ours in quoting and line folding by a few percent, so a
// quarter is kept spare. kubernetes.Finish checks the exact rendering.
const objectBudget = library.PrometheusRuleMaxRenderedBytes * 3 / 4

// ruleObjects packs a rule file's groups into as few PrometheusRule specs
// as stay under objectBudget: whole groups in order while they fit, and a
// group too large for one object cut into consecutive parts of the same
// interval (name:part-N, as fitRuler names them). A reader in a later part
// sees the earlier part's record of the same evaluation or of the one
// before, which the rules tolerate (see fitRuler). fileBytes is the size
// of the whole plain file: under the budget, the file is one object.
func ruleObjects(rgs []rulefmt.RuleGroup, fileBytes int) [][]rulefmt.RuleGroup {
	if fileBytes <= objectBudget {
		return [][]rulefmt.RuleGroup{rgs}
	}
	var objs [][]rulefmt.RuleGroup
	var cur []rulefmt.RuleGroup
	used := 0
	flush := func() {
		if len(cur) > 0 {
			objs = append(objs, cur)
		}
		cur, used = nil, 0
	}
	for _, g := range rgs {
		size := groupBytes(g)
		if used+size <= objectBudget {
			cur, used = append(cur, g), used+size
			continue
		}
		flush()
		if size <= objectBudget {
			cur, used = []rulefmt.RuleGroup{g}, size
			continue
		}
		part, start, partBytes := 1, 0, groupOverhead(g)
		for i, r := range g.Rules {
			n := ruleBytes(r)
			if i > start && partBytes+n > objectBudget {
				cur = []rulefmt.RuleGroup{partOf(g, part, start, i)}
				flush()
				part, start, partBytes = part+1, i, groupOverhead(g)
			}
			partBytes += n
		}
		cur, used = []rulefmt.RuleGroup{partOf(g, part, start, len(g.Rules))}, partBytes
	}
	flush()
	return objs
}

func partOf(g rulefmt.RuleGroup, part, from, to int) rulefmt.RuleGroup {
	p := g
	p.Name = g.Name + ":part-" + strconv.Itoa(part)
	p.Rules = g.Rules[from:to]
	return p
}

// groupBytes, groupOverhead and ruleBytes bound the rendered size from
// above: every key, value and quote, and the indentation of the deepest
// nesting (a PrometheusRule's, two levels under spec).
func groupBytes(g rulefmt.RuleGroup) int {
	n := groupOverhead(g)
	for _, r := range g.Rules {
		n += ruleBytes(r)
	}
	return n
}

func groupOverhead(g rulefmt.RuleGroup) int { return 64 + len(g.Name) }

func ruleBytes(r rulefmt.Rule) int {
	n := 48 + len(r.Record) + len(r.Alert) + len(r.Expr)
	for _, m := range []map[string]string{r.Labels, r.Annotations} {
		for k, v := range m {
			n += 24 + len(k) + len(v)
		}
	}
	return n
}
