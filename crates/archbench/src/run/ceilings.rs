//! Roofline ceilings measured once per run on the same GPU: device-to-device copy bandwidth
//! and a cuBLAS bf16 GEMM (f32 accumulate, 4096³), each the median of repeated event-timed
//! runs; and both measured like the suite's kernels (random inputs for the GEMM, L2 flushed,
//! a sustained load, the clock stamps around each sample: burst and sustained medians and
//! the SM clock). cuBLAS is loaded dynamically; without it the GEMM ceilings are skipped with
//! a note.

use crate::gpu::{
    ClockStamps, Cublas, DeviceBuffer, EventPair, GemmInput, GemmShape, Gpu, GpuError, L2Flusher,
    Stream,
};
use crate::measure::Summary;
use crate::results::schema::{Ceilings, CopyLikeSuite, GemmLikeSuite, SampleClocks};

pub fn measure(gpu: &Gpu) -> Result<Ceilings, GpuError> {
    let stream = Stream::DEFAULT;
    let copy = copy_gbps(gpu, stream)?;
    let mut notes = Vec::new();
    let copy_like = copy_like_suite(gpu, stream)
        .map_err(|why| notes.push(format!("like-for-like copy: {why}")))
        .ok();
    let (gemm, like) = match CublasGemm::new() {
        Ok(g) => {
            let gemm = gemm_tflops(&g, stream).map_err(|why| notes.push(why)).ok();
            let like = gemm_like_suite(gpu, &g, stream)
                .map_err(|why| notes.push(format!("like-for-like cuBLAS GEMM: {why}")))
                .ok();
            (gemm, like)
        }
        Err(why) => {
            notes.push(format!("{why}; the GEMM ceiling is skipped"));
            (None, None)
        }
    };
    Ok(Ceilings {
        copy_gbps: Some(copy),
        gemm_bf16_tflops: gemm,
        gemm_like_suite: like,
        copy_like_suite: copy_like,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    })
}

/// Bytes each copy sample moves one way: a sixteenth of the GPU's memory, 64 MiB to 1 GiB.
fn copy_bytes(gpu: &Gpu) -> usize {
    (gpu.info.memory_bytes / 16).clamp(64 << 20, 1 << 30) as usize
}

/// Copy bandwidth in GB/s counting read + write bytes (as the memory-bound kernels count).
fn copy_gbps(gpu: &Gpu, stream: Stream) -> Result<f64, GpuError> {
    let bytes = copy_bytes(gpu);
    let a = DeviceBuffer::new(bytes)?;
    let b = DeviceBuffer::new(bytes)?;
    a.fill_byte(1)?;
    let ev = EventPair::new()?;
    let mut times = Vec::new();
    for i in 0..22 {
        ev.record_start(stream)?;
        b.copy_from_async(&a, stream)?;
        ev.record_end(stream)?;
        let t = ev.elapsed_s()?;
        if i >= 2 {
            times.push(t);
        }
    }
    let med = Summary::of(&times).map(|s| s.median).unwrap_or(f64::NAN);
    Ok(2.0 * bytes as f64 / med / 1e9)
}

/// cuBLAS and the 4096³ bf16 GEMM's buffers.
struct CublasGemm {
    cublas: Cublas,
    a: DeviceBuffer,
    b: DeviceBuffer,
    c: DeviceBuffer,
}

/// The GEMM's size (M = N = K).
const N: usize = 4096;

const SHAPE: GemmShape = GemmShape {
    m: N as u64,
    n: N as u64,
    k: N as u64,
    input: GemmInput::Bf16,
};

impl CublasGemm {
    fn new() -> Result<Self, String> {
        let e = |x: GpuError| x.to_string();
        let cublas = Cublas::open().map_err(e)?;
        let (a, b, c) = SHAPE.bytes();
        Ok(Self {
            cublas,
            a: DeviceBuffer::new(a as usize).map_err(e)?,
            b: DeviceBuffer::new(b as usize).map_err(e)?,
            c: DeviceBuffer::new(c as usize).map_err(e)?,
        })
    }

