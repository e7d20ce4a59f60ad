//! Truncated, corrupted and hostile inputs give typed errors, never panics, and bounded memory.

use archbench_inspect::{read, InspectError, Options};

fn fatbin_header(size: u64) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0xBA55_ED50u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(&size.to_le_bytes());
    v
}

#[allow(clippy::too_many_arguments)]
fn entry(kind: u16, ehs: u32, psize: u64, csize: u32, sm: u32, flags: u64, usize_: u64) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&kind.to_le_bytes());
    v.extend_from_slice(&0x0101u16.to_le_bytes());
    v.extend_from_slice(&ehs.to_le_bytes());
    v.extend_from_slice(&psize.to_le_bytes());
    v.extend_from_slice(&csize.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&0u16.to_le_bytes());
    v.extend_from_slice(&9u16.to_le_bytes());
    v.extend_from_slice(&sm.to_le_bytes());
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&flags.to_le_bytes());
    v.extend_from_slice(&0u64.to_le_bytes());
    v.extend_from_slice(&usize_.to_le_bytes());
    v
}

fn fatbin(entries: &[u8]) -> Vec<u8> {
    let mut v = fatbin_header(entries.len() as u64);
    v.extend_from_slice(entries);
    v
}

fn err(d: &[u8]) -> InspectError {
    read(d, Options::default()).expect_err("must be an error")
}

#[test]
fn unknown_and_empty() {
    assert!(matches!(err(b""), InspectError::UnknownFormat { .. }));
    assert!(matches!(err(b"hello"), InspectError::UnknownFormat { .. }));
}

#[test]
fn truncated_headers() {
    assert!(matches!(
        err(&[0x50, 0xed, 0x55, 0xba, 1]),
        InspectError::Truncated { .. }
    ));
    assert!(matches!(
        err(b"\x7fELF\x02\x01\x01"),
        InspectError::Truncated { .. }
    ));
    let mut e = entry(2, 64, 0, 0, 90, 0x11, 0);
    e.truncate(40);
    assert!(matches!(err(&fatbin(&e)), InspectError::Truncated { .. }));
}

#[test]
fn sizes_past_the_end() {
    // Fatbin claims more entries than the file has.
    assert!(matches!(
        err(&fatbin_header(1 << 40)),
        InspectError::OutOfBounds { .. }
    ));
    // Entry payload past the end, and u64 overflow.
    for psize in [1000, u64::MAX - 10] {
        let e = entry(2, 64, psize, 0, 90, 0x11, 0);
        assert!(
            matches!(err(&fatbin(&e)), InspectError::OutOfBounds { .. }),
            "{psize}"
        );
    }
    // Compressed size larger than the payload.
    let mut e = entry(1, 64, 8, 100, 90, 0x8011, 10);
    e.extend_from_slice(&[0; 8]);
    assert!(matches!(err(&fatbin(&e)), InspectError::OutOfBounds { .. }));
    // Entry header smaller than 64 bytes (would loop forever if accepted).
    let e = entry(2, 0, 0, 0, 90, 0x11, 0);
    assert!(matches!(err(&fatbin(&e)), InspectError::Invalid { .. }));
}

