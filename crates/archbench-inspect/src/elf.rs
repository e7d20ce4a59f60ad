//! A minimal zero-copy ELF64 little-endian reader: header, section table, section names and
//! symbols. It serves both cubins (device ELF, `e_machine` 190) and host shared objects and
//! executables (to find `.nv_fatbin`). Every offset is checked against the input.

use crate::bytes::{cstr, preview, range, take, u16_at, u32_at, u64_at};
use crate::error::{InspectError, Result};

/// `e_machine` of NVIDIA CUDA device code.
pub const EM_CUDA: u16 = 190;
/// Section type of symbol tables.
pub const SHT_SYMTAB: u32 = 2;
/// Section type of program-defined contents (code and data).
pub const SHT_PROGBITS: u32 = 1;
/// Section type of sections without file data (`.bss`, `.nv.shared.*`).
pub const SHT_NOBITS: u32 = 8;
/// Section type of the dynamic section.
pub const SHT_DYNAMIC: u32 = 6;
/// Section flag of sections in the process image at run time.
pub const SHF_ALLOC: u64 = 0x2;
/// Section flag of executable code.
pub const SHF_EXECINSTR: u64 = 0x4;
/// `d_tag` of a needed library.
const DT_NEEDED: u64 = 1;
/// `e_machine` of x86-64 and AArch64 hosts.
pub const EM_X86_64: u16 = 62;
pub const EM_AARCH64: u16 = 183;
/// `st_other` bit of CUDA kernels (`.entry`), as opposed to device functions.
pub const STO_CUDA_ENTRY: u8 = 0x10;
/// Symbol type of functions.
pub const STT_FUNC: u8 = 2;

/// One section header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section<'a> {
    pub name: &'a str,
    pub kind: u32,
    pub flags: u64,
    pub offset: u64,
    pub size: u64,
    pub link: u32,
    pub info: u32,
}

/// One symbol of `.symtab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbol<'a> {
    pub name: &'a str,
    pub kind: u8,
    /// `STB_LOCAL` (0), `STB_GLOBAL` (1), `STB_WEAK` (2).
    pub binding: u8,
    /// `st_other` (CUDA kernels: `STO_CUDA_ENTRY` 0x10).
    pub other: u8,
    pub section: u16,
    pub value: u64,
    pub size: u64,
}

/// A parsed ELF64 file borrowing its input.
#[derive(Debug, Clone)]
pub struct Elf<'a> {
    pub data: &'a [u8],
    pub os_abi: u8,
    pub abi_version: u8,
    pub machine: u16,
    pub flags: u32,
    pub sections: Vec<Section<'a>>,
}

/// True when `d` starts with the ELF magic.
pub fn is_elf(d: &[u8]) -> bool {
    d.starts_with(b"\x7fELF")
}

