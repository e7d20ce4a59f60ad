//! The kernel images and build manifest `build.rs` embedded into this binary, so the binary
//! can be copied alone to a GPU machine.
//!
//! They travel in one container (`archbench_core::embed`), linked in by the build script as
//! the symbol `archbench_embedded_v1` (`build_support/embed_asm.rs`), not through
//! `include_bytes!`: no Rust item here changes when a kernel does, so a one-kernel rebuild
//! recompiles none of the library.

use std::sync::OnceLock;

use archbench_core::embed::{self, Container, EmbedError};
use archbench_core::manifest::BuildManifest;

/// One compiled (kernel file × variant) fatbin.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedImage {
    pub variant: &'static str,
    /// The source under `kernels/`.
    pub file: &'static str,
    /// 16-byte aligned (the driver reads fatbins in place).
    pub fatbin: &'static [u8],
}

/// Errors of this layer.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("the embedded build manifest is unreadable ({0}); rebuild archbench")]
    Manifest(serde_json::Error),
    #[error("{0}; rebuild archbench")]
    Container(&'static EmbedError),
}

/// `{ pointer, length }` of the container, as the assembler laid it out.
#[repr(C)]
struct RawContainer {
    ptr: *const u8,
    len: usize,
}

extern "C" {
    static archbench_embedded_v1: RawContainer;
}

/// The container's bytes.
fn container_bytes() -> &'static [u8] {
    // SAFETY: `archbench_embedded_v1` is defined by the build script's assembly as the address
    // and length of the `.incbin`'d container, in read-only data that lives as long as the
    // program and is never written.
    unsafe {
        let raw = &*std::ptr::addr_of!(archbench_embedded_v1);
        std::slice::from_raw_parts(raw.ptr, raw.len)
    }
}

struct Parsed {
    manifest: &'static str,
    images: Vec<EmbeddedImage>,
}

fn parsed() -> Result<&'static Parsed, EmbeddedError> {
    static PARSED: OnceLock<Result<Parsed, EmbedError>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            let Container { manifest, images } = embed::parse(container_bytes())?;
            let images = images
                .into_iter()
                .map(|i| EmbeddedImage {
                    variant: i.variant,
                    file: i.file,
                    fatbin: i.bytes,
                })
                .collect();
            Ok(Parsed { manifest, images })
        })
        .as_ref()
        .map_err(EmbeddedError::Container)
}

/// The build manifest of this binary.
pub fn manifest() -> Result<BuildManifest, EmbeddedError> {
    serde_json::from_str(parsed()?.manifest).map_err(EmbeddedError::Manifest)
}

/// Every embedded image, in build order; an unreadable container (which [`manifest`] reports)
/// has none.
pub fn images() -> &'static [EmbeddedImage] {
    parsed().map(|p| p.images.as_slice()).unwrap_or(&[])
}

/// The images of one variant.
pub fn images_of(variant: &str) -> impl Iterator<Item = &'static EmbeddedImage> + '_ {
    images().iter().filter(move |i| i.variant == variant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_matches_the_manifest() {
        let m = manifest().expect("the embedded container parses");
        let imgs = images();
        if m.skipped.is_some() {
            assert!(imgs.is_empty());
            return;
        }
        let per_variant: Vec<usize> = m
            .variants
            .iter()
            .map(|v| images_of(&v.name).count())
            .collect();
        assert_eq!(per_variant.iter().sum::<usize>(), imgs.len());
        for (v, n) in m.variants.iter().zip(&per_variant) {
            assert_eq!(*n, v.files.len(), "{}", v.name);
        }
        for i in imgs {
            assert_eq!(
                i.fatbin.as_ptr() as usize % 16,
                0,
                "{} {}",
                i.variant,
                i.file
            );
            // A fatbin starts with its magic, 0xBA55ED50 little-endian.
            assert_eq!(i.fatbin.get(..4), Some(&[0x50, 0xed, 0x55, 0xba][..]));
        }
    }
}
