package library

import (
	"fmt"
	"strings"
	"time"
)

// The OpenTelemetry collector-contrib spanmetrics connector, and the
// Prometheus names its metrics get after the OTel->Prometheus translation
// (dots to underscores, unit words, _total on monotonic sums). Sources:
// connector/spanmetricsconnector metadata.yaml, factory.go, connector.go and
// generated_feature_gates.go; release notes of collector-contrib.

// Collector-contrib versions where the connector's output or key changed.
var (
	otelcolOldest = V(0, 90, 0)
	// 0.109.0 added the default namespace traces.span.metrics (#33227,
	// PR #34485); the alpha gate connector.spanmetrics.legacyMetricNames
	// turns it off again.
	otelcolNamespace = V(0, 109, 0)
	// UNCERTAIN: the connector type became span_metrics (deprecated alias
	// spanmetrics, which still works with a warning) in PR #47963, opened
	// 2026-04-28. The contrib changelog itself was not read; DataDog's
	// upgrade notes for contrib v0.151.0 (datadog-agent #50204, 2026-04-30)
	// list "spanmetrics -> span_metrics" among its deprecations. If this is
	// one release early, a v0.151.x collector rejects the new key: set
	// SpanMetrics.Component to LegacyComponent for it.
	otelcolSnakeCase = V(0, 151, 0)
	// UNCERTAIN: collector.instance.id became a default dimension when
	// connector.spanmetrics.includeCollectorInstanceID went beta (PR #48146,
	// opened 2026-05-05). The gate exists, off, from 0.136.0. DataDog's
	// examples (#238, 2026-05-13) call it beta in v0.152.0.
	otelcolInstanceIDGate    = V(0, 136, 0)
	otelcolInstanceIDDefault = V(0, 152, 0)
	// otelcolUntil is the first version not vouched for (v0.158.0 was out
	// in 2026-08).
	otelcolUntil = V(0, 160, 0)
)

// SpanMetricsKnown is the range of collector-contrib versions
// SpanMetricsFor accepts.
func SpanMetricsKnown() Range { return Range{Since: otelcolOldest, Until: otelcolUntil} }

// Connector keys and feature gates.
const (
	// SpanMetricsLegacyComponent is the connector key every version accepts
	// (deprecated from the span_metrics rename on).
	SpanMetricsLegacyComponent = "spanmetrics"
	// SpanMetricsComponent is the key after the rename.
	SpanMetricsComponent = "span_metrics"
	// SpanMetricsDefaultNamespace is the OTel name prefix from 0.109.0.
	SpanMetricsDefaultNamespace = "traces.span.metrics"
	// GateSpanMetricsLegacyNames drops the namespace again (alpha, off).
	GateSpanMetricsLegacyNames = "connector.spanmetrics.legacyMetricNames"
	// GateSpanMetricsInstanceID adds collector.instance.id to every series.
	GateSpanMetricsInstanceID = "connector.spanmetrics.includeCollectorInstanceID"
	// GateSpanMetricsSeconds makes "s" the default unit (alpha, off; the
	// README announces the flip). Generators write histogram.unit
	// explicitly so the flip cannot rename the duration family.
	GateSpanMetricsSeconds = "connector.spanmetrics.useSecondAsDefaultMetricsUnit"
)

// Span kind and status values the connector writes into span_kind and
// status_code (traceutil.SpanKindStr, StatusCodeStr).
const (
	SpanKindServer   = "SPAN_KIND_SERVER"
	SpanKindClient   = "SPAN_KIND_CLIENT"
	SpanKindInternal = "SPAN_KIND_INTERNAL"
	StatusCodeError  = "STATUS_CODE_ERROR"
	StatusCodeOK     = "STATUS_CODE_OK"
	StatusCodeUnset  = "STATUS_CODE_UNSET"
)

// GenAI semantic-convention attributes used as spanmetrics dimensions.
// All are Development status.
const (
	AttrGenAIRequestModel  = "gen_ai.request.model"
	AttrGenAIResponseModel = "gen_ai.response.model"
	AttrGenAIOperationName = "gen_ai.operation.name"
	AttrGenAIProviderName  = "gen_ai.provider.name"
	// AttrGenAISystem is the name gen_ai.provider.name replaced in semconv
	// v1.37.0; instrumentations built on v1.36.0 or older still send it
	// unless OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental.
	AttrGenAISystem = "gen_ai.system"
)

// GenAIProviderAttrs returns the provider attribute in both spellings,
// current first; a dimension list should carry both.
func GenAIProviderAttrs() []string { return []string{AttrGenAIProviderName, AttrGenAISystem} }

// SpanMetricsLabels are the Prometheus label names of the default dimensions.
type SpanMetricsLabels struct {
	ServiceName string // service_name
	SpanName    string // span_name
	SpanKind    string // span_kind
	StatusCode  string // status_code
	// CollectorInstanceID is collector_instance_id where the version adds it
	// by default, else "". Sum it away: each collector writes its own series.
	CollectorInstanceID string
}

