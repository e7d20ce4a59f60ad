#!/usr/bin/env bash
# Times archbench-build on a fixture crate: two of the repository's kernels (softmax.cu, which
# includes rows.cuh/bf16.cuh/params.h, and transpose.cu, which includes params.h) built for
# three variants (pkgsForCudaArch.sm_80, pkgsForCudaArch.sm_90a, torch:8.0;9.0+PTX: 4 units
# per file), with the toolchain already installed.
#
#   scripts/benchmarks/build-crate.sh            # in a fresh temporary directory
#   WORK=/tmp/abb scripts/benchmarks/build-crate.sh   # reuse a directory (Rust deps stay built)
#
# Prints, each `cargo build` timed as a whole (wall clock, seconds):
#   cold-all      empty target dir and kernel cache: Rust deps + build script + every kernel
#   cold-kernels  warm Rust deps, empty kernel cache (a new ARCHBENCH_KERNEL_CACHE): the
#                 kernel build of a fresh checkout on a machine that has the toolchain
#   no-op         nothing changed
#   touch         one .cu touched, content unchanged (build script reruns; all cache hits)
#   edit-cu       one .cu edited (its 4 units recompile; the other file's hit): 3 runs
#   edit-header   rows.cuh edited (only softmax.cu includes it)
# and nvcc's cost for the dependency list: one SASS unit plain, with -MD -MF, and a separate
# `nvcc -M` pass (5 runs each, median).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
work=${WORK:-$(mktemp -d /tmp/archbench-build-bench.XXXXXX)}
crate=$work/crate
export CARGO_TARGET_DIR=$work/target
mkdir -p "$crate/src" "$crate/kernels"

cat > "$crate/Cargo.toml" <<EOF
[package]
name = "abb_bench"
version = "0.1.0"
edition = "2021"

[build-dependencies]
archbench-build = { path = "$root/crates/archbench-build" }

[workspace]
EOF
cat > "$crate/build.rs" <<'EOF'
fn main() -> Result<(), archbench_build::BuildError> {
    archbench_build::Kernels::new()
        .sources_in("kernels")
        .include("kernels")
        .variants(["pkgsForCudaArch.sm_80", "pkgsForCudaArch.sm_90a", "torch:8.0;9.0+PTX"])
        .build()?;
    Ok(())
}
EOF
cat > "$crate/src/main.rs" <<'EOF'
fn main() {
    let c: &'static [u8] = include!(concat!(env!("OUT_DIR"), "/archbench_images.rs"));
    println!("{} bytes of kernels", c.len());
}
EOF
for f in softmax.cu transpose.cu rows.cuh bf16.cuh params.h; do
    cp "$root/kernels/$f" "$crate/kernels/$f"
done
cp "$root/Cargo.lock" "$crate/Cargo.lock"
cd "$crate"

now() { date +%s.%N; }
# shellcheck disable=SC2317
timed() { # name, then the command
    local name=$1; shift
    local t0 t1
    t0=$(now)
    "$@" >"$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
    t1=$(now)
    printf '%-14s %6.2f s\n' "$name" "$(echo "$t1 - $t0" | bc)"
}

nproc_=$(nproc)
echo "archbench-build, fixture crate: 2 files x 3 variants (8 units), $nproc_ cores, $(date -u +%F)"
if [ ! -d "$CARGO_TARGET_DIR/debug" ]; then
    export ARCHBENCH_KERNEL_CACHE=$work/cache-cold-all
    timed cold-all cargo build --offline
fi
ARCHBENCH_KERNEL_CACHE=$work/cache-$(date +%s%N)
export ARCHBENCH_KERNEL_CACHE
timed cold-kernels cargo build --offline
timed no-op cargo build --offline
touch kernels/transpose.cu
timed touch cargo build --offline
for i in 1 2 3; do
    echo "// edit $i" >> kernels/transpose.cu
    timed "edit-cu-$i" cargo build --offline
done
echo "// edit" >> kernels/rows.cuh
timed edit-header cargo build --offline
grep -h "archbench-build: .* units" "$CARGO_TARGET_DIR"/debug/build/abb_bench-*/stderr 2>/dev/null | tail -1 || true

# The dependency list: -MD -MF during the compile, against a separate -M pass.
nvcc=$(grep -ho 'rerun-if-changed=.*/bin/nvcc$' "$CARGO_TARGET_DIR"/debug/build/abb_bench-*/output | head -1 | cut -d= -f2)
median() { sort -n | sed -n 3p; }
run5() { for _ in 1 2 3 4 5; do local t0; t0=$(now); "$@" >/dev/null 2>&1; echo "$(now) - $t0" | bc; done | median; }
flags=(-O3 -std=c++17 "-gencode=arch=compute_90a,code=sm_90a" -I kernels)
printf '%-28s %6.3f s\n' "nvcc -cubin softmax.cu" "$(run5 "$nvcc" -cubin "${flags[@]}" kernels/softmax.cu -o "$work/a.cubin")"
printf '%-28s %6.3f s\n' "nvcc -cubin -MD -MF" "$(run5 "$nvcc" -cubin "${flags[@]}" kernels/softmax.cu -o "$work/a.cubin" -MD -MF "$work/a.d")"
printf '%-28s %6.3f s\n' "nvcc -M (separate pass)" "$(run5 "$nvcc" -M "${flags[@]}" kernels/softmax.cu -o "$work/b.d")"
echo "work dir: $work"
