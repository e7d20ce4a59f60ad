//! The GPU layer's error type: one variant per failure users must tell apart.

use cudarc::driver::sys::CUresult;
use cudarc::driver::DriverError;

#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error("no CUDA driver: libcuda.so could not be loaded (archbench needs an NVIDIA GPU and its driver for this)")]
    NoDriver,
    #[error("no CUDA device {ordinal}: the driver reports {count} device(s){}", if *count > 0 { format!(", so use a device ordinal from 0 to {}", count - 1) } else { String::new() })]
    NoDevice { ordinal: usize, count: i32 },
    #[error("the CUDA driver is present but unusable: {0}")]
    DriverUnusable(String),
    #[error("the module has no image for this GPU (CUDA_ERROR_NO_BINARY_FOR_GPU, 209)")]
    NoBinaryForGpu,
    #[error("the module's PTX is newer than this driver can JIT (CUDA_ERROR_UNSUPPORTED_PTX_VERSION, 222)")]
    UnsupportedPtxVersion,
    #[error("out of GPU memory allocating {bytes} bytes")]
    OutOfMemory { bytes: usize },
    #[error("kernel `{entry}` failed: {source}")]
    Launch { entry: String, source: DriverError },
    #[error("entry point `{0}` is not in the loaded image (a C++ kernel's name is mangled: declare it `extern \"C\" __global__`, or launch it by its mangled name; `archbench inspect --list` on the image shows the names)")]
    MissingFunction(String),
    #[error("{what}: {source}")]
    Driver {
        what: &'static str,
        source: DriverError,
    },
    #[error("{0}")]
    Invalid(String),
}

impl GpuError {
    /// Maps a driver error of a module load to its typed variant.
    pub fn from_load(e: DriverError) -> Self {
        match e.0 {
            CUresult::CUDA_ERROR_NO_BINARY_FOR_GPU => GpuError::NoBinaryForGpu,
            CUresult::CUDA_ERROR_UNSUPPORTED_PTX_VERSION => GpuError::UnsupportedPtxVersion,
            _ => GpuError::Driver {
                what: "loading the module",
                source: e,
            },
        }
    }

    pub fn driver(what: &'static str) -> impl FnOnce(DriverError) -> GpuError {
        move |source| GpuError::Driver { what, source }
    }
}
