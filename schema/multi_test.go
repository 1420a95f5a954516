package schema

import (
	"strings"
	"testing"

	"github.com/inferobs/inferobs/schema/diag"
)

func TestFilesShareOneScope(t *testing.T) {
	a := File{Name: "a.cue", Data: []byte("package monitoring\n_price: 3.2\n_declared: models\nenvironment: \"e\"\n")}
	b := File{Name: "b.cue", Data: []byte(`gpus: h100: hourlyCost: _price
models: m1: {engine: "vllm", engineVersion: "0.16", selector: {job: "v"}, gpu: "h100", replicas: 2}
workloads: w: {class: "code", models: [for k, _ in _declared {k}]}
`)}
	s, ds := LoadFiles([]File{b, a})
	if s == nil {
		t.Fatalf("rejected: %v", ds)
	}
	if s.GPUs["h100"].HourlyCost != 3.2 || s.Models["m1"].Replicas != 2 || strings.Join(s.Workloads["w"].Models, ",") != "m1" {
		t.Fatalf("cross-file references not resolved: %+v %+v", s.GPUs, s.Workloads)
	}
}

func TestDuplicateNamesAcrossFiles(t *testing.T) {
	a := File{Name: "a.cue", Data: []byte(base)}
	b := File{Name: "b.cue", Data: []byte("models: {\n\tm1: {engine: \"vllm\", engineVersion: \"0.11.0\", selector: {job: \"vllm\"}, gpu: \"h100\"}\n}\ntenants: acme: {}\n")}
	s, ds := LoadFiles([]File{a, b})
	if s != nil {
		t.Fatal("duplicate names accepted")
	}
	want := []string{
		`b.cue:2:2: models.m1: model "m1" is also declared in a.cue:3:9; names must be unique across spec files`,
		`b.cue:4:10: tenants.acme: tenant "acme" is also declared in a.cue:9:11; names must be unique across spec files`,
	}
	var got []string
	for _, d := range ds.Errors() {
		got = append(got, d.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFileOrderDoesNotMatter(t *testing.T) {
	a := File{Name: "a.cue", Data: []byte(base)}
	b := File{Name: "b.cue", Data: []byte("models: m1: replcas: 1\ntenants: initech: {}\n")}
	_, d1 := LoadFiles([]File{a, b})
	_, d2 := LoadFiles([]File{b, a})
	if len(d1) == 0 || fmtList(d1) != fmtList(d2) {
		t.Fatalf("order changed diagnostics:\n%s\n---\n%s", fmtList(d1), fmtList(d2))
	}
}

func fmtList(ds diag.List) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String() + "\n")
	}
	return b.String()
}
