//! What each kernel's design needs, read from the real machine code of every embedded image
//! (`cuobjdump -sass`, which disassembles through `nvdisasm`; both from PyPI wheels) and from
//! ptxas' own report in the build manifest:
//!
//! - the `gemm` paths use the instructions they are built on: `HGMMA` (wgmma) in the sm_90a
//!   image (see below); `LDGSTS` (cp.async), `LDSM` (ldmatrix) and `HMMA` (mma.sync) on sm_80
//!   and later;
//!   no tensor-core instruction in the SIMT fallback below sm_80;
//! - no kernel of any variant spills registers, has a stack frame, or touches local memory
//!   (`LDL`/`STL`);
//! - every kernel fits the occupancy its launch assumes: 256-thread blocks, four per SM
//!   (≤ 64 registers), or two per SM for the SIMT GEMMs (≤ 128 registers); the tensor-core
//!   `gemm_bf16` paths run one block per SM (≤ 168 registers for sm_90a's 384 threads, ≤ 255
//!   for sm_80's 256);
//! - the sm_90a `gemm_bf16` is the warp-specialised TMA design: `HGMMA.64x256x16`,
//!   `UTMALDG.2D`, mbarrier waits (`SYNCS.PHASECHK`) and `USETMAXREG`;
//! - the u8 stencils work on two pixels per 32-bit add (`PRMT` packs the lanes) and stage
//!   their tiles with 16-byte loads and stores (`LDG.E.128`, `STS.128`);
//! - the vectorised kernels move 16-byte vectors: `softmax` and `layer_norm` load and store
//!   them (`LDG.E.128`, `STG.E.128`), `reduce_sum_partial` and `add_gelu` load them;
//!   `histogram_256` loads them into private shared-memory histograms (`ATOMS`) merged with
//!   global reductions (`RED` before sm_90, `REDG` from it, or `ATOMG`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use archbench_cli::embedded;

/// `(arch, function) → SASS text` of one fatbin.
fn sass(cuobjdump: &Path, nvdisasm: &Path, fatbin: &[u8]) -> BTreeMap<(String, String), String> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("k.fatbin");
    std::fs::write(&f, fatbin).unwrap();
    let path = format!(
        "{}:{}",
        nvdisasm.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(cuobjdump)
        .arg("-sass")
        .arg(&f)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut map = BTreeMap::new();
    let (mut arch, mut func) = (String::new(), String::new());
    for line in text.lines() {
        let t = line.trim();
        if let Some(a) = t.strip_prefix("arch = ") {
            arch = a.trim().to_string();
        } else if let Some(name) = t.strip_prefix("Function : ") {
            func = name.trim().to_string();
        } else if t.starts_with("/*") && !func.is_empty() {
            map.entry((arch.clone(), func.clone()))
                .or_insert_with(String::new)
                .push_str(t)
        }
        if !map.is_empty() && t.starts_with("/*") {
            if let Some(s) = map.get_mut(&(arch.clone(), func.clone())) {
                s.push('\n');
            }
        }
    }
    map
}

/// Whether the SASS holds an instruction whose mnemonic starts with `op` (`HMMA` matches
/// `HMMA.16816.F32.BF16`).
fn has(sass: &str, op: &str) -> bool {
    sass.split(|c: char| c.is_whitespace() || c == ';')
        .any(|w| w == op || w.starts_with(&format!("{op}.")))
}

