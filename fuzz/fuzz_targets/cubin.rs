//! Cubins: ELF with e_machine 190, `.nv.info`, `.nv.compat`, symbols.
#![no_main]
use archbench_inspect::cubin;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = cubin::parse(data);
    for _ in cubin::attrs(data) {}
});
