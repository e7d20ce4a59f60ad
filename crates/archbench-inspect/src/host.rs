//! Where a host shared object or executable keeps device code: the executable fatbins of
//! `.nv_fatbin` (loaded by the CUDA runtime), the relocatable ones of `__nv_relfatbin` (nvlink
//! input from `-rdc`, never loaded by the driver), and fatbins embedded in any other data
//! section (`.ldata`, `.rodata`, `.data`, `.cask_resource`, …) that the library hands to the
//! driver itself. Embedded ones are found by their magic and kept only when the whole header
//! and every entry validate ([`fatbin::parse_validated`]). Sections are read in parallel, the
//! searched ones in pieces whose finds are joined into exactly those of one search.

use serde::Serialize;

use crate::elf::{Elf, Section, EM_AARCH64, EM_X86_64, SHF_ALLOC, SHF_EXECINSTR, SHT_PROGBITS};
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

/// Bytes of a section searched by one parallel job: small enough that two cores finish
/// together, big enough that a fatbin rarely crosses a piece's end.
const PIECE: usize = 8 << 20;

/// One job of [`fatbins`]: a whole fatbin section, or a piece of the `k`th searched one.
enum Job<'s, 'a> {
    Fatbins(&'s Section<'a>, ModuleKind),
    Piece(usize, std::ops::Range<usize>),
}

/// What a piece's search found, and where it stopped.
type Part<'a> = (Vec<Fatbin<'a>>, usize);

