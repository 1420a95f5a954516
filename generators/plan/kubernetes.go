package plan

import (
	"maps"

	"github.com/inferobs/inferobs/schema"
)

// Severity is the severity label an alert of inferobs severity sev
// ("page" or "ticket", as in the burn tiers and diagnostics) carries: the
// kubernetes block's mapping (critical and warning by default, the values
// kube-prometheus-stack's own alerts and routes use), else sev itself.
func (p *Plan) Severity(sev string) string {
	if k := p.Spec.Kubernetes; k != nil {
		if v := k.Severity[sev]; v != "" {
			return v
		}
	}
	return sev
}

// AlertLabels returns the static labels every alert carries (the
// kubernetes block's alertLabels), plus the mapped severity.
func (p *Plan) AlertLabels(sev string) map[string]string {
	l := map[string]string{}
	if k := p.Spec.Kubernetes; k != nil {
		maps.Copy(l, k.AlertLabels)
	}
	l["severity"] = p.Severity(sev)
	return l
}

// Kubernetes is the spec's kubernetes block (nil without one).
func (p *Plan) Kubernetes() *schema.Kubernetes { return p.Spec.Kubernetes }