    /// Enqueues one GEMM (the suite's C = A·Bᵀ).
    fn run(&self, stream: Stream) -> Result<(), GpuError> {
        // SAFETY: the three buffers were allocated for SHAPE.
        unsafe {
            self.cublas
                .gemm_abt(&SHAPE, self.a.ptr(), self.b.ptr(), self.c.ptr(), stream)
        }
    }
}

fn tflops(seconds: f64) -> f64 {
    2.0 * (N as f64).powi(3) / seconds / 1e12
}

/// cuBLAS bf16 GEMM TFLOP/s at 4096³ on constant inputs, a short burst: the ceiling of every
/// committed run, kept as it was so `% of cuBLAS` stays comparable.
fn gemm_tflops(g: &CublasGemm, stream: Stream) -> Result<f64, String> {
    let e = |x: GpuError| x.to_string();
    // bf16 0x3c00 ≈ 0.0078: small values, no overflow.
    for buf in [&g.a, &g.b] {
        buf.fill_byte(0x3c).map_err(e)?;
    }
    let ev = EventPair::new().map_err(e)?;
    let mut times = Vec::new();
    for i in 0..12 {
        ev.record_start(stream).map_err(e)?;
        g.run(stream).map_err(e)?;
        ev.record_end(stream).map_err(e)?;
        let t = ev.elapsed_s().map_err(e)?;
        if i >= 2 {
            times.push(t);
        }
    }
    let med = Summary::of(&times)
        .map(|s| s.median)
        .ok_or("no GEMM samples")?;
    Ok(tflops(med))
}

/// Work time a like-for-like measurement samples over: long enough for the clocks to settle
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

/// The first-quarter and last-quarter medians of `times` (in sample order), seconds.
fn burst_and_sustained(times: &[f64]) -> Option<(f64, f64)> {
    let q = times.len() / 4;
    if q == 0 {
        return None;
    }
    let first = Summary::of(&times[..q])?.median;
    let last = Summary::of(&times[times.len() - q..])?.median;
    Some((first, last))
}

/// A sustained series of like-for-like samples: times in order, each sample's SM clock.
struct LoadSeries {
    times: Vec<f64>,
    clocks: Vec<f64>,
    load_s: f64,
}

/// Samples `work` like the suite samples a cold case, over [`LIKE_SUITE_LOAD_S`] of work:
/// L2 flushed, then the clock stamps and the events around the work.
fn sustained(
    gpu: &Gpu,
    stream: Stream,
    work: &mut dyn FnMut(Stream) -> Result<(), GpuError>,
) -> Result<LoadSeries, GpuError> {
    let mut flusher = L2Flusher::new(gpu.info.l2_bytes, gpu.info.sm_count)?;
    let stamps = ClockStamps::new(gpu.info.sm_count)?;
    let ev = EventPair::new()?;
    // Warm-up: cuBLAS picks and loads its kernel.
    for _ in 0..3 {
        work(stream)?;
    }
    stream
        .synchronize()
        .map_err(GpuError::driver("synchronising"))?;
    let mut s = LoadSeries {
        times: Vec::new(),
        clocks: Vec::new(),
        load_s: 0.0,
    };
    while s.load_s < LIKE_SUITE_LOAD_S && s.times.len() < LIKE_SUITE_MAX_SAMPLES {
        flusher.flush(stream)?;
        stamps.before(stream)?;
        ev.record_start(stream)?;
        work(stream)?;
        ev.record_end(stream)?;
        stamps.after(stream)?;
        let t = ev.elapsed_s()?;
        stream
            .synchronize()
            .map_err(GpuError::driver("synchronising"))?;
        s.clocks.push(stamps.span().map_or(f64::NAN, |c| c.mhz()));
        s.load_s += t;
        s.times.push(t);
    }
    Ok(s)
}

