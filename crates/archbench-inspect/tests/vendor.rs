//! `read` and `predict` on real vendor libraries from PyPI wheels, cross-checked against real
//! cuobjdump 13.2: bitsandbytes 0.50.2 (seven CUDA builds, `-rdc` so relocatable fatbins too),
//! cuRAND 10.3 (CUDA 12), cuFFT 12.0 (CUDA 13: ~24,000 fatbins embedded in `.ldata`, obfuscated
//! LTO-IR). The largest libraries (cuSPARSE 12, cuBLAS 11 and 13: 1.7 GB of wheels) are in
//! the ignored `large_libraries_match_cuobjdump`, run by hand (results in docs/inspect.md).

mod support;

use std::path::Path;

use archbench_core::{Capability, CudaVersion, DriverVersion, Suffix};
use archbench_inspect::predict::{predict_setup, Rule, Setup};
use archbench_inspect::{read, Binary, ImageKind, ModuleKind, Options};
use support::vendor::{self, cuobjdump_list, res_usage};

fn list_only() -> Options {
    Options {
        decode: false,
        ..Options::default()
    }
}

/// Our images as cuobjdump lists them (`ELF 3 stem.3.sm_80.cubin`), for modules of `kinds`,
/// numbered per kind in module order.
fn our_list(bin: &Binary<'_>, file: &Path, kinds: &[ModuleKind]) -> Vec<String> {
    let name = file.file_name().unwrap().to_string_lossy();
    let stem = name.rsplit_once('.').map_or(name.as_ref(), |(s, _)| s);
    let (mut elf, mut ptx) = (0, 0);
    let mut out = Vec::new();
    for i in &bin.images {
        if !kinds.contains(&bin.modules[i.module].kind) {
            continue;
        }
        let (tag, n) = match i.kind {
            ImageKind::Sass => ("ELF", &mut elf),
            ImageKind::Ptx => ("PTX", &mut ptx),
            _ => continue,
        };
        *n += 1;
        out.push(format!(
            "{tag} {stem}.{n}.{}.{}",
            i.cuobjdump_arch(),
            if tag == "ELF" { "cubin" } else { "ptx" }
        ));
    }
    out
}

/// Our per-cubin resources of loadable modules, as `res_usage` gives cuobjdump's.
fn our_res(bin: &Binary<'_>, kinds: &[ModuleKind]) -> Vec<Vec<(String, u32, u64)>> {
    bin.images
        .iter()
        .filter(|i| i.kind == ImageKind::Sass && kinds.contains(&bin.modules[i.module].kind))
        .map(|i| {
            let mut v: Vec<(String, u32, u64)> = i
                .kernels
                .iter()
                .map(|k| {
                    (
                        k.name.clone(),
                        k.registers.unwrap_or(0),
                        k.shared_bytes.unwrap_or(0),
                    )
                })
                .collect();
            v.sort();
            v
        })
        .collect()
}

fn setup(gpu: &str, driver: Option<&str>, compat: Option<&str>) -> Setup {
    Setup {
        gpu: gpu.parse().unwrap(),
        driver: driver.map(|d| d.parse::<DriverVersion>().unwrap()),
        compat: compat.map(|c| c.parse::<CudaVersion>().unwrap()),
    }
}

#[test]
fn bitsandbytes_lists_and_resources_match_cuobjdump() {
    let all = [ModuleKind::Loadable, ModuleKind::Relocatable];
    let (mut images, mut kernels) = (0, 0);
    for cuda in vendor::BNB_CUDAS {
        let lib = vendor::bnb(cuda);
        let bytes = std::fs::read(&lib).unwrap();
        let listed = read(&bytes, list_only()).unwrap();
        let full = read(&bytes, Options::default()).unwrap();
        // Relocatable fatbins are marked, and come after the executable ones as in `-all`.
        assert!(
            listed
                .modules
                .iter()
                .any(|m| m.kind == ModuleKind::Relocatable
                    && m.section.as_deref() == Some("__nv_relfatbin")),
            "cuda{cuda}: __nv_relfatbin modules"
        );
        let ours_all = our_list(&listed, &lib, &all);
        assert_eq!(our_list(&full, &lib, &all), ours_all, "cuda{cuda}: decoded");
        let (oracle_all, ok) = vendor::cuobjdump_list_lenient(&lib, true);
        let theirs = res_usage(&lib, false);
        let ours = our_res(&full, &[ModuleKind::Loadable]);
        if cuda == "121" {
            // cuobjdump 13.2 stops at this build's sm_70 cubin ("Invalid ELF"); archbench
            // reads it. Everything cuobjdump printed before that must agree.
            assert!(!ok, "cuobjdump now reads cuda121: compare it in full");
            assert!(ours_all.starts_with(&oracle_all) && !oracle_all.is_empty());
            assert!(ours.starts_with(&theirs) && ours.len() > theirs.len());
        } else {
            assert!(ok, "cuobjdump failed on cuda{cuda}");
            assert_eq!(ours_all, oracle_all, "cuda{cuda}: -all");
            let oracle = cuobjdump_list(&lib, false);
            assert_eq!(
                our_list(&listed, &lib, &[ModuleKind::Loadable]),
                oracle,
                "cuda{cuda}: executable fatbin only"
            );
            assert_eq!(ours.len(), theirs.len(), "cuda{cuda}: cubins");
        }
        for (n, (o, t)) in ours.iter().zip(&theirs).enumerate() {
            assert!(o == t, "cuda{cuda}: resources of cubin {n} differ");
            kernels += o.len();
        }
        images += oracle_all.len();
    }
    eprintln!("bitsandbytes: {images} images and {kernels} kernel resources agree with cuobjdump");
}

