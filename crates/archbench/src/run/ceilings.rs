//! Roofline ceilings measured once per run on the same GPU: device-to-device copy bandwidth
//! and a cuBLAS bf16 GEMM (f32 accumulate, 4096³), each the median of repeated event-timed
//! runs; and the same cuBLAS GEMM measured like the suite's GEMM (random inputs, L2 flushed,
//! a sustained load: burst and sustained medians). cuBLAS is loaded dynamically; without it
//! the GEMM ceilings are skipped with a note.

use std::ffi::c_void;

use cudarc::cublas::sys as cublas;
use cudarc::driver::result;

use crate::gpu::{DeviceBuffer, EventPair, Gpu, GpuError, L2Flusher};
use crate::measure::Summary;
use crate::results::schema::{Ceilings, GemmLikeSuite};

pub fn measure(gpu: &Gpu) -> Result<Ceilings, GpuError> {
    let stream = crate::gpu::Stream::DEFAULT;
    let copy = copy_gbps(gpu, stream)?;
    let mut notes = Vec::new();
    let (gemm, like) = match CublasGemm::new() {
        Ok(g) => {
            let gemm = gemm_tflops(&g, stream).map_err(|why| notes.push(why)).ok();
            let like = gemm_like_suite(gpu, &g, stream)
                .map_err(|why| notes.push(format!("like-for-like cuBLAS GEMM: {why}")))
                .ok();
            (gemm, like)
        }
        Err(why) => {
            notes.push(why);
            (None, None)
        }
    };
    Ok(Ceilings {
        copy_gbps: Some(copy),
        gemm_bf16_tflops: gemm,
        gemm_like_suite: like,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
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

/// A cuBLAS handle and the 4096³ bf16 GEMM's buffers; the handle is destroyed on drop.
struct CublasGemm {
    handle: cublas::cublasHandle_t,
    a: DeviceBuffer,
    b: DeviceBuffer,
    c: DeviceBuffer,
}

/// The GEMM's size (M = N = K).
const N: usize = 4096;

impl CublasGemm {
    fn new() -> Result<Self, String> {
        // SAFETY: only tries to dlopen libcublas.
        if !unsafe { cublas::is_culib_present() } {
            return Err("cuBLAS (libcublas.so) not found; the GEMM ceiling is skipped".into());
        }
        let e = |x: GpuError| x.to_string();
        let a = DeviceBuffer::new(N * N * 2).map_err(e)?;
        let b = DeviceBuffer::new(N * N * 2).map_err(e)?;
        let c = DeviceBuffer::new(N * N * 4).map_err(e)?;
        let mut handle: cublas::cublasHandle_t = std::ptr::null_mut();
        // SAFETY: creating a handle in the current context.
        let st = unsafe { cublas::cublasCreate_v2(&mut handle) };
        if st != cublas::cublasStatus_t::CUBLAS_STATUS_SUCCESS {
            return Err(format!("cublasCreate failed: {st:?}"));
        }
        Ok(Self { handle, a, b, c })
    }

    /// Enqueue one GEMM on the default stream.
    fn run(&self) -> Result<(), String> {
        let alpha: f32 = 1.0;
        let beta: f32 = 0.0;
        let n = N as i32;
        // SAFETY: valid handle, device buffers of the right sizes, f32 scalars for
        // CUBLAS_COMPUTE_32F. Column-major C = Aᵀ·B, the same work as the suite's gemm.
        let st = unsafe {
            cublas::cublasGemmEx(
                self.handle,
                cublas::cublasOperation_t::CUBLAS_OP_T,
                cublas::cublasOperation_t::CUBLAS_OP_N,
                n,
                n,
                n,
                (&alpha as *const f32).cast::<c_void>(),
                self.a.ptr() as *const c_void,
                cublas::cudaDataType::CUDA_R_16BF,
                n,
                self.b.ptr() as *const c_void,
                cublas::cudaDataType::CUDA_R_16BF,
                n,
                (&beta as *const f32).cast::<c_void>(),
                self.c.ptr() as *mut c_void,
                cublas::cudaDataType::CUDA_R_32F,
                n,
                cublas::cublasComputeType_t::CUBLAS_COMPUTE_32F,
                cublas::cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT_TENSOR_OP,
            )
        };
        if st == cublas::cublasStatus_t::CUBLAS_STATUS_SUCCESS {
            Ok(())
        } else {
            Err(format!("cublasGemmEx failed: {st:?}"))
        }
    }

    /// One event-timed GEMM (after `before`, outside the timed region), seconds.
    fn timed(
        &self,
        ev: &EventPair,
        stream: crate::gpu::Stream,
        before: &mut dyn FnMut() -> Result<(), String>,
    ) -> Result<f64, String> {
        before()?;
        ev.record_start(stream).map_err(|e| e.to_string())?;
        self.run()?;
        ev.record_end(stream)
            .and_then(|_| ev.elapsed_s())
            .map_err(|e| e.to_string())
    }
}

impl Drop for CublasGemm {
    fn drop(&mut self) {
        // SAFETY: created in `new`, destroyed once.
        unsafe { cublas::cublasDestroy_v2(self.handle) };
    }
}

fn tflops(seconds: f64) -> f64 {
    2.0 * (N as f64).powi(3) / seconds / 1e12
}

/// cuBLAS bf16 GEMM TFLOP/s at 4096³ on constant inputs, a short burst: the ceiling of every
/// committed run, kept as it was so `% of cuBLAS` stays comparable.
fn gemm_tflops(g: &CublasGemm, stream: crate::gpu::Stream) -> Result<f64, String> {
    // bf16 0x3c00 ≈ 0.0078: small values, no overflow.
    for buf in [&g.a, &g.b] {
        buf.fill_byte(0x3c).map_err(|e| e.to_string())?;
    }
    let ev = EventPair::new().map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    for i in 0..12 {
        let t = g.timed(&ev, stream, &mut || Ok(()))?;
        if i >= 2 {
            times.push(t);
        }
    }
    let med = Summary::of(&times)
        .map(|s| s.median)
        .ok_or("no GEMM samples")?;
    Ok(tflops(med))
}

/// GEMM time a like-for-like measurement samples over: long enough for the clocks to settle
/// under load (they drop after 50–70 ms of a sustained GEMM on the H100).
const LIKE_SUITE_LOAD_S: f64 = 0.5;
/// Most samples it takes.
const LIKE_SUITE_MAX_SAMPLES: usize = 4000;

/// Random bf16 values U(-1, 1) (the suite's GEMM inputs), from a fixed seed.
fn random_bf16(len: usize, mut state: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len * 2);
    for _ in 0..len {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let x = (r >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
        let bits = (x.to_bits() >> 16) as u16;
        out.extend_from_slice(&bits.to_le_bytes());
    }
    out
}

/// The first-quarter and last-quarter medians of `times` (in sample order), as TFLOP/s.
fn burst_and_sustained(times: &[f64]) -> Option<(f64, f64)> {
    let q = times.len() / 4;
    if q == 0 {
        return None;
    }
    let first = Summary::of(&times[..q])?.median;
    let last = Summary::of(&times[times.len() - q..])?.median;
    Some((tflops(first), tflops(last)))
}

/// cuBLAS measured like the suite's GEMM: random inputs, L2 flushed before each sample,
/// sampled over [`LIKE_SUITE_LOAD_S`] of GEMM time.
fn gemm_like_suite(
    gpu: &Gpu,
    g: &CublasGemm,
    stream: crate::gpu::Stream,
) -> Result<GemmLikeSuite, String> {
    let e = |x: GpuError| x.to_string();
    g.a.upload(&random_bf16(N * N, 0x9E37_79B9_7F4A_7C15))
        .map_err(e)?;
    g.b.upload(&random_bf16(N * N, 0xD1B5_4A32_D192_ED03))
        .map_err(e)?;
    let mut flusher = L2Flusher::new(gpu.info.l2_bytes, gpu.info.sm_count).map_err(e)?;
    let ev = EventPair::new().map_err(e)?;
    // Warm-up: cuBLAS picks and loads its kernel.
    for _ in 0..3 {
        g.timed(&ev, stream, &mut || Ok(()))?;
    }
    let mut times = Vec::new();
    let mut load = 0.0;
    while load < LIKE_SUITE_LOAD_S && times.len() < LIKE_SUITE_MAX_SAMPLES {
        let t = g.timed(&ev, stream, &mut || flusher.flush(stream).map_err(e))?;
        load += t;
        times.push(t);
    }
    let (burst_tflops, sustained_tflops) =
        burst_and_sustained(&times).ok_or("too few like-for-like GEMM samples")?;
    Ok(GemmLikeSuite {
        burst_tflops,
        sustained_tflops,
        samples: times.len() as u32,
        load_s: load,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_inputs_are_bf16_in_minus_one_to_one() {
        let v = random_bf16(10_000, 1);
        let xs: Vec<f32> = v
            .chunks_exact(2)
            .map(|b| f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16))
            .collect();
        assert!(xs.iter().all(|x| (-1.0..1.0).contains(x)));
        let mean = xs.iter().sum::<f32>() / xs.len() as f32;
        assert!(mean.abs() < 0.05, "{mean}");
        assert!(xs.iter().filter(|x| **x < -0.5).count() > 2000);
    }

    #[test]
    fn the_like_for_like_figures_are_recorded_and_older_files_read() {
        let c = Ceilings {
            copy_gbps: Some(3000.0),
            gemm_bf16_tflops: Some(750.0),
            gemm_like_suite: Some(GemmLikeSuite {
                burst_tflops: 720.0,
                sustained_tflops: f64::NAN,
                samples: 2000,
                load_s: 0.5,
            }),
            note: None,
        };
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains(r#""sustained_tflops":"NaN""#), "{json}");
        let back: Ceilings = serde_json::from_str(&json).unwrap();
        assert_eq!(back.gemm_like_suite.as_ref().map(|l| l.samples), Some(2000));
        let old: Ceilings =
            serde_json::from_str(r#"{"copy_gbps":1.0,"gemm_bf16_tflops":null,"note":null}"#)
                .unwrap();
        assert_eq!(old.gemm_like_suite, None);
    }

    #[test]
    fn burst_is_the_first_quarter_and_sustained_the_last() {
        // 8 samples: 100 µs for the first half, 110 µs after.
        let t: Vec<f64> = (0..8).map(|i| if i < 4 { 1e-4 } else { 1.1e-4 }).collect();
        let (b, s) = burst_and_sustained(&t).unwrap();
        assert!((b - tflops(1e-4)).abs() < 1e-6 && (s - tflops(1.1e-4)).abs() < 1e-6);
        assert!(burst_and_sustained(&t[..3]).is_none());
    }
}
