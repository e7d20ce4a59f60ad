//! The container in which `build.rs` embeds the kernel images and the build manifest into the
//! `archbench` binary: its layout, its writer (used by `build.rs`) and its reader (used by
//! `archbench::embedded`).
//!
//! The build script assembles the container into the binary with an `.incbin` directive
//! instead of Rust `include_bytes!`, so that no Rust source or constant changes when a kernel
//! changes: cargo then recompiles the library with every incremental query reused, instead of
//! having rustc and LLVM re-process megabytes of image bytes (issue 13's one-kernel rebuild).
//!
//! Layout, all integers little-endian:
//!
//! | offset | bytes | content |
//! |---|---|---|
//! | 0 | 16 | [`MAGIC`] |
//! | 16 | 8 | `O`, offset of the index |
//! | 24 | 8 | `L`, length of the index |
//! | 32, … | | the manifest (JSON text), then each image, every one 16-aligned |
//! | `O` | `L` | index: JSON, [`Index`], after the last region |
//!
//! Every region the index names lies between the header and the index and starts at a
//! multiple of [`ALIGN`] (the driver reads fatbins in place), which [`parse`] checks.
//!
//! ```
//! use archbench_core::embed;
//! let blob = embed::write("{}", &[("pkgsCuda", "gemm.cu", b"\x50\xed\x55\xba".as_slice())]).unwrap();
//! let c = embed::parse(&blob).unwrap();
//! assert_eq!(c.manifest, "{}");
//! assert_eq!(c.images[0].variant, "pkgsCuda");
//! assert_eq!(c.images[0].bytes, b"\x50\xed\x55\xba");
//! ```

use serde::{Deserialize, Serialize};

/// First 16 bytes of a container; the digit is the layout version.
pub const MAGIC: &[u8; 16] = b"ARCHBENCH-EMBED1";
/// Alignment of every region, relative to the container's start.
pub const ALIGN: usize = 16;

/// Errors of this layer: a container that is not one this build wrote, or names it cannot
/// store.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("the embedded kernel container is {0} bytes, too short for its {HEADER}-byte header")]
    Short(usize),
    #[error(
        "the embedded kernel container does not start with `ARCHBENCH-EMBED1` (a container of another layout version?)"
    )]
    Magic,
    #[error(
        "the embedded kernel container's index at {offset}+{len} is past its end ({size} bytes)"
    )]
    IndexBounds { offset: u64, len: u64, size: usize },
    #[error("the embedded kernel container's index is unreadable: {0}")]
    Index(serde_json::Error),
    #[error("the embedded kernel container's {what} at {offset}+{len} lies outside its data (bytes {HEADER}..{data_end})")]
    RegionBounds {
        what: String,
        offset: u64,
        len: u64,
        data_end: u64,
    },
    #[error("the embedded kernel container's {what} at {offset} is not {ALIGN}-byte aligned")]
    RegionAlign { what: String, offset: u64 },
    #[error("the embedded manifest is not UTF-8: {0}")]
    ManifestUtf8(std::str::Utf8Error),
    #[error("cannot embed {what} `{name}`: its name has quotes, backslashes or control characters, which the container's index does not store; rename it")]
    Name { what: &'static str, name: String },
}

/// Where one region lies in the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub offset: u64,
    pub len: u64,
}

/// The index, as stored.
#[derive(Debug, Serialize, Deserialize)]
pub struct Index<'a> {
    pub manifest: Region,
    #[serde(borrow)]
    pub images: Vec<IndexImage<'a>>,
}

/// One image's entry in the index.
#[derive(Debug, Serialize, Deserialize)]
pub struct IndexImage<'a> {
    pub variant: &'a str,
    /// The source under `kernels/`.
    pub file: &'a str,
    pub region: Region,
}

/// One image of a parsed container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Image<'a> {
    pub variant: &'a str,
    pub file: &'a str,
    pub bytes: &'a [u8],
}

/// A parsed container, borrowing from its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container<'a> {
    /// The build manifest (`archbench_core::manifest::BuildManifest` as JSON).
    pub manifest: &'a str,
    pub images: Vec<Image<'a>>,
}

const HEADER: usize = MAGIC.len() + 16;

