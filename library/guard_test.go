package library_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/inferobs/inferobs/library"
)

// The catalog guard: facts per engine version, written from the upstream
// sources (TGI router/src/server.rs, launcher/src/main.rs and
// backends/v3/src/backend.rs at the tags named; vLLM
// vllm/v1/metrics/loggers.py, spec_decode/metrics.py and perf.py at the
// tags named; dcgm-exporter etc/default-counters.csv at its tags) and kept
// apart from the catalog data on purpose: a change to either alone fails.

// families lists every family a version exposes by default, one per line:
// "name type label,label" with every label the family carries (common
// labels included). The list is exact: a family missing from the catalog,
// or one the catalog has and the list lacks, fails.
type versionFacts struct {
	engine   library.Engine
	version  library.Version
	port     int
	families string
}

const tgiFamilies22 = `
tgi_request_count counter
tgi_request_success counter
tgi_request_failure counter err
tgi_request_duration histogram
tgi_request_validation_duration histogram
tgi_request_queue_duration histogram
tgi_request_inference_duration histogram
tgi_request_mean_time_per_token_duration histogram
tgi_request_input_length histogram
tgi_request_max_new_tokens histogram
tgi_request_generated_tokens histogram
tgi_request_skipped_tokens histogram
tgi_queue_size gauge
tgi_batch_current_size gauge
tgi_batch_current_max_tokens gauge
tgi_batch_next_size histogram
tgi_batch_concat counter reason
tgi_batch_inference_count counter method
tgi_batch_inference_success counter method
tgi_batch_inference_failure counter method
tgi_batch_inference_duration histogram method
tgi_batch_forward_duration histogram method
tgi_batch_decode_duration histogram method
tgi_batch_filter_duration histogram method
tgi_batch_concat_duration histogram method
`

// From v2.3.0 the skipped-tokens bucket config is commented out (a summary);
// v2.3.1 (#2595) adds tgi_batch_max_total_tokens.
var tgiFamilies32 = strings.Replace(tgiFamilies22, "tgi_request_skipped_tokens histogram", "tgi_request_skipped_tokens summary", 1) + "tgi_batch_max_total_tokens gauge\n"

const vllmFamilies0201 = `
vllm:num_requests_running gauge model_name,engine
vllm:num_requests_waiting gauge model_name,engine
vllm:num_requests_waiting_by_reason gauge model_name,engine,reason
vllm:kv_cache_usage_perc gauge model_name,engine
vllm:num_preemptions_total counter model_name,engine
vllm:prefix_cache_queries_total counter model_name,engine
vllm:prefix_cache_hits_total counter model_name,engine
vllm:external_prefix_cache_queries_total counter model_name,engine
vllm:external_prefix_cache_hits_total counter model_name,engine
vllm:mm_cache_queries_total counter model_name,engine
vllm:mm_cache_hits_total counter model_name,engine
vllm:prompt_tokens_total counter model_name,engine
vllm:generation_tokens_total counter model_name,engine
vllm:prompt_tokens_by_source_total counter model_name,engine,source
vllm:prompt_tokens_cached_total counter model_name,engine
vllm:iteration_tokens_total histogram model_name,engine
vllm:estimated_flops_per_gpu_total counter model_name,engine
vllm:estimated_read_bytes_per_gpu_total counter model_name,engine
vllm:estimated_write_bytes_per_gpu_total counter model_name,engine
vllm:request_success_total counter model_name,engine,finished_reason
vllm:time_to_first_token_seconds histogram model_name,engine
vllm:inter_token_latency_seconds histogram model_name,engine
vllm:request_time_per_output_token_seconds histogram model_name,engine
vllm:e2e_request_latency_seconds histogram model_name,engine
vllm:request_queue_time_seconds histogram model_name,engine
vllm:request_inference_time_seconds histogram model_name,engine
vllm:request_prefill_time_seconds histogram model_name,engine
vllm:request_decode_time_seconds histogram model_name,engine
vllm:request_prompt_tokens histogram model_name,engine
vllm:request_generation_tokens histogram model_name,engine
vllm:request_max_num_generation_tokens histogram model_name,engine
vllm:request_params_n histogram model_name,engine
vllm:request_params_max_tokens histogram model_name,engine
vllm:request_prefill_kv_computed_tokens histogram model_name,engine
vllm:spec_decode_num_draft_tokens_total counter model_name,engine
vllm:spec_decode_num_accepted_tokens_total counter model_name,engine
vllm:spec_decode_num_drafts_total counter model_name,engine
vllm:spec_decode_num_accepted_tokens_per_pos_total counter model_name,engine,position
vllm:cache_config_info info block_size,cache_dtype,enable_prefix_caching,gpu_memory_utilization,num_gpu_blocks,engine
vllm:engine_sleep_state gauge model_name,engine,sleep_state
vllm:lora_requests_info gauge running_lora_adapters,waiting_lora_adapters,max_lora
`

