//! Loading modules (a whole fatbin: the driver chooses; or one extracted image: forced),
//! reading which image a function really runs (`CU_FUNC_ATTRIBUTE_BINARY_VERSION` /
//! `PTX_VERSION`) and what parameters it takes (`cuFuncGetParamInfo`), and launching.
//!
//! A [`Function`] holds a reference to its module's handle, so a module stays loaded while
//! any of its functions lives: dropping the [`Module`] first cannot leave a dangling
//! function (as cudarc's `CudaFunction` holds its `CudaModule`).

use std::ffi::{c_void, CString};
use std::rc::Rc;

use cudarc::driver::result;
use cudarc::driver::sys::{self, CUfunction_attribute_enum as F};

use super::GpuError;

/// The driver's handle of a loaded module; unloaded when the last owner drops it.
struct Loaded {
    raw: sys::CUmodule,
}

impl Drop for Loaded {
    fn drop(&mut self) {
        // SAFETY: loaded by load_data, unloaded once (the last Arc); errors at teardown are
        // ignored.
        let _ = unsafe { result::module::unload(self.raw) };
    }
}

/// A loaded module.
pub struct Module {
    loaded: Rc<Loaded>,
}

/// A function of a loaded module; keeps its module loaded.
#[derive(Clone)]
pub struct Function {
    raw: sys::CUfunction,
    _module: Rc<Loaded>,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function").finish_non_exhaustive()
    }
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
        Ok(Self {
            loaded: Rc::new(Loaded { raw }),
        })
    }

    /// The bytes of the module's global `name`, or `None` when the module has no such symbol.
    pub fn global_bytes(&self, name: &str) -> Result<Option<Vec<u8>>, GpuError> {
        let c = CString::new(name).map_err(|e| GpuError::Invalid(e.to_string()))?;
        // SAFETY: the module is loaded.
        let (ptr, bytes) = match unsafe { result::module::get_global(self.loaded.raw, c) } {
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
        let raw = unsafe { result::module::get_function(self.loaded.raw, c) }
            .map_err(|_| GpuError::MissingFunction(name.to_string()))?;
        Ok(Function {
            raw,
            _module: self.loaded.clone(),
        })
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

    /// `(offset, size)` of each kernel parameter, from `cuFuncGetParamInfo` (CUDA 12.4+
    /// drivers); `None` when the driver does not offer it.
    pub fn param_info(&self) -> Result<Option<Vec<(usize, usize)>>, GpuError> {
        // SAFETY: only looks the symbol up in the already loaded driver library.
        let present = unsafe {
            sys::culib()
                .get::<unsafe extern "C" fn()>(b"cuFuncGetParamInfo\0")
                .is_ok()
        };
        if !present {
            return Ok(None);
        }
        let mut out = Vec::new();
        for index in 0..4096usize {
            let (mut offset, mut size) = (0usize, 0usize);
            // SAFETY: a valid function handle; out-pointers to locals.
            let r = unsafe { sys::cuFuncGetParamInfo(self.raw, index, &mut offset, &mut size) };
            match r {
                sys::CUresult::CUDA_SUCCESS => out.push((offset, size)),
                // Past the last parameter.
                sys::CUresult::CUDA_ERROR_INVALID_VALUE => return Ok(Some(out)),
                // Not supported for this function (e.g. a JIT or library function).
                sys::CUresult::CUDA_ERROR_NOT_SUPPORTED => return Ok(None),
                other => {
                    return Err(GpuError::Driver {
                        what: "reading a kernel's parameter layout",
                        source: cudarc::driver::DriverError(other),
                    })
                }
            }
        }
        Ok(Some(out))
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
        .map_err(|e| {
            GpuError::Invalid(format!(
                "the kernel cannot have {bytes} bytes ({} KiB) of dynamic shared memory on this GPU ({e}); ask for less, or check the GPU's per-block limit",
                bytes.div_ceil(1024)
            ))
        })
    }

    /// Launches with the kernel's parameters packed in `params`: parameter `i` is
    /// `params[args[i].0..][..args[i].1]`.
    ///
    /// # Safety
    /// `params` and `args` must describe exactly the kernel's parameters (count, sizes),
    /// holding valid device addresses where the kernel reads pointers.
    #[allow(clippy::too_many_arguments)] // cuLaunchKernel's own parameters, one to one
    pub unsafe fn launch(
        &self,
        entry: &str,
        grid: [u32; 3],
        block: [u32; 3],
        smem: u32,
        stream: super::Stream,
        params: &mut [u8],
        args: &[(usize, usize)],
    ) -> Result<(), GpuError> {
        let mut ptrs: Vec<*mut c_void> = Vec::with_capacity(args.len());
        for &(offset, size) in args {
            let end = offset.checked_add(size).filter(|&e| e <= params.len());
            if end.is_none() {
                return Err(GpuError::Invalid(format!(
                    "launch `{entry}`: parameter bytes {offset}+{size} lie outside the {} packed bytes",
                    params.len()
                )));
            }
            // In bounds (checked above).
            ptrs.push(params[offset..].as_mut_ptr().cast());
        }
        let args = &mut ptrs;
        // SAFETY: `self.raw` is a function of a module this `Function` keeps alive; every
        // pointer in `args` points into `params` (bounds checked above), which outlives the
        // call; the caller laid out `params` per the kernel's parameter info.
        unsafe {
            result::launch_kernel(
                self.raw,
                (grid[0], grid[1], grid[2]),
                (block[0], block[1], block[2]),
                smem,
                stream.raw(),
                args,
            )
        }
        .map_err(|source| GpuError::Launch {
            entry: entry.to_string(),
            source,
        })
    }
}

impl Function {
    /// Launches with the kernel's whole parameter block given as one buffer
    /// (`CU_LAUNCH_PARAM_BUFFER_POINTER`): the driver copies `params.len()` bytes and reads
    /// nothing beyond them, so a block laid out wrongly can give the kernel wrong values but
    /// cannot make the driver read past host memory. For drivers that do not report a
    /// kernel's parameter layout.
    ///
    /// # Safety
    /// `params` must be the kernel's parameters laid out as C does (each at its natural
    /// alignment), holding valid device addresses where the kernel reads pointers.
    pub unsafe fn launch_packed(
        &self,
        entry: &str,
        grid: [u32; 3],
        block: [u32; 3],
        smem: u32,
        stream: super::Stream,
        params: &mut [u8],
    ) -> Result<(), GpuError> {
        let mut size: usize = params.len();
        let mut extra: [*mut c_void; 5] = [
            sys::CU_LAUNCH_PARAM_BUFFER_POINTER_AS_INT as usize as *mut c_void,
            params.as_mut_ptr().cast(),
            sys::CU_LAUNCH_PARAM_BUFFER_SIZE_AS_INT as usize as *mut c_void,
            (&mut size as *mut usize).cast(),
            sys::CU_LAUNCH_PARAM_END_AS_INT as usize as *mut c_void,
        ];
        // SAFETY: `extra` is the documented buffer form, terminated, pointing at live locals.
        unsafe {
            sys::cuLaunchKernel(
                self.raw,
                grid[0],
                grid[1],
                grid[2],
                block[0],
                block[1],
                block[2],
                smem,
                stream.raw(),
                std::ptr::null_mut(),
                extra.as_mut_ptr(),
            )
        }
        .result()
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
