//! The exact image a case ran, from the module's contents and what the driver reports:
//! fatbins built by real nvcc holding sm_90 + sm_90a, sm_100f, and PTX only, predicted by
//! archbench-inspect for a GPU, then labelled with the numbers a driver reports for the image
//! it loads (`CU_FUNC_ATTRIBUTE_BINARY_VERSION` / `PTX_VERSION`). The driver's 90 alone cannot
//! tell sm_90a from sm_90, nor its 100 sm_100f from sm_100; the label must.

use std::process::Command;

use archbench::results::schema::LoadedImage;
use archbench::run::plan::predicted_of;
use archbench::run::worker::exact_image;

const SOURCE: &str = r#"extern "C" __global__ void k(float* y) { y[threadIdx.x] = 1.0f; }"#;

/// A fatbin of `SOURCE` built with `gencode` flags.
fn fatbin(name: &str, gencode: &[&str]) -> Vec<u8> {
    let tc = archbench_core::toolchain::install(archbench_core::toolchain::PINNED_NVCC)
        .expect("nvcc 13.0 (installs from PyPI)");
    let dir = std::env::temp_dir().join(format!("archbench-exact-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("k.cu");
    std::fs::write(&src, SOURCE).unwrap();
    let out = dir.join("k.fatbin");
    let run = Command::new(&tc.bin)
        .arg("-fatbin")
        .args(gencode)
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
    let bytes = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

/// The label of the image the driver reports running, for a prediction made from the
/// fatbin's contents for a GPU of capability `gpu`.
fn label(bytes: &[u8], gpu: &str, kind: &str, binary_version: u32, ptx_version: u32) -> String {
    let p = archbench_inspect::predict_binary(bytes, gpu.parse().unwrap(), None).unwrap();
    let verdict = &p.modules[0].verdict;
    let ran = LoadedImage {
        binary_version,
        ptx_version,
        kind: kind.into(),
        arch: None,
    };
    exact_image(None, Some(&predicted_of(verdict)), &ran)
}

#[test]
fn sm_90_and_sm_90a_in_one_fatbin() {
    let b = fatbin(
        "90-90a",
        &[
            "-gencode=arch=compute_90,code=sm_90",
            "-gencode=arch=compute_90a,code=sm_90a",
        ],
    );
    let p = archbench_inspect::predict_binary(&b, "9.0".parse().unwrap(), None).unwrap();
    let chosen = p.modules[0].verdict.image.as_ref().unwrap().name.clone();
    // Whichever of the two the predictor names, the label is that one, with its suffix:
    // the driver's 90 agrees with both.
    assert!(chosen == "sm_90a" || chosen == "sm_90", "{chosen}");
    assert_eq!(label(&b, "9.0", "sass", 90, 90), chosen);
    // A driver that JIT-compiled instead (it disagrees with the prediction): its own numbers.
    assert_eq!(label(&b, "9.0", "ptx-jit", 90, 90), "compute_90");
}

#[test]
fn sm_90a_alone_is_labelled_sm_90a() {
    let b = fatbin("90a", &["-gencode=arch=compute_90a,code=sm_90a"]);
    assert_eq!(label(&b, "9.0", "sass", 90, 90), "sm_90a");
}

#[test]
fn a_family_cubin_on_a_later_member() {
    let b = fatbin("100f", &["-gencode=arch=compute_100f,code=sm_100f"]);
    assert_eq!(label(&b, "10.3", "sass", 100, 100), "sm_100f");
    assert_eq!(label(&b, "10.0", "sass", 100, 100), "sm_100f");
    // The driver reporting an image the prediction does not name: the driver's numbers.
    assert_eq!(label(&b, "10.3", "sass", 103, 100), "sm_103");
}

#[test]
fn ptx_only_is_the_jit_compiled_virtual_architecture() {
    let b = fatbin("75-ptx", &["-gencode=arch=compute_75,code=compute_75"]);
    assert_eq!(label(&b, "9.0", "ptx-jit", 90, 75), "compute_75");
    assert_eq!(label(&b, "12.0", "ptx-jit", 120, 75), "compute_75");
    // Forced images keep their own name.
    let ran = LoadedImage {
        binary_version: 86,
        ptx_version: 80,
        kind: "sass".into(),
        arch: None,
    };
    assert_eq!(exact_image(Some("sm_86"), None, &ran), "sm_86");
}

/// Version 2 files (the committed H200 and H100 runs) have no `arch`: the reader names the
/// image the predictor chose where the driver's numbers agree — sm_90a for the wgmma GEMM
/// whose record says only 90 — and leaves the driver's numbers where they do not.
#[test]
fn version_2_files_read_with_the_exact_image() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../results/nvidia-h200/20261126t230821z-gpu-check-full.jsonl");
    let run = archbench::results::read::read_run(&path).unwrap();
    assert_eq!(run.schema_version, 2);
    let image = |variant: &str| {
        let c = run
            .cases
            .iter()
            .find(|c| c.variant == variant && c.kernel == "gemm")
            .unwrap();
        c.image.as_ref().unwrap().name()
    };
    assert_eq!(image("pkgsForCudaArch.sm_90a"), "sm_90a");
    assert_eq!(image("pkgsForCudaArch.sm_90"), "sm_90");
    assert_eq!(image("cmake:75-virtual"), "compute_75");
    // The raw record indeed says only 90.
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("\"pkgsForCudaArch.sm_90a\"") && l.contains("\"kernel\":\"gemm\""))
        .unwrap();
    assert!(line.contains("\"binary_version\":90") && !line.contains("\"arch\""));
}
