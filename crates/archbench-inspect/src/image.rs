//! The format-independent view: any input (cubin, fatbin, PTX text, host ELF with
//! `.nv_fatbin`) becomes a list of images — one SASS, PTX or LTO-IR blob each — grouped by the
//! module (fatbin) the driver loads them from.

use std::borrow::Cow;

use archbench_core::{Capability, Suffix};
use serde::Serialize;

use crate::cubin::{self, Kernel, Layout};
use crate::decompress::{decompress, DEFAULT_LIMIT};
use crate::elf::{self, Elf};
use crate::error::{Codec, InspectError, Result};
use crate::fatbin::{self, EntryKind};
use crate::ptx;

/// What kind of file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Cubin,
    Fatbin,
    Ptx,
    /// A host shared object or executable with `.nv_fatbin` (or `__nv_relfatbin`).
    HostElf,
}

/// What an image holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageKind {
    Sass,
    Ptx,
    Lto,
    Unknown,
}

impl ImageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageKind::Sass => "sass",
            ImageKind::Ptx => "ptx",
            ImageKind::Lto => "lto",
            ImageKind::Unknown => "unknown",
        }
    }
}

/// One image.
#[derive(Debug, Clone, Serialize)]
pub struct Image<'a> {
    /// The module (fatbin) it belongs to, 0-based; 0 for a lone cubin or PTX file.
    pub module: usize,
    pub kind: ImageKind,
    /// Architecture; `None` only for unknown kinds.
    pub arch: Option<Capability>,
    /// Whether `arch`'s suffix (or its absence) is recorded in the file. Standalone 13.0
    /// cubins built for `f` record it only in the ptxas command line; old ones not at all.
    pub suffix_known: bool,
    /// PTX ISA of PTX images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ptx_isa: Option<(u16, u16)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec: Option<Codec>,
    /// Bytes stored in the file.
    pub stored_size: u64,
    /// Bytes after decompression.
    pub size: u64,
    /// Offset of the image (fatbin entry header, or 0) in the file.
    pub offset: u64,
    pub debug: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toolkit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// Kernels; empty when not decoded ([`Options::decode`] off).
    pub kernels: Vec<Kernel>,
    /// Whether the payload was decoded (decompressed and parsed for kernels).
    pub decoded: bool,
    /// Decompressed bytes, kept with [`Options::keep_data`].
    #[serde(skip)]
    pub data: Option<Cow<'a, [u8]>>,
}

impl Image<'_> {
    /// `sm_90a` / `compute_90` / `lto_90` (`unknown` without an architecture).
    pub fn arch_name(&self) -> String {
        match (self.kind, self.arch) {
            (ImageKind::Sass, Some(a)) => a.sm(),
            (ImageKind::Ptx, Some(a)) => a.compute(),
            (ImageKind::Lto, Some(a)) => format!("lto_{}", a.dotless()),
            _ => "unknown".into(),
        }
    }

    /// File extension for `--extract`.
    pub fn extension(&self) -> &'static str {
        match self.kind {
            ImageKind::Sass => "cubin",
            ImageKind::Ptx => "ptx",
            ImageKind::Lto => "ltoir",
            ImageKind::Unknown => "bin",
        }
    }
}

/// A read binary.
#[derive(Debug, Clone, Serialize)]
pub struct Binary<'a> {
    pub format: Format,
    /// Number of modules (fatbins; 1 for a cubin or PTX file).
    pub modules: usize,
    pub images: Vec<Image<'a>>,
}

/// How much work to do.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Decompress payloads and read kernels (off: list only, like `cuobjdump --list-elf`).
    pub decode: bool,
    /// Keep decompressed bytes in [`Image::data`] (for `--extract`).
    pub keep_data: bool,
    /// Cap on one decompressed payload.
    pub limit: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            decode: true,
            keep_data: false,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// Sections of host ELF files that hold fatbins.
const FATBIN_SECTIONS: [&str; 2] = [".nv_fatbin", "__nv_relfatbin"];

/// Reads any supported binary.
pub fn read(d: &[u8], opts: Options) -> Result<Binary<'_>> {
    if fatbin::is_fatbin(d) {
        let fbs = fatbin::parse_all(d, 0)?;
        return from_fatbins(Format::Fatbin, &fbs, opts);
    }
    if elf::is_elf(d) {
        let e = Elf::parse(d)?;
        if e.machine == elf::EM_CUDA {
            let img = cubin_image(d, &e, opts, 0, 0)?;
            return Ok(Binary {
                format: Format::Cubin,
                modules: 1,
                images: vec![img],
            });
        }
        let mut all = Vec::new();
        let mut found = false;
        for s in e
            .sections
            .iter()
            .filter(|s| FATBIN_SECTIONS.contains(&s.name))
        {
            found = true;
            all.extend(fatbin::parse_all(e.section_data(s)?, s.offset)?);
        }
        if !found {
            return Err(InspectError::NoDeviceCode);
        }
        return from_fatbins(Format::HostElf, &all, opts);
    }
    if ptx::looks_like_ptx(d) {
        let p = ptx::parse(d)?;
        return Ok(Binary {
            format: Format::Ptx,
            modules: 1,
            images: vec![ptx_image(d, &p, 0, opts)],
        });
    }
    Err(InspectError::UnknownFormat {
        found: crate::bytes::preview(d),
    })
}

