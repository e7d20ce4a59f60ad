//! bf16 by hand (no crate): bf16 is the top 16 bits of an f32; conversion from f32 rounds to
//! nearest, ties to even. Used by the CPU references, independently of the GPU runtime's fill.

/// bf16 bits to f32 (exact).
pub fn to_f32(bits: u16) -> f32 {
    f32::from_bits(u32::from(bits) << 16)
}

/// f32 to bf16 bits, round to nearest even; NaN stays a (quiet) NaN.
pub fn from_f32(x: f32) -> u16 {
    let b = x.to_bits();
    if x.is_nan() {
        return ((b >> 16) as u16) | 0x0040;
    }
    let lsb = (b >> 16) & 1;
    (b.wrapping_add(0x7fff + lsb) >> 16) as u16
}

/// f64 to bf16 bits via f32 (the double rounding can differ from a direct rounding only in
/// the last bf16 bit on exact f32 ties, far inside every bf16 tolerance of the suite).
pub fn from_f64(x: f64) -> u16 {
    from_f32(x as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(from_f32(1.0), 0x3f80);
        assert_eq!(from_f32(-2.0), 0xc000);
        assert_eq!(to_f32(0x3f80), 1.0);
        // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: rounds to even (1.0).
        assert_eq!(from_f32(1.0 + 1.0 / 256.0), 0x3f80);
        // 1 + 3 * 2^-8 is a tie between 1 + 2^-7 (odd) and 1 + 2^-6: rounds up to even.
        assert_eq!(from_f32(1.0 + 3.0 / 256.0), 0x3f82);
        // Just above the tie rounds up.
        assert_eq!(from_f32(f32::from_bits(0x3f80_8001)), 0x3f81);
        assert_eq!(from_f32(f32::INFINITY), 0x7f80);
        assert!(to_f32(from_f32(f32::NAN)).is_nan());
        // The largest finite f32 rounds to infinity.
        assert_eq!(from_f32(f32::MAX), 0x7f80);
    }
}
