package library

import (
	"strings"
	"testing"
	"time"
)

func TestSpanMetricsNames(t *testing.T) {
	tests := []struct {
		v                          Version
		unit                       string
		component, calls, duration string
		instanceID                 bool
	}{
		{V(0, 90, 0), "", "spanmetrics", "calls_total", "duration_milliseconds", false},
		{V(0, 108, 0), "ms", "spanmetrics", "calls_total", "duration_milliseconds", false},
		{V(0, 108, 0), "s", "spanmetrics", "calls_total", "duration_seconds", false},
		{V(0, 109, 0), "", "spanmetrics", "traces_span_metrics_calls_total", "traces_span_metrics_duration_milliseconds", false},
		{V(0, 136, 0), "s", "spanmetrics", "traces_span_metrics_calls_total", "traces_span_metrics_duration_seconds", false},
		{V(0, 145, 0), "", "spanmetrics", "traces_span_metrics_calls_total", "traces_span_metrics_duration_milliseconds", false},
		{V(0, 150, 0), "", "spanmetrics", "traces_span_metrics_calls_total", "traces_span_metrics_duration_milliseconds", false},
		{V(0, 151, 0), "", "span_metrics", "traces_span_metrics_calls_total", "traces_span_metrics_duration_milliseconds", false},
		{V(0, 152, 0), "ms", "span_metrics", "traces_span_metrics_calls_total", "traces_span_metrics_duration_milliseconds", true},
	}
	for _, tc := range tests {
		sm, err := SpanMetricsFor(tc.v, tc.unit)
		if err != nil {
			t.Fatalf("SpanMetricsFor(%s, %q): %v", tc.v, tc.unit, err)
		}
		if sm.Component != tc.component || sm.CallsSeries != tc.calls || sm.DurationFamily != tc.duration {
			t.Errorf("%s %q: got %s %s %s, want %s %s %s", tc.v, tc.unit, sm.Component, sm.CallsSeries, sm.DurationFamily, tc.component, tc.calls, tc.duration)
		}
		if got := sm.Labels.CollectorInstanceID != ""; got != tc.instanceID {
			t.Errorf("%s: collector_instance_id present = %v, want %v", tc.v, got, tc.instanceID)
		}
		if (sm.Namespace == "") != tc.v.Less(V(0, 109, 0)) {
			t.Errorf("%s: namespace %q", tc.v, sm.Namespace)
		}
		if sm.StatusError != "STATUS_CODE_ERROR" || sm.LeStyle != LeGo {
			t.Errorf("%s: status %q le style %q", tc.v, sm.StatusError, sm.LeStyle)
		}
		if (sm.LegacyComponent != "") != (sm.Component == "span_metrics") {
			t.Errorf("%s: legacy component %q with component %q", tc.v, sm.LegacyComponent, sm.Component)
		}
	}
}

func TestSpanMetricsLabelsAndBuckets(t *testing.T) {
	sm, err := SpanMetricsFor(V(0, 152, 0), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sm.Labels.All(), ","); got != "service_name,span_name,span_kind,status_code,collector_instance_id" {
		t.Errorf("labels %s", got)
	}
	if sm.Unit != "ms" || len(sm.DefaultBuckets) != 16 {
		t.Fatalf("unit %q, %d default buckets", sm.Unit, len(sm.DefaultBuckets))
	}
	for i := 1; i < len(sm.DefaultBuckets); i++ {
		if sm.DefaultBuckets[i] <= sm.DefaultBuckets[i-1] {
			t.Errorf("default bucket %d not increasing", i)
		}
	}
	ms := sm.DefaultBounds()
	if ms[0] != 2 || ms[len(ms)-1] != 15000 || sm.LeStyle.LeText(sm.Bound(time.Second)) != "1000" {
		t.Errorf("ms bounds %v", ms)
	}
	secs, _ := SpanMetricsFor(V(0, 152, 0), "s")
	var texts []string
	for _, b := range secs.DefaultBounds() {
		texts = append(texts, secs.LeStyle.LeText(b))
	}
	if got := strings.Join(texts, ","); got != "0.002,0.004,0.006,0.008,0.01,0.05,0.1,0.2,0.4,0.8,1,1.4,2,5,10,15" {
		t.Errorf("seconds le texts %s", got)
	}
}

func TestSpanMetricsRejects(t *testing.T) {
	tests := []struct {
		v       Version
		unit    string
		wantErr string
	}{
		{V(0, 89, 0), "", "outside the versions inferobs knows"},
		{V(0, 160, 0), "", "outside the versions inferobs knows"},
		{V(0, 120, 0), "us", `unit "us"`},
	}
	for _, tc := range tests {
		_, err := SpanMetricsFor(tc.v, tc.unit)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("SpanMetricsFor(%s, %q) error = %v, want %q", tc.v, tc.unit, err, tc.wantErr)
		}
	}
}

func TestPromLabelName(t *testing.T) {
	tests := map[string]string{
		"gen_ai.request.model":  "gen_ai_request_model",
		"gen_ai.provider.name":  "gen_ai_provider_name",
		"service.name":          "service_name",
		"http.response.status":  "http_response_status",
		"tenant":                "tenant",
		"k8s.pod-name":          "k8s_pod_name",
		"2xx.count":             "key_2xx_count",
		"collector.instance.id": "collector_instance_id",
	}
	for in, want := range tests {
		if got := PromLabelName(in); got != want {
			t.Errorf("PromLabelName(%q) = %q, want %q", in, got, want)
		}
	}
	if a := GenAIProviderAttrs(); len(a) != 2 || a[1] != "gen_ai.system" {
		t.Errorf("provider attrs %v", a)
	}
}
