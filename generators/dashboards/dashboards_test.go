package dashboards_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/inferobs/inferobs/generators/dashboards"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema"
)

// edgeSpec covers what the examples do not: vLLM 0.20 (queue split by
// reason) under data parallelism, TGI 2.2 (no batch token budget), a
// spanmetrics histogram in seconds with only an e2e span, a currency
// Grafana has no unit for.
const edgeSpec = `
environment: "staging"
currency: "NZD"
gpus: "A100-80GB": hourlyCost: 2.0
models: {
	"big": {
		engine: "vllm", engineVersion: "0.20.0"
		selector: {namespace: "serving", job: "big"}
		gpu: "A100-80GB", gpusPerReplica: 2, replicas: 2, dataParallel: 2
	}
	"old-tgi": {
		engine: "tgi", engineVersion: "2.2"
		selector: {job: "old-tgi"}
		gpu: "A100-80GB"
		pricing: {promptPerMillion: 0.05, generationPerMillion: 0.2}
	}
}
tenants: {"t1": {}, "t2": {}}
workloads: "w": {
	class: "chat"
	models: ["big", "old-tgi"]
	tenants: ["t1", "t2"]
	slos: {
		headroom: {maxQueue: 4, objective: 95}
		e2e: {threshold: "5s", objective: 99, source: "gateway"}
	}
}
tracing: {
	collectorVersion: "0.152.0"
	unit: "s"
	spans: {e2e: "gen_ai.completion"}
}
`

var registerOnce sync.Once

// fixture is one spec, its plan and its decoded dashboards.
type fixture struct {
	name  string
	plan  *plan.Plan
	raw   map[string][]byte               // path -> bytes
	dash  map[string]*dashboard.Dashboard // slug -> decoded through the SDK
	order []string                        // slugs in file order
}

func loadFixture(t *testing.T, name string) *fixture {
	t.Helper()
	var s *schema.Spec
	var ds any
	switch name {
	case "edge":
		sp, d := schema.LoadFiles([]schema.File{{Name: "edge.cue", Data: []byte(edgeSpec)}})
		s, ds = sp, d
	case "tenants":
		sp, d := schema.LoadFiles([]schema.File{{Name: "tenants.cue", Data: []byte(manyTenantsSpec())}})
		s, ds = sp, d
	default:
		sp, d := schema.Load("../../examples/" + name)
		s, ds = sp, d
	}
	if s == nil {
		t.Fatalf("%s: spec does not load: %v", name, ds)
	}
	p, d := plan.New(s)
	if p == nil {
		t.Fatalf("%s: plan: %v", name, d)
	}
	arts, err := dashboards.Generate(p)
	if err != nil {
		t.Fatalf("%s: Generate: %v", name, err)
	}
	registerOnce.Do(plugins.RegisterDefaultPlugins)
	f := &fixture{name: name, plan: p, raw: map[string][]byte{}, dash: map[string]*dashboard.Dashboard{}}
	for _, a := range arts {
		slug, ok := strings.CutPrefix(a.Path, "grafana/")
		if !ok || !strings.HasSuffix(slug, ".json") {
			t.Fatalf("unexpected artifact path %s", a.Path)
		}
		slug = strings.TrimSuffix(slug, ".json")
		var d dashboard.Dashboard
		if err := json.Unmarshal(a.Data, &d); err != nil {
			t.Fatalf("%s: does not decode as a dashboard: %v", a.Path, err)
		}
		f.raw[a.Path] = a.Data
		f.dash[slug] = &d
		f.order = append(f.order, slug)
	}
	return f
}

var fixtureNames = []string{"platform", "quickstart", "edge", "tenants"}

