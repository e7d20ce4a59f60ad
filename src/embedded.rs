//! The kernel images and build manifest `build.rs` embedded into this binary, so the binary
//! can be copied alone to a GPU machine.
//!
//! They travel in one container (`archbench_core::embed`), which `archbench-build` links in
//! under a per-package symbol (an assembled `.incbin`, not `include_bytes!`: no Rust item
//! here changes when a kernel does, so a one-kernel rebuild recompiles none of the library).

use std::sync::OnceLock;

use archbench::{Images, ImagesError};
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
    #[error("{0}; rebuild archbench")]
    Images(ImagesError),
}

/// The container's bytes, linked in by `archbench-build`.
fn container_bytes() -> &'static [u8] {
    include!(concat!(env!("OUT_DIR"), "/archbench_images.rs"))
}

fn parsed() -> &'static Images {
    static IMAGES: OnceLock<Images> = OnceLock::new();
    IMAGES.get_or_init(|| Images::from_container(container_bytes()))
}

/// The images of this binary, for the engine.
pub fn images() -> Images {
    parsed().clone()
}

/// The build manifest of this binary.
pub fn manifest() -> Result<BuildManifest, EmbeddedError> {
    parsed()
        .manifest()
        .cloned()
        .map_err(|e| EmbeddedError::Images(e.clone()))
}

/// Every embedded image, in build order; an unreadable container (which [`manifest`] reports)
/// has none.
pub fn all_images() -> impl Iterator<Item = EmbeddedImage> {
    parsed().all().iter().map(|i| EmbeddedImage {
        variant: &i.variant,
        file: &i.key,
        fatbin: i.bytes(),
    })
}

/// The images of one variant.
pub fn images_of(variant: &str) -> impl Iterator<Item = EmbeddedImage> + '_ {
    all_images().filter(move |i| i.variant == variant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_matches_the_manifest() {
        let m = manifest().expect("the embedded container parses");
        let imgs: Vec<EmbeddedImage> = all_images().collect();
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
