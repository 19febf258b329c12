# mspkit: the two commands users run are `make demo` and `make test`.
# Each target installs what it needs itself (idempotently) so a bare machine with only
# Rust, Python 3.11 and Node 20 can run it.

CARGO ?= cargo
EXAMPLES := vsax vsa9 warehouse autotask
# The Python side lives in a virtualenv under the repo (git-ignored).
VENV := .venv
PY := $(VENV)/bin/python
PY_TOOLS := maturin pytest mypy requests httpx tqdm types-requests types-tqdm
SIM := target/debug/mspkit-sim

.PHONY: all demo test lint test-rust test-python test-js doc toolchain clean examples python sim-build wasm

all: test

## demo: the ETL import (Python) into SQLite, against the bundled tenant simulator with a
## realistic data set; with MSPKIT_VSAX_* or MSPKIT_AUTOTASK_* set, against those tenants.
demo: python sim-build
	$(PY) bindings-python/examples/etl_import.py --simulator $(SIM) --sim-args "--size realistic"

## examples: the core's Rust example conversations, one per vendor, against canned responses.
examples: toolchain
	@for example in $(EXAMPLES); do \
		echo "=== $$example ==="; \
		$(CARGO) run --quiet -p mspkit-core --example $$example || exit 1; \
	done

## test: every test suite, plus formatting, lints, rustdoc and type checks.
test: lint test-rust doc test-python test-js test-browser

test-rust: toolchain
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

## test-python: pytest through the simulator, the stub check and mypy --strict.
test-python: python sim-build
	MSPKIT_SIM=$(CURDIR)/$(SIM) $(PY) -m pytest -q tests/python
	$(PY) -m mypy.stubtest mspkit._native $(if $(wildcard bindings-python/stubtest-allowlist.txt),--allowlist bindings-python/stubtest-allowlist.txt)
	MYPYPATH=bindings-python/examples $(PY) -m mypy --strict bindings-python/python/mspkit bindings-python/examples bindings-python/bench

## test-js: the npm package (WASM) through the simulator with node:test, and tsc --strict
## over a typed example.
test-js: wasm sim-build
	MSPKIT_SIM=$(CURDIR)/$(SIM) node --test tests/js/
	cd bindings-wasm && npx --no-install tsc -p examples --noEmit --strict

## test-reliability: only the reliability suites (part of test-python and test-js): the
## fault matrix, crash and resume, credential confinement, the failure budget, the leak scan.
.PHONY: test-reliability
RELIABILITY_PY := test_fault_matrix test_crash_resume test_confinement test_failure_budget test_leaks
RELIABILITY_JS := fault_matrix confinement failure_budget leaks
test-reliability: python wasm sim-build
	MSPKIT_SIM=$(CURDIR)/$(SIM) $(PY) -m pytest -q $(RELIABILITY_PY:%=tests/python/%.py)
	MSPKIT_SIM=$(CURDIR)/$(SIM) node --test $(RELIABILITY_JS:%=tests/js/%.test.mjs)

## wasm: builds the npm package into bindings-wasm/pkg (installs the wasm target, the
## pinned wasm-bindgen-cli and the npm tools on first use).
wasm: toolchain
	bindings-wasm/build.sh

# The virtualenv, made once; the stamp re-runs pip when the tool list changes.
$(VENV)/.tools: Makefile
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(PY_TOOLS)
	@touch $@

## python: builds the native module into the virtualenv (release: the page path is measured).
python: toolchain $(VENV)/.tools
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(VENV)/bin/maturin develop --quiet --release -m bindings-python/Cargo.toml

sim-build: toolchain
	$(CARGO) build --quiet -p mspkit-sim

lint: toolchain
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

doc: toolchain
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --quiet

# clippy and rustfmt ship with rustup's default profile; add them when a minimal
# profile left them out.
toolchain:
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt

clean:
	$(CARGO) clean

## bench-pacing: the clients' pacing against model servers on a virtual clock (no sleeping,
## no network): one line per scenario with its efficiency and rejected requests.
## bench-sim: list requests per second the simulator serves on loopback, against a
## trivial endpoint measured in the same run.
## bench-python: mspkit's page path (body -> Python dicts) against json.loads of the same
## body, and the cost of building a request.
## bench-js: wasm size, and the JS page path against JSON.parse of the same body.
.PHONY: bench bench-pacing bench-sim bench-python bench-js
bench: bench-pacing bench-sim bench-python bench-js

bench-js: wasm sim-build
	MSPKIT_SIM=$(CURDIR)/$(SIM) node bindings-wasm/bench/decode.mjs

bench-python: python sim-build
	MSPKIT_SIM=$(CURDIR)/$(SIM) $(PY) bindings-python/bench/bench_page.py

bench-pacing:
	$(CARGO) bench -p mspkit-core --bench pacing

bench-sim:
	$(CARGO) bench -p mspkit-sim --bench throughput

## sim: the tenant simulator in the foreground (Ctrl-C stops it). It prints one JSON line
## with its URLs and credentials. Options: make sim SIM_ARGS="--size large --time-scale 60"
.PHONY: sim
SIM_ARGS ?=
sim: toolchain
	$(CARGO) run --quiet -p mspkit-sim -- --ignore-stdin $(SIM_ARGS)

## fuzz: every cargo-fuzz target of the core for FUZZ_SECONDS each (default 60); fails on
## any crash. Installs cargo-fuzz (nightly) on first use.
.PHONY: fuzz
FUZZ_SECONDS ?= 60
fuzz:
	core/fuzz/run.sh $(FUZZ_SECONDS)

## web-demo: the browser demo page and its relay server (js-demo/) against the tenant
## simulator (realistic data). Open the URL it prints and press "Fill simulator tenant";
## Ctrl-C stops the server and the simulator. make web-demo WEB_DEMO_PORT=0 picks a free port.
## test-browser: the demo page in headless Chromium (Debian's package, installed when
## missing) driven by playwright-core from npm; never downloads a browser of its own.
.PHONY: web-demo test-browser browser-deps
WEB_DEMO_PORT ?= 8765
web-demo: wasm sim-build
	node js-demo/server.mjs --port $(WEB_DEMO_PORT) --simulator $(SIM) --ignore-stdin

test-browser: wasm sim-build browser-deps
	MSPKIT_SIM=$(CURDIR)/$(SIM) node --test tests/browser/

browser-deps: tests/browser/node_modules/.package-lock.json
	@command -v chromium >/dev/null 2>&1 || { \
		sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium; }

tests/browser/node_modules/.package-lock.json: tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
