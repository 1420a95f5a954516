package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSimulateList(t *testing.T) {
	code, out, _ := runCLI(t, "simulate", "--list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, n := range []string{"healthy", "ttft-fast-burn", "ttft-slow-burn", "cache-thrash", "tensor-idle", "truncations", "power-capped", "thermal-throttling", "gateway-gap", "engine-down"} {
		if !strings.Contains(out, "\n"+n+"\n") && !strings.HasPrefix(out, n+"\n") {
			t.Errorf("--list lacks %s", n)
		}
	}
	code, out, _ = runCLI(t, "simulate", "--list", "-q", "../../examples/quickstart")
	if code != 0 || !strings.Contains(out, "must LLMKVCacheThrash{model=\"llama-3.1-8b\"}") || !strings.Contains(out, "does not apply to this spec") {
		t.Errorf("--list with a spec (%d):\n%s", code, out)
	}
}

func TestSimulateUsage(t *testing.T) {
	for _, args := range [][]string{
		{"simulate", "--listen", "0.0.0.0:9400", "../../examples/quickstart"},
		{"simulate", "--listen", ":9400", "../../examples/quickstart"},
		{"simulate", "--scenario", "nope", "../../examples/quickstart"},
		{"simulate", "--output", "csv", "../../examples/quickstart"},
		{"simulate", "--speed", "0", "../../examples/quickstart"},
		{"simulate", "--backend", "influxdb", "--write-prometheus", "/nonexistent", "../../examples/quickstart"},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d (%s), want %d", args, code, stderr, exitUsage)
		}
	}
	if code, _, _ := runCLI(t, "simulate", "-q", "--scenario", "gateway-gap", "--output", "openmetrics", "--duration", "1m", "../../examples/quickstart"); code != exitInvalid {
		t.Errorf("gateway-gap without tracing: exit %d, want %d", code, exitInvalid)
	}
}

func TestSimulateOpenMetrics(t *testing.T) {
	dir := t.TempDir()
	run := func(name string) []byte {
		path := filepath.Join(dir, name)
		code, _, stderr := runCLI(t, "simulate", "-q", "--scenario", "cache-thrash", "--seed", "5", "--output", "openmetrics", "--file", path,
			"--duration", "10m", "--end", "2026-01-02T03:04:05Z", "../../examples/quickstart")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := run("a.om"), run("b.om")
	if !bytes.Equal(a, b) {
		t.Error("same seed and end, different files")
	}
	if !bytes.HasSuffix(a, []byte("# EOF\n")) || !bytes.Contains(a, []byte("# TYPE vllm:num_preemptions counter")) {
		t.Errorf("not an OpenMetrics file:\n%.400s", a)
	}
	// 10 minutes at the spec's 15s scrape interval, ending 03:04:00 (the
	// end truncated to the step): 41 timestamps.
	if n := bytes.Count(a, []byte("up{instance=\"llama-3.1-8b-0:8000\"")); n != 41 {
		t.Errorf("%d samples of one up series, want 41", n)
	}
	if !bytes.HasSuffix(a[:len(a)-len("# EOF\n")], []byte(" 1767323040.000\n")) {
		t.Error("the last sample is not at the end time (03:04:00)")
	}
}
