//! # archbench
//!
//! *If I build my kernels with this variant config, what do I get on this GPU — does it
//! load, which image runs (native SASS or PTX JIT), is it correct, and how fast is it
//! compared with the other variants?*
//!
//! This crate is the library behind the `archbench` command and behind `cargo bench` in a
//! user's own crate: declare benches over the images `archbench-build` compiled once per
//! build variant (Nixpkgs `pkgsForCudaArch.sm_XX`, `pkgsCuda`, `TORCH_CUDA_ARCH_LIST`,
//! CMake `CUDA_ARCHITECTURES`), and [`bench::Suite::main`] checks every case against its
//! reference before timing it, on every variant, in crash- and hang-isolated workers, with
//! a stopping rule, and writes JSON Lines results that `archbench compare` and `archbench
//! report` read. See [`bench`](mod@bench) for the API and an example.
//!
//! Layers (arrows point down only; each rule is a `grep` in the design notes):
//!
//! - [`bench`](mod@bench): the public API a suite is declared with (the built-in suite uses nothing
//!   else);
//! - the engine, [`run`] and [`measure`], with [`check`] and [`fill`]: runs any
//!   [`workload::CaseSource`] over any [`Images`], never a suite by name;
//! - [`gpu`]: cudarc's driver API (dynamically loaded); launches what it is given and knows
//!   no kernel, check rule or results schema;
//! - [`results`] (the schema and its readers) and [`report`] (compare, baselines, reports)
//!   beside them.
//!
//! Design rules:
//! - Real toolchains and real GPUs are the oracles; nothing here invents a timing.
//! - Bad input gets a typed error that says what, where and how to fix it — never a panic.
//!   Without a CUDA driver, everything that does not need a GPU still works.
//! - A case is checked before it is timed; a case without a check says why.

pub use archbench_core as core;

pub mod bench;
mod binary;
pub mod check;
pub mod fill;
pub mod gpu;
pub mod images;
pub mod measure;
mod panics;
pub mod report;
pub mod results;
pub mod run;
pub mod workload;

pub use images::{BinaryError, Image, Images, ImagesError};
