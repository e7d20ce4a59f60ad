//! Kernel names from binaries through the demangler and the folding of long names
//! (`archbench_inspect::names`): any bytes, any width, never a panic, never wider than asked.
#![no_main]
use archbench_inspect::names;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&w, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let width = usize::from(w).max(16);
    let shown = names::readable(&text, width);
    assert!(shown.chars().count() <= width, "{shown:?} is wider than {width}");
});
