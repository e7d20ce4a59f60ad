//! Where a host shared object or executable keeps device code: the executable fatbins of
//! `.nv_fatbin` (loaded by the CUDA runtime), the relocatable ones of `__nv_relfatbin` (nvlink
//! input from `-rdc`, never loaded by the driver), and fatbins embedded in any other data
//! section (`.ldata`, `.rodata`, `.data`, `.cask_resource`, …) that the library hands to the
//! driver itself. Embedded ones are found by their magic and kept only when the whole header
//! and every entry validate ([`fatbin::parse_validated`]).

use serde::Serialize;

use crate::elf::{Elf, Section, EM_AARCH64, EM_X86_64, SHF_EXECINSTR, SHT_NOBITS};
use crate::error::Result;
use crate::fatbin::{self, Fatbin};

/// How a module reaches the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleKind {
    /// Loaded by the CUDA runtime or `cuModuleLoad*` (`.nv_fatbin`, a fatbin/cubin/PTX file).
    Loadable,
    /// `__nv_relfatbin`: input to nvlink for `-rdc` linking; the driver never loads it.
    Relocatable,
    /// A fatbin embedded in another section, loaded by the library itself.
    Embedded,
}

impl ModuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleKind::Loadable => "loadable",
            ModuleKind::Relocatable => "relocatable",
            ModuleKind::Embedded => "embedded",
        }
    }

    /// Whether the driver can be asked to load it.
    pub fn is_loaded(self) -> bool {
        self != ModuleKind::Relocatable
    }
}

/// Section of executable fatbins.
pub const EXEC_SECTION: &str = ".nv_fatbin";
/// Section of relocatable fatbins.
pub const REL_SECTION: &str = "__nv_relfatbin";

/// A fatbin of a host ELF and where it came from.
#[derive(Debug)]
pub struct Found<'a> {
    pub kind: ModuleKind,
    pub section: &'a str,
    pub fatbin: Fatbin<'a>,
}

/// What the host file says about where it can run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostInfo {
    /// ELF `e_machine` (62 x86-64, 183 AArch64).
    pub machine: u16,
    /// `x86-64`, `aarch64`, or `e_machine N`.
    pub machine_name: String,
    /// The CUDA runtime it links dynamically (`libcudart.so.13`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cudart: Option<String>,
}

/// `x86-64` / `aarch64` for an `e_machine`.
pub fn machine_name(m: u16) -> String {
    match m {
        EM_X86_64 => "x86-64".into(),
        EM_AARCH64 => "aarch64".into(),
        m => format!("e_machine {m}"),
    }
}

/// The host information of a parsed host ELF.
pub fn info(e: &Elf<'_>) -> Result<HostInfo> {
    let cudart = e
        .needed()?
        .into_iter()
        .find(|n| n.starts_with("libcudart.so"))
        .map(str::to_string);
    Ok(HostInfo {
        machine: e.machine,
        machine_name: machine_name(e.machine),
        cudart,
    })
}

/// Bytes scanned between two calls of the `release` callback.
const RELEASE_EVERY: usize = 32 << 20;

/// Every fatbin of a host ELF, in cuobjdump's order: `.nv_fatbin`, then `__nv_relfatbin`
/// (what `cuobjdump -all` lists), then embedded ones in file order. `release(range)` is
/// called for file ranges already read, so a memory-mapped input can drop those pages.
pub fn fatbins<'a>(
    e: &Elf<'a>,
    release: &dyn Fn(std::ops::Range<usize>),
) -> Result<Vec<Found<'a>>> {
    let mut out = Vec::new();
    for (name, kind) in [
        (EXEC_SECTION, ModuleKind::Loadable),
        (REL_SECTION, ModuleKind::Relocatable),
    ] {
        for s in e.sections.iter().filter(|s| s.name == name) {
            let data = e.section_data(s)?;
            for fb in fatbin::parse_all(data, s.offset)? {
                out.push(Found {
                    kind,
                    section: s.name,
                    fatbin: fb,
                });
            }
            release(s.offset as usize..s.offset as usize + data.len());
        }
    }
    let mut scanned: Vec<&Section<'a>> = e.sections.iter().filter(|s| scannable(s)).collect();
    scanned.sort_by_key(|s| s.offset);
    for s in scanned {
        let Ok(data) = e.section_data(s) else {
            continue;
        };
        for fb in embedded_with(data, s.offset, release) {
            out.push(Found {
                kind: ModuleKind::Embedded,
                section: s.name,
                fatbin: fb,
            });
        }
    }
    Ok(out)
}

/// Sections that may hold embedded fatbins: data with file bytes, other than the two fatbin
/// sections, and not executable code.
fn scannable(s: &Section<'_>) -> bool {
    s.kind != SHT_NOBITS
        && s.kind != 0
        && s.flags & SHF_EXECINSTR == 0
        && s.name != EXEC_SECTION
        && s.name != REL_SECTION
        && s.size >= 16 + 64
}

/// Finder for the fatbin magic, built once.
fn magic_finder() -> &'static memchr::memmem::Finder<'static> {
    static F: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    static MAGIC: [u8; 4] = fatbin::MAGIC.to_le_bytes();
    F.get_or_init(|| memchr::memmem::Finder::new(&MAGIC))
}

/// Validated fatbins anywhere in `d` (at `base` in the file), in order, not overlapping.
pub fn embedded(d: &[u8], base: u64) -> Vec<Fatbin<'_>> {
    embedded_with(d, base, &|_| {})
}

/// [`embedded`], searching window by window and releasing each window once passed.
fn embedded_with<'a>(
    d: &'a [u8],
    base: u64,
    release: &dyn Fn(std::ops::Range<usize>),
) -> Vec<Fatbin<'a>> {
    let mut out = Vec::new();
    let mut from = 0usize;
    let mut released = 0usize;
    let base_us = usize::try_from(base).unwrap_or(usize::MAX);
    while from < d.len() {
        // A match must start inside the window; its 4 bytes may reach 3 past it.
        let end = d.len().min(from.saturating_add(RELEASE_EVERY));
        let hay = &d[from..d.len().min(end + 3)];
        match magic_finder().find(hay) {
            Some(rel) => {
                let at = from + rel;
                match fatbin::parse_validated(&d[at..], base + at as u64) {
                    Some(fb) => {
                        // len ≥ 16: the search moves forward; it fits, parse checked it.
                        from = at.saturating_add(usize::try_from(fb.len).unwrap_or(usize::MAX));
                        out.push(fb);
                    }
                    None => from = at + 4,
                }
            }
            None => from = end,
        }
        if from >= released.saturating_add(RELEASE_EVERY) {
            let to = from.min(d.len());
            release(base_us.saturating_add(released)..base_us.saturating_add(to));
            released = to;
        }
    }
    release(base_us.saturating_add(released)..base_us.saturating_add(d.len()));
    out
}
