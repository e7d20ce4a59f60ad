//! Tests that need a CUDA GPU: run with `cargo test --release -- --ignored` on one.
//! They fail (never skip) when no GPU is present.

use archbench::embedded;
use archbench::gpu::{image_kind, Gpu, Module, Prepared};
use archbench::suite::{self, Size};

fn gpu() -> Gpu {
    Gpu::open(0).unwrap_or_else(|e| panic!("this test needs a CUDA GPU: {e}"))
}

/// Every kernel's quick cases pass the correctness gate with the native variant
/// (`pkgsForCudaArch.sm_XX` of the GPU) and with `pkgsCuda`.
#[test]
#[ignore = "needs a CUDA GPU"]
fn native_and_default_variants_are_correct() {
    let g = gpu();
    let native = format!("pkgsForCudaArch.{}", g.info.capability().sm());
    let m = embedded::manifest().unwrap();
    let mut checked = 0;
    for v in m
        .variants
        .iter()
        .filter(|v| v.name == native || v.name == "pkgsCuda")
    {
        for k in suite::all() {
            let img = embedded::images_of(&v.name)
                .find(|i| i.file == k.file)
                .unwrap();
            let module =
                Module::load(img.fatbin).unwrap_or_else(|e| panic!("{} {}: {e}", v.name, k.file));
            for case in (k.cases)(Size::Quick) {
                let w = (case.workload)();
                let mut p = Prepared::new(&w, &module, 42).unwrap();
                let x = p.run_checked(archbench::gpu::Stream::DEFAULT).unwrap();
                assert!(
                    x.correctness.passed,
                    "{} {} {}: {:?}",
                    v.name, k.name, case.label, x.correctness.detail
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked > 0,
        "no variant named {native} or pkgsCuda is embedded"
    );
}

/// The image the driver really runs agrees with the predictor, for every embedded variant.
#[test]
#[ignore = "needs a CUDA GPU"]
fn loaded_images_match_predictions() {
    let g = gpu();
    let cap = g.info.capability();
    let m = embedded::manifest().unwrap();
    let k = suite::all().into_iter().next().expect("suite is not empty");
    for v in &m.variants {
        let variant = archbench::core::Variant {
            name: v.name.clone(),
            cuda: v.cuda_built.parse().unwrap(),
            capabilities: v.capabilities.iter().map(|c| c.parse().unwrap()).collect(),
            forward_compat: v.forward_compat,
            ptx: v.ptx.iter().map(|c| c.parse().unwrap()).collect(),
            package: None,
            origin: archbench::core::Origin::NixConfig,
        };
        let pred = archbench_inspect::predict::predict_variant(&variant, cap, None);
        let verdict = &pred.modules[0].verdict;
        let img = embedded::images_of(&v.name)
            .find(|i| i.file == k.file)
            .unwrap();
        match Module::load(img.fatbin) {
            Ok(module) => {
                assert!(
                    verdict.loads(),
                    "{}: loaded, but predicted {}",
                    v.name,
                    verdict.summary()
                );
                let w = ((k.cases)(Size::Quick).remove(0).workload)();
                let p = Prepared::new(&w, &module, 1).unwrap();
                let (bin, _ptx) = p.first_function().unwrap().versions().unwrap();
                let kind = image_kind(bin, &variant.capabilities);
                assert!(
                    archbench::run::worker::prediction_agrees(&verdict.summary(), bin, kind),
                    "{}: ran {kind} {bin}, predicted {}",
                    v.name,
                    verdict.summary()
                );
            }
            Err(e) => assert!(
                !verdict.loads(),
                "{}: failed to load ({e}) but predicted {}",
                v.name,
                verdict.summary()
            ),
        }
    }
}

/// The clock probe reads a plausible SM clock and the blocking kernel releases.
#[test]
#[ignore = "needs a CUDA GPU"]
fn timing_helpers_work() {
    let g = gpu();
    let probe = archbench::gpu::ClockProbe::new().unwrap();
    let mhz = probe.read_mhz(archbench::gpu::Stream::DEFAULT).unwrap();
    assert!((100.0..5000.0).contains(&mhz), "clock {mhz} MHz");
    let b = archbench::gpu::BlockingKernel::new().unwrap();
    let ev = archbench::gpu::EventPair::new().unwrap();
    b.block(archbench::gpu::Stream::DEFAULT).unwrap();
    ev.record_start(archbench::gpu::Stream::DEFAULT).unwrap();
    ev.record_end(archbench::gpu::Stream::DEFAULT).unwrap();
    b.release();
    let t = ev.elapsed_s().unwrap();
    assert!(t < 0.01, "events around nothing took {t} s");
    g.synchronize().unwrap();
}
