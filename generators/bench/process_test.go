package bench

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProcessTimes times `inferobs generate` as a whole process on each
// spec of INFEROBS_BENCH_SPECS (name=dir,...), INFEROBS_BENCH_RUNS times
// (default 5), each run into an emptied directory so it writes every file.
// It prints every run and the medians of wall time, CPU time (user + sys)
// and peak resident memory, read from the kernel's rusage of the child.
// Runs when INFEROBS_BENCH_PROCESS=1 and INFEROBS_BIN name the binary (make
// bench sets both); asserts nothing about the figures.
func TestProcessTimes(t *testing.T) {
	if os.Getenv("INFEROBS_BENCH_PROCESS") != "1" {
		t.Skip("set INFEROBS_BENCH_PROCESS=1 (make bench does)")
	}
	bin, err := filepath.Abs(os.Getenv("INFEROBS_BIN"))
	if err != nil || os.Getenv("INFEROBS_BIN") == "" {
		t.Fatal("INFEROBS_BIN must name the inferobs binary")
	}
	runs := 5
	fmt.Sscan(os.Getenv("INFEROBS_BENCH_RUNS"), &runs)
	out := t.TempDir()
	fmt.Printf("\n%-12s %6s %9s %9s %10s\n", "spec", "run", "wall_s", "cpu_s", "peak_MiB")
	for _, spec := range strings.Split(os.Getenv("INFEROBS_BENCH_SPECS"), ",") {
		name, dir, ok := strings.Cut(spec, "=")
		if !ok {
			t.Fatalf("INFEROBS_BENCH_SPECS: %q is not name=dir", spec)
		}
		var walls, cpus, rss []float64
		target := filepath.Join(out, name)
		for i := 1; i <= runs; i++ {
			if err := os.RemoveAll(target); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "generate", "--quiet", "-o", target, dir)
			start := time.Now()
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, b)
			}
			wall := time.Since(start).Seconds()
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
			peak := float64(ru.Maxrss) / 1024 // KiB on Linux
			walls, cpus, rss = append(walls, wall), append(cpus, cpu), append(rss, peak)
			fmt.Printf("%-12s %6d %9.2f %9.2f %10.1f\n", name, i, wall, cpu, peak)
		}
		files, bytes := 0, int64(0)
		filepath.WalkDir(target, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if info, err := d.Info(); err == nil {
					files++
					bytes += info.Size()
				}
			}
			return nil
		})
		fmt.Printf("%-12s %6s %9.2f %9.2f %10.1f   (%d files, %.1f MiB written)\n",
			name, "median", median(walls), median(cpus), median(rss), files, float64(bytes)/(1<<20))
	}
	fmt.Println()
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
