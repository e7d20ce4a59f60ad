//! The embedded-fatbin scanner (fatbins found by magic in any data section), and payload
//! extraction of everything it finds; searching in pieces and joining them (as `inspect`
//! does, in parallel) must find exactly what one search finds, for any piece size.
#![no_main]
use archbench_inspect::{fatbin, host};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = host::embedded(data, 0);
    // The first byte picks a piece size from 1 byte to past the end.
    let piece = 1 + usize::from(data.first().copied().unwrap_or(0)) * 7;
    assert_eq!(host::embedded_by_pieces(data, 0, piece), whole, "pieces of {piece}");
    for fb in whole {
        for e in &fb.entries {
            let _ = (e.arch(), e.problems(), e.is_obfuscated());
        }
    }
    let _ = fatbin::parse_validated(data, 0);
});
