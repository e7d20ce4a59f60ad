//! Cubins (device ELF, `e_machine` 190): the SASS architecture with its `a`/`f` suffix where
//! the file records it, the ABI layout, the virtual architecture, and the kernels with their
//! registers and static shared memory.
//!
//! Layouts (cuda-facts §7; NVIDIA's `EF_CUDA_*` names as LLVM's `ELF.h` spells them), chosen
//! by `EI_ABIVERSION`:
//! - old (≤ 7, OSABI 0x33; CUDA ≤ 12.9 below sm_100): SM in `e_flags` bits 0–7 (`EF_CUDA_SM`),
//!   0x100 `TEXMODE_UNIFIED`, 0x200 `TEXMODE_INDEPENDANT`, 0x400 `64BIT_ADDRESS`, 0x800
//!   `ACCELERATORS_V1` (`a`), 0x1000 `SW_FLAG_V2`, virtual architecture in bits 16–23;
//! - new (8, OSABI 0x41; CUDA 13.0, and 12.8/12.9 from sm_100): SM in bits 8–15, 0x8
//!   `ACCELERATORS` (`a`) in 12.8/12.9, and in 13.0 attribute 0x09 = 1 of section `.nv.compat`.
//!
//! An `a` bit counts only where the target exists (sm_90a and later): cuBLAS 11's hand-tuned
//! sm_50/60/61 cubins carry 0x800 from before it meant `a`. Such bits become a warning.
//!
//! `f` is not in `e_flags`; ptxas records its command line (`-arch sm_100f`) in the
//! `.note.nv.tkinfo` note, which this module reads as a second source for `a` and `f`.

use std::collections::HashMap;

use archbench_core::{Capability, Suffix};
use serde::Serialize;

use crate::bytes::{u16_at, u32_at};
use crate::elf::{Elf, Section, EM_CUDA, STO_CUDA_ENTRY, STT_FUNC};
use crate::error::{InspectError, Result};

/// Which `e_flags` layout a cubin uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// `EI_ABIVERSION` 7.
    Old,
    /// `EI_ABIVERSION` 8.
    New,
}

/// One kernel (`.entry`) of a cubin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kernel {
    pub name: String,
    /// Registers per thread (`EIATTR_REGCOUNT` in `.nv.info`, else `sh_info >> 24` of the
    /// kernel's `.text` section).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registers: Option<u32>,
    /// Static shared memory in bytes (size of `.nv.shared.<kernel>`; 0 when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_bytes: Option<u64>,
    /// Stack frame in bytes (`EIATTR_FRAME_SIZE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_bytes: Option<u32>,
    /// Kernel parameter bytes (`EIATTR_PARAM_CBANK` in `.nv.info.<kernel>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param_bytes: Option<u32>,
}

/// What a cubin says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cubin {
    /// SASS architecture; the suffix is `None` when neither plain nor `a`/`f` is recorded.
    pub arch: Capability,
    /// True when the suffix (or its absence) is recorded in the file.
    pub suffix_known: bool,
    pub layout: Layout,
    /// The virtual architecture (`compute_XY` number) in the old layout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_arch: Option<u32>,
    /// `-arch` ptxas was run with, from `.note.nv.tkinfo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ptxas_arch: Option<String>,
    /// Toolkit line from `.note.nv.tkinfo` (`Cuda compilation tools, release 13.0, V13.0.88`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toolkit: Option<String>,
    pub kernels: Vec<Kernel>,
    /// `EI_ABIVERSION` and raw `e_flags`.
    pub abi_version: u8,
    pub e_flags: u32,
    /// The `e_flags` bits that are set, by NVIDIA's names for this ABI version.
    pub flag_names: Vec<&'static str>,
    /// Bits or values that contradict each other or no NVIDIA target has.
    pub warnings: Vec<String>,
}

/// True for an ELF whose `e_machine` is CUDA.
pub fn is_cubin(d: &[u8]) -> bool {
    crate::elf::is_elf(d) && matches!(u16_at(d, 18, "e_machine"), Ok(EM_CUDA))
}

/// `EIATTR_*` numbers this module reads.
const EIATTR_FRAME_SIZE: u8 = 0x11;
const EIATTR_PARAM_CBANK: u8 = 0x0a;
const EIATTR_REGCOUNT: u8 = 0x2f;
/// `.nv.compat` attribute recording arch-specific (`a`) code in CUDA 13.0.
const COMPAT_ARCH_SPECIFIC: u8 = 0x09;

/// One `.nv.info`-style attribute: format, attribute number, value bytes.
#[derive(Debug, Clone, Copy)]
pub struct Attr<'a> {
    pub format: u8,
    pub attr: u8,
    pub value: &'a [u8],
}

