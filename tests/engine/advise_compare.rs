//! The advisor against what others chose for the same GPUs: Nixpkgs' default
//! `cudaCapabilities` (CUDA 12.8 and 13.0, `archbench_core::db`, from Nixpkgs'
//! `_cuda/db/bootstrap/cuda.nix`), PyTorch's build (the SASS in torchvision 0.24.0's
//! `_C.so` from PyPI, built by the PyTorch project with its wheels' TORCH_CUDA_ARCH_LIST —
//! read instead of the 900 MB libtorch_cuda.so), and bitsandbytes 0.50.2's CUDA 13.0
//! library. For each, the GPUs are those the build targets, the advisor runs without speed
//! results (so a lower minor's SASS is taken to run as fast: it says so) and on costs given
//! here (SYNTHETIC: 1 MB per target, so the answer is the fewest targets), and the test
//! asserts exactly where it differs. README's numbers for the 13.0 case come from a real
//! `archbench advise` run with measured costs.

use crate::vendor;

use std::collections::BTreeMap;

use archbench_cli::advise::{self, candidates, Costs, Evidence, Gpu, Request, TargetCost};
use archbench_core::validate::ValidateOptions;
use archbench_core::{db, Capability, CudaVersion, Suffix};

fn synthetic() -> Costs {
    let mut m = BTreeMap::new();
    for i in db::nix_capabilities() {
        let c = i.capability;
        m.insert(
            c.sm(),
            TargetCost {
                bytes: 1_000_000,
                build_s: 1.0,
            },
        );
        m.insert(
            c.compute(),
            TargetCost {
                bytes: 500_000,
                build_s: 0.5,
            },
        );
    }
    Costs::given(m, "SYNTHETIC: 1 MB per SASS target, 0.5 MB PTX")
}

/// The advisor's top config for GPUs of `caps`.
fn top(caps: &[Capability], cuda: &str, future: bool) -> (Vec<String>, bool) {
    let req = Request {
        gpus: caps
            .iter()
            .map(|c| Gpu {
                label: c.to_string(),
                capability: *c,
                driver: None,
            })
            .collect(),
        future,
        cuda: cuda.parse().unwrap(),
        rules: ValidateOptions {
            system: "x86_64-linux".into(),
            ..ValidateOptions::default()
        },
        max_bytes: None,
        max_build_s: None,
        jit_ok: true,
        top: 3,
    };
    let c = candidates::enumerate(&req.gpus, req.cuda, req.future, &req.rules).unwrap();
    let a = advise::advise(&req, c, &synthetic(), &Evidence::default()).unwrap();
    let o = &a.options[0];
    assert!(o.jit.is_empty(), "{o:?}");
    (o.capabilities.clone(), o.forward_compat)
}

fn strs(caps: &[Capability]) -> Vec<String> {
    caps.iter().map(|c| c.to_string()).collect()
}

/// What the advisor drops from `theirs`: each must be served by a lower minor of its major
/// that the advisor keeps (or a family image).
fn dropped_are_lower_minors(theirs: &[Capability], ours: &[String]) -> Vec<String> {
    let ours: Vec<Capability> = ours.iter().map(|s| s.parse().unwrap()).collect();
    let mut dropped = Vec::new();
    for c in theirs {
        if ours.contains(c) {
            continue;
        }
        assert!(
            ours.iter()
                .any(|o| archbench_core::loading::sass_runs_on(*o, *c)),
            "{c} was dropped and nothing the advisor keeps runs on it: {ours:?}"
        );
        dropped.push(c.to_string());
    }
    dropped
}

#[test]
fn nixpkgs_default_capabilities() {
    // CUDA 13.0: Nixpkgs' defaults are 7.5 8.0 8.6 8.9 9.0 10.0 10.3 12.0 12.1, with forward
    // compat on (its default): PTX of the last.
    let defaults = db::default_capabilities("13.0".parse::<CudaVersion>().unwrap());
    assert_eq!(
        strs(&defaults),
        ["7.5", "8.0", "8.6", "8.9", "9.0", "10.0", "10.3", "12.0", "12.1"]
    );
    let (ours, fc) = top(&defaults, "13.0", true);
    assert!(fc);
    // One SASS per major is enough to load everywhere: the lower minors' SASS runs on 8.6,
    // 8.9, 10.3 and 12.1 (at a speed nobody has measured: the advisor says so).
    assert_eq!(ours, ["7.5", "8.0", "9.0", "10.0", "12.0"]);
    assert_eq!(
        dropped_are_lower_minors(&defaults, &ours),
        ["8.6", "8.9", "10.3", "12.1"]
    );
    // CUDA 12.8: the same rule on its own defaults.
    let defaults = db::default_capabilities("12.8".parse::<CudaVersion>().unwrap());
    let (ours, _) = top(&defaults, "12.8", true);
    let dropped = dropped_are_lower_minors(&defaults, &ours);
    assert!(dropped.contains(&"8.6".to_string()) && dropped.contains(&"8.9".to_string()));
    assert!(
        ours.iter()
            .all(|c| defaults.iter().any(|d| d.to_string() == *c)),
        "{ours:?} against {:?}",
        strs(&defaults)
    );
}