// manyTenantsSpec has a workload whose gateway SLOs cover more tenants than
// the overview writes rows for (they become a repeated row) and one with
// few (written out).
func manyTenantsSpec() string {
	var tenants, many []string
	for i := 1; i <= 11; i++ {
		tenants = append(tenants, fmt.Sprintf("%q: {}", fmt.Sprintf("team-%02d", i)))
		many = append(many, fmt.Sprintf("%q", fmt.Sprintf("team-%02d", i)))
	}
	return `
environment: "prod"
gpus: "H100-80GB": hourlyCost: 4.0
models: "m": {
	engine: "vllm", engineVersion: "0.11.0"
	selector: {job: "m"}
	gpu: "H100-80GB"
}
tenants: {` + strings.Join(tenants, ", ") + `}
workloads: {
	"busy": {
		class: "chat"
		models: ["m"]
		tenants: [` + strings.Join(many, ", ") + `]
		slos: {
			ttft: {threshold: "1s", objective: 99}
			e2e: {threshold: "10s", objective: 99, source: "gateway"}
			success: {objective: 99.5, source: "gateway"}
		}
	}
	"quiet": {
		class: "rag"
		models: ["m"]
		tenants: ["team-01", "team-02", "team-03"]
		slos: e2e: {threshold: "20s", objective: 95, source: "gateway"}
	}
}
tracing: {
	collectorVersion: "0.140.0"
	spans: {e2e: "gen_ai.completion"}
}
`
}

// panelRef is a panel with the row it sits under.
type panelRef struct {
	dash  string
	row   string
	panel dashboard.Panel
}

func (f *fixture) panels(slug string) []panelRef {
	var out []panelRef
	row := ""
	for _, pr := range f.dash[slug].Panels {
		switch {
		case pr.RowPanel != nil:
			row = *pr.RowPanel.Title
			for _, p := range pr.RowPanel.Panels {
				out = append(out, panelRef{slug, row, p})
			}
		case pr.Panel != nil:
			out = append(out, panelRef{slug, row, *pr.Panel})
		}
	}
	return out
}

func (f *fixture) allPanels() []panelRef {
	var out []panelRef
	for _, slug := range f.order {
		out = append(out, f.panels(slug)...)
	}
	return out
}

func title(p dashboard.Panel) string {
	if p.Title == nil {
		return ""
	}
	return *p.Title
}

func promTargets(t *testing.T, p panelRef) []*prometheus.Dataquery {
	t.Helper()
	var out []*prometheus.Dataquery
	for _, tg := range p.panel.Targets {
		q, ok := tg.(*prometheus.Dataquery)
		if !ok {
			t.Errorf("%s / %s: target %T is not a Prometheus query", p.dash, title(p.panel), tg)
			continue
		}
		out = append(out, q)
	}
	return out
}

