package library

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Engine names an inference engine kind.
type Engine string

// The engines inferobs knows.
const (
	VLLM Engine = "vllm"
	TGI  Engine = "tgi"
)

// Engines lists the known engines in a stable order.
func Engines() []Engine { return []Engine{TGI, VLLM} }

// Type is a Prometheus metric type as exposed on /metrics.
type Type string

// Metric types.
const (
	Counter   Type = "counter"
	Gauge     Type = "gauge"
	Histogram Type = "histogram"
	Summary   Type = "summary"
	InfoType  Type = "info" // a gauge whose value is 1 and whose labels carry the data
)

// Role says what a metric measures, independent of how an engine names it.
type Role string

// Roles the generators ask for. Not every engine version fills every role.
const (
	RoleTTFT               Role = "ttft"                 // histogram, seconds: time to first token
	RoleITL                Role = "itl"                  // histogram, seconds: inter-token latency (per token)
	RoleTPOTPerRequest     Role = "tpot_per_request"     // histogram, seconds: per-request mean time per output token
	RoleE2E                Role = "e2e"                  // histogram, seconds: end-to-end request latency
	RoleQueueTime          Role = "queue_time"           // histogram, seconds: time queued
	RolePrefillTime        Role = "prefill_time"         // histogram, seconds
	RoleDecodeTime         Role = "decode_time"          // histogram, seconds
	RoleInferenceTime      Role = "inference_time"       // histogram, seconds
	RoleRequestsRunning    Role = "requests_running"     // gauge
	RoleRequestsWaiting    Role = "requests_waiting"     // gauge: queue depth
	RoleWaitingByReason    Role = "waiting_by_reason"    // gauge with a reason label
	RoleKVCacheUsage       Role = "kv_cache_usage"       // gauge, 0..1
	RolePreemptions        Role = "preemptions"          // counter
	RolePromptTokens       Role = "prompt_tokens"        // counter (or histogram _sum)
	RoleGenerationTokens   Role = "generation_tokens"    // counter (or histogram _sum)
	RoleRequestFinished    Role = "request_finished"     // counter of finished requests (finish reason label where the engine has it)
	RoleRequestFailed      Role = "request_failed"       // counter of failed requests
	RoleRequestReceived    Role = "request_received"     // counter of received requests
	RolePrefixCacheQueries Role = "prefix_cache_queries" // counter
	RolePrefixCacheHits    Role = "prefix_cache_hits"    // counter
	RoleSpecDrafts         Role = "spec_drafts"          // counter
	RoleSpecDraftTokens    Role = "spec_draft_tokens"    // counter
	RoleSpecAcceptedTokens Role = "spec_accepted_tokens" // counter
	RoleIterationTokens    Role = "iteration_tokens"     // histogram: tokens per engine step
	RolePromptLength       Role = "prompt_length"        // histogram: prompt tokens per request
	RoleGenerationLength   Role = "generation_length"    // histogram: generated tokens per request
	RoleBatchSize          Role = "batch_size"           // gauge (TGI)
	RoleBatchMaxTokens     Role = "batch_max_tokens"     // gauge (TGI): max tokens of the current batch
	RoleBatchTokenBudget   Role = "batch_token_budget"   // gauge (TGI): max_batch_total_tokens
	RoleBatchInferenceTime Role = "batch_inference_time" // histogram with a method label (TGI)
	RoleBatchForwardTime   Role = "batch_forward_time"   // histogram with a method label (TGI)
	RoleBatchConcat        Role = "batch_concat"         // counter with a reason label (TGI)
)

// Metric is one family an engine exposes.
type Metric struct {
	Name    string   // exposed family name: counters carry _total where exposed; histograms are the base name
	Type    Type     // as exposed
	Help    string   // what it means, in our words
	Labels  []string // labels beyond the engine's common ones (e.g. finished_reason)
	Buckets []float64
	Role    Role  // what it measures; empty for families no generator reads by role
	Range   Range // versions that expose it by default
	// NoCommonLabels marks families without the engine's common labels
	// (vLLM's lora_requests_info has neither model_name nor engine).
	NoCommonLabels bool
}

// Series returns the name of one exposed series of the family: suffix is
// "" for counters and gauges, "_bucket", "_sum" or "_count" for histograms.
func (m Metric) Series(suffix string) string { return m.Name + suffix }