/// Iterates over `.nv.info` / `.nv.compat` attributes: `u8 format, u8 attribute`, then a
/// 2-byte value (formats 1–3) or a `u16` length and that many bytes (format 4). Stops at the
/// first malformed record (these sections are informational).
pub fn attrs(d: &[u8]) -> impl Iterator<Item = Attr<'_>> {
    let mut off = 0usize;
    std::iter::from_fn(move || {
        let format = *d.get(off)?;
        let attr = *d.get(off + 1)?;
        let (start, len) = match format {
            1..=3 => (off + 2, 2usize),
            4 => (
                off + 4,
                usize::from(u16_at(d, off + 2, "attribute size").ok()?),
            ),
            _ => return None,
        };
        let value = d.get(start..start.checked_add(len)?)?;
        off = start + len;
        Some(Attr {
            format,
            attr,
            value,
        })
    })
}

/// Parses a cubin.
pub fn parse(d: &[u8]) -> Result<Cubin> {
    let elf = Elf::parse(d)?;
    from_elf(&elf)
}

/// Reads a cubin from an already parsed ELF.
pub fn from_elf(elf: &Elf<'_>) -> Result<Cubin> {
    if elf.machine != EM_CUDA {
        return Err(InspectError::BadMagic {
            what: "cubin e_machine",
            offset: 18,
            expected: "190 (NVIDIA CUDA)",
            found: elf.machine.to_string(),
        });
    }
    let f = elf.flags;
    let mut warnings = Vec::new();
    if elf.abi_version > 8 {
        warnings.push(format!(
            "ELF ABI version {} is newer than any archbench knows (7, 8); read with version 8's layout",
            elf.abi_version
        ));
    }
    let (layout, sm, virtual_arch, a_bit, a_name) = if elf.abi_version >= 8 {
        (Layout::New, (f >> 8) & 0xff, None, f & 0x8 != 0, "0x8")
    } else {
        let virt = (f >> 16) & 0xff;
        (
            Layout::Old,
            f & 0xff,
            (virt != 0).then_some(virt),
            f & 0x800 != 0,
            "0x800",
        )
    };
    let flag_names = flag_names(layout, f);
    if !crate::arch::sm_plausible(sm) {
        return Err(InspectError::Invalid {
            what: "cubin SM number",
            offset: 48,
            detail: format!("e_flags {f:#x} gives SM {sm}, which no GPU has"),
        });
    }
    let a_exists = crate::arch::capability(sm, Suffix::Arch).is_some();
    let mut arch_a = a_bit && a_exists;
    if a_bit && !a_exists {
        warnings.push(format!(
            "e_flags bit {a_name} (arch-specific) is set on sm_{sm}, which has no arch-specific target (they start at sm_90a): read as plain sm_{sm}"
        ));
    }
    let mut suffix_known = layout == Layout::Old || arch_a;
    if let Some(s) = elf.section(".nv.compat") {
        for a in attrs(elf.section_data(s)?) {
            if a.attr == COMPAT_ARCH_SPECIFIC {
                suffix_known = true;
                let set = a.value.first() == Some(&1);
                if set && !a_exists {
                    warnings.push(format!(
                        "`.nv.compat` marks sm_{sm} arch-specific, but sm_{sm}a does not exist"
                    ));
                }
                arch_a |= set && a_exists;
            }
        }
    }
    let (ptxas_arch, toolkit) = match elf.section(".note.nv.tkinfo") {
        Some(s) => tkinfo(elf.section_data(s)?),
        None => (None, None),
    };
    let mut suffix = if arch_a { Suffix::Arch } else { Suffix::None };
    if let Some(pa) = ptxas_arch.as_deref() {
        if let Ok(c) = Capability::parse_dotless(pa) {
            let exists = crate::arch::capability(sm, c.suffix).is_some();
            if c.sm_number() == sm && c.suffix != Suffix::None && exists {
                suffix = c.suffix;
                suffix_known = true;
            } else if c.sm_number() == sm && layout == Layout::New && !arch_a {
                // Plain `-arch sm_XY` recorded: plain is known unless `.nv.compat` said `a`.
                suffix_known = true;
            }
        }
    }
    // sm ≤ 255 by the masks above, so major ≤ 25.
    let arch = Capability::new((sm / 10) as u8, (sm % 10) as u8, suffix);
    Ok(Cubin {
        arch,
        suffix_known,
        layout,
        virtual_arch,
        ptxas_arch,
        toolkit,
        kernels: kernels(elf)?,
        abi_version: elf.abi_version,
        e_flags: f,
        flag_names,
        warnings,
    })
}

