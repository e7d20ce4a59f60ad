//! The kernel images and build manifest `build.rs` embedded into this binary, so the binary
//! can be copied alone to a GPU machine.

use archbench_core::manifest::BuildManifest;

/// Forces 16-byte alignment on embedded fatbins (the driver reads them in place).
#[repr(C, align(16))]
pub struct Aligned<T: ?Sized>(pub T);

/// One compiled (kernel file × variant) fatbin.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedImage {
    pub variant: &'static str,
    /// The source under `kernels/`.
    pub file: &'static str,
    pub fatbin: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

static MANIFEST_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/manifest.json"));

/// Errors of this layer.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("the embedded build manifest is unreadable ({0}); rebuild archbench")]
    Manifest(serde_json::Error),
}

/// The build manifest of this binary.
pub fn manifest() -> Result<BuildManifest, EmbeddedError> {
    serde_json::from_str(MANIFEST_JSON).map_err(EmbeddedError::Manifest)
}

/// The images of one variant.
pub fn images_of(variant: &str) -> impl Iterator<Item = &'static EmbeddedImage> + '_ {
    IMAGES.iter().filter(move |i| i.variant == variant)
}
