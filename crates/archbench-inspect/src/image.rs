//! The format-independent view: any input (cubin, fatbin, PTX text, host ELF) becomes a list
//! of modules — each a fatbin (or the lone cubin/PTX file) with the section it came from and
//! whether the driver loads it — and a list of images, one SASS, PTX or LTO-IR blob each.
//! Payloads are decoded in parallel, only when asked ([`Options::decode`]).

use std::borrow::Cow;
use std::ops::Range;

use archbench_core::{Capability, Suffix};
use serde::Serialize;

use crate::cubin::{self, Kernel, Layout};
use crate::decompress::{decompress, DEFAULT_LIMIT};
use crate::elf::{self, Elf};
use crate::error::{Codec, InspectError, Result};
use crate::fatbin::{self, Entry, EntryKind};
use crate::host::{self, HostInfo, ModuleKind};
use crate::ptx;

/// What kind of file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Cubin,
    Fatbin,
    Ptx,
    /// A host shared object or executable with device code (`.nv_fatbin`, `__nv_relfatbin`,
    /// or fatbins embedded in other sections).
    HostElf,
}

/// What an image holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
    /// Obfuscated LTO-IR (fatbin flag 0x10000): listed, not decoded, not extracted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub obfuscated: bool,
    /// Impossible or contradictory values found in the entry header or the cubin.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Decoded `e_flags` of cubins: ELF ABI version, raw value, and the set bits by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elf_flags: Option<ElfFlags>,
    /// Where the stored payload lies in the file (for [`payload`]).
    #[serde(skip)]
    pub payload_range: Range<u64>,
    /// Whether the payload was decoded (decompressed and parsed for kernels).
    pub decoded: bool,
    /// Decompressed bytes, kept with [`Options::keep_data`].
    #[serde(skip)]
    pub data: Option<Cow<'a, [u8]>>,
}

/// A cubin's `e_flags`, decoded per ELF ABI version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElfFlags {
    pub abi_version: u8,
    pub e_flags: u32,
    pub names: Vec<&'static str>,
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

    /// The architecture as cuobjdump names extracted files: `sm_90a`, `sm_100` for `sm_100f`
    /// (it does not show `f`), `sm_90` for PTX too.
    pub fn cuobjdump_arch(&self) -> String {
        match self.arch {
            Some(a) if a.suffix == Suffix::Family => a.base().sm(),
            Some(a) => a.sm(),
            None => "unknown".into(),
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

/// One module: a fatbin, or the lone cubin / PTX file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Module {
    pub kind: ModuleKind,
    /// The host ELF section it lies in (`.nv_fatbin`, `__nv_relfatbin`, `.ldata`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// Offset and size in the file.
    pub offset: u64,
    pub size: u64,
}

/// A read binary.
#[derive(Debug, Clone, Serialize)]
pub struct Binary<'a> {
    pub format: Format,
    /// The modules (fatbins; one for a cubin or PTX file); [`Image::module`] indexes it.
    pub modules: Vec<Module>,
    pub images: Vec<Image<'a>>,
    /// For host ELF files: its machine and the CUDA runtime it links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<HostInfo>,
}

impl Binary<'_> {
    /// Modules the driver may load (not relocatable ones).
    pub fn loaded_modules(&self) -> impl Iterator<Item = (usize, &Module)> {
        self.modules
            .iter()
            .enumerate()
            .filter(|(_, m)| m.kind.is_loaded())
    }

    /// The newest `Cuda compilation tools, release X.Y` of its cubins (decoded ones only).
    pub fn toolkit_release(&self) -> Option<(u16, u16)> {
        self.images
            .iter()
            .filter_map(|i| i.toolkit.as_deref())
            .filter_map(release_of)
            .max()
    }
}

