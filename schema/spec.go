package schema

import (
	"time"

	"github.com/inferobs/inferobs/library"
	"github.com/inferobs/inferobs/schema/diag"
)

// Spec is a loaded, validated spec. Maps are keyed by the names users gave;
// Names* return them sorted, so everything downstream iterates in a stable order.
type Spec struct {
	Environment string
	Target      Target
	SLO         SLOSettings
	Currency    string
	GPUs        map[string]GPU
	Models      map[string]Model
	Tenants     map[string]Tenant
	Workloads   map[string]Workload
	Cardinality Cardinality
	Tracing     *Tracing
	SpecDecode  *SpecDecode
	Kubernetes  *Kubernetes // nil without a kubernetes block

	pos positions
}

// Target describes the Prometheus the outputs are for.
type Target struct {
	PrometheusMajor    int
	ScrapeInterval     time.Duration
	EvaluationInterval time.Duration
	QuantileInterval   time.Duration // 0: the default (see Plan.QuantileInterval)
	Ruler              string        // "prometheus", "mimir", "cortex", "thanos", "vmalert"
	MaxRulesPerGroup   int           // 0: the ruler's default
	MaxGroups          int           // 0: the ruler's default
}

// SLOSettings are the spec-wide SLO parameters.
type SLOSettings struct {
	Period         time.Duration
	Windows        string
	MinEvents      int
	RunbookBaseURL string
}

// GPU is a GPU type and its price.
type GPU struct {
	Name       string
	HourlyCost float64
}

// Model is one served model.
type Model struct {
	Name           string
	Engine         library.Engine
	EngineVersion  library.Version
	ServedName     string
	Selector       map[string]string
	GPU            string
	GPUsPerReplica int
	Replicas       int
	DataParallel   int
	MaxModelLen    int
	// MetricsPort is the spec's metricsPort (0: the engine version's default).
	MetricsPort int
	// MaxInputTokens and MaxTotalTokens are TGI's token limits (0: default).
	MaxInputTokens int
	MaxTotalTokens int
	Pricing        *Pricing
	PodLabels      map[string]string
	ModelPaths     []string
	Service        *Service // nil: scraped as pods
}

// Service is the Service in front of a model's pods.
type Service struct {
	Labels map[string]string
	Port   string // name of the Service port serving /metrics
}

// Pricing is what a model's tokens are sold for, per million.
type Pricing struct {
	PromptPerMillion     float64
	GenerationPerMillion float64
}

// Tenant is a customer of the platform.
type Tenant struct {
	Name      string
	HighValue bool
}

// Workload is a class of traffic served by some models for some tenants.
type Workload struct {
	Name    string
	Class   string
	Models  []string
	Tenants []string
	SLOs    map[library.SLOKind]SLOSpec // only those the user wrote
	// Off lists the preset SLOs the user turned off (`slos: kind: false`).
	Off map[library.SLOKind]bool
}

// Source says where an SLI is measured.
type Source string

// SLI sources.
const (
	SourceEngine  Source = "engine"  // the engine's own /metrics, per model
	SourceGateway Source = "gateway" // spanmetrics of the gateway's spans, per tenant
)

// SLOSpec is an SLO as the user wrote it.
type SLOSpec struct {
	Kind      library.SLOKind
	Threshold time.Duration // latency kinds
	MaxQueue  int           // headroom
	Objective float64       // percent
	Source    Source
	Tenants   []string // scope to these tenants (gateway only); empty: the workload's
	Models    []string // scope to these of the workload's models; empty: all of them
	Declared  bool     // written by the user, not filled from the class preset
}

// Cardinality holds the series budget and label bans.
type Cardinality struct {
	Budget            int
	ForbiddenLabels   []string
	StreamAggregation bool
}

// Tracing configures the gateway spans and the collector.
type Tracing struct {
	CollectorVersion library.Version
	TenantAttribute  string
	ModelAttribute   string
	// WorkloadAttribute names the workload on gateway spans ("" when unset).
	WorkloadAttribute string
	Spans             map[library.SLOKind]string // ttft, e2e
	Dimensions        []string
	Sampling          Sampling
	Unit              string
	// Scrape: the collector scrapes engines and DCGM (false: OTLP only).
	Scrape bool
}

// Sampling configures tail sampling.
type Sampling struct {
	BaselinePercent float64
	SlowThreshold   time.Duration
	DecisionWait    time.Duration
}

// Kubernetes says how the outputs are deployed with the Prometheus
// Operator, the Grafana sidecar and Alertmanager.
type Kubernetes struct {
	Namespace   string
	Labels      map[string]string // on every object
	Annotations map[string]string // on every object
	// Severity maps inferobs's severities ("page", "ticket") to the
	// severity label alerts carry.
	Severity    map[string]string
	AlertLabels map[string]string
	Monitors    string // "PodMonitor" or "none"
	DCGM        *DCGMExporter
	Dashboards  KubernetesDashboards
	// Receivers maps "page" and "ticket" to Alertmanager receiver names.
	Receivers map[string]string
}

// DCGMExporter locates the DCGM exporter's pods.
type DCGMExporter struct {
	Namespace string // "" : the kubernetes namespace
	PodLabels map[string]string
	Port      int
}

// KubernetesDashboards configures the dashboard ConfigMaps.
type KubernetesDashboards struct {
	Labels           map[string]string
	FolderAnnotation string
	Folder           string
	// GrafanaOperator is the instance selector of GrafanaDashboard objects
	// (nil: none emitted).
	GrafanaOperator map[string]string
}

// SpecDecode holds speculative-decoding settings.
type SpecDecode struct {
	BreakEvenAcceptance float64
}

// Pos returns the position of the field at path (e.g. "models", name,
// "engine") in the user's files, or of its nearest ancestor the user wrote.
func (s *Spec) Pos(path ...string) diag.Pos { return s.pos.lookup(path) }

// Path formats a field path the way diagnostics print it.
func Path(path ...string) string { return formatPath(path) }