// Change records a rename or removal users trip over.
type Change struct {
	Name        string  // the old exposed name
	Replacement string  // the name to use instead; empty when there is none
	Deprecated  Version // zero when never deprecated before removal
	Hidden      Version // zero when never hidden
	Removed     Version // first version without it
	Advice      string  // what to do, e.g. a PromQL replacement
}

// EngineInfo is what is constant for an engine across versions.
type EngineInfo struct {
	Engine Engine
	// Known is the span of versions the catalog covers; a spec version
	// outside it is rejected rather than guessed.
	Known Range
	// Releases lists the MAJOR.MINOR release lines we know, oldest first.
	Releases []Version
	// LeStyle is how the engine's client library prints bucket boundaries.
	LeStyle LeStyle
	// CounterSuffix is "_total" when counters carry it (vLLM) and "" when not (TGI).
	CounterSuffix string
	Metrics       []Metric
	Changes       []Change
	// ModelLabel is the label carrying the served model name, with the versions that have it.
	ModelLabel      string
	ModelLabelRange Range
	// DataParallelLabel is the label that splits one replica's series per data-parallel engine.
	DataParallelLabel      string
	DataParallelLabelRange Range
	// FinishReasonLabel and its values by version.
	FinishReasonLabel string
	FinishReasons     []LabelValue
	// FailureReasons are the finish-reason values that mean the request failed.
	FailureReasons []string
	// CompleteReason is the finish-reason value of a stream that ended normally.
	CompleteReason string
	// TruncatedReason is the finish-reason value of a stream cut at max_tokens.
	TruncatedReason string
	// DefaultPort is the container port /metrics is served on by default
	// (read it through Catalog.DefaultPort; a spec's metricsPort overrides it).
	DefaultPort int
	MetricsPath string
	// VerifiedThrough is the newest release whose metrics source the catalog
	// was compared with; Known may reach further (releases assumed to keep
	// the last verified metric set).
	VerifiedThrough Version
}

// LabelValue is a label value with the versions that emit it.
type LabelValue struct {
	Value string
	Range Range
}

// Catalog is the metric set of one engine at one version.
type Catalog struct {
	Info    *EngineInfo
	Version Version
	metrics []Metric
	byName  map[string]int
	byRole  map[Role]int
}

// Lookup returns the engine's catalog at version v, or an error that says
// which versions are known.
func Lookup(engine Engine, v Version) (*Catalog, error) {
	info, ok := engineInfos()[engine]
	if !ok {
		return nil, fmt.Errorf("unknown engine %q (known: %s)", engine, joinEngines())
	}
	if !info.Known.Contains(v) {
		return nil, fmt.Errorf("%s %s is outside the versions inferobs knows (%s to %s)", engine, v.Short(), info.Releases[0].Short(), info.Releases[len(info.Releases)-1].Short())
	}
	c := &Catalog{Info: info, Version: v, byName: map[string]int{}, byRole: map[Role]int{}}
	for _, m := range info.Metrics {
		if !m.Range.Contains(v) {
			continue
		}
		c.byName[m.Name] = len(c.metrics)
		if m.Role != "" {
			if _, dup := c.byRole[m.Role]; dup {
				panic(fmt.Sprintf("library: %s %s has two metrics for role %s", engine, v, m.Role))
			}
			c.byRole[m.Role] = len(c.metrics)
		}
		c.metrics = append(c.metrics, m)
	}
	return c, nil
}

// MustLookup is Lookup for versions known to exist (tests, examples).
func MustLookup(engine Engine, v Version) *Catalog {
	c, err := Lookup(engine, v)
	if err != nil {
		panic(err)
	}
	return c
}

func joinEngines() string {
	var s []string
	for _, e := range Engines() {
		s = append(s, string(e))
	}
	return strings.Join(s, ", ")
}

// Info returns the static facts of an engine.
func Info(engine Engine) (*EngineInfo, bool) {
	i, ok := engineInfos()[engine]
	return i, ok
}

// Engine is the catalog's engine.
func (c *Catalog) Engine() Engine { return c.Info.Engine }

// Metrics returns the families exposed at this version, in catalog order.
func (c *Catalog) Metrics() []Metric { return c.metrics }

// ByRole returns the family that plays role r at this version.
func (c *Catalog) ByRole(r Role) (Metric, bool) {
	i, ok := c.byRole[r]
	if !ok {
		return Metric{}, false
	}
	return c.metrics[i], true
}

// ByName returns the family with exposed name n (histogram base name, or
// counter name with its suffix).
func (c *Catalog) ByName(n string) (Metric, bool) {
	i, ok := c.byName[n]
	if !ok {
		return Metric{}, false
	}
	return c.metrics[i], true
}

