// Command largegen writes the large benchmark spec (see package
// generators/bench/largespec) into a directory:
//
//	go run ./examples/largegen -o /tmp/inferobs-large [-scale N]
//
// The directory holds no .cue files of its own, so `make generate` does not
// treat it as an example; the spec is written where -o says and is never
// committed.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/inferobs/inferobs/generators/bench/largespec"
)

func main() {
	dir := flag.String("o", "", "output directory (required)")
	scale := flag.Int("scale", 1, "multiply models, tenants and workloads by this factor")
	flag.Parse()
	if *dir == "" || *scale < 1 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: largegen -o DIR [-scale N]")
		os.Exit(2)
	}
	if _, err := largespec.Write(*dir, largespec.Options{Scale: *scale}); err != nil {
		fmt.Fprintln(os.Stderr, "largegen:", err)
		os.Exit(1)
	}
}
