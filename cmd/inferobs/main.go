// Command inferobs compiles a CUE spec of LLM-serving models, tenants,
// workloads and SLOs into Prometheus rules, alerts, tests, dashboards and
// collector configuration. See `inferobs --help`.
package main

import (
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes.
const (
	exitOK      = 0
	exitInvalid = 1 // invalid spec or failed check
	exitUsage   = 2
)

// run executes the CLI and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	if ee, ok := err.(*exitError); ok {
		return ee.code
	}
	// Anything cobra itself rejects (unknown flag or command, bad args).
	io.WriteString(stderr, "inferobs: "+err.Error()+"\n")
	return exitUsage
}

// exitError carries an exit code; its message is already printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return "exit" }
