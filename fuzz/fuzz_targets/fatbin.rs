//! Fatbin containers, one and back to back.
#![no_main]
use archbench_inspect::fatbin;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(fbs) = fatbin::parse_all(data, 0) {
        for fb in &fbs {
            for e in &fb.entries {
                let _ = e.arch();
            }
        }
    }
    let _ = fatbin::parse(data, 0);
});
