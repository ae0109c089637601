# Every target installs dependencies first when they are missing, so each works from a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# PORT, HOST and GATEWAY_URL come from the command line, then the environment, then .env (as the
# gateway and the client read it), then these defaults. Only those three are taken from .env.
DOTENV_VARS := $(if $(wildcard .env),$(shell sed -n -E 's/^[[:space:]]*(export[[:space:]]+)?(PORT|HOST|GATEWAY_URL)[[:space:]]*=[[:space:]]*["'"'"']?([^"'"'"'[:space:]\#]+).*$$/\2=\3/p' .env))
$(foreach kv,$(DOTENV_VARS),$(eval $(firstword $(subst =, ,$(kv))) ?= $(patsubst $(firstword $(subst =, ,$(kv)))=%,%,$(kv))))

PORT ?= 8000
HOST ?= 127.0.0.1
MOCK_PORT ?= 8001
CLIENT_ARGS ?=
KEEP ?=
# The client reaches a wildcard bind through loopback.
CLIENT_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))
# A base URL, as the client reads it (a full …/v1/chat/completions URL is accepted too).
GATEWAY_URL ?= http://$(CLIENT_HOST):$(PORT)
TSX := node --import tsx
# The type checker: TypeScript 7 (native), in its own folder (tools/typescript-7/package.json says why).
TSC := tools/typescript-7/node_modules/.bin/tsc

.PHONY: help install bench-deps build demo test bench lint format typecheck mock-upstream run-gateway run-gateway-dev run-client \
        health-gateway health-upstream check-dedicated clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 20

node_modules/.installed: package.json package-lock.json
	@echo "installing dependencies (npm ci)…"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# TypeScript 7 for the type checks and the client's declarations, its own lockfile beside the project's.
tools/typescript-7/node_modules/.installed: tools/typescript-7/package.json tools/typescript-7/package-lock.json
	@npm ci --prefix tools/typescript-7 --no-audit --no-fund --loglevel=error
	@touch $@

install: node_modules/.installed tools/typescript-7/node_modules/.installed ## install dependencies

# The side-by-side bench's peer, Portkey's gateway, lives in its own folder with its own lockfile
# (bench/portkey/package.json says why it is pinned). --ignore-scripts: its postinstall runs
# patch-package for its own development, which a consumer does not need.
bench/portkey/node_modules/.installed: bench/portkey/package.json bench/portkey/package-lock.json
	@echo "installing Portkey's gateway for the side-by-side bench (npm ci in bench/portkey)…"
	@npm ci --prefix bench/portkey --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error
	@touch $@

bench-deps: bench/portkey/node_modules/.installed ## install the side-by-side bench's peer (Portkey's gateway, pinned)

build: dist/.build/server.stamp dist/.build/types.stamp dist/.build/web.stamp dist/.build/pglite.stamp ## compile to dist/ (esbuild), the typed client's declarations, the pages' bundles and the request log's template, only what changed

# Real prerequisites, so a build with nothing changed runs nothing. The compile is esbuild's, one
# file per source with the types stripped (well under a second); the type check is tsc's, in
# `make typecheck` and in make test's first stage.
BUILD_SOURCES := $(shell find src mock-upstream client -type f 2>/dev/null) $(wildcard bench/floor-relay.ts tsconfig.json)

dist/.build/server.stamp: node_modules/.installed $(BUILD_SOURCES) $(wildcard scripts/build-server.ts)
	@$(TSX) scripts/build-server.ts
	@mkdir -p $(@D) && touch $@

