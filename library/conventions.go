package library

import (
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Names of the series inferobs records, following level:metric:operations.
// Rules, dashboards, tests and the linter all take them from here.
const (
	// SLI event rates over the 5m base window, one series per SLO instance
	// (labels slo, workload, model, tenant where per tenant).
	RecSLIGood  = "slo:sli_good:rate5m"
	RecSLITotal = "slo:sli_total:rate5m"
	// RecSLIGoodSampled and RecSLITotalSampled copy the 5m rates every 5
	// minutes, so long windows read one sample per 5 minutes.
	RecSLIGoodSampled  = "slo:sli_good:rate5m_sampled"
	RecSLITotalSampled = "slo:sli_total:rate5m_sampled"
	// RecObjective, RecErrorBudget and RecBudgetRemaining are per-SLO
	// constants and the share of the period's budget left.
	RecObjective       = "slo:objective:ratio"
	RecErrorBudget     = "slo:error_budget:ratio"
	RecBudgetRemaining = "slo:error_budget_remaining:ratio"
	// RecHeadroomOK is 1 when the queue is within the headroom SLO, else 0.
	RecHeadroomOK = "slo:headroom_ok:bool"

	RecRequestsRunning = "model:requests_running:sum"
	RecRequestsWaiting = "model:requests_waiting:sum"
	RecKVCacheUsage    = "model:kv_cache_usage:max"
	RecPreemptions     = "model:preemptions:rate5m"
	RecRequests        = "model:requests_finished:rate5m"
	RecPrefixHitRatio  = "model:prefix_cache_hit:ratio_rate5m"
	RecSpecAcceptance  = "model:spec_decode_acceptance:ratio_rate5m"
	RecTokensPerGPUSec = "model:generation_tokens_per_gpu_second:rate5m"
	RecTensorActive    = "model:gpu_tensor_active:avg"
	// RecPodTensorActive is the mean tensor-pipe activity of each pod's
	// GPUs (labels namespace, pod): recorded once for all models, which
	// then read their pods from it instead of every GPU's DCGM series.
	RecPodTensorActive  = "namespace_pod:gpu_tensor_active:avg"
	RecTokenPrice       = "model:token_price:currency"          // labels model, token_type, currency
	RecTokenSpend       = "model:token_spend:currency_per_hour" // labels model, token_type, currency
	RecGPUCost          = "model:gpu_cost:currency_per_hour"    // running replicas × GPU price
	RecEffectiveCost    = "model:effective_cost_per_generated_token:currency"
	RecTenantSpend      = "tenant:token_spend:currency_per_hour" // labels tenant, model, currency
	RecTenantGPUCost    = "tenant:gpu_cost:currency_per_hour"    // GPU cost apportioned by request share
	RecTenantRequests   = "tenant:gateway_requests:rate5m"
	RecTenantErrorRatio = "tenant:gateway_errors:ratio_rate5m"
)

// Label names inferobs puts on what it records and alerts.
const (
	LabelSLO       = "slo"
	LabelWorkload  = "workload"
	LabelModel     = "model"
	LabelTenant    = "tenant"
	LabelSeverity  = "severity"
	LabelTier      = "tier" // tells the burn-rate tiers of one SLO apart
	LabelTokenType = "token_type"
	LabelCurrency  = "currency"
	LabelEnv       = "environment"
	LabelQuantile  = "quantile"
)

// RecPodTensorActiveOver is each pod's GPUs' mean of their tensor-pipe
// activity averaged over a window, e.g.
// namespace_pod:gpu_tensor_active:avg_over_time10m.
func RecPodTensorActiveOver(window time.Duration) string {
	return "namespace_pod:gpu_tensor_active:avg_over_time" + WindowName(window)
}

// RecTokens is the recorded rate of prompt or generation tokens per model.
func RecTokens(tokenType string) string { return "model:" + tokenType + "_tokens:rate5m" }

// RecSLIErrorRatio is the recorded error ratio of an SLO over a window.
func RecSLIErrorRatio(window time.Duration) string {
	return "slo:sli_error:ratio_rate" + WindowName(window)
}

// RecBurnRate is the recorded burn rate (error ratio / budget) over a window.
func RecBurnRate(window time.Duration) string { return "slo:burn_rate:ratio_rate" + WindowName(window) }

// RecQuantile is the recorded quantile q of a latency family per model, e.g.
// model:vllm_time_to_first_token_seconds:p95_rate5m.
func RecQuantile(family string, q float64) string {
	return "model:" + SanitizeName(family) + ":" + QuantileName(q) + "_rate5m"
}

// RecBucketRate is the recorded bucket rate of a latency histogram per
// model (summed by le over the 5m rate window), which its quantiles read,
// e.g. model:vllm_time_to_first_token_seconds_bucket:rate5m.
func RecBucketRate(family string) string {
	return "model:" + SanitizeName(family) + "_bucket:rate5m"
}

// RecTenantBucketRate is the recorded bucket rate of a gateway span's
// durations per tenant and model, which its quantiles read.
func RecTenantBucketRate(family, span string) string {
	return "tenant:" + SanitizeName(family) + "_" + SanitizeName(span) + "_bucket:rate5m"
}

// RecTenantQuantile is the recorded gateway quantile per tenant and model.
func RecTenantQuantile(family, span string, q float64) string {
	return "tenant:" + SanitizeName(family) + "_" + SanitizeName(span) + ":" + QuantileName(q) + "_rate5m"
}

// QuantileName prints 0.5 as p50, 0.95 as p95 and 0.999 as p999.
func QuantileName(q float64) string {
	digits := strings.TrimPrefix(strconv.FormatFloat(q, 'f', -1, 64), "0.")
	if len(digits) < 2 {
		digits += "0"
	}
	return "p" + digits
}

// Quantiles are the latency quantiles inferobs records.
func Quantiles() []float64 { return []float64{0.5, 0.9, 0.95, 0.99} }

// WindowName prints a window the way Prometheus durations read: 5m, 1h, 1d, 30d.
func WindowName(d time.Duration) string { return model.Duration(d).String() }

// SanitizeName turns a metric name into a recording-rule name component
// (colons are reserved for the level:metric:operations separators).
func SanitizeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Series Prometheus itself writes.
const (
	// AlertsSeries is the series Prometheus exposes for active alerts.
	AlertsSeries = "ALERTS"
	// UpSeries is 1 for each target whose last scrape succeeded.
	UpSeries = "up"
)
