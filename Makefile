# tufgit — see README.md. `make demo` and `make test` are the quick start.
GO      ?= go
BIN     := bin/tufgit
PKGS    := ./...
FUZZTIME ?= 20s

# cgo links PKCS#11 modules (pkcs11: keys); without it tufgit builds but
# refuses pkcs11: keys with a message saying so.
export CGO_ENABLED ?= 1
# Where the backend test helpers (testdata/localkms, testdata/vaulttransit)
# are built and cached; the tests look there.
HELPERS_BIN ?= $(HOME)/.cache/tufgit/bin

.PHONY: all build test vet lint docs docs-check demo tour bench bench-peer bench-artifacts bench-scale fuzz clean test-helpers cross release model model-ci

all: build

build:
	$(GO) build -o $(BIN) ./cmd/tufgit

# Build the KMS servers the backend tests run on 127.0.0.1, each in its own
# module so that tufgit's go.mod does not take their dependencies. Rebuilt
# only when their source or go.sum changes (Vault's transit engine takes
# minutes cold; see docs/keys.md).
test-helpers:
	@mkdir -p $(HELPERS_BIN); for h in localkms vaulttransit; do \
		sum=$$(cat testdata/$$h/go.mod testdata/$$h/go.sum testdata/$$h/*.go | sha256sum | cut -c1-16); \
		if [ -x $(HELPERS_BIN)/$$h ] && [ "$$(cat $(HELPERS_BIN)/$$h.sum 2>/dev/null)" = "$$sum" ]; then continue; fi; \
		echo "building test helper $$h"; \
		(cd testdata/$$h && $(GO) build -buildvcs=false -o $(HELPERS_BIN)/$$h .) || exit 1; \
		echo $$sum > $(HELPERS_BIN)/$$h.sum; \
	done

RACE_SMOKE ?= ^TestScripts$$/^(hook_publish|publish|client_download|artifact_stream|shards_hook)$$

# Everything CI runs: vet, formatting, generated docs up to date, all tests
# (end-to-end scripts, unit tests, and every fuzz target over its seed corpus).
test: vet docs-check tour
	@unformatted=$$(gofmt -l cmd pkg); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) test -count=1 -race ./pkg/...
	# gitstore reads through git when it is installed, else through go-git:
	# both readers pass the package's tests.
	TUFGIT_TEST_READER=go-git $(GO) test -count=1 -race ./pkg/gitstore
	# The end-to-end scripts run the test binary as tufgit hundreds of times:
	# all of them without the race detector, and a smoke set that crosses
	# every concurrent path (parallel verify, the hook, publish's pipelines,
	# streamed downloads, shards) with it. The library's tests above all run
	# under -race.
	$(GO) test -count=1 -timeout 40m ./cmd/...
	$(GO) test -count=1 -race -timeout 20m -run '$(RACE_SMOKE)' ./cmd/tufgit
	# The model-checked lifecycle (make model-ci) is not part of this run yet:
	# its seeds do not yet replay the same path on every run (the coverage
	# of a CI seed set moved between runs), so it runs by hand.

# What CI checks beyond the tests: go.mod and go.sum tidy, and staticcheck
# (.ci/run installs it).
lint:
	$(GO) mod tidy -diff
	staticcheck ./...

vet:
	$(GO) vet $(PKGS)

# Regenerate the CLI reference in docs/cli from the commands' help.
docs:
	$(GO) run ./cmd/tufgit-docs docs/cli docs/exit-codes.md

docs-check:
	@tmp=$$(mktemp -d); $(GO) run ./cmd/tufgit-docs $$tmp/cli $$tmp/exit-codes.md >/dev/null && \
	if ! diff -r $$tmp/cli docs/cli >/dev/null || ! diff $$tmp/exit-codes.md docs/exit-codes.md >/dev/null; then \
		echo "docs/cli or docs/exit-codes.md is stale: run 'make docs'"; diff -r $$tmp/cli docs/cli | head -20; diff $$tmp/exit-codes.md docs/exit-codes.md | head -20; rm -rf $$tmp; exit 1; fi; rm -rf $$tmp

# The README's tour (docs/tour.sh, which the README shows verbatim:
# TestTourIsREADME) run as it is in an empty temporary directory, with a
# temporary HOME; no network, about 20 seconds.
tour: build
	bash docs/tour-run.sh $(CURDIR)/$(BIN)

# The whole story end to end in a temporary directory, nothing to configure.
demo: build
	bash docs/demo.sh $(CURDIR)/$(BIN)

# Speed and memory, measured (see docs/performance.md).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./pkg/verify/
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./pkg/status/
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./pkg/audit/
	$(GO) test -run '^$$' -bench IndexDepth -benchtime 1x ./pkg/layout/
	$(GO) test -run '^$$' -bench DownloadArtifact -benchmem -benchtime 1x ./pkg/client/

# tufgit beside python-tuf 5.1 on the same trees, whole-process CPU time,
# peak memory and their ratio (see docs/performance.md). Needs python-tuf
# (testdata/python-tuf); sizes from PEER_SIZES; generated trees are kept in
# the user cache dir (tufgit/bench).
PEER_SIZES ?= 1000,10000,100000
PEER_PUBLISH_SIZES ?= 1000,10000
bench-peer:
	TUFGIT_PEER_SIZES=$(PEER_SIZES) TUFGIT_PEER_PUBLISH_SIZES=$(PEER_PUBLISH_SIZES) $(GO) test -run '^$$' -bench 'Peer' -benchtime 1x -timeout 3h ./cmd/tufgit/

# Peak resident set of release add, the pre-receive hook, publish and
# download, whole processes, for artifacts of ARTIFACT_SIZES MB (generated,
# deleted after; 1024 needs about 9 GB of free disk). BENCH_BIN measures
# another build (e.g. an older commit's) for a before and after.
ARTIFACT_SIZES ?= 1,100,1024
bench-artifacts:
	TUFGIT_BENCH_SIZES=$(ARTIFACT_SIZES) TUFGIT_PEER_BIN=$(BENCH_BIN) $(GO) test -run '^$$' -bench 'ArtifactProcessMemory' -benchtime 1x -timeout 1h ./cmd/tufgit/

# Issue #13's million-project table (see docs/performance.md): per size in
# SCALE_SIZES and shard bits in SHARD_BITS, a repository of realistic names
# is generated (kept in the user cache dir, tufgit/bench/scale-N-bB; the
# first run at 1,000,000 takes about an hour), published, and measured:
# fresh and returning client bytes, roles walked, snapshot entries per
# shard, one-release publish, verify --since and the hook, full verify,
# go-tuf (and tuf-js with TUFGIT_TUFJS_DIR) downloading over 127.0.0.1.
# Not part of `make test`; TestScaleShape runs the same code small there.
SCALE_SIZES ?= 10000,100000,1000000
SHARD_BITS ?= 10
bench-scale:
	TUFGIT_SCALE_SIZES=$(SCALE_SIZES) TUFGIT_SCALE_BITS=$(SHARD_BITS) $(GO) test -run '^$$' -bench '^BenchmarkScale' -benchtime 1x -timeout 12h ./pkg/publish/

# Fuzz every target for FUZZTIME (each target's seed corpus, in
# testdata/fuzz/<Target>/ beside it, also runs in `make test`). FUZZFLAGS:
# one worker per target, so that fuzzing leaves the other core free; and
# minimization bounded by a count of runs, not by time. Go minimizes each
# input that finds new coverage, 60s by default, and nothing new runs
# meanwhile; a time bound also kills the worker when it expires, and the
# worker must then build its fixture again.
FUZZFLAGS ?= -parallel 1 -fuzzminimizetime 300x
fuzz:
	@# Every fuzz target in the tree, found (not hand-kept), each for FUZZTIME;
	@# prints the executions, executions per second and new-coverage count.
	@for f in $$(grep -rl --include='*_test.go' '^func Fuzz' cmd pkg | sort); do \
		pkg=./$$(dirname $$f); \
		for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | cut -c6-); do \
			out=$$($(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) $$pkg 2>&1); rc=$$?; \
			echo "$$out" | grep -o 'elapsed: [0-9hms.]*, execs: [0-9]*.*new interesting: [0-9]*' | tail -1 | \
				awk -v p="$$pkg" -v t="$$t" '{ e=$$2; sub(",","",e); s=0; if (e ~ /m/) { split(e,a,"m"); s=a[1]*60; e=a[2] } sub("s","",e); s+=e; \
					n=$$4; printf "%-16s %-22s %5ds %10d execs %8.0f/s  new coverage %s\n", p, t, s, n, (s>0 ? n/s : 0), $$NF }'; \
			if [ $$rc -ne 0 ] && echo "$$out" | grep -q '^    context deadline exceeded$$' && ! echo "$$out" | grep -q 'Failing input written'; then \
				echo "    (stopped by go's own deadline race, golang/go#75804, fixed in go1.27: no failing input)"; rc=0; fi; \
			if [ $$rc -ne 0 ]; then echo "$$out" | tail -40; exit 1; fi; \
		done; \
	done

# Every platform developers sign from: tufgit builds (pure Go: PKCS#11
# needs cgo and is left out of cross builds) and go vet passes, tests
# included, for each. CI runs it. The server side (hook, publish) builds
# everywhere too but is run and tested on Unix only (docs/server.md).
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
cross:
	@for p in $(PLATFORMS); do \
		echo "cross: $$p"; \
		GOOS=$${p%/*} GOARCH=$${p#*/} CGO_ENABLED=0 $(GO) vet ./... || exit 1; \
	done

