package dashboards

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/schema"
)

// TestConfigMapSizeLimit: a dashboard of exactly the API server's limit is
// wrapped; one byte more is a positioned error naming the dashboard and
// its size (a dashboard cannot be split across ConfigMaps).
func TestConfigMapSizeLimit(t *testing.T) {
	names, _ := filepath.Glob("../../examples/quickstart/*.cue")
	var files []schema.File
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, schema.File{Name: n, Data: data})
	}
	files = append(files, schema.File{Name: "k.cue", Data: []byte("kubernetes: {\n\tnamespace: \"obs\"\n\tdashboards: folder: \"LLM\"\n}\n")})
	s, ds := schema.LoadFiles(files)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	p, ds := plan.New(s)
	if p == nil {
		t.Fatal(ds.Err())
	}
	c := &ctx{p: p, hash: "0123abcd"}
	l := layer{slug: "overview", title: "Overview and SLOs"}
	arts, ds := c.dashboardObjects(p.Kubernetes(), l, bytes.Repeat([]byte("x"), MaxConfigMapData))
	if ds.HasErrors() || len(arts) != 1 {
		t.Fatalf("a dashboard of exactly %d bytes: %v, %d artifacts", MaxConfigMapData, ds.Err(), len(arts))
	}
	if !bytes.Contains(arts[0].Data, []byte("--server-side")) {
		t.Error("a 1 MiB ConfigMap does not say to apply server-side")
	}
	_, ds = c.dashboardObjects(p.Kubernetes(), l, bytes.Repeat([]byte("x"), MaxConfigMapData+1))
	err := ds.Err()
	if err == nil {
		t.Fatal("a dashboard over the ConfigMap limit is accepted")
	}
	for _, want := range []string{"k.cue:3:", "kubernetes.dashboards", "grafana/overview.json", "1048577 bytes", "1048576"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
