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
	// 2 rule groups:
	//   inferobs:slo:support-chat-ttft:fast every 30s
	//   inferobs:slo:support-chat-ttft:slow every 5m
	// alert: SupportChatTTFTBudgetBurn
}
