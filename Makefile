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
.PHONY: bench bench-pacing
bench: bench-pacing

bench-pacing:
	$(CARGO) bench -p mspkit-core --bench pacing
