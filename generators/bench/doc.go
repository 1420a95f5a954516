// Package bench holds inferobs's benchmarks; it has no API. `make bench`
// runs all of them and prints the figures; none asserts on time:
//
//   - compile_test.go: Go benchmarks of load, plan, each generator and the
//     whole compile on examples/quickstart, examples/platform and the
//     generated large spec (package largespec) at several scales, with
//     output size, rule and SLO counts as extra metrics;
//   - process_test.go: `inferobs generate` as a whole process, median of
//     several runs (wall, CPU and peak RSS from the child's rusage);
//   - samples_test.go: the samples the platform's SLO rules read per minute
//     at steady state, evaluated by the real PromQL engine over synthetic
//     series (synth_test.go), against the rules sloth generates for the same
//     SLOs (INFEROBS_BENCH_SAMPLES=1; INFEROBS_SLOTH names the sloth binary);
//   - sloth_test.go: generation time per SLO of `inferobs generate` and
//     `sloth generate` on the large spec's SLO instances (INFEROBS_BIN).
package bench
