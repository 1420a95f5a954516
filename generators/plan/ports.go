package plan

import (
	"slices"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/inferobs/inferobs/library"
)

// MetricsPort is the container port the model's engine serves /metrics on: the spec's
// metricsPort, else the engine version's default.
func (m *Model) MetricsPort() int {
	if m.Spec.MetricsPort > 0 {
		return m.Spec.MetricsPort
	}
	return m.Catalog.DefaultPort()
}

// MetricsPath is the HTTP path of the model's metrics endpoint (the engine
// version's; no spec field changes it).
func (m *Model) MetricsPath() string { return m.Catalog.MetricsPath() }

// Deployment is what the spec says about the model's deployment that fixes
// label values and bucket sets its engine exposes (data-parallel engines,
// vLLM's max_model_len, TGI's token limits). Speculative tokens are left to
// the caller.
func (m *Model) Deployment() library.Deployment {
	return library.Deployment{
		DataParallel:   m.Spec.DataParallel,
		MaxModelLen:    m.Spec.MaxModelLen,
		MaxInputTokens: m.Spec.MaxInputTokens,
		MaxTotalTokens: m.Spec.MaxTotalTokens,
	}
}

// MatchersFor returns the matchers that select family f of the model: the
// model's matchers, without the model-name matcher when f does not carry
// the label (vLLM's cache_config_info and lora_requests_info), where
// it would match nothing.
func (m *Model) MatchersFor(f library.Metric) []*labels.Matcher {
	l, ok := m.Catalog.ModelLabel()
	if !ok || slices.Contains(m.Catalog.FamilyLabels(f), l) {
		return m.Matchers
	}
	var out []*labels.Matcher
	for _, mt := range m.Matchers {
		if mt.Name != l {
			out = append(out, mt)
		}
	}
	return out
}
