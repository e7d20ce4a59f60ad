//! Tests that need a CUDA GPU: run with `cargo test --release -- --ignored` on one.
//! They fail (never skip) when no GPU is present. They share the legacy stream and the
//! blocking kernel, so each holds a lock while it runs (one at a time, whatever
//! `--test-threads` says).

use std::sync::{Mutex, MutexGuard};

use archbench::gpu::{image_kind, Gpu, GpuError, Module, Stream};
use archbench::run::exec::Prepared;
use archbench::workload::{CaseSource, Set, Workload};
use archbench_cli::embedded;
use archbench_cli::suite::{self, Size};

/// Case `label` of kernel `kernel` in `size`, as the engine runs it: declared through the
/// bench API by the built-in suite.
fn workload(kernel: &str, size: Size, label: &str) -> Workload {
    let s = suite::suite();
    let set = match size {
        Size::Default => Set::Default,
        Size::Quick => Set::Quick,
        Size::Edges => Set::Edges,
    };
    let i = s
        .cases(kernel, set)
        .iter()
        .position(|c| c.label == label)
        .unwrap_or_else(|| panic!("{kernel}: no case {label}"));
    s.workload(kernel, set, i)
        .unwrap_or_else(|e| panic!("{kernel} {label}: {e}"))
}

/// A case outside the suite's sets (`make` builds its table entry), declared through the bench
/// API as the suite declares its own.
fn adhoc(make: impl Fn() -> suite::Case + Send + Sync + 'static) -> Workload {
    let s = archbench::bench::Suite::new(archbench::Images::unavailable(
        archbench::ImagesError::Binary("none needed".into()),
    ))
    .with_bench(
        archbench::bench::Bench::new("adhoc", move |c| suite::declare(c, make())).source("gemm.cu"),
    );
    s.workload("adhoc", Set::Default, 0).unwrap()
}

/// Whether a checked run passed, and its detail.
fn passed(x: &archbench::run::exec::Execution) -> (bool, Option<String>) {
    let c = x
        .correctness
        .as_ref()
        .expect("every built-in case is checked");
    (c.passed, c.detail.clone())
}

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn gpu() -> (MutexGuard<'static, ()>, Gpu) {
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let g = Gpu::open(0).unwrap_or_else(|e| panic!("this test needs a CUDA GPU: {e}"));
    (guard, g)
}

