//! Builds the built-in kernel suite: every `kernels/*.cu` once per build variant with
//! `archbench-build` (the same crate a user's build script calls; variants from
//! `ARCHBENCH_VARIANTS` and the other variables it documents, else its default matrix), and
//! the OpenCV-exact C++ references of the CPU side (`build_support/host_ref.rs`). The images
//! and their manifest are linked in; `src/embedded.rs` reads them with
//! `include!(…/archbench_images.rs)`.

#[path = "build_support/host_ref.rs"]
mod host_ref;

fn main() -> Result<(), archbench_build::BuildError> {
    println!("cargo:rerun-if-changed=build.rs");
    // The CPU references build even without nvcc.
    host_ref::compile_host_refs();
    archbench_build::Kernels::new()
        .sources_in("kernels")
        .include("kernels")
        .build()?;
    Ok(())
}
