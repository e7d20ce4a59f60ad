//! `archbench run`: plans which variant × kernel tasks run (interleaved so drift hits every
//! variant alike), runs each task in a child process (a fault loses only that task), gathers
//! the children's JSON-lines reports, and writes the results file atomically after every
//! finished case.

pub mod ceilings;
pub mod orchestrate;
pub mod plan;
pub mod protocol;
pub mod sampler;
pub mod summary;
pub mod worker;
pub mod writer;

pub use plan::{Plan, PlanOptions};

/// Errors of the run layer.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Gpu(#[from] crate::gpu::GpuError),
    #[error("{0}")]
    Plan(String),
    #[error("I/O error at `{path}`: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("worker protocol: {0}")]
    Protocol(String),
    #[error(transparent)]
    Embedded(#[from] crate::embedded::EmbeddedError),
}
