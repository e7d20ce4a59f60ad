#!/usr/bin/env bash
# The GPU half of the prepared device check (packed by `scripts/gpu-check.sh pack`):
#
#   bash PACK/device.sh OUTDIR
#
# Needs only bash, coreutils and the NVIDIA driver; uses python3 with torch, ncu and
# cuBLAS when present and says SKIPPED with the reason when not. No Rust, no network.
# Everything goes under OUTDIR; the archive (OUTDIR.tar.gz, or $GPU_CHECK_ARCHIVE) is
# rewritten after every step, so a check cut short still brings back what finished. Steps
# run in order, most valuable first, each under its own time limit, and all of them inside
# $GPU_CHECK_DEADLINE_S (default 480 s): a step that no longer fits is SKIPPED. Sized for
# ≤ 8 min on one H100.
set -uo pipefail

pack="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: bash device.sh OUTDIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
ab="$pack/archbench"
log="$out/summary.txt"
archive="${GPU_CHECK_ARCHIVE:-$out.tar.gz}"
deadline="${GPU_CHECK_DEADLINE_S:-480}"
t0=$(date +%s)
: > "$log"

say() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$log"; }

save() {
  tar -czf "$archive.tmp" -C "$(dirname "$out")" "$(basename "$out")" 2>/dev/null &&
    mv -f "$archive.tmp" "$archive"
}

# step NAME LIMIT_S COMMAND…: runs it with a time limit (cut to what is left of the
# deadline), output to OUTDIR/NAME.log; then saves the archive.
step() {
  local name="$1" limit="$2"
  shift 2
  local left=$(( deadline - ($(date +%s) - t0) - 10 ))
  if [ "$left" -lt 20 ]; then
    say "$name: SKIPPED (only ${left} s left of the ${deadline} s deadline)"
    return 125
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  say "$name: start (limit ${limit} s)"
  local s
  s=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  local took=$(( $(date +%s) - s ))
  case $rc in
    0) say "$name: ok in ${took} s" ;;
    124|137) say "$name: TIMED OUT after ${took} s (limit ${limit} s); see $name.log" ;;
    *) say "$name: exit $rc after ${took} s; see $name.log" ;;
  esac
  save
  return $rc
}

if [ -f "$pack/MANIFEST" ]; then
  head -3 "$pack/MANIFEST" | tee -a "$log"
  # Every results file of this check names the pack it came from (its provenance).
  ARCHBENCH_PACK=$(sha256sum "$pack/MANIFEST" | cut -d' ' -f1)
  export ARCHBENCH_PACK
fi

# 1. Device and driver.
{
  date -u +%Y-%m-%dT%H:%M:%SZ
  nvidia-smi 2>&1 || echo "nvidia-smi: not found"
  nvidia-smi --query-gpu=name,compute_cap,driver_version,clocks.sm,clocks.max.sm,clocks.mem,power.limit,temperature.gpu --format=csv 2>&1
  cat /proc/driver/nvidia/version 2>/dev/null
  uname -a
} > "$out/device.txt"
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' ')
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
say "device: ${gpu:-unknown} (compute capability ${cap:-unknown}), driver $(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)"
if [ -z "$cap" ]; then
  say "no GPU visible to nvidia-smi: the GPU steps below will say why they fail"
fi
native="pkgsForCudaArch.sm_${cap//./}"

# cuBLAS for the GEMM ceiling: the system's, else the one inside PyTorch's environment.
cublas=""
for d in $(ldconfig -p 2>/dev/null | awk '/libcublas\.so\.1[0-9]/ {print $NF}' | xargs -r -n1 dirname) \
         $(python3 -c 'import nvidia, os; print(" ".join(os.path.join(p, s, "lib") for p in nvidia.__path__ for s in os.listdir(p)))' 2>/dev/null) \
         /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  if ls "$d"/libcublas.so.1[0-9]* >/dev/null 2>&1; then cublas="$d"; break; fi
done
if [ -n "$cublas" ]; then
  export LD_LIBRARY_PATH="$cublas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  say "cuBLAS: $cublas"