/// Bytes of the loadable SASS images of `caps` in a library: (stored, uncompressed).
fn sass_bytes(path: &std::path::Path, caps: &[String]) -> (u64, u64) {
    let bytes = std::fs::read(path).unwrap();
    let opts = archbench_inspect::Options {
        decode: false,
        ..Default::default()
    };
    let b = archbench_inspect::read(&bytes, opts).unwrap();
    let loaded: Vec<usize> = b.loaded_modules().map(|(i, _)| i).collect();
    b.images
        .iter()
        .filter(|i| loaded.contains(&i.module) && i.kind == archbench_inspect::ImageKind::Sass)
        .filter(|i| i.arch.is_some_and(|a| caps.contains(&a.to_string())))
        .fold((0, 0), |(s, u), i| (s + i.stored_size, u + i.size))
}

/// The distinct SASS and PTX capabilities of the loadable modules of a library.
fn shipped(path: &std::path::Path) -> (Vec<Capability>, Vec<Capability>) {
    let bytes = std::fs::read(path).unwrap();
    let opts = archbench_inspect::Options {
        decode: false,
        ..Default::default()
    };
    let b = archbench_inspect::read(&bytes, opts).unwrap();
    let loaded: Vec<usize> = b.loaded_modules().map(|(i, _)| i).collect();
    let mut sass = Vec::new();
    let mut ptx = Vec::new();
    for i in b.images.iter().filter(|i| loaded.contains(&i.module)) {
        let (Some(a), list) = (
            i.arch,
            match i.kind {
                archbench_inspect::ImageKind::Sass => &mut sass,
                archbench_inspect::ImageKind::Ptx => &mut ptx,
                _ => continue,
            },
        ) else {
            continue;
        };
        if !list.contains(&a) {
            list.push(a);
        }
    }
    sass.sort_by_key(|c: &Capability| c.sm_number());
    ptx.sort_by_key(|c: &Capability| c.sm_number());
    (sass, ptx)
}

#[test]
fn pytorchs_build() {
    let lib = archbench_core::toolchain::install_named(
        "torchvision-0.24.0",
        "torchvision 0.24.0 (PyPI)",
        &["torchvision==0.24.0"],
        "torchvision/_C.so",
    )
    .expect("torchvision 0.24.0 must be installable from PyPI");
    let (sass, ptx) = shipped(&lib);
    // What PyTorch's CUDA 12.8 wheels build (TORCH_CUDA_ARCH_LIST), no PTX.
    assert_eq!(
        strs(&sass),
        ["7.0", "7.5", "8.0", "8.6", "9.0", "10.0", "12.0"]
    );
    assert!(ptx.is_empty());
    let (ours, fc) = top(&sass, "12.8", false);
    assert!(!fc);
    // PyTorch ships sm_75 beside sm_70 and sm_86 beside sm_80, while the lower minor's SASS
    // runs on 7.5 (T4, RTX 20xx) and 8.6 (A10, RTX 30xx) GPUs too: the advisor, with no
    // measurement of that code there, drops both.
    assert_eq!(ours, ["7.0", "8.0", "9.0", "10.0", "12.0"]);
    let dropped = dropped_are_lower_minors(&sass, &ours);
    assert_eq!(dropped, ["7.5", "8.6"]);
    // What they weigh in torchvision 0.24.0 (docs/advise.md cites these): 1,568,256 of the
    // 6,252,496 bytes of SASS its runtime loads (stored uncompressed).
    let all: Vec<String> = strs(&sass);
    assert_eq!(sass_bytes(&lib, &dropped), (1_568_256, 1_568_256));
    assert_eq!(sass_bytes(&lib, &all).1, 6_252_496);
}

#[test]
fn bitsandbytes_cuda_13_library() {
    let lib = vendor::bnb("130");
    let (sass, ptx) = shipped(&lib);
    let plain: Vec<Capability> = sass
        .iter()
        .copied()
        .filter(|c| c.suffix == Suffix::None)
        .collect();
    let (ours, _) = top(&plain, "13.0", !ptx.is_empty());
    let dropped = dropped_are_lower_minors(&plain, &ours);
    // bitsandbytes builds every minor it supports: the advisor keeps one per major.
    let majors: Vec<u8> = {
        let mut m: Vec<u8> = plain.iter().map(|c| c.major).collect();
        m.dedup();
        m
    };
    assert_eq!(ours.len(), majors.len(), "{ours:?} for {:?}", strs(&plain));
    assert_eq!(dropped.len(), plain.len() - majors.len(), "{dropped:?}");
    // bitsandbytes 0.50.2 (CUDA 13.0) ships SASS 7.5 8.0 8.6 8.9 9.0 10.0 12.0 and no
    // loadable PTX; the advisor keeps 7.5 8.0 9.0 10.0 12.0. The two it drops are 382,322
    // of the 1,480,570 zstd-stored bytes (5,137,856 of 18,405,776 uncompressed): docs/advise.md.
    assert_eq!(
        strs(&plain),
        ["7.5", "8.0", "8.6", "8.9", "9.0", "10.0", "12.0"]
    );
    assert!(ptx.is_empty(), "{ptx:?}");
    assert_eq!(dropped, ["8.6", "8.9"]);
    assert_eq!(sass_bytes(&lib, &dropped), (382_322, 5_137_856));
    assert_eq!(sass_bytes(&lib, &strs(&plain)), (1_480_570, 18_405_776));
}
