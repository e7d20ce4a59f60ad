//! Bring your own binary: finding, in an existing CUDA binary (a fatbin, a cubin, a PTX file,
//! or a shared library or executable with device code), the module the driver would load
//! for a kernel, with archbench-inspect's parsers.

use std::path::Path;

use archbench_inspect::{ImageKind, Options};

/// The largest binary read (PyTorch's `libtorch_cuda.so` is about 1 GB).
const LIMIT: u64 = 4 << 30;

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
pub fn load(path: &Path, entry: Option<&str>) -> Result<Loaded, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    if meta.len() > LIMIT {
        return Err(format!(
            "{} is {} bytes; binaries above {LIMIT} bytes are not read",
            path.display(),
            meta.len()
        ));
    }
    let d = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let opts = Options {
        // Decoded: kernel names (to find `entry`) and the PTX ISA (for the prediction).
        decode: true,
        keep_data: false,
        ..Options::default()
    };
    let bin = archbench_inspect::read(&d, opts)
        .map_err(|e| format!("{} holds no loadable CUDA device code: {e}", path.display()))?;
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
                    return Err(format!(
                        "no loadable module of {} defines kernel `{name}` (as its SASS lists it; C++ names are mangled: `archbench inspect --list {}` shows them)",
                        path.display(),
                        path.display()
                    ))
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
            [] => return Err(format!("{} has no module the driver would load", path.display())),
            more => {
                return Err(format!(
                    "{} has {} loadable modules; name a kernel (`entry`) to choose the one that defines it",
                    path.display(),
                    more.len()
                ))
            }
        },
    };
    let module = &bin.modules[chosen];
    let bytes = usize::try_from(module.offset)
        .ok()
        .zip(usize::try_from(module.size).ok())
        .and_then(|(o, n)| d.get(o..o.checked_add(n)?))
        .ok_or_else(|| {
            format!(
                "module {chosen} of {} lies outside the file",
                path.display()
            )
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
