package schema

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema/diag"
)

// positions finds where the user wrote a field.
type positions struct {
	user      cue.Value
	firstFile string // where diagnostics about the root point
}

func (p positions) lookup(path []string) diag.Pos {
	if !p.user.Exists() {
		return diag.Pos{}
	}
	for n := len(path); n >= 0; n-- {
		v := p.user.LookupPath(cuePath(path[:n]))
		if !v.Exists() {
			continue
		}
		// Point at the value the user wrote, not at its label.
		if f, ok := v.Source().(*ast.Field); ok && f.Value != nil && f.Value.Pos().IsValid() {
			return toPos(f.Value.Pos())
		}
		if pos := v.Pos(); pos.IsValid() {
			return toPos(pos)
		}
	}
	if p.firstFile != "" {
		return diag.Pos{File: p.firstFile, Line: 1, Col: 1}
	}
	return diag.Pos{}
}

// decoder reads the unified value field by field. It never fails: a value
// CUE already reported as wrong reads as the zero value, so one run finds
// every problem.
type decoder struct {
	v   cue.Value
	pos positions
	off offSLOs
	ds  diag.List
}

func (d *decoder) at(path ...string) cue.Value { return d.v.LookupPath(cuePath(path)) }

func (d *decoder) errorf(path []string, format string, args ...any) {
	d.ds = append(d.ds, diag.Errorf(d.pos.lookup(path), formatPath(path), format, args...))
}

func (d *decoder) warnf(path []string, format string, args ...any) {
	d.ds = append(d.ds, diag.Warnf(d.pos.lookup(path), formatPath(path), format, args...))
}

func (d *decoder) str(path ...string) string {
	s, _ := d.at(path...).String()
	return s
}

func (d *decoder) has(path ...string) bool {
	v := d.at(path...)
	return v.Exists() && v.IsConcrete()
}

func (d *decoder) num(path ...string) float64 {
	f, _ := d.at(path...).Float64()
	return f
}

func (d *decoder) integer(path ...string) int {
	i, _ := d.at(path...).Int64()
	return int(i)
}

func (d *decoder) boolean(path ...string) bool {
	b, _ := d.at(path...).Bool()
	return b
}

func (d *decoder) strList(path ...string) []string {
	var out []string
	it, err := d.at(path...).List()
	if err != nil {
		return nil
	}
	for it.Next() {
		s, _ := it.Value().String()
		out = append(out, s)
	}
	return out
}

// keys lists the regular fields of the struct at path, sorted.
func (d *decoder) keys(path ...string) []string {
	it, err := d.at(path...).Fields()
	if err != nil {
		return nil
	}
	var out []string
	for it.Next() {
		out = append(out, it.Selector().Unquoted())
	}
	sort.Strings(out)
	return out
}

func (d *decoder) strMap(path ...string) map[string]string {
	out := map[string]string{}
	for _, k := range d.keys(path...) {
		out[k] = d.str(append(append([]string{}, path...), k)...)
	}
	return out
}

// duration parses a Prometheus duration ("30s", "5m", "30d", "1h30m").
func (d *decoder) duration(path ...string) time.Duration {
	s := d.str(path...)
	if s == "" {
		return 0
	}
	md, err := model.ParseDuration(s)
	if err != nil {
		// Fractions ("2.5s") are not Prometheus durations but read naturally.
		if gd, gerr := time.ParseDuration(s); gerr == nil {
			md, err = model.Duration(gd), nil
		}
	}
	if err != nil || md <= 0 {
		d.errorf(path, "malformed duration %q: want a positive Prometheus duration such as \"500ms\", \"30s\", \"5m\", \"1h\" or \"30d\"", s)
		return 0
	}
	return time.Duration(md)
}

// groupInterval is the rule group interval target.<field>: over 5m (the
// query lookback), its recorded series would go stale between evaluations.
func (d *decoder) groupInterval(field, what string) time.Duration {
	path := []string{"target", field}
	every := d.duration(path...)
	if every > 5*time.Minute {
		d.errorf(path, "%s %s is over 5m: Prometheus would see recorded series go stale between evaluations", what, model.Duration(every))
	}
	return every
}