else
  say "cuBLAS: SKIPPED (not found): the GEMM ceiling will be missing"
fi

# 2. The GPU tests, one at a time.
step gpu-tests 180 "$pack/gpu-tests" --ignored --test-threads=1
grep -E "^test .* (ok|FAILED)$|test result" "$out/gpu-tests.log" | tee -a "$log"

# 2b. A/B against the pack's base build (`scripts/gpu-check.sh pack --base REV`), when it has
#     one: the same run with both binaries, interleaved (base, new, new, base) so that drift
#     cancels, then `archbench compare` per round (new against base, 2 % threshold: a change
#     shows as FASTER/SLOWER in both rounds). GPU_CHECK_AB_ARGS: the run's selection, split on
#     whitespace (default: the native variant, or pkgsCuda where the build has none, every
#     kernel).
if [ -x "$pack/archbench-base" ]; then
  ab_default="--variant $native"
  "$ab" build-info 2>/dev/null | awk -v v="$native" '$1 == v {f = 1} END {exit !f}' ||
    ab_default="--variant pkgsCuda"
  read -r -a ab_sel <<< "${GPU_CHECK_AB_ARGS:-$ab_default}"
  say "ab: base $(awk '$1 == "base:" {print $2}' "$pack/MANIFEST" 2>/dev/null), selection: ${ab_sel[*]}"
  for run in base1 new1 new2 base2; do
    bin="$ab"
    [ "${run%[0-9]}" = base ] && bin="$pack/archbench-base"
    step "ab-$run" 120 "$bin" run --seed 1 --max-time 60 "${ab_sel[@]}" --out "$out/ab-$run.jsonl"
  done
  for r in 1 2; do
    if [ -s "$out/ab-new$r.jsonl" ] && [ -s "$out/ab-base$r.jsonl" ]; then
      "$ab" compare "$out/ab-new$r.jsonl" "$out/ab-base$r.jsonl" --threshold 2 > "$out/ab-compare$r.txt" 2>&1
      say "ab round $r: $(grep -E '^[0-9]+ faster' "$out/ab-compare$r.txt" || echo "no comparison (see ab-compare$r.txt)")"
    else
      say "ab round $r: SKIPPED (a run of the round wrote no results)"
    fi
  done
  save
else
  say "ab: SKIPPED (no base build in the pack: scripts/gpu-check.sh pack --base REV adds one)"
fi

# 3. The quick run of the default matrix.
step quick 180 "$ab" run --quick --seed 1 --out "$out/quick.jsonl"
grep -E "^[0-9]+ case\(s\)|^cut:|^(FAILED|error|timeout|crashed|prediction mismatch):" "$out/quick.log" | tee -a "$log"

# 3b. A user's crate through the bench API: the example crate's `cargo bench` binary (its
# three variants: sm_80 SASS, sm_90 SASS, sm_80 SASS + PTX), quick then default sizes, and the
# hostile suite's GPU test (a faulting, a hanging, a wrongly called kernel, a panicking
# reference: each recorded, the run going on).
step example-quick 90 env ARCHBENCH_RESULTS_DIR="$out/example-results" "$pack/example-bench" --bench --quick --seed 1 --out "$out/example-quick.jsonl"
step example 120 env ARCHBENCH_RESULTS_DIR="$out/example-results" "$pack/example-bench" --bench --seed 1 --max-time 60 --paired --out "$out/example.jsonl"
tail -25 "$out/example.log" >> "$log" 2>/dev/null
step hostile 120 env ARCHBENCH_HOSTILE="$pack/hostile" ARCHBENCH_HOSTILE_OUT="$out/hostile.jsonl" "$pack/hostile-tests" --ignored --test-threads=1

# 4. The default run: the variants that load on this GPU, plus cmake:75-virtual (PTX JIT).
loading=()
if [ -n "$cap" ]; then
  while read -r name; do loading+=(--variant "$name"); done < <(
    "$ab" run --plan --gpu "$cap" --seed 1 2>/dev/null |
      awk '/^  [^ ]+  \[/ && $0 !~ /→ error/ && $1 !~ /@/ {print $1}' | sort -u)