# Release binaries for every platform in dist/, with SHA256SUMS beside them
# (`sha256sum -c SHA256SUMS` checks a download). VERSION names the files.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
release:
	@rm -rf dist && mkdir -p dist
	@for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		out=dist/tufgit-$(VERSION)-$$os-$$arch$$ext; \
		echo "release: $$out"; \
		GOOS=$$os GOARCH=$$arch CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $$out ./cmd/tufgit || exit 1; \
	done
	@cd dist && sha256sum tufgit-* > SHA256SUMS && cat SHA256SUMS

clean:
	rm -rf bin dist

# Issue #20's model-checked lifecycle (cmd/tufgit/model*_test.go): random
# operations on a real repository through the real binary, checked after
# every step. `make model SEED=N STEPS=M` runs one seed; a failure prints
# the seed, the step and the command that reproduces it. model-ci runs the
# fixed CI seed set and fails when it leaves an operation × key kind pair
# uncovered.
SEED  ?= $(shell date +%s)
STEPS ?= 40
model:
	$(GO) test -count=1 -timeout 60m -run '^TestModel$$' ./cmd/tufgit -model.seeds=$(SEED) -model.steps=$(STEPS) -v

model-ci:
	$(GO) test -count=1 -timeout 30m -run '^TestModel$$' ./cmd/tufgit -model.ci
