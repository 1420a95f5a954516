package synth_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/inferobs/inferobs/generators/cardinality/synth"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/schema"
)

const spec = `environment: "test"
gpus: h100: hourlyCost: 3.2
models: {
	v: {engine: "vllm", engineVersion: "%s", selector: {job: "v"}, gpu: "h100", dataParallel: 2}
	t: {engine: "tgi", engineVersion: "3.3", selector: {job: "t"}, gpu: "h100"}
}
workloads: w: {class: "chat", models: ["v", "t"]}
`

func TestExposition(t *testing.T) {
	cases := []struct {
		version              string
		created, engineLabel bool
	}{
		{"0.7.0", false, false},
		{"0.8.0", true, false},
		{"0.11.0", true, true},
	}
	for _, c := range cases {
		t.Run(c.version, func(t *testing.T) {
			s, ds := schema.LoadFiles([]schema.File{{Name: "spec.cue", Data: []byte(strings.Replace(spec, "%s", c.version, 1))}})
			if s == nil {
				t.Fatal(ds.Err())
			}
			p, ds := plan.New(s)
			if p == nil {
				t.Fatal(ds.Err())
			}
			for _, m := range p.Models {
				a, b := synth.Exposition(m, 0), synth.Exposition(m, 0)
				if !bytes.Equal(a, b) {
					t.Fatalf("%s: exposition is not deterministic", m.Name)
				}
				parser := expfmt.NewTextParser(model.LegacyValidation)
				if _, err := parser.TextToMetricFamilies(bytes.NewReader(a)); err != nil {
					t.Fatalf("%s: %v", m.Name, err)
				}
				if m.Name != "v" {
					if bytes.Contains(a, []byte("_created")) {
						t.Errorf("TGI exposes no _created series")
					}
					continue
				}
				if got := bytes.Contains(a, []byte("_created{")); got != c.created {
					t.Errorf("_created series: %v, want %v", got, c.created)
				}
				if got := bytes.Contains(a, []byte(`engine="1"`)); got != c.engineLabel {
					t.Errorf("engine label: %v, want %v", got, c.engineLabel)
				}
			}
			tl := synth.TargetLabels(p.Models[0], 1)
			if tl.Get("job") == "" || tl.Get("instance") == "" || tl.Get("pod") == "" {
				t.Errorf("target labels %s", tl)
			}
		})
	}
}

// TGI expositions follow the version and the spec: duration buckets from
// 0.0001×1.5, skipped tokens as a histogram with le="0" before 2.3, token
// buckets from maxInputTokens, and the instance on the model's port.
func TestTGIExposition(t *testing.T) {
	const src = `environment: "test"
gpus: h100: hourlyCost: 3.2
models: {
	t22: {engine: "tgi", engineVersion: "2.2", selector: {job: "t22"}, gpu: "h100", maxInputTokens: 2047, maxTotalTokens: 2048}
	t32: {engine: "tgi", engineVersion: "3.2", selector: {job: "t32"}, gpu: "h100", metricsPort: 3000}
}
workloads: w: {class: "chat", models: ["t22", "t32"]}
`
	s, ds := schema.LoadFiles([]schema.File{{Name: "spec.cue", Data: []byte(src)}})
	if s == nil {
		t.Fatal(ds.Err())
	}
	p, ds := plan.New(s)
	if p == nil {
		t.Fatal(ds.Err())
	}
	want := map[string]struct {
		port       string
		has, lacks []string
	}{
		"t22": {"80", []string{
			`tgi_request_duration_bucket{le="0.00015000000000000001"}`, `tgi_request_duration_bucket{le="145.61096060497135"}`,
			`tgi_request_skipped_tokens_bucket{le="0"}`, `tgi_request_input_length_bucket{le="2047"}`, `tgi_request_generated_tokens_bucket{le="2048"}`,
		}, []string{`le="0.0001"`, `tgi_request_skipped_tokens{quantile`, `reason="chunking"`}},
		"t32": {"3000", []string{`tgi_request_skipped_tokens{quantile="0.5"}`, `reason="chunking"`, `tgi_request_input_length_bucket{le="4095.0000000000005"}`},
			[]string{`le="0.0001"`, `tgi_request_skipped_tokens_bucket`}},
	}
	for _, m := range p.Models {
		w := want[m.Name]
		a := string(synth.Exposition(m, 0))
		for _, h := range w.has {
			if !strings.Contains(a, h) {
				t.Errorf("%s: exposition lacks %s", m.Name, h)
			}
		}
		for _, l := range w.lacks {
			if strings.Contains(a, l) {
				t.Errorf("%s: exposition has %s", m.Name, l)
			}
		}
		if got := synth.TargetLabels(m, 0).Get("instance"); got != m.Name+"-0:"+w.port {
			t.Errorf("%s: instance %s, want port %s", m.Name, got, w.port)
		}
	}
}
