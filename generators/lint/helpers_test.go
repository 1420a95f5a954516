package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferobs/inferobs/library"
)

// want is one expected finding: its place, check and a message substring.
type want struct {
	line, col int // col 0: not compared
	check     string
	panel     string // compared when set
	refID     string // compared when set
	msg       string // substring of the message
}

func (w want) String() string {
	return fmt.Sprintf("%d:%d %s [%s %s] %q", w.line, w.col, w.check, w.panel, w.refID, w.msg)
}

func (w want) matches(f Finding) bool {
	return f.Line == w.line && (w.col == 0 || f.Column == w.col) && f.Check == w.check &&
		(w.panel == "" || f.Panel == w.panel) && (w.refID == "" || f.RefID == w.refID) &&
		strings.Contains(f.Message, w.msg)
}

func describe(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n\t%d:%d %s %s [%s %s] %s", f.Line, f.Column, f.Severity, f.Check, f.Panel, f.RefID, f.Message)
	}
	return b.String()
}

// assertFindings requires that got and wants match one to one, in order.
func assertFindings(t *testing.T, got []Finding, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("got %d findings, want %d:%s\nwant:%v", len(got), len(wants), describe(got), wants)
	}
	for i, w := range wants {
		if !w.matches(got[i]) {
			t.Errorf("finding %d:\n\tgot  %d:%d %s [%s %s] %s\n\twant %v", i, got[i].Line, got[i].Column, got[i].Check, got[i].Panel, got[i].RefID, got[i].Message, w)
		}
	}
}

// lintFixture lints one file under testdata.
func lintFixture(t *testing.T, name string, opts Options) []Finding {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := File(name, data, opts)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func vllmAt(minor int) Options {
	return Options{Engine: library.VLLM, Version: library.V(0, minor, 0)}
}

// onlyCheck keeps the findings of one check.
func onlyCheck(fs []Finding, check string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

func write(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