/// `(13, 0)` from `Cuda compilation tools, release 13.0, V13.0.88`.
fn release_of(line: &str) -> Option<(u16, u16)> {
    let rest = &line[line.find("release ")? + "release ".len()..];
    let v = rest.split(',').next()?.trim();
    let (a, b) = v.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
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

/// Stored bytes decoded per batch before the batch's input pages are released.
const BATCH_BYTES: u64 = 64 << 20;

/// Reads any supported binary.
pub fn read(d: &[u8], opts: Options) -> Result<Binary<'_>> {
    read_with(d, opts, &|_| {})
}

/// [`read`], calling `release(range)` for file ranges it is done with, so a memory-mapped
/// input can drop those pages (see [`crate::file::FileBytes::release`]).
pub fn read_with<'a>(
    d: &'a [u8],
    opts: Options,
    release: &(dyn Fn(Range<usize>) + Sync),
) -> Result<Binary<'a>> {
    if fatbin::is_fatbin(d) {
        let fbs = fatbin::parse_all(d, 0)?;
        let found = fbs
            .into_iter()
            .map(|fb| (ModuleKind::Loadable, None, fb))
            .collect();
        return from_fatbins(d, Format::Fatbin, found, None, opts, release);
    }
    if elf::is_elf(d) {
        let e = Elf::parse(d)?;
        if e.machine == elf::EM_CUDA {
            let img = cubin_image(d, &e, opts)?;
            return Ok(single(Format::Cubin, d, img));
        }
        let found = host::fatbins(&e, release)?;
        if found.is_empty() {
            return Err(InspectError::NoDeviceCode);
        }
        let info = host::info(&e)?;
        let found = found
            .into_iter()
            .map(|f| (f.kind, Some(f.section.to_string()), f.fatbin))
            .collect();
        release(0..d.len());
        return from_fatbins(d, Format::HostElf, found, Some(info), opts, release);
    }
    if ptx::looks_like_ptx(d) {
        let p = ptx::parse(d)?;
        return Ok(single(Format::Ptx, d, ptx_image(d, &p, opts)));
    }
    Err(InspectError::UnknownFormat {
        found: crate::bytes::preview(d),
    })
}

/// The payload of an image, decompressed: what `--extract` writes. Borrowed when stored
/// uncompressed; PTX without its trailing NUL padding, as cuobjdump extracts it.
pub fn payload<'a>(d: &'a [u8], img: &Image<'_>, limit: u64) -> Result<Cow<'a, [u8]>> {
    let stored = crate::bytes::range(
        d,
        img.payload_range.start,
        img.payload_range
            .end
            .saturating_sub(img.payload_range.start),
        "image payload",
    )?;
    let data = match img.codec {
        Some(codec) => Cow::Owned(decompress(codec, stored, img.size, limit, img.offset)?),
        None => Cow::Borrowed(stored),
    };
    Ok(if img.kind == ImageKind::Ptx {
        trim_nul(data)
    } else {
        data
    })
}

/// Drops trailing NULs (fatbin padding after PTX text).
fn trim_nul(data: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    let end = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    match data {
        Cow::Borrowed(b) => Cow::Borrowed(&b[..end]),
        Cow::Owned(mut v) => {
            v.truncate(end);
            Cow::Owned(v)
        }
    }
}

fn single<'a>(format: Format, d: &'a [u8], img: Image<'a>) -> Binary<'a> {
    Binary {
        format,
        modules: vec![Module {
            kind: ModuleKind::Loadable,
            section: None,
            offset: 0,
            size: d.len() as u64,
        }],
        images: vec![img],
        host: None,
    }
}

