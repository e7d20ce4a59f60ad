//! A build's kernel images and its manifest, as the engine reads them: one image per
//! (variant, image key), where the key is the kernel source's file name plus its
//! compile-time axis values (`saxpy.cu`, `tile.cu[TILE=32]`).
//!
//! They come from the container `archbench-build` links into the crate that built them
//! (through [`images!`](crate::images!)), or from an existing CUDA binary
//! ([`Images::from_binary`]: bring your own fatbin, cubin or shared library).

use std::borrow::Cow;
use std::path::Path;

use archbench_core::embed::{self, Container};
use archbench_core::manifest::{
    self, BuildManifest, CompileOptions, CrateManifest, FileBuild, VariantBuild, MANIFEST_VERSION,
};

use crate::workload::HostBytes;

pub use crate::binary::BinaryError;

/// Why the images cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ImagesError {
    #[error("the embedded kernel images are unreadable ({0}); rebuild the crate (`cargo clean -p <crate>` if it persists)")]
    Container(String),
    #[error("the embedded build manifest is unreadable ({0}); rebuild the crate")]
    Manifest(String),
    /// No images, for this reason (free text: what a caller of
    /// [`Images::unavailable`] says, such as a suite that needs none).
    #[error("{0}")]
    Binary(String),
    /// A binary given to [`Images::from_binary`] gives no module to load: which file, and
    /// why (unreadable, no CUDA device code, no module defining the kernel, …).
    #[error("{0}")]
    Load(#[from] BinaryError),
}

/// One image: a fatbin (or cubin, or PTX text) of one kernel source for one variant.
#[derive(Debug, Clone)]
pub struct Image {
    pub variant: String,
    /// `saxpy.cu`, `tile.cu[TILE=32]`, or a binary's own name.
    pub key: String,
    bytes: ImageBytes,
}

#[derive(Debug, Clone)]
enum ImageBytes {
    /// In the binary's read-only data, 16-byte aligned by the container.
    Static(&'static [u8]),
    /// Read at run time, 16-byte aligned.
    Owned(HostBytes),
}

impl Image {
    /// The image's bytes (16-byte aligned, as the driver reads fatbins in place).
    pub fn bytes(&self) -> &[u8] {
        match &self.bytes {
            ImageBytes::Static(b) => b,
            ImageBytes::Owned(h) => h.as_slice(),
        }
    }
}

/// The images of one build (or one binary) and its manifest.
#[derive(Debug, Clone)]
pub struct Images {
    manifest: Result<CrateManifest, ImagesError>,
    images: Vec<Image>,
}

impl Images {
    /// Reads a container written by `archbench-build` (what [`images!`](crate::images!)
    /// passes). A broken container gives an `Images` whose [`manifest`](Self::manifest) says
    /// why, never a panic.
    pub fn from_container(bytes: &'static [u8]) -> Self {
        let parsed = embed::parse(bytes).map_err(|e| ImagesError::Container(e.to_string()));
        match parsed {
            Ok(Container { manifest, images }) => Images {
                manifest: manifest::parse(manifest)
                    .map_err(|e| ImagesError::Manifest(e.to_string())),
                images: images
                    .into_iter()
                    .map(|i| Image {
                        variant: i.variant.to_string(),
                        key: i.file.to_string(),
                        bytes: ImageBytes::Static(i.bytes),
                    })
                    .collect(),
            },
            Err(e) => Images {
                manifest: Err(e),
                images: Vec::new(),
            },
        }
    }

    /// Images from a manifest and owned bytes (`(variant, key, bytes)`); used for binaries
    /// read at run time.
    pub fn from_parts(manifest: BuildManifest, images: Vec<(String, String, Vec<u8>)>) -> Self {
        Images {
            manifest: Ok(CrateManifest {
                build: manifest,
                package: None,
                variants_from: None,
                options: CompileOptions::default(),
                images: Vec::new(),
            }),
            images: images
                .into_iter()
                .map(|(variant, key, bytes)| Image {
                    variant,
                    key,
                    bytes: ImageBytes::Owned(HostBytes::from_slice(&bytes)),
                })
                .collect(),
        }
    }

    /// Images whose manifest could not be had.
    pub fn unavailable(why: ImagesError) -> Self {
        Images {
            manifest: Err(why),
            images: Vec::new(),
        }
    }