#[test]
fn decompression_bombs_are_refused_before_allocating() {
    // A zstd frame declaring 1 TiB.
    let mut e = entry(1, 64, 8, 8, 90, 0x8011, 1 << 40);
    e.extend_from_slice(&[0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
    assert!(matches!(err(&fatbin(&e)), InspectError::TooLarge { .. }));
    // LZ4 payload that really expands a lot, with a small declared size: refused.
    let big = vec![b'a'; 1 << 20];
    let c = lz4_flex::block::compress(&big);
    let mut e = entry(1, 64, c.len() as u64, c.len() as u32, 90, 0x2011, 1000);
    e.extend_from_slice(&c);
    assert!(matches!(err(&fatbin(&e)), InspectError::Decompress { .. }));
    // Under a small limit, a genuine 1 MiB payload is refused too.
    let mut e = entry(1, 64, c.len() as u64, c.len() as u32, 90, 0x2011, 1 << 20);
    e.extend_from_slice(&c);
    let small = Options {
        limit: 4096,
        ..Options::default()
    };
    assert!(matches!(
        read(&fatbin(&e), small),
        Err(InspectError::TooLarge { .. })
    ));
    // Listing does not decompress at all.
    let list = Options {
        decode: false,
        ..Options::default()
    };
    assert_eq!(read(&fatbin(&e), list).unwrap().images.len(), 1);
}

#[test]
fn huge_section_count() {
    let mut elf = vec![0u8; 64];
    elf[..8].copy_from_slice(b"\x7fELF\x02\x01\x01\x41");
    elf[18..20].copy_from_slice(&190u16.to_le_bytes());
    elf[40..48].copy_from_slice(&64u64.to_le_bytes()); // e_shoff
    elf[58..60].copy_from_slice(&64u16.to_le_bytes()); // e_shentsize
    elf[60..62].copy_from_slice(&0xfff0u16.to_le_bytes()); // e_shnum
    elf.extend_from_slice(&[0u8; 64]);
    assert!(matches!(err(&elf), InspectError::HugeCount { .. }));
    // Extended numbering: count in section 0's sh_size.
    elf[60..62].copy_from_slice(&0u16.to_le_bytes());
    elf[64 + 32..64 + 40].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(err(&elf), InspectError::HugeCount { .. }));
}

#[test]
fn host_elf_without_device_code() {
    let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    assert!(matches!(err(&exe), InspectError::NoDeviceCode));
}

#[test]
fn every_truncation_of_a_real_fatbin_is_an_error_not_a_panic() {
    // A fatbin with a zstd-compressed and an uncompressed payload, built from parts.
    let ptx = b".version 9.0\n.target sm_90\n.address_size 64\n.visible .entry k()\n{ ret; }\n";
    let c = lz4_flex::block::compress(ptx);
    let mut e = entry(
        1,
        64,
        c.len() as u64,
        c.len() as u32,
        90,
        0x2011,
        ptx.len() as u64,
    );
    e.extend_from_slice(&c);
    let mut e2 = entry(1, 64, ptx.len() as u64, 0, 90, 0x11, 0);
    e2.extend_from_slice(ptx);
    e.extend_from_slice(&e2);
    let full = fatbin(&e);
    let bin = read(&full, Options::default()).unwrap();
    assert_eq!(bin.images.len(), 2);
    assert_eq!(bin.images[0].kernels[0].name, "k");
    for n in 0..full.len() {
        let _ = read(&full[..n], Options::default());
        let mut flipped = full.clone();
        flipped[n] ^= 0xff;
        let _ = read(&flipped, Options::default());
    }
}

/// A real old-layout cubin (ptxas 12.6 `-arch=sm_90a`, e_flags 0x005a0d5a) with flipped bits:
/// `a` on an SM that has no arch-specific target is a warning and reads as plain, SM 0 is an
/// error; a fatbin `a` flag on sm_75 and PTX ISA 113.8 are flagged, never printed as real.
#[test]
fn impossible_suffixes_and_versions_are_flagged() {
    let seed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/seeds/p12.6_90a.cubin"
    ))
    .unwrap();
    let bin = read(&seed, Options::default()).unwrap();
    assert_eq!(bin.images[0].arch_name(), "sm_90a");
    assert!(bin.images[0].warnings.is_empty());
    let flags = bin.images[0].elf_flags.as_ref().unwrap();
    assert_eq!((flags.abi_version, flags.e_flags), (7, 0x005a_0d5a));
    assert!(flags.names.contains(&"EF_CUDA_ACCELERATORS_V1"));
    for sm in [50u8, 61, 75] {
        let mut c = seed.clone();
        c[48] = sm;
        let bin = read(&c, Options::default()).unwrap();
        let img = &bin.images[0];
        assert_eq!(img.arch_name(), format!("sm_{sm}"), "no sm_{sm}a");
        assert!(
            img.warnings.iter().any(|w| w.contains("0x800")),
            "{:?}",
            img.warnings
        );
    }
    let mut c = seed.clone();
    c[48] = 0;
    assert!(matches!(err(&c), InspectError::Invalid { .. }));
    // Fatbin entries: `a` flag on sm_75, PTX ISA 113.8.
    let ptx = b".version 8.0\n.target sm_75\n.address_size 64\n.visible .entry k()\n{ ret; }\n";
    let mut e = entry(1, 64, ptx.len() as u64, 0, 75, 0x10_0011, 0);
    e[24..26].copy_from_slice(&8u16.to_le_bytes());
    e[26..28].copy_from_slice(&113u16.to_le_bytes());
    e.extend_from_slice(ptx);
    let list = Options {
        decode: false,
        ..Options::default()
    };
    let fb = fatbin(&e);
    let bin = read(&fb, list).unwrap();
    let img = &bin.images[0];
    assert_eq!(img.arch_name(), "compute_75");
    assert_eq!(img.ptx_isa, None);
    assert_eq!(img.warnings.len(), 2, "{:?}", img.warnings);
}

