//! # archbench-inspect
//!
//! Zero-copy, panic-free parsers for CUDA binaries and the driver's image choice:
//!
//! - [`elf`]: ELF64 sections and symbols; [`cubin`]: SASS architecture (both `e_flags`
//!   layouts, `.nv.compat`), kernels with registers and shared memory;
//! - [`fatbin`]: fatbin containers and their entries; [`decompress`]: zstd / LZ4 payloads
//!   with bounded memory; [`ptx`]: PTX headers and entry names;
//! - [`host`]: where a host ELF keeps device code (`.nv_fatbin`, relocatable `__nv_relfatbin`,
//!   fatbins embedded in other sections); [`arch`]: which targets and PTX ISAs exist;
//! - [`image`]: any file → its modules and images, decoded in parallel;
//! - [`predict`]: which image the driver loads on a GPU, or error 209/222, and why;
//! - [`check`]: whether a binary holds the images a variant spec should produce.
//!
//! ```no_run
//! use archbench_inspect::{predict_binary, Capability};
//! let bytes = std::fs::read("kernels.fatbin").unwrap();
//! let p = predict_binary(&bytes, "8.9".parse::<Capability>().unwrap(), None).unwrap();
//! for m in &p.modules {
//!     println!("{}: {}", m.module, m.verdict.summary());
//! }
//! ```

pub mod arch;
mod bytes;
pub mod check;
pub mod cubin;
pub mod decompress;
pub mod elf;
pub mod error;
pub mod fatbin;
pub mod file;
pub mod host;
pub mod image;
#[cfg(feature = "demangle")]
pub mod names;
mod parallel;
pub mod predict;
pub mod ptx;

pub use archbench_core::{Capability, DriverVersion};
pub use error::{Codec, InspectError, Result};
pub use host::{HostInfo, ModuleKind};
pub use image::{payload, read, read_with, Binary, Format, Image, ImageKind, Module, Options};
pub use predict::{
    predict_binary, predict_images, predict_setup, predict_variant, Blocker, KernelSummary,
    Prediction, Setup,
};
