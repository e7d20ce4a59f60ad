//! Device memory as RAII buffers of bytes (the engine's workloads are typed at run time, not
//! by Rust types), with the copies and fills the runtime needs.

use cudarc::driver::result;
use cudarc::driver::sys::{CUdeviceptr, CUresult};

use super::GpuError;

/// An allocation on the current context's device; freed on drop.
pub struct DeviceBuffer {
    ptr: CUdeviceptr,
    bytes: usize,
}

impl DeviceBuffer {
    pub fn new(bytes: usize) -> Result<Self, GpuError> {
        // Zero-byte allocations are invalid in CUDA; keep one byte so pointers stay unique.
        let n = bytes.max(1);
        // SAFETY: plain allocation in the current context.
        let ptr = unsafe { result::malloc_sync(n) }.map_err(|e| {
            if e.0 == CUresult::CUDA_ERROR_OUT_OF_MEMORY {
                GpuError::OutOfMemory { bytes: n }
            } else {
                GpuError::Driver {
                    what: "allocating",
                    source: e,
                }
            }
        })?;
        Ok(Self { ptr, bytes })
    }

    pub fn ptr(&self) -> CUdeviceptr {
        self.ptr
    }

    pub fn len(&self) -> usize {
        self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    pub fn upload(&self, data: &[u8]) -> Result<(), GpuError> {
        if data.len() != self.bytes {
            return Err(GpuError::Invalid(format!(
                "upload of {} bytes into a {}-byte buffer",
                data.len(),
                self.bytes
            )));
        }
        // SAFETY: sizes checked; synchronous copy.
        unsafe { result::memcpy_htod_sync(self.ptr, data) }
            .map_err(GpuError::driver("copying to the device"))
    }

    pub fn download(&self) -> Result<Vec<u8>, GpuError> {
        let mut out = vec![0u8; self.bytes];
        // SAFETY: sizes match; synchronous copy.
        unsafe { result::memcpy_dtoh_sync(&mut out, self.ptr) }
            .map_err(GpuError::driver("copying from the device"))?;
        Ok(out)
    }

    /// Sets every byte (synchronously).
    pub fn fill_byte(&self, value: u8) -> Result<(), GpuError> {
        // SAFETY: the whole allocation.
        unsafe { result::memset_d8_sync(self.ptr, value, self.bytes) }
            .map_err(GpuError::driver("memset"))
    }

    /// Copies all of `src` (of the same size) into this buffer on `stream` (asynchronously).
    pub fn copy_from_async(
        &self,
        src: &DeviceBuffer,
        stream: super::Stream,
    ) -> Result<(), GpuError> {
        if src.bytes != self.bytes {
            return Err(GpuError::Invalid(format!(
                "device copy of {} bytes into a {}-byte buffer",
                src.bytes, self.bytes
            )));
        }
        // SAFETY: two live allocations of `bytes`, on a stream of the current context.
        unsafe { result::memcpy_dtod_async(self.ptr, src.ptr, self.bytes, stream.raw()) }
            .map_err(GpuError::driver("copying on the device"))
    }

    /// Sets every byte on `stream` (asynchronously).
    pub fn fill_byte_async(&self, value: u8, stream: super::Stream) -> Result<(), GpuError> {
        // SAFETY: the whole allocation, on a stream of the current context.
        unsafe { result::memset_d8_async(self.ptr, value, self.bytes, stream.raw()) }
            .map_err(GpuError::driver("memset"))
    }
}

impl Drop for DeviceBuffer {
    fn drop(&mut self) {
        // SAFETY: allocated by malloc_sync in this context; errors at teardown are ignored.
        let _ = unsafe { result::free_sync(self.ptr) };
    }
}
