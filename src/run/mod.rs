//! `archbench run`: plans which variant × kernel tasks run (interleaved so drift hits every
//! variant alike), runs them in supervised worker processes (a hang or a fault loses only
//! the case it happened in), shares a whole-run budget among the cases, and appends each
//! finished case to a JSON Lines results file.

pub mod budget;
pub mod ceilings;
pub mod orchestrate;
pub mod plan;
pub mod protocol;
pub mod sampler;
pub mod summary;
pub mod supervise;
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

/// Makes writes to a closed pipe (a worker that died) return an error instead of killing
/// the process with SIGPIPE (which `main` restores for `archbench … | head`).
pub fn ignore_sigpipe() {
    #[cfg(unix)]
    {
        extern "C" {
            fn signal(signum: i32, handler: usize) -> usize;
        }
        const SIGPIPE: i32 = 13;
        const SIG_IGN: usize = 1;
        // SAFETY: sets the disposition of one signal; no handler code runs.
        unsafe {
            signal(SIGPIPE, SIG_IGN);
        }
    }
}