    /// Bring your own binary: the kernels of an existing `.so`, fatbin, cubin or PTX file
    /// (the exact images a Nix `pkgsForCudaArch.sm_90` build or a PyTorch wheel ships), as
    /// one variant named `variant` (default: the file's name) whose one image has the key
    /// `key` (default: the file's name). The driver chooses among the binary's images as it
    /// would for the program that ships it. A shared library's fatbins are found with
    /// archbench-inspect; the fatbin that holds `entry` (when given) is the one used.
    pub fn from_binary(
        path: &Path,
        variant: Option<&str>,
        key: Option<&str>,
        entry: Option<&str>,
    ) -> Result<Self, ImagesError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let crate::binary::Loaded {
            bytes,
            sass: caps,
            ptx,
            ptx_isa,
        } = crate::binary::load(path, entry)?;
        // The CUDA release whose nvcc writes that PTX ISA: which drivers can JIT it (the
        // predictor reads the building CUDA from `cuda_built`). Unknown ISA or no PTX: the
        // newest release that writes no newer ISA, or none.
        let cuda_built = ptx_isa
            .and_then(|(a, b)| {
                archbench_core::db::RELEASES
                    .iter()
                    .filter(|r| (u16::from(r.ptx_isa.0), u16::from(r.ptx_isa.1)) <= (a, b))
                    .max_by_key(|r| r.ptx_isa)
            })
            .map(|r| r.version.to_string())
            .unwrap_or_default();
        let variant = variant.unwrap_or(&name).to_string();
        let key = key.unwrap_or(&name).to_string();
        let manifest = BuildManifest {
            manifest_version: MANIFEST_VERSION,
            skipped: None,
            nvcc: None,
            variants: vec![VariantBuild {
                name: variant.clone(),
                cuda_requested: String::new(),
                cuda_built,
                capabilities: caps,
                ptx,
                forward_compat: false,
                gencode: Vec::new(),
                files: vec![FileBuild {
                    file: key.clone(),
                    fatbin_bytes: bytes.len() as u64,
                    compile_seconds: 0.0,
                    cached: true,
                    kernels: Vec::new(),
                }],
            }],
            wall_seconds: 0.0,
            jobs: 0,
        };
        Ok(Images::from_parts(manifest, vec![(variant, key, bytes)]))
    }

    /// The build manifest, or why it cannot be read.
    pub fn manifest(&self) -> Result<&BuildManifest, &ImagesError> {
        self.manifest.as_ref().map(|m| &m.build)
    }

    /// The whole manifest of an `archbench-build` build: the package, compile options and
    /// each image key's source.
    pub fn crate_manifest(&self) -> Result<&CrateManifest, &ImagesError> {
        self.manifest.as_ref()
    }

    /// The cargo package that built the images, when the manifest says.
    pub fn package(&self) -> Option<&str> {
        self.manifest.as_ref().ok()?.package.as_deref()
    }

    /// Every image, in build order.
    pub fn all(&self) -> &[Image] {
        &self.images
    }

    /// The image of `variant` with `key`.
    pub fn get(&self, variant: &str, key: &str) -> Option<&Image> {
        self.images
            .iter()
            .find(|i| i.variant == variant && i.key == key)
    }

    /// The images of one variant.
    pub fn of_variant<'a>(&'a self, variant: &'a str) -> impl Iterator<Item = &'a Image> + 'a {
        self.images.iter().filter(move |i| i.variant == variant)
    }

    /// Every image key of the build, in first-seen order.
    pub fn keys(&self) -> Vec<Cow<'_, str>> {
        let mut out: Vec<Cow<'_, str>> = Vec::new();
        for i in &self.images {
            if !out.iter().any(|k| k == &i.key) {
                out.push(Cow::Borrowed(&i.key));
            }
        }
        out
    }
}

/// The images `archbench-build` built for the calling crate, from the container its build
/// script linked in. Use it in the crate whose `build.rs` ran `archbench_build::Kernels`:
///
/// ```ignore
/// let images = archbench::images!();
/// ```
#[macro_export]
macro_rules! images {
    () => {
        $crate::Images::from_container(include!(concat!(env!("OUT_DIR"), "/archbench_images.rs")))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binary_that_cannot_load_says_why_in_a_type() {
        let missing = Path::new("/no/such/archbench/lib.so");
        let e = Images::from_binary(missing, None, None, None).unwrap_err();
        assert!(
            matches!(&e, ImagesError::Load(BinaryError::Io { path, .. }) if path == missing),
            "{e:?}"
        );
        // The text is the binary error's own.
        assert!(
            e.to_string()
                .starts_with("cannot read /no/such/archbench/lib.so: "),
            "{e}"
        );
        let none = ImagesError::Binary("none".into());
        assert_eq!(none.to_string(), "none");
        let images = Images::unavailable(none);
        assert!(matches!(images.manifest(), Err(ImagesError::Binary(s)) if s == "none"));
    }
}
