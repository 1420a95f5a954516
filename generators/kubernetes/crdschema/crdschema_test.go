package crdschema_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/inferobs/inferobs/generators/kubernetes/crdschema"
)

const podMonitor = `apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: m, namespace: llm}
spec:
  selector: {matchLabels: {app: m}}
  podMetricsEndpoints:
  - portNumber: 8000
    path: /metrics
    interval: 30s
    scheme: HTTP
    relabelings:
    - {action: replace, targetLabel: job, replacement: j}
`

// TestSchemaRefusesWhatTheAPIServerRefuses: the generated PodMonitor
// schema accepts a valid object and refuses a bad enum (scheme, relabel
// action), a port out of range and a malformed duration, as the API
// server would.
func TestSchemaRefusesWhatTheAPIServerRefuses(t *testing.T) {
	gvk := schema.GroupVersionKind{Group: crdschema.Group, Version: "v1", Kind: "PodMonitor"}
	check := func(src string) error {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(src), &obj); err != nil {
			t.Fatal(err)
		}
		return crdschema.Validate(gvk, obj)
	}
	if err := check(podMonitor); err != nil {
		t.Fatalf("valid PodMonitor refused: %v", err)
	}
	for _, c := range []struct{ from, to, want string }{
		{"scheme: HTTP", "scheme: FTP", "scheme"},
		{"action: replace", "action: rename", "action"},
		{"portNumber: 8000", "portNumber: 70000", "portNumber"},
		{"interval: 30s", "interval: 30sec", "interval"},
	} {
		err := check(strings.Replace(podMonitor, c.from, c.to, 1))
		t.Logf("%s: %v", c.to, err)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one naming %s", c.to, err, c.want)
		}
	}
}