fn ptx_image<'a>(d: &'a [u8], p: &ptx::Ptx<'_>, opts: Options) -> Image<'a> {
    let isa = (u16::from(p.isa.0), u16::from(p.isa.1));
    let mut warnings = Vec::new();
    if !crate::arch::ptx_isa_plausible(isa) {
        warnings.push(format!(
            "`.version {}.{}` is a PTX ISA no CUDA release emits",
            isa.0, isa.1
        ));
    }
    Image {
        module: 0,
        kind: ImageKind::Ptx,
        arch: Some(p.target),
        suffix_known: true,
        ptx_isa: Some(isa),
        codec: None,
        stored_size: d.len() as u64,
        size: d.len() as u64,
        offset: 0,
        debug: p.debug,
        layout: None,
        toolkit: None,
        identifier: None,
        kernels: p.entries.iter().map(|n| name_only(n)).collect(),
        obfuscated: false,
        warnings,
        elf_flags: None,
        payload_range: 0..d.len() as u64,
        decoded: true,
        data: opts.keep_data.then(|| trim_nul(Cow::Borrowed(d))),
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

fn cubin_image<'a>(d: &'a [u8], e: &Elf<'_>, opts: Options) -> Result<Image<'a>> {
    let c = cubin::from_elf(e)?;
    Ok(Image {
        module: 0,
        kind: ImageKind::Sass,
        arch: Some(c.arch),
        suffix_known: c.suffix_known,
        ptx_isa: None,
        codec: None,
        stored_size: d.len() as u64,
        size: d.len() as u64,
        offset: 0,
        debug: false,
        layout: Some(c.layout),
        toolkit: c.toolkit,
        identifier: None,
        kernels: c.kernels,
        obfuscated: false,
        warnings: c.warnings,
        elf_flags: Some(ElfFlags {
            abi_version: c.abi_version,
            e_flags: c.e_flags,
            names: c.flag_names,
        }),
        payload_range: 0..d.len() as u64,
        decoded: true,
        data: opts.keep_data.then_some(Cow::Borrowed(d)),
    })
}

/// The listing of one fatbin entry (nothing decompressed).
fn entry_image<'a>(module: usize, en: &Entry<'a>, payload_at: u64) -> Image<'a> {
    let kind = match en.kind {
        EntryKind::Cubin => ImageKind::Sass,
        EntryKind::Ptx => ImageKind::Ptx,
        EntryKind::LtoIr => ImageKind::Lto,
        EntryKind::Unknown(_) => ImageKind::Unknown,
    };
    let isa_ok = crate::arch::ptx_isa_plausible(en.version);
    Image {
        module,
        kind,
        arch: en.arch(),
        suffix_known: true,
        ptx_isa: (kind == ImageKind::Ptx && isa_ok).then_some(en.version),
        codec: en.codec,
        stored_size: en.payload.len() as u64,
        size: en.uncompressed_size.unwrap_or(en.payload.len() as u64),
        offset: en.offset,
        debug: en.is_debug(),
        layout: None,
        toolkit: None,
        identifier: en.identifier.map(str::to_string),
        kernels: Vec::new(),
        obfuscated: en.is_obfuscated(),
        warnings: en.problems(),
        elf_flags: None,
        payload_range: payload_at..payload_at + en.payload.len() as u64,
        decoded: false,
        data: None,
    }
}

/// Offset of `inner` within `outer` (both borrowed from the same input).
fn offset_in(outer: &[u8], inner: &[u8]) -> u64 {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize) as u64
}

type FoundModule<'a> = (ModuleKind, Option<String>, fatbin::Fatbin<'a>);

fn from_fatbins<'a>(
    d: &'a [u8],
    format: Format,
    found: Vec<FoundModule<'a>>,
    host: Option<HostInfo>,
    opts: Options,
    release: &(dyn Fn(Range<usize>) + Sync),
) -> Result<Binary<'a>> {
    let mut images = Vec::new();
    let mut modules = Vec::with_capacity(found.len());
    let mut entries: Vec<&Entry<'a>> = Vec::new();
    for (module, (kind, section, fb)) in found.iter().enumerate() {
        modules.push(Module {
            kind: *kind,
            section: section.clone(),
            offset: fb.offset,
            size: fb.len,
        });
        for en in &fb.entries {
            images.push(entry_image(module, en, offset_in(d, en.payload)));
            entries.push(en);
        }
    }
    if opts.decode || opts.keep_data {
        decode_all(&mut images, &entries, opts, release)?;
    }
    Ok(Binary {
        format,
        modules,
        images,
        host,
    })
}

/// What decoding one payload found.
struct Decoded<'a> {
    data: Option<Cow<'a, [u8]>>,
    cubin: Option<cubin::Cubin>,
    ptx: Option<(Capability, bool, Vec<Kernel>)>,
}