/// Names of the set `e_flags` bits (the SM and virtual-SM fields aside).
fn flag_names(layout: Layout, f: u32) -> Vec<&'static str> {
    let table: &[(u32, &'static str)] = match layout {
        Layout::Old => &[
            (0x100, "EF_CUDA_TEXMODE_UNIFIED"),
            (0x200, "EF_CUDA_TEXMODE_INDEPENDANT"),
            (0x400, "EF_CUDA_64BIT_ADDRESS"),
            (0x800, "EF_CUDA_ACCELERATORS_V1"),
            (0x1000, "EF_CUDA_SW_FLAG_V2"),
        ],
        Layout::New => &[(0x8, "EF_CUDA_ACCELERATORS")],
    };
    table
        .iter()
        .filter(|(bit, _)| f & bit != 0)
        .map(|&(_, n)| n)
        .collect()
}

/// `-arch` and the toolkit line from the `.note.nv.tkinfo` note's strings.
fn tkinfo(d: &[u8]) -> (Option<String>, Option<String>) {
    let mut arch = None;
    let mut toolkit = None;
    for s in d.split(|&b| b == 0) {
        let Ok(s) = std::str::from_utf8(s) else {
            continue;
        };
        if s.starts_with("Cuda compilation tools") {
            toolkit = Some(s.to_string());
        }
        let mut words = s.split_whitespace();
        while let Some(w) = words.next() {
            if w == "-arch" || w == "--gpu-name" {
                if let Some(a) = words.next() {
                    arch = Some(a.to_string());
                }
            } else if let Some(a) = w.strip_prefix("-arch=") {
                arch = Some(a.to_string());
            }
        }
    }
    (arch, toolkit)
}

/// Kernels: `STT_FUNC` symbols defined in a section named `.text.<symbol>`.
fn kernels(elf: &Elf<'_>) -> Result<Vec<Kernel>> {
    let syms = elf.symbols()?;
    // EIATTR_REGCOUNT and EIATTR_FRAME_SIZE in `.nv.info` are keyed by symbol index.
    let mut regs: HashMap<u32, u32> = HashMap::new();
    let mut frames: HashMap<u32, u32> = HashMap::new();
    let by_name: HashMap<&str, &Section<'_>> =
        elf.sections.iter().rev().map(|s| (s.name, s)).collect();
    if let Some(info) = elf.section(".nv.info") {
        for a in attrs(elf.section_data(info)?) {
            if a.format == 4 && a.value.len() >= 8 {
                let (sym, v) = (u32_at(a.value, 0, "symbol")?, u32_at(a.value, 4, "value")?);
                match a.attr {
                    EIATTR_REGCOUNT => {
                        regs.insert(sym, v);
                    }
                    EIATTR_FRAME_SIZE => {
                        frames.insert(sym, v);
                    }
                    _ => {}
                }
            }
        }
    }
    let mut out = Vec::new();
    for (idx, sym) in syms.iter().enumerate() {
        if sym.kind != STT_FUNC || sym.name.is_empty() {
            continue;
        }
        let Some(sec) = elf.sections.get(usize::from(sym.section)) else {
            continue;
        };
        if sec.name.strip_prefix(".text.") != Some(sym.name) {
            continue;
        }
        let idx = idx as u32;
        // As cuobjdump -res-usage: kernels take `EIATTR_REGCOUNT`, else `sh_info >> 24` of
        // their section; device functions only the latter (bitsandbytes' sm_90
        // `__cuda_sm20_div_u64` has REGCOUNT 24 and section 0, and both tools say 0).
        let from_section = sec.info >> 24;
        let registers = if sym.other & STO_CUDA_ENTRY != 0 {
            regs.get(&idx)
                .copied()
                .or_else(|| Some(from_section).filter(|&r| r != 0))
        } else {
            Some(from_section)
        };
        let shared = by_name
            .get(format!(".nv.shared.{}", sym.name).as_str())
            .map_or(0, |s| s.size);
        let mut param_bytes = None;
        if let Some(s) = by_name.get(format!(".nv.info.{}", sym.name).as_str()) {
            for a in attrs(elf.section_data(s)?) {
                if a.attr == EIATTR_PARAM_CBANK && a.format == 4 && a.value.len() >= 8 {
                    // u32 constant-bank symbol, u16 offset, u16 size.
                    param_bytes = Some(u32::from(u16_at(a.value, 6, "param size")?));
                }
            }
        }
        out.push(Kernel {
            name: sym.name.to_string(),
            registers,
            shared_bytes: Some(shared),
            stack_bytes: frames.get(&idx).copied(),
            param_bytes,
        });
    }
    Ok(out)
}
