//! cuBLAS, loaded dynamically, for the one call archbench times against its own kernels: a
//! GEMM `C = A·Bᵀ` on row-major matrices (A is m×k, B is n×k, C is m×n f32), with bf16 or
//! f32 inputs and f32 accumulation — what the suite's `gemm` and `sgemm` compute.
//!
//! The handle gets a workspace of its own (set again after every `cublasSetStream`, which
//! resets it to cuBLAS's default pool), so no call allocates: a `cudaMalloc` inside a call
//! queued behind archbench's blocking kernel would wait for it. Nothing here is reached
//! without first checking `is_culib_present()` for cuBLAS and that the library has every
//! entry point used (cudarc's loader panics on a missing one).

use std::ffi::c_void;

use cudarc::cublas::sys as cublas;
use cudarc::driver::sys::CUdeviceptr;

use super::{DeviceBuffer, GpuError, Stream};

/// cuBLAS's recommended workspace on Hopper and later (32 MiB; 4 MiB suffices before).
const WORKSPACE_BYTES: usize = 32 << 20;

/// The entry points used here; `cublasSetWorkspace_v2` needs cuBLAS ≥ 11.2.
const ENTRY_POINTS: &[&str] = &[
    "cublasCreate_v2",
    "cublasDestroy_v2",
    "cublasSetWorkspace_v2",
    "cublasGetVersion_v2",
    "cublasSetStream_v2",
    "cublasGemmEx",
];

/// Element types of the GEMM's inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GemmInput {
    Bf16,
    F32,
}

impl GemmInput {
    fn data_type(self) -> cublas::cudaDataType {
        match self {
            GemmInput::Bf16 => cublas::cudaDataType::CUDA_R_16BF,
            GemmInput::F32 => cublas::cudaDataType::CUDA_R_32F,
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            GemmInput::Bf16 => 2,
            GemmInput::F32 => 4,
        }
    }
}

/// A row-major `C = A·Bᵀ` (A m×k, B n×k, C m×n), as cuBLAS's column-major call takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GemmShape {
    pub m: u64,
    pub n: u64,
    pub k: u64,
    pub input: GemmInput,
}

/// The arguments of the column-major `cublasGemmEx` that computes a [`GemmShape`]: a
/// row-major m×n C is a column-major n×m Cᵀ, and Cᵀ = B·Aᵀ, where the row-major n×k B read
/// column-major is Bᵀ (k×n, leading dimension k): so `op(first) = T` on B's buffer,
/// `op(second) = N` on A's, with cuBLAS's (m, n, k) = (n, m, k).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnMajorCall {
    /// cuBLAS's m, n, k.
    pub mnk: (i32, i32, i32),
    /// Whether the first operand is B's buffer (always, for `A·Bᵀ`).
    pub first_is_b: bool,
    /// Leading dimensions of the first, second and output operands.
    pub ld: (i32, i32, i32),
}

impl GemmShape {
    /// The column-major call, or why the sizes do not fit cuBLAS's 32-bit dimensions.
    pub fn column_major(&self) -> Result<ColumnMajorCall, GpuError> {
        let dim = |name: &str, v: u64| {
            i32::try_from(v).ok().filter(|v| *v > 0).ok_or_else(|| {
                GpuError::Invalid(format!(
                    "a cuBLAS GEMM dimension {name} = {v} is outside 1..=2^31-1"
                ))
            })
        };
        let (m, n, k) = (dim("m", self.m)?, dim("n", self.n)?, dim("k", self.k)?);
        Ok(ColumnMajorCall {
            mnk: (n, m, k),
            first_is_b: true,
            ld: (k, k, n),
        })
    }

    /// Bytes of A, B and C.
    pub fn bytes(&self) -> (u64, u64, u64) {
        let e = self.input.size() as u64;
        (
            self.m * self.k * e,
            self.n * self.k * e,
            self.m * self.n * 4,
        )
    }
}

/// A cuBLAS handle with its workspace; destroyed on drop.
pub struct Cublas {
    handle: cublas::cublasHandle_t,
    workspace: DeviceBuffer,
    version: i32,
}

impl Cublas {
    /// Loads cuBLAS and makes a handle in the current context; a typed error (never a
    /// panic) when libcublas is not found.
    pub fn open() -> Result<Self, GpuError> {
        // SAFETY: only tries to dlopen libcublas.
        if !unsafe { cublas::is_culib_present() } {
            return Err(GpuError::Invalid(
                "cuBLAS (libcublas.so) not found: install it (e.g. `pip install nvidia-cublas`) and put its lib directory on LD_LIBRARY_PATH".into(),
            ));
        }
        for name in ENTRY_POINTS {
            // SAFETY: looks a symbol up in the loaded library without calling it.
            let found = unsafe { cublas::culib().get::<*const c_void>(name.as_bytes()) }.is_ok();
            if !found {
                return Err(GpuError::Invalid(format!(
                    "the cuBLAS library found lacks `{name}`: it is older than cuBLAS 11.2; put a newer libcublas on LD_LIBRARY_PATH"
                )));
            }
        }
        let workspace = DeviceBuffer::new(WORKSPACE_BYTES)?;
        let mut handle: cublas::cublasHandle_t = std::ptr::null_mut();
        // SAFETY: creating a handle in the current context.
        let st = unsafe { cublas::cublasCreate_v2(&mut handle) };
        status(st, "cublasCreate")?;
        let mut this = Self {
            handle,
            workspace,
            version: 0,
        };
        this.use_workspace()?;
        // SAFETY: a live handle; writes one int.
        let st = unsafe { cublas::cublasGetVersion_v2(this.handle, &mut this.version) };
        status(st, "cublasGetVersion")?;
        Ok(this)
    }

