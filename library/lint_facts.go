package library

import (
	"strings"
)

// Facts the linter needs about how engine series are renamed on their way
// to Prometheus and about names users reach for that never existed.

// RayServePrefix is what Ray Serve's metrics agent prepends to every
// series a vLLM engine records through Ray's stat logger. Since vLLM
// #25439 (2025-09-26) the Ray wrapper also rewrites every character
// outside [a-zA-Z0-9_] to "_", so vllm:num_requests_running is exported
// as ray_vllm_num_requests_running (before: ray_vllm:num_requests_running).
const RayServePrefix = "ray_"

// RayServeName maps a Ray Serve series name back to the engine's own name:
// ok is false when name is not a Ray-exported series of an engine whose
// names start with prefix (e.g. "vllm:").
func RayServeName(name, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(name, RayServePrefix)
	if !ok || prefix == "" {
		return "", false
	}
	if strings.HasPrefix(rest, prefix) {
		return rest, true
	}
	sanitized := rayRewrite(prefix)
	if sanitized != prefix && strings.HasPrefix(rest, sanitized) {
		return prefix + rest[len(sanitized):], true
	}
	return "", false
}

func rayRewrite(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return '_'
	}, s)
}

// NameHint is a name no version of an engine exposes but that users
// write for a quantity the engine does measure another way (Meaning), where
// the nearest real name would mislead.
type NameHint struct {
	Engine  Engine
	Name    string // as users write it
	Meaning Role   // what they meant
}

// nameHints lists the known misleading names. vLLM counts failed requests
// as finished requests with a failure finish reason, not in a counter of
// their own.
var nameHints = []NameHint{
	{VLLM, "vllm:request_failure_total", RoleRequestFailed},
	{VLLM, "vllm:request_failed_total", RoleRequestFailed},
	{VLLM, "vllm:request_failures_total", RoleRequestFailed},
}

// hintWords: a name of the engine's prefix that no version exposes and
// that contains one of these words means that role.
var hintWords = []struct {
	Engine Engine
	Word   string
	Role   Role
}{
	{VLLM, "fail", RoleRequestFailed},
}

// HintFor returns what a misleading name means, if it is a known one.
func HintFor(e Engine, name string) (Role, bool) {
	for _, h := range nameHints {
		if h.Engine == e && h.Name == name {
			return h.Meaning, true
		}
	}
	for _, h := range hintWords {
		if h.Engine == e && strings.Contains(name, h.Word) {
			return h.Role, true
		}
	}
	return "", false
}

// ForeignSeries are series other components export under an engine's
// prefix: they are not engine metrics, so no engine catalog judges them.
type ForeignSeries struct {
	Engine   Engine
	Exporter string
	Names    []string
}

// foreignSeries: vLLM production-stack's router (src/vllm_router, read at
// a6c01db0, 2026) exports its own gauges and counters as vllm:*.
var foreignSeries = []ForeignSeries{
	{VLLM, "the vLLM production-stack router", []string{
		"vllm:current_qps", "vllm:healthy_pods_total", "vllm:avg_latency", "vllm:avg_itl",
		"vllm:avg_decoding_length", "vllm:num_prefill_requests", "vllm:num_decoding_requests",
		"vllm:num_incoming_requests", "vllm:input_tokens_total", "vllm:output_tokens_total",
		"vllm:request_errors_total", "vllm:request_latency_seconds",
		"vllm:semantic_cache_hits", "vllm:semantic_cache_misses", "vllm:semantic_cache_hit_ratio",
		"vllm:semantic_cache_size", "vllm:semantic_cache_latency",
	}},
}

// ForeignExporter names the component that exports a series under an
// engine's prefix, when it is not the engine.
func ForeignExporter(name string) (string, bool) {
	for _, f := range foreignSeries {
		for _, n := range f.Names {
			if name == n || name == n+"_bucket" || name == n+"_sum" || name == n+"_count" {
				return f.Exporter, true
			}
		}
	}
	return "", false
}
