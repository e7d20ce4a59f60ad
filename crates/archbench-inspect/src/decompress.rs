//! Decompressing fatbin payloads (zstd frames and raw LZ4 blocks) with bounded memory: the
//! output may never exceed the size the entry header declares, nor a global limit, and a
//! payload that expands to anything but its declared size is an error.
//!
//! zstd goes through the reference libzstd (the `zstd` crate, feature `libzstd`, on by
//! default): on cuBLASLt's payloads it decodes several times faster than the pure-Rust
//! `ruzstd` (numbers in `benches/inspect_vendor.rs` and docs/inspect.md). Without it (feature
//! `pure-rust-zstd`: what archbench's bench library uses, sparing a user's crate the C build)
//! `ruzstd` decodes, reading at most one byte past the declared size. Either way the output
//! cannot grow past the declared size.

use crate::error::{Codec, InspectError, Result};

/// Default cap on one decompressed payload (the largest cubins in cuBLAS are tens of MiB).
pub const DEFAULT_LIMIT: u64 = 512 << 20;

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
        Codec::Zstd => zstd_exact(input, want).map_err(|e| err(e.to_string()))?,
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

/// Decodes a zstd frame into at most `want` bytes, with one decoder context per thread.
#[cfg(feature = "libzstd")]
fn zstd_exact(input: &[u8], want: usize) -> std::io::Result<Vec<u8>> {
    thread_local! {
        static DCTX: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    DCTX.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new()?);
        }
        match slot.as_mut() {
            // A frame larger than `want` fails with "Destination buffer is too small".
            Some(d) => d.decompress(input, want),
            None => Err(std::io::Error::other("no zstd decoder")),
        }
    })
}

/// Decodes a zstd frame into at most `want` + 1 bytes (one more tells an oversized frame).
#[cfg(all(not(feature = "libzstd"), feature = "pure-rust-zstd"))]
fn zstd_exact(input: &[u8], want: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut src = input;
    let dec = ruzstd::decoding::StreamingDecoder::new(&mut src)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut out = Vec::with_capacity(want);
    dec.take(want as u64 + 1).read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(not(any(feature = "libzstd", feature = "pure-rust-zstd")))]
fn zstd_exact(_input: &[u8], _want: usize) -> std::io::Result<Vec<u8>> {
    Err(std::io::Error::other(
        "archbench-inspect was built without a zstd decoder (features `libzstd` or `pure-rust-zstd`)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `b"archbench " * 40` as a zstd frame (Python's zstandard, level 3).
    const FRAME: [u8; 27] = [
        0x28, 0xb5, 0x2f, 0xfd, 0x60, 0x90, 0x00, 0x8d, 0x00, 0x00, 0x50, 0x61, 0x72, 0x63, 0x68,
        0x62, 0x65, 0x6e, 0x63, 0x68, 0x20, 0x01, 0x00, 0x83, 0x55, 0x0b, 0x12,
    ];

    /// Whichever decoder this build has (`libzstd`, or `pure-rust-zstd`: CI tests both)
    /// decodes a frame to its declared size and refuses a wrong declaration.
    #[test]
    fn a_zstd_frame_decodes_to_exactly_its_declared_size() {
        let out = decompress(Codec::Zstd, &FRAME, 400, DEFAULT_LIMIT, 0).unwrap();
        assert_eq!(out, b"archbench ".repeat(40));
        let e = decompress(Codec::Zstd, &FRAME, 399, DEFAULT_LIMIT, 0).unwrap_err();
        assert!(matches!(e, InspectError::Decompress { .. }), "{e:?}");
        let e = decompress(Codec::Zstd, &FRAME, 401, DEFAULT_LIMIT, 0).unwrap_err();
        assert!(e.to_string().contains("declares 401"), "{e}");
        assert!(decompress(Codec::Zstd, &FRAME[..20], 400, DEFAULT_LIMIT, 0).is_err());
    }

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
