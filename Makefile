# tufgit — see README.md. `make demo` and `make test` are the quick start.
GO      ?= go
BIN     := bin/tufgit
PKGS    := ./...
FUZZTIME ?= 20s

.PHONY: all build test vet docs docs-check demo bench fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/tufgit

# Everything CI runs: vet, formatting, generated docs up to date, all tests
# (end-to-end scripts, unit tests, and every fuzz target over its seed corpus).
test: vet docs-check
	@unformatted=$$(gofmt -l cmd pkg); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) test -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)

# Regenerate the CLI reference in docs/cli from the commands' help.
docs:
	$(GO) run ./cmd/tufgit-docs docs/cli

docs-check:
	@tmp=$$(mktemp -d); $(GO) run ./cmd/tufgit-docs $$tmp >/dev/null && \
	if ! diff -r $$tmp docs/cli >/dev/null; then echo "docs/cli is stale: run 'make docs'"; diff -r $$tmp docs/cli | head -20; rm -rf $$tmp; exit 1; fi; rm -rf $$tmp

# The whole story end to end in a temporary directory, nothing to configure.
demo: build
	bash docs/demo.sh $(CURDIR)/$(BIN)

# Speed and memory, measured (see docs/performance.md).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./pkg/verify/
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./pkg/audit/

# Fuzz each parser for FUZZTIME (the seed corpus also runs in `make test`).
fuzz:
	@for t in FuzzCheckJSON FuzzParseConfig FuzzParseRequest FuzzParseProjectConfig FuzzClassify FuzzNormalizeProjectName FuzzParseTargetCustom; do \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./pkg/layout/ || exit 1; done
	$(GO) test -run '^$$' -fuzz '^FuzzVerifyMetadata$$' -fuzztime $(FUZZTIME) ./pkg/verify/

clean:
	rm -rf bin