/// cuBLAS measured like the suite's GEMM: random inputs, L2 flushed before each sample,
/// sampled over [`LIKE_SUITE_LOAD_S`] of GEMM time.
fn gemm_like_suite(gpu: &Gpu, g: &CublasGemm, stream: Stream) -> Result<GemmLikeSuite, String> {
    let e = |x: GpuError| x.to_string();
    g.a.upload(&random_bf16(N * N, 0x9E37_79B9_7F4A_7C15))
        .map_err(e)?;
    g.b.upload(&random_bf16(N * N, 0xD1B5_4A32_D192_ED03))
        .map_err(e)?;
    let s = sustained(gpu, stream, &mut |st| g.run(st)).map_err(e)?;
    let (burst, sustained) =
        burst_and_sustained(&s.times).ok_or("too few like-for-like GEMM samples")?;
    Ok(GemmLikeSuite {
        burst_tflops: tflops(burst),
        sustained_tflops: tflops(sustained),
        samples: s.times.len() as u32,
        load_s: s.load_s,
        clocks: SampleClocks::of(&s.clocks),
    })
}

/// The device copy measured like the suite's memory-bound kernels (cold, sustained,
/// clocks recorded).
fn copy_like_suite(gpu: &Gpu, stream: Stream) -> Result<CopyLikeSuite, String> {
    let e = |x: GpuError| x.to_string();
    let bytes = copy_bytes(gpu);
    let a = DeviceBuffer::new(bytes).map_err(e)?;
    let b = DeviceBuffer::new(bytes).map_err(e)?;
    a.upload(&random_bf16(bytes / 2, 0x2545_F491_4F6C_DD1D))
        .map_err(e)?;
    let s = sustained(gpu, stream, &mut |st| b.copy_from_async(&a, st)).map_err(e)?;
    let (burst, sustained) =
        burst_and_sustained(&s.times).ok_or("too few like-for-like copy samples")?;
    let gbps = |t: f64| 2.0 * bytes as f64 / t / 1e9;
    Ok(CopyLikeSuite {
        burst_gbps: gbps(burst),
        sustained_gbps: gbps(sustained),
        bytes: bytes as u64,
        samples: s.times.len() as u32,
        load_s: s.load_s,
        clocks: SampleClocks::of(&s.clocks),
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
                clocks: SampleClocks::of(&[1755.0, f64::NAN]),
            }),
            copy_like_suite: Some(CopyLikeSuite {
                burst_gbps: 3000.0,
                sustained_gbps: 2950.0,
                bytes: 1 << 30,
                samples: 300,
                load_s: 0.5,
                clocks: SampleClocks::default(),
            }),
            note: None,
        };
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains(r#""sustained_tflops":"NaN""#), "{json}");
        let back: Ceilings = serde_json::from_str(&json).unwrap();
        assert_eq!(back.copy_like_suite, c.copy_like_suite);
        assert_eq!(
            back.gemm_like_suite
                .as_ref()
                .and_then(|l| l.clocks.clock_min_mhz),
            Some(1755.0)
        );
        assert_eq!(back.gemm_like_suite.as_ref().map(|l| l.samples), Some(2000));
        assert!(
            json.contains(r#""clock_median_mhz":1755.0,"clock_min_mhz":1755.0}"#),
            "{json}"
        );
        assert_eq!(
            json.matches("clock_median_mhz").count(),
            1,
            "absent clocks are left out: {json}"
        );
        let old: Ceilings =
            serde_json::from_str(r#"{"copy_gbps":1.0,"gemm_bf16_tflops":null,"note":null}"#)
                .unwrap();
        assert_eq!(old.gemm_like_suite, None);
        assert_eq!(old.copy_like_suite, None);
    }

    #[test]
    fn burst_is_the_first_quarter_and_sustained_the_last() {
        // 8 samples: 100 µs for the first half, 110 µs after.
        let t: Vec<f64> = (0..8).map(|i| if i < 4 { 1e-4 } else { 1.1e-4 }).collect();
        let (b, s) = burst_and_sustained(&t).unwrap();
        assert!((b - 1e-4).abs() < 1e-12 && (s - 1.1e-4).abs() < 1e-12);
        assert!(burst_and_sustained(&t[..3]).is_none());
    }
}
