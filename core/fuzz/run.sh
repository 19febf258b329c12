#!/usr/bin/env bash
# Runs every fuzz target of mspkit-core for a bounded time, one after the other, and fails
# on any crash. Usage: core/fuzz/run.sh [SECONDS_PER_TARGET (default 60)] [TARGET...]
#
# Installs cargo-fuzz when missing (and the nightly toolchain it needs), seeds the corpora
# from tests/fixtures (seed.sh), builds once, then prints per target the executions
# (libFuzzer's stat::number_of_executed_units), the time and the crashes, with the path
# of any crash artifact. Full libFuzzer output: core/fuzz/target/fuzz-logs/<target>.log.
#
# Build: no sanitizer (the core forbids unsafe code; this triples the speed) and with
# debug assertions, so integer overflow panics as in a debug build. Override with
# FUZZ_BUILD_FLAGS (e.g. FUZZ_BUILD_FLAGS="-a" for AddressSanitizer as well).
#
set -uo pipefail

seconds="${1:-${FUZZ_SECONDS:-60}}"
shift $(( $# > 0 ? 1 : 0 ))
case "$seconds" in
    '' | *[!0-9]*) echo "usage: $0 [seconds per target] [target...]" >&2; exit 2 ;;
esac

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
core_dir="$(dirname "$fuzz_dir")"
read -r -a build_flags <<<"${FUZZ_BUILD_FLAGS:--s none -a}"

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal || exit 1
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked || exit 1

"$fuzz_dir/seed.sh" || exit 1

cd "$core_dir" || exit 1
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
echo "building ${#targets[@]} fuzz targets (cargo +nightly fuzz build ${build_flags[*]})"
cargo +nightly fuzz build "${build_flags[@]}" || exit 1

logs="$fuzz_dir/target/fuzz-logs"
mkdir -p "$logs"
failed=0
summary=()
for target in "${targets[@]}"; do
    log="$logs/$target.log"
    echo "=== $target: ${seconds}s"
    start=$(date +%s)
    cargo +nightly fuzz run "${build_flags[@]}" "$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 -timeout=20 \
        -dict="$fuzz_dir/fuzz.dict" >"$log" 2>&1
    status=$?
    elapsed=$(( $(date +%s) - start ))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')
    artifacts=$(grep -o 'Test unit written to [^ ]*' "$log" | sed 's/Test unit written to //')
    crashes=$(printf '%s' "$artifacts" | grep -c . || true)
    if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
        crashes=1 # a failure that left no artifact (e.g. out of memory, build error)
    fi
    line=$(printf '%-20s executions %12s  time %5ss  crashes %s' "$target" "${execs:-?}" "$elapsed" "$crashes")
    echo "$line"
    summary+=("$line")
    if [ "$crashes" -ne 0 ]; then
        failed=1
        grep -m 1 -B 2 -A 30 -E "panicked at|==ERROR|deadly signal|Timeout|out-of-memory" "$log" | head -n 40
        for artifact in $artifacts; do
            echo "crash artifact: $artifact"
            echo "  reproduce: (cd $core_dir && cargo +nightly fuzz run ${build_flags[*]} $target $artifact)"
        done
        echo "full log: $log"
    fi
done

echo
echo "fuzz summary (${seconds}s per target):"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "FAILED: at least one target crashed (artifacts under $fuzz_dir/artifacts)"
    exit 1
fi
echo "no crashes"
