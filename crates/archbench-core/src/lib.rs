//! # archbench-core
//!
//! The variant model shared by the `archbench` binary and its `build.rs`: one source of truth
//! for "which GPU code does this build configuration produce".
//!
//! Layers, each in its own module:
//! - [`capability`], [`version`]: the value types (`8.9`, `9.0a`, `12.8`, `580.65.06`).
//! - [`db`]: the capability table (Nixpkgs' and NVIDIA's ranges), CUDA releases with PTX ISA
//!   and minimum driver; [`loading`]: which image a driver may load on which GPU.
//! - [`nixpkgs`]: Nixpkgs' CUDA rule sets, one per revision that changed them (`--nixpkgs`).
//! - [`spec`]: every user spelling (Nixpkgs attribute path, Nix config, `torch:`, `cmake:`,
//!   variant files) → [`Variant`]; [`validate`]: diagnostics; [`flags`]: nvcc/CMake/PyTorch/
//!   OpenCV flags.
//! - [`toolchain`]: finding, installing and interrogating real CUDA toolchains.
//! - [`manifest`]: what a build compiled; [`embed`]: the container its images travel in.
//!
//! Design rules: no panics on user input (every problem is a [`Diagnostic`] or a typed
//! error); data is tables, not code paths; Nixpkgs' wording is quoted where Nixpkgs has a
//! message for the same condition.
//!
//! ```
//! use archbench_core::{flags, spec, CudaVersion};
//! let ctx = spec::SpecContext { default_cuda: CudaVersion::new(12, 6) };
//! let entry = spec::parse("pkgsForCudaArch.sm_89", &ctx).remove(0);
//! let v = entry.variant.unwrap();
//! assert_eq!(flags::gencode(&v), ["-gencode=arch=compute_89,code=sm_89"]);
//! ```

pub mod capability;
pub mod db;
pub mod diagnostic;
pub mod embed;
pub mod flags;
pub mod fsio;
pub mod loading;
pub mod manifest;
pub mod nixpkgs;
pub mod spec;
pub mod toolchain;
pub mod validate;
pub mod variant;
pub mod version;

pub use capability::{Capability, Suffix};
pub use diagnostic::{Basis, Code, Diagnostic, Severity};
pub use variant::{Origin, Variant};
pub use version::{CudaVersion, DriverVersion};
