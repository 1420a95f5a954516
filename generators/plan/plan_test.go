package plan_test

import (
	"strings"
	"testing"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/schema"
	"github.com/inferobs/inferobs/schema/diag"
)

const base = `environment: "test"
gpus: h100: hourlyCost: 3
models: v11: {engine: "vllm", engineVersion: "0.11.0", servedName: "m/v11", selector: {job: "v11"}, gpu: "h100"}
models: tgi: {engine: "tgi", engineVersion: "3.3", selector: {job: "tgi"}, gpu: "h100"}
tenants: {acme: {}, globex: {}}
tracing: {collectorVersion: "0.140.0", spans: {ttft: "first_token", e2e: "completion"}}
// cases start at line 7
`

func planOf(t *testing.T, add string) (*plan.Plan, diag.List) {
	t.Helper()
	s, ds := schema.LoadFiles([]schema.File{{Name: "spec.cue", Data: []byte(base + add + "\n")}})
	if s == nil {
		t.Fatalf("spec rejected by the loader: %v", ds)
	}
	return plan.New(s)
}

func TestPlannerDiagnostics(t *testing.T) {
	cases := []struct {
		name, add string
		want      []string // diagnostics, exactly, errors and warnings
	}{
		{"threshold not a bucket", `workloads: w: {class: "chat", models: ["v11"], slos: ttft: {threshold: "800ms", objective: 99}}`,
			[]string{
				`spec.cue:8:23: warning: workloads.w.class: the chat preset's completeness SLO (90 %): page-fast (14.4×) can never fire (the highest possible burn rate is 10×) and is not generated; at a 100% error rate page-slow after 3h51m, more than half its long window; a stricter objective detects sooner (see README: choosing objectives)`,
				`spec.cue:8:23: warning: workloads.w.class: the chat preset's itl SLO (75ms at 95 %) and headroom SLO (queue <= 8 at 95 %): at a 100% error rate page-fast after 45m12s, more than half its long window; a stricter objective detects sooner (see README: choosing objectives)`,
				`spec.cue:8:23: warning: workloads.w.class: the chat preset's itl SLO (80ms at 95 %): threshold 80ms is not a bucket boundary of vllm:inter_token_latency_seconds in vllm 0.11; using 75ms, the next lower boundary (stricter); declare slos.itl to choose`,
				`spec.cue:8:72: workloads.w.slos.ttft.threshold: threshold 800ms is not a bucket boundary of vllm:time_to_first_token_seconds in vllm 0.11; the nearest boundaries are 750ms and 1s`,
			}},
		{"ttft on tgi", `workloads: w: {class: "code", models: ["tgi"], slos: ttft: {threshold: "500ms", objective: 99}}`,
			[]string{
				`spec.cue:8:23: warning: workloads.w.class: skipped the code preset's itl SLO (30ms at 95 %) for model "tgi": tgi 3.3 exposes no per-token ITL histogram (a per-request mean time per token is not the same SLI), and spans cannot measure it either; declare slos.itl with models: [...] to keep it for the others, or write slos.itl: false`,
				`spec.cue:8:23: warning: workloads.w.class: the code preset's headroom SLO (queue <= 4 at 95 %): at a 100% error rate page-fast after 45m12s, more than half its long window; a stricter objective detects sooner (see README: choosing objectives)`,
				`spec.cue:8:60: workloads.w.slos.ttft: tgi 3.3 exposes no TTFT histogram; measure it at the gateway instead (source: "gateway" with tracing.spans.ttft)`,
			}},
		{"tenant-scoped engine slo", `workloads: w: {class: "chat", models: ["v11"], tenants: ["acme"], slos: e2e: {threshold: "5s", objective: 99, tenants: ["acme"]}}`,
			[]string{
				`spec.cue:8:23: warning: workloads.w.class: the chat preset's completeness SLO (90 %): page-fast (14.4×) can never fire (the highest possible burn rate is 10×) and is not generated; at a 100% error rate page-slow after 3h51m, more than half its long window; a stricter objective detects sooner (see README: choosing objectives)`,
				`spec.cue:8:23: warning: workloads.w.class: the chat preset's itl SLO (80ms at 95 %): threshold 80ms is not a bucket boundary of vllm:inter_token_latency_seconds in vllm 0.11; using 75ms, the next lower boundary (stricter); declare slos.itl to choose`,
				`spec.cue:8:23: warning: workloads.w.class: the chat preset's ttft SLO (1s at 95 %), itl SLO (75ms at 95 %) and headroom SLO (queue <= 8 at 95 %): at a 100% error rate page-fast after 45m12s, more than half its long window; a stricter objective detects sooner (see README: choosing objectives)`,
				`spec.cue:8:120: workloads.w.slos.e2e.tenants: engine metrics carry no tenant label, so a e2e SLO scoped to tenants needs source: "gateway"`,
			}},
		{"gateway slo without tenants", `workloads: w: {class: "chat", models: ["v11"], slos: e2e: {threshold: "5s", objective: 99, source: "gateway"}}`,
			[]string{
				`spec.cue:8:23: warning: workloads.w.class: the chat preset's completeness SLO (90 %): page-fast (14.4×) can never fire (the highest possible burn rate is 10×) and is not generated; at a 100% error rate page-slow after 3h51m, more than half its long window; a stricter objective detects sooner (see README: choosing objectives)`,
				`spec.cue:8:23: warning: workloads.w.class: the chat preset's itl SLO (80ms at 95 %): threshold 80ms is not a bucket boundary of vllm:inter_token_latency_seconds in vllm 0.11; using 75ms, the next lower boundary (stricter); declare slos.itl to choose`,
				`spec.cue:8:23: warning: workloads.w.class: the chat preset's ttft SLO (1s at 95 %), itl SLO (75ms at 95 %) and headroom SLO (queue <= 8 at 95 %): at a 100% error rate page-fast after 45m12s, more than half its long window; a stricter objective detects sooner (see README: choosing objectives)`,
				`spec.cue:8:59: workloads.w.slos.e2e: a gateway-sourced SLO is per tenant: list the workload's tenants`,
			}},
		{"gateway cannot measure itl", `workloads: w: {class: "chat", models: ["v11"], tenants: ["acme"], slos: itl: {threshold: "75ms", objective: 99, source: "gateway"}}`,
			[]string{
				`spec.cue:8:23: warning: workloads.w.class: the chat preset's completeness SLO (90 %): page-fast (14.4×) can never fire (the highest possible burn rate is 10×) and is not generated; at a 100% error rate page-slow after 3h51m, more than half its long window; a stricter objective detects sooner (see README: choosing objectives)`,
				`spec.cue:8:23: warning: workloads.w.class: the chat preset's ttft SLO (1s at 95 %) and headroom SLO (queue <= 8 at 95 %): at a 100% error rate page-fast after 45m12s, more than half its long window; a stricter objective detects sooner (see README: choosing objectives)`,
				`spec.cue:8:121: workloads.w.slos.itl.source: the gateway cannot measure itl: spanmetrics carry span durations and statuses only; use source: "engine"`,
			}},
		{"preset snaps and skips", `workloads: w: {class: "chat", models: ["v11", "tgi"], slos: {ttft: {threshold: "1s", objective: 99}, itl: {threshold: "75ms", objective: 99}, success: {objective: 99.9}, completeness: {objective: 99}, headroom: {maxQueue: 8, objective: 99}}}`,
			[]string{
				`spec.cue:8:68: workloads.w.slos.ttft: tgi 3.3 exposes no TTFT histogram; measure it at the gateway instead (source: "gateway" with tracing.spans.ttft); to keep the SLO for the workload's other models, list them in slos.ttft.models`,
				`spec.cue:8:107: workloads.w.slos.itl: tgi 3.3 exposes no per-token ITL histogram (a per-request mean time per token is not the same SLI), and spans cannot measure it either; to keep the SLO for the workload's other models, list them in slos.itl.models`,
				`spec.cue:8:185: workloads.w.slos.completeness: tgi 3.3 exposes no finish reason, so stream completeness cannot be measured; to keep the SLO for the workload's other models, list them in slos.completeness.models`,
			}},
		{"preset threshold snapped down", `workloads: w: {class: "chat", models: ["v11"], slos: {ttft: {threshold: "1s", objective: 99}, success: {objective: 99.9}, completeness: {objective: 99}, headroom: {maxQueue: 8, objective: 99}}}`,
			[]string{
				`spec.cue:8:23: warning: workloads.w.class: the chat preset's itl SLO (75ms at 95 %): at a 100% error rate page-fast after 45m12s, more than half its long window; a stricter objective detects sooner (see README: choosing objectives)`,
				`spec.cue:8:23: warning: workloads.w.class: the chat preset's itl SLO (80ms at 95 %): threshold 80ms is not a bucket boundary of vllm:inter_token_latency_seconds in vllm 0.11; using 75ms, the next lower boundary (stricter); declare slos.itl to choose`,
			}},
		{"unreachable tier", `workloads: w: {class: "chat", models: ["v11"], slos: {ttft: {threshold: "1s", objective: 90}, itl: {threshold: "75ms", objective: 99}, success: {objective: 99.9}, completeness: {objective: 99}, headroom: {maxQueue: 8, objective: 99}}}`,
			[]string{
				`spec.cue:8:90: warning: workloads.w.slos.ttft.objective: objective 90%: page-fast (14.4×) can never fire (the highest possible burn rate is 10×) and is not generated; at a 100% error rate page-slow after 3h51m, more than half its long window; a stricter objective detects sooner (see README: choosing objectives)`,
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := planOf(t, tc.add)
			var got []string
			for _, d := range ds {
				got = append(got, d.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestSLIResolution(t *testing.T) {
	p, ds := planOf(t, `workloads: w: {class: "chat", models: ["v11"], tenants: ["acme"], slos: {ttft: {threshold: "750ms", objective: 99, source: "gateway"}, itl: {threshold: "75ms", objective: 99}, success: {objective: 99.9}, completeness: {objective: 99}, headroom: {maxQueue: 8, objective: 99}}}`)
	if p == nil {
		t.Fatal(ds)
	}
	byID := map[string]*plan.SLO{}
	for _, s := range p.SLOs {
		byID[s.ID] = s
	}
	itl := byID["w-itl"].SLI
	if itl.Family != "vllm:inter_token_latency_seconds" || strings.Join(itl.LeTexts, ",") != "0.075" {
		t.Errorf("itl reads %s le %v", itl.Family, itl.LeTexts)
	}
	gw := byID["w-ttft"]
	if gw.Tenant == nil || gw.Tenant.Name != "acme" || strings.Join(gw.SLI.LeTexts, ",") != "750,750.0" {
		t.Errorf("gateway ttft: tenant %v, le %v", gw.Tenant, gw.SLI.LeTexts)
	}
	found := false
	for _, b := range p.Tracing.Buckets {
		if b.String() == "750ms" {
			found = true
		}
	}
	if !found {
		t.Errorf("spanmetrics buckets lack the 750ms threshold: %v", p.Tracing.Buckets)
	}
	succ := byID["w-success"].SLI.Good[0].VectorSelector().String()
	if !strings.Contains(succ, `finished_reason!~"abort"`) || !strings.Contains(succ, `model_name="m/v11"`) {
		t.Errorf("success good events: %s", succ)
	}
	if b := byID["w-success"].Budget; b != 0.001 {
		t.Errorf("budget of 99.9%% is %v, want exactly 0.001", b)
	}
}

// TestAggregatedTotalsShareTheGrid: with stream aggregation, the good events
// of a latency SLI come from vmagent's aggregated buckets, so the total must
// come from the same aggregated series (its +Inf bucket), not the raw
// _count scraped on another grid; without it, the raw _count.
func TestAggregatedTotalsShareTheGrid(t *testing.T) {
	const w = `workloads: w: {class: "chat", models: ["v11"], tenants: ["acme"], slos: {ttft: {threshold: "750ms", objective: 99, source: "gateway"}, itl: {threshold: "75ms", objective: 99}, e2e: {threshold: "5s", objective: 99}}}`
	for _, aggr := range []bool{false, true} {
		add := w
		if aggr {
			add += "\ncardinality: streamAggregation: true"
		}
		p, ds := planOf(t, add)
		if p == nil {
			t.Fatal(ds)
		}
		n := 0
		for _, s := range p.SLOs {
			if s.SLI.Example.Shape != plan.ShapeHistogram {
				continue
			}
			n++
			good, total := s.SLI.Good[0], s.SLI.Total
			if len(total) != 1 {
				t.Fatalf("%s: %d total selectors", s.ID, len(total))
			}
			tot := total[0].VectorSelector().String()
			if !aggr {
				if !strings.HasSuffix(total[0].Series, "_count") {
					t.Errorf("%s without aggregation: total reads %s, want the raw _count", s.ID, tot)
				}
				continue
			}
			if total[0].Series != good.Series || !strings.Contains(good.Series, ":1m_without_") {
				t.Errorf("%s: good reads %s but total %s: not the same aggregated series", s.ID, good.Series, tot)
			}
			if !strings.Contains(tot, `le="+Inf"`) {
				t.Errorf("%s: total %s does not read the +Inf bucket", s.ID, tot)
			}
			if ex := s.SLI.Example.Total; ex.Name != good.Series || ex.Labels["le"] != "+Inf" {
				t.Errorf("%s: example total %v is not the aggregated +Inf bucket", s.ID, ex)
			}
		}
		if n != 3 {
			t.Errorf("aggregation %v: %d histogram SLIs, want 3 (gateway TTFT, ITL, E2E)", aggr, n)
		}
	}
}