/// Decodes every image that has something to decode, in parallel, in batches of about
/// [`BATCH_BYTES`] stored bytes in file order, releasing each batch's input afterwards.
fn decode_all<'a>(
    images: &mut [Image<'a>],
    entries: &[&Entry<'a>],
    opts: Options,
    release: &(dyn Fn(Range<usize>) + Sync),
) -> Result<()> {
    let mut jobs: Vec<usize> = (0..images.len())
        .filter(|&i| {
            let img = &images[i];
            !img.obfuscated
                && (opts.keep_data || matches!(img.kind, ImageKind::Sass | ImageKind::Ptx))
        })
        .collect();
    jobs.sort_by_key(|&i| images[i].payload_range.start);
    let mut start = 0;
    while start < jobs.len() {
        let mut end = start;
        let mut bytes = 0u64;
        while end < jobs.len() && (end == start || bytes < BATCH_BYTES) {
            bytes += images[jobs[end]].stored_size;
            end += 1;
        }
        let batch = &jobs[start..end];
        let results = crate::parallel::map(batch.len(), |k| decode_one(entries[batch[k]], opts));
        for (&i, r) in batch.iter().zip(results) {
            apply(&mut images[i], r?)?;
        }
        let lo = images[batch[0]].payload_range.start;
        let hi = batch
            .iter()
            .map(|&i| images[i].payload_range.end)
            .max()
            .unwrap_or(lo);
        if !opts.keep_data {
            release(lo as usize..hi as usize);
        }
        start = end;
    }
    Ok(())
}

fn decode_one<'a>(en: &Entry<'a>, opts: Options) -> Result<Decoded<'a>> {
    let data: Cow<'a, [u8]> = match (en.codec, en.uncompressed_size) {
        (Some(codec), Some(n)) => {
            Cow::Owned(decompress(codec, en.payload, n, opts.limit, en.offset)?)
        }
        _ => Cow::Borrowed(en.payload),
    };
    let mut out = Decoded {
        data: None,
        cubin: None,
        ptx: None,
    };
    if opts.decode {
        match en.kind {
            EntryKind::Cubin => out.cubin = Some(cubin::parse(&data)?),
            EntryKind::Ptx => {
                let p = ptx::parse(&data)?;
                let kernels = p.entries.iter().map(|n| name_only(n)).collect();
                out.ptx = Some((p.target, p.debug, kernels));
            }
            _ => {}
        }
    }
    if opts.keep_data {
        out.data = Some(if en.kind == EntryKind::Ptx {
            trim_nul(data)
        } else {
            data
        });
    }
    Ok(out)
}

/// Merges what decoding found into the listing.
fn apply<'a>(img: &mut Image<'a>, dec: Decoded<'a>) -> Result<()> {
    if let Some(c) = dec.cubin {
        // The fatbin flags know `a`/`f`; the ELF confirms the SM number.
        if let Some(a) = img.arch {
            if a.base() != c.arch.base() {
                return Err(InspectError::Invalid {
                    what: "fatbin cubin entry",
                    offset: img.offset,
                    detail: format!("entry header says {}, its ELF says {}", a.sm(), c.arch.sm()),
                });
            }
            if a.suffix == Suffix::None && c.arch.suffix != Suffix::None {
                img.arch = Some(c.arch);
            }
        }
        img.layout = Some(c.layout);
        img.toolkit = c.toolkit;
        img.kernels = c.kernels;
        img.warnings.extend(c.warnings);
        img.elf_flags = Some(ElfFlags {
            abi_version: c.abi_version,
            e_flags: c.e_flags,
            names: c.flag_names,
        });
        img.decoded = true;
    }
    if let Some((target, debug, kernels)) = dec.ptx {
        img.arch = Some(target);
        img.debug |= debug;
        img.kernels = kernels;
        img.decoded = true;
    }
    if dec.data.is_some() {
        img.data = dec.data;
    }
    Ok(())
}
