//! Build-script helper: compiles `kernels/host_ref.cpp` (the OpenCV-style integer image ops
//! over the kernels' own `kernels/pixel.h` helpers) into a static library linked into the
//! crate, and sets `cfg(archbench_host_ref)`, which enables the cross-check of those helpers
//! against the independent Rust references (`suite::host_ref`).

/// Call from `build.rs`.
pub fn compile_host_refs() {
    for f in [
        "kernels/host_ref.cpp",
        "kernels/host_ref.h",
        "kernels/pixel.h",
    ] {
        println!("cargo:rerun-if-changed={f}");
    }
    cc::Build::new()
        .cpp(true)
        .file("kernels/host_ref.cpp")
        .include("kernels")
        .opt_level(2)
        .warnings(true)
        .compile("archbench_host_ref");
    println!("cargo:rustc-check-cfg=cfg(archbench_host_ref)");
    println!("cargo:rustc-cfg=archbench_host_ref");
}