/// Every fatbin of a host ELF, in cuobjdump's order: `.nv_fatbin`, then `__nv_relfatbin`
/// (what `cuobjdump -all` lists), then embedded ones in file order. Fatbin sections and
/// pieces of searched ones are read in parallel, biggest first, and the pieces joined so that
/// the result is that of one search from the start of each section.
/// `release(range)` is called for file ranges already read, so a memory-mapped input can drop
/// those pages.
pub fn fatbins<'a>(
    e: &Elf<'a>,
    release: &(dyn Fn(std::ops::Range<usize>) + Sync),
) -> Result<Vec<Found<'a>>> {
    let mut jobs: Vec<Job<'_, 'a>> = Vec::new();
    for (name, kind) in [
        (EXEC_SECTION, ModuleKind::Loadable),
        (REL_SECTION, ModuleKind::Relocatable),
    ] {
        for s in e.sections.iter().filter(|s| s.name == name) {
            jobs.push(Job::Fatbins(s, kind));
        }
    }
    // Searched sections in file order, with their bytes (a section whose bytes lie outside
    // the file has nothing to find: the fatbin sections' errors say what is wrong).
    let mut searched: Vec<(&Section<'a>, &'a [u8])> = e
        .sections
        .iter()
        .filter(|s| scannable(s))
        .filter_map(|s| Some((s, e.section_data(s).ok()?)))
        .collect();
    searched.sort_by_key(|(s, _)| s.offset);
    // Sections do not overlap in a real file; where a crafted one makes them, bytes already
    // searched are not searched again (so the work stays within the file's size).
    let mut searched_to = 0u64;
    for (k, (s, data)) in searched.iter().enumerate() {
        let from = usize::try_from(searched_to.saturating_sub(s.offset))
            .unwrap_or(usize::MAX)
            .min(data.len());
        searched_to = searched_to.max(s.offset.saturating_add(data.len() as u64));
        jobs.extend(
            pieces_of(data.len() - from, PIECE)
                .map(|r| Job::Piece(k, r.start + from..r.end + from)),
        );
    }
    // Biggest first, so the last jobs handed out are small; results come back in job order.
    let size = |j: &Job<'_, '_>| match j {
        Job::Fatbins(s, _) => usize::try_from(s.size).unwrap_or(usize::MAX),
        Job::Piece(_, r) => r.len(),
    };
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&j| std::cmp::Reverse(size(&jobs[j])));
    let done: Vec<Result<Part<'a>>> =
        crate::parallel::map_each(order.len(), |i| match &jobs[order[i]] {
            Job::Fatbins(s, _) => {
                let data = e.section_data(s)?;
                let fbs = fatbin::parse_all(data, s.offset)?;
                release(s.offset as usize..s.offset as usize + data.len());
                Ok((fbs, data.len()))
            }
            Job::Piece(k, r) => {
                let (s, data) = searched[*k];
                Ok(search(data, s.offset, r.clone(), release))
            }
        });
    let mut done: Vec<(usize, Result<Part<'a>>)> = order.into_iter().zip(done).collect();
    done.sort_unstable_by_key(|(j, _)| *j);
    let mut out = Vec::new();
    // Fatbin sections first, in cuobjdump's order (so is the first error), then each
    // searched section's pieces, in order.
    let mut pieces: Vec<Vec<(std::ops::Range<usize>, Part<'a>)>> =
        searched.iter().map(|_| Vec::new()).collect();
    for (job, (_, part)) in jobs.into_iter().zip(done) {
        let part = part?;
        match job {
            Job::Fatbins(s, kind) => {
                for fatbin in part.0 {
                    out.push(Found {
                        kind,
                        section: s.name,
                        fatbin,
                    });
                }
            }
            Job::Piece(k, r) => pieces[k].push((r, part)),
        }
    }
    for ((s, data), mine) in searched.into_iter().zip(&pieces) {
        for fatbin in join_pieces(data, s.offset, mine.iter().map(|(r, p)| (r.clone(), p))) {
            out.push(Found {
                kind: ModuleKind::Embedded,
                section: s.name,
                fatbin,
            });
        }
    }
    Ok(out)
}

/// Sections whose format the toolchain defines (unwind tables, GOT), so they hold no fatbin.
const NOT_DATA: [&str; 5] = [
    ".eh_frame",
    ".eh_frame_hdr",
    ".gcc_except_table",
    ".got",
    ".got.plt",
];

/// Sections that may hold embedded fatbins: what a library can hand to the driver is in its
/// memory image, so data (`SHT_PROGBITS`, `SHF_ALLOC`, not executable) with file bytes, other
/// than the two fatbin sections and the toolchain-defined tables of [`NOT_DATA`]. Symbol,
/// string, relocation and hash tables, notes and non-allocated sections (`.comment`,
/// `.debug_*`) are not searched.
fn scannable(s: &Section<'_>) -> bool {
    s.kind == SHT_PROGBITS
        && s.flags & SHF_ALLOC != 0
        && s.flags & SHF_EXECINSTR == 0
        && s.name != EXEC_SECTION
        && s.name != REL_SECTION
        && !NOT_DATA.contains(&s.name)
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
    search(d, base, 0..d.len(), &|_| {}).0
}

/// [`embedded`] computed as [`fatbins`] does, piece by piece (`piece` bytes each, searched one
/// after the other here) and joined: for the fuzzer and tests, which check it equals
/// [`embedded`] for any bytes and piece size.
#[doc(hidden)]
pub fn embedded_by_pieces(d: &[u8], base: u64, piece: usize) -> Vec<Fatbin<'_>> {
    let parts: Vec<(std::ops::Range<usize>, Part<'_>)> = pieces_of(d.len(), piece)
        .map(|r| (r.clone(), search(d, base, r, &|_| {})))
        .collect();
    join_pieces(d, base, parts.iter().map(|(r, p)| (r.clone(), p)))
}

/// The search from `range.start` for validated fatbins starting in `range` (skipping each one
/// found), releasing each window once passed. Returns them and where the search stopped: the
/// end of the range, or of the last fatbin when that reaches past it.
fn search<'a>(
    d: &'a [u8],
    base: u64,
    range: std::ops::Range<usize>,
    release: &dyn Fn(std::ops::Range<usize>),
) -> (Vec<Fatbin<'a>>, usize) {
    let mut out = Vec::new();
    let stop = range.end.min(d.len());
    let mut from = range.start;
    let mut released = from;
    let base_us = usize::try_from(base).unwrap_or(usize::MAX);
    while from < stop {
        // A match must start inside the window; its 4 bytes may reach 3 past it.
        let end = stop.min(from.saturating_add(RELEASE_EVERY));
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
    let to = from.min(d.len());
    release(base_us.saturating_add(released)..base_us.saturating_add(to.max(released)));
    (out, from.max(stop))
}

/// `0..len` cut into consecutive ranges of `piece` bytes (the last one shorter).
fn pieces_of(len: usize, piece: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let piece = piece.max(1);
    (0..len.div_ceil(piece)).map(move |k| k * piece..len.min((k + 1) * piece))
}

/// Joins the results of pieces searched independently (in order, covering the section) into
/// those of one search from the start. A piece's results hold from where the search before it
/// stopped (`cursor`) whenever none of them that starts before `cursor` reaches past it: then
/// the piece examined every position the single search would. Otherwise (a validated fatbin
/// overlapping another, not seen in real files) the piece is searched again from `cursor`.
fn join_pieces<'a, 'p>(
    d: &'a [u8],
    base: u64,
    pieces: impl Iterator<Item = (std::ops::Range<usize>, &'p Part<'a>)>,
) -> Vec<Fatbin<'a>>
where
    'a: 'p,
{
    let mut out = Vec::new();
    let mut cursor = 0usize;
    let end_of = |fb: &Fatbin<'_>| {
        usize::try_from(fb.offset.saturating_sub(base).saturating_add(fb.len)).unwrap_or(usize::MAX)
    };
    let start_of =
        |fb: &Fatbin<'_>| usize::try_from(fb.offset.saturating_sub(base)).unwrap_or(usize::MAX);
    for (range, (found, stopped)) in pieces {
        if cursor >= range.end {
            continue;
        }
        let synced = cursor <= range.start
            || found
                .iter()
                .filter(|fb| start_of(fb) < cursor)
                .all(|fb| end_of(fb) <= cursor);
        if synced {
            out.extend(found.iter().filter(|fb| start_of(fb) >= cursor).cloned());
            cursor = *stopped;
        } else {
            let (again, stopped) = search(d, base, cursor..range.end, &|_| {});
            out.extend(again);
            cursor = stopped;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(name: &str, kind: u32, flags: u64) -> Section<'_> {
        Section {
            name,
            kind,
            flags,
            offset: 0x1000,
            size: 1 << 20,
            link: 0,
            info: 0,
        }
    }

    #[test]
    fn only_allocated_data_is_searched() {
        let data = SHF_ALLOC;
        for name in [
            ".rodata",
            ".data",
            ".ldata",
            ".lrodata",
            ".data.rel.ro",
            ".cask_resource",
        ] {
            assert!(scannable(&section(name, SHT_PROGBITS, data)), "{name}");
        }
        assert!(!scannable(&section(
            ".text",
            SHT_PROGBITS,
            data | SHF_EXECINSTR
        )));
        assert!(!scannable(&section(".comment", SHT_PROGBITS, 0)));
        assert!(!scannable(&section(".bss", crate::elf::SHT_NOBITS, data)));
        assert!(!scannable(&section(".rela.dyn", 4, data)));
        assert!(!scannable(&section(".dynsym", 11, data)));
        for name in NOT_DATA.into_iter().chain([EXEC_SECTION, REL_SECTION]) {
            assert!(!scannable(&section(name, SHT_PROGBITS, data)), "{name}");
        }
        let mut small = section(".data", SHT_PROGBITS, data);
        small.size = 79;
        assert!(!scannable(&small));
    }

    /// A fatbin that [`fatbin::parse_validated`] keeps: one sm_90 cubin entry of `payload`
    /// bytes.
    fn fatbin_bytes(payload: usize) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&fatbin::MAGIC.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&16u16.to_le_bytes());
        v.extend_from_slice(&(64 + payload as u64).to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes()); // cubin
        v.extend_from_slice(&0x0101u16.to_le_bytes());
        v.extend_from_slice(&64u32.to_le_bytes());
        v.extend_from_slice(&(payload as u64).to_le_bytes());
        v.extend_from_slice(&[0; 8]); // compressed size, options offset
        v.extend_from_slice(&0u16.to_le_bytes());
        v.extend_from_slice(&9u16.to_le_bytes());
        v.extend_from_slice(&90u32.to_le_bytes());
        v.extend_from_slice(&[0; 8]); // identifier
        v.extend_from_slice(&0x11u64.to_le_bytes());
        v.extend_from_slice(&[0; 16]);
        v.extend(std::iter::repeat_n(0xA5, payload));
        v
    }

    /// Pieces searched on their own and joined give what one search gives: over random
    /// bytes holding fatbins back to back, crossing piece ends, nested in another's payload
    /// and reaching past its end, for piece sizes from 1 byte to the whole section.
    #[test]
    fn joined_pieces_equal_one_search() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut rescued = 0;
        for round in 0..60 {
            let len = 2_000 + next(6_000);
            let mut d: Vec<u8> = (0..len).map(|_| next(256) as u8).collect();
            // Back to back at the start, the way `.ldata` holds cuFFT's.
            let (a, b) = (fatbin_bytes(100), fatbin_bytes(37));
            d[..a.len()].copy_from_slice(&a);
            d[a.len()..a.len() + b.len()].copy_from_slice(&b);
            for _ in 0..(1 + round % 12) {
                let fb = fatbin_bytes(1 + next(700));
                let at = 300 + next(len - 300 - fb.len().min(len - 301));
                let end = (at + fb.len()).min(len);
                d[at..end].copy_from_slice(&fb[..end - at]);
            }
            let base = 0x40_0000;
            let want = embedded(&d, base);
            assert!(want.len() >= 2, "round {round}: {} found", want.len());
            for piece in [1, 3, 64, 100, 163, 999, 4096, len] {
                let got = embedded_by_pieces(&d, base, piece);
                assert_eq!(got, want, "round {round}, pieces of {piece}");
                let parts: Vec<(std::ops::Range<usize>, Part<'_>)> = pieces_of(len, piece)
                    .map(|r| (r.clone(), search(&d, base, r, &|_| {})))
                    .collect();
                rescued += usize::from(parts.iter().any(|(r, (f, _))| {
                    f.iter().any(|fb| {
                        want.iter().all(|w| w.offset != fb.offset)
                            && (fb.offset - base) as usize >= r.start
                    })
                }));
            }
        }
        // Some pieces did find a fatbin the single search skips (inside another's payload).
        assert!(rescued > 0);
    }

    #[test]
    fn pieces_cover_the_section() {
        let r: Vec<_> = pieces_of(10, 4).collect();
        assert_eq!(r, [0..4, 4..8, 8..10]);
        assert_eq!(pieces_of(0, 4).count(), 0);
        assert_eq!(pieces_of(3, 0).collect::<Vec<_>>(), [0..1, 1..2, 2..3]);
    }
}
