package dashboards_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/promql"
	"github.com/inferobs/inferobs/library"
)

// exprs returns every query of the panels whose title contains sub.
func (f *fixture) exprs(t *testing.T, slug, sub string) []string {
	t.Helper()
	var out []string
	found := false
	for _, p := range f.panels(slug) {
		if strings.Contains(title(p.panel), sub) {
			found = true
			for _, q := range promTargets(t, p) {
				out = append(out, q.Expr)
			}
		}
	}
	if !found {
		t.Errorf("%s: no panel titled %q", slug, sub)
	}
	return out
}

func (f *fixture) panel(t *testing.T, slug, sub string) (panelRef, bool) {
	t.Helper()
	for _, p := range f.panels(slug) {
		if strings.Contains(title(p.panel), sub) {
			return p, true
		}
	}
	t.Errorf("%s: no panel titled %q", slug, sub)
	return panelRef{}, false
}

func containsAll(haystack []string, needle string) bool {
	for _, h := range haystack {
		if strings.Contains(h, needle) {
			return true
		}
	}
	return false
}

func TestOverviewPanels(t *testing.T) {
	f := loadFixture(t, "platform")
	f.exprs(t, "overview", "SLO status")
	alerts := f.exprs(t, "overview", "Firing SLO alerts")
	if !containsAll(alerts, library.AlertsSeries+`{alertstate="firing"`) || !containsAll(alerts, `slo=~"`) {
		t.Errorf("firing alerts panel: %v", alerts)
	}
	rows := map[string]bool{}
	for _, p := range f.panels("overview") {
		rows[p.row] = true
	}
	for _, s := range f.plan.SLOs {
		n := s.ID + " · " + s.Model.Name
		if s.Tenant != nil {
			n += " · " + s.Tenant.Name
			if !rows[fmt.Sprintf("%s · %s · tenant %s (gateway)", s.Workload.Name, s.Model.Name, s.Tenant.Name)] {
				t.Errorf("no per-tenant row for %s", n)
			}
		}
		burn, ok := f.panel(t, "overview", "Burn rate · "+n)
		if !ok {
			continue
		}
		qs := promTargets(t, burn)
		if !containsAll(exprsOf(qs), library.RecBurnRate(time.Hour)) || !containsAll(exprsOf(qs), library.RecBurnRate(5*time.Minute)) {
			t.Errorf("%s: burn rate windows missing", n)
		}
		steps := burn.panel.FieldConfig.Defaults.Thresholds.Steps
		for _, tier := range f.plan.Tiers {
			found := false
			for _, st := range steps {
				if st.Value != nil && *st.Value == tier.Factor {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no threshold line at the %s factor %v", n, tier.Name, tier.Factor)
			}
		}
		for _, sub := range []string{"SLI · " + n, "Budget left · " + n, "Alerts · " + n} {
			f.exprs(t, "overview", sub)
		}
		al := f.exprs(t, "overview", "Alerts · "+n)
		if !containsAll(al, `slo="`+s.ID+`"`) {
			t.Errorf("%s: alerts not filtered on slo: %v", n, al)
		}
	}
}

func exprsOf(qs []*prometheus.Dataquery) []string {
	var out []string
	for _, q := range qs {
		out = append(out, q.Expr)
	}
	return out
}

func TestGPUSiliconPanels(t *testing.T) {
	f := loadFixture(t, "platform")
	for _, v := range []string{"node", "gpu", "model"} {
		if !hasVariable(f.dash["gpu-silicon"], v, map[string]string{"node": "query", "gpu": "query", "model": "custom"}[v]) {
			t.Errorf("gpu-silicon: no %s variable", v)
		}
	}
	for role, sub := range map[library.GPURole]string{
		library.GPUTensorActive: "Tensor pipe active", library.GPUSMActive: "SM active and SM occupancy",
		library.GPUSMOccupancy: "SM active and SM occupancy", library.GPUDRAMActive: "DRAM active",
		library.GPUFBUsed: "Framebuffer", library.GPUFBFree: "Framebuffer", library.GPUPower: "Power",
		library.GPUTemp: "temperature", library.GPUMemTemp: "temperature", library.GPUSMClock: "clocks",
		library.GPUMemClock: "clocks", library.GPUPCIeTx: "PCIe", library.GPUPCIeRx: "PCIe",
		library.GPUNVLinkBandwidth: "NVLink", library.GPUXIDErrors: "XID",
		library.GPURemappedRowsUncorrectable: "row remapping", library.GPURowRemapFailure: "row remapping",
	} {
		fld, _ := library.DCGMByRole(role)
		if !containsAll(f.exprs(t, "gpu-silicon", sub), fld.Name) {
			t.Errorf("panel %q does not read %s", sub, fld.Name)
		}
	}
	kv := f.exprs(t, "gpu-silicon", "KV-cache usage by model")
	if !containsAll(kv, library.RecKVCacheUsage) {
		t.Errorf("KV panel: %v", kv)
	}
	sm, _ := f.panel(t, "gpu-silicon", "SM active and SM occupancy")
	if d := *sm.panel.Description; !strings.Contains(d, "stock counters file") || !strings.Contains(d, "steady DCGM profile") {
		t.Errorf("SM panel description does not say the stock profile leaves the fields off: %s", d)
	}
	for _, p := range f.panels("gpu-silicon") {
		for _, q := range promTargets(t, p) {
			for _, l := range append(library.DCGMHostnameLabels(), library.DCGMLabelMIGProfile, library.DCGMLabelMIGID) {
				if !strings.Contains(*q.LegendFormat, "{{"+l+"}}") && title(p.panel) != "KV-cache usage by model" {
					t.Errorf("%s: legend %q lacks {{%s}}", title(p.panel), *q.LegendFormat, l)
				}
			}
		}
	}
}

func TestCUDAPanels(t *testing.T) {
	f := loadFixture(t, "platform")
	for _, p := range f.panels("cuda-collectives") {
		if !strings.Contains(*p.panel.Description, "NCCL has no Prometheus exporter") {
			t.Errorf("%s: description does not say NCCL has no exporter", title(p.panel))
		}
	}
	nv, _ := library.DCGMByRole(library.GPUNVLinkBandwidth)
	sm, _ := library.DCGMByRole(library.GPUSMActive)
	q := f.exprs(t, "cuda-collectives", "NVLink traffic against SM activity")
	if !containsAll(q, nv.Name) || !containsAll(q, sm.Name) {
		t.Errorf("NVLink/SM panel: %v", q)
	}
	idle := f.exprs(t, "cuda-collectives", "Tensor cores idle while requests run")
	if !containsAll(idle, library.RecTensorActive) || !containsAll(idle, library.RecRequestsRunning) {
		t.Errorf("tensor idle panel: %v", idle)
	}
	imb := f.exprs(t, "cuda-collectives", "Imbalance of tensor activity")
	if !containsAll(imb, "stddev(") || !containsAll(imb, " / (avg(") {
		t.Errorf("imbalance panel: %v", imb)
	}
}

func TestContainerPanels(t *testing.T) {
	f := loadFixture(t, "platform")
	pod, _, _ := library.DCGMWorkloadLabels(false)
	m := f.exprs(t, "container-os", "Pod to GPU mapping")
	if !containsAll(m, `label_replace(`) || !containsAll(m, `"`+pod+`"`) {
		t.Errorf("pod to GPU table does not normalise %s: %v", pod, m)
	}
	for _, mod := range f.plan.Models {
		for _, sub := range []string{"CPU · ", "Memory working set and limit · ", "Container restarts · ", "OOM kills · "} {
			f.exprs(t, "container-os", sub+mod.Name)
		}
	}
}

// engineRowPanels returns the panels of the engine dashboard's row of m.
func (f *fixture) engineRowPanels(m *plan.Model) []panelRef {
	var out []panelRef
	for _, p := range f.panels("inference-engine") {
		if strings.HasPrefix(p.row, m.Name+" · ") {
			out = append(out, p)
		}
	}
	return out
}

func TestEnginePanelsUseEachVersionsNames(t *testing.T) {
	for _, name := range fixtureNames {
		t.Run(name, func(t *testing.T) {
			f := loadFixture(t, name)
			for _, m := range f.plan.Models {
				panels := f.engineRowPanels(m)
				if len(panels) == 0 {
					t.Fatalf("no engine row for %s", m.Name)
				}
				var all []string
				for _, p := range panels {
					if !strings.HasSuffix(title(p.panel), " · "+m.Name) {
						t.Errorf("%s: panel %q does not name the model", m.Name, title(p.panel))
					}
					all = append(all, exprsOf(promTargets(t, p))...)
				}
				// Every raw engine name in the row is the model's own version's.
				for _, q := range all {
					e := parse(t, m.Name, q)
					if e == nil {
						continue
					}
					for _, vs := range promql.Selectors(e) {
						if got, ok := engineModel(f.plan, vs); ok && got != m {
							t.Errorf("%s row reads %s of %s", m.Name, vs.Name, got.Name)
						}
					}
				}
				for role, rec := range map[library.Role]bool{library.RoleTTFT: true, library.RoleITL: true, library.RoleE2E: true, library.RoleQueueTime: true} {
					fam, ok := m.Metric(role)
					if !ok || !rec {
						continue
					}
					for _, q := range library.Quantiles() {
						if !containsAll(all, library.RecQuantile(fam.Name, q)) {
							t.Errorf("%s: no %s quantile %v from %s", m.Name, role, q, fam.Name)
						}
					}
				}
				if fam, ok := m.Metric(library.RoleKVCacheUsage); ok {
					kv := f.exprs(t, "inference-engine", "KV-cache usage and preemptions · "+m.Name)
					if !containsAll(kv, fam.Name+"{") || !containsAll(kv, library.RecKVCacheUsage) {
						t.Errorf("%s: KV panel does not read %s: %v", m.Name, fam.Name, kv)
					}
					if _, ok := m.Metric(library.RolePreemptions); ok && !containsAll(kv, library.RecPreemptions) {
						t.Errorf("%s: KV panel has no preemptions overlay", m.Name)
					}
				}
				if fam, ok := m.Metric(library.RoleWaitingByReason); ok && !containsAll(all, fam.Name) {
					t.Errorf("%s: waiting_by_reason (%s) not shown", m.Name, fam.Name)
				}
				for _, r := range []library.Role{library.RolePromptLength, library.RoleGenerationLength} {
					if fam, ok := m.Metric(r); ok && !containsAll(all, "sum by (le) (increase("+fam.Series("_bucket")) {
						t.Errorf("%s: no heatmap of %s", m.Name, fam.Name)
					}
				}
				if _, ok := m.Metric(library.RolePrefixCacheHits); ok && !containsAll(all, library.RecPrefixHitRatio) {
					t.Errorf("%s: no prefix-cache panel", m.Name)
				}
				if _, ok := m.Metric(library.RoleSpecAcceptedTokens); ok && !containsAll(all, library.RecSpecAcceptance) {
					t.Errorf("%s: no spec-decode panel", m.Name)
				}
				if !containsAll(all, library.RecTokens("generation")) || !containsAll(all, library.RecTokens("prompt")) {
					t.Errorf("%s: no token throughput", m.Name)
				}
				if m.Engine() == library.TGI {
					checkTGI(t, f, m, all)
				}
				for _, ch := range m.Catalog.Info.Changes {
					if _, exposed := m.Catalog.SeriesFamily(ch.Name); exposed {
						continue
					}
					for _, q := range all {
						if strings.Contains(q, ch.Name) || strings.Contains(q, library.SanitizeName(ch.Name)) {
							t.Errorf("%s (%s) queries %s, which its version does not expose: %s", m.Name, engineLabelOf(m), ch.Name, q)
						}
					}
				}
			}
		})
	}
}

func engineLabelOf(m *plan.Model) string { return string(m.Engine()) + " " + m.Catalog.Version.Short() }

func checkTGI(t *testing.T, f *fixture, m *plan.Model, all []string) {
	t.Helper()
	bs := f.exprs(t, "inference-engine", "Batch size and queue · "+m.Name)
	if !containsAll(bs, library.RecRequestsRunning) || !containsAll(bs, library.RecRequestsWaiting) {
		t.Errorf("%s: batch size panel: %v", m.Name, bs)
	}
	tokens := f.exprs(t, "inference-engine", "Batch tokens and token budget · "+m.Name)
	if budget, ok := m.Metric(library.RoleBatchTokenBudget); ok && !containsAll(tokens, budget.Name+"{") {
		t.Errorf("%s: the batch token budget %s is not shown: %v", m.Name, budget.Name, tokens)
	}
	for _, r := range []library.Role{library.RoleBatchInferenceTime, library.RoleBatchForwardTime} {
		fam, ok := m.Metric(r)
		if ok && !containsAll(all, "sum by (le, method) (rate("+fam.Series("_bucket")) {
			t.Errorf("%s: no per-method durations of %s", m.Name, fam.Name)
		}
	}
}

func TestPlatformVersions(t *testing.T) {
	f := loadFixture(t, "platform")
	models := map[string]*plan.Model{}
	for _, m := range f.plan.Models {
		models[m.Name] = m
	}
	old, newer, tgi := models["llama-3.1-8b"], models["qwen-2.5-72b"], models["mistral-7b-tgi"]
	if old == nil || newer == nil || tgi == nil {
		t.Fatal("platform example changed its models")
	}
	itl := f.exprs(t, "inference-engine", "Inter-token latency · "+old.Name)
	for _, q := range library.Quantiles() {
		if !containsAll(itl, library.RecQuantile("vllm:inter_token_latency_seconds", q)) {
			t.Errorf("0.11 ITL panel does not read the inter_token_latency_seconds quantiles: %v", itl)
		}
	}
	for _, p := range f.allPanels() {
		if p.dash == "inference-engine" && !strings.HasPrefix(p.row, newer.Name+" · ") {
			continue
		}
		for _, q := range exprsOf(promTargets(t, p)) {
			for _, gone := range []string{"vllm:gpu_cache_usage_perc", "vllm:time_per_output_token_seconds", "vllm_time_per_output_token_seconds"} {
				if strings.Contains(q, gone) {
					t.Errorf("%s / %s queries %s: %s", p.dash, title(p.panel), gone, q)
				}
			}
		}
	}
	for _, m := range []*plan.Model{old, newer} {
		kv := f.exprs(t, "inference-engine", "KV-cache usage and preemptions · "+m.Name)
		if !containsAll(kv, "vllm:kv_cache_usage_perc{") {
			t.Errorf("%s: KV panel does not read vllm:kv_cache_usage_perc: %v", m.Name, kv)
		}
	}
	if !containsAll(f.exprs(t, "inference-engine", "Batch tokens and token budget · "+tgi.Name), "tgi_batch_max_total_tokens{") {
		t.Error("TGI 3.3 panel has no batch token budget")
	}
	if !containsAll(f.exprs(t, "inference-engine", "Batch step duration by method · "+tgi.Name), "tgi_batch_forward_duration_bucket") {
		t.Error("TGI panel has no forward durations by method")
	}
}

func TestEdgeVersions(t *testing.T) {
	f := loadFixture(t, "edge")
	var old *plan.Model
	for _, m := range f.plan.Models {
		if m.Name == "old-tgi" {
			old = m
		}
	}
	if !containsAll(f.exprs(t, "inference-engine", "Requests running and waiting · big"), "sum by (reason) (vllm:num_requests_waiting_by_reason{") {
		t.Error("vLLM 0.20 requests panel does not split the queue by reason")
	}
	if _, ok := old.Metric(library.RoleBatchTokenBudget); ok {
		t.Fatal("TGI 2.2 unexpectedly has a batch token budget")
	}
	if containsAll(f.exprs(t, "inference-engine", "Batch tokens and token budget · old-tgi"), "max_total_tokens") {
		t.Error("TGI 2.2 panel reads a budget its version lacks")
	}
	lat, _ := f.panel(t, "api-tracing", "Gateway E2E latency")
	if u := *lat.panel.FieldConfig.Defaults.Unit; u != "s" {
		t.Errorf("spanmetrics in seconds shown as %q", u)
	}
	for _, p := range f.panels("api-tracing") {
		if strings.HasPrefix(title(p.panel), "TTFT gateway against engine") {
			t.Errorf("TTFT gap panel without a ttft span: %s", title(p.panel))
		}
	}
	cost, _ := f.panel(t, "business-cost", "GPU cost per hour by model")
	if u := *cost.panel.FieldConfig.Defaults.Unit; !strings.HasPrefix(u, "currency:NZD") {
		t.Errorf("NZD shown as %q", u)
	}
}

func TestAPIPanels(t *testing.T) {
	f := loadFixture(t, "platform")
	tr := f.plan.Tracing
	for kind, span := range tr.Spec.Spans {
		p, ok := f.panel(t, "api-tracing", fmt.Sprintf("Gateway %s latency (span %s)", strings.ToUpper(string(kind)), span))
		if !ok {
			continue
		}
		if u := *p.panel.FieldConfig.Defaults.Unit; u != "ms" {
			t.Errorf("%s: unit %q, want ms", span, u)
		}
		for _, q := range promTargets(t, p) {
			if q.Exemplar == nil || !*q.Exemplar {
				t.Errorf("%s: exemplars off on %s", span, q.Expr)
			}
			if !strings.Contains(q.Expr, tr.SpanMetrics.DurationFamily+"_bucket") || !strings.Contains(*q.LegendFormat, "{{"+tr.TenantLabel+"}}") {
				t.Errorf("%s: %s / %s", span, q.Expr, *q.LegendFormat)
			}
		}
	}
	for _, m := range f.plan.Models {
		_, hasTTFT := m.Metric(library.RoleTTFT)
		found := false
		for _, p := range f.panels("api-tracing") {
			if title(p.panel) == "TTFT gateway against engine · "+m.Name {
				found = true
				qs := exprsOf(promTargets(t, p))
				if !containsAll(qs, "group_left") || !containsAll(qs, " / 1000") {
					t.Errorf("%s: gap panel %v", m.Name, qs)
				}
			}
		}
		if found != hasTTFT {
			t.Errorf("%s: TTFT gap panel present=%v, engine has TTFT=%v", m.Name, found, hasTTFT)
		}
	}
	errs := f.exprs(t, "api-tracing", "Gateway error ratio")
	if !containsAll(errs, library.RecTenantErrorRatio) {
		t.Errorf("error panel: %v", errs)
	}
}

func TestCostPanels(t *testing.T) {
	f := loadFixture(t, "platform")
	for sub, rec := range map[string]string{
		"GPU cost per hour by model":                      library.RecGPUCost,
		"Effective cost per million generated tokens":     library.RecEffectiveCost,
		"Idle share of GPU cost":                          library.RecTensorActive,
		"Generated tokens per GPU-second":                 library.RecTokensPerGPUSec,
		"GPU cost per hour by tenant and model":           library.RecTenantGPUCost,
		"Token spend per hour by tenant and model":        library.RecTenantSpend,
		"Token spend per hour: prompt against generation": library.RecTokenSpend,
	} {
		if !containsAll(f.exprs(t, "business-cost", sub), rec) {
			t.Errorf("%s does not read %s", sub, rec)
		}
	}
	p, _ := f.panel(t, "business-cost", "GPU cost per hour by model")
	if u := *p.panel.FieldConfig.Defaults.Unit; u != "currencyEUR" {
		t.Errorf("EUR shown as %q", u)
	}
}

// TestOverviewRepeatsTenantRows: a workload and model with more tenants
// than the overview writes rows for get one row Grafana repeats over a
// hidden variable listing exactly their tenants; its queries select the
// repeat's tenant. A workload with few tenants keeps a row per tenant.
func TestOverviewRepeatsTenantRows(t *testing.T) {
	f := loadFixture(t, "tenants")
	var repeated []*dashboard.RowPanel
	rows := map[string]bool{}
	for _, pr := range f.dash["overview"].Panels {
		if r := pr.RowPanel; r != nil {
			rows[*r.Title] = true
			if r.Repeat != nil {
				repeated = append(repeated, r)
			}
		}
	}
	if len(repeated) != 1 {
		t.Fatalf("want one repeated row (workload busy), got %d", len(repeated))
	}
	r := repeated[0]
	v := *r.Repeat
	if want := "busy · m · tenant ${" + v + "} (gateway)"; *r.Title != want {
		t.Errorf("repeated row title %q, want %q", *r.Title, want)
	}
	for i := 1; i <= 11; i++ {
		if rows[fmt.Sprintf("busy · m · tenant team-%02d (gateway)", i)] {
			t.Errorf("busy has a written-out row for team-%02d besides the repeated one", i)
		}
	}
	for i := 1; i <= 3; i++ {
		if !rows[fmt.Sprintf("quiet · m · tenant team-%02d (gateway)", i)] {
			t.Errorf("quiet (3 tenants) lost its row for team-%02d", i)
		}
	}

	var values []string
	found := false
	for _, tv := range f.dash["overview"].Templating.List {
		if tv.Name != v {
			continue
		}
		found = true
		if tv.Hide == nil || *tv.Hide != dashboard.VariableHideHideVariable {
			t.Errorf("variable %s is not hidden", v)
		}
		for _, o := range tv.Options {
			if s := *o.Value.String; s != "$__all" {
				values = append(values, s)
			}
		}
	}
	if !found {
		t.Fatalf("no variable %s for the repeated row", v)
	}
	var want []string
	for _, s := range f.plan.SLOs {
		if s.Workload.Name == "busy" && s.Tenant != nil && !slices.Contains(want, s.Tenant.Name) {
			want = append(want, s.Tenant.Name)
		}
	}
	if !slices.Equal(values, want) {
		t.Errorf("variable %s lists %v, want the tenants with busy's gateway SLOs %v", v, values, want)
	}

	// Every gateway SLO id of busy has its four panels, reading the
	// repeat's tenant.
	var titles []string
	for _, p := range r.Panels {
		titles = append(titles, *p.Title)
		for _, q := range promTargets(t, panelRef{"overview", *r.Title, p}) {
			if !strings.Contains(q.Expr, `tenant="${`+v+`}"`) {
				t.Errorf("%s: query does not select the repeat's tenant: %s", *p.Title, q.Expr)
			}
			parse(t, *p.Title, q.Expr)
		}
	}
	for _, id := range []string{"busy-e2e", "busy-success"} {
		for _, kind := range []string{"SLI", "Budget left", "Burn rate", "Alerts"} {
			if n := kind + " · " + id + " · m · ${" + v + "}"; !slices.Contains(titles, n) {
				t.Errorf("repeated row has no panel %q (has %v)", n, titles)
			}
		}
	}
}
