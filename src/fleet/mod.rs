//! Running the matrix across a fleet of GPU machines through the engines people already
//! operate — Slurm, Kubernetes, a CI matrix — with the one archbench binary (kernel images
//! embedded) as the unit that travels, and gathering what the machines wrote into one
//! cross-GPU report.
//!
//! One module per job: [`spec`] (the fleet file), [`gpus`] (GPU models and capabilities),
//! [`plan`] (what runs where, and which variants each target is predicted to load),
//! [`shell`] (quoting for generated scripts), [`slurm`] (job-array script, submission, job
//! states), [`k8s`] (one `batch/v1` Job per target), [`ci`] (a GitHub Actions workflow),
//! [`layout`] (the fleet directory: what generators and tasks write where), [`task`] (one
//! target's share, run on the machine itself), [`logs`] (results carried in container
//! logs), [`collect`] (gathering, with missing and failed tasks named), [`report`] (the
//! merged report and `fleet.md`/`fleet.json` of a collection), [`compare`] (each GPU against
//! its own baseline), [`summary`] (what the commands tell a person) and [`fsutil`] (atomic
//! writes).
//!
//! Nothing here needs a GPU except what [`task`] runs on the target machine.

pub mod ci;
pub mod collect;
pub mod compare;
pub mod fsutil;
pub mod gpus;
pub mod k8s;
pub mod layout;
pub mod logs;
pub mod plan;
pub mod report;
pub mod shell;
pub mod slurm;
pub mod spec;
pub mod summary;
pub mod task;

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong in the fleet layer.
#[derive(Debug, Error)]
pub enum FleetError {
    /// A fleet file that does not parse or does not make sense, with where and how to fix.
    #[error("{}:{line}:{column}: {message}\n  help: {help}", path.display())]
    Spec {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        help: String,
    },
    #[error("{0}")]
    Input(#[from] archbench_core::fsio::InputFileError),
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The binary whose variants are planned could not tell them.
    #[error("cannot read the build manifest of {}: {message}", binary.display())]
    Binary { binary: PathBuf, message: String },
    #[error(transparent)]
    Plan(#[from] archbench::run::RunError),
    #[error(transparent)]
    Report(#[from] archbench::report::ReportError),
    #[error(transparent)]
    Results(#[from] archbench::results::read::ReadError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Embedded(#[from] crate::embedded::EmbeddedError),
    /// A scheduler command (sbatch, squeue, …) that could not be run or failed.
    #[error("`{command}` failed: {message}")]
    Command { command: String, message: String },
    /// A fleet directory that is not one, or is inconsistent.
    #[error("{}: {message}", path.display())]
    Layout { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
}

impl FleetError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        FleetError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
