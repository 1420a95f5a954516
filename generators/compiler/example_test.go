package compiler_test

import (
	"fmt"
	"log"

	"go.yaml.in/yaml/v3"

	"github.com/inferobs/inferobs/generators/compiler"
)

// Compile the quickstart spec in memory and inspect one of its rule files:
// the TTFT SLO of the support-chat workload gets a fast and a slow rule
// group, and its burn-rate alert is named after the SLO.
func Example() {
	r, err := compiler.Compile("../../examples/quickstart")
	if err != nil {
		log.Fatal(err)
	}
	a, ok := r.Artifact("prometheus/slo-support-chat-ttft.yaml")
	if !ok {
		log.Fatal("no TTFT rule file")
	}
	var file struct {
		Groups []struct {
			Name     string `yaml:"name"`
			Interval string `yaml:"interval"`
			Rules    []struct {
				Alert string `yaml:"alert"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(a.Data, &file); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(r.Plan.SLOs), "SLOs")
	fmt.Println(len(file.Groups), "rule groups:")
	alert := ""
	for _, g := range file.Groups {
		fmt.Printf("  %s every %s\n", g.Name, g.Interval)
		for _, rule := range g.Rules {
			if rule.Alert != "" {
				alert = rule.Alert
			}
		}
	}
	fmt.Println("alert:", alert)
	// Output:
	// 5 SLOs
	// 4 rule groups:
	//   inferobs:slo:support-chat-ttft:rates every 30s
	//   inferobs:slo:support-chat-ttft:fast every 30s
	//   inferobs:slo:support-chat-ttft:sampled every 5m
	//   inferobs:slo:support-chat-ttft:slow every 5m
	// alert: SupportChatTTFTBudgetBurn
}

// Compile a spec held in memory: an invalid one gives every problem with
// its position.
func ExampleCompileFiles() {
	_, err := compiler.CompileFiles(compiler.File{Name: "spec.cue", Data: []byte(`
environment: "prod"
models: "m": {engine: "vllm", engineVersion: "0.11.0", selector: {job: "m"}, gpu: "H100-80GB"}
`)})
	fmt.Println(err)
	// Output:
	// spec.cue:3:83: models.m.gpu: unknown GPU "H100-80GB": the spec declares no gpus
}

// Lint a dashboard query written for an old vLLM against vLLM 0.11: the
// removed metric is reported with its replacement.
func ExampleLintFile() {
	opts := compiler.LintOptions{}
	if err := compiler.ParseEngine("vllm@0.11", &opts); err != nil {
		log.Fatal(err)
	}
	rules := []byte(`groups:
  - name: old
    rules:
      - record: gpu_cache:usage
        expr: max(vllm:gpu_cache_usage_perc)
`)
	fs, err := compiler.LintFile("old-rules.yaml", rules, opts)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range fs {
		fmt.Printf("%s %s: %s\n", f.Check, f.Severity, f.Message)
	}
	// Output:
	// metric/removed error: vllm:gpu_cache_usage_perc is hidden since vLLM 0.11 and removed in 0.12; use vllm:kv_cache_usage_perc
}
