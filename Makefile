# inferobs: `make generate` compiles every example into out/<example>/;
# `make test` vets, runs the tests and checks that out/ is current.
GO       ?= go
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
BIN      := bin/inferobs
EXAMPLES := $(patsubst examples/%/,%,$(sort $(dir $(wildcard examples/*/*.cue))))

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
	@test -z "$$(gofmt -l cmd schema generators library examples)" || { gofmt -l cmd schema generators library examples; echo "gofmt needed"; exit 1; }

unit:
	$(GO) test -timeout 30m ./...
	cd generators/collector/conformance && $(GO) test ./...

# out/ must be what the current code generates from examples/.
check-out: generate
	@git diff --exit-code -- out || { echo "out/ is stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- out)" || { git status --porcelain -- out; echo "out/ has untracked files: run 'make generate' and commit"; exit 1; }

# The real tools, when installed (.ci/run installs them): promtool 2 checks
# and unit-tests the rules, vmalert loads them, and inferobs's own linter
# finds nothing to say about its output.
check-tools: generate
	@if command -v promtool >/dev/null; then \
		for ex in $(EXAMPLES); do \
			promtool check rules out/$$ex/prometheus/*.yaml >/dev/null || exit 1; \
			echo "promtool test rules out/$$ex/tests/*.yaml"; \
			(cd out/$$ex/tests && ls *.yaml | xargs -P $(JOBS) -n 1 promtool test rules > ../../../bin/promtool-$$ex.log 2>&1) \
				|| { grep -v '^  SUCCESS' bin/promtool-$$ex.log | grep -v '^Unit Testing' | head -60; exit 1; }; \
		done; \
	else echo "promtool not installed: skipping promtool checks"; fi
	@if command -v vmalert >/dev/null; then \
		for ex in $(EXAMPLES); do \
			if ls out/$$ex/prometheus/*.yaml >/dev/null 2>&1; then vmalert -dryRun -rule="out/$$ex/prometheus/*.yaml" >/tmp/vmalert-$$ex.log 2>&1 || { cat /tmp/vmalert-$$ex.log; exit 1; }; fi; \
		done; \
	else echo "vmalert not installed: skipping vmalert checks"; fi
	./$(BIN) lint --quiet out/
test: vet unit check-out check-tools

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