// 0.17.0: prompt_tokens_recomputed_total still there (removed by #38709),
// no num_requests_waiting_by_reason yet (#38435).
var vllmFamilies0170 = strings.Replace(
	strings.Replace(vllmFamilies0201, "vllm:num_requests_waiting_by_reason gauge model_name,engine,reason\n", "", 1),
	"vllm:prompt_tokens_cached_total counter model_name,engine\n",
	"vllm:prompt_tokens_cached_total counter model_name,engine\nvllm:prompt_tokens_recomputed_total counter model_name,engine\n", 1)

// 0.11.1: no MFU counters, no prompt-token breakdown, no
// prefill_kv_computed; time_per_output_token_seconds kept as a deprecated copy.
var vllmFamilies0111 = func() string {
	s := vllmFamilies0170
	for _, drop := range []string{
		"vllm:prompt_tokens_by_source_total counter model_name,engine,source\n",
		"vllm:prompt_tokens_cached_total counter model_name,engine\n",
		"vllm:prompt_tokens_recomputed_total counter model_name,engine\n",
		"vllm:estimated_flops_per_gpu_total counter model_name,engine\n",
		"vllm:estimated_read_bytes_per_gpu_total counter model_name,engine\n",
		"vllm:estimated_write_bytes_per_gpu_total counter model_name,engine\n",
		"vllm:request_prefill_kv_computed_tokens histogram model_name,engine\n",
	} {
		if !strings.Contains(s, drop) {
			panic("guard table: " + drop)
		}
		s = strings.Replace(s, drop, "", 1)
	}
	return s + "vllm:time_per_output_token_seconds histogram model_name,engine\n"
}()

// 0.11.0: the 0.11.1 families minus the ones that patch release added.
var vllmFamilies0110 = func() string {
	s := vllmFamilies0111
	for _, drop := range []string{
		"vllm:external_prefix_cache_queries_total counter model_name,engine\n",
		"vllm:external_prefix_cache_hits_total counter model_name,engine\n",
		"vllm:mm_cache_queries_total counter model_name,engine\n",
		"vllm:mm_cache_hits_total counter model_name,engine\n",
		"vllm:engine_sleep_state gauge model_name,engine,sleep_state\n",
	} {
		if !strings.Contains(s, drop) {
			panic("guard table: " + drop)
		}
		s = strings.Replace(s, drop, "", 1)
	}
	return s
}()

var guardVersions = []versionFacts{
	{library.TGI, library.V(2, 2, 0), 80, tgiFamilies22},
	{library.TGI, library.V(3, 2, 0), 80, tgiFamilies32},
	{library.TGI, library.V(3, 3, 0), 80, tgiFamilies32},
	{library.VLLM, library.V(0, 11, 0), 8000, vllmFamilies0110},
	{library.VLLM, library.V(0, 11, 1), 8000, vllmFamilies0111},
	{library.VLLM, library.V(0, 17, 0), 8000, vllmFamilies0170},
	{library.VLLM, library.V(0, 20, 1), 8000, vllmFamilies0201},
}

func TestGuardFamilies(t *testing.T) {
	for _, vf := range guardVersions {
		cat := library.MustLookup(vf.engine, vf.version)
		if got := cat.DefaultPort(); got != vf.port {
			t.Errorf("%s %s: port %d, upstream %d", vf.engine, vf.version, got, vf.port)
		}
		want := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(vf.families), "\n") {
			f := strings.Fields(line)
			labels := ""
			if len(f) > 2 {
				labels = f[2]
			}
			want[f[0]] = f[1] + " " + sortedCSV(labels)
		}
		got := map[string]string{}
		for _, m := range cat.Metrics() {
			got[m.Name] = string(m.Type) + " " + sortedCSV(strings.Join(cat.FamilyLabels(m), ","))
		}
		for n, w := range want {
			if g, ok := got[n]; !ok {
				t.Errorf("%s %s: upstream exposes %s (%s); the catalog lacks it", vf.engine, vf.version, n, w)
			} else if g != w {
				t.Errorf("%s %s: %s is %q in the catalog, %q upstream", vf.engine, vf.version, n, g, w)
			}
		}
		for n := range got {
			if _, ok := want[n]; !ok {
				t.Errorf("%s %s: the catalog has %s, which upstream does not expose by default", vf.engine, vf.version, n)
			}
		}
	}
}

