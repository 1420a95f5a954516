package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
)

// TestRuleObjectsFitTheOperator: a rule file too large for one
// PrometheusRule is packed into objects whose rules, as rendered, stay
// under the budget, keep every rule once and in order, keep whole groups
// where they fit, and cut only a group too large for one object, into
// parts of the same interval.
func TestRuleObjectsFitTheOperator(t *testing.T) {
	group := func(name string, rules, exprBytes int) rulefmt.RuleGroup {
		g := rulefmt.RuleGroup{Name: name, Interval: model.Duration(30e9)}
		for i := range rules {
			g.Rules = append(g.Rules, rulefmt.Rule{
				Record: fmt.Sprintf("%s:r%d", name, i),
				Expr:   "sum(x{a=\"" + strings.Repeat("y", exprBytes) + "\"})",
				Labels: map[string]string{"model": fmt.Sprintf("m-%d", i)},
			})
		}
		return g
	}
	small := []rulefmt.RuleGroup{group("a", 10, 100)}
	data, err := encodeRuleFile(small)
	if err != nil {
		t.Fatal(err)
	}
	if objs := ruleObjects(small, len(data)); len(objs) != 1 {
		t.Fatalf("a small file became %d objects", len(objs))
	}

	// 300 KB, 500 KB (over one object alone) and 20 KB groups.
	rgs := []rulefmt.RuleGroup{group("first", 1000, 250), group("huge", 1000, 450), group("tail", 100, 150)}
	data, err = encodeRuleFile(rgs)
	if err != nil {
		t.Fatal(err)
	}
	objs := ruleObjects(rgs, len(data))
	if len(objs) < 3 {
		t.Fatalf("%d bytes of rules in %d objects", len(data), len(objs))
	}
	var records []string
	for i, obj := range objs {
		rendered, err := encodeRuleFile(obj)
		if err != nil {
			t.Fatal(err)
		}
		if len(rendered) > objectBudget {
			t.Errorf("object %d renders to %d bytes, over the budget of %d", i, len(rendered), objectBudget)
		}
		for _, g := range obj {
			if g.Interval != rgs[0].Interval {
				t.Errorf("object %d group %s: interval %v", i, g.Name, g.Interval)
			}
			base, _, cut := strings.Cut(g.Name, ":part-")
			if cut != (base == "huge") {
				t.Errorf("object %d: group %s (cut only the group too large for one object)", i, g.Name)
			}
			for _, r := range g.Rules {
				if !strings.HasPrefix(r.Record, base+":") {
					t.Errorf("rule %s in group %s", r.Record, g.Name)
				}
				records = append(records, r.Record)
			}
		}
	}
	var want []string
	for _, g := range rgs {
		for _, r := range g.Rules {
			want = append(want, r.Record)
		}
	}
	if strings.Join(records, ",") != strings.Join(want, ",") {
		t.Errorf("the objects hold %d rules, want the file's %d in order", len(records), len(want))
	}
}
