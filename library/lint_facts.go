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

// HintFor returns what a misleading name means, if it is a known one.
func HintFor(e Engine, name string) (Role, bool) {
	for _, h := range nameHints {
		if h.Engine == e && h.Name == name {
			return h.Meaning, true
		}
	}
	return "", false
}
