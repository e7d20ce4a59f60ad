//! Any input through the format-detecting reader, listing and full decoding (small limit),
//! and `--extract`'s payload path for every image listed.
#![no_main]
use archbench_inspect::{payload, read, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(bin) = read(
        data,
        Options {
            decode: false,
            ..Options::default()
        },
    ) {
        for img in &bin.images {
            let _ = payload(data, img, 1 << 24);
        }
    }
    let _ = read(
        data,
        Options {
            decode: true,
            keep_data: true,
            limit: 1 << 24,
        },
    );
});
