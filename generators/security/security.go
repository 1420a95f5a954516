// Package security writes Tetragon TracingPolicies that audit the model
// servers at the kernel: every open of a model file (weights leaving
// through a compromised engine start with a read) and every TCP connection
// to an address outside the private and loopback ranges (an engine has no
// business calling the internet).
package security

import (
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/plan"
)

// ArtifactPath is where the policies are written, relative to the output dir.
const ArtifactPath = "security/tetragon-policy.yaml"

// DefaultModelPaths are watched for every model on top of its modelPaths:
// the Hugging Face cache of a container running as root, and the
// conventional mount point of model volumes.
var DefaultModelPaths = []string{"/root/.cache/huggingface/", "/models/"}

// PrivateRanges are the destinations tcp_connect does not report: RFC 1918
// and loopback. A cluster whose pod or service CIDRs lie elsewhere (e.g.
// 100.64.0.0/10) should add them.
var PrivateRanges = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8"}

// Tetragon's API group and kinds (cilium/tetragon pkg/k8s/apis/cilium.io/v1alpha1).
const (
	APIVersion           = "cilium.io/v1alpha1"
	KindCluster          = "TracingPolicy"
	KindNamespaced       = "TracingPolicyNamespaced"
	hookFileOpen         = "security_file_open"
	hookTCPConnect       = "tcp_connect"
	labelManagedBy       = "app.kubernetes.io/managed-by"
	labelManagedByValue  = "inferobs"
	selectorNamespaceKey = "namespace"
)

// notPodLabels are selector labels that come from the scrape (job,
// instance), from Kubernetes discovery (namespace, pod, container, node)
// or from a ServiceMonitor (service, endpoint), never from the pod's labels.
var notPodLabels = map[string]bool{
	model.JobLabel: true, model.InstanceLabel: true, selectorNamespaceKey: true,
	"pod": true, "container": true, "node": true, "service": true, "endpoint": true,
}

// TracingPolicy is the subset of the CRD inferobs writes.
type TracingPolicy struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   Metadata `yaml:"metadata"`
	Spec       Spec     `yaml:"spec"`
}

// Metadata is the object's metadata.
type Metadata struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace,omitempty"`
	Labels    map[string]string `yaml:"labels,omitempty"`
}

// Spec holds the hooks and the pod scope.
type Spec struct {
	PodSelector *PodSelector `yaml:"podSelector,omitempty"`
	KProbes     []KProbe     `yaml:"kprobes"`
}

// PodSelector is a label selector over pods.
type PodSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

// KProbe is one kernel function hook.
type KProbe struct {
	Call      string     `yaml:"call"`
	Syscall   bool       `yaml:"syscall"`
	Message   string     `yaml:"message,omitempty"`
	Tags      []string   `yaml:"tags,omitempty"`
	Args      []Arg      `yaml:"args"`
	Selectors []Selector `yaml:"selectors"`
}

// Arg is a hooked function argument.
type Arg struct {
	Index int    `yaml:"index"`
	Type  string `yaml:"type"`
}

// Selector filters events in the kernel and says what to do with a match.
type Selector struct {
	MatchArgs    []ArgSelector    `yaml:"matchArgs"`
	MatchActions []ActionSelector `yaml:"matchActions"`
}

// ArgSelector compares an argument.
type ArgSelector struct {
	Index    int      `yaml:"index"`
	Operator string   `yaml:"operator"`
	Values   []string `yaml:"values"`
}

// ActionSelector is an action.
type ActionSelector struct {
	Action string `yaml:"action"`
}

// scope is a set of pods one policy covers.
type scope struct {
	namespace string
	labels    map[string]string
	fromSpec  bool // labels are the model's podLabels
	models    []*plan.Model
}

func (s *scope) key() string {
	var b strings.Builder
	b.WriteString(s.namespace)
	for _, k := range slices.Sorted(maps.Keys(s.labels)) {
		fmt.Fprintf(&b, "\x00%s=%s", k, s.labels[k])
	}
	return b.String()
}