/// Every kernel's quick and edge cases (`Size::Edges`: tile edges, row-length thresholds,
/// vector tails, the smallest pitches each kernel accepts) pass the correctness gate with the
/// native variant (`pkgsForCudaArch.sm_XX` of the GPU) and with `pkgsCuda`.
#[test]
#[ignore = "needs a CUDA GPU"]
fn native_and_default_variants_are_correct() {
    let (_one, g) = gpu();
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
            for (size, case) in [Size::Quick, Size::Edges]
                .into_iter()
                .flat_map(|size| (k.cases)(size).into_iter().map(move |c| (size, c)))
            {
                let w = workload(k.name, size, &case.label);
                let mut p = Prepared::new(&w, &module, 42)
                    .unwrap_or_else(|e| panic!("{} {} {}: {e}", v.name, k.name, case.label));
                let x = p.run_checked(archbench::gpu::Stream::DEFAULT).unwrap();
                let (ok, detail) = passed(&x);
                assert!(ok, "{} {} {}: {detail:?}", v.name, k.name, case.label);
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
    let (_one, g) = gpu();
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
                let first = (k.cases)(Size::Quick).remove(0);
                let w = workload(k.name, Size::Quick, &first.label);
                let p = Prepared::new(&w, &module, 1).unwrap();
                let (bin, ptx) = p.first_function().unwrap().versions().unwrap();
                let kind = image_kind(bin, &variant.capabilities);
                let ran = archbench::results::schema::LoadedImage {
                    binary_version: bin,
                    ptx_version: ptx,
                    kind: kind.into(),
                    arch: None,
                };
                assert!(
                    archbench::run::plan::predicted_of(verdict).agrees(&ran),
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

/// The clock stamps give a plausible SM clock across a timed region, and the blocking
/// kernel holds and releases queued work.
#[test]
#[ignore = "needs a CUDA GPU"]
fn timing_helpers_work() {
    let (_one, g) = gpu();
    let s = Stream::DEFAULT;
    let stamps = archbench::gpu::ClockStamps::new(g.info.sm_count).unwrap();
    let b = archbench::gpu::BlockingKernel::new().unwrap();
    let ev = archbench::gpu::EventPair::new().unwrap();
    b.block(s).unwrap();
    stamps.before(s).unwrap();
    ev.record_start(s).unwrap();
    ev.record_end(s).unwrap();
    stamps.after(s).unwrap();
    b.release();
    let t = ev.elapsed_s().unwrap();
    g.synchronize().unwrap();
    assert!(!b.timed_out(), "the blocker was released in time");
    assert!(t < 0.01, "events around nothing took {t} s");
    // Around nothing the two stamps may fall in one globaltimer tick (no span): fine.
    if let Some(span) = stamps.span() {
        assert!(span.ns < 1_000_000_000, "{span:?}");
    }
    // A 200 µs spin gives a span long enough for a clock.
    let spin = archbench::gpu::BlockingKernel::new().unwrap();
    stamps.before(s).unwrap();
    spin.block(s).unwrap();
    stamps.after(s).unwrap();
    std::thread::sleep(std::time::Duration::from_micros(300));
    spin.release();
    g.synchronize().unwrap();
    let span = stamps.span().expect("stamps");
    let mhz = span.mhz();
    assert!(span.ns >= 200_000, "{span:?}");
    assert!(
        (100.0..5000.0).contains(&mhz),
        "clock {mhz} MHz from {span:?}"
    );
}

/// Hot samples queue up to `HOT_QUEUE_CAP` launches behind the blocking kernel; that many
/// must fit in the driver's queue, or the host would wait for the GPU that waits for the
/// host (until the blocker's 2 s timeout).
#[test]
#[ignore = "needs a CUDA GPU"]
fn hot_batches_fit_behind_the_blocker() {
    let (_one, g) = gpu();
    let s = Stream::DEFAULT;
    let m = embedded::manifest().unwrap();
    let native = m
        .variants
        .iter()
        .find(|v| v.name == "pkgsCuda")
        .expect("pkgsCuda embedded");
    let k = suite::all()
        .into_iter()
        .find(|k| k.name == "add_gelu")
        .unwrap();
    let img = embedded::images_of(&native.name)
        .find(|i| i.file == k.file)
        .unwrap();
    let module = Module::load(img.fatbin).unwrap();
    let first = (k.cases)(Size::Quick).remove(0);
    let w = workload(k.name, Size::Quick, &first.label);
    let mut p = Prepared::new(&w, &module, 1).unwrap();
    let b = archbench::gpu::BlockingKernel::new().unwrap();
    let ev = archbench::gpu::EventPair::new().unwrap();
    let t0 = std::time::Instant::now();
    b.block(s).unwrap();
    ev.record_start(s).unwrap();
    for _ in 0..archbench::run::worker::HOT_QUEUE_CAP {
        p.launch(s).unwrap();
    }
    ev.record_end(s).unwrap();
    let queued_in = t0.elapsed();
    b.release();
    let gpu_s = ev.elapsed_s().unwrap();
    g.synchronize().unwrap();
    assert!(!b.timed_out(), "queueing blocked: {queued_in:?}");
    assert!(
        queued_in < std::time::Duration::from_secs(1),
        "{queued_in:?}"
    );
    let per = gpu_s / f64::from(archbench::run::worker::HOT_QUEUE_CAP);
    assert!(per > 0.0 && per < 1e-3, "{per} s a launch");
}

/// The arch-specific build: on a 9.0 GPU every kernel of `pkgsForCudaArch.sm_90a` (the
/// wgmma GEMM at its full size too) loads as sm_90a SASS and is correct; on any other GPU
/// the driver refuses it (209), as the predictor says.
#[test]
#[ignore = "needs a CUDA GPU"]
fn sm_90a_is_correct_on_hopper_and_refused_elsewhere() {
    let (_one, g) = gpu();
    let v = "pkgsForCudaArch.sm_90a";
    assert!(
        embedded::manifest()
            .unwrap()
            .variants
            .iter()
            .any(|x| x.name == v),
        "{v} is not embedded"
    );
    let hopper = (g.info.major, g.info.minor) == (9, 0);
    let mut checked = 0;
    for k in suite::all() {
        let img = embedded::images_of(v).find(|i| i.file == k.file).unwrap();
        let module = match Module::load(img.fatbin) {
            Ok(m) => m,
            Err(e) => {
                assert!(!hopper, "{v} {}: {e}", k.name);
                assert!(matches!(e, GpuError::NoBinaryForGpu), "{v} {}: {e}", k.name);
                checked += 1;
                continue;
            }
        };
        assert!(
            hopper,
            "{v} loaded on a {}.{} GPU",
            g.info.major, g.info.minor
        );
        let mut cases: Vec<(Size, suite::Case)> = (k.cases)(Size::Quick)
            .into_iter()
            .map(|c| (Size::Quick, c))
            .collect();
        if k.name == "gemm" {
            cases.extend(
                (k.cases)(Size::Default)
                    .into_iter()
                    .map(|c| (Size::Default, c)),
            );
        }
        for (size, case) in cases {
            let w = workload(k.name, size, &case.label);
            let mut p = Prepared::new(&w, &module, 7).unwrap();
            let (bin, _) = p.first_function().unwrap().versions().unwrap();
            assert_eq!(bin, 90, "{} ran binary version {bin}", k.name);
            let x = p.run_checked(Stream::DEFAULT).unwrap();
            let (ok, detail) = passed(&x);
            assert!(ok, "{v} {} {}: {detail:?}", k.name, case.label);
            checked += 1;
        }
    }
    assert!(checked >= suite::all().len());
}

/// Each `gemm_bf16` image declares its own launch: on Hopper the sm_90a image is the
/// warp-specialised TMA kernel (384 threads, tensor maps, persistent), the sm_90 image and
/// `pkgsCuda` the mma.sync one (256 threads, no tensor maps); each computes a GEMM with more
/// tiles than SMs (persistent blocks take several) and more k-tiles than pipeline stages (the
/// ring wraps) correctly, and one with a single k-tile and a partial group of tile rows.
#[test]
#[ignore = "needs a CUDA GPU"]
fn gemm_paths_follow_their_contracts() {
    let (_one, g) = gpu();
    let hopper = (g.info.major, g.info.minor) == (9, 0);
    let mut names = vec![
        format!("pkgsForCudaArch.{}", g.info.capability().sm()),
        "pkgsCuda".to_string(),
    ];
    if hopper {
        names.push("pkgsForCudaArch.sm_90a".to_string());
    }
    let mut checked = 0;
    for v in &names {
        let Some(img) = embedded::images_of(v).find(|i| i.file == "gemm.cu") else {
            continue;
        };
        let module = Module::load(img.fatbin).unwrap_or_else(|e| panic!("{v}: {e}"));
        let bytes = module
            .global_bytes("gemm_bf16_contract")
            .unwrap()
            .unwrap_or_else(|| panic!("{v}: no gemm_bf16_contract"));
        let c = archbench::gpu::contract::decode(&bytes).unwrap();
        if v.ends_with("sm_90a") {
            assert_eq!(
                (c.threads, c.tensor_maps, c.blocks_per_sm),
                (384, 1, 1),
                "{v}: {c:?}"
            );
            assert_eq!((c.tile_m, c.tile_n, c.tile_k), (128, 256, 64), "{v}: {c:?}");
        } else if g.info.major >= 8 {
            assert_eq!(
                (c.threads, c.tensor_maps, c.blocks_per_sm),
                (256, 0, 0),
                "{v}: {c:?}"
            );
        }
        // More tiles than SMs and more k-tiles than stages; then one k-tile (K = 64), fewer
        // tiles than SMs and a partial group of tile rows (M = 2560 is 20 of 128).
        for (m, n, k) in [(2048, 4096, 320), (2560, 512, 64)] {
            let w = adhoc(move || suite::torch::gemm::case(suite::DType::Bf16, m, n, k));
            let mut p = Prepared::new(&w, &module, 11).unwrap();
            let x = p.run_checked(Stream::DEFAULT).unwrap();
            let (ok, detail) = passed(&x);
            assert!(ok, "{v} {m}x{n}x{k}: {detail:?}");
            checked += 1;
        }
    }
    // Two cases on each of the native and `pkgsCuda` images (and sm_90a on Hopper).
    assert!(checked >= 4, "only {checked} gemm cases checked");
}

/// cuBLAS beside the suite's GEMMs and a device copy beside a memory-bound kernel
/// (`--paired`): on non-square shapes (a transposed call would differ) cuBLAS's result agrees
/// with the case's checked output, the copy copies, and sampled alternately with the case both
/// series fill, with clocks, and no sample waits out the blocker.
#[test]
#[ignore = "needs a CUDA GPU"]
fn paired_library_calls_agree_and_sample() {
    use archbench::run::paired::{prepare, take_pair, Beside};
    use archbench::run::sampler::{Sample, Series};
    let (_one, g) = gpu();
    let s = Stream::DEFAULT;
    let native = format!("pkgsForCudaArch.{}", g.info.capability().sm());
    let module_of = |file: &str| {
        let img = embedded::images_of(&native)
            .find(|i| i.file == file)
            .unwrap_or_else(|| panic!("{native}: no {file} image"));
        Module::load(img.fatbin).unwrap()
    };
    let gemm = module_of("gemm.cu");
    let softmax = module_of("softmax.cu");
    let label = suite::all()
        .into_iter()
        .find(|k| k.name == "softmax")
        .map(|k| (k.cases)(Size::Quick)[0].label.clone())
        .unwrap();
    let cases: Vec<(String, Workload, &Module, &str)> = vec![
        (
            "gemm bf16 2560x512x320".into(),
            adhoc(|| suite::torch::gemm::case(suite::DType::Bf16, 2560, 512, 320)),
            &gemm,
            "cuBLAS 1",
        ),
        (
            "sgemm 384x1024x64".into(),
            adhoc(|| suite::torch::gemm::case(suite::DType::F32, 384, 1024, 64)),
            &gemm,
            "cuBLAS 1",
        ),
        (
            format!("softmax {label}"),
            workload("softmax", Size::Quick, &label),
            &softmax,
            "device copy",
        ),
    ];
    for (at, w, module, library) in &cases {
        let call = w.paired.clone().expect("the suite declares a paired call");
        let mut p = Prepared::new(w, module, 5).unwrap();
        let (ok, detail) = passed(&p.run_checked(s).unwrap());
        assert!(ok, "{at}: {detail:?}");
        let beside = Beside {
            workload: w,
            prepared: &p,
            seed: 5,
            stream: s,
        };
        let run = prepare(&call, &beside)
            .unwrap_or_else(|r| panic!("{at}: the paired call is not ready: {r:?}"));
        let stamps = archbench::gpu::ClockStamps::new(g.info.sm_count).unwrap();
        let blocker = archbench::gpu::BlockingKernel::new().unwrap();
        let ev = archbench::gpu::EventPair::new().unwrap();
        let time = |launch: &mut dyn FnMut() -> Result<(), archbench::run::RunError>| {
            blocker.block(s).unwrap();
            stamps.before(s).unwrap();
            ev.record_start(s).unwrap();
            let queued = launch();
            if queued.is_ok() {
                ev.record_end(s).unwrap();
                stamps.after(s).unwrap();
            }
            // Released before an error is returned, so nothing waits for the timeout.
            blocker.release();
            queued?;
            let seconds = ev.elapsed_s().unwrap();
            g.synchronize().unwrap();
            Ok::<_, archbench::run::RunError>(Sample {
                seconds,
                span: stamps.span(),
                region_s: None,
                blocker_timed_out: blocker.timed_out(),
            })
        };
        let mut series = Series::new(f64::from(g.info.sm_clock_khz) / 1e3);
        for i in 0..20 {
            let case = take_pair(
                i,
                &mut (),
                &mut series,
                &mut |_| time(&mut || p.launch(s)),
                &mut |_| time(&mut || run.launch(s)),
            )
            .unwrap();
            assert!(!case.blocker_timed_out && case.seconds > 0.0, "{at}");
        }
        let t = run.finish(&series, 1, 1.0);
        let timing = t.timing.expect("timed");
        assert_eq!(
            timing.discarded_blocker_timeout, 0,
            "{at}: the library call waited behind the blocker"
        );
        assert_eq!(timing.samples, 20, "{at}");
        assert!(timing.median_s > 0.0, "{at}");
        assert!(t.correctness.is_some_and(|c| c.passed), "{at}");
        assert!(t.library.starts_with(library), "{at}: {}", t.library);
    }
}
