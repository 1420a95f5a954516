package library

import "strings"

// Alert names inferobs's rules define: one burn-rate alert per SLO id
// (BurnAlertName) and the diagnostics below. Generators that route or
// inhibit alerts (Alertmanager) read them here, as the rules do.
const (
	AlertKVCacheThrash      = "LLMKVCacheThrash"
	AlertTensorIdle         = "LLMTensorCoresIdleUnderLoad"
	AlertTruncations        = "LLMStreamingTruncations"
	AlertQueueComputeBound  = "LLMQueueGrowingComputeBound"
	AlertGatewayTTFTGap     = "LLMGatewayTTFTDivergence"
	AlertTargetMissing      = "LLMEngineTargetMissing"
	AlertSpecDecodeBelowBE  = "LLMSpecDecodeBelowBreakEven"
	AlertGPUThermalSlowdown = "GPUThermalSlowdown"
	AlertGPUXIDError        = "GPUXIDError"
)

// ModelDiagnostics are the diagnostic alerts that carry a model label,
// besides AlertTargetMissing; GPUDiagnostics carry none.
var (
	ModelDiagnostics = []string{AlertKVCacheThrash, AlertTensorIdle, AlertTruncations,
		AlertQueueComputeBound, AlertGatewayTTFTGap, AlertSpecDecodeBelowBE}
	GPUDiagnostics = []string{AlertGPUThermalSlowdown, AlertGPUXIDError}
)

// DCGMJob is the job label of the DCGM exporter's series, whichever scrape
// (the collector's job, the operator's PodMonitor) writes them.
const DCGMJob = "dcgm-exporter"

// BurnAlertName is the burn-rate alert of an SLO id: "support-chat-ttft"
// becomes "SupportChatTTFTBudgetBurn".
func BurnAlertName(sloID string) string { return Camel(sloID) + "BudgetBurn" }

var acronyms = map[string]string{"ttft": "TTFT", "itl": "ITL", "e2e": "E2E", "rag": "RAG", "llm": "LLM", "gpu": "GPU", "kv": "KV"}

// Camel turns "support-chat-ttft" into "SupportChatTTFT".
func Camel(s string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		if a, ok := acronyms[strings.ToLower(part)]; ok {
			b.WriteString(a)
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	out := b.String()
	if out == "" || (out[0] >= '0' && out[0] <= '9') {
		out = "SLO" + out
	}
	return out
}
