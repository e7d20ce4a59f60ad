//! # archbench-cli
//!
//! The `archbench` command's own parts: its built-in kernel suite ([`suite`], one user of
//! the public bench API of the [`archbench`] library, as a user's crate is), the images its
//! build script embeds ([`embedded`]), the fleet commands ([`fleet`]: Slurm, Kubernetes, CI
//! matrices) and the capability advisor ([`advise`]). Everything else — the bench API, the engine, the GPU layer,
//! results, compare and reports — is the `archbench` library, which a user's crate depends
//! on without compiling any of this.

pub use archbench;
pub use archbench::core;

pub mod advise;
pub mod embedded;
pub mod fleet;
pub mod suite;
