#!/usr/bin/env bash
# One-off A/B for this session (second call): the new kernels against the pack of commit
# 9a27db7 (archbench-old), on the same GPU; CUB/NPP/copies; ncu on blur and resize.
set -u
P="$(cd "$(dirname "$0")" && pwd)"; O="$OUT/r3"; mkdir -p "$O"; cd "$P"
t0=$(date +%s); say() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$O/summary.txt"; }
NV=/usr/local/cuda/bin/nvcc; L=/usr/local/cuda/lib64
NPP=""; ls $L/libnppif.so* >/dev/null 2>&1 && NPP="-DHAVE_NPP -L$L -lnppif -lnppig -lnppc"
export LD_LIBRARY_PATH="$L${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
for d in $(python3 -c 'import nvidia, os; print(" ".join(os.path.join(p, s, "lib") for p in nvidia.__path__ for s in os.listdir(p)))' 2>/dev/null); do
  ls "$d"/libcublas.so.1[0-9]* >/dev/null 2>&1 && { export LD_LIBRARY_PATH="$d:$LD_LIBRARY_PATH"; break; }; done
nvidia-smi --query-gpu=name,compute_cap,driver_version,clocks.max.sm --format=csv > "$O/device.txt" 2>&1
say "device: $(tail -1 "$O/device.txt")"
timeout 120 ./gpu-tests --ignored --test-threads=1 > "$O/gpu-tests.log" 2>&1; say "gpu-tests rc=$?"
grep -E "^test |test result|panicked" "$O/gpu-tests.log" | tee -a "$O/summary.txt"
timeout 90 ./archbench run --quick --seed 1 --variant pkgsForCudaArch.sm_90 --variant pkgsCuda --variant cmake:75-virtual --out "$O/quick.jsonl" > "$O/quick.log" 2>&1; say "quick rc=$?"
grep -E "case\(s\)|FAILED|mismatch|error|fail" "$O/quick.log" | head -20 | tee -a "$O/summary.txt"
K=(--kernel '^gaussian_blur_5x5$' --kernel '^sobel_3x3_dx$' --kernel '^softmax$' --kernel '^cvt_color_bgr2gray$' --kernel '^resize_bilinear$')
for i in 1 2; do
  for b in old new; do
    bin=./archbench; [ $b = old ] && bin=./archbench-old
    timeout 90 $bin run --seed $i --timeout 1 "${K[@]}" --variant pkgsForCudaArch.sm_90 --out "$O/$b$i.jsonl" > "$O/$b$i.log" 2>&1; say "$b$i rc=$?"
    grep -E "^(gaussian|sobel|softmax|histogram|cvt|resize)" "$O/$b$i.log" | awk '{print "  '$b$i'", $0}' | cut -c1-150 | tee -a "$O/summary.txt"
  done
done
wait
: skip vendor
timeout 100 ncu --clock-control none --cache-control all --section SpeedOfLight --section SchedulerStats --section Occupancy --section LaunchStats --section WarpStateStats \
  -k 'regex:^(gaussian_blur_5x5|resize_bilinear|sobel_3x3_dx)$' \
  ./archbench run --profile --samples 1 --seed 1 --kernel '^gaussian_blur_5x5$' --kernel '^resize_bilinear$' --kernel '^sobel_3x3_dx$' \
  --variant pkgsForCudaArch.sm_90 --out "$O/ncu-run.jsonl" > "$O/ncu.txt" 2>&1; say "ncu rc=$?"
say "done"
tar czf "$OUT/r3.tgz" -C "$OUT" r3