#[test]
fn kernels_are_built_as_designed() {
    let cuobjdump = archbench_core::toolchain::cuobjdump().expect("cuobjdump from PyPI");
    let nvdisasm = archbench_core::toolchain::nvdisasm().expect("nvdisasm from PyPI");
    let m = embedded::manifest().unwrap();
    let mut checked = 0;
    let mut problems = Vec::new();
    // Every variant's images are assembled from the same per-architecture pieces (build.rs),
    // so each (file, SASS architecture) is disassembled once: `pkgsCuda` first (it holds
    // most), then whatever another variant adds.
    let mut order: Vec<_> = m.variants.iter().collect();
    order.sort_by_key(|v| v.name != "pkgsCuda");
    let mut seen: std::collections::HashSet<(String, String)> = Default::default();
    for v in order {
        for img in embedded::images_of(&v.name) {
            let sms: Vec<String> = v
                .capabilities
                .iter()
                .map(|c| format!("sm_{}", c.replace('.', "")))
                .collect();
            let new = sms
                .iter()
                .any(|sm| !seen.contains(&(img.file.to_string(), sm.clone())));
            for sm in sms {
                seen.insert((img.file.to_string(), sm));
            }
            let code_map = if new {
                sass(&cuobjdump, &nvdisasm, img.fatbin)
            } else {
                BTreeMap::new()
            };
            for ((arch, func), code) in code_map {
                checked += 1;
                let at = format!("{} {} {func}@{arch}", v.name, img.file);
                for op in ["LDL", "STL"] {
                    if has(&code, op) {
                        problems.push(format!("{at}: uses local memory ({op})"));
                    }
                }
                if func == "gemm_bf16" {
                    let num: u32 = arch
                        .trim_start_matches("sm_")
                        .trim_end_matches(['a', 'f'])
                        .parse()
                        .unwrap();
                    let want: &[&str] = if arch == "sm_90a" {
                        // wgmma 64x256, TMA tile loads, mbarrier waits, setmaxnreg.
                        &[
                            "HGMMA.64x256x16",
                            "UTMALDG.2D",
                            "SYNCS.PHASECHK",
                            "USETMAXREG",
                        ]
                    } else if num >= 80 {
                        &["LDGSTS", "LDSM", "HMMA"]
                    } else {
                        &[]
                    };
                    for op in want {
                        if !has(&code, op) {
                            problems.push(format!("{at}: no {op}"));
                        }
                    }
                    if num < 80 && (has(&code, "HMMA") || has(&code, "HGMMA")) {
                        problems.push(format!("{at}: tensor-core code in the SIMT path"));
                    }
                }
                // The u8 stencils: two pixels per 32-bit add (byte permutes pack the lanes),
                // the tile staged with 16-byte loads and stores. The row kernels read and
                // write whole 16-byte vectors; reduce_sum_partial and add_gelu read them;
                // histogram_256 reads 16-byte vectors into private histograms in shared
                // memory (shared atomics), merged into the result with global reductions.
                let want: &[&str] = match func.as_str() {
                    "gaussian_blur_5x5" | "sobel_3x3_dx" => &["PRMT", "LDG.E.128", "STS.128"],
                    "softmax_f32" | "softmax_bf16" | "layer_norm_f32" | "layer_norm_bf16" => {
                        &["LDG.E.128", "STG.E.128"]
                    }
                    "reduce_sum_partial" | "add_gelu_f32" | "add_gelu_bf16" => &["LDG.E.128"],
                    "histogram_256" => &["LDG.E.128", "ATOMS"],
                    _ => &[],
                };
                for op in want {
                    if !has(&code, op) {
                        problems.push(format!("{at}: no {op}"));
                    }
                }
                // `RED` before sm_90, `REDG` from it; an `ATOMG` would do as well.
                if func == "histogram_256"
                    && !["RED", "REDG", "ATOMG"].iter().any(|op| has(&code, op))
                {
                    problems.push(format!("{at}: no global reduction (RED, REDG or ATOMG)"));
                }
            }
            let f = v.files.iter().find(|f| f.file == img.file).unwrap();
            for k in &f.kernels {
                let at = format!("{} {}@{}", v.name, k.name, k.arch);
                if k.spill_stores + k.spill_loads > 0 {
                    problems.push(format!(
                        "{at}: spills ({} stores, {} loads)",
                        k.spill_stores, k.spill_loads
                    ));
                }
                if k.stack_bytes > 0 {
                    problems.push(format!("{at}: {} bytes of stack", k.stack_bytes));
                }
                // gemm_bf16 runs one block per SM: 384 threads on sm_90a (65536 / 384,
                // rounded down to a multiple of 8), 256 from sm_80 (the 255 maximum).
                let num: u32 = k
                    .arch
                    .trim_start_matches("sm_")
                    .trim_end_matches(['a', 'f'])
                    .parse()
                    .unwrap_or(0);
                let budget = match k.name.as_str() {
                    // Exactly 168 there (checked below): setmaxnreg moves 128 x 40 + 256 x 232
                    // = 384 x 168 registers, the pool the block starts with.
                    "gemm_bf16" if k.arch == "sm_90a" => 168,
                    "gemm_bf16" if num >= 80 => 255,
                    n if n.contains("gemm") => 128,
                    _ => 64,
                };
                if k.name == "gemm_bf16" && k.arch == "sm_90a" && k.registers != 168 {
                    problems.push(format!(
                        "{at}: {} registers; setmaxnreg's 40/232 split needs exactly 168",
                        k.registers
                    ));
                }
                if k.registers > budget {
                    problems.push(format!(
                        "{at}: {} registers, more than the {budget} its occupancy assumes",
                        k.registers
                    ));
                }
            }
        }
    }
    // Every kernel of every SASS architecture embedded (17 kernels × 10 architectures).
    let archs: std::collections::HashSet<&String> = seen.iter().map(|(_, sm)| sm).collect();
    let kernels_per_arch = m.variants[0]
        .files
        .iter()
        .map(|f| f.kernels.len())
        .sum::<usize>();
    assert!(
        checked >= archs.len() * kernels_per_arch,
        "only {checked} functions disassembled ({} architectures × {kernels_per_arch} kernels)",
        archs.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
