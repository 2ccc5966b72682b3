# dpsim: every target is a thin wrapper over the go tool; see README.md.
GO      ?= go
BIN     ?= bin/dpsim
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0-dev)
LDFLAGS := -X main.version=$(VERSION)
STATICCHECK_VERSION ?= v0.8.2
FUZZTIME ?= 20000x

.PHONY: build test bench lint fuzz demo flood-bench clean

# The version comes from git describe; -buildvcs=true records the source
# revision (and whether the tree had changes) for meta.json and dpsim version.
build:
	$(GO) build -buildvcs=true -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/dpsim

test:
	$(GO) test ./...

# Benchmarks of the engine, queue, network model and flood model; compare
# runs with benchstat (go install golang.org/x/perf/cmd/benchstat@latest).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./sim/... ./netmodel/... ./results/... ./internal/feed/ | tee bench.txt

lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# A short run of every fuzz target (go test -fuzz takes one target at a
# time); FUZZTIME counts executions (see .ci/fuzz-short). It stops at the first crasher and
# prints where its input was written.
fuzz:
	FUZZTIME=$(FUZZTIME) .ci/fuzz-short

# The README's main command: a quickstart run with plots in out/quickstart.
demo: build
	$(BIN) run scenarios/quickstart.yaml --out out/quickstart

# The cross-simulator flood cases of issue 2's table, generated and timed.
flood-bench: build
	@mkdir -p out/flood
	$(BIN) flood generate --nodes 1000 --k 10 --blocks 50 --seed 1 --out out/flood/n1000-k10
	$(BIN) flood generate --nodes 3000 --k 20 --blocks 50 --seed 1 --out out/flood/n3000-k20
	$(BIN) flood generate --nodes 10000 --k 20 --blocks 20 --seed 1 --out out/flood/n10000-k20
	$(BIN) flood --case out/flood/n1000-k10 --variant B --out out/flood/n1000-k10_B.csv
	$(BIN) flood --case out/flood/n3000-k20 --variant B --out out/flood/n3000-k20_B.csv
	$(BIN) flood --case out/flood/n10000-k20 --variant A --out out/flood/n10000-k20_A.csv

clean:
	rm -rf bin out bench.txt
