package lint_test

import (
	"fmt"
	"os"

	"github.com/inferobs/inferobs/generators/lint"
	"github.com/inferobs/inferobs/library"
)

func ExampleExpr() {
	opts := lint.Options{Engine: library.VLLM, Version: library.V(0, 16, 0)}
	for _, f := range lint.Expr(`avg(vllm:gpu_cache_usage_perc) > 0.9`, opts) {
		fmt.Printf("%d:%d %s %s: %s\n", f.Line, f.Column, f.Severity, f.Check, f.Message)
	}
	// Output:
	// 1:5 error metric/removed: vllm:gpu_cache_usage_perc was removed in vLLM 0.12; use vllm:kv_cache_usage_perc
}

func ExampleFormatGitHub() {
	fs, _ := lint.File("rules.yaml", []byte(`groups:
- name: vllm
  rules:
  - alert: QueueDeep
    expr: rate(vllm:num_requests_waiting[5m]) > 4
`), lint.Options{Engine: library.VLLM, Version: library.V(0, 16, 0)})
	_ = lint.FormatGitHub(os.Stdout, fs)
	fmt.Println(lint.HasErrors(fs))
	// Output:
	// ::error file=rules.yaml,line=5,col=11,title=promql/rate-gauge::rate() over gauge vllm:num_requests_waiting: it reads every decrease as a counter reset; use the gauge itself, avg_over_time() or deriv()  (rule QueueDeep)
	// true
}
