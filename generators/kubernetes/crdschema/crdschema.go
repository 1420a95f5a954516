// Package crdschema validates objects against the OpenAPI schemas of the
// Prometheus Operator's CRDs, the validation the API server applies on
// apply (enums, minimums and maximums, patterns, required fields). The
// CRDs are not shipped in the operator's API module, so the schemas are
// generated here, the way the operator's own build generates them: by
// controller-tools' CRD parser reading the kubebuilder markers of the API
// types at the version in go.mod (from the module cache; nothing is
// fetched or committed). The CEL rules (x-kubernetes-validations) are not
// evaluated; none is on the fields inferobs writes. For tests only: it
// loads and type-checks the API packages from source.
package crdschema

import (
	"fmt"
	"sync"

	apiextensions "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-tools/pkg/crd"
	crdmarkers "sigs.k8s.io/controller-tools/pkg/crd/markers"
	"sigs.k8s.io/controller-tools/pkg/loader"
	"sigs.k8s.io/controller-tools/pkg/markers"
)

// Packages are the operator's API packages whose kinds can be validated.
var Packages = []string{
	"github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1",
	"github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1",
}

// Group is the operator's API group.
const Group = "monitoring.coreos.com"

var (
	once    sync.Once
	parser  *crd.Parser
	loadErr error
	mu      sync.Mutex
	cache   = map[schema.GroupVersionKind]validation.SchemaValidator{}
)

func load() {
	pkgs, err := loader.LoadRoots(Packages...)
	if err != nil {
		loadErr = fmt.Errorf("crdschema: loading %v: %w", Packages, err)
		return
	}
	for _, p := range pkgs {
		if len(p.Errors) > 0 {
			loadErr = fmt.Errorf("crdschema: %s: %v", p.PkgPath, p.Errors)
			return
		}
	}
	reg := &markers.Registry{}
	if err := crdmarkers.Register(reg); err != nil {
		loadErr = err
		return
	}
	parser = &crd.Parser{Collector: &markers.Collector{Registry: reg}, Checker: &loader.TypeChecker{}}
	crd.AddKnownTypes(parser)
	for _, p := range pkgs {
		parser.NeedPackage(p)
	}
}

// Validator returns the schema validator of a kind of the operator's
// group at a version (v1 PodMonitor, v1alpha1 AlertmanagerConfig, ...).
func Validator(gvk schema.GroupVersionKind) (validation.SchemaValidator, error) {
	once.Do(load)
	if loadErr != nil {
		return nil, loadErr
	}
	mu.Lock()
	defer mu.Unlock()
	if v, ok := cache[gvk]; ok {
		return v, nil
	}
	gk := gvk.GroupKind()
	parser.NeedCRDFor(gk, nil)
	def, ok := parser.CustomResourceDefinitions[gk]
	if !ok {
		return nil, fmt.Errorf("crdschema: no CRD for %s", gk)
	}
	for _, ver := range def.Spec.Versions {
		if ver.Name != gvk.Version || ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
			continue
		}
		var internal apiextensions.JSONSchemaProps
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(ver.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
			return nil, err
		}
		v, _, err := validation.NewSchemaValidator(&internal)
		if err != nil {
			return nil, err
		}
		cache[gvk] = v
		return v, nil
	}
	return nil, fmt.Errorf("crdschema: the %s CRD has no schema for version %s", gk, gvk.Version)
}

// Validate checks an object, decoded from YAML or JSON into maps, against
// its kind's CRD schema; it returns the API server's field errors.
func Validate(gvk schema.GroupVersionKind, obj map[string]any) error {
	v, err := Validator(gvk)
	if err != nil {
		return err
	}
	if errs := validation.ValidateCustomResource(nil, obj, v); len(errs) > 0 {
		return errs.ToAggregate()
	}
	return nil
}
