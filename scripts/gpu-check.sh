#!/usr/bin/env bash
# The prepared GPU device check: build here, run there (a GPU machine with no Rust and no
# network), bring the evidence back.
#
#   scripts/gpu-check.sh pack [--base REV] [DIR]
#                                            here: build, pack binaries + runner into DIR
#                                            (default gpu-carry/, git-ignored, ≤ 64 MiB);
#                                            --base: also archbench as built at git
#                                            revision REV, for the A/B step
#   scripts/gpu-check.sh verify-pack [DIR]   here or there: check DIR against its MANIFEST
#   bash DIR/device.sh OUTDIR                there: run everything, write OUTDIR/ and
#                                            OUTDIR.tar.gz (one command, no Rust needed)
#   scripts/gpu-check.sh import TARBALL|DIR  here: file the runs as baselines under
#                                            results/<gpu>/ and write the comparison report
#
# What runs there, in order, each step with its own time limit and a clear SKIPPED or
# FAILED line when a piece is missing: device and driver; the GPU tests
# (`#[ignore = "needs a CUDA GPU"]`, one at a time); with a base build in the pack, the A/B
# step (both binaries, interleaved, `archbench compare`); `archbench run --quick`; the default
# run restricted to the variants that load on that GPU plus `cmake:75-virtual`; PyTorch
# side by side (same sizes and dtypes, CUDA events, cold L2); ncu on two kernels to
# cross-check archbench's timing; the example user crate's `cargo bench` (quick, then
# default) and the hostile suite's GPU test; a filtered `cargo bench` (hot numbers); a hot
# quick run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "gpu-check: $*" >&2; exit 1; }

# The files a pack holds, and what each is (the MANIFEST lists them with sizes and hashes).
PACKED=(
  "archbench|the archbench binary, kernel images embedded (stripped)"
  "gpu-tests|tests/gpu.rs: the tests marked #[ignore = \"needs a CUDA GPU\"] (stripped)"
  "kernels-bench|benches/kernels.rs: cargo bench's criterion binary (stripped)"
  "example-bench|examples/saxpy-rmsnorm: the example user crate's cargo bench binary, its images embedded (stripped)"
  "hostile|examples/hostile: a user suite whose cases go wrong on purpose (stripped)"
  "hostile-tests|examples/hostile/tests/hostile.rs: its GPU test, which runs the hostile binary (stripped)"
  "device.sh|the runner: bash device.sh OUTDIR"
  "torch_side.py|PyTorch/torchvision counterparts timed like archbench (cold L2, CUDA events)"
  "mma_sync_peak.cu|the mma.sync bf16 rate with register operands (the sm_80 GEMM path's ceiling), built there with nvcc"
  "vendor_side.cu|CUB's DeviceHistogram, NPP's Gaussian and Sobel filters and same-size copies, timed like archbench's cold mode, built there with nvcc"
  "kernels.json|archbench kernels --json (default sizes)"
  "build-info.txt|archbench build-info: variants, flags, registers"
)
# With `pack --base REV` only.
BASE_ENTRY="archbench-base|the archbench binary as built at the base revision, for the A/B step (stripped)"

# `cargo … --message-format=json` → the executable of the artifact whose target is $1.
executable_of() {
  python3 -c '
import json, sys
want = sys.argv[1]
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == want:
        print(m["executable"])
' "$1" | tail -1
}

