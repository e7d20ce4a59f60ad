//! Fatbin containers (cuda-facts §7): a 16-byte header (`0xBA55ED50`, version, header size,
//! size of the entries) followed by entries back to back, each a 64-byte-or-longer header and a
//! payload (PTX, cubin or LTO-IR, possibly LZ4- or zstd-compressed). Several fatbins may follow
//! each other (the `.nv_fatbin` section of a host ELF). Payloads borrow from the input.

use archbench_core::{Capability, Suffix};
use serde::Serialize;

use crate::bytes::{cstr, preview, range, take, u16_at, u32_at, u64_at};
use crate::error::{Codec, InspectError, Result};

/// Fatbin magic number.
pub const MAGIC: u32 = 0xBA55_ED50;
const HEADER_LEN: usize = 16;
const ENTRY_HEADER_MIN: u32 = 64;

/// Entry flags.
pub const FLAG_64BIT: u64 = 0x1;
pub const FLAG_DEBUG: u64 = 0x2;
pub const FLAG_LZ4: u64 = 0x2000;
pub const FLAG_ZSTD: u64 = 0x8000;
/// LTO-IR encrypted for NVIDIA's own link-time use (cuFFT, cuSPARSE): cuobjdump says "Can't
/// deobfuscate entry … without obfuscation key" and goes on.
pub const FLAG_OBFUSCATED: u64 = 0x1_0000;
pub const FLAG_ARCH_SPECIFIC: u64 = 0x10_0000;
pub const FLAG_FAMILY_SPECIFIC: u64 = 0x20_0000;

/// What an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    Ptx,
    Cubin,
    /// LTO-IR (NVVM IR for `-dlto`), kind 8.
    LtoIr,
    /// A kind this crate does not know; listed, never loaded.
    Unknown(u16),
}

impl EntryKind {
    fn from_u16(k: u16) -> Self {
        match k {
            1 => EntryKind::Ptx,
            2 => EntryKind::Cubin,
            8 => EntryKind::LtoIr,
            k => EntryKind::Unknown(k),
        }
    }
}

/// One entry of a fatbin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub kind: EntryKind,
    /// The u16 after the kind (0x0101 in every fatbin NVIDIA writes).
    pub format: u16,
    /// Entry header size (64 bytes and more).
    pub header_size: u32,
    /// Offset of the entry header in the input given to [`parse_all`] / [`parse`].
    pub offset: u64,
    pub flags: u64,
    /// SM number (`90` for sm_90/compute_90).
    pub sm: u32,
    /// PTX ISA for PTX entries (`9.0`); other kinds carry a format version here.
    pub version: (u16, u16),
    /// Stored payload bytes (compressed when `codec` is set).
    pub payload: &'a [u8],
    pub codec: Option<Codec>,
    /// Declared uncompressed size (only for compressed payloads).
    pub uncompressed_size: Option<u64>,
    /// Identifier string (often the source file name), when present.
    pub identifier: Option<&'a str>,
    /// Compiler options recorded for the entry, when present.
    pub options: Option<&'a str>,
}

