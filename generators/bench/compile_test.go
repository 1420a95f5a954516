package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/inferobs/inferobs/generators/bench/largespec"
	"github.com/inferobs/inferobs/generators/cardinality"
	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/schema"
)

// The compile benchmarks run every stage on three specs: the quickstart,
// the platform example and the generated large spec (see largespec), plus
// the large spec at 2× and 4× to show how cost grows with the number of SLO
// instances. Besides ns/op and allocations (-benchmem) they report what a
// stage produces: bytes/op of artifacts, rules/op, slos/op, and ns/slo for
// the whole compile. They never assert on time.
//
// INFEROBS_BENCH_SCALES (comma-separated, default "1,2,4") chooses the
// large-spec scales; "1" keeps a run short.

type specCase struct {
	name  string
	paths []string
}

var (
	casesOnce sync.Once
	cases     []specCase
	casesErr  error
	largeDir  string
)

// benchScales are the large-spec scales of the whole-compile benchmark.
func benchScales() []int {
	v := os.Getenv("INFEROBS_BENCH_SCALES")
	if v == "" {
		v = "1,2,4"
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// specs returns the benchmark specs; the large ones are written once per
// test binary into a temporary directory (removed by TestMain).
func specs(b *testing.B, withScales bool) []specCase {
	b.Helper()
	casesOnce.Do(func() {
		cases = []specCase{
			{"quickstart", []string{"../../examples/quickstart"}},
			{"platform", []string{"../../examples/platform"}},
		}
		largeDir, casesErr = os.MkdirTemp("", "inferobs-bench-")
		if casesErr != nil {
			return
		}
		for _, s := range benchScales() {
			dir := filepath.Join(largeDir, fmt.Sprintf("large-%dx", s))
			if _, casesErr = largespec.Write(dir, largespec.Options{Scale: s}); casesErr != nil {
				return
			}
			cases = append(cases, specCase{fmt.Sprintf("large-%dx", s), []string{dir}})
		}
	})
	if casesErr != nil {
		b.Fatal(casesErr)
	}
	if withScales {
		return cases
	}
	var out []specCase
	for _, c := range cases {
		if !strings.HasPrefix(c.name, "large-") || c.name == "large-1x" {
			out = append(out, c)
		}
	}
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if largeDir != "" {
		os.RemoveAll(largeDir)
	}
	os.Exit(code)
}

func load(b *testing.B, c specCase) *schema.Spec {
	b.Helper()
	s, ds := compiler.Load(c.paths...)
	if s == nil {
		b.Fatalf("%s: %v", c.name, ds.Err())
	}
	return s
}

func mustPlan(b *testing.B, c specCase) *plan.Plan {
	b.Helper()
	p, ds := plan.New(load(b, c))
	if p == nil {
		b.Fatalf("%s: %v", c.name, ds.Err())
	}
	return p
}

func artifactBytes(arts []emit.Artifact) int {
	n := 0
	for _, a := range arts {
		n += len(a.Data)
	}
	return n
}

// ruleCount counts the rules in the prometheus/*.yaml artifacts.
func ruleCount(arts []emit.Artifact) int {
	rec, alert := ruleCounts(arts)
	return rec + alert
}

// ruleCounts counts the recording and alerting rules in the
// prometheus/*.yaml artifacts.
func ruleCounts(arts []emit.Artifact) (recording, alerting int) {
	for _, a := range arts {
		if strings.HasPrefix(a.Path, "prometheus/") {
			recording += strings.Count(string(a.Data), "\n      - record: ")
			alerting += strings.Count(string(a.Data), "\n      - alert: ")
		}
	}
	return recording, alerting
}

// BenchmarkLoad: reading the CUE files, unifying them with the schema,
// validating and decoding into a schema.Spec.
func BenchmarkLoad(b *testing.B) {
	for _, c := range specs(b, false) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if s, ds := compiler.Load(c.paths...); s == nil {
					b.Fatal(ds.Err())
				}
			}
		})
	}
}

// BenchmarkPlan: resolving a loaded spec into a Plan and checking the
// cardinality budget (what CompileSpec does before any generator).
func BenchmarkPlan(b *testing.B) {
	for _, c := range specs(b, false) {
		b.Run(c.name, func(b *testing.B) {
			s := load(b, c)
			b.ReportAllocs()
			var p *plan.Plan
			for b.Loop() {
				p, _ = plan.New(s)
				if p == nil {
					b.Fatal("plan failed")
				}
				if _, cds := cardinality.CheckPlan(p); cds.HasErrors() {
					b.Fatal(cds.Err())
				}
			}
			b.ReportMetric(float64(len(p.SLOs)), "slos/op")
		})
	}
}

// BenchmarkGenerators runs each artifact generator on a ready plan.
func BenchmarkGenerators(b *testing.B) {
	for _, c := range specs(b, false) {
		p := mustPlan(b, c)
		for _, g := range compiler.Generators() {
			b.Run(c.name+"/"+g.Name, func(b *testing.B) {
				b.ReportAllocs()
				var arts []emit.Artifact
				var err error
				for b.Loop() {
					if arts, err = g.Generate(p); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(artifactBytes(arts)), "bytes/op")
				b.ReportMetric(float64(len(arts)), "files/op")
				if g.Name == "rules" {
					b.ReportMetric(float64(ruleCount(arts)), "rules/op")
				}
			})
		}
	}
}

// BenchmarkCompile is the whole library compile (compiler.Compile: load,
// plan, cardinality check, every generator), without writing files.
func BenchmarkCompile(b *testing.B) {
	for _, c := range specs(b, true) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var r *compiler.Result
			var err error
			for b.Loop() {
				if r, err = compiler.Compile(c.paths...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(artifactBytes(r.Artifacts)), "bytes/op")
			b.ReportMetric(float64(ruleCount(r.Artifacts)), "rules/op")
			b.ReportMetric(float64(len(r.Plan.SLOs)), "slos/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(r.Plan.SLOs)), "ns/slo")
		})
	}
}
