//! Loading modules (a whole fatbin: the driver chooses; or one extracted image: forced) and
//! reading which image a function really runs (`CU_FUNC_ATTRIBUTE_BINARY_VERSION` /
//! `PTX_VERSION`).

use std::ffi::{c_void, CString};

use cudarc::driver::result;
use cudarc::driver::sys::{self, CUfunction_attribute_enum as F};

use super::GpuError;

/// A loaded module; unloaded on drop.
pub struct Module {
    raw: sys::CUmodule,
}

/// A function of a loaded module.
#[derive(Clone, Copy)]
pub struct Function {
    pub raw: sys::CUfunction,
}

impl Module {
    /// Loads a fatbin, cubin or PTX image. PTX text is NUL-terminated here as the driver
    /// requires; binary images are passed in place.
    pub fn load(image: &[u8]) -> Result<Self, GpuError> {
        let is_ptx = image.starts_with(b"//")
            || image.starts_with(b".version")
            || image.windows(8).take(4096).any(|w| w == b".version");
        let is_binary =
            image.starts_with(&[0x50, 0xed, 0x55, 0xba]) || image.starts_with(b"\x7fELF");
        let owned;
        let ptr: *const c_void = if is_ptx && !is_binary {
            owned = CString::new(
                image
                    .iter()
                    .copied()
                    .take_while(|b| *b != 0)
                    .collect::<Vec<u8>>(),
            )
            .map_err(|e| GpuError::Invalid(e.to_string()))?;
            owned.as_ptr().cast()
        } else {
            image.as_ptr().cast()
        };
        // SAFETY: `ptr` points to a complete image that outlives the call.
        let raw = unsafe { result::module::load_data(ptr) }.map_err(GpuError::from_load)?;
        Ok(Self { raw })
    }

    /// The bytes of the module's global `name`, or `None` when the module has no such symbol.
    pub fn global_bytes(&self, name: &str) -> Result<Option<Vec<u8>>, GpuError> {
        let c = CString::new(name).map_err(|e| GpuError::Invalid(e.to_string()))?;
        // SAFETY: the module is loaded.
        let (ptr, bytes) = match unsafe { result::module::get_global(self.raw, c) } {
            Ok(found) => found,
            Err(e) if e.0 == sys::CUresult::CUDA_ERROR_NOT_FOUND => return Ok(None),
            Err(source) => {
                return Err(GpuError::Driver {
                    what: "looking up a module global",
                    source,
                })
            }
        };
        let mut out = vec![0u8; bytes];
        // SAFETY: `ptr` is the symbol's device address and `bytes` its size.
        unsafe { result::memcpy_dtoh_sync(&mut out, ptr) }
            .map_err(GpuError::driver("reading a module global"))?;
        Ok(Some(out))
    }

    pub fn function(&self, name: &str) -> Result<Function, GpuError> {
        let c = CString::new(name).map_err(|e| GpuError::Invalid(e.to_string()))?;
        // SAFETY: the module is loaded.
        let raw = unsafe { result::module::get_function(self.raw, c) }
            .map_err(|_| GpuError::MissingFunction(name.to_string()))?;
        Ok(Function { raw })
    }
}

impl Drop for Module {
    fn drop(&mut self) {
        // SAFETY: loaded by load_data; errors at teardown are ignored.
        let _ = unsafe { result::module::unload(self.raw) };
    }
}

impl Function {
    fn attr(&self, a: F) -> Result<i32, GpuError> {
        // SAFETY: the function belongs to a loaded module.
        unsafe { result::function::get_function_attribute(self.raw, a) }
            .map_err(GpuError::driver("reading a function attribute"))
    }

    /// `(binary_version, ptx_version)`, e.g. (90, 90) for sm_90 SASS built from compute_90.
    pub fn versions(&self) -> Result<(u32, u32), GpuError> {
        Ok((
            self.attr(F::CU_FUNC_ATTRIBUTE_BINARY_VERSION)?.max(0) as u32,
            self.attr(F::CU_FUNC_ATTRIBUTE_PTX_VERSION)?.max(0) as u32,
        ))
    }

    pub fn num_regs(&self) -> Result<u32, GpuError> {
        Ok(self.attr(F::CU_FUNC_ATTRIBUTE_NUM_REGS)?.max(0) as u32)
    }

    /// Allows `bytes` of dynamic shared memory (needed above 48 KiB).
    pub fn allow_dynamic_smem(&self, bytes: u32) -> Result<(), GpuError> {
        if bytes <= 48 * 1024 {
            return Ok(());
        }
        // SAFETY: valid function handle.
        unsafe {
            sys::cuFuncSetAttribute(
                self.raw,
                F::CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                bytes as i32,
            )
        }
        .result()
        .map_err(GpuError::driver("raising the dynamic shared memory limit"))
    }

    /// Launches with one by-value parameter struct given as bytes.
    ///
    /// # Safety
    /// `params` must be exactly the kernel's parameter struct, with valid device addresses.
    pub unsafe fn launch(
        &self,
        entry: &str,
        grid: [u32; 3],
        block: [u32; 3],
        smem: u32,
        stream: super::Stream,
        params: &mut [u8],
    ) -> Result<(), GpuError> {
        let mut args: [*mut c_void; 1] = [params.as_mut_ptr().cast()];
        unsafe {
            result::launch_kernel(
                self.raw,
                (grid[0], grid[1], grid[2]),
                (block[0], block[1], block[2]),
                smem,
                stream.raw(),
                &mut args,
            )
        }
        .map_err(|source| GpuError::Launch {
            entry: entry.to_string(),
            source,
        })
    }
}

/// Classifies the image a function runs: `sass` when the variant carries SASS for the
/// binary version, `ptx-jit` otherwise (the driver compiled PTX for this GPU).
pub fn image_kind(
    binary_version: u32,
    variant_sass: &[archbench_core::Capability],
) -> &'static str {
    if variant_sass.iter().any(|c| c.sm_number() == binary_version) {
        "sass"
    } else {
        "ptx-jit"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_images() {
        let caps: Vec<archbench_core::Capability> =
            vec!["8.0".parse().unwrap(), "9.0a".parse().unwrap()];
        assert_eq!(image_kind(80, &caps), "sass");
        assert_eq!(image_kind(90, &caps), "sass");
        assert_eq!(image_kind(89, &caps), "ptx-jit");
    }
}
