package rules

import (
	"fmt"
	"strconv"

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
// consecutive groups of the same file and interval, in order, and fails
// when the groups exceed the ruler's group limit. A split keeps every
// writer before its readers; a reader in a later part sees the earlier
// part's record of the same evaluation or of the one before, which the SLO
// layers tolerate by construction and instant selectors within the
// lookback do.
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
	rules := 0
	if maxRules > 0 {
		var out []Group
		for _, g := range groups {
			rules += len(g.Rules)
			if len(g.Rules) <= maxRules {
				out = append(out, g)
				continue
			}
			for i, part := 0, 1; i < len(g.Rules); i, part = i+maxRules, part+1 {
				ng := g
				ng.Name = g.Name + ":part-" + strconv.Itoa(part)
				ng.Rules = g.Rules[i:min(i+maxRules, len(g.Rules))]
				out = append(out, ng)
			}
		}
		groups = out
	}
	if maxGroups > 0 && len(groups) > maxGroups {
		path := []string{"target", "ruler"}
		if t.MaxGroups > 0 {
			path = []string{"target", "maxGroups"}
		}
		per := "no limit per group"
		if maxRules > 0 {
			per = fmt.Sprintf("at most %d per group", maxRules)
		}
		return nil, sdiag.List{sdiag.Errorf(p.Spec.Pos(path...), schema.Path(path...),
			"the rules need %d groups (%s) but the %s ruler takes at most %d: raise target.maxGroups and target.maxRulesPerGroup to the tenant's limits, or split the spec across tenants",
			len(groups), per, t.Ruler, maxGroups)}.Err()
	}
	return groups, nil
}