func sortedCSV(s string) string {
	if s == "" {
		return ""
	}
	p := strings.Split(s, ",")
	slices.Sort(p)
	return strings.Join(p, ",")
}

// Bucket facts: the exposed le texts (LeStyle) of the first and last
// boundary and their count, per family and version.
func TestGuardBuckets(t *testing.T) {
	cases := []struct {
		engine      library.Engine
		version     library.Version
		family      string
		d           library.Deployment
		n           int
		first, last string
	}{
		// server.rs: value = 0.0001; 35 times { value *= 1.5; push(value) }.
		{library.TGI, library.V(2, 0, 0), "tgi_request_duration", library.Deployment{}, 35, "0.00015000000000000001", "145.61096060497135"},
		{library.TGI, library.V(3, 3, 0), "tgi_batch_forward_duration", library.Deployment{}, 35, "0.00015000000000000001", "145.61096060497135"},
		// (max/100) × 1..100; launcher 2.x default max input 4095, max total 4096.
		{library.TGI, library.V(2, 2, 0), "tgi_request_input_length", library.Deployment{}, 100, "40.95", "4095.0000000000005"}, // f64 (4095/100)*100, printed shortest round-trip
		{library.TGI, library.V(2, 2, 0), "tgi_request_generated_tokens", library.Deployment{}, 100, "40.96", "4096"},
		{library.TGI, library.V(3, 2, 0), "tgi_request_max_new_tokens", library.Deployment{MaxTotalTokens: 8192}, 100, "81.92", "8192"},
		{library.TGI, library.V(3, 2, 0), "tgi_request_input_length", library.Deployment{MaxInputTokens: 8191}, 100, "81.91", "8191"},
		// 0..=speculate with speculate 0.
		{library.TGI, library.V(2, 0, 0), "tgi_request_skipped_tokens", library.Deployment{}, 1, "0", "0"},
		{library.TGI, library.V(2, 2, 0), "tgi_batch_next_size", library.Deployment{}, 1024, "1", "1024"},
		// V0 0.6.4 fixed list; V1 0.8.0-0.8.4 capture sizes 1, 2, 4, 8..512 step 8; then to 16384.
		{library.VLLM, library.V(0, 6, 4), "vllm:iteration_tokens_total", library.Deployment{}, 12, "1.0", "8096.0"},
		{library.VLLM, library.V(0, 8, 0), "vllm:iteration_tokens_total", library.Deployment{}, 67, "1.0", "512.0"},
		{library.VLLM, library.V(0, 8, 4), "vllm:iteration_tokens_total", library.Deployment{}, 67, "1.0", "512.0"},
		{library.VLLM, library.V(0, 8, 5), "vllm:iteration_tokens_total", library.Deployment{}, 13, "1.0", "16384.0"},
		{library.VLLM, library.V(0, 8, 0), "vllm:time_to_first_token_seconds", library.Deployment{}, 16, "0.001", "10.0"},
		{library.VLLM, library.V(0, 20, 1), "vllm:time_to_first_token_seconds", library.Deployment{}, 22, "0.001", "2560.0"},
		{library.VLLM, library.V(0, 20, 1), "vllm:inter_token_latency_seconds", library.Deployment{}, 19, "0.01", "80.0"},
		{library.VLLM, library.V(0, 20, 1), "vllm:e2e_request_latency_seconds", library.Deployment{}, 21, "0.3", "7680.0"},
		{library.VLLM, library.V(0, 20, 1), "vllm:request_prompt_tokens", library.Deployment{MaxModelLen: 32768}, 14, "1.0", "20000.0"},
	}
	for _, c := range cases {
		cat := library.MustLookup(c.engine, c.version)
		m, ok := cat.ByName(c.family)
		if !ok {
			t.Errorf("%s %s: no %s", c.engine, c.version, c.family)
			continue
		}
		b := cat.ExposedBuckets(m, c.d)
		if len(b) != c.n {
			t.Errorf("%s %s %s: %d buckets, upstream %d", c.engine, c.version, c.family, len(b), c.n)
			continue
		}
		st := cat.Info.LeStyle
		if f, l := st.LeText(b[0]), st.LeText(b[len(b)-1]); f != c.first || l != c.last {
			t.Errorf("%s %s %s: le %s..%s, upstream %s..%s", c.engine, c.version, c.family, f, l, c.first, c.last)
		}
		if c.engine == library.TGI && library.HasBucket(b, 0.0001) {
			t.Errorf("%s %s %s: le=\"0.0001\" is no TGI boundary", c.engine, c.version, c.family)
		}
	}
}

