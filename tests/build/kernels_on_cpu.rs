//! The kernels' CUDA source, run on the CPU: every `kernels/*.cu` file is compiled as host C++
//! against `tests/kernels_on_cpu/cuda_shim.h` (one fiber per GPU thread, real barriers and
//! shuffles, buffers that end against a faulting page, misaligned vector accesses trapped by
//! `-fsanitize=alignment`), and each suite case at its quick and edge sizes (`Size::Edges`)
//! runs through its own launches and is checked against its CPU reference with the rule the
//! GPU run uses.
//!
//! What this is for: the host's launch geometry and the kernels' indexing (tile edges, row
//! tails, unaligned pitches, grid-stride loops, barriers a thread could skip) checked on every
//! CI run, where no GPU is. What it is not: a GPU. It gives no timings, and it compiles each
//! kernel's generic path (`__CUDA_ARCH__` undefined: `gemm_bf16`'s SIMT fallback, software
//! bf16 rounding), plus `gemm_bf16`'s `mma.sync` path (`__CUDA_ARCH__` = 800, its PTX modelled
//! by `tests/kernels_on_cpu/sm80_model.h`); the sm_90a path (TMA, `wgmma`) is not run. The GPU
//! tests (`tests/gpu.rs`) stay the judge of what runs on a GPU.
//!
//! Needs the C++ compiler the build already uses (`$CXX`, else `c++`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use archbench::check;
use archbench::fill::{derive_seed, fill, Rng};
use archbench::gpu::contract::{self, Limits};
use archbench_cli::suite::{self, Role, Size, Workload};

const SHIM_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/kernels_on_cpu");
const KERNELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/kernels");
/// What `contract::shape` sizes persistent grids and shared memory for: an H100/H200.
const LIMITS: Limits = Limits {
    multiprocessors: 132,
    smem_per_block_optin: 232_448,
};

/// `rel` under this test's scratch directory (`target/tmp/kernels_on_cpu`).
fn work_dir(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("kernels_on_cpu")
        .join(rel)
}

fn compiler() -> String {
    std::env::var("CXX").unwrap_or_else(|_| "c++".to_string())
}

/// Compiles `source` (a kernels/*.cu file's text) with `entries` and `symbols` registered;
/// returns the runner's path or the compiler's errors.
fn build_runner(
    name: &str,
    source: &str,
    entries: &[&str],
    symbols: &[&str],
) -> Result<PathBuf, String> {
    build_runner_with(name, source, entries, symbols, &[])
}

