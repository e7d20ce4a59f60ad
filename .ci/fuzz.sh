#!/usr/bin/env bash
# Fuzz every parser for a bounded time and print total execs per target: the binary parsers
# of archbench-inspect, the spec parsers (attribute paths, Nix attrsets, torch:, cmake:,
# variant files) and the results reader.
# Usage: .ci/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
# Needs only a stable toolchain: cargo-fuzz's -Z flags are enabled with RUSTC_BOOTSTRAP=1.
set -euo pipefail
secs="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
# The results target links the archbench crate; its kernels are not needed to fuzz.
export ARCHBENCH_SKIP_KERNELS=1
targets=(read fatbin cubin elf ptx decompress predict embedded embed_container spec variant_file results names)
cargo fuzz build -O
fail=0
summary=""
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    # Seeds: small real cubins, fatbins (plain, zstd, LZ4, LTO-IR) and PTX from nvcc/ptxas;
    # specs, variant files and real results files for the text targets.
    case "$t" in
        spec|variant_file) cp -n "$root"/fuzz/seeds-text/* "corpus/$t/" 2>/dev/null || true ;;
        names) cp -n "$root"/fuzz/seeds-names/* "corpus/$t/" 2>/dev/null || true ;;
        results) cp -n "$root"/tests/fixtures/gpu-check/synthetic/run.jsonl "$root"/tests/fixtures/synthetic/synthetic-gpu-b.json "corpus/$t/" 2>/dev/null || true ;;
        *) cp -n "$root"/fuzz/seeds/* "corpus/$t/" 2>/dev/null || true ;;
    esac
    log="$(mktemp)"
    if ! cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 >"$log" 2>&1; then
        echo "FAIL: $t (see artifacts/$t)"; tail -40 "$log"; fail=1
    fi
    execs="$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)"
    summary+="$(printf '%-12s %12s execs in %ss\n' "$t" "${execs:-?}" "$secs")"$'\n'
    rm -f "$log"
done
printf '%s' "$summary"
exit "$fail"
