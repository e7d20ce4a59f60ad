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
//! | 16 | 8 | `L`, length of the index |
//! | 24 | `L` | index: JSON, [`Index`] |
//! | …, 16-aligned | | the manifest (JSON text) and each image, every one 16-aligned |
//!
//! Every region the index names lies inside the container and starts at a multiple of
//! [`ALIGN`] (the driver reads fatbins in place), which [`parse`] checks.
//!
//! ```
//! use archbench_core::embed::{self, Region};
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

/// Errors of this layer: a container that is not one this build wrote.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("the embedded kernel container is {0} bytes, too short for its {1}-byte header")]
    Short(usize, usize),
    #[error(
        "the embedded kernel container does not start with {MAGIC:?} (layout version mismatch?)"
    )]
    Magic,
    #[error("the embedded kernel container's index is {0} bytes, past its end ({1} bytes)")]
    IndexLength(u64, usize),
    #[error("the embedded kernel container's index is unreadable: {0}")]
    Index(serde_json::Error),
    #[error("the embedded kernel container's {what} lies at {offset}+{len}, outside its {size} bytes or not {ALIGN}-aligned")]
    Region {
        what: String,
        offset: u64,
        len: u64,
        size: usize,
    },
    #[error("the embedded manifest is not UTF-8: {0}")]
    ManifestUtf8(std::str::Utf8Error),
    #[error("cannot embed {what}: {why}")]
    Write { what: String, why: String },
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

const HEADER: usize = MAGIC.len() + 8;

fn pad(buf: &mut Vec<u8>) {
    buf.resize(buf.len().next_multiple_of(ALIGN), 0);
}

/// Builds a container from the manifest JSON and `(variant, file, image)` triples, in order.
/// Names are stored as JSON strings and read back borrowed, so they must not need escapes.
pub fn write(manifest: &str, images: &[(&str, &str, &[u8])]) -> Result<Vec<u8>, EmbedError> {
    for (variant, file, _) in images {
        for name in [variant, file] {
            if name
                .chars()
                .any(|c| c == '"' || c == '\\' || c.is_control())
            {
                return Err(EmbedError::Write {
                    what: format!("{name:?}"),
                    why: "a variant or file name with quotes, backslashes or control characters"
                        .into(),
                });
            }
        }
    }
    // Regions are laid out after the index, whose length depends on their offsets: lay out
    // relative to the data start, then shift by the (padded) header and index length until
    // the index length is stable (two rounds at most, as offsets only grow).
    let mut shift = 0u64;
    loop {
        let mut at = shift;
        let mut region = |len: usize| {
            let r = Region {
                offset: at,
                len: len as u64,
            };
            at = (at + len as u64).next_multiple_of(ALIGN as u64);
            r
        };
        let index = Index {
            manifest: region(manifest.len()),
            images: images
                .iter()
                .map(|(variant, file, bytes)| IndexImage {
                    variant,
                    file,
                    region: region(bytes.len()),
                })
                .collect(),
        };
        let json = serde_json::to_vec(&index).map_err(|e| EmbedError::Write {
            what: "the index".into(),
            why: e.to_string(),
        })?;
        let data_start = (HEADER + json.len()).next_multiple_of(ALIGN) as u64;
        if data_start != shift {
            shift = data_start;
            continue;
        }
        let mut buf = Vec::with_capacity(at as usize);
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&(json.len() as u64).to_le_bytes());
        buf.extend_from_slice(&json);
        pad(&mut buf);
        buf.extend_from_slice(manifest.as_bytes());
        for (_, _, bytes) in images {
            pad(&mut buf);
            buf.extend_from_slice(bytes);
        }
        return Ok(buf);
    }
}

/// Reads a container; every region is bounds- and alignment-checked.
pub fn parse(blob: &[u8]) -> Result<Container<'_>, EmbedError> {
    let header = blob
        .get(..HEADER)
        .ok_or(EmbedError::Short(blob.len(), HEADER))?;
    if &header[..MAGIC.len()] != MAGIC {
        return Err(EmbedError::Magic);
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&header[MAGIC.len()..]);
    let index_len = u64::from_le_bytes(len);
    let index_bytes = usize::try_from(index_len)
        .ok()
        .and_then(|l| blob.get(HEADER..HEADER.checked_add(l)?))
        .ok_or(EmbedError::IndexLength(index_len, blob.len()))?;
    let index: Index<'_> = serde_json::from_slice(index_bytes).map_err(EmbedError::Index)?;
    let region = |what: &dyn Fn() -> String, r: Region| {
        let bad = || EmbedError::Region {
            what: what(),
            offset: r.offset,
            len: r.len,
            size: blob.len(),
        };
        let start = usize::try_from(r.offset).map_err(|_| bad())?;
        let len = usize::try_from(r.len).map_err(|_| bad())?;
        if start % ALIGN != 0 {
            return Err(bad());
        }
        blob.get(start..start.checked_add(len).ok_or_else(bad)?)
            .ok_or_else(bad)
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
        assert!(e.to_string().contains("quotes"), "{e}");
    }

    #[test]
    fn damaged_containers_are_errors() {
        let blob = write("{}", &[("v", "k.cu", b"0123456789".as_slice())]).unwrap();
        assert!(matches!(parse(&blob[..10]), Err(EmbedError::Short(10, _))));
        let mut bad = blob.clone();
        bad[15] = b'9';
        assert!(matches!(parse(&bad), Err(EmbedError::Magic)));
        let mut bad = blob.clone();
        bad[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(parse(&bad), Err(EmbedError::IndexLength(..))));
        // Cut inside the last image: its region now lies past the end.
        let e = parse(&blob[..blob.len() - 1]).unwrap_err();
        assert!(e.to_string().contains("image k.cu of v"), "{e}");
        // A misaligned region.
        let json = br#"{"manifest":{"offset":25,"len":1},"images":[]}"#;
        let mut bad = MAGIC.to_vec();
        bad.extend_from_slice(&(json.len() as u64).to_le_bytes());
        bad.extend_from_slice(json);
        bad.resize(200, b' ');
        let e = parse(&bad).unwrap_err();
        assert!(e.to_string().contains("not 16-aligned"), "{e}");
    }
}