// SeriesFamily resolves an exposed series name (including _bucket, _sum,
// _count and _created suffixes) to its family.
func (c *Catalog) SeriesFamily(series string) (Metric, bool) {
	if m, ok := c.ByName(series); ok {
		return m, true
	}
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(series, suf); ok {
			if m, ok := c.ByName(base); ok && (m.Type == Histogram || (m.Type == Summary && suf != "_bucket")) {
				return m, true
			}
		}
	}
	return Metric{}, false
}

// CommonLabels are the labels every family of this version carries.
func (c *Catalog) CommonLabels() []string {
	var l []string
	if c.Info.ModelLabel != "" && c.Info.ModelLabelRange.Contains(c.Version) {
		l = append(l, c.Info.ModelLabel)
	}
	if c.HasDataParallelLabel() {
		l = append(l, c.Info.DataParallelLabel)
	}
	return l
}

// ModelLabel returns the label that carries the served model name, if any.
func (c *Catalog) ModelLabel() (string, bool) {
	if c.Info.ModelLabel == "" || !c.Info.ModelLabelRange.Contains(c.Version) {
		return "", false
	}
	return c.Info.ModelLabel, true
}

// HasDataParallelLabel reports whether series split per data-parallel engine.
func (c *Catalog) HasDataParallelLabel() bool {
	return c.Info.DataParallelLabel != "" && c.Info.DataParallelLabelRange.Contains(c.Version)
}

// FinishReasons returns the finish-reason values this version emits.
func (c *Catalog) FinishReasons() []string {
	var out []string
	for _, lv := range c.Info.FinishReasons {
		if lv.Range.Contains(c.Version) {
			out = append(out, lv.Value)
		}
	}
	return out
}

// FailureReasons returns the failure finish-reason values this version emits.
func (c *Catalog) FailureReasons() []string {
	have := map[string]bool{}
	for _, r := range c.FinishReasons() {
		have[r] = true
	}
	var out []string
	for _, r := range c.Info.FailureReasons {
		if have[r] {
			out = append(out, r)
		}
	}
	return out
}

// ChangeFor returns the rename/removal record of an exposed name that this
// version no longer (or not yet) exposes.
func (c *Catalog) ChangeFor(name string) (Change, bool) {
	for _, ch := range c.Info.Changes {
		if ch.Name == name {
			return ch, true
		}
	}
	return Change{}, false
}

// AllNames returns every family name the engine has exposed in any version, sorted.
func (e *EngineInfo) AllNames() []string {
	seen := map[string]bool{}
	for _, m := range e.Metrics {
		seen[m.Name] = true
	}
	for _, ch := range e.Changes {
		seen[ch.Name] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// LatestRelease returns the newest release line the catalog knows.
func (e *EngineInfo) LatestRelease() Version { return e.Releases[len(e.Releases)-1] }

// DefaultPort is the container port this version serves /metrics on by default.
func (c *Catalog) DefaultPort() int { return c.Info.DefaultPort }

// MetricsPath is the HTTP path of this version's metrics endpoint.
func (c *Catalog) MetricsPath() string { return c.Info.MetricsPath }

// Unverified returns the release the catalog was last verified against when
// this version is newer than it (ok), so callers can say that the version's
// metric set is assumed.
func (c *Catalog) Unverified() (verified Version, ok bool) {
	v := c.Info.VerifiedThrough
	if v.IsZero() || !v.Less(c.Version) {
		return Version{}, false
	}
	return v, true
}

// VerificationNote says, for a version newer than the last verified release,
// which release the catalog was last verified against; "" otherwise.
func (c *Catalog) VerificationNote() string {
	v, ok := c.Unverified()
	if !ok {
		return ""
	}
	return fmt.Sprintf("the %s catalog was last verified against release %s; %s is assumed to expose the same metrics", c.Engine(), v, c.Version)
}

// FamilyLabels returns every label family m carries at this version: the
// common labels (unless m has none) and its own.
func (c *Catalog) FamilyLabels(m Metric) []string {
	var out []string
	if !m.NoCommonLabels {
		out = append(out, c.CommonLabels()...)
	}
	for _, l := range m.Labels {
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// RunningRoles are the gauges of requests in flight, in order of
// preference: vLLM's running requests, else TGI's batch size.
var RunningRoles = []Role{RoleRequestsRunning, RoleBatchSize}
