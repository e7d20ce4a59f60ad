//! PTX headers and entry names.
#![no_main]
use archbench_inspect::ptx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ptx::looks_like_ptx(data);
    let _ = ptx::parse(data);
});
