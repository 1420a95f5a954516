package schema

import (
	"maps"
	"slices"
	"strings"

	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema/diag"
)

// validate checks what spans fields: references between entities, empty
// workloads, forbidden labels in selectors and tracing dimensions.
func validate(s *Spec) diag.List {
	var ds diag.List
	errorf := func(path []string, format string, args ...any) {
		ds = append(ds, diag.Errorf(s.Pos(path...), formatPath(path), format, args...))
	}
	forbidden := map[string]bool{}
	for _, l := range s.Cardinality.ForbiddenLabels {
		forbidden[l] = true
	}

	for _, name := range slices.Sorted(maps.Keys(s.Models)) {
		m := s.Models[name]
		if _, ok := s.GPUs[m.GPU]; !ok && m.GPU != "" {
			errorf([]string{"models", name, "gpu"}, "unknown GPU %q%s", m.GPU, known(m.GPU, slices.Sorted(maps.Keys(s.GPUs)), "gpus"))
		}
		if len(m.Selector) == 0 {
			errorf([]string{"models", name, "selector"}, "selector is empty: give the label matchers that find this model's series, e.g. {job: \"vllm-%s\"}", name)
		}
		for _, l := range slices.Sorted(maps.Keys(m.Selector)) {
			if forbidden[l] {
				errorf([]string{"models", name, "selector", l}, "label %q is forbidden by cardinality.forbiddenLabels", l)
			}
			if !validLabelName(l) {
				errorf([]string{"models", name, "selector", l}, "%q is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)", l)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Workloads)) {
		w := s.Workloads[name]
		if len(w.Models) == 0 {
			errorf([]string{"workloads", name, "models"}, "workload serves no model: list at least one key of models")
		}
		for i, m := range w.Models {
			if _, ok := s.Models[m]; !ok {
				errorf([]string{"workloads", name, "models", itoa(i)}, "unknown model %q%s", m, known(m, slices.Sorted(maps.Keys(s.Models)), "models"))
			}
		}
		for i, t := range w.Tenants {
			if _, ok := s.Tenants[t]; !ok {
				errorf([]string{"workloads", name, "tenants", itoa(i)}, "unknown tenant %q%s", t, known(t, slices.Sorted(maps.Keys(s.Tenants)), "tenants"))
			}
		}
	}
	if t := s.Tracing; t != nil {
		for _, attr := range append([]string{t.TenantAttribute, t.ModelAttribute, t.WorkloadAttribute}, t.Dimensions...) {
			if attr == "" {
				continue
			}
			if forbidden[attr] || forbidden[library.PromLabelName(attr)] {
				path := []string{"tracing", "dimensions"}
				switch attr {
				case t.TenantAttribute:
					path = []string{"tracing", "tenantAttribute"}
				case t.ModelAttribute:
					path = []string{"tracing", "modelAttribute"}
				case t.WorkloadAttribute:
					path = []string{"tracing", "workloadAttribute"}
				}
				errorf(path, "span attribute %q would become the forbidden label %q (cardinality.forbiddenLabels)", attr, library.PromLabelName(attr))
			}
		}
	}
	return ds
}

// known appends a hint that names the nearest declared name, or says where
// names are declared.
func known(name string, declared []string, where string) string {
	if n := nearest(name, declared); n != "" {
		return "; did you mean \"" + n + "\"?"
	}
	if len(declared) == 0 {
		return ": the spec declares no " + where
	}
	return " (declared in " + where + ": " + strings.Join(declared, ", ") + ")"
}

func validLabelName(l string) bool {
	if l == "" {
		return false
	}
	for i, r := range l {
		if !(r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