// All returns the non-empty label names in a stable order.
func (l SpanMetricsLabels) All() []string {
	var out []string
	for _, s := range []string{l.ServiceName, l.SpanName, l.SpanKind, l.StatusCode, l.CollectorInstanceID} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// SpanMetrics is what the spanmetrics connector of one collector version
// produces with default settings and a given histogram unit.
type SpanMetrics struct {
	CollectorVersion Version
	// Component is the connector key to write in the collector config.
	Component string
	// LegacyComponent is the deprecated key the version still accepts
	// ("spanmetrics" after the rename, "" before it).
	LegacyComponent string
	// Namespace is the OTel metric-name prefix ("" before 0.109.0).
	Namespace string
	// Unit is the histogram unit written to the config: "ms" or "s".
	Unit string
	// CallsSeries is the Prometheus counter of spans, with _total.
	CallsSeries string
	// DurationFamily is the Prometheus histogram base name; append
	// _bucket, _sum or _count.
	DurationFamily string
	// LeStyle is how the le text of remote-written series looks. The
	// translator prints without exponents, which matches LeGo for every
	// boundary from 0.0001 to 999999 (the defaults in both units).
	LeStyle LeStyle
	Labels  SpanMetricsLabels
	// StatusError is the status_code value of a failed span.
	StatusError string
	// DefaultBuckets are the explicit histogram boundaries when the config
	// sets none (defaultHistogramBucketsMs).
	DefaultBuckets []time.Duration
	// InstanceIDGate is GateSpanMetricsInstanceID where the gate exists
	// (0.136.0 on), else "".
	InstanceIDGate string
}

// spanMetricsDefaultBuckets are the connector's defaults, in milliseconds.
var spanMetricsDefaultBuckets = []time.Duration{
	2 * time.Millisecond, 4 * time.Millisecond, 6 * time.Millisecond, 8 * time.Millisecond,
	10 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond,
	400 * time.Millisecond, 800 * time.Millisecond, time.Second, 1400 * time.Millisecond,
	2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second,
}

// promUnitWords maps UCUM time units to the words the OTel->Prometheus
// translation appends (pkg/translator/prometheus unitMap).
var promUnitWords = map[string]string{"ms": "milliseconds", "s": "seconds"}

// SpanMetricsFor returns the connector's naming at a collector-contrib
// version. unit is "ms", "s", or "" for the default (ms).
func SpanMetricsFor(collectorVersion Version, unit string) (SpanMetrics, error) {
	if !SpanMetricsKnown().Contains(collectorVersion) {
		return SpanMetrics{}, fmt.Errorf("collector-contrib %s is outside the versions inferobs knows (%s to %s)",
			collectorVersion, otelcolOldest, V(otelcolUntil.Major, otelcolUntil.Minor-1, 0).Short()+".x")
	}
	if unit == "" {
		unit = "ms"
	}
	word, ok := promUnitWords[unit]
	if !ok {
		return SpanMetrics{}, fmt.Errorf("spanmetrics histogram unit %q: want \"ms\" or \"s\"", unit)
	}
	sm := SpanMetrics{
		CollectorVersion: collectorVersion,
		Component:        SpanMetricsLegacyComponent,
		Unit:             unit,
		LeStyle:          LeGo,
		StatusError:      StatusCodeError,
		DefaultBuckets:   append([]time.Duration(nil), spanMetricsDefaultBuckets...),
		Labels: SpanMetricsLabels{
			ServiceName: PromLabelName("service.name"),
			SpanName:    PromLabelName("span.name"),
			SpanKind:    PromLabelName("span.kind"),
			StatusCode:  PromLabelName("status.code"),
		},
	}
	if !collectorVersion.Less(otelcolSnakeCase) {
		sm.Component, sm.LegacyComponent = SpanMetricsComponent, SpanMetricsLegacyComponent
	}
	if !collectorVersion.Less(otelcolNamespace) {
		sm.Namespace = SpanMetricsDefaultNamespace
	}
	if !collectorVersion.Less(otelcolInstanceIDGate) {
		sm.InstanceIDGate = GateSpanMetricsInstanceID
	}
	if !collectorVersion.Less(otelcolInstanceIDDefault) {
		sm.Labels.CollectorInstanceID = PromLabelName("collector.instance.id")
	}
	prefix := ""
	if sm.Namespace != "" {
		prefix = PromLabelName(sm.Namespace) + "_"
	}
	sm.CallsSeries = prefix + "calls_total"
	sm.DurationFamily = prefix + "duration_" + word
	return sm, nil
}

// Bound converts a duration to the histogram's unit, the number an le
// label and a PromQL threshold use. It converts the way the connector does
// (float milliseconds, or Duration.Seconds).
func (s SpanMetrics) Bound(d time.Duration) float64 {
	if s.Unit == "s" {
		return float64(d.Nanoseconds()) / float64(time.Second) // as the connector converts, not d.Seconds()
	}
	return float64(d) / float64(time.Millisecond)
}

// DefaultBounds returns DefaultBuckets in the histogram's unit.
func (s SpanMetrics) DefaultBounds() []float64 {
	out := make([]float64, len(s.DefaultBuckets))
	for i, d := range s.DefaultBuckets {
		out[i] = s.Bound(d)
	}
	return out
}

// PromLabelName turns an OTel attribute name into the Prometheus label the
// classic translation produces: every character outside [a-zA-Z0-9_]
// becomes "_", and a leading digit gets a "key_" prefix
// (specification/compatibility/prometheus_and_openmetrics.md). A UTF-8
// translation strategy would keep the dots; inferobs assumes the classic one.
func PromLabelName(otelAttr string) string {
	var b strings.Builder
	for _, r := range otelAttr {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		s = "key_" + s
	}
	return s
}
