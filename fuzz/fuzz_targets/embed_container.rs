//! The kernel container reader (`archbench_core::embed::parse`): any bytes give a container or
//! an error, never a panic; a container written from the input reads back exactly, and a
//! prefix of it or a copy with one byte flipped is a container or an error.
#![no_main]
use archbench_core::embed;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = embed::parse(data);
    // The first byte picks how many images the rest is cut into.
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let size = rest.len() / (usize::from(n % 8) + 1) + 1;
    let mut pieces = rest.chunks(size);
    let manifest = String::from_utf8_lossy(pieces.next().unwrap_or_default()).into_owned();
    let images: Vec<(String, &[u8])> = pieces
        .map(|p| (String::from_utf8_lossy(&p[..p.len().min(3)]).into_owned(), p))
        .collect();
    let entries: Vec<(&str, &str, &[u8])> = images
        .iter()
        .map(|(name, bytes)| (name.as_str(), "k.cu", *bytes))
        .collect();
    let Ok(blob) = embed::write(&manifest, &entries) else {
        return;
    };
    let c = embed::parse(&blob).expect("a written container parses");
    assert_eq!(c.manifest, manifest);
    assert_eq!(c.images.len(), entries.len());
    for (got, want) in c.images.iter().zip(&entries) {
        assert_eq!((got.variant, got.file, got.bytes), *want);
    }
    // Damaged copies: cut short, or one byte flipped (the index or a length most often).
    let cut = usize::from(n) * 13 % (blob.len() + 1);
    let _ = embed::parse(&blob[..cut]);
    let mut flipped = blob.clone();
    let at = usize::from(n) * 7 % flipped.len();
    flipped[at] ^= rest.first().copied().unwrap_or(0x55) | 1;
    let _ = embed::parse(&flipped);
});