/// An x86-64 host ELF whose sections are `sections` (name, type, flags, offset, size) over
/// `body` (placed at file offset 64), with a section-name table.
fn host_elf(body: &[u8], sections: &[(&str, u32, u64, u64, u64)]) -> Vec<u8> {
    let mut names = vec![0u8];
    let mut name_at = Vec::new();
    for (n, ..) in sections.iter().copied().chain([(".shstrtab", 3, 0, 0, 0)]) {
        name_at.push(names.len() as u32);
        names.extend_from_slice(n.as_bytes());
        names.push(0);
    }
    let mut f = vec![0u8; 64];
    f[..8].copy_from_slice(b"\x7fELF\x02\x01\x01\x00");
    f[16..18].copy_from_slice(&3u16.to_le_bytes()); // ET_DYN
    f[18..20].copy_from_slice(&62u16.to_le_bytes()); // x86-64
    f[20..24].copy_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(body);
    let names_at = f.len() as u64;
    f.extend_from_slice(&names);
    while !f.len().is_multiple_of(8) {
        f.push(0);
    }
    let shoff = f.len() as u64;
    let header = |name: u32, kind: u32, flags: u64, off: u64, size: u64| {
        let mut h = Vec::with_capacity(64);
        h.extend_from_slice(&name.to_le_bytes());
        h.extend_from_slice(&kind.to_le_bytes());
        h.extend_from_slice(&flags.to_le_bytes());
        h.extend_from_slice(&0u64.to_le_bytes()); // addr
        h.extend_from_slice(&off.to_le_bytes());
        h.extend_from_slice(&size.to_le_bytes());
        h.extend_from_slice(&[0u8; 24]); // link, info, addralign, entsize
        h
    };
    f.extend_from_slice(&[0u8; 64]); // section 0
    for (i, &(_, kind, flags, off, size)) in sections.iter().enumerate() {
        f.extend_from_slice(&header(name_at[i], kind, flags, off, size));
    }
    let strndx = sections.len() + 1;
    f.extend_from_slice(&header(
        name_at[sections.len()],
        3,
        0,
        names_at,
        names.len() as u64,
    ));
    f[40..48].copy_from_slice(&shoff.to_le_bytes());
    f[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    f[58..60].copy_from_slice(&64u16.to_le_bytes()); // e_shentsize
    f[60..62].copy_from_slice(&((strndx + 1) as u16).to_le_bytes());
    f[62..64].copy_from_slice(&(strndx as u16).to_le_bytes());
    f
}

/// Crafted section tables cannot multiply the search for embedded fatbins: 2,000 sections over
/// the same 1 MB are searched once (the fatbin in it is found once), and sections claiming
/// bytes far past the end of the file are skipped, not cut into pieces.
#[test]
fn overlapping_and_oversized_data_sections() {
    let mut body = vec![0x5au8; 1 << 20];
    let mut e = entry(2, 64, 256, 0, 90, 0x11, 0);
    e.extend_from_slice(&[0xa5; 256]);
    let fb = fatbin(&e);
    body[4096..4096 + fb.len()].copy_from_slice(&fb);
    let (alloc, progbits) = (0x2u64 | 0x1, 1u32);
    let mut sections = vec![(".data", progbits, alloc, 64u64, body.len() as u64); 2_000];
    sections.push((".ldata", progbits, alloc, 64, u64::MAX / 2));
    sections.push((".lrodata", progbits, alloc, 64, 1 << 40));
    let elf = host_elf(&body, &sections);
    let list = Options {
        decode: false,
        ..Options::default()
    };
    let bin = read(&elf, list).unwrap();
    assert_eq!(bin.modules.len(), 1, "{:?}", bin.modules);
    assert_eq!(bin.modules[0].offset, 64 + 4096);
    assert_eq!(bin.modules[0].section.as_deref(), Some(".data"));
    assert_eq!(bin.images.len(), 1);
}
