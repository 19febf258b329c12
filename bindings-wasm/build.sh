#!/usr/bin/env bash
# Builds the npm package "mspkit" into bindings-wasm/pkg: the core compiled to
# WebAssembly (optimised for size), wasm-bindgen's glue, and the hand-written ES modules,
# types and package.json from pkg-src/. Idempotent: installs what is missing (the wasm
# target, the pinned wasm-bindgen-cli, binaryen's wasm-opt from npm) and skips nothing
# that changed. Usage: bindings-wasm/build.sh [--no-opt]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$here/pkg"
cargo="${CARGO:-cargo}"
optimise=1
[[ "${1:-}" == "--no-opt" ]] && optimise=0

# The CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$root/Cargo.lock")"
[[ -n "$version" ]] || { echo "build.sh: wasm-bindgen is not in Cargo.lock" >&2; exit 1; }

rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown

bindgen="${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen"
if ! "$bindgen" --version 2>/dev/null | grep -qx "wasm-bindgen $version"; then
  echo "build.sh: installing wasm-bindgen-cli $version (a few minutes, once)" >&2
  "$cargo" install wasm-bindgen-cli --version "$version" --force
fi

# Size first: the workspace's release profile (lto, one codegen unit) at opt-level "s",
# and panics abort (the core never panics on outside input; unwinding code is dead weight).
CARGO_PROFILE_RELEASE_OPT_LEVEL="${MSPKIT_WASM_OPT_LEVEL:-s}" \
CARGO_PROFILE_RELEASE_PANIC=abort \
  "$cargo" build --manifest-path "$root/Cargo.toml" --target wasm32-unknown-unknown --release -p mspkit-wasm

rm -rf "$out"
mkdir -p "$out"
"$bindgen" --target web --out-dir "$out" --out-name mspkit_wasm \
  "$root/target/wasm32-unknown-unknown/release/mspkit_wasm.wasm"

if [[ $optimise == 1 ]]; then
  [[ -x "$here/node_modules/.bin/wasm-opt" ]] || (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  wasm="$out/mspkit_wasm_bg.wasm"
  "$here/node_modules/.bin/wasm-opt" -Os --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
fi

cp "$here"/pkg-src/*.js "$here"/pkg-src/*.d.ts "$here"/pkg-src/package.json "$here"/pkg-src/README.md "$out"/
# `import ... from "mspkit"` in examples/ resolves to the build, as in a project that ran
# `npm install <repo>/bindings-wasm/pkg` (after any npm ci, which empties node_modules).
mkdir -p "$here/node_modules"
ln -sfn ../pkg "$here/node_modules/mspkit"
echo "build.sh: $(wc -c < "$out/mspkit_wasm_bg.wasm") bytes of wasm in $out" >&2
