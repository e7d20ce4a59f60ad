//! build.rs compiles each (kernel file, target) once and assembles each variant's fatbin
//! from the pieces with `fatbinary`. The result must be what `nvcc -fatbin` with the
//! variant's own `-gencode` flags gives: checked here byte for byte against real nvcc 13.0
//! (from PyPI), for a multi-architecture variant with PTX (`pkgsCuda`), an arch-specific one
//! (`sm_90a`, the wgmma GEMM) and a PTX-only one (`cmake:75-virtual`), with the images
//! listed by archbench's own reader when they differ. `pkgsCuda`'s `sm_121` and `sm_75` cubins
//! are the ones build.rs compiles from the `compute_121` and `compute_75` PTX (ptxas alone,
//! no second front end): the byte comparison holds that route to nvcc's too, whenever the
//! kernel cache was cold for them (as in CI's fresh clone; the cache key is the same for both
//! routes).

use archbench_cli::embedded;

fn nvcc_fatbin(file: &str, gencode: &[String]) -> Vec<u8> {
    let tc = archbench_core::toolchain::install(archbench_core::toolchain::PINNED_NVCC)
        .expect("nvcc 13.0 (installs from PyPI)");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nvcc.fatbin");
    let run = std::process::Command::new(&tc.bin)
        .args(["-fatbin", "-O3", "-Xptxas", "-v", "-std=c++17"])
        .args(gencode)
        .arg("-I")
        .arg(root.join("kernels"))
        .arg(root.join("kernels").join(file))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read(&out).unwrap()
}

fn images(bytes: &[u8]) -> Vec<String> {
    let opts = archbench_inspect::Options {
        decode: true,
        ..Default::default()
    };
    archbench_inspect::read(bytes, opts)
        .map(|b| b.images.iter().map(|i| i.arch_name()).collect())
        .unwrap_or_else(|e| vec![format!("unreadable: {e}")])
}

#[test]
fn assembled_fatbins_are_what_nvcc_builds() {
    let m = embedded::manifest().unwrap();
    for (variant, file) in [
        ("pkgsCuda", "softmax.cu"),
        ("pkgsForCudaArch.sm_90a", "gemm.cu"),
        ("cmake:75-virtual", "transpose.cu"),
    ] {
        let v = m
            .variants
            .iter()
            .find(|v| v.name == variant)
            .unwrap_or_else(|| panic!("{variant} is not embedded"));
        let embedded = embedded::images_of(variant)
            .find(|i| i.file == file)
            .unwrap()
            .fatbin;
        let nvcc = nvcc_fatbin(file, &v.gencode);
        assert!(
            embedded == nvcc.as_slice(),
            "{variant} {file}: the assembled fatbin ({} bytes, images {:?}) differs from nvcc's ({} bytes, images {:?})",
            embedded.len(),
            images(embedded),
            nvcc.len(),
            images(&nvcc)
        );
    }
}
