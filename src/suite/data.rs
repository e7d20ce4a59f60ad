//! Buffer bytes <-> typed values (little-endian, as on the device) and image pitches.

use super::bf16;
use super::workload::{DType, POISON};

/// Image row pitch: `row_bytes` rounded up to a multiple of 256 bytes.
pub fn pitch(row_bytes: usize) -> usize {
    row_bytes.div_ceil(256) * 256
}

/// Reads a float buffer (f32 or bf16) as f32 values.
pub fn floats(dtype: DType, bytes: &[u8]) -> Vec<f32> {
    match dtype {
        DType::F32 => bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        DType::Bf16 => bytes
            .chunks_exact(2)
            .map(|c| bf16::to_f32(u16::from_le_bytes([c[0], c[1]])))
            .collect(),
        other => panic!("{other:?} is not a float dtype"),
    }
}

/// Writes f64 results as a float buffer (f32: rounded to nearest; bf16: by hand, RNE).
pub fn float_bytes(dtype: DType, values: &[f64]) -> Vec<u8> {
    match dtype {
        DType::F32 => values
            .iter()
            .flat_map(|&v| (v as f32).to_le_bytes())
            .collect(),
        DType::Bf16 => values
            .iter()
            .flat_map(|&v| bf16::from_f64(v).to_le_bytes())
            .collect(),
        other => panic!("{other:?} is not a float dtype"),
    }
}

/// A pitched image buffer of `rows` rows whose padding bytes hold the runtime's poison
/// (kernels must leave padding alone).
pub fn poisoned(rows: usize, pitch: usize) -> Vec<u8> {
    vec![POISON; rows * pitch]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(pitch(1), 256);
        assert_eq!(pitch(256), 256);
        assert_eq!(pitch(3 * 3840), 11520);
        let b = float_bytes(DType::F32, &[1.5, -2.0]);
        assert_eq!(floats(DType::F32, &b), vec![1.5, -2.0]);
        let b = float_bytes(DType::Bf16, &[1.0, 0.5]);
        assert_eq!(b, vec![0x80, 0x3f, 0x00, 0x3f]);
        assert_eq!(floats(DType::Bf16, &b), vec![1.0, 0.5]);
    }
}
