#!/usr/bin/env bash
# Times the example user crate (examples/saxpy-rmsnorm: 2 kernel files, 3 variants) the way
# its user meets it: `cargo bench --no-run` from an empty target folder, then the kernels
# alone, then one-file edits, and the bench binary's start-up to its plan. Rust crates must
# already be downloaded and the CUDA toolchain installed (run the test command once first).
#
#   scripts/benchmarks/example-crate.sh [OUT.jsonl]
#
# Prints one line per measurement and appends them as JSON Lines to OUT.jsonl (default:
# results/build-time/<date>-example-crate.jsonl):
#   cold-all      empty target folder and kernel cache: every Rust crate, the build script,
#                 every kernel unit, the link (cargo --timings' report is kept beside OUT)
#   cold-kernels  warm Rust crates, empty kernel cache: what the kernels cost on their own
#   no-op         nothing changed
#   edit-cu       one line of kernels/saxpy.cu changed (3 runs; the file is restored)
#   startup       the bench binary with no GPU visible, to its plan (5 runs)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/results/build-time/$(date -u +%Y%m%d)-example-crate.jsonl}
work=$(mktemp -d /tmp/archbench-example-bench.XXXXXX)
export CARGO_TARGET_DIR=$work/target
export ARCHBENCH_KERNEL_CACHE=$work/cache-cold
unset ARCHBENCH_VARIANTS TORCH_CUDA_ARCH_LIST CMAKE_CUDA_ARCHITECTURES CUDA_COMPUTE_CAP
kernel=$root/examples/saxpy-rmsnorm/kernels/saxpy.cu
cp "$kernel" "$work/saxpy.cu.orig"
trap 'cp "$work/saxpy.cu.orig" "$kernel"; rm -rf "$work"' EXIT
cd "$root"

host="$(nproc) cores, $(uname -m), load $(cut -d' ' -f1 /proc/loadavg)"
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates examples || echo "+dirty")

timed() { # NAME CMD…: prints and records the wall time of CMD
  local name=$1
  shift
  local s e
  s=$(date +%s.%N)
  "$@" >"$work/log" 2>&1 || { tail -30 "$work/log" >&2; echo "example-crate: $name failed" >&2; exit 1; }
  e=$(date +%s.%N)
  local secs
  secs=$(python3 -c "print(f'{$e - $s:.2f}')")
  echo "$name: $secs s"
  printf '{"measure":"%s","seconds":%s,"commit":"%s","host":"%s"}\n' "$name" "$secs" "$commit" "$host" >>"$out"
}

bench_no_run() { cargo bench -q -p archbench-example --bench gpu --no-run "$@"; }

mkdir -p "$(dirname "$out")"
timed cold-all bench_no_run --timings
cp "$CARGO_TARGET_DIR"/cargo-timings/cargo-timing.html "${out%.jsonl}-cold-timings.html" 2>/dev/null || true
export ARCHBENCH_KERNEL_CACHE=$work/cache-kernels
timed cold-kernels bench_no_run
timed no-op bench_no_run
for i in 1 2 3; do
  cp "$work/saxpy.cu.orig" "$kernel"
  echo "// edit $i $(date +%s%N)" >>"$kernel"
  timed edit-cu bench_no_run
done
cp "$work/saxpy.cu.orig" "$kernel"
exe=$(cargo bench -q -p archbench-example --bench gpu --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    try: m = json.loads(l)
    except ValueError: continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "gpu": print(m["executable"])' | tail -1)
for i in 1 2 3 4 5; do
  timed startup env CUDA_VISIBLE_DEVICES= "$exe" --bench --quick
done
echo "example-crate: results in $out"