#[test]
fn bitsandbytes_predictions() {
    // CUDA 11.8 build: the executable fatbin has sm_60…sm_90 SASS and no PTX; the PTX is
    // only in __nv_relfatbin, which the driver never loads. Blackwell gets error 209.
    let bytes = std::fs::read(vendor::bnb("118")).unwrap();
    let bin = read(&bytes, Options::default()).unwrap();
    let p = predict_setup(&bin, &setup("12.0", None, None));
    assert!(!p.modules.is_empty());
    for m in &p.modules {
        assert_eq!(m.kind, ModuleKind::Loadable);
        assert_eq!(m.verdict.rule, Rule::NoBinaryForGpu, "{}", m.module);
        assert_eq!(m.verdict.error.as_ref().map(|e| e.code), Some(209));
    }
    assert!(!p.relocatable.is_empty());
    assert!(!p.ok(false) && !p.ok(true));
    let k = p.kernels.as_ref().unwrap();
    assert!(k.total > 50 && k.loadable == 0, "{k:?}");
    let p = predict_setup(&bin, &setup("8.9", None, None));
    assert!(p.ok(false), "{}", p.summary(false));
    // A GPU the driver is too old for: nothing loads, whatever the modules hold.
    let p = predict_setup(&bin, &setup("12.0", Some("525.60.13"), None));
    assert_eq!(p.blockers[0].code, Some(100), "{:?}", p.blockers);
    let p = predict_setup(&bin, &setup("10.3", Some("570.26"), None));
    assert_eq!(p.blockers[0].code, Some(100), "{:?}", p.blockers);
    // An x86-64 library on a Jetson.
    let p = predict_setup(&bin, &setup("8.7", None, None));
    assert!(
        p.blockers.iter().any(|b| b.name == "wrong machine"),
        "{:?}",
        p.blockers
    );

    // CUDA 13.0 build: links the CUDA 13 runtime, which needs driver ≥ 580.
    let bytes = std::fs::read(vendor::bnb("130")).unwrap();
    let bin = read(&bytes, Options::default()).unwrap();
    assert_eq!(
        bin.host.as_ref().and_then(|h| h.cudart.as_deref()),
        Some("libcudart.so.13")
    );
    let p = predict_setup(&bin, &setup("9.0", Some("575.51.03"), None));
    assert_eq!(p.blockers.len(), 1, "{:?}", p.blockers);
    assert_eq!(p.blockers[0].code, Some(35));
    assert!(!p.ok(false));
    let p = predict_setup(&bin, &setup("9.0", Some("575.51.03"), Some("13.0")));
    assert!(p.blockers.is_empty() && p.ok(false), "{}", p.summary(false));
    let p = predict_setup(&bin, &setup("12.0", Some("580.65.06"), None));
    assert!(p.ok(false), "{}", p.summary(false));
}

#[test]
fn curand_12_resources_match_cuobjdump() {
    let lib = vendor::install(&vendor::CURAND_12);
    let bytes = std::fs::read(&lib).unwrap();
    let bin = read(&bytes, Options::default()).unwrap();
    assert!(bin.modules.iter().all(|m| m.kind == ModuleKind::Loadable));
    let theirs = res_usage(&lib, false);
    let ours = our_res(&bin, &[ModuleKind::Loadable]);
    assert!(theirs.len() > 50);
    assert_eq!(ours, theirs);
}

