package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/inferobs/inferobs/generators/bench/largespec"
	"github.com/inferobs/inferobs/generators/compiler"
)

// TestGenerationTimeVsSloth times generation per SLO against sloth v0.16.0:
// sloth receives one plain burn-rate SLO per SLO instance of the large spec
// (the same good and total selections, objective and 30-day period; see
// slothInput) and both run as whole processes, each the median of
// INFEROBS_BENCH_RUNS runs (default 5) into an empty directory. inferobs's
// run writes everything it generates (rule files, PrometheusRules, tests,
// dashboards, collector config, ...), sloth's only its rule file; both
// figures are printed. Runs when INFEROBS_BENCH_SAMPLES=1 and the sloth and
// inferobs binaries are there (INFEROBS_SLOTH, INFEROBS_BIN); asserts
// nothing about the figures.
func TestGenerationTimeVsSloth(t *testing.T) {
	if os.Getenv("INFEROBS_BENCH_SAMPLES") != "1" {
		t.Skip("set INFEROBS_BENCH_SAMPLES=1 (make bench does)")
	}
	sloth, bin := slothBinary(), os.Getenv("INFEROBS_BIN")
	if sloth == "" || bin == "" {
		fmt.Println("generation time vs sloth: needs INFEROBS_SLOTH and INFEROBS_BIN; skipped")
		return
	}
	bin, _ = filepath.Abs(bin)
	runs := 5
	fmt.Sscan(os.Getenv("INFEROBS_BENCH_RUNS"), &runs)
	dir := t.TempDir()
	spec := filepath.Join(dir, "large")
	if _, err := largespec.Write(spec, largespec.Options{Scale: 1}); err != nil {
		t.Fatal(err)
	}
	r, err := compiler.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	in, err := slothInput(r.Plan, "raw")
	if err != nil {
		t.Fatal(err)
	}
	slothIn := filepath.Join(dir, "slos.yaml")
	if err := os.WriteFile(slothIn, in, 0o644); err != nil {
		t.Fatal(err)
	}

	timeRuns := func(name string, args func(out string) []string) time.Duration {
		var ds []time.Duration
		for i := range runs {
			out := filepath.Join(dir, fmt.Sprintf("%s-%d", name, i))
			a := args(out)
			cmd := exec.Command(a[0], a[1:]...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, stderr.String())
			}
			ds = append(ds, time.Since(start))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	ours := timeRuns("inferobs", func(out string) []string { return []string{bin, "generate", "--quiet", "-o", out, spec} })
	theirs := timeRuns("sloth", func(out string) []string {
		return []string{sloth, "generate", "--no-log", "-i", slothIn, "-o", out + ".yaml"}
	})

	slothRules, err := os.ReadFile(filepath.Join(dir, "sloth-0.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	oursRec, oursAlert := ruleCounts(r.Artifacts)
	n := len(r.Plan.SLOs)
	per := func(d time.Duration) string {
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)/float64(n))
	}
	fmt.Printf("\nGeneration time per SLO, large spec (%d SLO instances; whole process, median of %d runs)\n\n", n, runs)
	fmt.Printf("  inferobs generate (every artifact):  %8.2f s  %s per SLO  %d recording + %d alerting rules (all kinds)\n", ours.Seconds(), per(ours), oursRec, oursAlert)
	fmt.Printf("  sloth generate (rule file only):     %8.2f s  %s per SLO  %d recording + %d alerting rules\n",
		theirs.Seconds(), per(theirs), bytes.Count(slothRules, []byte("- record: ")), bytes.Count(slothRules, []byte("- alert: ")))
	fmt.Printf("  sloth / inferobs time per SLO:       %.1f×\n\n", float64(theirs)/float64(ours))
}
