//! The stable content hash of the kernel cache: 128 bits, the same on every platform and Rust
//! release (unlike `std`'s `DefaultHasher`), and fast even in the unoptimized build scripts
//! cargo builds by default (it mixes 8 bytes per step; a build hashes a few MB of headers).
//!
//! Not cryptographic: it guards a build cache against accidental collisions, as ccache's and
//! cargo's own fingerprints do.

/// A streaming hasher. [`StableHasher::field`] length-prefixes what it is given, so a
/// sequence of fields hashes unambiguously (`["ab", "c"]` differs from `["a", "bc"]`).
#[derive(Debug, Clone)]
pub(crate) struct StableHasher {
    a: u64,
    b: u64,
    len: u64,
}

const P1: u64 = 0x9E37_79B1_85EB_CA87;
const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const P3: u64 = 0x1656_67B1_9E37_79F9;

/// MurmurHash3's 64-bit finalizer: every input bit affects every output bit.
fn fmix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

impl StableHasher {
    pub(crate) fn new() -> Self {
        Self {
            a: 0x243F_6A88_85A3_08D3,
            b: 0x1319_8A2E_0370_7344,
            len: 0,
        }
    }

    fn word(&mut self, w: u64) {
        self.a = (self.a ^ w).wrapping_mul(P1).rotate_left(31);
        self.b = (self.b ^ w.rotate_left(23))
            .wrapping_add(self.a)
            .wrapping_mul(P2)
            .rotate_left(27);
    }

    /// Mixes raw bytes in (callers that need unambiguous sequences use [`Self::field`]).
    fn bytes(&mut self, data: &[u8]) {
        let chunks = data.chunks_exact(8);
        let tail = chunks.remainder();
        for c in chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.word(u64::from_le_bytes(w));
        }
        if !tail.is_empty() {
            let mut w = [0u8; 8];
            w[..tail.len()].copy_from_slice(tail);
            // The tail's length in the top byte keeps `[1]` and `[1, 0]` apart.
            self.word(u64::from_le_bytes(w) ^ ((tail.len() as u64) << 59) ^ P3);
        }
        self.len = self.len.wrapping_add(data.len() as u64);
    }

    /// Adds one length-prefixed field.
    pub(crate) fn field(&mut self, data: impl AsRef<[u8]>) -> &mut Self {
        let data = data.as_ref();
        self.word(data.len() as u64 ^ P3);
        self.bytes(data);
        self
    }

    /// The 128-bit digest.
    pub(crate) fn finish(&self) -> u128 {
        let a = fmix(self.a ^ self.len);
        let b = fmix(self.b.wrapping_add(a) ^ self.len.rotate_left(32));
        (u128::from(fmix(a ^ b.rotate_left(17))) << 64) | u128::from(b)
    }

    /// The digest as 32 hex digits (file names, cache records).
    pub(crate) fn hex(&self) -> String {
        format!("{:032x}", self.finish())
    }
}

/// The hash of a file's contents, as 32 hex digits.
pub(crate) fn content_hash(bytes: &[u8]) -> String {
    let mut h = StableHasher::new();
    h.field(bytes);
    h.hex()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn stable_and_unambiguous() {
        // Pinned: a change of the function would silently orphan every cache entry.
        assert_eq!(content_hash(b""), content_hash(b""));
        assert_eq!(
            content_hash(b"archbench"),
            "955821fef9b63439bdf15709c8a8d4a9"
        );
        let mut h1 = StableHasher::new();
        h1.field("ab").field("c");
        let mut h2 = StableHasher::new();
        h2.field("a").field("bc");
        assert_ne!(h1.finish(), h2.finish());
        assert_ne!(content_hash(&[1]), content_hash(&[1, 0]));
        // No collisions among many small, similar inputs.
        let mut seen = HashSet::new();
        for i in 0u32..20_000 {
            assert!(seen.insert(content_hash(&i.to_le_bytes())), "{i}");
            assert!(seen.insert(content_hash(i.to_string().as_bytes())), "{i}");
        }
        // Single-bit changes flip about half the output bits.
        let base = content_hash(&[0u8; 64]);
        for bit in 0..512 {
            let mut v = [0u8; 64];
            v[bit / 8] ^= 1 << (bit % 8);
            let a = u128::from_str_radix(&base, 16).unwrap_or(0);
            let b = u128::from_str_radix(&content_hash(&v), 16).unwrap_or(0);
            let flipped = (a ^ b).count_ones();
            assert!((30..=98).contains(&flipped), "bit {bit}: {flipped}");
        }
    }
}