impl Entry<'_> {
    /// The architecture with its `a`/`f` suffix from the entry flags; `None` when the SM
    /// number is no architecture. A suffix flag the SM cannot have (`a` on sm_75) is dropped
    /// here and reported by [`Entry::problems`].
    pub fn arch(&self) -> Option<Capability> {
        let plain = crate::arch::capability(self.sm, Suffix::None)?;
        let want = if self.flags & FLAG_ARCH_SPECIFIC != 0 {
            Suffix::Arch
        } else if self.flags & FLAG_FAMILY_SPECIFIC != 0 {
            Suffix::Family
        } else {
            Suffix::None
        };
        Some(crate::arch::capability(self.sm, want).unwrap_or(plain))
    }

    /// Values no NVIDIA tool writes: an SM number that is no architecture, a suffix flag on an
    /// architecture without that target, both suffix flags, an impossible PTX ISA version.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !crate::arch::sm_plausible(self.sm) {
            out.push(format!(
                "entry header gives SM number {}, which is no GPU architecture",
                self.sm
            ));
        } else {
            let both = FLAG_ARCH_SPECIFIC | FLAG_FAMILY_SPECIFIC;
            if self.flags & both == both {
                out.push(format!(
                    "entry flags {:#x} mark it both arch- and family-specific",
                    self.flags
                ));
            }
            for (flag, suffix, name) in [
                (FLAG_ARCH_SPECIFIC, Suffix::Arch, "arch-specific"),
                (FLAG_FAMILY_SPECIFIC, Suffix::Family, "family-specific"),
            ] {
                if self.flags & flag != 0 && crate::arch::capability(self.sm, suffix).is_none() {
                    out.push(format!(
                        "entry flag {flag:#x} ({name}) is set, but sm_{}{} does not exist; read as sm_{}",
                        self.sm,
                        suffix.as_str(),
                        self.sm
                    ));
                }
            }
        }
        if self.kind == EntryKind::Ptx && !crate::arch::ptx_isa_plausible(self.version) {
            out.push(format!(
                "entry header gives PTX ISA {}.{}, which no CUDA release emits",
                self.version.0, self.version.1
            ));
        }
        out
    }

    pub fn is_debug(&self) -> bool {
        self.flags & FLAG_DEBUG != 0
    }

    /// Obfuscated LTO-IR: listed, never decompressed (only NVIDIA's linker has the key).
    pub fn is_obfuscated(&self) -> bool {
        self.kind == EntryKind::LtoIr && self.flags & FLAG_OBFUSCATED != 0
    }
}

/// One fatbin: where it starts and its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatbin<'a> {
    pub offset: u64,
    /// Header plus entries.
    pub len: u64,
    pub version: u16,
    pub entries: Vec<Entry<'a>>,
}

/// True when `d` starts with the fatbin magic.
pub fn is_fatbin(d: &[u8]) -> bool {
    matches!(u32_at(d, 0, "magic"), Ok(MAGIC))
}

/// Parses the one fatbin at the start of `d`; `base` is added to offsets in the result.
pub fn parse(d: &[u8], base: u64) -> Result<Fatbin<'_>> {
    let magic = u32_at(d, 0, "fatbin header")?;
    if magic != MAGIC {
        return Err(InspectError::BadMagic {
            what: "fatbin",
            offset: base,
            expected: "50 ed 55 ba (0xBA55ED50)",
            found: preview(d),
        });
    }
    take(d, 0, HEADER_LEN, "fatbin header")?;
    let version = u16_at(d, 4, "fatbin version")?;
    let hsize = u16_at(d, 6, "fatbin header size")?;
    let size = u64_at(d, 8, "fatbin size")?;
    if usize::from(hsize) < HEADER_LEN {
        return Err(InspectError::Invalid {
            what: "fatbin header size",
            offset: base + 6,
            detail: format!("{hsize} is smaller than the 16-byte header"),
        });
    }
    let body = range(d, u64::from(hsize), size, "fatbin entries")?;
    let body_base = base + u64::from(hsize);
    let mut entries = Vec::new();
    let mut off = 0usize;
    while off < body.len() {
        let e = &body[off..];
        // Zero padding after the last entry is allowed.
        if e.iter().all(|&b| b == 0) {
            break;
        }
        let at = body_base + off as u64;
        take(e, 0, ENTRY_HEADER_MIN as usize, "fatbin entry header").map_err(|err| match err {
            InspectError::Truncated {
                what, need, have, ..
            } => InspectError::Truncated {
                what,
                offset: at,
                need,
                have,
            },
            other => other,
        })?;
        let kind = EntryKind::from_u16(u16_at(e, 0, "entry kind")?);
        let format = u16_at(e, 2, "entry format")?;
        let ehs = u32_at(e, 4, "entry header size")?;
        let psize = u64_at(e, 8, "entry payload size")?;
        let csize = u32_at(e, 16, "entry compressed size")?;
        let opt_off = u32_at(e, 20, "entry options offset")?;
        let minor = u16_at(e, 24, "entry minor version")?;
        let major = u16_at(e, 26, "entry major version")?;
        let sm = u32_at(e, 28, "entry SM")?;
        let id_off = u32_at(e, 32, "entry identifier offset")?;
        let id_len = u32_at(e, 36, "entry identifier length")?;
        let flags = u64_at(e, 40, "entry flags")?;
        let usize_ = u64_at(e, 56, "entry uncompressed size")?;
        if ehs < ENTRY_HEADER_MIN {
            return Err(InspectError::Invalid {
                what: "fatbin entry header size",
                offset: at + 4,
                detail: format!("{ehs} is smaller than the 64-byte entry header"),
            });
        }
        let payload = range(e, u64::from(ehs), psize, "fatbin entry payload").map_err(|_| {
            InspectError::OutOfBounds {
                what: "fatbin entry payload",
                offset: at + u64::from(ehs),
                size: psize,
                limit: body_base + body.len() as u64,
            }
        })?;
        let codec = if flags & FLAG_ZSTD != 0 {
            Some(Codec::Zstd)
        } else if flags & FLAG_LZ4 != 0 {
            Some(Codec::Lz4)
        } else {
            None
        };
        let (payload, uncompressed_size) = match codec {
            Some(_) => {
                let c = u64::from(csize);
                if c > psize {
                    return Err(InspectError::OutOfBounds {
                        what: "compressed payload",
                        offset: at + u64::from(ehs),
                        size: c,
                        limit: psize,
                    });
                }
                (&payload[..c as usize], Some(usize_))
            }
            None => (payload, None),
        };
        let header = &e[..ehs.min(u32::try_from(e.len()).unwrap_or(u32::MAX)) as usize];
        let identifier = (id_off != 0 && id_len != 0)
            .then(|| range(header, u64::from(id_off), u64::from(id_len), "identifier").ok())
            .flatten()
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(|s| s.trim_end_matches('\0'));
        // The options area: u32, u32 compat size, then a NUL-terminated option string.
        let options = (opt_off != 0)
            .then(|| cstr(header, opt_off as usize + 8))
            .flatten()
            .filter(|s| !s.is_empty());
        entries.push(Entry {
            kind,
            format,
            header_size: ehs,
            offset: at,
            flags,
            sm,
            version: (major, minor),
            payload,
            codec,
            uncompressed_size,
            identifier,
            options,
        });
        off = off
            .saturating_add(ehs as usize)
            .saturating_add(psize as usize);
    }
    Ok(Fatbin {
        offset: base,
        len: u64::from(hsize) + size,
        version,
        entries,
    })
}

