//! Every spec spelling (Nixpkgs attribute paths, Nix config attrsets, `torch:`, `cmake:`)
//! through parsing, validation and flags. Specs that name files are skipped (they would read
//! the filesystem).
#![no_main]
use archbench_core::spec::{self, SpecContext};
use archbench_core::validate::{validate, ValidateOptions};
use archbench_core::{flags, CudaVersion};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let t = text.trim();
    if t.ends_with(".nix") || t.ends_with(".toml") || t.ends_with(".json") {
        return;
    }
    let ctx = SpecContext {
        default_cuda: CudaVersion::new(13, 0),
    };
    for e in spec::parse(&text, &ctx) {
        if let Some(v) = e.variant {
            let _ = validate(&v, &ValidateOptions::default());
            let _ = flags::gencode(&v);
            let _ = flags::cmake(&v);
            let _ = flags::torch(&v);
        }
    }
});