/// Builds a container from the manifest JSON and `(variant, file, image)` triples, in order.
/// Names are stored as JSON strings and read back borrowed, so they must not need escapes.
pub fn write(manifest: &str, images: &[(&str, &str, &[u8])]) -> Result<Vec<u8>, EmbedError> {
    let plain = |what: &'static str, name: &str| {
        if name
            .chars()
            .any(|c| c == '"' || c == '\\' || c.is_control())
        {
            return Err(EmbedError::Name {
                what,
                name: name.escape_debug().to_string(),
            });
        }
        Ok(())
    };
    let mut buf = Vec::new();
    buf.extend_from_slice(MAGIC);
    buf.resize(HEADER, 0);
    let region = |buf: &mut Vec<u8>, bytes: &[u8]| {
        buf.resize(buf.len().next_multiple_of(ALIGN), 0);
        let offset = buf.len() as u64;
        buf.extend_from_slice(bytes);
        Region {
            offset,
            len: bytes.len() as u64,
        }
    };
    let manifest = region(&mut buf, manifest.as_bytes());
    let mut entries = Vec::with_capacity(images.len());
    for (variant, file, bytes) in images {
        plain("variant", variant)?;
        plain("kernel file", file)?;
        entries.push(IndexImage {
            variant,
            file,
            region: region(&mut buf, bytes),
        });
    }
    let index = Index {
        manifest,
        images: entries,
    };
    let json = serde_json::to_vec(&index).map_err(EmbedError::Index)?;
    let at = buf.len() as u64;
    buf[MAGIC.len()..MAGIC.len() + 8].copy_from_slice(&at.to_le_bytes());
    buf[MAGIC.len() + 8..HEADER].copy_from_slice(&(json.len() as u64).to_le_bytes());
    buf.extend_from_slice(&json);
    Ok(buf)
}

fn le64(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(s) = bytes.get(at..at + 8) {
        b.copy_from_slice(s);
    }
    u64::from_le_bytes(b)
}