fi
has_ptx=$("$ab" build-info 2>/dev/null | awk '$1 == "cmake:75-virtual" {print "yes"}')
if [ -n "$has_ptx" ] && [[ " ${loading[*]} " != *" cmake:75-virtual "* ]]; then
  loading+=(--variant cmake:75-virtual)
fi
say "default run variants: ${loading[*]:-(none found)}"
step full 300 "$ab" run --seed 1 --max-time 150 "${loading[@]}" --out "$out/full.jsonl"
grep -E "^[0-9]+ case\(s\)|^cut:|^(FAILED|error|timeout|crashed|prediction mismatch):" "$out/full.log" | tee -a "$log"

# 4b. Library calls beside the cases, sample by sample (`--paired`): cuBLAS beside the GEMMs,
#     a device copy beside three memory-bound kernels; % of each from one interleaved series,
#     both series' clocks, next to the separate ceilings.
if [ -n "$cap" ] && [ -n "$cublas" ]; then
  paired=(--variant "$native")
  if "$ab" build-info 2>/dev/null | awk -v v="${native}a" '$1 == v {f=1} END {exit !f}'; then
    paired+=(--variant "${native}a")
  fi
  step paired 100 "$ab" run --seed 1 --paired --kernel '^(gemm|sgemm|softmax|layer_norm|add_gelu)$' "${paired[@]}" --max-time 60 --out "$out/paired.jsonl"
  grep -E "^[0-9]+ case\(s\)|^(FAILED|error)" "$out/paired.log" | tee -a "$log"
else
  say "paired: SKIPPED (no GPU or no cuBLAS)"
fi

# 5. PyTorch side by side.
"$ab" kernels --json > "$out/kernels.json" 2>/dev/null || cp "$pack/kernels.json" "$out/kernels.json"
if python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  step torch 240 python3 "$pack/torch_side.py" --kernels "$out/kernels.json" --out "$out/torch.json" --budget-s 0.4
else
  say "torch: SKIPPED (python3 with CUDA-enabled torch not found)"
fi

# 6. ncu on every kernel's default cases (archbench's launches under the profiler, cold
#    caches as in archbench's cold mode, clocks left alone), the native variant only; only
#    the suite's own entries are profiled (not the L2 flush or the ceilings' copy and cuBLAS).
entries=$(python3 -c 'import json, sys; print("|".join(sorted({l["entry"] for k in json.load(open(sys.argv[1])) for c in k["cases"] for l in c["launches"]})))' "$out/kernels.json" 2>/dev/null || true)
if command -v ncu >/dev/null 2>&1 && [ -n "$cap" ] && [ -n "$entries" ]; then
  echo "$native" > "$out/ncu-variant.txt"
  step ncu 240 ncu --clock-control none --cache-control all --target-processes all \
    --csv --page raw --metrics gpu__time_duration.sum \
    -k "regex:^($entries)\$" \
    "$ab" run --profile --samples 20 --seed 1 \
    --variant "$native" --out "$out/ncu-run.jsonl"
  grep -v '^==' "$out/ncu.log" | grep -E '^"' > "$out/ncu.csv" || true
  say "ncu: $(grep -c '^"[0-9]' "$out/ncu.csv" 2>/dev/null || echo 0) profiled launches"
else
  say "ncu: SKIPPED (ncu not on PATH or no GPU)"
fi

# 6b. The mma.sync rate (the sm_80 GEMM path's instruction ceiling), where nvcc is present.
nvcc_bin=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
if [ -n "$nvcc_bin" ] && [ -n "$cap" ] && [ -f "$pack/mma_sync_peak.cu" ]; then
  arch="${cap/./}"
  step mma-peak 60 bash -c "'$nvcc_bin' -O3 -gencode=arch=compute_$arch,code=sm_$arch -o '$out/mma_sync_peak' '$pack/mma_sync_peak.cu' && '$out/mma_sync_peak'"
  grep -E "TFLOP/s|error" "$out/mma-peak.log" | tee -a "$log"
