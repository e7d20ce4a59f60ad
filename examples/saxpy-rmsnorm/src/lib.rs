//! An example of a crate that benchmarks its own CUDA kernels with archbench: `build.rs`
//! compiles `kernels/*.cu` once per build variant with `archbench-build`, and
//! `benches/gpu.rs` declares the benches (`cargo bench` runs them, `cargo test --benches`
//! checks them once). The crate's library itself is empty.
