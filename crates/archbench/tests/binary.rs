//! Bring your own binary: `Images::from_binary` finds, in a shared library built by real nvcc
//! and in a real vendor library (bitsandbytes 0.50.2 from PyPI), the module that defines a
//! kernel, with its SASS and PTX capabilities, and a suite over those images plans, predicts
//! and declares cases exactly as over a build's own. On a GPU (`--ignored`), the library's
//! kernel runs and passes its check through the engine's execution path.

#[path = "../../archbench-inspect/tests/support/vendor.rs"]
mod vendor;

use std::path::{Path, PathBuf};
use std::process::Command;

use archbench::bench::{Fill, Grid, Rule, Suite};
use archbench::run::{Plan, PlanOptions};
use archbench::workload::{CaseSource, Set};
use archbench::Images;

const SOURCE: &str = r#"
extern "C" __global__ void saxpy(float* y, const float* x, float a, unsigned n) {
    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = a * x[i] + y[i];
}
extern "C" __global__ void scale(float* y, float a, unsigned n) {
    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] *= a;
}
"#;

/// `libk.so`: the kernels above as sm_80 and sm_90 SASS plus compute_90 PTX, in a host
/// shared library (`.nv_fatbin`), built once per test process.
fn library() -> PathBuf {
    static LIB: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    LIB.get_or_init(|| {
        let tc = archbench_core::toolchain::install(archbench_core::toolchain::PINNED_NVCC)
            .expect("nvcc 13.0 (installs from PyPI)");
        let dir = std::env::temp_dir().join(format!("archbench-byo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("k.cu");
        std::fs::write(&src, SOURCE).unwrap();
        let out = dir.join("libk.so");
        let run = Command::new(&tc.bin)
            .args(["-shared", "-Xcompiler", "-fPIC", "-cudart", "none", "-O3"])
            .args([
                "-gencode=arch=compute_80,code=sm_80",
                "-gencode=arch=compute_90,code=[sm_90,compute_90]",
            ])
            .arg(&src)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        out
    })
    .clone()
}

fn saxpy_suite(images: Images) -> Suite {
    Suite::new(images)
        .bench("saxpy", |c| {
            let n = c.usize("n");
            let x = c.input::<f32>("x", n, Fill::Uniform(-1.0, 1.0));
            let y = c.inout::<f32>("y", n, Fill::Uniform(-1.0, 1.0));
            c.launch("saxpy", Grid::cover(n, 256), (&y, &x, 2.0f32, n as u32));
            c.reads::<f32>(2 * n).writes::<f32>(n);
            c.check(&y, Rule::close(1e-6, 1e-7), move |h| {
                h[&x].iter().zip(&h[&y]).map(|(x, y)| 2.0 * x + y).collect()
            });
        })
        .axis("n", [1000, 1 << 20])
}

#[test]
fn the_module_that_defines_a_kernel_is_found_with_its_targets() {
    let lib = library();
    let images = Images::from_binary(&lib, None, None, Some("saxpy")).unwrap();
    let m = images.manifest().unwrap();
    assert_eq!(m.variants.len(), 1);
    let v = &m.variants[0];
    assert_eq!(v.name, "libk.so");
    assert_eq!(v.capabilities, ["8.0", "9.0"]);
    assert_eq!(v.ptx, ["9.0"]);
    let img = images.get("libk.so", "libk.so").unwrap();
    assert_eq!(img.bytes().get(..4), Some(&[0x50, 0xed, 0x55, 0xba][..]));
    assert_eq!(img.bytes().as_ptr() as usize % 16, 0);

    // Named otherwise, as a user would name a Nix build's or a wheel's copy.
    let images = Images::from_binary(&lib, Some("pkgsForCudaArch.sm_90"), Some("k"), None).unwrap();
    assert!(images.get("pkgsForCudaArch.sm_90", "k").is_some());

    let e = Images::from_binary(&lib, None, None, Some("nope")).unwrap_err();
    assert!(
        e.to_string().contains("defines kernel `nope`") && e.to_string().contains("mangled"),
        "{e}"
    );
    let e = Images::from_binary(Path::new("/no/such/file.so"), None, None, None).unwrap_err();
    assert!(
        e.to_string().contains("cannot read /no/such/file.so"),
        "{e}"
    );
    let text = std::env::temp_dir().join(format!("archbench-byo-text-{}", std::process::id()));
    std::fs::write(&text, "not a binary").unwrap();
    let e = Images::from_binary(&text, None, None, None).unwrap_err();
    assert!(
        e.to_string().contains("holds no loadable CUDA device code"),
        "{e}"
    );
}

#[test]
fn a_suite_over_a_binary_plans_and_predicts_like_any_other() {
    let lib = library();
    let suite = saxpy_suite(Images::from_binary(&lib, None, None, Some("saxpy")).unwrap());
    assert!(suite.problems().is_empty(), "{:?}", suite.problems());
    let cases = suite.cases("saxpy", Set::Default);
    assert_eq!(cases.len(), 2);
    assert!(cases
        .iter()
        .all(|c| c.error.is_none() && c.image == "libk.so"));
    let manifest = suite.images().manifest().unwrap().clone();
    let plan = |gpu: &str| {
        Plan::new(
            &manifest,
            &suite,
            &PlanOptions {
                variants: Vec::new(),
                kernels: Vec::new(),
                cases: Vec::new(),
                quick: false,
                edges: false,
                seed: 1,
                gpu: Some(gpu.parse().unwrap()),
                driver: None,
            },
        )
        .unwrap()
    };
    let predicted = |gpu: &str| {
        plan(gpu).variants[0]
            .predicted
            .clone()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    assert!(predicted("9.0").contains("sm_90"), "{}", predicted("9.0"));
    assert!(predicted("8.6").contains("sm_80"), "{}", predicted("8.6"));
    // Hopper+: PTX compute_90 JIT-compiled on a 10.0 GPU.
    assert!(
        predicted("10.0").contains("compute_90"),
        "{}",
        predicted("10.0")
    );
    // On a 9.0 GPU the driver could run sm_90 SASS or JIT compute_90: each is also run on
    // its own (forced), as for any build's variant.
    let names: Vec<String> = plan("9.0")
        .tasks
        .iter()
        .map(|t| t.variant.clone())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["libk.so", "libk.so@compute_90", "libk.so@sm_90"]);
}

#[test]
fn a_vendor_librarys_kernel_is_found_by_its_name() {
    let lib = vendor::bnb("130");
    let bytes = std::fs::read(&lib).unwrap();
    let bin = archbench_inspect::read(&bytes, archbench_inspect::Options::default()).unwrap();
    // The first kernel of a module the driver loads.
    let (module, name) = bin
        .loaded_modules()
        .find_map(|(m, _)| {
            bin.images
                .iter()
                .filter(|i| i.module == m)
                .find_map(|i| i.kernels.first().map(|k| (m, k.name.clone())))
        })
        .expect("bitsandbytes has kernels");
    let images = Images::from_binary(&lib, None, None, Some(&name)).unwrap();
    let v = &images.manifest().unwrap().variants[0];
    let want: Vec<String> = bin
        .images
        .iter()
        .filter(|i| i.module == module && i.kind == archbench_inspect::ImageKind::Sass)
        .filter_map(|i| i.arch.map(|a| a.to_string()))
        .fold(Vec::new(), |mut v, a| {
            if !v.contains(&a) {
                v.push(a)
            }
            v
        });
    assert_eq!(v.capabilities, want, "{name}");
    let m = &bin.modules[module];
    assert_eq!(images.all()[0].bytes().len() as u64, m.size);
}

#[test]
#[ignore = "needs a CUDA GPU"]
fn a_binarys_kernel_runs_and_passes_its_check() {
    let g =
        archbench::gpu::Gpu::open(0).unwrap_or_else(|e| panic!("this test needs a CUDA GPU: {e}"));
    let lib = library();
    let suite = saxpy_suite(Images::from_binary(&lib, None, None, Some("saxpy")).unwrap());
    let module = archbench::gpu::Module::load(suite.images().all()[0].bytes())
        .unwrap_or_else(|e| panic!("libk.so's fatbin on {}: {e}", g.info.name));
    for i in 0..2 {
        let w = suite.workload("saxpy", Set::Default, i).unwrap();
        let mut p = archbench::run::exec::Prepared::new(&w, &module, 5).unwrap();
        let x = p.run_checked(archbench::gpu::Stream::DEFAULT).unwrap();
        let c = x.correctness.unwrap();
        assert!(c.passed, "{:?}", c.detail);
    }
}