func (d *decoder) objective(path ...string) float64 {
	o := d.num(path...)
	if !d.has(path...) {
		return o
	}
	if o > 0 && o <= 1 {
		d.errorf(path, "objective %s: write percent, did you mean %s?", trimFloat(o), trimFloat(promqlPercent(o)))
		return o
	}
	if o <= 0 || o >= 100 || math.IsNaN(o) {
		d.errorf(path, "objective %s is outside (0, 100): write the percentage of good events, e.g. 99.5", trimFloat(o))
	}
	return o
}

func (d *decoder) positive(path []string, what string) int {
	n := d.integer(path...)
	if d.has(path...) && n < 1 {
		d.errorf(path, "%s must be at least 1, got %d", what, n)
	}
	return n
}

// promqlPercent turns a fraction into the percent it likely meant, without
// float noise (0.995 -> 99.5).
func promqlPercent(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f*100, 'f', 10, 64), 64)
	return v
}

// versionWithout strips the engine's name (and a v) from a version written
// like "vllm-0.11.0", "vLLM 0.11", "v0.11.0" or "tgi@3.3".
func versionWithout(raw, engine string) (string, bool) {
	s := strings.TrimSpace(raw)
	if engine != "" && len(s) >= len(engine) && strings.EqualFold(s[:len(engine)], engine) {
		s = s[len(engine):]
	}
	s = strings.TrimLeft(s, " -_@/:=")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	if s == raw {
		return "", false
	}
	if _, err := library.ParseVersion(s); err != nil {
		return "", false
	}
	return s, true
}

