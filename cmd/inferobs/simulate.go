package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/inferobs/inferobs/generators/cardinality"
	"github.com/inferobs/inferobs/generators/compiler"
	"github.com/inferobs/inferobs/generators/simulate"
)

func (a *app) simulateCmd() *cobra.Command {
	var (
		scenario, listen, output, file, promDir, end, backend string
		speed                                                 float64
		seed                                                  uint64
		list                                                  bool
		duration, step, onset                                 time.Duration
	)
	cmd := &cobra.Command{
		Use:   "simulate [SPEC_PATHS...]",
		Short: "Serve (or write) synthetic engine, DCGM and gateway metrics of the spec's models, playing a scenario",
		Long: `simulate serves /metrics with synthetic series shaped exactly as each model's engine
version exposes them, the DCGM exporter's GPU series and, with tracing, the gateway's
spanmetrics, for the spec's models and tenants. Values follow a scenario: healthy
traffic, then from --onset (scenario time) an incident. --list prints the scenarios and,
for a spec given as arguments, the alerts each must trigger.

Endpoints: /metrics (everything, target labels included: scrape with honor_labels: true),
/metrics/engine/MODEL/REPLICA, /metrics/dcgm/NODE and /metrics/gateway (one per real
target), /targets (the same in Prometheus http_sd format).

--speed N runs scenario time N times faster; counters keep growing at their per-second
rates, so a Prometheus evaluating the rules with every duration divided by N sees the
scenario compressed. --write-prometheus DIR writes that Prometheus setup (prometheus.yml
scraping the simulator, the spec's rule files compressed by --speed). With
--backend victoriametrics it writes the VictoriaMetrics setup instead: scrape.yml
(which victoria-metrics and vmagent accept), the rule files and, when the spec
turns on cardinality.streamAggregation, the vmagent stream aggregation config,
all compressed by --speed, and prints the victoria-metrics, vmagent and vmalert
command lines of the compressed run.

--output openmetrics writes --duration of the scenario ending at --end (default now)
as an OpenMetrics file (--file, default stdout) for
promtool tsdb create-blocks-from openmetrics FILE DATA_DIR.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				if len(args) == 0 {
					return simulate.WriteList(a.stdout, nil)
				}
				r, err := compiler.Compile(args...)
				if err != nil {
					return a.compileFailed(r, err)
				}
				return simulate.WriteList(a.stdout, r.Plan)
			}
			if _, err := simulate.Lookup(scenario); err != nil {
				return usageError(cmd, err)
			}
			if output != "" && output != "openmetrics" {
				return usageError(cmd, fmt.Errorf("unknown --output %q: want openmetrics", output))
			}
			if output == "" {
				if err := simulate.CheckLoopback(listen); err != nil {
					return usageError(cmd, err)
				}
			}
			if speed <= 0 {
				return usageError(cmd, fmt.Errorf("--speed must be positive"))
			}
			be, err := simulate.ParseBackend(backend)
			if err != nil {
				return usageError(cmd, fmt.Errorf("--backend: %v", err))
			}
			r, err := compiler.Compile(args...)
			if err != nil {
				return a.compileFailed(r, err)
			}
			if rerr := a.report(r.Diagnostics); rerr != nil {
				return rerr
			}
			opts := simulate.Options{Scenario: scenario, Seed: seed, Speed: speed, Onset: onset}
			if onset <= 0 {
				opts.Onset = -1 // at once (Options reads 0 as the default)
			}
			if output == "openmetrics" {
				return a.writeOpenMetrics(cmd, r, opts, file, end, duration, step)
			}
			return a.serveSimulation(cmd, r, opts, listen, promDir, be)
		},
	}
	f := cmd.Flags()
	f.StringVar(&scenario, "scenario", "healthy", "scenario to play (see --list)")
	f.StringVar(&listen, "listen", "127.0.0.1:9400", "loopback address to serve on")
	f.Float64Var(&speed, "speed", 1, "scenario seconds per wall second")
	f.Uint64Var(&seed, "seed", 1, "random seed: the same seed gives the same series")
	f.DurationVar(&onset, "onset", simulate.DefaultOnset, "scenario time at which the incident starts")
	f.BoolVar(&list, "list", false, "list the scenarios (and, with spec paths, the alerts each expects) and exit")
	f.StringVar(&output, "output", "", `write instead of serving: "openmetrics"`)
	f.StringVar(&file, "file", "-", "file --output writes (- for stdout)")
	f.DurationVar(&duration, "duration", 6*time.Hour, "span of --output, in wall time")
	f.DurationVar(&step, "step", 0, "sample spacing of --output (default: the spec's scrape interval)")
	f.StringVar(&end, "end", "", "RFC 3339 time of --output's last sample (default: now)")
	f.StringVar(&promDir, "write-prometheus", "", "write the --backend's setup (prometheus.yml, or scrape.yml and vmagent's config) and the spec's rule files (durations divided by --speed) into this directory")
	f.StringVar(&backend, "backend", string(simulate.BackendPrometheus), `backend --write-prometheus writes the setup of: "prometheus" or "victoriametrics"`)
	return cmd
}

func (a *app) writeOpenMetrics(cmd *cobra.Command, r *compiler.Result, opts simulate.Options, file, end string, duration, step time.Duration) error {
	if step <= 0 {
		step = r.Plan.ScrapeInterval
	}
	if duration <= 0 {
		return usageError(cmd, fmt.Errorf("--duration must be positive"))
	}
	stop := time.Now()
	if end != "" {
		t, err := time.Parse(time.RFC3339, end)
		if err != nil {
			return usageError(cmd, fmt.Errorf("--end: %v", err))
		}
		stop = t
	}
	stop = stop.Truncate(step)
	opts.Start, opts.Tick = stop.Add(-duration), step
	sim, err := simulate.New(r.Plan, opts)
	if err != nil {
		return a.fail("%v", err)
	}
	var w io.Writer = a.stdout
	if file != "-" {
		fh, err := os.Create(file)
		if err != nil {
			return a.fail("%v", err)
		}
		defer fh.Close()
		w = fh
	}
	if err := sim.WriteOpenMetrics(w, duration, step); err != nil {
		return a.fail("%v", err)
	}
	if !a.quiet && file != "-" {
		fmt.Fprintf(a.stderr, "inferobs: wrote %s of scenario %s to %s; backfill with: promtool tsdb create-blocks-from openmetrics %s DATA_DIR\n", duration, opts.Scenario, file, file)
	}
	return nil
}

func (a *app) serveSimulation(cmd *cobra.Command, r *compiler.Result, opts simulate.Options, listen, promDir string, backend simulate.Backend) error {
	ln, err := simulate.Listen(listen)
	if err != nil {
		return a.fail("%v", err)
	}
	defer ln.Close()
	opts.Start = time.Now()
	sim, err := simulate.New(r.Plan, opts)
	if err != nil {
		return a.fail("%v", err)
	}
	addr := ln.Addr().String()
	if !a.quiet {
		fmt.Fprintf(a.stderr, "%s\nserving on http://%s/metrics\n", sim.Describe(), addr)
	}
	if promDir != "" {
		rules := map[string][]byte{}
		for _, art := range r.Artifacts {
			if strings.HasPrefix(art.Path, "prometheus/") {
				rules[art.Path] = art.Data
			}
		}
		scrape := simulate.ScrapeInterval(r.Plan.ScrapeInterval, opts.Speed)
		comp := simulate.Compression{Factor: opts.Speed, Exprs: true, For: true}
		setup := simulate.PrometheusSetup{Address: addr, ScrapeInterval: scrape, EvaluationInterval: scrape}
		if backend == simulate.BackendVictoriaMetrics {
			var aggr []byte
			if art, ok := r.Artifact(cardinality.StreamAggrPath); ok {
				aggr = art.Data
			}
			vm, err := sim.WriteVictoriaMetricsDir(promDir, rules, aggr, comp, setup)
			if err != nil {
				return a.fail("%v", err)
			}
			vm.VictoriaMetrics, vm.VMAgent, vm.VMAlert = "127.0.0.1:8428", "127.0.0.1:8429", "127.0.0.1:8880"
			vm.RuleFiles = []string{filepath.Join(promDir, "rules", "*.yaml")}
			if !a.quiet {
				fmt.Fprintf(a.stderr, "wrote %s; run, each in its own shell:\n", promDir)
				for _, c := range vm.Commands() {
					fmt.Fprintf(a.stderr, "  %s\n", c)
				}
			}
		} else {
			cfg, err := sim.WritePrometheusDir(promDir, rules, comp, setup)
			if err != nil {
				return a.fail("%v", err)
			}
			if !a.quiet {
				fmt.Fprintf(a.stderr, "wrote %s; run: prometheus --config.file=%s --query.lookback-delta=%s\n", cfg, cfg, simulate.LookbackDelta(opts.Speed, scrape))
			}
		}
	}
	srv := &http.Server{Handler: sim.Handler(nil), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return a.fail("%v", err)
		}
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}
	return nil
}