#[test]
fn cufft_12_embedded_fatbins_are_found_and_match_cuobjdump() {
    let lib = vendor::install(&vendor::CUFFT_12);
    let bytes = std::fs::read(&lib).unwrap();
    let listed = read(&bytes, list_only()).unwrap();
    let embedded: Vec<usize> = (0..listed.modules.len())
        .filter(|&m| listed.modules[m].kind == ModuleKind::Embedded)
        .collect();
    assert!(embedded.len() > 20_000, "{} embedded", embedded.len());
    assert!(embedded
        .iter()
        .all(|&m| listed.modules[m].section.as_deref() == Some(".ldata")));
    let obfuscated = listed.images.iter().filter(|i| i.obfuscated).count();
    assert!(obfuscated > 10_000, "{obfuscated} obfuscated LTO-IR");
    // cuobjdump does not see them in the library; given one embedded fatbin as a file, it
    // lists what we list.
    let dir = std::env::temp_dir().join(format!("archbench-cufft-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let step = embedded.len() / 16;
    for &m in embedded.iter().step_by(step) {
        let md = &listed.modules[m];
        let f = dir.join("x.fatbin");
        std::fs::write(
            &f,
            &bytes[md.offset as usize..(md.offset + md.size) as usize],
        )
        .unwrap();
        let raw = std::fs::read(&f).unwrap();
        let one = read(&raw, list_only()).unwrap();
        assert_eq!(
            our_list(&one, &f, &[ModuleKind::Loadable]),
            cuobjdump_list(&f, false),
            "module {m}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    // A full read decodes everything except the obfuscated entries, and goes on past them.
    let full = read(&bytes, Options::default()).unwrap();
    assert_eq!(
        full.images.iter().filter(|i| i.obfuscated).count(),
        obfuscated
    );
    assert!(full
        .images
        .iter()
        .all(|i| i.obfuscated || i.kind == ImageKind::Lto || i.decoded));
    // Predictions use the embedded modules: cuFFT works on every GPU CUDA 13 supports.
    for gpu in ["7.5", "8.0", "8.9", "9.0", "10.0", "12.0"] {
        let p = predict_setup(&full, &setup(gpu, None, None));
        assert!(p.ok(false), "{gpu}: {}", p.summary(false));
        // The library picks one architecture's modules: most others fail on any one GPU.
        assert!(!p.ok(true), "{gpu}: --all-modules");
        assert!(
            p.modules
                .iter()
                .filter(|m| m.kind == ModuleKind::Embedded)
                .count()
                > 20_000
        );
    }
}

/// cuBLAS 11's old-layout sm_50/60/61 cubins set e_flags bit 0x800 from before it meant `a`.
fn no_impossible_suffixes(bin: &Binary<'_>) -> usize {
    let mut flagged = 0;
    for i in &bin.images {
        if let Some(a) = i.arch {
            if a.suffix == Suffix::Arch {
                assert!(a.sm_number() >= 90, "impossible {}", i.arch_name());
            }
        }
        flagged += i.warnings.iter().filter(|w| w.contains("0x800")).count();
    }
    flagged
}

#[test]
#[ignore = "downloads 1.7 GB of wheels (cuSPARSE 12, cuBLAS 11 and 13) and Debian's CUDA 11.8 package; run by hand"]
fn large_libraries_match_cuobjdump() {
    for lib in [
        vendor::CUSPARSE_12,
        vendor::CUBLAS_11,
        vendor::CUBLASLT_11,
        vendor::CUBLASLT_13,
    ] {
        let path = vendor::install(&lib);
        let bytes = std::fs::read(&path).unwrap();
        let bin = read(&bytes, Options::default()).unwrap();
        let all = [ModuleKind::Loadable, ModuleKind::Relocatable];
        let ours_list = our_list(&bin, &path, &all);
        // cuobjdump 13.2 refuses files with sm_35 ("Support for 'sm_35' has been removed"):
        // cuBLAS 11 is compared with cuobjdump 11.8 from Debian instead, in full.
        let tool = if lib.dir == vendor::CUBLAS_11.dir {
            let (_, ok) = vendor::cuobjdump_list_lenient(&path, true);
            assert!(
                !ok,
                "cuobjdump 13.2 now reads cuBLAS 11: compare with it too"
            );
            vendor::cuobjdump_11_8()
        } else {
            vendor::cuobjdump_bin()
        };
        let (theirs_list, ok) = vendor::cuobjdump_list_by(&tool, &path, true);
        let theirs = vendor::res_usage_by(&tool, &path, false);
        let ours = our_res(&bin, &[ModuleKind::Loadable]);
        assert!(ok, "{}", lib.file);
        assert_eq!(ours_list, theirs_list, "{}", lib.file);
        assert_eq!(ours.len(), theirs.len(), "{}", lib.file);
        let ours = &ours[..theirs.len()];
        let (listed_ours, listed_theirs) = (ours_list.len(), theirs_list.len());
        let same = ours.iter().zip(&theirs).filter(|(o, t)| o == t).count();
        assert_eq!(
            same,
            ours.len(),
            "{}: cubins whose resources agree",
            lib.file
        );
        let flagged = no_impossible_suffixes(&bin);
        let embedded = bin
            .modules
            .iter()
            .filter(|m| m.kind == ModuleKind::Embedded)
            .count();
        let kernels: usize = ours.iter().map(Vec::len).sum();
        eprintln!(
            "{}: {} images ({listed_theirs} of {listed_ours} listed by cuobjdump, all agree), {} cubins / {kernels} kernels agree with cuobjdump -res-usage, {embedded} embedded modules, {flagged} cubins with bit 0x800 read as plain",
            lib.file,
            bin.images.len(),
            ours.len()
        );
        if lib.file == vendor::CUBLAS_11.file {
            assert!(flagged > 0, "cuBLAS 11 has 0x800 on old cubins");
        }
        let gpu: Capability = "8.9".parse().unwrap();
        let p = predict_setup(
            &bin,
            &Setup {
                gpu,
                driver: None,
                compat: None,
            },
        );
        assert!(p.ok(false), "{}: {}", lib.file, p.summary(false));
    }
}
