package schema

import (
	"strings"
	"testing"

	"github.com/inferobs/inferobs/schema/diag"
)

// base is a valid spec the invalid cases are written against. Keep the
// line numbers stable: cases append after it, so their positions start at
// line 16.
const base = `environment: "test"
gpus: h100: hourlyCost: 3.2
models: m1: {
	engine:        "vllm"
	engineVersion: "0.11.0"
	selector: {job: "vllm"}
	gpu: "h100"
}
tenants: {acme: {}, globex: {highValue: true}}
workloads: chat: {
	class: "chat"
	models: ["m1"]
	tenants: ["acme", "globex"]
}
// cases start below
`

func loadOne(t *testing.T, src string) (*Spec, diag.List) {
	t.Helper()
	return LoadFiles([]File{{Name: "spec.cue", Data: []byte(src)}})
}

func TestBaseIsValid(t *testing.T) {
	s, ds := loadOne(t, base)
	if s == nil {
		t.Fatalf("base spec rejected:\n%v", ds)
	}
	m := s.Models["m1"]
	if m.Replicas != 1 || m.ServedName != "m1" || s.Target.PrometheusMajor != 3 || s.SLO.Period.Hours() != 720 {
		t.Fatalf("defaults not applied: %+v %+v %+v", m, s.Target, s.SLO)
	}
	if got := strings.Join(s.Cardinality.ForbiddenLabels, ","); got != "user_id,session_id,request_id" {
		t.Fatalf("forbidden labels default: %s", got)
	}
}

