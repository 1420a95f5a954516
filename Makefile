# inferobs: `make generate` compiles every example into out/<example>/;
# `make test` vets, runs the tests and checks that out/ is current.
GO       ?= go
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
BIN      := bin/inferobs
EXAMPLES := $(patsubst examples/%/,%,$(sort $(dir $(wildcard examples/*/*.cue))))
# The Prometheus the end-to-end test runs (Debian's 2.42 in CI).
PROMETHEUS ?= $(shell command -v prometheus 2>/dev/null)
# A directory with victoria-metrics, vmalert and vmagent for the
# VictoriaMetrics pass (.ci/run builds v1.151.0 into a cache).
VICTORIAMETRICS ?= $(INFEROBS_VICTORIAMETRICS)

.PHONY: all build generate test vet unit check-out check-tools bench e2e clean

all: generate

build:
	$(GO) build -o $(BIN) ./cmd/inferobs

generate: build
	@for ex in $(EXAMPLES); do \
		echo "inferobs generate -o out/$$ex examples/$$ex"; \
		./$(BIN) generate --quiet -o out/$$ex examples/$$ex || exit 1; \
	done

vet:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./generators/simulate/e2e/
	@test -z "$$(gofmt -l cmd schema generators library examples)" || { gofmt -l cmd schema generators library examples; echo "gofmt needed"; exit 1; }

unit:
	$(GO) test -timeout 30m ./...
	# The compile runs generators and file rendering concurrently.
	$(GO) test -race -short ./cmd/... ./generators/compiler/ ./generators/emit/ ./generators/yamlw/
	cd generators/collector/conformance && $(GO) test ./...

# out/ must be what the current code generates from examples/.
check-out: generate
	@git diff --exit-code -- out || { echo "out/ is stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- out)" || { git status --porcelain -- out; echo "out/ has untracked files: run 'make generate' and commit"; exit 1; }

# The real tools, when installed (.ci/run installs them): promtool 2 checks
# and unit-tests the rules, vmalert loads them, amtool checks the
# Alertmanager snippets pasted into a minimal configuration (as the README
# tells users to), and inferobs's own linter finds nothing to say about
# its output.
check-tools: generate
	@if command -v promtool >/dev/null; then \
		for ex in $(EXAMPLES); do \
			promtool check rules out/$$ex/prometheus/*.yaml >/dev/null || exit 1; \
			echo "promtool test rules out/$$ex/tests/*.yaml"; \
			(cd out/$$ex/tests && ls *.yaml | xargs -P $(JOBS) -n 1 promtool test rules > ../../../bin/promtool-$$ex.log 2>&1) \
				|| { grep -v '^  SUCCESS' bin/promtool-$$ex.log | grep -v '^Unit Testing' | head -60; exit 1; }; \
		done; \
	else echo "promtool not installed: skipping promtool checks"; fi
	@for vmalert in $$(command -v vmalert) $(if $(VICTORIAMETRICS),$(VICTORIAMETRICS)/vmalert); do \
		for ex in $(EXAMPLES); do \
			if ls out/$$ex/prometheus/*.yaml >/dev/null 2>&1; then $$vmalert -dryRun -rule="out/$$ex/prometheus/*.yaml" >bin/vmalert-$$ex.log 2>&1 || { echo "$$vmalert -dryRun:"; cat bin/vmalert-$$ex.log; exit 1; }; fi; \
		done; \
	done
	@command -v vmalert >/dev/null || echo "vmalert not installed: skipping Debian's vmalert checks"
	@if command -v amtool >/dev/null; then \
		for ex in $(EXAMPLES); do \
			am=out/$$ex/alertmanager; f=bin/alertmanager-$$ex.yaml; \
			{ printf 'route:\n  receiver: inferobs-check-root\n  routes:\n'; sed 's/^/    /' $$am/routes.yaml; \
			  printf 'inhibit_rules:\n'; sed 's/^/  /' $$am/inhibit.yaml; \
			  printf 'receivers:\n  - name: inferobs-check-root\n'; \
			  sed -n 's/^ *- receiver: /  - name: /p' $$am/routes.yaml | sort -u; } > $$f; \
			echo "amtool check-config $$f"; \
			amtool check-config $$f >bin/amtool-$$ex.log 2>&1 || { cat bin/amtool-$$ex.log; exit 1; }; \
		done; \
	else echo "amtool not installed: skipping amtool check-config"; fi
	@# Each example's output is checked at the engine versions its manifest
	@# records (vLLM 0.10's TPOT, say), without --spec.
	./$(BIN) lint --quiet out/
# End to end on real servers (generators/simulate/e2e): each scenario of
# `inferobs simulate` against the examples' generated rules, the runs of a
# backend in parallel, one backend after the other: Prometheus 2
# (PROMETHEUS), Prometheus 3 (INFEROBS_PROMETHEUS3=/path/to/prometheus) and
# VictoriaMetrics + vmalert, with a vmagent stream aggregation leg
# (VICTORIAMETRICS=/dir/with/the/binaries); each pass runs when its
# binaries are given. E2E_RUN narrows it (go test -run), e.g.
# E2E_RUN=TestVictoriaMetrics.
E2E_RUN ?= .
e2e: generate
	@test -n "$(PROMETHEUS)$(VICTORIAMETRICS)" || { echo "make e2e: no prometheus binary and no VictoriaMetrics (set PROMETHEUS=/path, VICTORIAMETRICS=/dir, or install Debian's prometheus)"; exit 1; }
	INFEROBS_PROMETHEUS=$(PROMETHEUS) INFEROBS_VICTORIAMETRICS=$(VICTORIAMETRICS) $(GO) test -tags e2e -count=1 -parallel 32 -timeout 15m -run '$(E2E_RUN)' ./generators/simulate/e2e/

# The end-to-end test joins when a prometheus binary is installed or
# VictoriaMetrics is given (.ci/run installs Debian's Prometheus and builds
# Prometheus 3 and VictoriaMetrics into a cache).
test: vet unit check-out check-tools $(if $(PROMETHEUS)$(VICTORIAMETRICS),e2e)

# make bench: compile-time benchmarks (Go, per stage and whole compile, on
# quickstart, platform and the generated large spec at BENCH_SCALES), the
# large spec's `inferobs generate` as a process (median of BENCH_RUNS), and
# the samples the platform's SLO rules read per minute against sloth's, and
# generation time per SLO against sloth's on the large spec.
# With a Prometheus (PROMETHEUS, or INFEROBS_PROMETHEUS3), it also loads
# the large spec's rule files into it, scraping `inferobs simulate` of the
# same spec (one server per layout and a rule-less one, side by side on
# one simulator; one more for the rules compiled with target.quantileInterval
# at BENCH_QUANTILE_INTERVAL), and over a BENCH_RULES_WAIT window after
# warm-up prints the rule and group counts, output size, the CPU share of
# rule evaluation, the server's CPU above a rule-less server's, the slowest
# groups and rules and the server's RSS; the same for the rule layout before vectorisation
# (commit BENCH_PREVIOUS, built from this checkout's history) when git has it.
# That build writes one PrometheusRule per rule file, and on the large spec
# some are over the API server's and the operator's size limits (an SLO's
# object 1.6 MB, recording.yaml 532 KB rendered), so the copy built for the
# bench has the limits lifted: only its prometheus/ files are loaded.
# Nothing is asserted; everything is printed. The large spec and outputs go
# to BENCH_DIR (never committed); sloth is installed into BENCH_BIN.
BENCH_DIR     ?= $(or $(TMPDIR),/tmp)/inferobs-bench
BENCH_BIN     ?= $(HOME)/.cache/inferobs-bin
BENCH_RUNS    ?= 5
BENCH_SCALES  ?= 1,2,4
SLOTH_VERSION := v0.16.0
BENCH_RULES_WAIT ?= 5m
BENCH_PREVIOUS   ?= 4111b24
# How many of the slowest groups and rules the real-Prometheus run prints.
BENCH_TOP        ?= 6
# The quantile interval of that extra server's rules (empty: not run).
BENCH_QUANTILE_INTERVAL ?= 2m

bench: SHELL := /bin/bash
bench: .SHELLFLAGS := -o pipefail -c
bench: build
	rm -rf $(BENCH_DIR) && mkdir -p $(BENCH_DIR)
	$(GO) run ./examples/largegen -o $(BENCH_DIR)/large
	./$(BIN) check --quiet $(BENCH_DIR)/large
	INFEROBS_BENCH_SCALES=$(BENCH_SCALES) $(GO) test -timeout 2h -run '^$$' -bench . -benchmem ./generators/bench/ | tee $(BENCH_DIR)/go-bench.txt
	INFEROBS_BENCH_PROCESS=1 INFEROBS_BIN=$(CURDIR)/$(BIN) INFEROBS_BENCH_RUNS=$(BENCH_RUNS) \
		INFEROBS_BENCH_SPECS=quickstart=$(CURDIR)/examples/quickstart,platform=$(CURDIR)/examples/platform,large=$(BENCH_DIR)/large \
		$(GO) test -count=1 -v -run '^TestProcessTimes$$' ./generators/bench/ \
		| grep -v -e '^=== RUN' -e '^--- ' -e '^PASS' -e '^ok ' | tee $(BENCH_DIR)/process.txt
	@$(GO) version -m $(BENCH_BIN)/sloth 2>/dev/null | grep -q 'mod.*github.com/slok/sloth.*$(SLOTH_VERSION)' \
		|| GOBIN=$(BENCH_BIN) $(GO) install github.com/slok/sloth/cmd/sloth@$(SLOTH_VERSION) \
		|| echo "could not install sloth $(SLOTH_VERSION): the sloth comparison will be skipped"
	INFEROBS_BENCH_SAMPLES=1 INFEROBS_SLOTH=$(BENCH_BIN)/sloth INFEROBS_BIN=$(CURDIR)/$(BIN) INFEROBS_BENCH_RUNS=$(BENCH_RUNS) \
		$(GO) test -timeout 30m -count=1 -v -run '^(TestSamplesPerMinute|TestGenerationTimeVsSloth)$$' ./generators/bench/ \
		| grep -v -e '^=== RUN' -e '^--- ' -e '^PASS' -e '^ok ' | tee $(BENCH_DIR)/samples.txt
	@if git cat-file -e '$(BENCH_PREVIOUS)^{commit}' 2>/dev/null; then \
		mkdir -p $(BENCH_DIR)/previous-src && git archive $(BENCH_PREVIOUS) | tar -x -C $(BENCH_DIR)/previous-src \
		&& sed -i 's|MaxObjectBytes = 1 << 20|MaxObjectBytes = 1 << 24|' $(BENCH_DIR)/previous-src/generators/kubernetes/finish.go \
		&& (cd $(BENCH_DIR)/previous-src && $(GO) build -o $(BENCH_DIR)/previous-inferobs ./cmd/inferobs) \
		&& $(BENCH_DIR)/previous-inferobs generate -o $(BENCH_DIR)/previous-out $(BENCH_DIR)/large >$(BENCH_DIR)/previous-generate.log 2>&1 \
		|| { echo "could not build the previous layout ($(BENCH_PREVIOUS)); see $(BENCH_DIR)/previous-generate.log"; rm -rf $(BENCH_DIR)/previous-out; }; \
	else echo "no git history with $(BENCH_PREVIOUS): the previous rule layout is not measured"; fi
	@if [ -n "$(PROMETHEUS)$(INFEROBS_PROMETHEUS3)" ]; then \
		previous=; [ -d $(BENCH_DIR)/previous-out/prometheus ] && previous=$(BENCH_DIR)/previous-out/prometheus; \
		INFEROBS_PROMETHEUS=$(PROMETHEUS) INFEROBS_BENCH_RULES_SPEC=$(BENCH_DIR)/large INFEROBS_BENCH_WAIT=$(BENCH_RULES_WAIT) INFEROBS_BENCH_TOP=$(BENCH_TOP) \
		INFEROBS_BENCH_QUANTILE_INTERVAL=$(BENCH_QUANTILE_INTERVAL) \
		INFEROBS_BENCH_RULES_PREVIOUS=$$previous \
			$(GO) test -tags e2e -count=1 -v -timeout 90m -run '^TestRuleEvaluationCost$$' ./generators/simulate/e2e/ \
			| grep -v -e '^=== RUN' -e '^--- ' -e '^PASS' -e '^ok ' -e 'e2e_test.go:.*skipping' | tee $(BENCH_DIR)/prometheus.txt; \
	else echo "no prometheus binary: skipping the real-Prometheus rule evaluation run"; fi

clean:
	rm -rf bin