/// Reads a container; every region is bounds- and alignment-checked.
pub fn parse(blob: &[u8]) -> Result<Container<'_>, EmbedError> {
    if blob.len() < HEADER {
        return Err(EmbedError::Short(blob.len()));
    }
    if &blob[..MAGIC.len()] != MAGIC {
        return Err(EmbedError::Magic);
    }
    let (index_at, index_len) = (le64(blob, MAGIC.len()), le64(blob, MAGIC.len() + 8));
    let index_bytes = usize::try_from(index_at)
        .ok()
        .zip(usize::try_from(index_len).ok())
        .filter(|(at, _)| *at >= HEADER)
        .and_then(|(at, len)| blob.get(at..at.checked_add(len)?))
        .ok_or(EmbedError::IndexBounds {
            offset: index_at,
            len: index_len,
            size: blob.len(),
        })?;
    let index: Index<'_> = serde_json::from_slice(index_bytes).map_err(EmbedError::Index)?;
    // Regions lie in the data part: after the header, before the index.
    let region = |what: &dyn Fn() -> String, r: Region| {
        if !r.offset.is_multiple_of(ALIGN as u64) {
            return Err(EmbedError::RegionAlign {
                what: what(),
                offset: r.offset,
            });
        }
        r.offset
            .checked_add(r.len)
            .filter(|end| r.offset >= HEADER as u64 && *end <= index_at)
            .and_then(|end| blob.get(usize::try_from(r.offset).ok()?..usize::try_from(end).ok()?))
            .ok_or_else(|| EmbedError::RegionBounds {
                what: what(),
                offset: r.offset,
                len: r.len,
                data_end: index_at,
            })
    };
    let manifest = region(&|| "manifest".into(), index.manifest)?;
    let manifest = std::str::from_utf8(manifest).map_err(EmbedError::ManifestUtf8)?;
    let images = index
        .images
        .iter()
        .map(|i| {
            Ok(Image {
                variant: i.variant,
                file: i.file,
                bytes: region(&|| format!("image {} of {}", i.file, i.variant), i.region)?,
            })
        })
        .collect::<Result<_, EmbedError>>()?;
    Ok(Container { manifest, images })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_order_bytes_and_alignment() {
        let imgs: Vec<(String, String, Vec<u8>)> = (0..40)
            .map(|i| {
                (
                    format!("v{}", i % 3),
                    format!("k{i}.cu"),
                    vec![i as u8; i * 37 + 1],
                )
            })
            .collect();
        let refs: Vec<(&str, &str, &[u8])> = imgs
            .iter()
            .map(|(v, f, b)| (v.as_str(), f.as_str(), b.as_slice()))
            .collect();
        let manifest = r#"{"manifest_version":3}"#;
        let blob = write(manifest, &refs).unwrap();
        let c = parse(&blob).unwrap();
        assert_eq!(c.manifest, manifest);
        assert_eq!(c.images.len(), refs.len());
        for (got, want) in c.images.iter().zip(&refs) {
            assert_eq!((got.variant, got.file, got.bytes), *want);
            let off = got.bytes.as_ptr() as usize - blob.as_ptr() as usize;
            assert_eq!(off % ALIGN, 0, "{} misaligned", got.file);
        }
    }

    #[test]
    fn empty_container_round_trips() {
        let blob = write("{}", &[]).unwrap();
        let c = parse(&blob).unwrap();
        assert_eq!((c.manifest, c.images.len()), ("{}", 0));
    }

    #[test]
    fn names_needing_escapes_are_refused() {
        let e = write("{}", &[("a\"b", "k.cu", b"x".as_slice())]).unwrap_err();
        assert!(e.to_string().contains("variant `a\\\"b`"), "{e}");
        assert!(e.to_string().contains("rename it"), "{e}");
    }

    /// A container with `index` as its index JSON after `data` bytes of data.
    fn with_index(data: usize, index: &str) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        let at = (HEADER + data) as u64;
        b.extend_from_slice(&at.to_le_bytes());
        b.extend_from_slice(&(index.len() as u64).to_le_bytes());
        b.resize(HEADER + data, b' ');
        b.extend_from_slice(index.as_bytes());
        b
    }

    #[test]
    fn damaged_containers_are_errors() {
        let blob = write("{}", &[("v", "k.cu", b"0123456789".as_slice())]).unwrap();
        assert!(matches!(parse(&blob[..10]), Err(EmbedError::Short(10))));
        let mut bad = blob.clone();
        bad[15] = b'9';
        let e = parse(&bad).unwrap_err();
        assert!(e.to_string().contains("`ARCHBENCH-EMBED1`"), "{e}");
        let mut bad = blob.clone();
        bad[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(parse(&bad), Err(EmbedError::IndexBounds { .. })));
        // Cut inside the index.
        assert!(matches!(
            parse(&blob[..blob.len() - 1]),
            Err(EmbedError::IndexBounds { .. })
        ));
        // An image reaching into the index.
        let c = with_index(
            16,
            r#"{"manifest":{"offset":32,"len":0},"images":[{"variant":"v","file":"k.cu","region":{"offset":32,"len":17}}]}"#,
        );
        let e = parse(&c).unwrap_err();
        assert!(
            e.to_string()
                .contains("image k.cu of v at 32+17 lies outside its data (bytes 32..48)"),
            "{e}"
        );
        // A region in the header.
        let c = with_index(16, r#"{"manifest":{"offset":16,"len":1},"images":[]}"#);
        assert!(matches!(parse(&c), Err(EmbedError::RegionBounds { .. })));
        // A misaligned region.
        let c = with_index(16, r#"{"manifest":{"offset":33,"len":1},"images":[]}"#);
        let e = parse(&c).unwrap_err();
        assert!(
            e.to_string()
                .contains("manifest at 33 is not 16-byte aligned"),
            "{e}"
        );
        // Overflowing offsets.
        let c = with_index(
            16,
            r#"{"manifest":{"offset":18446744073709551600,"len":100},"images":[]}"#,
        );
        assert!(matches!(parse(&c), Err(EmbedError::RegionBounds { .. })));
        // A name that needs escapes cannot be borrowed: an error, not a panic.
        let c = with_index(
            16,
            r#"{"manifest":{"offset":32,"len":0},"images":[{"variant":"a\"b","file":"k.cu","region":{"offset":32,"len":0}}]}"#,
        );
        assert!(matches!(parse(&c), Err(EmbedError::Index(_))));
    }
}