pack() {
  local dir="" base=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --base) base="${2:?--base needs a git revision (a commit, tag or branch)}"; shift 2 ;;
      -*) die "pack: unknown option '$1' (pack [--base REV] [DIR])" ;;
      *) dir="$1"; shift ;;
    esac
  done
  dir="${dir:-$here/gpu-carry}"
  command -v cargo >/dev/null || die "pack needs cargo (run it where archbench builds)"
  cd "$here"
  local base_rev=""
  if [ -n "$base" ]; then
    base_rev=$(git rev-parse --verify -q "$base^{commit}") ||
      die "--base $base: not a commit of this repository (try a hash from git log)"
  fi
  echo "gpu-check: building release binaries (kernels included) ..."
  cargo build --release -q --workspace
  local gpu_tests bench example hostile_tests
  gpu_tests=$(cargo test --release -q --test gpu --no-run --message-format=json 2>/dev/null | executable_of gpu)
  bench=$(cargo bench -q --bench kernels --no-run --message-format=json 2>/dev/null | executable_of kernels)
  example=$(cargo bench -q -p archbench-example --bench gpu --no-run --message-format=json 2>/dev/null | executable_of gpu)
  hostile_tests=$(cargo test --release -q -p archbench-hostile --test hostile --no-run --message-format=json 2>/dev/null | executable_of hostile)
  [ -x "$gpu_tests" ] || die "could not find the GPU test binary (cargo test --test gpu --no-run)"
  [ -x "$bench" ] || die "could not find the bench binary (cargo bench --no-run)"
  [ -x "$example" ] || die "could not find the example crate's bench binary (cargo bench -p archbench-example --no-run)"
  [ -x "$hostile_tests" ] || die "could not find the hostile suite's test binary (cargo test -p archbench-hostile --no-run)"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  strip -o "$dir.tmp/archbench" target/release/archbench
  strip -o "$dir.tmp/gpu-tests" "$gpu_tests"
  strip -o "$dir.tmp/kernels-bench" "$bench"
  strip -o "$dir.tmp/example-bench" "$example"
  strip -o "$dir.tmp/hostile" target/release/archbench-hostile
  strip -o "$dir.tmp/hostile-tests" "$hostile_tests"
  cp scripts/gpu-check/device.sh scripts/gpu-check/torch_side.py scripts/gpu-check/mma_sync_peak.cu scripts/gpu-check/vendor_side.cu "$dir.tmp/"
  target/release/archbench kernels --json > "$dir.tmp/kernels.json"
  target/release/archbench build-info > "$dir.tmp/build-info.txt"
  chmod +x "$dir.tmp/archbench" "$dir.tmp/gpu-tests" "$dir.tmp/kernels-bench" "$dir.tmp/device.sh" \
    "$dir.tmp/example-bench" "$dir.tmp/hostile" "$dir.tmp/hostile-tests"
  local entries=("${PACKED[@]}")
  if [ -n "$base_rev" ]; then
    # The base revision, checked out alone and built in a target folder of its own (kept, so
    # the next pack with a base rebuilds incrementally); kernel units come from the shared cache.
    local wt="$here/target/gpu-check-base/src"
    git worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"
    git worktree prune
    git worktree add -q --detach "$wt" "$base_rev"
    echo "gpu-check: building the base archbench at $base_rev ..."
    (cd "$wt" && CARGO_TARGET_DIR="$here/target/gpu-check-base/target" cargo build --release -q) ||
      { git worktree remove --force "$wt"; die "the base revision $base_rev does not build"; }
    strip -o "$dir.tmp/archbench-base" "$here/target/gpu-check-base/target/release/archbench"
    chmod +x "$dir.tmp/archbench-base"
    git worktree remove --force "$wt"
    entries+=("$BASE_ENTRY")
  fi
  {
    echo "# archbench gpu-check pack"
    echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    [ -n "$base_rev" ] && echo "base: $base_rev"
    echo "archbench: $(target/release/archbench --version)"
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m)"
    echo "# file bytes sha256 what"
    for entry in "${entries[@]}"; do
      local f="${entry%%|*}" what="${entry#*|}"
      echo "$f $(stat -c %s "$dir.tmp/$f") $(sha256sum "$dir.tmp/$f" | cut -d' ' -f1) $what"
    done
  } > "$dir.tmp/MANIFEST"
  local total
  total=$(du -sb "$dir.tmp" | cut -f1)
  [ "$total" -le $((64 * 1024 * 1024)) ] || die "the pack is $total bytes, over the 64 MiB a device call carries"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  echo "gpu-check: packed $(( total / 1024 )) KiB into $dir:"
  cat "$dir/MANIFEST"
  echo "gpu-check: on the GPU machine: bash $(basename "$dir")/device.sh OUTDIR"
}

verify_pack() {
  local dir="${1:-$here/gpu-carry}"
  [ -f "$dir/MANIFEST" ] || die "$dir has no MANIFEST: not a pack (scripts/gpu-check.sh pack makes one)"
  local bad=0 n=0 want=${#PACKED[@]}
  grep -q '^base: ' "$dir/MANIFEST" && want=$((want + 1))
  while read -r f bytes sum _; do
    case "$f" in "#"*|commit:|base:|archbench:|built:|"") continue ;; esac
    n=$((n + 1))
    if [ ! -f "$dir/$f" ]; then echo "missing: $f"; bad=1; continue; fi
    [ "$(stat -c %s "$dir/$f")" = "$bytes" ] || { echo "size differs: $f"; bad=1; }
    [ "$(sha256sum "$dir/$f" | cut -d' ' -f1)" = "$sum" ] || { echo "hash differs: $f"; bad=1; }
  done < "$dir/MANIFEST"
  [ "$n" -eq "$want" ] || { echo "MANIFEST lists $n files, a pack has $want"; bad=1; }
  [ "$bad" -eq 0 ] || die "$dir does not match its MANIFEST"
  echo "gpu-check: $dir matches its MANIFEST ($n files)"
}