    /// Points the handle at its own workspace (again after `cublasSetStream`, which resets it).
    fn use_workspace(&self) -> Result<(), GpuError> {
        let ws = self.workspace.ptr() as *mut c_void;
        // SAFETY: a live handle and a live device allocation of WORKSPACE_BYTES it may use.
        let st = unsafe { cublas::cublasSetWorkspace_v2(self.handle, ws, WORKSPACE_BYTES) };
        status(st, "cublasSetWorkspace")
    }

    /// cuBLAS's version as `13.0.2` (from its integer, major·10000 + minor·100 + patch).
    pub fn version(&self) -> String {
        let v = self.version;
        format!("{}.{}.{}", v / 10000, (v / 100) % 100, v % 100)
    }

    /// Queues `C = A·Bᵀ` (row-major, see [`GemmShape`]) on `stream`.
    ///
    /// # Safety
    /// `a`, `b` and `c` must be live device allocations of the current context of at least
    /// [`GemmShape::bytes`] each.
    pub unsafe fn gemm_abt(
        &self,
        shape: &GemmShape,
        a: CUdeviceptr,
        b: CUdeviceptr,
        c: CUdeviceptr,
        stream: Stream,
    ) -> Result<(), GpuError> {
        let call = shape.column_major()?;
        let (first, second) = if call.first_is_b { (b, a) } else { (a, b) };
        let alpha: f32 = 1.0;
        let beta: f32 = 0.0;
        let dt = shape.input.data_type();
        // SAFETY: a live handle; the stream belongs to the current context.
        let st = unsafe { cublas::cublasSetStream_v2(self.handle, stream.raw().cast()) };
        status(st, "cublasSetStream")?;
        self.use_workspace()?;
        // SAFETY: the caller's buffers hold the operands; f32 scalars go with
        // CUBLAS_COMPUTE_32F; the dimensions were checked to fit.
        let st = unsafe {
            cublas::cublasGemmEx(
                self.handle,
                cublas::cublasOperation_t::CUBLAS_OP_T,
                cublas::cublasOperation_t::CUBLAS_OP_N,
                call.mnk.0,
                call.mnk.1,
                call.mnk.2,
                (&alpha as *const f32).cast::<c_void>(),
                first as *const c_void,
                dt,
                call.ld.0,
                second as *const c_void,
                dt,
                call.ld.1,
                (&beta as *const f32).cast::<c_void>(),
                c as *mut c_void,
                cublas::cudaDataType::CUDA_R_32F,
                call.ld.2,
                cublas::cublasComputeType_t::CUBLAS_COMPUTE_32F,
                // Not the deprecated DEFAULT_TENSOR_OP, which allows reduced-precision
                // kernels: f32 inputs stay f32 (the default math mode has no TF32).
                cublas::cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
            )
        };
        status(st, "cublasGemmEx")
    }
}

fn status(st: cublas::cublasStatus_t, what: &str) -> Result<(), GpuError> {
    if st == cublas::cublasStatus_t::CUBLAS_STATUS_SUCCESS {
        Ok(())
    } else {
        Err(GpuError::Invalid(format!("{what} failed: {st:?}")))
    }
}

impl Drop for Cublas {
    fn drop(&mut self) {
        // SAFETY: created in `open`, destroyed once (before its workspace is freed).
        unsafe { cublas::cublasDestroy_v2(self.handle) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column-major call of a row-major C = A·Bᵀ, checked by doing both on the CPU: the
    /// call's arguments, read as cuBLAS reads them, must give the row-major product.
    #[test]
    fn the_column_major_call_computes_the_row_major_product() {
        let (m, n, k) = (3usize, 5usize, 4usize);
        let a: Vec<f64> = (0..m * k).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..n * k).map(|i| (i as f64 * 0.91).cos()).collect();
        let shape = GemmShape {
            m: m as u64,
            n: n as u64,
            k: k as u64,
            input: GemmInput::F32,
        };
        let call = shape.column_major().unwrap();
        let (cm, cn, ck) = (
            call.mnk.0 as usize,
            call.mnk.1 as usize,
            call.mnk.2 as usize,
        );
        let (first, second) = if call.first_is_b { (&b, &a) } else { (&a, &b) };
        let (l1, l2, lc) = (call.ld.0 as usize, call.ld.1 as usize, call.ld.2 as usize);
        // Column-major: X(i, j) = x[i + j·ld]. op(first) = T: first(i, p) = f[p + i·l1].
        let mut c = vec![0.0; m * n];
        for j in 0..cn {
            for i in 0..cm {
                let s: f64 = (0..ck)
                    .map(|p| first[p + i * l1] * second[p + j * l2])
                    .sum();
                c[i + j * lc] = s;
            }
        }
        for i in 0..m {
            for j in 0..n {
                let want: f64 = (0..k).map(|p| a[i * k + p] * b[j * k + p]).sum();
                assert!((c[i * n + j] - want).abs() < 1e-12, "C[{i}][{j}]");
            }
        }
        assert_eq!(shape.bytes(), (48, 80, 60));
    }

    #[test]
    fn dimensions_cublas_cannot_take_are_errors() {
        let mut s = GemmShape {
            m: 1 << 31,
            n: 8,
            k: 8,
            input: GemmInput::Bf16,
        };
        let e = s.column_major().unwrap_err().to_string();
        assert!(e.contains("m = 2147483648"), "{e}");
        s.m = 0;
        assert!(s.column_major().is_err());
    }
}
