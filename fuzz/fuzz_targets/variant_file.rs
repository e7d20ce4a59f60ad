//! Variant files, TOML and JSON, from arbitrary text.
#![no_main]
use archbench_core::spec::{self, SpecContext};
use archbench_core::CudaVersion;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let ctx = SpecContext {
        default_cuda: CudaVersion::new(12, 8),
    };
    let _ = spec::parse_variant_file_text(&text, first % 2 == 0, &ctx);
});
