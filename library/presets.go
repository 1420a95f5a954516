package library

import "time"

// SLOKind names an SLI the compiler knows how to measure.
type SLOKind string

// SLO kinds, in the order outputs list them.
const (
	SLOTTFT         SLOKind = "ttft"         // % of requests whose first token came within the threshold
	SLOITL          SLOKind = "itl"          // % of tokens that followed the previous one within the threshold
	SLOE2E          SLOKind = "e2e"          // % of requests that completed within the threshold
	SLOSuccess      SLOKind = "success"      // % of requests that did not fail
	SLOCompleteness SLOKind = "completeness" // % of finished streams that ended normally (finish reason stop)
	SLOHeadroom     SLOKind = "headroom"     // % of time the queue stayed at or below maxQueue
)

// SLOKinds lists every kind in output order.
func SLOKinds() []SLOKind {
	return []SLOKind{SLOTTFT, SLOITL, SLOE2E, SLOSuccess, SLOCompleteness, SLOHeadroom}
}

// IsLatency reports whether the kind compares a histogram against a threshold.
func (k SLOKind) IsLatency() bool { return k == SLOTTFT || k == SLOITL || k == SLOE2E }

// PresetSLO is one SLO a workload class gets unless the spec says otherwise.
type PresetSLO struct {
	Kind      SLOKind
	Threshold time.Duration // latency kinds
	MaxQueue  int           // headroom
	Objective float64       // percent
}

// Preset is the SLO set of a workload class. Latency thresholds are the
// source article's (chat: TTFT p95 < 1 s, ITL p95 < 80 ms; RAG: 3 s, 50 ms;
// code: 500 ms, 30 ms); the other objectives are inferobs's starting points.
// `inferobs presets` prints them.
type Preset struct {
	Class string
	SLOs  []PresetSLO
}

var presets = map[string]Preset{
	"chat": {Class: "chat", SLOs: []PresetSLO{
		{Kind: SLOTTFT, Threshold: time.Second, Objective: 95},
		{Kind: SLOITL, Threshold: 80 * time.Millisecond, Objective: 95},
		{Kind: SLOSuccess, Objective: 99.5},
		{Kind: SLOCompleteness, Objective: 90},
		{Kind: SLOHeadroom, MaxQueue: 8, Objective: 95},
	}},
	"rag": {Class: "rag", SLOs: []PresetSLO{
		{Kind: SLOTTFT, Threshold: 3 * time.Second, Objective: 95},
		{Kind: SLOITL, Threshold: 50 * time.Millisecond, Objective: 95},
		{Kind: SLOSuccess, Objective: 99.5},
		{Kind: SLOCompleteness, Objective: 90},
		{Kind: SLOHeadroom, MaxQueue: 16, Objective: 95},
	}},
	"code": {Class: "code", SLOs: []PresetSLO{
		{Kind: SLOTTFT, Threshold: 500 * time.Millisecond, Objective: 95},
		{Kind: SLOITL, Threshold: 30 * time.Millisecond, Objective: 95},
		{Kind: SLOSuccess, Objective: 99.5},
		// No completeness SLO: code completion asks for short answers, and
		// a max_tokens stop (finish reason "length") is its normal ending.
		{Kind: SLOHeadroom, MaxQueue: 4, Objective: 95},
	}},
}

// PresetFor returns the preset of a workload class.
func PresetFor(class string) (Preset, bool) {
	p, ok := presets[class]
	return p, ok
}

// PresetClasses lists the workload classes, sorted.
func PresetClasses() []string { return []string{"chat", "code", "rag"} }
