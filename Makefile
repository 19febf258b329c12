# mspkit: the two commands users run are `make demo` and `make test`.
# Each target installs what it needs itself (idempotently) so a bare machine with only
# Rust, Python 3.11 and Node 20 can run it.

CARGO ?= cargo
EXAMPLES := vsax vsa9 warehouse autotask

.PHONY: all demo test lint test-rust doc toolchain clean

all: test

## demo: runs the core's example conversations, one per vendor, against canned responses.
demo: toolchain
	@for example in $(EXAMPLES); do \
		echo "=== $$example ==="; \
		$(CARGO) run --quiet -p mspkit-core --example $$example || exit 1; \
	done

## test: every test suite that exists, plus formatting, lints and rustdoc checks.
test: lint test-rust doc

test-rust: toolchain
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

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
.PHONY: bench bench-pacing bench-sim
bench: bench-pacing bench-sim

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
