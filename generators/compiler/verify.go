package compiler

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/inferobs/inferobs/generators/rules/ruletest"
	"github.com/inferobs/inferobs/schema/diag"
)

// VerifyTests runs every generated promtool test of the result in process
// (package ruletest: the Prometheus rule engine evaluating the generated
// rule files, as `promtool test rules` does) and returns an error naming
// each failing test group and the alert it checks. Nothing is written
// outside a temporary directory.
//
// It is not part of every compile: on the examples the tests take tens of
// seconds to minutes (README: Performance), so `check --verify` and
// `generate --verify` run it.
func (r *Result) VerifyTests() error {
	dir, err := os.MkdirTemp("", "inferobs-verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var tests []string
	for _, a := range r.Artifacts {
		if !strings.HasPrefix(a.Path, "prometheus/") && !strings.HasPrefix(a.Path, "tests/") {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(a.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, a.Data, 0o644); err != nil {
			return err
		}
		if strings.HasPrefix(a.Path, "tests/") {
			tests = append(tests, a.Path)
		}
	}
	type failure struct{ file, msg string }
	failures := make([][]failure, len(tests))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, t := range tests {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res, err := ruletest.RunFile(filepath.Join(dir, filepath.FromSlash(t)))
			if err != nil {
				failures[i] = append(failures[i], failure{t, err.Error()})
				return
			}
			for _, g := range res {
				for _, f := range g.Failures {
					failures[i] = append(failures[i], failure{t, fmt.Sprintf("test %q: %s", g.Name, f)})
				}
			}
		})
	}
	wg.Wait()
	var ds diag.List
	for _, fs := range failures {
		for _, f := range fs {
			ds = append(ds, diag.Errorf(diag.Pos{File: f.file}, "", "generated test fails, so a rule does not do what its test says (nothing was written; please report it): %s", f.msg))
		}
	}
	return ds.Err()
}
