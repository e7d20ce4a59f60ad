//! Opening a GPU: driver presence check first (cudarc panics without libcuda), the primary
//! context, and the device facts a results file records.

use std::sync::Arc;

use cudarc::driver::sys::{self, CUdevice_attribute as A};
use cudarc::driver::{result, CudaContext};

use super::GpuError;

/// An open device with its primary context bound to the calling thread.
pub struct Gpu {
    pub ctx: Arc<CudaContext>,
    pub info: DeviceInfo,
}

/// What archbench reads about a device.
#[derive(Debug, Clone)]
pub struct DeviceInfo {
    pub name: String,
    pub major: u32,
    pub minor: u32,
    pub sm_count: u32,
    pub sm_clock_khz: u32,
    pub mem_clock_khz: u32,
    pub mem_bus_bits: u32,
    pub l2_bytes: u64,
    pub memory_bytes: u64,
    pub max_smem_optin: u32,
    /// `cuDriverGetVersion`: 13000 for CUDA 13.0.
    pub driver_version: u32,
}

impl DeviceInfo {
    pub fn capability(&self) -> archbench_core::Capability {
        archbench_core::Capability::plain(self.major as u8, self.minor as u8)
    }
}

/// `true` when libcuda can be loaded; never panics.
pub fn driver_present() -> bool {
    // SAFETY: only tries to dlopen the library by its known names.
    unsafe { sys::is_culib_present() }
}

/// The Linux driver release from `/proc/driver/nvidia/version`, when readable.
pub fn linux_driver_release() -> Option<String> {
    let text = std::fs::read_to_string("/proc/driver/nvidia/version").ok()?;
    let line = text.lines().next()?;
    line.split_whitespace()
        .find(|w| {
            w.chars().filter(|c| *c == '.').count() >= 1
                && w.chars().all(|c| c.is_ascii_digit() || c == '.')
        })
        .map(str::to_string)
}

impl Gpu {
    /// Opens device `ordinal`, or says why not (no driver, no such device).
    pub fn open(ordinal: usize) -> Result<Self, GpuError> {
        if !driver_present() {
            return Err(GpuError::NoDriver);
        }
        // A driver without a usable GPU reports NO_DEVICE from cuInit.
        result::init().map_err(|e| {
            use sys::CUresult as R;
            match e.0 {
                R::CUDA_ERROR_NO_DEVICE => GpuError::NoDevice { ordinal, count: 0 },
                R::CUDA_ERROR_STUB_LIBRARY => GpuError::DriverUnusable("libcuda.so is the toolkit's stub library (remove lib64/stubs from LD_LIBRARY_PATH)".into()),
                R::CUDA_ERROR_SYSTEM_DRIVER_MISMATCH | R::CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE | R::CUDA_ERROR_SYSTEM_NOT_READY | R::CUDA_ERROR_UNKNOWN => GpuError::DriverUnusable(format!("cuInit failed with {e:?}")),
                _ => GpuError::Driver { what: "initialising the CUDA driver", source: e },
            }
        })?;
        let count = result::device::get_count().map_err(GpuError::driver("counting devices"))?;
        if ordinal >= count.max(0) as usize {
            return Err(GpuError::NoDevice { ordinal, count });
        }
        let ctx = CudaContext::new(ordinal).map_err(GpuError::driver("creating the context"))?;
        let attr = |a: A| {
            ctx.attribute(a)
                .map(|v| v.max(0) as u32)
                .map_err(GpuError::driver("reading a device attribute"))
        };
        let mut driver_version = 0i32;
        // SAFETY: writes one int.
        unsafe { sys::cuDriverGetVersion(&mut driver_version) }
            .result()
            .map_err(GpuError::driver("reading the driver version"))?;
        let info = DeviceInfo {
            name: ctx
                .name()
                .map_err(GpuError::driver("reading the device name"))?,
            major: attr(A::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)?,
            minor: attr(A::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)?,
            sm_count: attr(A::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)?,
            sm_clock_khz: attr(A::CU_DEVICE_ATTRIBUTE_CLOCK_RATE)?,
            mem_clock_khz: attr(A::CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE)?,
            mem_bus_bits: attr(A::CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH)?,
            l2_bytes: u64::from(attr(A::CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE)?),
            memory_bytes: ctx
                .total_mem()
                .map_err(GpuError::driver("reading total memory"))?
                as u64,
            max_smem_optin: attr(A::CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)?,
            driver_version: driver_version.max(0) as u32,
        };
        Ok(Self { ctx, info })
    }

    /// Binds the context to the calling thread.
    pub fn bind(&self) -> Result<(), GpuError> {
        self.ctx
            .bind_to_thread()
            .map_err(GpuError::driver("binding the context"))
    }

    /// Waits for all work on the device.
    pub fn synchronize(&self) -> Result<(), GpuError> {
        self.ctx
            .synchronize()
            .map_err(GpuError::driver("synchronising"))
    }
}
