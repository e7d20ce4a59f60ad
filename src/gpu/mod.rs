//! The GPU layer over cudarc's driver API (dynamically loaded): opening a device without
//! panicking when no driver exists, loading modules from fatbins or single images, reading
//! which image really runs, device memory, timing primitives (events, L2 flush, SM clock
//! probe, a blocking kernel), and executing a suite [`Workload`](crate::suite::Workload).
//!
//! Layering follows cudarc: `sys` (raw) → `result` (checked) → this module's RAII types.
//! Nothing here is reached without first checking `is_culib_present()`.

pub mod contract;
mod device;
mod error;
mod exec;
mod memory;
mod module;
mod ptx;
mod timer;

pub use device::{DeviceInfo, Gpu};
pub use error::GpuError;
pub use exec::{Execution, Prepared};
pub use memory::DeviceBuffer;
pub use module::{image_kind, Function, Module};
pub use timer::{BlockingKernel, ClockStamps, EventPair, L2Flusher};

/// A CUDA stream handle of the current context (`Stream::DEFAULT` is the legacy default
/// stream). A newtype so the safe API never takes raw pointers.
#[derive(Debug, Clone, Copy)]
pub struct Stream(cudarc::driver::sys::CUstream);

impl Stream {
    /// The legacy default stream.
    pub const DEFAULT: Stream = Stream(std::ptr::null_mut());

    pub(crate) fn raw(self) -> cudarc::driver::sys::CUstream {
        self.0
    }
}
