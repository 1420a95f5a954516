package library

import (
	"slices"
	"strconv"
	"strings"
)

// Label values and bucket sets the engines expose, as data: the cardinality
// estimator multiplies by their counts and synthetic expositions print them.
// Values are the ones each engine pre-creates or can emit at steady state;
// the Rust exporter (TGI) only renders a label set once it was first used,
// so for TGI these are upper bounds.

// Deployment holds the per-deployment settings that fix some label values
// and bucket sets (they are not visible in the catalog alone).
type Deployment struct {
	// DataParallel is the number of data-parallel engines per replica: the
	// values "0".."n-1" of the catalog's data-parallel label.
	DataParallel int
	// MaxModelLen is vLLM's max_model_len; it fixes the 1-2-5 token-count
	// buckets (0: DefaultMaxModelLen).
	MaxModelLen int
	// MaxInputTokens and MaxTotalTokens are TGI's --max-input-tokens and
	// --max-total-tokens; they fix the linear token-length buckets (0: the
	// catalog's 4095 and 4096).
	MaxInputTokens, MaxTotalTokens int
	// SpeculativeTokens is vLLM's num_speculative_tokens: the values
	// "0".."k-1" of the position label (0: DefaultSpeculativeTokens).
	SpeculativeTokens int
}

// DefaultSpeculativeTokens is the num_speculative_tokens assumed for the
// position label of vLLM's per-position acceptance counter when the spec
// does not say. vLLM has no default (the speculative config requires it);
// its docs' examples use 2 to 5. UNCERTAIN: an assumption, not a fact.
const DefaultSpeculativeTokens = 3

// labelValueSet is the value set of one label: on every family of an engine
// that has the label (family ""), or on one family only.
type labelValueSet struct {
	engine Engine
	family string
	label  string
	values []LabelValue
	// perProcess marks labels that echo one configuration value per engine
	// process (info metrics): one value per series, values holds an example.
	perProcess bool
}

func vals(vs ...string) []LabelValue {
	out := make([]LabelValue, len(vs))
	for i, v := range vs {
		out[i] = LabelValue{Value: v}
	}
	return out
}

var labelValueSets = []labelValueSet{
	// vLLM (vllm/v1/metrics/loggers.py and engines.md §1.3).
	{engine: VLLM, label: "reason", values: vals("capacity", "deferred")},                                     // num_requests_waiting_by_reason
	{engine: VLLM, label: "source", values: vals("local_compute", "local_cache_hit", "external_kv_transfer")}, // prompt_tokens_by_source_total
	{engine: VLLM, label: "sleep_state", values: vals("awake", "weights_offloaded", "discard_all")},           // engine_sleep_state
	{engine: VLLM, family: "vllm:cache_config_info", label: "block_size", values: vals("16"), perProcess: true},
	{engine: VLLM, family: "vllm:cache_config_info", label: "cache_dtype", values: vals("auto"), perProcess: true},
	{engine: VLLM, family: "vllm:cache_config_info", label: "enable_prefix_caching", values: vals("True"), perProcess: true},
	{engine: VLLM, family: "vllm:cache_config_info", label: "gpu_memory_utilization", values: vals("0.9"), perProcess: true},
	{engine: VLLM, family: "vllm:cache_config_info", label: "num_gpu_blocks", values: vals("10000"), perProcess: true},
	// lora_requests_info keeps one series per distinct adapter set it has
	// seen (prometheus_client never forgets a label set); the steady state
	// with a fixed adapter set is one.
	{engine: VLLM, family: "vllm:lora_requests_info", label: "running_lora_adapters", values: vals(""), perProcess: true},
	{engine: VLLM, family: "vllm:lora_requests_info", label: "waiting_lora_adapters", values: vals(""), perProcess: true},
	{engine: VLLM, family: "vllm:lora_requests_info", label: "max_lora", values: vals("1"), perProcess: true},

	// TGI (router/src/server.rs, infer/mod.rs, backends/v3/src/backend.rs;
	// engines.md §2).
	{engine: TGI, label: "err", values: vals("validation", "overloaded", "template", "incomplete", "dropped", "generation")},
	{engine: TGI, label: "method", values: vals("prefill", "decode")},
	{engine: TGI, family: "tgi_batch_concat_duration", label: "method", values: vals("decode")}, // only ever recorded for decode
	// "chunking" is counted by the v3 backend's chunked prefill, first in
	// backends/v3/src/backend.rs at v2.4.0.
	{engine: TGI, label: "reason", values: []LabelValue{{"backpressure", Range{}}, {"wait_exceeded", Range{}}, {"chunking", since(tgiV2_4_0)}}},
}

