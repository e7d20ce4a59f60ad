//! The results reader (one JSON document or JSON Lines, any schema version), then what
//! `compare` and `report` compute from what it accepts.
#![no_main]
use std::path::Path;

use archbench::report::compare::compare;
use archbench::report::verdict::Rule;
use archbench::results::read::parse_run;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(run) = parse_run(&text, Path::new("fuzz.jsonl")) {
        let _ = compare(&run, &run, &Rule::default());
        let _ = archbench::run::summary::table(&run);
        let _ = archbench::run::summary::findings(&run);
    }
});
