//! Roofline ceilings measured once per run on the same GPU: device-to-device copy bandwidth
//! and a cuBLAS bf16 GEMM (f32 accumulate, 4096³), each the median of repeated event-timed
//! runs. cuBLAS is loaded dynamically; without it the GEMM ceiling is skipped with a note.

use std::ffi::c_void;

use cudarc::cublas::sys as cublas;
use cudarc::driver::result;

use crate::gpu::{DeviceBuffer, EventPair, Gpu, GpuError};
use crate::measure::Summary;
use crate::results::schema::Ceilings;

pub fn measure(gpu: &Gpu) -> Result<Ceilings, GpuError> {
    let stream = crate::gpu::Stream::DEFAULT;
    let copy = copy_gbps(gpu, stream)?;
    let (gemm, note) = match gemm_tflops(stream) {
        Ok(t) => (Some(t), None),
        Err(why) => (None, Some(why)),
    };
    Ok(Ceilings {
        copy_gbps: Some(copy),
        gemm_bf16_tflops: gemm,
        note,
    })
}

/// Copy bandwidth in GB/s counting read + write bytes (as the memory-bound kernels count).
fn copy_gbps(gpu: &Gpu, stream: crate::gpu::Stream) -> Result<f64, GpuError> {
    let bytes = (gpu.info.memory_bytes / 16).clamp(64 << 20, 1 << 30) as usize;
    let a = DeviceBuffer::new(bytes)?;
    let b = DeviceBuffer::new(bytes)?;
    a.fill_byte(1)?;
    let ev = EventPair::new()?;
    let mut times = Vec::new();
    for i in 0..22 {
        ev.record_start(stream)?;
        // SAFETY: two live allocations of `bytes`.
        unsafe { result::memcpy_dtod_async(b.ptr(), a.ptr(), bytes, stream.raw()) }
            .map_err(GpuError::driver("device copy"))?;
        ev.record_end(stream)?;
        let t = ev.elapsed_s()?;
        if i >= 2 {
            times.push(t);
        }
    }
    let med = Summary::of(&times).map(|s| s.median).unwrap_or(f64::NAN);
    Ok(2.0 * bytes as f64 / med / 1e9)
}

/// cuBLAS bf16 GEMM TFLOP/s at 4096³, or why it could not be measured.
fn gemm_tflops(stream: crate::gpu::Stream) -> Result<f64, String> {
    // SAFETY: only tries to dlopen libcublas.
    if !unsafe { cublas::is_culib_present() } {
        return Err("cuBLAS (libcublas.so) not found; the GEMM ceiling is skipped".into());
    }
    let n: usize = 4096;
    let e = |x: GpuError| x.to_string();
    let a = DeviceBuffer::new(n * n * 2).map_err(e)?;
    let b = DeviceBuffer::new(n * n * 2).map_err(e)?;
    let c = DeviceBuffer::new(n * n * 4).map_err(e)?;
    // bf16 0x3c00 ≈ 0.0078: small values, no overflow.
    for buf in [&a, &b] {
        buf.fill_byte(0x3c).map_err(e)?;
    }
    let ev = EventPair::new().map_err(e)?;
    let mut handle: cublas::cublasHandle_t = std::ptr::null_mut();
    // SAFETY: creating a handle in the current context.
    let st = unsafe { cublas::cublasCreate_v2(&mut handle) };
    if st != cublas::cublasStatus_t::CUBLAS_STATUS_SUCCESS {
        return Err(format!("cublasCreate failed: {st:?}"));
    }
    let alpha: f32 = 1.0;
    let beta: f32 = 0.0;
    let run = || {
        // SAFETY: valid handle, device buffers of the right sizes, f32 scalars for
        // CUBLAS_COMPUTE_32F. Column-major C = Aᵀ·B, the same work as the suite's gemm.
        unsafe {
            cublas::cublasGemmEx(
                handle,
                cublas::cublasOperation_t::CUBLAS_OP_T,
                cublas::cublasOperation_t::CUBLAS_OP_N,
                n as i32,
                n as i32,
                n as i32,
                (&alpha as *const f32).cast::<c_void>(),
                a.ptr() as *const c_void,
                cublas::cudaDataType::CUDA_R_16BF,
                n as i32,
                b.ptr() as *const c_void,
                cublas::cudaDataType::CUDA_R_16BF,
                n as i32,
                (&beta as *const f32).cast::<c_void>(),
                c.ptr() as *mut c_void,
                cublas::cudaDataType::CUDA_R_32F,
                n as i32,
                cublas::cublasComputeType_t::CUBLAS_COMPUTE_32F,
                cublas::cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT_TENSOR_OP,
            )
        }
    };
    let mut times = Vec::new();
    let mut status = Ok(());
    for i in 0..12 {
        if let Err(x) = ev.record_start(stream) {
            status = Err(x.to_string());
            break;
        }
        let st = run();
        if st != cublas::cublasStatus_t::CUBLAS_STATUS_SUCCESS {
            status = Err(format!("cublasGemmEx failed: {st:?}"));
            break;
        }
        match ev.record_end(stream).and_then(|_| ev.elapsed_s()) {
            Ok(t) if i >= 2 => times.push(t),
            Ok(_) => {}
            Err(x) => {
                status = Err(x.to_string());
                break;
            }
        }
    }
    // SAFETY: created above.
    unsafe { cublas::cublasDestroy_v2(handle) };
    status?;
    let med = Summary::of(&times)
        .map(|s| s.median)
        .ok_or("no GEMM samples")?;
    Ok(2.0 * (n as f64).powi(3) / med / 1e12)
}
