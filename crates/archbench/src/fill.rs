//! Seeded input generation: every check gets fresh random inputs from a recorded seed
//! (SplitMix64), so a failure can be reproduced exactly.

use crate::workload::{DType, Fill, F16};

/// SplitMix64: tiny, fast, and good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 bits of resolution.
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Derives the seed of one (kernel, case, variant, check) from the run's seed.
pub fn derive_seed(run_seed: u64, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ run_seed;
    for p in parts {
        for b in p.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    Rng::new(h).next_u64()
}

/// f32 → bf16 bits, round to nearest even (NaN stays NaN).
pub fn f32_to_bf16_bits(x: f32) -> u16 {
    crate::workload::Bf16::from_f32(x).0
}

pub fn bf16_bits_to_f32(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

/// Fills `bytes` (a buffer of `dtype`) as `fill` says.
pub fn fill(bytes: &mut [u8], dtype: DType, fill: Fill, rng: &mut Rng) {
    match fill {
        Fill::Zero => bytes.fill(0),
        Fill::Bytes => {
            for chunk in bytes.chunks_mut(8) {
                let r = rng.next_u64().to_le_bytes();
                chunk.copy_from_slice(&r[..chunk.len()]);
            }
        }
        Fill::Uniform(lo, hi) => {
            // f32 arithmetic, as archbench's results so far were made with.
            each(bytes, dtype, |_| f64::from(lo + (hi - lo) * rng.next_f32()));
        }
        Fill::Value(v) => each(bytes, dtype, |_| v),
        Fill::Iota => each(bytes, dtype, |i| i as f64),
    }
}

/// Writes `value(i)` into every element `i`, converted to `dtype` (integers truncate toward
/// zero and saturate; floats round to nearest).
fn each(bytes: &mut [u8], dtype: DType, mut value: impl FnMut(usize) -> f64) {
    let size = dtype.size();
    for (i, c) in bytes.chunks_exact_mut(size).enumerate() {
        let x = value(i);
        match dtype {
            DType::U8 => c[0] = x as u8,
            DType::I8 => c[0] = (x as i8) as u8,
            DType::I16 => c.copy_from_slice(&(x as i16).to_le_bytes()),
            DType::U16 => c.copy_from_slice(&(x as u16).to_le_bytes()),
            DType::I32 => c.copy_from_slice(&(x as i32).to_le_bytes()),
            DType::U32 => c.copy_from_slice(&(x as u32).to_le_bytes()),
            DType::I64 => c.copy_from_slice(&(x as i64).to_le_bytes()),
            DType::U64 => c.copy_from_slice(&(x as u64).to_le_bytes()),
            DType::F16 => c.copy_from_slice(&F16::from_f32(x as f32).0.to_le_bytes()),
            DType::Bf16 => c.copy_from_slice(&f32_to_bf16_bits(x as f32).to_le_bytes()),
            DType::F32 => c.copy_from_slice(&(x as f32).to_le_bytes()),
            DType::F64 => c.copy_from_slice(&x.to_le_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bf16_rounding() {
        assert_eq!(f32_to_bf16_bits(1.0), 0x3f80);
        assert_eq!(bf16_bits_to_f32(0x3f80), 1.0);
        // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties to even (1.0).
        assert_eq!(f32_to_bf16_bits(1.0 + 1.0 / 256.0), 0x3f80);
        // Just above halfway rounds up.
        assert_eq!(f32_to_bf16_bits(1.0 + 1.0 / 256.0 + 1.0 / 65536.0), 0x3f81);
        assert!(bf16_bits_to_f32(f32_to_bf16_bits(f32::NAN)).is_nan());
        assert_eq!(f32_to_bf16_bits(-2.0), 0xc000);
    }

    #[test]
    fn fills_are_seeded_and_in_range() {
        let mut a = vec![0u8; 4000];
        let mut b = vec![0u8; 4000];
        fill(
            &mut a,
            DType::F32,
            Fill::Uniform(-2.0, 3.0),
            &mut Rng::new(7),
        );
        fill(
            &mut b,
            DType::F32,
            Fill::Uniform(-2.0, 3.0),
            &mut Rng::new(7),
        );
        assert_eq!(a, b);
        let v: Vec<f32> = a
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert!(v.iter().all(|x| (-2.0..3.0).contains(x)));
        assert!(v.iter().any(|x| *x < -1.5) && v.iter().any(|x| *x > 2.5));
        fill(&mut b, DType::U8, Fill::Bytes, &mut Rng::new(8));
        assert_ne!(a, b);
        assert_ne!(derive_seed(1, &["a", "b"]), derive_seed(1, &["ab"]));
    }
}