fn ptx_image<'a>(d: &'a [u8], p: &ptx::Ptx<'_>, module: usize, opts: Options) -> Image<'a> {
    Image {
        module,
        kind: ImageKind::Ptx,
        arch: Some(p.target),
        suffix_known: true,
        ptx_isa: Some((u16::from(p.isa.0), u16::from(p.isa.1))),
        codec: None,
        stored_size: d.len() as u64,
        size: d.len() as u64,
        offset: 0,
        debug: p.debug,
        layout: None,
        toolkit: None,
        identifier: None,
        kernels: p.entries.iter().map(|n| name_only(n)).collect(),
        decoded: true,
        data: opts.keep_data.then_some(Cow::Borrowed(d)),
    }
}

fn name_only(n: &str) -> Kernel {
    Kernel {
        name: n.to_string(),
        registers: None,
        shared_bytes: None,
        stack_bytes: None,
        param_bytes: None,
    }
}

fn cubin_image<'a>(
    d: &'a [u8],
    e: &Elf<'_>,
    opts: Options,
    module: usize,
    offset: u64,
) -> Result<Image<'a>> {
    let c = cubin::from_elf(e)?;
    Ok(Image {
        module,
        kind: ImageKind::Sass,
        arch: Some(c.arch),
        suffix_known: c.suffix_known,
        ptx_isa: None,
        codec: None,
        stored_size: d.len() as u64,
        size: d.len() as u64,
        offset,
        debug: false,
        layout: Some(c.layout),
        toolkit: c.toolkit,
        identifier: None,
        kernels: c.kernels,
        decoded: true,
        data: opts.keep_data.then_some(Cow::Borrowed(d)),
    })
}

fn from_fatbins<'a>(
    format: Format,
    fbs: &[fatbin::Fatbin<'a>],
    opts: Options,
) -> Result<Binary<'a>> {
    let mut images = Vec::new();
    for (module, fb) in fbs.iter().enumerate() {
        for en in &fb.entries {
            let kind = match en.kind {
                EntryKind::Cubin => ImageKind::Sass,
                EntryKind::Ptx => ImageKind::Ptx,
                EntryKind::LtoIr => ImageKind::Lto,
                EntryKind::Unknown(_) => ImageKind::Unknown,
            };
            let mut img = Image {
                module,
                kind,
                arch: en.arch(),
                suffix_known: true,
                ptx_isa: (kind == ImageKind::Ptx).then_some(en.version),
                codec: en.codec,
                stored_size: en.payload.len() as u64,
                size: en.uncompressed_size.unwrap_or(en.payload.len() as u64),
                offset: en.offset,
                debug: en.is_debug(),
                layout: None,
                toolkit: None,
                identifier: en.identifier.map(str::to_string),
                kernels: Vec::new(),
                decoded: false,
                data: None,
            };
            if opts.decode || opts.keep_data {
                let data: Cow<'a, [u8]> = match (en.codec, en.uncompressed_size) {
                    (Some(codec), Some(n)) => {
                        Cow::Owned(decompress(codec, en.payload, n, opts.limit, en.offset)?)
                    }
                    _ => Cow::Borrowed(en.payload),
                };
                if opts.decode {
                    decode_into(&mut img, &data)?;
                }
                if opts.keep_data {
                    img.data = Some(data);
                }
            }
            images.push(img);
        }
    }
    Ok(Binary {
        format,
        modules: fbs.len(),
        images,
    })
}

/// Reads kernels (and the details only the payload has) from a decompressed payload.
fn decode_into(img: &mut Image<'_>, data: &[u8]) -> Result<()> {
    match img.kind {
        ImageKind::Sass => {
            let c = cubin::parse(data)?;
            // The fatbin flags know `a`/`f`; the ELF confirms the SM number.
            if let Some(a) = img.arch {
                if a.base() != c.arch.base() {
                    return Err(InspectError::Invalid {
                        what: "fatbin cubin entry",
                        offset: img.offset,
                        detail: format!(
                            "entry header says {}, its ELF says {}",
                            a.sm(),
                            c.arch.sm()
                        ),
                    });
                }
                if a.suffix == Suffix::None && c.arch.suffix != Suffix::None {
                    img.arch = Some(c.arch);
                }
            }
            img.layout = Some(c.layout);
            img.toolkit = c.toolkit;
            img.kernels = c.kernels;
        }
        ImageKind::Ptx => {
            let p = ptx::parse(data)?;
            img.arch = Some(p.target);
            img.debug |= p.debug;
            img.kernels = p.entries.iter().map(|n| name_only(n)).collect();
        }
        ImageKind::Lto | ImageKind::Unknown => {}
    }
    img.decoded = true;
    Ok(())
}