// Generate returns security/tetragon-policy.yaml: one policy per scope.
// A model's scope is its selector's namespace and its pod labels; models
// with the same scope share one policy (with the union of their model
// paths), since two policies over the same pods would report every event
// twice.
func Generate(p *plan.Plan) ([]emit.Artifact, error) {
	var scopes []*scope
	byKey := map[string]*scope{}
	var skipped []string
	for _, m := range p.Models {
		s := scopeOf(m)
		if s.namespace == "" && len(s.labels) == 0 {
			skipped = append(skipped, m.Name)
			continue
		}
		if prev, ok := byKey[s.key()]; ok {
			prev.models = append(prev.models, m)
			continue
		}
		byKey[s.key()] = s
		scopes = append(scopes, s)
	}

	var b bytes.Buffer
	b.WriteString(header(skipped))
	if len(scopes) == 0 {
		return []emit.Artifact{{Path: ArtifactPath, Data: b.Bytes()}}, nil
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	names := map[string]bool{}
	for _, s := range scopes {
		pol := policy(s)
		if names[pol.Metadata.Namespace+"/"+pol.Metadata.Name] {
			return nil, fmt.Errorf("security: two policies are named %s", pol.Metadata.Name)
		}
		names[pol.Metadata.Namespace+"/"+pol.Metadata.Name] = true
		var n yaml.Node
		if err := n.Encode(pol); err != nil {
			return nil, err
		}
		n.HeadComment = scopeComment(s)
		if err := enc.Encode(&n); err != nil {
			return nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return []emit.Artifact{{Path: ArtifactPath, Data: b.Bytes()}}, nil
}

func header(skipped []string) string {
	lines := []string{
		"Generated by inferobs from the spec; do not edit.",
		"Tetragon TracingPolicies for the model servers: opens of model files and",
		"TCP connections to addresses outside " + strings.Join(PrivateRanges, ", ") + ".",
		"Events reach Tetragon's event export (process_kprobe) with the policy name.",
		"A policy is TracingPolicyNamespaced when the model's selector names a",
		"namespace, else a cluster-wide TracingPolicy limited by its podSelector.",
	}
	for _, m := range skipped {
		lines = append(lines, fmt.Sprintf("Skipped model %s: its selector names no namespace and no pod labels are", m),
			"known, so a policy would watch every process of every node; set its podLabels.")
	}
	return commentLines(lines) + "\n\n"
}

// scopeOf derives a model's pods: the model's podLabels when set, else the
// selector labels that are not scrape, discovery or engine labels, assumed
// to be pod labels with the same name.
func scopeOf(m *plan.Model) *scope {
	s := &scope{namespace: m.Spec.Selector[selectorNamespaceKey], labels: map[string]string{}, models: []*plan.Model{m}}
	if len(m.Spec.PodLabels) > 0 {
		for k, v := range m.Spec.PodLabels {
			s.labels[k] = v
		}
		s.fromSpec = true
		return s
	}
	exposed := map[string]bool{}
	for _, l := range m.Catalog.CommonLabels() {
		exposed[l] = true
	}
	if m.Catalog.Info.ModelLabel != "" {
		exposed[m.Catalog.Info.ModelLabel] = true
	}
	for k, v := range m.Spec.Selector {
		if !notPodLabels[k] && !exposed[k] {
			s.labels[k] = v
		}
	}
	return s
}

func policy(s *scope) TracingPolicy {
	var paths []string
	seen := map[string]bool{}
	for _, m := range s.models {
		for _, p := range append(append([]string(nil), m.Spec.ModelPaths...), DefaultModelPaths...) {
			if !seen[p] {
				seen[p] = true
				paths = append(paths, p)
			}
		}
	}
	paths = coverPrefixes(paths)
	pol := TracingPolicy{
		APIVersion: APIVersion,
		Kind:       KindCluster,
		Metadata: Metadata{
			Name:   policyName(s),
			Labels: map[string]string{labelManagedBy: labelManagedByValue},
		},
		Spec: Spec{KProbes: []KProbe{
			{
				Call:    hookFileOpen,
				Message: "model file opened",
				Tags:    []string{"inferobs", "model-files"},
				Args:    []Arg{{Index: 0, Type: "file"}},
				Selectors: []Selector{{
					MatchArgs:    []ArgSelector{{Index: 0, Operator: "Prefix", Values: paths}},
					MatchActions: []ActionSelector{{Action: "Post"}},
				}},
			},
			{
				Call:    hookTCPConnect,
				Message: "connection outside the private ranges",
				Tags:    []string{"inferobs", "egress"},
				Args:    []Arg{{Index: 0, Type: "sock"}},
				Selectors: []Selector{{
					MatchArgs:    []ArgSelector{{Index: 0, Operator: "NotDAddr", Values: append([]string(nil), PrivateRanges...)}},
					MatchActions: []ActionSelector{{Action: "Post"}},
				}},
			},
		}},
	}
	if s.namespace != "" {
		pol.Kind = KindNamespaced
		pol.Metadata.Namespace = s.namespace
	}
	if len(s.labels) > 0 {
		pol.Spec.PodSelector = &PodSelector{MatchLabels: s.labels}
	}
	return pol
}

// coverPrefixes sorts paths and drops those a shorter directory prefix in
// the list already covers (/models/ covers /models/qwen/).
func coverPrefixes(paths []string) []string {
	sort.Strings(paths)
	var out []string
	for _, p := range paths {
		covered := false
		for _, q := range out {
			if strings.HasSuffix(q, "/") && strings.HasPrefix(p, q) {
				covered = true
			}
		}
		if !covered {
			out = append(out, p)
		}
	}
	return out
}

var notDNS = regexp.MustCompile(`[^a-z0-9.-]+`)

// policyName is inferobs-<model> for one model, else inferobs-<namespace>
// for the models sharing a namespace; lower-case DNS subdomain text.
func policyName(s *scope) string {
	base := s.models[0].Name
	if len(s.models) > 1 {
		base = s.namespace
		if base == "" {
			base = s.models[0].Name + "-and-others"
		}
	}
	name := strings.Trim(notDNS.ReplaceAllString(strings.ToLower("inferobs-"+base), "-"), "-.")
	if len(name) > 253 {
		name = strings.TrimRight(name[:253], "-.")
	}
	return name
}

func scopeComment(s *scope) string {
	var names []string
	for _, m := range s.models {
		names = append(names, m.Name)
	}
	var lines []string
	if len(names) == 1 {
		lines = append(lines, "Model "+names[0]+".")
	} else {
		lines = append(lines, "Models "+strings.Join(names, ", ")+": they share these pods, so they share one policy.")
	}
	switch {
	case len(s.labels) == 0:
		lines = append(lines, fmt.Sprintf("No pod labels are known (set models.<name>.podLabels): this policy covers every pod in namespace %s.", s.namespace))
	case s.fromSpec:
		lines = append(lines, "Pods selected by the model's podLabels.")
	default:
		lines = append(lines, fmt.Sprintf("ASSUMPTION: selector labels %s are taken to be pod labels of the same name;", strings.Join(slices.Sorted(maps.Keys(s.labels)), ", ")),
			"if they are not (e.g. relabelled by a ServiceMonitor), set podLabels.")
	}
	return commentLines(lines)
}

// commentLines prefixes every line with "# ", also the lines a name with a
// newline in it would start.
func commentLines(lines []string) string {
	all := strings.Split(strings.Join(lines, "\n"), "\n")
	for i, l := range all {
		all[i] = strings.TrimRight("# "+l, " ")
	}
	return strings.Join(all, "\n")
}
