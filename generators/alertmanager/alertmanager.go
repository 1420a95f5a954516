// Package alertmanager generates what Alertmanager needs to know about a
// plan's alerts: inhibition rules (a model whose engine targets are all
// missing mutes that model's SLO burn alerts and diagnostics; a page mutes
// the ticket tiers of the same SLO instance), a route subtree that sends
// pages and tickets to their receivers, and, with a kubernetes block, the
// same as a Prometheus Operator AlertmanagerConfig object.
//
// The three outputs are renderings of one Config, so the plain snippets and
// the object cannot drift apart. Matchers are the operator's Matcher type
// and are written with its String method, the text the operator itself
// hands to Alertmanager.
package alertmanager

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"

	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
)

// Output paths, relative to the output directory.
const (
	InhibitPath = "alertmanager/inhibit.yaml"
	RoutesPath  = "alertmanager/routes.yaml"
	ObjectPath  = "kubernetes/alertmanagerconfig.yaml"
)

// Default receivers without a kubernetes block (the schema's defaults).
const (
	DefaultPageReceiver   = "inferobs-page"
	DefaultTicketReceiver = "inferobs-ticket"
)

// ModelDiagnostics are the diagnostic alerts that carry a model label,
// other than the engine-target-missing alert that mutes them.
var ModelDiagnostics = library.ModelDiagnostics

// GPUDiagnostics are the diagnostic alerts of GPUs, which carry no model.
var GPUDiagnostics = library.GPUDiagnostics

// Matcher is a label matcher as the operator's API spells it.
type Matcher = monitoringv1alpha1.Matcher

// Route is a node of the routing tree.
type Route struct {
	Receiver                                 string
	Matchers                                 []Matcher
	GroupBy                                  []string
	GroupWait, GroupInterval, RepeatInterval time.Duration // 0: inherited
	Routes                                   []Route
}

// InhibitRule mutes the alerts matching Target while an alert matching
// Source fires with the same values of the Equal labels (a label absent
// from both counts as equal).
type InhibitRule struct {
	Source, Target []Matcher
	Equal          []string
}

// Config is the Alertmanager configuration of a plan's alerts.
type Config struct {
	// Route is the subtree the user puts under the root route.
	Route        Route
	InhibitRules []InhibitRule
	// Receivers are the receiver names the routes send to, sorted.
	Receivers []string
	// PageReceiver and TicketReceiver are where pages and tickets go.
	PageReceiver, TicketReceiver string
	// BurnAlerts are the SLO burn-rate alert names, sorted.
	BurnAlerts []string
}

// Notification timing: pages go out fast and repeat every few hours while
// they fire; tickets wait for their group to fill and repeat daily.
const (
	pageGroupWait        = 30 * time.Second
	pageGroupInterval    = 5 * time.Minute
	pageRepeatInterval   = 4 * time.Hour
	ticketGroupWait      = 5 * time.Minute
	ticketGroupInterval  = 30 * time.Minute
	ticketRepeatInterval = 24 * time.Hour
)

// groupBy makes one notification per SLO instance (its tiers together) or
// per diagnostic alert and model; environment keeps environments apart
// where they share an Alertmanager.
var groupBy = []string{"alertname", library.LabelEnv, library.LabelModel, library.LabelSLO, library.LabelTenant}