func TestInvalidSpecs(t *testing.T) {
	cases := []struct {
		name string
		add  string // appended to base (or replaces it when full is set)
		full bool
		want []string // every error diagnostic, exactly, in order
	}{
		{"unknown top-level field", `tenant: {}`,
			false, []string{`spec.cue:16:1: tenant: unknown field "tenant"; did you mean "tenants"? (allowed: cardinality, currency, environment, gpus, kubernetes, models, slo, specDecode, target, tenants, tracing, workloads)`}},
		{"typo in model field", `models: m1: replcas: 2`,
			false, []string{`spec.cue:16:13: models.m1.replcas: unknown field "replcas"; did you mean "replicas"? (allowed: dataParallel, engine, engineVersion, gpu, gpusPerReplica, maxInputTokens, maxModelLen, maxTotalTokens, metricsPort, modelPaths, podLabels, pricing, replicas, selector, servedName, service)`}},
		{"typo in slo kind", `workloads: chat: slos: ttfb: {threshold: "1s", objective: 95}`,
			false, []string{`spec.cue:16:24: workloads.chat.slos.ttfb: unknown field "ttfb"; did you mean "ttft"? (allowed: completeness, e2e, headroom, itl, success, ttft)`}},
		{"wrong type string for number", `gpus: a100: hourlyCost: "2.5"`,
			false, []string{`spec.cue:16:25: gpus.a100.hourlyCost: expected a number, got a string "2.5"`}},
		{"wrong type int for string", `target: prometheus: 3`,
			false, []string{`spec.cue:16:21: target.prometheus: expected a string, got an integer 3`}},
		{"wrong type for replicas", `models: m1: replicas: "two"`,
			false, []string{`spec.cue:16:23: models.m1.replicas: expected an integer, got a string "two"`}},
		{"objective above 100", `workloads: chat: slos: success: objective: 100.5`,
			false, []string{`spec.cue:16:44: workloads.chat.slos.success.objective: objective 100.5 is outside (0, 100): write the percentage of good events, e.g. 99.5`}},
		{"objective zero", `workloads: chat: slos: ttft: {threshold: "1s", objective: 0}`,
			false, []string{`spec.cue:16:59: workloads.chat.slos.ttft.objective: objective 0 is outside (0, 100): write the percentage of good events, e.g. 99.5`}},
		{"objective as ratio", `workloads: chat: slos: itl: {threshold: "75ms", objective: 100}`,
			false, []string{`spec.cue:16:60: workloads.chat.slos.itl.objective: objective 100 is outside (0, 100): write the percentage of good events, e.g. 99.5`}},
		{"malformed duration", `workloads: chat: slos: ttft: {threshold: "1 second", objective: 95}`,
			false, []string{`spec.cue:16:42: workloads.chat.slos.ttft.threshold: malformed duration "1 second": want a positive Prometheus duration such as "500ms", "30s", "5m", "1h" or "30d"`}},
		{"malformed period", `slo: period: "30days"`,
			false, []string{`spec.cue:16:14: slo.period: malformed duration "30days": want a positive Prometheus duration such as "500ms", "30s", "5m", "1h" or "30d"`}},
		{"missing threshold", `workloads: chat: slos: ttft: {objective: 95}`,
			false, []string{`spec.cue:16:30: workloads.chat.slos.ttft: missing required field "threshold" (a string)`}},
		{"unknown engine", `models: m2: {engine: "sglang", engineVersion: "0.4", selector: {job: "s"}, gpu: "h100"}`,
			false, []string{`spec.cue:16:22: models.m2.engine: unknown engine "sglang": want "vllm" or "tgi"`}},
		{"unknown engine version", `models: m2: {engine: "vllm", engineVersion: "0.99.0", selector: {job: "s"}, gpu: "h100"}`,
			false, []string{`spec.cue:16:45: models.m2.engineVersion: unknown vllm version 0.99.0: inferobs knows vllm 0.4 to 0.25`}},
		{"malformed engine version", `models: m2: {engine: "tgi", engineVersion: "three", selector: {job: "s"}, gpu: "h100"}`,
			false, []string{`spec.cue:16:44: models.m2.engineVersion: malformed version "three": want MAJOR.MINOR or MAJOR.MINOR.PATCH`}},
		{"dangling model reference", `workloads: rag: {class: "rag", models: ["m9"]}`,
			false, []string{`spec.cue:16:41: workloads.rag.models[0]: unknown model "m9"; did you mean "m1"?`}},
		{"dangling tenant reference", `workloads: rag: {class: "rag", models: ["m1"], tenants: ["initech"]}`,
			false, []string{`spec.cue:16:58: workloads.rag.tenants[0]: unknown tenant "initech" (declared in tenants: acme, globex)`}},
		{"dangling gpu reference", `models: m2: {engine: "vllm", engineVersion: "0.16", selector: {job: "s"}, gpu: "b200"}`,
			false, []string{`spec.cue:16:80: models.m2.gpu: unknown GPU "b200"; did you mean "h100"?`}},
		{"empty workload", `workloads: idle: {class: "chat", models: []}`,
			false, []string{`spec.cue:16:42: workloads.idle.models: workload serves no model: list at least one key of models`}},
		{"unknown class", `workloads: batch: {class: "batch", models: ["m1"]}`,
			false, []string{`spec.cue:16:27: workloads.batch.class: unknown workload class "batch": want one of chat, code, rag`}},
		{"forbidden label in selector", `models: m1: selector: user_id: "u1"`,
			false, []string{`spec.cue:16:32: models.m1.selector.user_id: label "user_id" is forbidden by cardinality.forbiddenLabels`}},
		{"forbidden tenant attribute", `tracing: {collectorVersion: "0.140.0", tenantAttribute: "session_id"}`,
			false, []string{`spec.cue:16:57: tracing.tenantAttribute: span attribute "session_id" would become the forbidden label "session_id" (cardinality.forbiddenLabels)`}},
		{"forbidden custom dimension", `tracing: {collectorVersion: "0.140.0", dimensions: ["user.id"]}
cardinality: forbiddenLabels: ["user_id"]`,
			false, []string{`spec.cue:16:52: tracing.dimensions: span attribute "user.id" would become the forbidden label "user_id" (cardinality.forbiddenLabels)`}},
		{"bad label name in selector", `models: m1: selector: "app.kubernetes.io/name": "vllm"`,
			false, []string{`spec.cue:16:49: models.m1.selector."app.kubernetes.io/name": "app.kubernetes.io/name" is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)`}},
		{"unknown prometheus version", `target: prometheus: "4"`,
			false, []string{`spec.cue:16:21: target.prometheus: unknown Prometheus version "4": want "2" or "3"`}},
		{"evaluation interval too long", `target: evaluationInterval: "10m"`,
			false, []string{`spec.cue:16:29: target.evaluationInterval: evaluation interval 10m is over 5m: Prometheus would see recorded series go stale between evaluations`}},
		{"quantile interval too long", `target: quantileInterval: "6m"`,
			false, []string{`spec.cue:16:27: target.quantileInterval: quantile interval 6m is over 5m: Prometheus would see recorded series go stale between evaluations`}},
		{"quantile interval malformed", `target: quantileInterval: "2 minutes"`,
			false, []string{`spec.cue:16:27: target.quantileInterval: malformed duration "2 minutes": want a positive Prometheus duration such as "500ms", "30s", "5m", "1h" or "30d"`}},
		{"unknown window table", `slo: windows: "fast"`,
			false, []string{`spec.cue:16:15: slo.windows: unknown window table "fast": want one of google`}},
		{"bad currency", `currency: "euro"`,
			false, []string{`spec.cue:16:11: currency: currency "euro" is not an ISO 4217 code such as "EUR" or "USD"`}},
		{"unknown slo source", `workloads: chat: slos: e2e: {threshold: "5s", objective: 99, source: "client"}`,
			false, []string{`spec.cue:16:70: workloads.chat.slos.e2e.source: unknown SLI source "client": want "engine" or "gateway"`}},
		{"zero replicas", `models: m1: replicas: 0`,
			false, []string{`spec.cue:16:23: models.m1.replicas: replicas must be at least 1, got 0`}},
		{"field set twice", `gpus: h100: hourlyCost: -1`,
			false, []string{`spec.cue:2:25: gpus.h100.hourlyCost: conflicting values 3.2 and -1: the field is set twice with different values`}},
		{"negative cost", `gpus: a100: hourlyCost: -1`,
			false, []string{`spec.cue:16:25: gpus.a100.hourlyCost: hourly cost must not be negative`}},
		{"several errors in file order", `models: m1: replcas: 2
workloads: chat: slos: ttft: {threshold: "fast", objective: 101}`,
			false, []string{
				`spec.cue:16:13: models.m1.replcas: unknown field "replcas"; did you mean "replicas"? (allowed: dataParallel, engine, engineVersion, gpu, gpusPerReplica, maxInputTokens, maxModelLen, maxTotalTokens, metricsPort, modelPaths, podLabels, pricing, replicas, selector, servedName, service)`,
				`spec.cue:17:42: workloads.chat.slos.ttft.threshold: malformed duration "fast": want a positive Prometheus duration such as "500ms", "30s", "5m", "1h" or "30d"`,
				`spec.cue:17:61: workloads.chat.slos.ttft.objective: objective 101 is outside (0, 100): write the percentage of good events, e.g. 99.5`,
			}},
		{"metrics port out of range", `models: m1: metricsPort: 70000`,
			false, []string{`spec.cue:16:26: models.m1.metricsPort: invalid value 70000 (out of bound <=65535)`}},
		{"page and ticket share a severity", `kubernetes: {namespace: "mon", severity: {page: "critical", ticket: "critical"}}`,
			false, []string{`spec.cue:16:69: kubernetes.severity.ticket: pages and tickets both map to severity "critical": the Alertmanager routes and inhibition rules tell them apart by severity; map tickets to another value, e.g. "warning"`}},
		{"empty receiver", `kubernetes: {namespace: "mon", alertmanager: receivers: page: ""}`,
			false, []string{`spec.cue:16:63: kubernetes.alertmanager.receivers.page: the Alertmanager receiver of pages is empty: name the receiver they go to`}},
		{"tgi token limits on vllm", `models: m1: maxInputTokens: 4095`,
			false, []string{`spec.cue:16:29: models.m1.maxInputTokens: maxInputTokens is a TGI setting; vllm's token-count buckets follow maxModelLen`}},
		{"unclosed brace names where it was opened", "models: m2: {\n\tengine: \"vllm\"\n\nworkloads: x: {}",
			false, []string{`spec.cue:16:13: this "{" is never closed: the file ends (at 19:18) before its "}"`}},
		{"hash comment", `# the second model`,
			false, []string{`spec.cue:16:1: CUE comments start with //, not #: write // here (a # starts a definition name in CUE)`}},
		{"hash comment after a value", `models: m1: replicas: 2 # two`,
			false, []string{`spec.cue:16:25: CUE comments start with //, not #: write // here (a # starts a definition name in CUE)`}},
		{"yaml-style nesting", "models:\n  m2:\n    engine: \"vllm\"\n    engineVersion: \"0.11.0\"\n    gpu: \"h100\"\n    selector: {job: \"m2\"}",
			false, []string{
				`spec.cue:16:1: CUE is not YAML: indentation does not nest fields, so models: takes only the next field as its value and the fields after it land elsewhere; write models: { ... } with braces`,
				`spec.cue:18:5: models.m2: missing required field "engineVersion" (a string)`,
				`spec.cue:18:5: models.m2: missing required field "gpu" (a string)`,
				`spec.cue:18:5: models.m2.selector: selector is empty: give the label matchers that find this model's series, e.g. {job: "vllm-m2"}`,
				`spec.cue:19:5: engineVersion: unknown field "engineVersion" (allowed: cardinality, currency, environment, gpus, kubernetes, models, slo, specDecode, target, tenants, tracing, workloads)`,
				`spec.cue:20:5: gpu: unknown field "gpu"; did you mean "gpus"? (allowed: cardinality, currency, environment, gpus, kubernetes, models, slo, specDecode, target, tenants, tracing, workloads)`,
				`spec.cue:21:5: selector: unknown field "selector"; did you mean "slo"? (allowed: cardinality, currency, environment, gpus, kubernetes, models, slo, specDecode, target, tenants, tracing, workloads)`,
			}},
		{"yaml boolean", `tenants: acme: highValue: yes`,
			false, []string{`spec.cue:16:27: tenants.acme.highValue: yes is not a CUE value: CUE booleans are true/false; write true`}},
		{"threshold without unit", `workloads: chat: slos: ttft: {threshold: 1, objective: 95}`,
			false, []string{`spec.cue:16:42: workloads.chat.slos.ttft.threshold: expected a string, got an integer 1: a duration is a string with its unit; did you mean "1s"?`}},
		{"threshold in ms without unit", `workloads: chat: slos: itl: {threshold: 75, objective: 95}`,
			false, []string{`spec.cue:16:41: workloads.chat.slos.itl.threshold: expected a string, got an integer 75: a duration is a string with its unit; did you mean "75ms"?`}},
		{"objective with a percent sign", `workloads: chat: slos: success: objective: "99%"`,
			false, []string{`spec.cue:16:44: workloads.chat.slos.success.objective: expected a number, got a string "99%": write the percentage as a number without %, objective: 99`}},
		{"objective as a fraction", `workloads: chat: slos: success: objective: 0.995`,
			false, []string{`spec.cue:16:44: workloads.chat.slos.success.objective: objective 0.995: write percent, did you mean 99.5?`}},
		{"objective one", `workloads: chat: slos: success: objective: 1`,
			false, []string{`spec.cue:16:44: workloads.chat.slos.success.objective: objective 1: write percent, did you mean 100?`}},
		{"engine name in engineVersion", `models: m2: {engine: "vllm", engineVersion: "vllm-0.11.0", selector: {job: "s"}, gpu: "h100"}`,
			false, []string{`spec.cue:16:45: models.m2.engineVersion: engineVersion is the version alone (engine says which engine): write engineVersion: "0.11.0"`}},
		{"negative price", `models: m1: pricing: {promptPerMillion: -0.1, generationPerMillion: 0.4}`,
			false, []string{`spec.cue:16:41: models.m1.pricing.promptPerMillion: price must not be negative (a price per million tokens, in USD)`}},
		{"slo null", `workloads: chat: slos: completeness: null`,
			false, []string{`spec.cue:16:38: workloads.chat.slos.completeness: expected a struct, got null: to turn off the preset's completeness SLO write completeness: false`}},
		{"slo true", `workloads: chat: slos: headroom: true`,
			false, []string{`spec.cue:16:34: workloads.chat.slos.headroom: expected a struct, got a boolean (true or false) true: write the SLO's fields, or headroom: false to turn the preset's SLO off`}},
		{"slo off and on", "workloads: chat: slos: completeness: false\nworkloads: chat: slos: completeness: objective: 90",
			false, []string{`spec.cue:16:38: workloads.chat.slos.completeness: completeness is set to false here and to an SLO elsewhere: keep one`}},
		{"empty slo model scope", `workloads: chat: slos: success: {objective: 99.5, models: []}`,
			false, []string{`spec.cue:16:59: workloads.chat.slos.success.models: models is empty: list some of the workload's models, or write success: false to turn the SLO off`}},
		{"missing environment", `gpus: h100: hourlyCost: 1
models: {}
workloads: {}
`, true, []string{`spec.cue:1:1: missing required field "environment" (a string)`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := base + tc.add + "\n"
			if tc.full {
				src = tc.add
			}
			s, ds := loadOne(t, src)
			var got []string
			for _, d := range ds.Errors() {
				got = append(got, d.String())
			}
			if s != nil {
				t.Errorf("spec accepted, want errors")
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("diagnostics:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(tc.want, "\n      "))
			}
		})
	}
	if len(cases) < 25 {
		t.Fatalf("only %d invalid specs", len(cases))
	}
}
