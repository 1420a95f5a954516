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
