//! Bring your own binary: finding, in an existing CUDA binary (a fatbin, a cubin, a PTX file,
//! or a shared library or executable with device code), the module the driver would load
//! for a kernel, with archbench-inspect's parsers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use archbench_inspect::{ImageKind, InspectError, Options};

/// The largest binary read (PyTorch's `libtorch_cuda.so` is about 1 GB).
const LIMIT: u64 = 4 << 30;

/// Why a binary gives no module to load: the file cannot be read, holds no CUDA device
/// code, or holds no single module for the kernel asked for.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BinaryError {
    /// The file cannot be read (missing, unreadable, an I/O error).
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        /// Shared, so the error (and [`ImagesError`](crate::ImagesError)) can be cloned.
        source: Arc<std::io::Error>,
    },
    /// The path names a directory or another non-file.
    #[error("{} is not a regular file", path.display())]
    NotAFile { path: PathBuf },
    /// The file is larger than archbench reads.
    #[error("{} is {size} bytes; binaries above {limit} bytes are not read", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// The bytes are no CUDA binary archbench-inspect can read.
    #[error("{} holds no loadable CUDA device code: {source}", path.display())]
    NoDeviceCode { path: PathBuf, source: InspectError },
    /// No module the driver would load defines the kernel `name`.
    #[error(
        "no loadable module of {} defines kernel `{name}` (as its SASS lists it; C++ names are mangled: `archbench inspect --list {}` shows them)",
        path.display(),
        path.display()
    )]
    NoSuchKernel { path: PathBuf, name: String },
    /// No kernel was named and the binary has no module the driver would load.
    #[error("{} has no module the driver would load", path.display())]
    NoModule { path: PathBuf },
    /// No kernel was named and the binary has several modules the driver would load.
    #[error(
        "{} has {count} loadable modules; name a kernel (`entry`) to choose the one that defines it",
        path.display()
    )]
    SeveralModules { path: PathBuf, count: usize },
    /// The chosen module's offset and size point past the end of the file.
    #[error("module {module} of {} lies outside the file", path.display())]
    OutsideFile { path: PathBuf, module: usize },
}

impl BinaryError {
    /// The binary the error is about.
    pub fn path(&self) -> &Path {
        match self {
            BinaryError::Io { path, .. }
            | BinaryError::NotAFile { path }
            | BinaryError::TooLarge { path, .. }
            | BinaryError::NoDeviceCode { path, .. }
            | BinaryError::NoSuchKernel { path, .. }
            | BinaryError::NoModule { path }
            | BinaryError::SeveralModules { path, .. }
            | BinaryError::OutsideFile { path, .. } => path,
        }
    }
}

/// A module of a binary: its bytes and the capabilities of its SASS and PTX images.
pub struct Loaded {
    pub bytes: Vec<u8>,
    pub sass: Vec<String>,
    pub ptx: Vec<String>,
    /// The newest PTX ISA of its PTX images (`(9, 0)`), which decides the drivers that can
    /// JIT it.
    pub ptx_isa: Option<(u16, u16)>,
}