else
  say "mma-peak: SKIPPED (nvcc not found)"
fi

# 6c. What NVIDIA's libraries do for the image kernels (CUB's DeviceHistogram, NPP's Gaussian
#     and Sobel filters where the NPP libraries are installed) and same-size device copies,
#     timed like archbench's cold mode (scripts/gpu-check/vendor_side.cu, built there).
if [ -n "$nvcc_bin" ] && [ -n "$cap" ] && [ -f "$pack/vendor_side.cu" ]; then
  arch="${cap/./}"
  cuda_lib="$(dirname "$(dirname "$nvcc_bin")")/lib64"
  npp=() npp_lib=""
  if ls "$cuda_lib"/libnppif.so* >/dev/null 2>&1; then
    npp=(-DHAVE_NPP -L"$cuda_lib" -lnppif -lnppig -lnppc)
    npp_lib="$cuda_lib"
  else
    say "vendor: NPP libraries not in $cuda_lib: CUB and copies only"
  fi
  # Same-size copies for each memory-bound case: its byte count (read + write) from kernels.json.
  traffic=$(python3 -c 'import json, sys; print(" ".join(sorted({str(c["bytes"]) for k in json.load(open(sys.argv[1])) if "gemm" not in k["name"] for c in k["cases"]})))' "$out/kernels.json" 2>/dev/null || true)
  [ -n "$traffic" ] || say "vendor: no case sizes read from kernels.json: fixed-size copies only"
  # NPP's libraries on the loader path for this step only.
  vlib="${LD_LIBRARY_PATH:-}"
  [ -n "$npp_lib" ] && vlib="${vlib:+$vlib:}$npp_lib"
  step vendor 120 bash -c "'$nvcc_bin' -O3 -gencode=arch=compute_$arch,code=sm_$arch -o '$out/vendor_side' '$pack/vendor_side.cu' ${npp[*]} && LD_LIBRARY_PATH='$vlib' '$out/vendor_side' $traffic > '$out/vendor.jsonl'"
  grep -E '"what"' "$out/vendor.jsonl" 2>/dev/null | tee -a "$log"
else
  say "vendor: SKIPPED (nvcc not found)"
fi

# 7. cargo bench (hot numbers), filtered to keep the check short.
step bench 150 "$pack/kernels-bench" --bench '^(softmax|layer_norm)/' --warm-up-time 0.2 --measurement-time 1
grep -E "^(softmax|layer_norm)/|time:|HOT" "$out/bench.log" | head -40 >> "$log"

# 8. Hot mode, quick sizes, native variant.
step hot-quick 120 "$ab" run --hot --quick --seed 1 --variant "$native" --out "$out/hot-quick.jsonl"

# 9. PTX loads with the driver's JIT cache on: the PTX-only variants, quick sizes, twice with
#    one cache directory (the first run JIT-compiles and fills it, the second loads from it);
#    the default run above had the cache off (every load a JIT compile).
ptx=()
while read -r name; do ptx+=(--variant "$name"); done < <(
  "$ab" build-info 2>/dev/null | awk '$1 ~ /^cmake:[0-9]+-virtual$/ {print $1}' | sort -u)
if [ ${#ptx[@]} -gt 0 ] && [ -n "$cap" ]; then
  jit_dir="$(mktemp -d)"  # outside $out: the cache is not a result
  step jit-fill 90 "$ab" run --quick --seed 1 "${ptx[@]}" --jit-cache "$jit_dir" --out "$out/jit-fill.jsonl"
  step jit-cached 90 "$ab" run --quick --seed 1 "${ptx[@]}" --jit-cache "$jit_dir" --out "$out/jit-cached.jsonl"
  rm -rf "$jit_dir"
else
  say "jit-cache: SKIPPED (no PTX-only variant or no GPU)"
fi

say "done in $(( $(date +%s) - t0 )) s"
save
say "archive: $archive ($(stat -c %s "$archive") bytes)"
