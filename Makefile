# The two commands of the README: `make run` and `make test`. Everything else is their plumbing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

TOOLS_DIR     ?= $(HOME)/.cache/ecm-tools
export PATH   := $(TOOLS_DIR)/binaryen/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# cargo-leptos compiles Leptos with LEPTOS_OUTPUT_NAME set (Leptos reads it at compile time to
# name the wasm file); every other cargo command here sets the same value, so the tests, the
# simulator and cargo-leptos share one set of compiled dependencies instead of rebuilding them.
export LEPTOS_OUTPUT_NAME := ecm

# Demo values used by `make run` (printed at start). Never use them in production.
DEMO_ADMIN_EMAIL    ?= segreteria@ecm.demo
DEMO_ADMIN_PASSWORD ?= Segreteria2026!
RUN_ADDR      ?= 127.0.0.1:3000

# End-to-end runs get free ports of their own (portal and MyPay simulator) and a throw-away database.
E2E_PORT      ?= $(shell python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
E2E_SIM_PORT  ?= $(shell python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
E2E_SINK_SMTP_PORT ?= $(shell python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
E2E_SINK_HTTP_PORT ?= $(shell python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# The server, the simulator and the tests share one set of artifacts only when their flags
# match what cargo-leptos passes: `--cfg erase_components`, in debug and (always-erase-components
# in Cargo.toml) in release builds (see CONTRIBUTING.md, "Builds").
TEST_RUSTFLAGS := --cfg erase_components
# CI may keep Cargo's target directory outside the clone (CARGO_TARGET_DIR); the site
# (target/site: wasm, js, css, assets) always stays in the clone.
TARGET_DIR    := $(or $(CARGO_TARGET_DIR),target)
ZEEP_PYTHON   := $(TOOLS_DIR)/zeep-venv/bin/python

.PHONY: help tools assets run build-release build-debug test lint test-rust test-crash test-e2e bench-pages clean

help:
	@echo "make run   — build and start the portal on SQLite (http://$(RUN_ADDR))"
	@echo "make test  — unit, integration (SQLite; PostgreSQL with ECM_TEST_POSTGRES_URL), crash and Playwright tests"

## Toolchain and front-end packages (idempotent).
tools:
	@ECM_TOOLS_DIR=$(TOOLS_DIR) bash scripts/bootstrap.sh
	@cd style && [ -d node_modules/bootstrap-italia ] && [ -d node_modules/purgecss ] && [ -d node_modules/subset-font ] || npm ci --no-audit --no-fund --silent
	@cd end2end && [ -d node_modules/@playwright/test ] || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent

## One stylesheet, style/generated/ecm.css (served from pkg/, sealed with the bundle): Bootstrap
## Italia purged of the selectors app/src never uses, then style/main.css; the fonts it uses
## are cut to the characters Italian text needs and written into style/public/bootstrap-italia/fonts/.
## Served by the portal itself: no CDN.
assets: tools
	@node style/build-css.mjs

## Release bundle: the Segreteria's pages split into wasm chunks loaded when first shown
## (`--split`, app/src/lib.rs `lazy_page!`), precompressed (.br/.gz beside every file) and
## sealed in pkg/<content hash>/.
build-release: assets
	cargo leptos build --release --precompress --split
	bash scripts/seal-site.sh target/site

build-debug: assets
	cargo leptos build
	RUSTFLAGS="$(TEST_RUSTFLAGS)" cargo build -p mypay-simulator

run: build-release
	RUSTFLAGS="$(TEST_RUSTFLAGS)" cargo build --release -p mypay-simulator -p server --bin mypay-simulator --bin mail-sink
	TARGET_DIR=$(TARGET_DIR) RUN_ADDR=$(RUN_ADDR) ECM_ADMIN_EMAIL='$(DEMO_ADMIN_EMAIL)' \
	ECM_ADMIN_PASSWORD='$(DEMO_ADMIN_PASSWORD)' bash scripts/run-demo.sh

test: lint test-rust test-crash test-e2e

## Formatting (rustfmt.toml) and clippy with warnings as errors: app, server and the MyPay crates for the server,
## app and frontend for the browser bundle (linted separately: app's two feature sets, ssr and
## hydrate, must never be unified in one build).
lint: tools
	cargo fmt --all --check
	RUSTFLAGS="$(TEST_RUSTFLAGS)" cargo clippy -p app -p ecm-fiscal -p server -p mypay -p mypay-simulator --all-targets -- -D warnings
	RUSTFLAGS="$(TEST_RUSTFLAGS)" cargo clippy -p app -p frontend --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

## A third-party SOAP client (Python zeep, loading the official WSDL) checks the simulator.
$(ZEEP_PYTHON):
	python3 -m venv $(TOOLS_DIR)/zeep-venv
	$(TOOLS_DIR)/zeep-venv/bin/pip install --quiet zeep

## Unit and integration tests; the storage and HTTP suites also run on PostgreSQL
## when ECM_TEST_POSTGRES_URL is set (e.g. postgres://postgres@127.0.0.1:5432/postgres).
test-rust: tools $(ZEEP_PYTHON)
	RUSTFLAGS="$(TEST_RUSTFLAGS)" ECM_ZEEP_PYTHON=$(ZEEP_PYTHON) cargo test -p app -p ecm-fiscal -p server -p mypay -p mypay-simulator

## SIGKILL crash test of the pay flow: the real server killed at random points, then the
## invariants (scripts/crash-test.sh; README "Crash test"). A few trials here; 200 for a soak.
CRASH_TRIALS ?= 4
test-crash: tools
	RUSTFLAGS="$(TEST_RUSTFLAGS)" bash scripts/crash-test.sh $(CRASH_TRIALS)

## Playwright in Debian's Chromium against the real server (fresh SQLite database), with the
## release bundle a user gets (the 10 MB debug bundle hydrates slowly on a loaded machine).
test-e2e: build-release
	RUSTFLAGS="$(TEST_RUSTFLAGS)" cargo build --release -p mypay-simulator -p server --bin mypay-simulator --bin mail-sink
	cd end2end && E2E_PORT=$(E2E_PORT) E2E_SIM_PORT=$(E2E_SIM_PORT) \
	  E2E_SINK_SMTP_PORT=$(E2E_SINK_SMTP_PORT) E2E_SINK_HTTP_PORT=$(E2E_SINK_HTTP_PORT) \
	  E2E_SERVER_BIN=$(abspath $(TARGET_DIR))/release/ecm-server \
	  E2E_SIMULATOR_BIN=$(abspath $(TARGET_DIR))/release/mypay-simulator \
	  E2E_SINK_BIN=$(abspath $(TARGET_DIR))/release/mail-sink npx playwright test

## Page benchmarks: throughput against a minimal Leptos page, memory, stop time, first-visit
## weight over Slow 4G (scripts/bench-pages.sh; docs/BENCHMARKS.md "Pages under load").
bench-pages:
	bash scripts/bench-pages.sh

clean:
	cargo clean
	rm -rf style/public/bootstrap-italia style/generated end2end/test-results end2end/playwright-report
