//! # archbench
//!
//! "If I build my kernels with this variant config, what do I get on this GPU?" — archbench
//! validates CUDA build variants (Nixpkgs `pkgsForCudaArch`/`pkgsCuda`/`cudaPackages_X_Y.pkgs`,
//! PyTorch's `TORCH_CUDA_ARCH_LIST`, CMake's `CUDA_ARCHITECTURES`), shows the exact compiler
//! flags each means, and manages the real CUDA toolchains it checks against.
//!
//! The variant model lives in [`archbench_core`] (re-exported as [`core`]) so that `build.rs`
//! uses the same code as the binary.
//!
//! Design rules:
//! - Real toolchains are the oracles; nothing here invents a toolchain's or a GPU's answer.
//! - Bad input gets a diagnostic or a typed error that says what, where and how to fix it —
//!   never a panic.
//! - Everything that does not need a GPU works without one.

pub use archbench_core as core;

pub mod check;
pub mod embedded;
pub mod fill;
pub mod fleet;
pub mod gpu;
pub mod measure;
pub mod report;
pub mod results;
pub mod run;
pub mod suite;