impl<'a> Elf<'a> {
    /// Parses the header and section table of an ELF64 LE file.
    pub fn parse(d: &'a [u8]) -> Result<Self> {
        let ident = take(d, 0, 16, "ELF identification")?;
        if !is_elf(ident) {
            return Err(InspectError::BadMagic {
                what: "ELF file",
                offset: 0,
                expected: "7f 45 4c 46",
                found: preview(d),
            });
        }
        if ident[4] != 2 || ident[5] != 1 {
            return Err(InspectError::Invalid {
                what: "ELF class/byte order",
                offset: 4,
                detail: format!(
                    "class {} data {}; only 64-bit little-endian ELF holds CUDA code",
                    ident[4], ident[5]
                ),
            });
        }
        take(d, 0, 64, "ELF64 header")?;
        let machine = u16_at(d, 18, "e_machine")?;
        let flags = u32_at(d, 48, "e_flags")?;
        let shoff = u64_at(d, 40, "e_shoff")?;
        let shentsize = u16_at(d, 58, "e_shentsize")?;
        let mut shnum = u64::from(u16_at(d, 60, "e_shnum")?);
        let mut shstrndx = u32::from(u16_at(d, 62, "e_shstrndx")?);
        let mut sections = Vec::new();
        if shoff != 0 {
            if shentsize < 64 {
                return Err(InspectError::Invalid {
                    what: "e_shentsize",
                    offset: 58,
                    detail: format!("{shentsize} is smaller than an ELF64 section header (64)"),
                });
            }
            let first = range(d, shoff, 64, "section header table")?;
            // Extended numbering: counts that do not fit live in section 0.
            if shnum == 0 {
                shnum = u64_at(first, 32, "sh_size of section 0")?;
            }
            if shstrndx == 0xffff {
                shstrndx = u32_at(first, 40, "sh_link of section 0")?;
            }
            let avail = (d.len() as u64).saturating_sub(shoff);
            if shnum.saturating_mul(u64::from(shentsize)) > avail {
                return Err(InspectError::HugeCount {
                    what: "ELF section",
                    count: shnum,
                    available: avail,
                });
            }
            let mut raw = Vec::with_capacity(shnum as usize);
            for i in 0..shnum {
                let off = shoff + i * u64::from(shentsize);
                let h = range(d, off, 64, "section header")?;
                raw.push((
                    u32_at(h, 0, "sh_name")?,
                    u32_at(h, 4, "sh_type")?,
                    u64_at(h, 8, "sh_flags")?,
                    u64_at(h, 24, "sh_offset")?,
                    u64_at(h, 32, "sh_size")?,
                    u32_at(h, 40, "sh_link")?,
                    u32_at(h, 44, "sh_info")?,
                ));
            }
            let strtab: &[u8] = match raw.get(shstrndx as usize) {
                Some(&(_, kind, _, off, size, _, _)) if kind != SHT_NOBITS => {
                    range(d, off, size, "section name table")?
                }
                _ => &[],
            };
            for (name, kind, flags, offset, size, link, info) in raw {
                sections.push(Section {
                    name: cstr(strtab, name as usize).unwrap_or(""),
                    kind,
                    flags,
                    offset,
                    size,
                    link,
                    info,
                });
            }
        }
        Ok(Self {
            data: d,
            os_abi: ident[7],
            abi_version: ident[8],
            machine,
            flags,
            sections,
        })
    }

    /// The file bytes of a section (empty for `SHT_NOBITS`).
    pub fn section_data(&self, s: &Section<'a>) -> Result<&'a [u8]> {
        if s.kind == SHT_NOBITS {
            return Ok(&[]);
        }
        range(self.data, s.offset, s.size, "section data")
    }

    /// The first section named `name`.
    pub fn section(&self, name: &str) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The libraries of `DT_NEEDED` entries (`libcudart.so.13`), in order; empty without a
    /// dynamic section.
    pub fn needed(&self) -> Result<Vec<&'a str>> {
        let Some(dynamic) = self.sections.iter().find(|s| s.kind == SHT_DYNAMIC) else {
            return Ok(Vec::new());
        };
        let data = self.section_data(dynamic)?;
        let strtab = match self.sections.get(dynamic.link as usize) {
            Some(s) => self.section_data(s)?,
            None => &[],
        };
        let mut out = Vec::new();
        for chunk in data.chunks_exact(16) {
            let tag = u64_at(chunk, 0, "d_tag")?;
            if tag == 0 {
                break;
            }
            if tag == DT_NEEDED {
                let off = u64_at(chunk, 8, "d_val")?;
                if let Some(name) = usize::try_from(off).ok().and_then(|o| cstr(strtab, o)) {
                    out.push(name);
                }
            }
        }
        Ok(out)
    }

    /// The symbols of the first `SHT_SYMTAB` section (empty when there is none).
    pub fn symbols(&self) -> Result<Vec<Symbol<'a>>> {
        let Some(symtab) = self.sections.iter().find(|s| s.kind == SHT_SYMTAB) else {
            return Ok(Vec::new());
        };
        let data = self.section_data(symtab)?;
        let strtab = match self.sections.get(symtab.link as usize) {
            Some(s) => self.section_data(s)?,
            None => &[],
        };
        let mut out = Vec::with_capacity(data.len() / 24);
        for chunk in data.chunks_exact(24) {
            out.push(Symbol {
                name: cstr(strtab, u32_at(chunk, 0, "st_name")? as usize).unwrap_or(""),
                kind: chunk[4] & 0xf,
                binding: chunk[4] >> 4,
                other: chunk[5],
                section: u16_at(chunk, 6, "st_shndx")?,
                value: u64_at(chunk, 8, "st_value")?,
                size: u64_at(chunk, 16, "st_size")?,
            });
        }
        Ok(out)
    }
}
