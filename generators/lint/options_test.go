package lint

import (
	"strings"
	"testing"

	"github.com/inferobs/inferobs/library"
)

func TestParseEngineFlag(t *testing.T) {
	tests := []struct {
		in      string
		engine  library.Engine
		version library.Version
		err     string
	}{
		{"vllm@0.16", library.VLLM, library.V(0, 16, 0), ""},
		{"vllm@v0.9.2", library.VLLM, library.V(0, 9, 2), ""},
		{"tgi@3.3", library.TGI, library.V(3, 3, 0), ""},
		{"VLLM", library.VLLM, library.Version{}, ""},
		{"", "", library.Version{}, ""},
		{"sglang@0.4", "", library.Version{}, `unknown engine "sglang"`},
		{"vllm@0.x", "", library.Version{}, "malformed version"},
		{"vllm@", "", library.Version{}, "malformed version"},
		{"vllm@0.1", "", library.Version{}, "vLLM 0.1 is outside the versions inferobs knows (0.4 to 0.25)"},
		{"tgi@1.0", "", library.Version{}, "TGI 1.0 is outside the versions inferobs knows"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			e, v, err := ParseEngineFlag(tc.in)
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
			case err != nil:
				t.Fatal(err)
			case e != tc.engine || v != tc.version:
				t.Errorf("got %s %v, want %s %v", e, v, tc.engine, tc.version)
			}
		})
	}
}

func TestEnginePrefixes(t *testing.T) {
	got := map[library.Engine]string{}
	for _, p := range enginePrefixes() {
		got[p.engine] = p.prefix
	}
	// The prefixes are derived from the catalogs; check them from the test.
	want := map[library.Engine]string{library.VLLM: "vllm:", library.TGI: "tgi_"}
	for e, p := range want {
		if got[e] != p {
			t.Errorf("prefix of %s = %q, want %q", e, got[e], p)
		}
	}
}
