package library

import (
	"fmt"
	"strings"
	"testing"
)

// boundaryVersions are patch releases where a family appears, disappears or
// changes buckets, checked on top of every release line.
var boundaryVersions = map[Engine][]Version{
	VLLM: {V(0, 4, 2), V(0, 5, 3), V(0, 6, 4), V(0, 8, 3), V(0, 8, 4), V(0, 8, 5), V(0, 9, 2), V(0, 11, 0), V(0, 12, 0), V(0, 15, 0)},
	TGI:  {V(2, 3, 0), V(2, 3, 1)},
}

// lookupSafe turns Lookup's duplicate-role panic into an error.
func lookupSafe(e Engine, v Version) (c *Catalog, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return Lookup(e, v)
}

func versionsToCheck(t *testing.T, e Engine) []Version {
	t.Helper()
	info, ok := Info(e)
	if !ok {
		t.Fatalf("Info(%s) not found", e)
	}
	return append(append([]Version(nil), info.Releases...), boundaryVersions[e]...)
}

func TestCatalogsAreConsistent(t *testing.T) {
	for _, e := range Engines() {
		for _, v := range versionsToCheck(t, e) {
			t.Run(string(e)+"-"+v.String(), func(t *testing.T) {
				c, err := lookupSafe(e, v)
				if err != nil {
					t.Fatalf("Lookup: %v", err)
				}
				names := map[string]bool{}
				for _, m := range c.Metrics() {
					if names[m.Name] {
						t.Errorf("%s exposed twice", m.Name)
					}
					names[m.Name] = true
					if m.Help == "" {
						t.Errorf("%s has no help", m.Name)
					}
					if m.Type == Histogram {
						checkBuckets(t, m)
					}
					if m.Type != Counter {
						continue
					}
					hasTotal := strings.HasSuffix(m.Name, "_total")
					if e == VLLM && !hasTotal {
						t.Errorf("vLLM counter %s lacks _total", m.Name)
					}
					if e == TGI && hasTotal {
						t.Errorf("TGI counter %s carries _total", m.Name)
					}
				}
			})
		}
	}
}

func checkBuckets(t *testing.T, m Metric) {
	t.Helper()
	if len(m.Buckets) == 0 {
		t.Errorf("histogram %s has no buckets", m.Name)
		return
	}
	for i := 1; i < len(m.Buckets); i++ {
		if !(m.Buckets[i] > m.Buckets[i-1]) {
			t.Errorf("histogram %s: bucket %d (%g) not above %g", m.Name, i, m.Buckets[i], m.Buckets[i-1])
		}
	}
}

func TestLookupRejectsUnknown(t *testing.T) {
	tests := []struct {
		name    string
		engine  Engine
		v       Version
		wantErr string
	}{
		{"engine", Engine("sglang"), V(0, 1, 0), `unknown engine "sglang"`},
		{"vllm too old", VLLM, V(0, 3, 3), "outside the versions inferobs knows"},
		{"vllm too new", VLLM, V(0, 26, 0), "outside the versions inferobs knows"},
		{"tgi too old", TGI, V(1, 4, 5), "outside the versions inferobs knows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Lookup(tc.engine, tc.v)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Lookup(%s, %s) error = %v, want it to contain %q", tc.engine, tc.v, err, tc.wantErr)
			}
		})
	}
}

func TestKeyFacts(t *testing.T) {
	has := func(e Engine, v Version, name string) bool {
		t.Helper()
		_, ok := MustLookup(e, v).ByName(name)
		return ok
	}
	tests := []struct {
		engine Engine
		v      Version
		name   string
		want   bool
	}{
		{VLLM, V(0, 11, 0), "vllm:kv_cache_usage_perc", true},
		{VLLM, V(0, 11, 0), "vllm:time_per_output_token_seconds", true},
		{VLLM, V(0, 11, 0), "vllm:inter_token_latency_seconds", true},
		{VLLM, V(0, 12, 0), "vllm:gpu_cache_usage_perc", false},
		{VLLM, V(0, 16, 0), "vllm:time_per_output_token_seconds", false},
		{VLLM, V(0, 10, 0), "vllm:gpu_prefix_cache_hits_total", true},
		{VLLM, V(0, 8, 0), "vllm:num_requests_swapped", false},
		{TGI, V(3, 3, 0), "tgi_request_success", true},
		{TGI, V(3, 3, 0), "tgi_request_success_total", false},
	}
	for _, tc := range tests {
		if got := has(tc.engine, tc.v, tc.name); got != tc.want {
			t.Errorf("%s %s exposes %s = %v, want %v", tc.engine, tc.v, tc.name, got, tc.want)
		}
	}
	for _, v := range versionsToCheck(t, TGI) {
		if _, ok := MustLookup(TGI, v).ByRole(RoleTTFT); ok {
			t.Errorf("TGI %s has a TTFT histogram", v)
		}
	}
	if m, _ := MustLookup(VLLM, V(0, 11, 0)).ByRole(RoleITL); m.Name != "vllm:inter_token_latency_seconds" {
		t.Errorf("vLLM 0.11 RoleITL = %s, want vllm:inter_token_latency_seconds", m.Name)
	}
	if m, _ := MustLookup(VLLM, V(0, 9, 2)).ByRole(RoleKVCacheUsage); m.Name != "vllm:kv_cache_usage_perc" {
		t.Errorf("vLLM 0.9.2 RoleKVCacheUsage = %s, want vllm:kv_cache_usage_perc", m.Name)
	}
}

func TestLeText(t *testing.T) {
	tests := []struct {
		style LeStyle
		b     float64
		want  string
	}{
		{LePython, 1, "1.0"},
		{LePython, 0.075, "0.075"},
		{LePython, 2560, "2560.0"},
		{LePython, 7680, "7680.0"},
		{LeGo, 1000, "1000"},
		{LeGo, 0.002, "0.002"},
		{LeRust, 1, "1"},
	}
	for _, tc := range tests {
		if got := tc.style.LeText(tc.b); got != tc.want {
			t.Errorf("%s.LeText(%g) = %q, want %q", tc.style, tc.b, got, tc.want)
		}
	}
}
