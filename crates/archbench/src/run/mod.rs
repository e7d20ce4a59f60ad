//! The engine: plans which variant × bench tasks run (interleaved so drift hits every
//! variant alike), runs them in supervised worker processes (a hang or a fault loses only
//! the case it happened in), checks each case before timing it, shares a whole-run budget
//! among the cases, and appends each finished case to a JSON Lines results file.
//!
//! It runs any suite handed to it (a [`CaseSource`](crate::workload::CaseSource) and its [`Images`](crate::Images)), never
//! the built-in one by name: `archbench run` and a user's `cargo bench` both come here.

pub mod budget;
pub mod ceilings;
pub mod exec;
pub mod orchestrate;
pub mod paired;
pub mod plan;
pub mod protocol;
pub mod sampler;
pub mod summary;
pub mod supervise;
pub mod worker;
pub mod writer;

pub use plan::{Plan, PlanOptions};

use crate::results::schema::{CaseResult, Device};
use crate::workload::CaseInfo;

/// Errors of the run layer.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Gpu(#[from] crate::gpu::GpuError),
    #[error("{0}")]
    Plan(String),
    /// A case that cannot run as declared (bad arguments, a panicking reference, …).
    #[error("{0}")]
    Case(String),
    #[error("I/O error at `{path}`: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("worker protocol: {0}")]
    Protocol(String),
    #[error(transparent)]
    Images(#[from] crate::images::ImagesError),
}

/// The record of a case of `job` before anything ran: which case, where, its sizes and
/// the prediction.
pub fn case_record(
    job: &protocol::KernelJob,
    variant_flags: &[String],
    info: &CaseInfo,
) -> CaseResult {
    CaseResult {
        variant: job.variant.clone(),
        variant_flags: variant_flags.to_vec(),
        kernel: job.kernel.clone(),
        case: info.label.clone(),
        bytes: info.bytes,
        flops: info.flops,
        predicted: job.predicted.clone(),
        prediction: job.prediction.clone(),
        implementation: info.implementation.clone(),
        axes: info.axes.iter().cloned().collect(),
        source: Some(info.image.clone()),
        unchecked: info.unchecked.clone(),
        ..CaseResult::default()
    }
}

/// What a results file records of a device.
pub fn device_record(info: &crate::gpu::DeviceInfo) -> Device {
    Device {
        name: info.name.clone(),
        capability: format!("{}.{}", info.major, info.minor),
        sm_count: info.sm_count,
        sm_clock_mhz: info.sm_clock_khz / 1000,
        mem_clock_mhz: info.mem_clock_khz / 1000,
        mem_bus_bits: info.mem_bus_bits,
        l2_bytes: info.l2_bytes,
        memory_bytes: info.memory_bytes,
        driver_cuda_version: info.driver_version,
        driver_release: crate::gpu::linux_driver_release(),
    }
}

/// Makes writes to a closed pipe (a worker that died) return an error instead of killing
/// the process with SIGPIPE (which `main` restores for `archbench … | head`).
pub fn ignore_sigpipe() {
    #[cfg(unix)]
    {
        // SAFETY: sets the disposition of one signal; no handler code runs.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        }
    }
}