// grafanaVar matches $var, ${var} and ${var:format}.
var grafanaVar = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\$([A-Za-z0-9_]+)`)

// expand replaces Grafana variables so the real parser can read the query:
// interval variables become 5m, every other variable (only ever inside a
// label-matcher string here) a plain word.
func expand(q string) string {
	return grafanaVar.ReplaceAllStringFunc(q, func(m string) string {
		sub := grafanaVar.FindStringSubmatch(m)
		name := sub[1] + sub[2]
		switch name {
		case "__rate_interval", "__interval", "__range":
			return "5m"
		}
		return "x"
	})
}

func parse(t *testing.T, where, q string) parser.Expr {
	t.Helper()
	e, err := promql.Parse(expand(q))
	if err != nil {
		t.Errorf("%s: query does not parse: %v\n%s", where, err, q)
		return nil
	}
	return e
}

// allowed is every metric name a dashboard of the plan may read.
type allowed struct {
	recorded map[string]map[string]bool // name -> models that have it ("" for per-SLO and per-plan series)
	other    map[string]bool            // DCGM (steady profile), Kubernetes, spanmetrics, ALERTS
}

func allowedNames(p *plan.Plan) allowed {
	a := allowed{recorded: map[string]map[string]bool{}, other: map[string]bool{}}
	add := func(name, model string) {
		if a.recorded[name] == nil {
			a.recorded[name] = map[string]bool{}
		}
		a.recorded[name][model] = true
	}
	for _, w := range []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour, p.Period} {
		add(library.RecSLIErrorRatio(w), "")
		add(library.RecBurnRate(w), "")
	}
	for _, n := range []string{library.RecSLIGood, library.RecSLITotal, library.RecObjective, library.RecErrorBudget, library.RecBudgetRemaining} {
		add(n, "")
	}
	has := func(m *plan.Model, roles ...library.Role) bool {
		for _, r := range roles {
			if _, ok := m.Metric(r); !ok {
				return false
			}
		}
		return true
	}
	for _, m := range p.Models {
		for _, r := range []library.Role{library.RoleTTFT, library.RoleITL, library.RoleE2E, library.RoleQueueTime} {
			if f, ok := m.Metric(r); ok {
				for _, q := range library.Quantiles() {
					add(library.RecQuantile(f.Name, q), m.Name)
				}
			}
		}
		for _, n := range []string{library.RecTokens("prompt"), library.RecTokens("generation"), library.RecRequestsWaiting,
			library.RecTokensPerGPUSec, library.RecTensorActive, library.RecGPUCost, library.RecEffectiveCost} {
			add(n, m.Name)
		}
		cond := map[string]bool{
			library.RecRequestsRunning: has(m, library.RoleRequestsRunning) || has(m, library.RoleBatchSize),
			library.RecKVCacheUsage:    has(m, library.RoleKVCacheUsage),
			library.RecPreemptions:     has(m, library.RolePreemptions),
			library.RecRequests:        has(m, library.RoleRequestFinished),
			library.RecPrefixHitRatio:  has(m, library.RolePrefixCacheHits, library.RolePrefixCacheQueries),
			library.RecSpecAcceptance:  has(m, library.RoleSpecAcceptedTokens, library.RoleSpecDraftTokens),
			library.RecTokenPrice:      m.Spec.Pricing != nil,
			library.RecTokenSpend:      m.Spec.Pricing != nil,
		}
		for n, ok := range cond {
			if ok {
				add(n, m.Name)
			}
		}
	}
	if tr := p.Tracing; tr != nil {
		for _, w := range p.Workloads {
			if len(w.Tenants) == 0 {
				continue
			}
			for _, m := range w.Models {
				for _, n := range []string{library.RecTenantRequests, library.RecTenantErrorRatio, library.RecTenantGPUCost} {
					add(n, m.Name)
				}
				if m.Spec.Pricing != nil {
					add(library.RecTenantSpend, m.Name)
				}
				for _, span := range tr.Spec.Spans {
					for _, q := range library.Quantiles() {
						add(library.RecTenantQuantile(tr.SpanMetrics.DurationFamily, span, q), m.Name)
					}
				}
			}
		}
		sm := tr.SpanMetrics
		for _, n := range []string{sm.CallsSeries, sm.DurationFamily + "_bucket", sm.DurationFamily + "_sum", sm.DurationFamily + "_count"} {
			a.other[n] = true
		}
	}
	for _, f := range library.DCGMFields() {
		if f.Steady { // a panel on a field nobody collects would stay empty
			a.other[f.Name] = true
		}
	}
	for _, k := range library.KubeMetrics() {
		a.other[k.Name] = true
	}
	a.other[library.AlertsSeries] = true
	return a
}

// matcherValue returns the value of an equality matcher on label, if any.
func matcherValue(vs *parser.VectorSelector, label string) (string, bool) {
	for _, m := range vs.LabelMatchers {
		if m.Name == label && m.Type.String() == "=" {
			return m.Value, true
		}
	}
	return "", false
}

// engineModel returns the model whose catalog exposes the selector's name
// and whose matchers the selector carries.
func engineModel(p *plan.Plan, vs *parser.VectorSelector) (*plan.Model, bool) {
	for _, m := range p.Models {
		if _, ok := m.Catalog.SeriesFamily(vs.Name); !ok {
			continue
		}
		all := true
		for _, want := range m.Matchers {
			if v, ok := matcherValue(vs, want.Name); !ok || v != want.Value {
				all = false
			}
		}
		if all {
			return m, true
		}
	}
	return nil, false
}

// removesLabel reports whether the nearest enclosing aggregation drops l.
func removesLabel(path []parser.Node, l string) bool {
	for i := len(path) - 1; i >= 0; i-- {
		agg, ok := path[i].(*parser.AggregateExpr)
		if !ok {
			continue
		}
		switch agg.Op {
		case parser.TOPK, parser.BOTTOMK, parser.LIMITK, parser.LIMIT_RATIO:
			continue
		}
		if agg.Without {
			return slices.Contains(agg.Grouping, l)
		}
		return !slices.Contains(agg.Grouping, l)
	}
	return false
}

// checkQuery checks one query's names, windows and data-parallel handling.
func checkQuery(t *testing.T, f *fixture, a allowed, where, q string) {
	t.Helper()
	e := parse(t, where, q)
	if e == nil {
		return
	}
	if regexp.MustCompile(`\[\d`).MatchString(q) {
		t.Errorf("%s: hard-coded range in %s (use $__rate_interval or $__range)", where, q)
	}
	parser.Inspect(e, func(n parser.Node, path []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if models, ok := a.recorded[vs.Name]; ok {
			if m, exact := matcherValue(vs, library.LabelModel); exact && !models[m] && !models[""] {
				t.Errorf("%s: %s is not recorded for model %q", where, vs.Name, m)
			}
			return nil
		}
		if a.other[vs.Name] {
			return nil
		}
		m, ok := engineModel(f.plan, vs)
		if !ok {
			t.Errorf("%s: %s is neither recorded, DCGM (steady), Kubernetes, spanmetrics nor exposed by the engine version of a model whose selector it carries:\n%s", where, vs.Name, q)
			return nil
		}
		fam, _ := m.Catalog.SeriesFamily(vs.Name)
		for _, l := range m.DropLabels {
			if !fam.NoCommonLabels && !removesLabel(path, l) {
				t.Errorf("%s: %s keeps the data-parallel label %q of %s:\n%s", where, vs.Name, l, m.Name, q)
			}
		}
		return nil
	})
}

func TestDashboardsDecodeAndCheck(t *testing.T) {
	for _, name := range fixtureNames {
		t.Run(name, func(t *testing.T) {
			f := loadFixture(t, name)
			a := allowedNames(f.plan)
			for _, slug := range f.order {
				d := f.dash[slug]
				if d.Uid == nil || !strings.HasPrefix(*d.Uid, "inferobs-") || len(*d.Uid) > 40 {
					t.Errorf("%s: uid %v", slug, d.Uid)
				}
				if !hasVariable(d, "datasource", "datasource") {
					t.Errorf("%s: no datasource variable", slug)
				}
				for _, v := range d.Templating.List {
					if v.Type != "query" {
						continue
					}
					q := *v.Query.String
					inner, ok := strings.CutPrefix(q, "query_result(")
					if !ok {
						t.Errorf("%s: variable %s: unexpected query %s", slug, v.Name, q)
						continue
					}
					checkQuery(t, f, a, slug+" variable "+v.Name, strings.TrimSuffix(inner, ")"))
					if v.Datasource == nil || v.Datasource.Uid == nil || *v.Datasource.Uid != "${datasource}" {
						t.Errorf("%s: variable %s does not use the datasource variable", slug, v.Name)
					}
				}
			}
			for _, p := range f.allPanels() {
				where := p.dash + " / " + title(p.panel)
				if title(p.panel) == "" {
					t.Errorf("%s: panel without a title", p.dash)
				}
				if p.panel.Description == nil || len(*p.panel.Description) < 40 {
					t.Errorf("%s: missing or too short description", where)
				}
				if p.panel.FieldConfig == nil || p.panel.FieldConfig.Defaults.Unit == nil || *p.panel.FieldConfig.Defaults.Unit == "" {
					t.Errorf("%s: no unit", where)
				}
				if ds := p.panel.Datasource; ds == nil || ds.Uid == nil || *ds.Uid != "${datasource}" {
					t.Errorf("%s: panel datasource is not ${datasource}", where)
				}
				qs := promTargets(t, p)
				if len(qs) == 0 {
					t.Errorf("%s: no queries", where)
				}
				for _, q := range qs {
					if q.Datasource == nil || q.Datasource.Uid == nil || *q.Datasource.Uid != "${datasource}" {
						t.Errorf("%s: query %v does not use ${datasource}", where, q.RefId)
					}
					if q.LegendFormat == nil || *q.LegendFormat == "" {
						t.Errorf("%s: query %v has no legend", where, q.RefId)
					}
					checkQuery(t, f, a, where, q.Expr)
				}
			}
		})
	}
}

func hasVariable(d *dashboard.Dashboard, name, typ string) bool {
	for _, v := range d.Templating.List {
		if v.Name == name && string(v.Type) == typ {
			return true
		}
	}
	return false
}

func TestLayersAndLinks(t *testing.T) {
	for _, name := range fixtureNames {
		t.Run(name, func(t *testing.T) {
			f := loadFixture(t, name)
			want := []string{"api-tracing", "business-cost", "container-os", "cuda-collectives", "gpu-silicon", "inference-engine", "overview"}
			if f.plan.Tracing == nil {
				want = slices.DeleteFunc(want, func(s string) bool { return s == "api-tracing" })
			}
			if !slices.Equal(f.order, want) {
				t.Fatalf("dashboards %v, want %v", f.order, want)
			}
			uids := map[string]bool{}
			for _, slug := range f.order {
				uids["/d/"+*f.dash[slug].Uid] = true
			}
			for _, slug := range f.order {
				d := f.dash[slug]
				if len(d.Links) != len(f.order)-1 {
					t.Errorf("%s: %d links, want %d", slug, len(d.Links), len(f.order)-1)
				}
				for _, l := range d.Links {
					if l.Url == nil || !uids[*l.Url] || *l.Url == "/d/"+*d.Uid {
						t.Errorf("%s: link %q points at %v", slug, l.Title, l.Url)
					}
					if !l.KeepTime || !l.IncludeVars {
						t.Errorf("%s: link %q drops the time range or variables", slug, l.Title)
					}
				}
				ids := map[uint32]bool{}
				for _, pr := range d.Panels {
					var id uint32
					if pr.Panel != nil {
						id = *pr.Panel.Id
					} else {
						id = pr.RowPanel.Id
						for _, p := range pr.RowPanel.Panels {
							if ids[*p.Id] {
								t.Errorf("%s: duplicate panel id %d", slug, *p.Id)
							}
							ids[*p.Id] = true
						}
					}
					if id == 0 || ids[id] {
						t.Errorf("%s: panel id %d missing or duplicate", slug, id)
					}
					ids[id] = true
				}
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, name := range fixtureNames {
		a, b := loadFixture(t, name), loadFixture(t, name)
		for path, data := range a.raw {
			if !bytes.Equal(data, b.raw[path]) {
				t.Errorf("%s: %s differs between runs", name, path)
			}
			if bytes.Contains(data, []byte(`\u003e`)) || bytes.Contains(data, []byte(`\u0026`)) {
				t.Errorf("%s: %s has HTML-escaped PromQL", name, path)
			}
			if !bytes.HasSuffix(data, []byte("}\n")) {
				t.Errorf("%s: %s does not end with a newline", name, path)
			}
		}
	}
}