import() {
  local src="${1:?import needs the tarball or folder device.sh wrote}"
  cd "$here"
  local dir
  if [ -d "$src" ]; then
    dir="$src"
  else
    [ -f "$src" ] || die "no such file: $src"
    dir="$(mktemp -d)"
    tar -xzf "$src" -C "$dir"
    dir="$(find "$dir" -mindepth 1 -maxdepth 1 | sort | head -1)"
  fi
  [ -f "$dir/summary.txt" ] || die "$dir has no summary.txt: not a device.sh output folder"
  # ARCHBENCH_BIN and ARCHBENCH_RESULTS_DIR: for tests.
  local ab="${ARCHBENCH_BIN:-target/release/archbench}" results="${ARCHBENCH_RESULTS_DIR:-results}"
  [ -x "$ab" ] || cargo build --release -q
  local main=""
  for f in "$dir/full.jsonl" "$dir/quick.jsonl"; do
    [ -f "$f" ] && { main="$f"; break; }
  done
  [ -n "$main" ] || die "$dir holds no archbench results (full.jsonl, quick.jsonl)"
  header() { python3 -c 'import json,sys; print(eval("h"+sys.argv[2], {"h": json.loads(open(sys.argv[1]).readline())}))' "$1" "$2"; }
  local stamp gpu
  stamp=$(header "$main" '["started"]' | tr -cd '0-9TZ')
  gpu=$(header "$main" '["device"]["name"]')
  for f in "$dir/quick.jsonl" "$dir/full.jsonl" "$dir/hot-quick.jsonl" "$dir/jit-fill.jsonl" "$dir/jit-cached.jsonl" "$dir/paired.jsonl" "$dir/example.jsonl" "$dir/example-quick.jsonl"; do
    [ -f "$f" ] || continue
    echo "gpu-check: $("$ab" baseline save "$f" --dir "$results" --name "$stamp-gpu-check-$(basename "$f" .jsonl)" --force | tail -1)"
  done
  local slug
  slug=$(printf '%s' "$gpu" | tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9]+/-/g; s/^-+//; s/-+$//')
  local outdir="$results/${slug:-unknown}"
  mkdir -p "$outdir"
  stamp=$(printf %s "$stamp" | tr '[:upper:]' '[:lower:]')
  local report="$outdir/${stamp}-gpu-check.md"
  # The device check's report: archbench's own report of the main run with the side files
  # (PyTorch, Nsight Compute, NVIDIA's libraries, the device) beside it, markdown only.
  local rdir
  rdir="$(mktemp -d)"
  local args=("$main" --format md --out "$rdir")
  [ -f "$dir/kernels.json" ] && args+=(--kernels "$dir/kernels.json")
  [ -f "$dir/torch.json" ] && args+=(--torch "$dir/torch.json")
  [ -f "$dir/ncu.csv" ] && args+=(--ncu "$dir/ncu.csv")
  [ -f "$dir/ncu-variant.txt" ] && args+=(--ncu-variant "$(cat "$dir/ncu-variant.txt")")
  [ -f "$dir/vendor.jsonl" ] && args+=(--vendor "$dir/vendor.jsonl")
  [ -f "$dir/device.txt" ] && args+=(--device-info "$dir/device.txt")
  "$ab" report "${args[@]}" >/dev/null || { rm -rf "$rdir"; die "archbench report failed on $main"; }
  cp "$rdir/report.md" "$report.tmp" && mv "$report.tmp" "$report"
  rm -rf "$rdir"
  # cuBLAS beside the GEMMs (`--paired`): its own short report.
  if [ -f "$dir/paired.jsonl" ]; then
    rdir="$(mktemp -d)"
    if "$ab" report "$dir/paired.jsonl" --format md --out "$rdir" >/dev/null; then
      cp "$rdir/report.md" "$outdir/${stamp}-gpu-check-paired.md"
    else
      echo "gpu-check: archbench report failed on $dir/paired.jsonl" >&2
    fi
    rm -rf "$rdir"
  fi
  for f in torch.json ncu.csv vendor.jsonl summary.txt hostile.jsonl example.log hostile.log; do
    [ -f "$dir/$f" ] && cp "$dir/$f" "$outdir/${stamp}-gpu-check-$f"
  done
  # The A/B step's runs and comparisons, as they are (the base run is not this commit's).
  local f
  for f in "$dir"/ab-base[0-9].jsonl "$dir"/ab-new[0-9].jsonl "$dir"/ab-compare[0-9].txt; do
    [ -f "$f" ] && cp "$f" "$outdir/${stamp}-gpu-check-$(basename "$f")"
  done
  echo "gpu-check: report $report"
}

case "${1:-}" in
  pack) shift; pack "$@" ;;
  verify-pack) shift; verify_pack "$@" ;;
  import) shift; import "$@" ;;
  *) sed -n '2,22p' "$0"; exit 2 ;;
esac
