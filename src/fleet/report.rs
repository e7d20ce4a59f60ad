//! `archbench fleet collect`'s files: the merged cross-GPU report of every run that arrived
//! (a column per target, the targets that brought nothing listed as absent), `fleet.md`
//! and `fleet.json`.

use std::path::{Path, PathBuf};

use archbench::report::merge::merge;
use archbench::report::output::{self, Formats};

use super::collect::{self, Collection};
use super::{fsutil, FleetError};

/// Writes the report of `c` into `out` in `formats`, then `fleet.md` and `fleet.json`;
/// returns every file written, those two last.
pub fn write(c: &Collection, out: &Path, formats: Formats) -> Result<Vec<PathBuf>, FleetError> {
    let mut merged = merge(c.runs());
    // Columns named by target: several targets can have the same GPU model.
    let labels = c.run_labels();
    for (g, l) in merged.gpus.iter_mut().zip(labels) {
        g.label = l;
    }
    merged.absent = c.absent();
    let mut written = output::write(&merged, &[], out, formats)?;
    let fleet_md = out.join("fleet.md");
    fsutil::write_atomic(&fleet_md, collect::markdown(c).as_bytes())?;
    let fleet_json = out.join("fleet.json");
    fsutil::write_atomic(
        &fleet_json,
        format!("{}\n", serde_json::to_string_pretty(c)?).as_bytes(),
    )?;
    written.extend([fleet_md, fleet_json]);
    Ok(written)
}