func TestGuardLabelValues(t *testing.T) {
	cases := []struct {
		version library.Version
		want    string
	}{
		// backends/v3/src/backend.rs counts reason="chunking" from v2.4.0.
		{library.V(2, 3, 1), "backpressure,wait_exceeded"},
		{library.V(2, 4, 0), "backpressure,wait_exceeded,chunking"},
		{library.V(3, 3, 0), "backpressure,wait_exceeded,chunking"},
	}
	for _, c := range cases {
		cat := library.MustLookup(library.TGI, c.version)
		m, _ := cat.ByName("tgi_batch_concat")
		got, _ := cat.LabelValues(m, "reason", library.Deployment{})
		if strings.Join(got, ",") != c.want {
			t.Errorf("tgi %s batch_concat reasons %v, upstream %s", c.version, got, c.want)
		}
	}
	// cache_config_info: no engine label before 0.9.0 (and never model_name).
	for v, want := range map[library.Version]bool{library.V(0, 8, 5): false, library.V(0, 9, 0): true} {
		cat := library.MustLookup(library.VLLM, v)
		m, _ := cat.ByName("vllm:cache_config_info")
		labels := cat.FamilyLabels(m)
		if slices.Contains(labels, "engine") != want || slices.Contains(labels, "model_name") {
			t.Errorf("vllm %s cache_config_info labels %v", v, labels)
		}
	}
}

func TestGuardVerifiedThrough(t *testing.T) {
	cases := []struct {
		engine  library.Engine
		version library.Version
		note    bool
	}{
		{library.VLLM, library.V(0, 20, 1), false},
		{library.VLLM, library.V(0, 21, 0), true},
		{library.TGI, library.V(3, 3, 7), false},
	}
	for _, c := range cases {
		note := library.MustLookup(c.engine, c.version).VerificationNote()
		if (note != "") != c.note || (c.note && !strings.Contains(note, "0.20.1")) {
			t.Errorf("%s %s: verification note %q", c.engine, c.version, note)
		}
	}
}

func TestGuardDCGMStock(t *testing.T) {
	cases := []struct {
		field   string
		release library.Version
		typ     library.Type // "" when the stock file does not collect it
	}{
		{"DCGM_FI_PROF_GR_ENGINE_ACTIVE", library.V(3, 6, 1), ""},
		{"DCGM_FI_PROF_GR_ENGINE_ACTIVE", library.V(4, 0, 1), library.Gauge},
		{"DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", library.V(3, 5, 0), ""},
		{"DCGM_FI_PROF_DRAM_ACTIVE", library.V(4, 8, 2), library.Gauge},
		{"DCGM_FI_PROF_PCIE_TX_BYTES", library.V(3, 4, 2), ""},
		{"DCGM_FI_PROF_PCIE_TX_BYTES", library.V(3, 6, 1), library.Counter},
		{"DCGM_FI_PROF_PCIE_RX_BYTES", library.V(4, 0, 1), library.Gauge},
		{"DCGM_FI_DEV_FB_RESERVED", library.V(4, 2, 0), ""},
		{"DCGM_FI_DEV_FB_RESERVED", library.V(4, 4, 0), library.Gauge},
		{"DCGM_FI_DEV_GPU_UTIL", library.V(3, 4, 0), library.Gauge},
		{"DCGM_FI_PROF_SM_ACTIVE", library.V(4, 8, 2), ""},
	}
	for _, c := range cases {
		typ, on := library.DCGMStockDefault(c.field, c.release)
		if on != (c.typ != "") || typ != c.typ {
			t.Errorf("dcgm-exporter %s %s: stock %v %q, upstream %q", c.release, c.field, on, typ, c.typ)
		}
	}
}

// Prometheus 3 stores a scraped summary quantile like a scraped le: TGI's
// quantile="0" and "1" become "0.0" and "1.0"; Prometheus 2 keeps the text.
func TestGuardQuantileTexts(t *testing.T) {
	cat := library.MustLookup(library.TGI, library.V(3, 3, 0))
	st := cat.Info.LeStyle
	if got := st.QuantileTexts(0, 3, true); !slices.Equal(got, []string{"0", "0.0"}) {
		t.Errorf("quantile 0 on Prometheus 3: %v", got)
	}
	if got := st.QuantileTexts(1, 2, true); !slices.Equal(got, []string{"1"}) {
		t.Errorf("quantile 1 on Prometheus 2: %v", got)
	}
	if got := st.QuantileTexts(0.5, 3, true); !slices.Equal(got, []string{"0.5"}) {
		t.Errorf("quantile 0.5 on Prometheus 3: %v", got)
	}
}
