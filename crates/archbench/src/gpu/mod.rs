//! The GPU layer over cudarc's driver API (dynamically loaded): opening a device without
//! panicking when no driver exists, loading modules from fatbins or single images, reading
//! which image really runs and what parameters a kernel takes, launching, device memory,
//! timing primitives (events, L2 flush, SM clock probe, a blocking kernel), image-declared
//! launch contracts, and the cuBLAS GEMM archbench times beside its own.
//!
//! It launches what it is given and knows no kernel, check rule or results schema (the
//! engine, [`crate::run`], turns a workload into these calls). Layering follows cudarc: `sys`
//! (raw) → `result` (checked) → this module's RAII types, where a [`Function`] keeps its
//! module loaded. Nothing here is reached without first checking `is_culib_present()`.

pub mod contract;
mod cublas;
mod device;
mod error;
mod memory;
mod module;
mod ptx;
mod timer;

pub use cublas::{ColumnMajorCall, Cublas, GemmInput, GemmShape};
pub use device::linux_driver_release;
pub use device::{DeviceInfo, Gpu};
pub use error::GpuError;
pub use memory::DeviceBuffer;
pub use module::{image_kind, Function, Module};
pub use timer::{
    BlockingKernel, ClockSpan, ClockStamps, EmptyKernel, EventPair, L2Flusher, StampReadout,
};

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

    /// Waits for everything queued on this stream; a kernel's fault shows here.
    pub fn synchronize(self) -> Result<(), cudarc::driver::DriverError> {
        // SAFETY: a stream of the current context (or the legacy default stream).
        unsafe { cudarc::driver::result::stream::synchronize(self.0) }
    }
}
