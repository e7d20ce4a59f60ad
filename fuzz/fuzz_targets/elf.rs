//! The ELF64 reader: sections, section data, symbols.
#![no_main]
use archbench_inspect::elf::Elf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = Elf::parse(data) {
        for s in &e.sections {
            let _ = e.section_data(s);
        }
        let _ = e.symbols();
    }
});