// Build returns the plan's Alertmanager configuration.
func Build(p *plan.Plan) *Config {
	c := &Config{PageReceiver: DefaultPageReceiver, TicketReceiver: DefaultTicketReceiver}
	if k := p.Kubernetes(); k != nil {
		c.PageReceiver, c.TicketReceiver = k.Receivers["page"], k.Receivers["ticket"]
	}
	c.Receivers = slices.Compact(slices.Sorted(slices.Values([]string{c.PageReceiver, c.TicketReceiver})))

	for _, s := range p.SLOs {
		c.BurnAlerts = append(c.BurnAlerts, library.BurnAlertName(s.ID))
	}
	slices.Sort(c.BurnAlerts)
	c.BurnAlerts = slices.Compact(c.BurnAlerts)

	// Every inferobs alert carries the spec's alertLabels: matching them
	// too keeps another spec's alerts of the same names out.
	var static []Matcher
	if k := p.Kubernetes(); k != nil {
		for _, l := range slices.Sorted(maps.Keys(k.AlertLabels)) {
			static = append(static, eq(l, k.AlertLabels[l]))
		}
	}
	with := func(ms ...Matcher) []Matcher {
		return append(append(ms[:1:1], static...), ms[1:]...)
	}

	all := slices.Concat(c.BurnAlerts, []string{library.AlertTargetMissing}, ModelDiagnostics, GPUDiagnostics)
	c.Route = Route{
		// A top-level route needs a receiver (the operator rejects an
		// AlertmanagerConfig without one); every inferobs alert is a page
		// or a ticket, so only a child route ever notifies.
		Receiver: c.TicketReceiver,
		Matchers: with(oneOf("alertname", all)),
		GroupBy:  groupBy,
		Routes: []Route{
			{Receiver: c.PageReceiver, Matchers: []Matcher{eq(library.LabelSeverity, p.Severity("page"))},
				GroupWait: pageGroupWait, GroupInterval: pageGroupInterval, RepeatInterval: pageRepeatInterval},
			{Receiver: c.TicketReceiver, Matchers: []Matcher{eq(library.LabelSeverity, p.Severity("ticket"))},
				GroupWait: ticketGroupWait, GroupInterval: ticketGroupInterval, RepeatInterval: ticketRepeatInterval},
		},
	}

	// Equal never names namespace: the rules aggregate it away (absent()
	// of a comparison keeps no labels either), except the tensor-idle
	// alert's, which is its pod's.
	// environment is an external label where Prometheus sets one: absent
	// on both sides it compares equal, present it keeps environments that
	// share an Alertmanager apart.
	c.InhibitRules = []InhibitRule{{
		Source: with(eq("alertname", library.AlertTargetMissing)),
		Target: with(oneOf("alertname", slices.Concat(c.BurnAlerts, ModelDiagnostics))),
		Equal:  []string{library.LabelEnv, library.LabelModel},
	}}
	if len(c.BurnAlerts) > 0 {
		c.InhibitRules = append(c.InhibitRules, InhibitRule{
			Source: with(oneOf("alertname", c.BurnAlerts), eq(library.LabelSeverity, p.Severity("page"))),
			Target: with(oneOf("alertname", c.BurnAlerts), eq(library.LabelSeverity, p.Severity("ticket"))),
			// The identity of an SLO instance: the same alert (one name per
			// SLO id) for the same workload, model and tenant.
			Equal: []string{"alertname", library.LabelEnv, library.LabelModel, library.LabelSLO, library.LabelTenant, library.LabelWorkload},
		})
	}
	return c
}

func eq(name, value string) Matcher {
	return Matcher{Name: name, Value: value, MatchType: monitoringv1alpha1.MatchEqual}
}

// oneOf matches any of names exactly (Alertmanager anchors regexps),
// listed sorted.
func oneOf(label string, names []string) Matcher {
	if len(names) == 1 {
		return eq(label, names[0])
	}
	q := make([]string, len(names))
	for i, n := range slices.Sorted(slices.Values(names)) {
		q[i] = regexp.QuoteMeta(n)
	}
	return Matcher{Name: label, Value: strings.Join(q, "|"), MatchType: monitoringv1alpha1.MatchRegexp}
}

// Generate returns alertmanager/inhibit.yaml and alertmanager/routes.yaml
// and, with a kubernetes block, kubernetes/alertmanagerconfig.yaml.
func Generate(p *plan.Plan) ([]emit.Artifact, error) {
	c := Build(p)
	arts := []emit.Artifact{
		{Path: InhibitPath, Data: c.InhibitYAML()},
		{Path: RoutesPath, Data: c.RoutesYAML()},
	}
	if p.Kubernetes() != nil {
		data, err := c.ObjectYAML(p)
		if err != nil {
			return nil, err
		}
		arts = append(arts, emit.Artifact{Path: ObjectPath, Data: data})
	}
	return arts, nil
}
