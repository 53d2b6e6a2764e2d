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

.PHONY: all build test vet docs docs-check demo bench fuzz clean test-helpers

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

# Fuzz each parser for FUZZTIME (the seed corpus also runs in `make test`).
fuzz:
	@for t in FuzzCheckJSON FuzzParseConfig FuzzParseRequest FuzzParseProjectConfig FuzzClassify FuzzNormalizeProjectName FuzzParseTargetCustom FuzzCanonicalVersion; do \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./pkg/layout/ || exit 1; done
	$(GO) test -run '^$$' -fuzz '^FuzzVerifyMetadata$$' -fuzztime $(FUZZTIME) ./pkg/verify/

clean:
	rm -rf bin