/// The module of `path` that holds `entry` (or its only loadable module when `entry` is
/// `None`).
pub fn load(path: &Path, entry: Option<&str>) -> Result<Loaded, BinaryError> {
    let io = |e: std::io::Error| BinaryError::Io {
        path: path.to_path_buf(),
        source: Arc::new(e),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(BinaryError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    if meta.len() > LIMIT {
        return Err(BinaryError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit: LIMIT,
        });
    }
    let d = std::fs::read(path).map_err(io)?;
    let opts = Options {
        // Decoded: kernel names (to find `entry`) and the PTX ISA (for the prediction).
        decode: true,
        keep_data: false,
        ..Options::default()
    };
    let bin = archbench_inspect::read(&d, opts).map_err(|source| BinaryError::NoDeviceCode {
        path: path.to_path_buf(),
        source,
    })?;
    let loadable: Vec<usize> = bin.loaded_modules().map(|(i, _)| i).collect();
    let chosen = match entry {
        Some(name) => {
            let holding: Vec<usize> = loadable
                .iter()
                .copied()
                .filter(|&m| {
                    bin.images
                        .iter()
                        .filter(|i| i.module == m)
                        .any(|i| i.kernels.iter().any(|k| k.name == name))
                })
                .collect();
            match holding.as_slice() {
                [] => {
                    return Err(BinaryError::NoSuchKernel {
                        path: path.to_path_buf(),
                        name: name.to_string(),
                    })
                }
                [one] => *one,
                more => {
                    // Several modules define it (one per architecture group in some
                    // libraries): the first is what a lookup by name gets here.
                    more[0]
                }
            }
        }
        None => match loadable.as_slice() {
            [one] => *one,
            [] => {
                return Err(BinaryError::NoModule {
                    path: path.to_path_buf(),
                })
            }
            more => {
                return Err(BinaryError::SeveralModules {
                    path: path.to_path_buf(),
                    count: more.len(),
                })
            }
        },
    };
    let module = &bin.modules[chosen];
    let bytes = usize::try_from(module.offset)
        .ok()
        .zip(usize::try_from(module.size).ok())
        .and_then(|(o, n)| d.get(o..o.checked_add(n)?))
        .ok_or_else(|| BinaryError::OutsideFile {
            path: path.to_path_buf(),
            module: chosen,
        })?
        .to_vec();
    let mut caps = Vec::new();
    let mut ptx = Vec::new();
    let mut ptx_isa: Option<(u16, u16)> = None;
    for i in bin.images.iter().filter(|i| i.module == chosen) {
        if i.kind == ImageKind::Ptx {
            ptx_isa = ptx_isa.max(i.ptx_isa);
        }
        let Some(a) = i.arch else { continue };
        let list = match i.kind {
            ImageKind::Sass => &mut caps,
            ImageKind::Ptx => &mut ptx,
            _ => continue,
        };
        let s = a.to_string();
        if !list.contains(&s) {
            list.push(s);
        }
    }
    Ok(Loaded {
        bytes,
        sass: caps,
        ptx,
        ptx_isa,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real cubin (nvcc 12.6, sm_90a) with kernels `_Z3addPfPKfi` and `_Z5scalePffi`.
    fn cubin() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/p12.6_90a.cubin")
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "archbench-binary-error-{}-{name}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    }

    #[test]
    fn a_kernel_of_a_cubin_is_found() {
        let l = load(&cubin(), Some("_Z3addPfPKfi")).expect("the cubin defines add");
        assert!(!l.bytes.is_empty());
        assert!(!l.sass.is_empty());
        let l = load(&cubin(), None).expect("a cubin is one module");
        assert!(!l.sass.is_empty());
    }

    #[test]
    fn each_failure_has_its_variant_and_message() {
        let missing = Path::new("/no/such/archbench/file.so");
        let e = load(missing, None).err().expect("a missing file fails");
        match &e {
            BinaryError::Io { path, source } => {
                assert_eq!(path, missing);
                assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("expected Io, got {other:?}"),
        }
        assert!(e
            .to_string()
            .starts_with("cannot read /no/such/archbench/file.so: "));
        assert!(std::error::Error::source(&e).is_some());
        assert_eq!(e.path(), missing);

        let dir = scratch("dir");
        let e = load(&dir, None).err().expect("a directory fails");
        assert!(matches!(e, BinaryError::NotAFile { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!("{} is not a regular file", dir.display())
        );

        let text = scratch("text").join("k.so");
        std::fs::write(&text, "not a binary").expect("a scratch file");
        let e = load(&text, None).err().expect("text is no device code");
        assert!(matches!(e, BinaryError::NoDeviceCode { .. }), "{e:?}");
        assert!(
            e.to_string().starts_with(&format!(
                "{} holds no loadable CUDA device code: not a CUDA binary",
                text.display()
            )),
            "{e}"
        );

        let c = cubin();
        let e = load(&c, Some("nope")).err().expect("no kernel `nope`");
        assert!(
            matches!(&e, BinaryError::NoSuchKernel { path, name } if *path == c && name == "nope"),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "no loadable module of {0} defines kernel `nope` (as its SASS lists it; C++ names are mangled: `archbench inspect --list {0}` shows them)",
                c.display()
            )
        );

        // The texts of the variants no small fixture reaches.
        let p = PathBuf::from("lib.so");
        let texts = [
            (
                BinaryError::TooLarge {
                    path: p.clone(),
                    size: 5 << 30,
                    limit: LIMIT,
                },
                "lib.so is 5368709120 bytes; binaries above 4294967296 bytes are not read",
            ),
            (
                BinaryError::NoModule { path: p.clone() },
                "lib.so has no module the driver would load",
            ),
            (
                BinaryError::SeveralModules {
                    path: p.clone(),
                    count: 3,
                },
                "lib.so has 3 loadable modules; name a kernel (`entry`) to choose the one that defines it",
            ),
            (
                BinaryError::OutsideFile { path: p, module: 2 },
                "module 2 of lib.so lies outside the file",
            ),
        ];
        for (e, text) in texts {
            assert_eq!(e.to_string(), text);
        }
        let _ = std::fs::remove_dir_all(dir);
        if let Some(d) = text.parent() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