// LabelValues returns the values label takes on family m at the catalog's
// version in deployment d. ok is false when inferobs has no data for the
// label (callers should assume one value and say so). The data-parallel
// label and the finish-reason label are answered too.
func (c *Catalog) LabelValues(m Metric, label string, d Deployment) (values []string, ok bool) {
	switch {
	case label == c.Info.DataParallelLabel && c.HasDataParallelLabel():
		return DataParallelValues(d.DataParallel), true
	case label == c.Info.FinishReasonLabel && c.Info.FinishReasonLabel != "":
		return c.FinishReasons(), true
	case c.Engine() == VLLM && label == "position":
		return indexValues(d.SpeculativeTokens, DefaultSpeculativeTokens), true
	}
	var found *labelValueSet
	for i := range labelValueSets {
		s := &labelValueSets[i]
		if s.engine != c.Engine() || s.label != label || (s.family != "" && s.family != m.Name) {
			continue
		}
		if found == nil || (found.family == "" && s.family != "") {
			found = s
		}
	}
	if found == nil {
		return nil, false
	}
	for _, lv := range found.values {
		if lv.Range.Contains(c.Version) {
			values = append(values, lv.Value)
		}
	}
	return values, true
}

// PerProcessLabel reports whether label on family m echoes one
// configuration value per engine process (an info metric's labels).
func (c *Catalog) PerProcessLabel(m Metric, label string) bool {
	for _, s := range labelValueSets {
		if s.engine == c.Engine() && s.family == m.Name && s.label == label {
			return s.perProcess
		}
	}
	return false
}

// DataParallelValues returns the data-parallel label's values for n
// engines per replica: "0" .. "n-1" (at least "0").
func DataParallelValues(n int) []string { return indexValues(n, 1) }

func indexValues(n, dflt int) []string {
	if n <= 0 {
		n = dflt
	}
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

// vllmTokenCountFamilies are the histograms whose 1-2-5 buckets stop at
// max_model_len (build_1_2_5_buckets); the catalog holds them at
// DefaultMaxModelLen.
var vllmTokenCountFamilies = []string{
	"vllm:request_prompt_tokens",
	"vllm:request_generation_tokens",
	"vllm:request_max_num_generation_tokens",
	"vllm:request_params_max_tokens",
	"vllm:request_prefill_kv_computed_tokens",
}

// ExposedBuckets returns the bucket boundaries family m has in deployment d
// (without +Inf): the catalog's, except vLLM's token-count histograms,
// whose 1-2-5 buckets follow max_model_len, and TGI's token-length
// histograms, whose linear buckets follow max input / max total tokens.
func (c *Catalog) ExposedBuckets(m Metric, d Deployment) []float64 {
	switch {
	case c.Engine() == VLLM && d.MaxModelLen > 0 && slices.Contains(vllmTokenCountFamilies, m.Name):
		return Buckets125(d.MaxModelLen)
	case c.Engine() == TGI && d.MaxInputTokens > 0 && slices.Contains(tgiInputLengthFamilies, m.Name):
		return linearBuckets(d.MaxInputTokens)
	case c.Engine() == TGI && d.MaxTotalTokens > 0 && slices.Contains(tgiTotalLengthFamilies, m.Name):
		return linearBuckets(d.MaxTotalTokens)
	}
	return m.Buckets
}

// SummaryQuantiles returns the quantile label values a summary family of
// this engine exposes. TGI's metrics-exporter-prometheus renders its
// default quantiles; Python's prometheus_client summaries carry none (only
// _sum and _count).
func (c *Catalog) SummaryQuantiles() []float64 {
	if c.Engine() == TGI {
		return []float64{0, 0.5, 0.9, 0.95, 0.99, 0.999, 1}
	}
	return nil
}

// vllmCreatedSince is the first vLLM release whose default engine is V1,
// which (unlike V0, that called disable_created_metrics) exposes a _created
// gauge per label set of every counter and histogram. UNCERTAIN: vLLM in
// multiprocess mode (--api-server-count > 1) exposes none.
var vllmCreatedSince = v0_8_0

// ExposesCreated reports whether the engine exposes a <name>_created gauge
// per label set of each counter, histogram and summary. Prometheus stores
// them as series unless created-timestamp zero ingestion is on.
func (c *Catalog) ExposesCreated() bool {
	return c.Engine() == VLLM && !c.Version.Less(vllmCreatedSince)
}

// CreatedSeries returns the name of m's _created series (prometheus_client
// strips a counter's _total first), or "" when m has none.
func (c *Catalog) CreatedSeries(m Metric) string {
	if !c.ExposesCreated() {
		return ""
	}
	switch m.Type {
	case Counter:
		return strings.TrimSuffix(m.Name, "_total") + "_created"
	case Histogram, Summary:
		return m.Name + "_created"
	}
	return ""
}

// SpanStatusCodes returns the status_code values the spanmetrics connector
// writes.
func SpanStatusCodes() []string { return []string{StatusCodeUnset, StatusCodeOK, StatusCodeError} }

// familyConditions lists families an engine exposes only when a feature is
// on, by name prefix.
var familyConditions = []struct {
	engine Engine
	prefix string
	when   string
}{
	{VLLM, "vllm:spec_decode_", "a speculative config is set"},
	{VLLM, "vllm:lora_requests_info", "LoRA is enabled"},
}

// ExposedWhen returns the feature family m depends on, in words, or "" when
// the engine always exposes it. Estimates count such families anyway (an
// upper bound).
func (c *Catalog) ExposedWhen(m Metric) string {
	for _, fc := range familyConditions {
		if fc.engine == c.Engine() && strings.HasPrefix(m.Name, fc.prefix) {
			return fc.when
		}
	}
	return ""
}