/// [`build_runner`] with extra compiler arguments (`-D__CUDA_ARCH__=800`).
fn build_runner_with(
    name: &str,
    source: &str,
    entries: &[&str],
    symbols: &[&str],
    flags: &[&str],
) -> Result<PathBuf, String> {
    let dir = work_dir("");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut wrapper = String::from("#include \"cuda_shim.h\"\n");
    wrapper.push_str(&format!("#line 1 \"kernels/{name}\"\n"));
    wrapper.push_str(source);
    wrapper.push_str("\n#include \"runner.h\"\nvoid cpux_registry(cpux::Registry& r) {\n");
    for e in entries {
        let _ = writeln!(wrapper, "    CPUX_ENTRY({e});");
    }
    for s in symbols {
        let _ = writeln!(wrapper, "    CPUX_SYMBOL({s});");
    }
    wrapper.push_str("}\n");
    let stem = name.replace(['/', '.'], "_");
    let cpp = dir.join(format!("{stem}.cpp"));
    let exe = dir.join(stem);
    std::fs::write(&cpp, wrapper).map_err(|e| format!("{}: {e}", cpp.display()))?;
    let out = Command::new(compiler())
        .args([
            "-std=c++17",
            "-O1",
            "-g",
            "-fno-strict-aliasing",
            "-Wno-unknown-pragmas",
        ])
        .args(["-fsanitize=alignment", "-fno-sanitize-recover=alignment"])
        .args(flags)
        .arg(format!("-I{SHIM_DIR}"))
        .arg(format!("-I{KERNELS}"))
        .arg(&cpp)
        .arg("-o")
        .arg(&exe)
        .output()
        .map_err(|e| {
            format!(
                "cannot run the C++ compiler `{}`: {e} (set CXX)",
                compiler()
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "compiling kernels/{name} as host C++ failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(exe)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// Runs `w` through `runner` with inputs from `seed`; `Ok(None)` when every check passes,
/// `Ok(Some(why))` when one fails, `Err` when the run itself failed (fault, deadlock).
fn run_workload(
    runner: &Path,
    w: &Workload,
    seed: u64,
    job_dir: &Path,
) -> Result<Option<String>, String> {
    std::fs::create_dir_all(job_dir).map_err(|e| format!("{}: {e}", job_dir.display()))?;
    let mut rng = Rng::new(seed);
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    let mut job = format!("buffers {}\n", w.buffers.len());
    for (i, b) in w.buffers.iter().enumerate() {
        let mut bytes = vec![0u8; b.bytes];
        match b.role {
            Role::Input(f) => fill(&mut bytes, b.dtype, f, &mut rng),
            Role::Output => bytes.fill(suite::workload::POISON),
            Role::Scratch => bytes.fill(0xA5),
        }
        std::fs::write(job_dir.join(format!("buf{i}.bin")), &bytes).map_err(|e| e.to_string())?;
        let _ = writeln!(job, "{}", b.bytes);
        inputs.push(if matches!(b.role, Role::Input(_)) {
            bytes
        } else {
            Vec::new()
        });
    }
    for l in &w.launches {
        let (grid, block, smem) = match &l.from_image {
            None => (l.grid, l.block, l.shared_mem_bytes),
            Some(shape) => {
                let out = Command::new(runner)
                    .args(["symbol", shape.contract])
                    .output()
                    .map_err(|e| e.to_string())?;
                let bytes = unhex(&String::from_utf8_lossy(&out.stdout))
                    .ok_or_else(|| format!("{}: no contract `{}`", l.entry, shape.contract))?;
                let c = contract::decode(&bytes).ok_or("a contract of the wrong size")?;
                let problem = contract::Problem {
                    contract: shape.contract,
                    m: shape.m,
                    n: shape.n,
                    k: shape.k,
                };
                contract::check(l.entry, &problem, &c).map_err(|e| e.to_string())?;
                let r =
                    contract::shape(l.entry, &problem, &c, LIMITS).map_err(|e| e.to_string())?;
                (r.grid, r.block, r.shared_mem_bytes)
            }
        };
        let _ = write!(
            job,
            "launch {} {} {} {} {} {} {} {} {} {} {}",
            l.entry,
            grid[0],
            grid[1],
            grid[2],
            block[0],
            block[1],
            block[2],
            smem,
            l.params.len(),
            hex(&l.params),
            l.pointers.len()
        );
        for (off, buf) in &l.pointers {
            let _ = write!(job, " {off} {buf}");
        }
        job.push('\n');
    }
    std::fs::write(job_dir.join("job.txt"), job).map_err(|e| e.to_string())?;
    let out = Command::new(runner)
        .arg("job")
        .arg(job_dir)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "the run failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let views: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
    let expected = (w.reference)(&views);
    for (k, chk) in w.checks.iter().enumerate() {
        let b = &w.buffers[chk.buffer];
        let got = std::fs::read(job_dir.join(format!("buf{}.out", chk.buffer)))
            .map_err(|e| e.to_string())?;
        let o = check::compare(b.dtype, chk.rule, &got, &expected[k], chk.sample.as_deref());
        if !o.passed() {
            return Ok(Some(format!(
                "{}: {} of {} elements wrong; {}",
                b.name,
                o.mismatches,
                o.elements,
                o.first_mismatch.unwrap_or_default()
            )));
        }
    }
    Ok(None)
}

fn source(file: &str) -> String {
    std::fs::read_to_string(Path::new(KERNELS).join(file)).unwrap()
}

/// Every suite kernel, every quick and edge case (`Size::Edges`: tile edges, row-length
/// thresholds, vector tails, the smallest pitches each kernel accepts).
#[test]
fn every_quick_and_edge_case_passes_its_check_with_the_source_run_on_the_cpu() {
    let mut by_file: BTreeMap<&'static str, Vec<suite::KernelSpec>> = BTreeMap::new();
    for spec in suite::all() {
        by_file.entry(spec.file).or_default().push(spec);
    }
    let results: Vec<(String, Result<Option<String>, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = by_file
            .iter()
            .map(|(file, specs)| {
                scope.spawn(move || {
                    let mut out = Vec::new();
                    let cases: Vec<(String, Workload)> = specs
                        .iter()
                        .flat_map(|s| {
                            [Size::Quick, Size::Edges]
                                .into_iter()
                                .flat_map(move |size| {
                                    (s.cases)(size).into_iter().map(move |c| {
                                        (format!("{} {}", s.name, c.label), (c.workload)())
                                    })
                                })
                        })
                        .collect();
                    let mut entries: Vec<&str> = Vec::new();
                    let mut symbols: Vec<&str> = Vec::new();
                    for (_, w) in &cases {
                        for l in &w.launches {
                            if !entries.contains(&l.entry) {
                                entries.push(l.entry);
                            }
                            if let Some(shape) = &l.from_image {
                                if !symbols.contains(&shape.contract) {
                                    symbols.push(shape.contract);
                                }
                            }
                        }
                    }
                    let runner = match build_runner(file, &source(file), &entries, &symbols) {
                        Ok(r) => r,
                        Err(e) => {
                            out.push((file.to_string(), Err(e)));
                            return out;
                        }
                    };
                    let job_root = work_dir("jobs");
                    for (i, (label, w)) in cases.iter().enumerate() {
                        let seed = derive_seed(0x00c0_ffee, &[label]);
                        let dir = job_root.join(format!("{}-{i}", file.replace('.', "_")));
                        out.push((label.clone(), run_workload(&runner, w, seed, &dir)));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut failures = Vec::new();
    for (label, r) in &results {
        match r {
            Ok(None) => {}
            Ok(Some(why)) => failures.push(format!("{label}: wrong output: {why}")),
            Err(why) => failures.push(format!("{label}: {why}")),
        }
    }
    println!(
        "{} cases of {} kernels run on the CPU, {} failed",
        results.len(),
        by_file.values().map(Vec::len).sum::<usize>(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let kernels: usize = by_file.values().map(Vec::len).sum();
    assert!(
        kernels >= 12 && results.len() >= 150,
        "the suite shrank? {kernels} kernels, {} cases",
        results.len()
    );
}

/// A suite case by kernel name, size and label prefix.
fn suite_case(kernel: &str, size: Size, label: &str) -> Workload {
    let spec = suite::all().into_iter().find(|k| k.name == kernel).unwrap();
    let case = (spec.cases)(size)
        .into_iter()
        .find(|c| c.label.starts_with(label))
        .unwrap_or_else(|| panic!("{kernel} has no {size:?} case {label}"));
    (case.workload)()
}

/// The model can fail: a missing barrier (a race), a warp barrier half of each warp reaches,
/// writes far past the end of an image (the guard page), and a last odd row written past the
/// end of a softmax output by a few bytes (the canary) each fail, each in its own way.
#[test]
fn broken_kernels_are_caught() {
    let blur = source("gaussian_blur.cu");
    let second_barrier = blur.rfind("__syncthreads();").unwrap();
    let softmax = source("softmax.cu");
    let mutants = [
        (
            "no barrier between the passes",
            "gaussian_blur.cu",
            "gaussian_blur_5x5",
            format!(
                "{}{}",
                &blur[..second_barrier],
                &blur[second_barrier + 16..]
            ),
            "300x77",
            "wrong output",
        ),
        (
            "a warp barrier half of each warp reaches",
            "gaussian_blur.cu",
            "gaussian_blur_5x5",
            blur.replacen(
                "    __syncthreads();",
                "    if (threadIdx.x < 16) __syncwarp();\n    __syncthreads();",
                1,
            ),
            "300x77",
            "deadlock",
        ),
        (
            "rows past the image written",
            "gaussian_blur.cu",
            "gaussian_blur_5x5",
            blur.replace("if (y >= h) continue;", "if (y >= h + 40) continue;"),
            "300x77",
            "SIGSEGV",
        ),
        (
            "the second row of a warp's pair written when there is none",
            "softmax.cu",
            "softmax_f32",
            softmax.replace(
                "row + 1 < p.rows, threadIdx.x % 32);",
                "row + 1 <= p.rows, threadIdx.x % 32);",
            ),
            "f32 17x4",
            "past its end",
        ),
    ];
    for (k, (what, file, entry, src, label, expect)) in mutants.iter().enumerate() {
        assert_ne!(src, &source(file), "{what}: the mutation did not apply");
        let runner = build_runner(&format!("mutant{k}/{file}"), src, &[entry], &[]).unwrap();
        let kernel = entry.trim_end_matches("_f32");
        let wl = suite_case(kernel, Size::Edges, label);
        let dir = work_dir(&format!("jobs/mutant{k}"));
        let got = match run_workload(&runner, &wl, 11, &dir) {
            Ok(None) => "passed".to_string(),
            Ok(Some(why)) => format!("wrong output: {why}"),
            Err(why) => why,
        };
        assert!(
            got.contains(expect),
            "{what}: expected {expect:?}, got {got}"
        );
    }
}

/// The edge cases reach what the quick ones do not: a stencil loader whose byte path (taken for
/// rows that are not 16-byte aligned) addresses rows with the pitch rounded down to 16 bytes
/// passes the quick blur case, whose pitch is a multiple of 256, and fails an edge case.
#[test]
fn edge_cases_reach_the_stencils_unaligned_path() {
    let stencil = source("stencil.cuh");
    let broken = stencil.replace(
        "const uint8_t* row = src + (size_t)px_reflect101(by - R + r, h) * p.src_pitch;",
        "const uint8_t* row = src + (size_t)px_reflect101(by - R + r, h) * (p.src_pitch & ~15u);",
    );
    assert_ne!(broken, stencil, "the mutation did not apply");
    let blur = source("gaussian_blur.cu").replace("#include \"stencil.cuh\"", &broken);
    let runner = build_runner(
        "mutant-pitch/gaussian_blur.cu",
        &blur,
        &["gaussian_blur_5x5"],
        &[],
    )
    .unwrap();
    let run = |size, label: &str| {
        let dir = work_dir(&format!("jobs/mutant-pitch-{size:?}"));
        run_workload(
            &runner,
            &suite_case("gaussian_blur_5x5", size, label),
            5,
            &dir,
        )
    };
    assert_eq!(run(Size::Quick, "430x146"), Ok(None));
    let edge = run(Size::Edges, "37x33 pitch 40");
    assert!(
        matches!(&edge, Ok(Some(why)) if why.contains("elements wrong")),
        "{edge:?}"
    );
}

/// `gemm_bf16`'s `mma.sync` path (`kernels/gemm_sm80.cuh`: what every sm_80+ image but sm_90a
/// runs, `pkgsCuda`'s sm_90 SASS on Hopper among them), built with `__CUDA_ARCH__` = 800 over
/// `tests/kernels_on_cpu/sm80_model.h` (ldmatrix and mma.sync as warp collectives, cp.async
/// copies made when a wait retires their group, dynamic shared memory poisoned before each
/// block): every quick and edge GEMM case, with the launch its contract asks for.
fn sm80_gemm_runner(name: &str, gemm_cu: &str) -> PathBuf {
    build_runner_with(
        name,
        gemm_cu,
        &["gemm_bf16"],
        &["gemm_bf16_contract"],
        &["-D__CUDA_ARCH__=800"],
    )
    .unwrap()
}

#[test]
fn gemm_bf16_mma_sync_path_passes_its_check_on_the_cpu() {
    let runner = sm80_gemm_runner("sm80/gemm.cu", &source("gemm.cu"));
    let out = Command::new(&runner)
        .args(["symbol", "gemm_bf16_contract"])
        .output()
        .unwrap();
    let c = contract::decode(&unhex(&String::from_utf8_lossy(&out.stdout)).unwrap()).unwrap();
    assert!(
        c.threads == 256 && c.dynamic_smem > 0 && c.tensor_maps == 0,
        "not the mma.sync path's contract: {c:?}"
    );
    let spec = suite::all().into_iter().find(|k| k.name == "gemm").unwrap();
    let mut failures = Vec::new();
    let mut ran = 0;
    for size in [Size::Quick, Size::Edges] {
        for case in (spec.cases)(size) {
            let dir = work_dir(&format!("jobs/sm80-{ran}"));
            match run_workload(&runner, &(case.workload)(), 3, &dir) {
                Ok(None) => {}
                Ok(Some(why)) => failures.push(format!("{}: wrong output: {why}", case.label)),
                Err(why) => failures.push(format!("{}: {why}", case.label)),
            }
            ran += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(ran >= 4, "{ran} cases");
}

/// The mma.sync model can fail: without the cp.async wait before the barrier that hands the
/// next k-tile to every warp, threads read a stage whose copies are still in flight (in the
/// model: the poison the block started with).
#[test]
fn a_gemm_pipeline_without_its_wait_is_caught() {
    let header = source("gemm_sm80.cuh");
    let broken = header.replacen("                cp_async_wait<STAGES - 2>();\n", "", 1);
    assert_ne!(broken, header, "the mutation did not apply");
    let gemm = source("gemm.cu").replace("#include \"gemm_sm80.cuh\"", &broken);
    let runner = sm80_gemm_runner("sm80-mutant/gemm.cu", &gemm);
    let dir = work_dir("jobs/sm80-mutant");
    let got = run_workload(
        &runner,
        &suite_case("gemm", Size::Edges, "bf16 384x512x320"),
        3,
        &dir,
    );
    assert!(
        matches!(&got, Ok(Some(why)) if why.contains("elements wrong")),
        "{got:?}"
    );
}