# Declarations only for the typed client (package.json's one export) and the event types it names.
dist/.build/types.stamp: node_modules/.installed tools/typescript-7/node_modules/.installed $(wildcard src/sdk/*.ts src/events/*.ts tsconfig.json tsconfig.sdk.json)
	@$(TSC) -p tsconfig.sdk.json
	@mkdir -p $(@D) && touch $@

# The pages' bundles import server types and the typed client: any source may change them.
dist/.build/web.stamp: node_modules/.installed $(BUILD_SOURCES) $(wildcard scripts/build-web.ts)
	@$(TSX) scripts/build-web.ts
	@mkdir -p $(@D) && touch $@

# The data directory a new embedded request log starts from (src/storage/pglite-template.ts).
# --liftoff-only: PGlite's initdb runs once and ends, so V8's optimising WebAssembly tier is pure
# cost here (measured: 3.8 CPU-s for the initdb instead of 5.9). The gateway keeps both tiers.
dist/.build/pglite.stamp: node_modules/.installed $(wildcard scripts/build-pglite-template.ts src/storage/pglite-template.ts)
	@$(TSX) --liftoff-only scripts/build-pglite-template.ts
	@mkdir -p $(@D) && touch $@

demo: build ## mock upstream + gateway, one client run, then both stop (KEEP=1: keep them and the pages up until Ctrl-C)
	@MOCK_PORT=$(MOCK_PORT) PORT=$(PORT) HOST=$(HOST) KEEP="$(KEEP)" CLIENT_ARGS="$(CLIENT_ARGS)" bash scripts/demo.sh

# make test: the lint beside everything else at the lowest priority, the type checks and the build
# two at a time, then vitest (scripts/test.sh says how and why).
TYPE_CHECKS := test-check-server test-check-web test-check-examples
$(TYPE_CHECKS): tools/typescript-7/node_modules/.installed
test-check-server: ; @$(TSC) -p tsconfig.json --noEmit
test-check-web: ; @$(TSC) -p src/web/client --noEmit
test-check-examples: ; @$(TSC) -p examples/ai-sdk-chat --noEmit
.PHONY: $(TYPE_CHECKS)

test: node_modules/.installed tools/typescript-7/node_modules/.installed bench/portkey/node_modules/.installed ## typecheck, lint, build and run every test
	@MAKE="$(MAKE)" TYPE_CHECKS="$(TYPE_CHECKS)" bash scripts/test.sh

bench: node_modules/.installed bench/portkey/node_modules/.installed build ## side by side with the floor and Portkey, then the gateway alone (BENCH_* vars size it) → BENCHMARKS.md, bench/results/
	@# 5,000 parked streams need ~10,000 sockets in the gateway: raise the fd limit as far as allowed.
	@ulimit -n 65536 2>/dev/null || ulimit -n $$(ulimit -Hn); $(TSX) bench/run.ts

typecheck: node_modules/.installed $(TYPE_CHECKS) ## type-check only (server, the pages' browser code, the examples)

lint: lint-format lint-eslint ## lint only: prettier's check (code formatting) and eslint (make -k lint: both, even when one fails)
lint-format: node_modules/.installed ; @npx prettier --check --log-level=warn .
lint-eslint: node_modules/.installed ; @npx eslint .
.PHONY: lint-format lint-eslint

format: node_modules/.installed ## format the code with prettier (what make lint checks)
	@npx prettier --write --log-level=warn .

mock-upstream: node_modules/.installed ## run the mock OpenAI-compatible upstream on MOCK_PORT (8001)
	@MOCK_PORT=$(MOCK_PORT) $(TSX) mock-upstream/main.ts

run-gateway: build ## run the gateway (honours PORT and HOST, reads .env)
	@PORT=$(PORT) HOST=$(HOST) node dist/src/main.js

run-gateway-dev: node_modules/.installed ## run the gateway with reload on change
	@PORT=$(PORT) HOST=$(HOST) npx tsx watch --include 'src/web/client/**' src/main.ts

run-client: node_modules/.installed ## run the CLI client: make run-client CLIENT_ARGS="'Why is the sky blue?'"
	@$(TSX) client/bin.ts --url $(GATEWAY_URL) $(CLIENT_ARGS)

health-gateway: ## is the gateway up?
	@curl -sS -w '\nHTTP %{http_code}\n' $(patsubst %/v1/chat/completions,%,$(GATEWAY_URL))/healthz

health-upstream: ## can the gateway reach its upstream?
	@curl -sS -w '\nHTTP %{http_code}\n' $(patsubst %/v1/chat/completions,%,$(GATEWAY_URL))/upstream-health

check-dedicated: node_modules/.installed ## status of the Friendli dedicated endpoint FRIENDLI_ENDPOINT_ID
	@$(TSX) client/bin.ts check-dedicated $(CLIENT_ARGS)

clean: ## remove build output (and the worker threads' bundles a run from source leaves, src/util/worker-thread.ts)
	rm -rf dist node_modules/.cache/staged-gateway-workers
