package kubernetes

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"golang.org/x/sync/errgroup"
	kustomize "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/library"
)

// KustomizationPath is the kustomization listing DIR/kubernetes/.
const KustomizationPath = Dir + "kustomization.yaml"

// Size limits a Kubernetes object meets on its way to Prometheus (the
// sources are in library).
const (
	// MaxObjectBytes: no object inferobs writes should come near a
	// ConfigMap's 1 MiB or etcd's 1.5 MiB.
	MaxObjectBytes = library.KubeMaxObjectBytes
	// MaxRenderedRuleBytes: what the operator accepts of one
	// PrometheusRule's rules, rendered as a rule file. The rules generator
	// splits a file's objects to stay under it; this checks it exactly.
	MaxRenderedRuleBytes = library.PrometheusRuleMaxRenderedBytes
	// MaxClientSideApplyBytes: `kubectl apply` without --server-side keeps
	// the whole object in the last-applied-configuration annotation, and
	// annotations are limited to 256 KiB in total.
	MaxClientSideApplyBytes = 256 << 10
)

// Finish runs over the artifacts of every generator: it refuses a
// Kubernetes object the API server or the operator would refuse for its
// size and, with a kubernetes block, adds kubernetes/kustomization.yaml
// listing every object under kubernetes/ (sorted), with the block's
// namespace. It returns the artifacts to add.
func Finish(p *plan.Plan, arts []emit.Artifact) ([]emit.Artifact, error) {
	var resources []string
	var objects []emit.Artifact
	for _, a := range arts {
		rel, ok := strings.CutPrefix(a.Path, Dir)
		if !ok {
			continue
		}
		if a.Path == KustomizationPath {
			return nil, fmt.Errorf("kubernetes: %s is written by the kustomization step, not by a generator", a.Path)
		}
		objects = append(objects, a)
		resources = append(resources, rel)
	}
	// Decoding and re-rendering every object is most of this step's time
	// on a large spec; objects are independent. The first error in
	// artifact order is returned, whichever finishes first.
	errs := make([]error, len(objects))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, a := range objects {
		g.Go(func() error {
			errs[i] = checkSize(a)
			return nil
		})
	}
	g.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if p.Kubernetes() == nil || len(resources) == 0 {
		return nil, nil
	}
	slices.Sort(resources)
	k := kustomize.Kustomization{
		TypeMeta:  kustomize.TypeMeta{APIVersion: kustomize.KustomizationVersion, Kind: kustomize.KustomizationKind},
		Namespace: p.Kubernetes().Namespace,
		Resources: resources,
	}
	data, err := yaml.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: kustomization: %w", err)
	}
	head := Header + "# Every object inferobs writes. Apply with `kubectl apply --server-side -k`: a client-side apply\n# records each object in an annotation, and annotations hold at most 256 KiB.\n"
	return []emit.Artifact{{Path: KustomizationPath, Data: append([]byte(head), data...)}}, nil
}

var kindPrometheusRule = []byte("\nkind: " + monitoringv1.PrometheusRuleKind + "\n")

func checkSize(a emit.Artifact) error {
	if len(a.Data) > MaxObjectBytes {
		return fmt.Errorf("kubernetes: %s is %d bytes, over the %d bytes the API server stores in one object: split the spec's workloads or tenants so each object is smaller", a.Path, len(a.Data), MaxObjectBytes)
	}
	if !bytes.Contains(a.Data, kindPrometheusRule) {
		return nil
	}
	var r monitoringv1.PrometheusRule
	if err := yaml.UnmarshalStrict(a.Data, &r); err != nil {
		return fmt.Errorf("kubernetes: %s: %w", a.Path, err)
	}
	rendered, err := yaml.Marshal(r.Spec)
	if err != nil {
		return fmt.Errorf("kubernetes: %s: %w", a.Path, err)
	}
	if n := len(rendered); n > MaxRenderedRuleBytes {
		return fmt.Errorf("kubernetes: %s renders to a %d-byte rule file, over the %d bytes the Prometheus Operator accepts in one PrometheusRule: the rules generator splits objects at a smaller estimate of that size, so this is a bug in inferobs: please report it with the spec", a.Path, n, MaxRenderedRuleBytes)
	}
	return nil
}