/// Largest entry header accepted by [`parse_validated`] (NVIDIA's are 64–200 bytes).
const ENTRY_HEADER_MAX: u32 = 4096;

/// Parses a fatbin found by searching for its magic in arbitrary bytes, and keeps it only
/// when everything about it is what NVIDIA's tools write: version 1, a 16-byte header, at
/// least one entry, each of a known kind with format 0x0101, a header of 64–4096 bytes, a
/// real SM number and a non-empty payload. A chance match of the magic fails these.
pub fn parse_validated(d: &[u8], base: u64) -> Option<Fatbin<'_>> {
    if u16_at(d, 4, "fatbin version").ok()? != 1 || u16_at(d, 6, "fatbin header size").ok()? != 16 {
        return None;
    }
    let fb = parse(d, base).ok()?;
    let ok = !fb.entries.is_empty()
        && fb.entries.iter().all(|e| {
            !matches!(e.kind, EntryKind::Unknown(_))
                && e.format == 0x0101
                && (ENTRY_HEADER_MIN..=ENTRY_HEADER_MAX).contains(&e.header_size)
                && crate::arch::sm_plausible(e.sm)
                && !e.payload.is_empty()
        });
    ok.then_some(fb)
}

/// Parses fatbins back to back (as in `.nv_fatbin`), skipping zero padding between them.
pub fn parse_all(d: &[u8], base: u64) -> Result<Vec<Fatbin<'_>>> {
    let mut out = Vec::new();
    let mut off = 0usize;
    loop {
        while off < d.len() && d[off] == 0 {
            off += 1;
        }
        if off >= d.len() {
            break;
        }
        let fb = parse(&d[off..], base + off as u64)?;
        // len ≥ 16 > 0, so the loop advances; len fits: parse checked it against d.
        off += fb.len as usize;
        out.push(fb);
    }
    Ok(out)
}
