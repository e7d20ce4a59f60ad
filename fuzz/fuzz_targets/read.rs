//! Any input through the format-detecting reader, listing and full decoding (small limit).
#![no_main]
use archbench_inspect::{read, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read(
        data,
        Options {
            decode: false,
            ..Options::default()
        },
    );
    let _ = read(
        data,
        Options {
            decode: true,
            keep_data: true,
            limit: 1 << 24,
        },
    );
});
