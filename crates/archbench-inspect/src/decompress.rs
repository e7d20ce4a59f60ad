//! Decompressing fatbin payloads (zstd frames and raw LZ4 blocks) with bounded memory: the
//! output may never exceed the size the entry header declares, nor a global limit, and a
//! payload that expands to anything but its declared size is an error.

use std::io::Read;

use crate::error::{Codec, InspectError, Result};

/// Default cap on one decompressed payload (the largest cubins in cuBLAS are tens of MiB).
pub const DEFAULT_LIMIT: u64 = 512 << 20;

/// Memory reserved up front at most; beyond it the buffer grows with the real output.
const PREALLOC_MAX: u64 = 16 << 20;

/// Decompresses `input` (found at `offset`, for messages) to exactly `declared` bytes.
pub fn decompress(
    codec: Codec,
    input: &[u8],
    declared: u64,
    limit: u64,
    offset: u64,
) -> Result<Vec<u8>> {
    if declared > limit {
        return Err(InspectError::TooLarge {
            codec,
            offset,
            declared,
            limit,
        });
    }
    let err = |detail: String| InspectError::Decompress {
        codec,
        offset,
        detail,
    };
    // `declared` ≤ `limit`, which the caller chose to fit memory; it fits usize on 64-bit.
    let want = usize::try_from(declared).map_err(|_| err("size does not fit memory".into()))?;
    let out = match codec {
        Codec::Lz4 => lz4_flex::block::decompress(input, want).map_err(|e| err(e.to_string()))?,
        Codec::Zstd => {
            let mut src = input;
            let dec = ruzstd::decoding::StreamingDecoder::new(&mut src)
                .map_err(|e| err(e.to_string()))?;
            let mut out = Vec::with_capacity(want.min(PREALLOC_MAX as usize));
            // One byte more than declared, to notice a payload that expands further.
            dec.take(declared + 1)
                .read_to_end(&mut out)
                .map_err(|e| err(e.to_string()))?;
            out
        }
    };
    if out.len() as u64 != declared {
        return Err(err(format!(
            "expands to {}{} bytes, but the header declares {declared}",
            out.len(),
            if out.len() as u64 > declared { "+" } else { "" }
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_size_over_limit_is_refused_before_work() {
        let e = decompress(Codec::Zstd, &[0x28, 0xb5, 0x2f, 0xfd], 1 << 40, 1 << 20, 16);
        assert!(matches!(e, Err(InspectError::TooLarge { .. })), "{e:?}");
    }

    #[test]
    fn lz4_roundtrip_and_size_mismatch() {
        let data = b"hello hello hello hello hello hello".repeat(10);
        let c = lz4_flex::block::compress(&data);
        let n = data.len() as u64;
        assert_eq!(
            decompress(Codec::Lz4, &c, n, DEFAULT_LIMIT, 0).unwrap(),
            data
        );
        assert!(matches!(
            decompress(Codec::Lz4, &c, n - 1, DEFAULT_LIMIT, 0),
            Err(InspectError::Decompress { .. })
        ));
    }

    #[test]
    fn garbage_is_a_typed_error() {
        for codec in [Codec::Lz4, Codec::Zstd] {
            let e = decompress(codec, &[0xff; 40], 1000, DEFAULT_LIMIT, 0);
            assert!(matches!(e, Err(InspectError::Decompress { .. })), "{e:?}");
        }
    }
}
