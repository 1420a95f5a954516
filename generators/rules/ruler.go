package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/schema"
	sdiag "github.com/inferobs/inferobs/schema/diag"
)

// rulerLimits are a ruler's default limits per tenant (0: none), as its
// own flag definitions set them:
//
//   - Mimir: -ruler.max-rules-per-rule-group 20 and
//     -ruler.max-rule-groups-per-tenant 70 (pkg/util/validation/limits.go);
//   - Cortex: both flags default to 0, disabled (pkg/util/validation/limits.go);
//   - Prometheus, Thanos Ruler and vmalert have no such limits.
var rulerLimits = map[string][2]int{
	"prometheus": {0, 0},
	"mimir":      {20, 70},
	"cortex":     {0, 0},
	"thanos":     {0, 0},
	"vmalert":    {0, 0},
}

// fitRuler splits every group over the ruler's rules-per-group limit into
// consecutive groups of the same file and interval, in order. When the
// groups are more than the ruler's group limit, it packs instead: each run
// of consecutive groups of one file and interval becomes as few groups as
// the rules limit allows (one, without a limit), still in order; it fails
// when even that is over the limit. Order is what keeps reads right: a
// reader in a later group or part sees the earlier one's record of the
// same evaluation or of the one before, which the SLO layers tolerate by
// construction and instant selectors within the lookback do; merged into
// one group, it sees the same evaluation's, as Prometheus evaluates a
// group's rules in order.
func fitRuler(p *plan.Plan, groups []Group) ([]Group, error) {
	if p.Spec == nil {
		return groups, nil
	}
	t := p.Spec.Target
	lim, ok := rulerLimits[t.Ruler]
	if !ok {
		lim = rulerLimits["prometheus"]
	}
	maxRules, maxGroups := lim[0], lim[1]
	if t.MaxRulesPerGroup > 0 {
		maxRules = t.MaxRulesPerGroup
	}
	if t.MaxGroups > 0 {
		maxGroups = t.MaxGroups
	}
	var out []Group
	for _, g := range groups {
		out = append(out, chunk(g, maxRules)...)
	}
	if maxGroups == 0 || len(out) <= maxGroups {
		return out, nil
	}
	out = nil
	for i := 0; i < len(groups); {
		j := i + 1
		for j < len(groups) && groups[j].File == groups[i].File && groups[j].Interval == groups[i].Interval {
			j++
		}
		out = append(out, chunk(merge(groups[i:j]), maxRules)...)
		i = j
	}
	if len(out) <= maxGroups {
		return out, nil
	}
	path := []string{"target", "ruler"}
	if t.MaxGroups > 0 {
		path = []string{"target", "maxGroups"}
	}
	per := "no limit per group"
	if maxRules > 0 {
		per = fmt.Sprintf("at most %d per group", maxRules)
	}
	return nil, sdiag.List{sdiag.Errorf(p.Spec.Pos(path...), schema.Path(path...),
		"the rules need %d groups (%s, each file's consecutive groups of one interval merged) but the %s ruler takes at most %d: raise target.maxGroups and target.maxRulesPerGroup to the tenant's limits, or split the spec across tenants",
		len(out), per, t.Ruler, maxGroups)}.Err()
}

// chunk splits a group over max rules (0: no limit) into name:part-N
// groups of the same file and interval, in order.
func chunk(g Group, max int) []Group {
	if max <= 0 || len(g.Rules) <= max {
		return []Group{g}
	}
	var out []Group
	for i, part := 0, 1; i < len(g.Rules); i, part = i+max, part+1 {
		ng := g
		ng.Name = g.Name + ":part-" + strconv.Itoa(part)
		ng.Rules = g.Rules[i:min(i+max, len(g.Rules))]
		out = append(out, ng)
	}
	return out
}

// merge joins consecutive groups of one file and interval into one, their
// rules in order, named after them all: "inferobs:slo:x:rates" and
// "inferobs:slo:x:fast" make "inferobs:slo:x:rates+fast".
func merge(gs []Group) Group {
	m := gs[0]
	m.Rules = nil
	for i, g := range gs {
		m.Rules = append(m.Rules, g.Rules...)
		if i > 0 {
			m.Name += "+" + strings.TrimPrefix(g.Name, commonPrefix(gs[0].Name, g.Name))
		}
	}
	return m
}

// commonPrefix is the longest common prefix of a and b that ends with a
// colon.
func commonPrefix(a, b string) string {
	n := 0
	for i := 0; i < len(a) && i < len(b) && a[i] == b[i]; i++ {
		if a[i] == ':' {
			n = i + 1
		}
	}
	return a[:n]
}