func trimFloat(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%g", f), ".0") }

func decode(v cue.Value, pos positions, off offSLOs) (*Spec, diag.List) {
	d := &decoder{v: v, pos: pos, off: off}
	s := &Spec{pos: pos}
	s.Environment = d.str("environment")
	if s.Environment == "" && d.has("environment") {
		d.errorf([]string{"environment"}, "environment must not be empty")
	}

	switch p := d.str("target", "prometheus"); p {
	case "2", "3":
		s.Target.PrometheusMajor = int(p[0] - '0')
	default:
		d.errorf([]string{"target", "prometheus"}, "unknown Prometheus version %q: want \"2\" or \"3\"", p)
	}
	s.Target.Ruler = d.str("target", "ruler")
	s.Target.MaxRulesPerGroup = d.integer("target", "maxRulesPerGroup")
	s.Target.MaxGroups = d.integer("target", "maxGroups")
	s.Target.ScrapeInterval = d.duration("target", "scrapeInterval")
	s.Target.EvaluationInterval = d.groupInterval("evaluationInterval", "evaluation interval")
	s.Target.QuantileInterval = d.groupInterval("quantileInterval", "quantile interval")

	s.SLO.Period = d.duration("slo", "period")
	s.SLO.Windows = d.str("slo", "windows")
	if _, ok := library.WindowSet(s.SLO.Windows); !ok {
		d.errorf([]string{"slo", "windows"}, "unknown window table %q: want one of %s", s.SLO.Windows, strings.Join(library.WindowSetNames(), ", "))
	}
	s.SLO.MinEvents = d.integer("slo", "minEvents")
	s.SLO.RunbookBaseURL = strings.TrimSuffix(d.str("slo", "runbookBaseURL"), "/")
	s.Currency = d.str("currency")
	if len(s.Currency) != 3 || strings.ToUpper(s.Currency) != s.Currency {
		d.errorf([]string{"currency"}, "currency %q is not an ISO 4217 code such as \"EUR\" or \"USD\"", s.Currency)
	}

	s.GPUs = map[string]GPU{}
	for _, name := range d.keys("gpus") {
		p := []string{"gpus", name, "hourlyCost"}
		g := GPU{Name: name, HourlyCost: d.num(p...)}
		if g.HourlyCost < 0 {
			d.errorf(p, "hourly cost must not be negative")
		}
		s.GPUs[name] = g
	}
	s.Tenants = map[string]Tenant{}
	for _, name := range d.keys("tenants") {
		s.Tenants[name] = Tenant{Name: name, HighValue: d.boolean("tenants", name, "highValue")}
	}
	s.Models = map[string]Model{}
	for _, name := range d.keys("models") {
		s.Models[name] = d.model(name)
	}
	s.Workloads = map[string]Workload{}
	for _, name := range d.keys("workloads") {
		s.Workloads[name] = d.workload(name)
	}

	s.Cardinality = Cardinality{
		Budget:            d.positive([]string{"cardinality", "budget"}, "the cardinality budget"),
		ForbiddenLabels:   d.strList("cardinality", "forbiddenLabels"),
		StreamAggregation: d.boolean("cardinality", "streamAggregation"),
	}
	if d.has("tracing") {
		s.Tracing = d.tracing()
	}
	if d.has("specDecode", "breakEvenAcceptance") {
		p := []string{"specDecode", "breakEvenAcceptance"}
		a := d.num(p...)
		if a <= 0 || a >= 1 {
			d.errorf(p, "break-even acceptance %s must be a rate between 0 and 1", trimFloat(a))
		}
		s.SpecDecode = &SpecDecode{BreakEvenAcceptance: a}
	}
	if d.has("kubernetes") {
		s.Kubernetes = d.kubernetes()
	}
	return s, d.ds
}

// reservedAlertLabels are set on alerts by inferobs itself.
var reservedAlertLabels = []string{"alertname", library.LabelSeverity, library.LabelTier, library.LabelSLO,
	library.LabelWorkload, library.LabelModel, library.LabelTenant, library.LabelEnv}

func (d *decoder) kubernetes() *Kubernetes {
	p := func(f ...string) []string { return append([]string{"kubernetes"}, f...) }
	k := &Kubernetes{
		Namespace:   d.str(p("namespace")...),
		Labels:      d.strMap(p("labels")...),
		Annotations: d.strMap(p("annotations")...),
		Severity: map[string]string{
			"page":   d.str(p("severity", "page")...),
			"ticket": d.str(p("severity", "ticket")...),
		},
		AlertLabels: d.strMap(p("alertLabels")...),
		Monitors:    d.str(p("monitors")...),
		Dashboards: KubernetesDashboards{
			Labels:           d.strMap(p("dashboards", "labels")...),
			FolderAnnotation: d.str(p("dashboards", "folderAnnotation")...),
			Folder:           d.str(p("dashboards", "folder")...),
		},
		Receivers: map[string]string{
			"page":   d.str(p("alertmanager", "receivers", "page")...),
			"ticket": d.str(p("alertmanager", "receivers", "ticket")...),
		},
	}
	if !d.has(p("dashboards", "labels")...) {
		k.Dashboards.Labels = map[string]string{"grafana_dashboard": "1"}
	}
	if d.has(p("dashboards", "grafanaOperator")...) {
		k.Dashboards.GrafanaOperator = d.strMap(p("dashboards", "grafanaOperator", "instanceSelector")...)
	}
	if d.has(p("dcgmExporter")...) {
		k.DCGM = &DCGMExporter{
			Namespace: d.str(p("dcgmExporter", "namespace")...),
			PodLabels: d.strMap(p("dcgmExporter", "podLabels")...),
			Port:      d.integer(p("dcgmExporter", "port")...),
		}
		if len(k.DCGM.PodLabels) == 0 {
			d.errorf(p("dcgmExporter", "podLabels"), "the DCGM exporter's podLabels are empty: its PodMonitor would scrape every pod of the namespace on port %d; name the exporter's pod labels, e.g. {\"app.kubernetes.io/name\": \"dcgm-exporter\"}", k.DCGM.Port)
		}
	}
	if errs := validation.IsDNS1123Label(k.Namespace); len(errs) > 0 {
		d.errorf(p("namespace"), "namespace %q is not a Kubernetes namespace name: %s", k.Namespace, strings.Join(errs, "; "))
	}
	for _, sev := range []string{"page", "ticket"} {
		if k.Severity[sev] == "" {
			d.errorf(p("severity", sev), "the severity %s alerts map to is empty", sev)
		}
	}
	if v := k.Severity["page"]; v != "" && v == k.Severity["ticket"] {
		d.errorf(p("severity", "ticket"), "pages and tickets both map to severity %q: the Alertmanager routes and inhibition rules tell them apart by severity; map tickets to another value, e.g. \"warning\"", v)
	}
	for _, sev := range []string{"page", "ticket"} {
		if k.Receivers[sev] == "" {
			d.errorf(p("alertmanager", "receivers", sev), "the Alertmanager receiver of %ss is empty: name the receiver they go to", sev)
		}
	}
	for _, l := range slices.Sorted(maps.Keys(k.AlertLabels)) {
		if !model.LabelName(l).IsValidLegacy() {
			d.errorf(p("alertLabels", l), "alert label %q is not a Prometheus label name", l)
		}
		if slices.Contains(reservedAlertLabels, l) {
			d.errorf(p("alertLabels", l), "alert label %q is one inferobs sets on its alerts; pick another name", l)
		}
	}
	return k
}

func (d *decoder) model(name string) Model {
	p := func(f ...string) []string { return append([]string{"models", name}, f...) }
	m := Model{
		Name:           name,
		Engine:         library.Engine(d.str(p("engine")...)),
		ServedName:     d.str(p("servedName")...),
		Selector:       d.strMap(p("selector")...),
		GPU:            d.str(p("gpu")...),
		GPUsPerReplica: d.positive(p("gpusPerReplica"), "gpusPerReplica"),
		Replicas:       d.positive(p("replicas"), "replicas"),
		DataParallel:   d.positive(p("dataParallel"), "dataParallel"),
		MaxModelLen:    d.integer(p("maxModelLen")...),
		MetricsPort:    d.integer(p("metricsPort")...),
		MaxInputTokens: d.integer(p("maxInputTokens")...),
		MaxTotalTokens: d.integer(p("maxTotalTokens")...),
		PodLabels:      d.strMap(p("podLabels")...),
		ModelPaths:     d.strList(p("modelPaths")...),
	}
	if d.has(p("service")...) {
		m.Service = &Service{Labels: d.strMap(p("service", "labels")...), Port: d.str(p("service", "port")...)}
		if len(m.Service.Labels) == 0 {
			d.errorf(p("service", "labels"), "the Service's labels are empty: a ServiceMonitor would select every Service of the namespace")
		}
	}
	if m.ServedName == "" {
		m.ServedName = name
	}
	if d.has(p("pricing")...) {
		m.Pricing = &Pricing{
			PromptPerMillion:     d.num(p("pricing", "promptPerMillion")...),
			GenerationPerMillion: d.num(p("pricing", "generationPerMillion")...),
		}
		for _, f := range []string{"promptPerMillion", "generationPerMillion"} {
			if d.num(p("pricing", f)...) < 0 {
				d.errorf(p("pricing", f), "price must not be negative (a price per million tokens, in %s)", d.str("currency"))
			}
		}
	}
	info, ok := library.Info(m.Engine)
	if !ok {
		if d.has(p("engine")...) {
			d.errorf(p("engine"), "unknown engine %q: want \"vllm\" or \"tgi\"", m.Engine)
		}
		return m
	}
	raw := d.str(p("engineVersion")...)
	v, err := library.ParseVersion(raw)
	switch {
	case !d.has(p("engineVersion")...):
	case err != nil:
		if bare, ok := versionWithout(raw, string(m.Engine)); ok {
			d.errorf(p("engineVersion"), "engineVersion is the version alone (engine says which engine): write engineVersion: %q", bare)
			break
		}
		d.errorf(p("engineVersion"), "%v", err)
	case !info.Known.Contains(v):
		d.errorf(p("engineVersion"), "unknown %s version %s: inferobs knows %s %s to %s", m.Engine, raw, m.Engine, info.Releases[0].Short(), info.LatestRelease().Short())
	}
	m.EngineVersion = v
	d.tokenLimits(m, p)
	return m
}

// tokenLimits checks TGI's maxInputTokens / maxTotalTokens: TGI only, each
// positive, input below total (the launcher's own rule).
func (d *decoder) tokenLimits(m Model, p func(...string) []string) {
	for _, f := range []string{"maxInputTokens", "maxTotalTokens"} {
		switch {
		case !d.has(p(f)...):
		case m.Engine != library.TGI:
			d.errorf(p(f), "%s is a TGI setting; %s's token-count buckets follow maxModelLen", f, m.Engine)
		case d.integer(p(f)...) < 1:
			d.errorf(p(f), "%s must be at least 1", f)
		}
	}
	if m.Engine == library.TGI && m.MaxInputTokens > 0 && m.MaxTotalTokens > 0 && m.MaxInputTokens >= m.MaxTotalTokens {
		d.errorf(p("maxInputTokens"), "maxInputTokens (%d) must be below maxTotalTokens (%d), as TGI's launcher requires", m.MaxInputTokens, m.MaxTotalTokens)
	}
}

func (d *decoder) workload(name string) Workload {
	p := func(f ...string) []string { return append([]string{"workloads", name}, f...) }
	w := Workload{
		Name:    name,
		Class:   d.str(p("class")...),
		Models:  d.strList(p("models")...),
		Tenants: d.strList(p("tenants")...),
		SLOs:    map[library.SLOKind]SLOSpec{},
	}
	if _, ok := library.PresetFor(w.Class); !ok && d.has(p("class")...) {
		d.errorf(p("class"), "unknown workload class %q: want one of %s", w.Class, strings.Join(library.PresetClasses(), ", "))
	}
	for _, kind := range library.SLOKinds() {
		sp := p("slos", string(kind))
		if at, off := d.off[name][kind]; off {
			if w.Off == nil {
				w.Off = map[library.SLOKind]bool{}
			}
			w.Off[kind] = true
			if d.has(sp...) {
				d.ds = append(d.ds, diag.Errorf(toPos(at), formatPath(sp), "%s is set to false here and to an SLO elsewhere: keep one", kind))
			}
			continue
		}
		if !d.has(sp...) {
			continue
		}
		slo := SLOSpec{Kind: kind, Objective: d.objective(append(sp, "objective")...), Source: SourceEngine, Declared: true}
		slo.Tenants = d.strList(append(sp, "tenants")...)
		slo.Models = d.strList(append(sp, "models")...)
		if d.has(append(sp, "models")...) && len(slo.Models) == 0 {
			d.errorf(append(sp, "models"), "models is empty: list some of the workload's models, or write %s: false to turn the SLO off", kind)
		}
		if kind.IsLatency() {
			slo.Threshold = d.duration(append(sp, "threshold")...)
		}
		if kind == library.SLOHeadroom {
			slo.MaxQueue = d.integer(append(sp, "maxQueue")...)
			if slo.MaxQueue < 0 {
				d.errorf(append(sp, "maxQueue"), "maxQueue must not be negative")
			}
		}
		if d.has(append(sp, "source")...) {
			switch src := Source(d.str(append(sp, "source")...)); src {
			case SourceEngine, SourceGateway:
				slo.Source = src
			default:
				d.errorf(append(sp, "source"), "unknown SLI source %q: want \"engine\" or \"gateway\"", src)
			}
		}
		w.SLOs[kind] = slo
	}
	return w
}

func (d *decoder) tracing() *Tracing {
	t := &Tracing{
		TenantAttribute:   d.str("tracing", "tenantAttribute"),
		ModelAttribute:    d.str("tracing", "modelAttribute"),
		WorkloadAttribute: d.str("tracing", "workloadAttribute"),
		Spans:             map[library.SLOKind]string{},
		Dimensions:        d.strList("tracing", "dimensions"),
		Unit:              d.str("tracing", "unit"),
		Scrape:            d.boolean("tracing", "scrape"),
		Sampling: Sampling{
			BaselinePercent: d.num("tracing", "sampling", "baselinePercent"),
			SlowThreshold:   d.duration("tracing", "sampling", "slowThreshold"),
			DecisionWait:    d.duration("tracing", "sampling", "decisionWait"),
		},
	}
	raw := d.str("tracing", "collectorVersion")
	v, err := library.ParseVersion(raw)
	if err != nil && d.has("tracing", "collectorVersion") {
		d.errorf([]string{"tracing", "collectorVersion"}, "%v", err)
	}
	t.CollectorVersion = v
	for _, k := range []library.SLOKind{library.SLOTTFT, library.SLOE2E} {
		if s := d.str("tracing", "spans", string(k)); s != "" {
			t.Spans[k] = s
		}
	}
	if t.Unit != "ms" && t.Unit != "s" {
		d.errorf([]string{"tracing", "unit"}, "unknown spanmetrics unit %q: want \"ms\" or \"s\"", t.Unit)
	}
	if b := t.Sampling.BaselinePercent; b < 0 || b > 100 {
		d.errorf([]string{"tracing", "sampling", "baselinePercent"}, "baseline sampling %s%% is outside [0, 100]", trimFloat(b))
	}
	return t
}
