//! The embedded-fatbin scanner (fatbins found by magic in any data section), and payload
//! extraction of everything it finds.
#![no_main]
use archbench_inspect::{fatbin, host};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for fb in host::embedded(data, 0) {
        for e in &fb.entries {
            let _ = (e.arch(), e.problems(), e.is_obfuscated());
        }
    }
    let _ = fatbin::parse_validated(data, 0);
});
