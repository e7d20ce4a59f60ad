//! The device check's side files in a report: what `scripts/gpu-check/device.sh` measures
//! next to archbench on the GPU machine — PyTorch's timings of the same cases
//! (`torch_side.py`), Nsight Compute's durations of archbench's own launches (`ncu --csv`),
//! NVIDIA's libraries and same-size copies (`vendor_side.cu`) and the device's description —
//! rendered as sections beside the run they belong to.
//!
//! Side files are written by other tools (Python, C++, ncu), so they are read leniently
//! ([`json`]): a missing or unreadable file turns its section into a line that says so, a
//! field of the wrong type reads as absent, `"NaN"`/`"inf"` strings read as numbers. Only the
//! results file itself must be valid; it is read by [`crate::results::read`] before this.
//!
//! One module per side file: [`torch`], [`ncu`], [`vendor`]; [`json`] holds the lenient
//! readers and [`cases`] the lookups of archbench's cases all three compare with.

pub mod cases;
pub mod json;
pub mod ncu;
pub mod torch;
pub mod vendor;

use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::format::{self, md_cell};
use crate::results::schema::{Mode, RunFile};

/// The side files of one device check (each optional).
#[derive(Debug, Clone, Default)]
pub struct DeviceCheck {
    /// `torch_side.py --out` (JSON).
    pub torch: Option<PathBuf>,
    /// `ncu --csv --page raw --metrics gpu__time_duration.sum` output.
    pub ncu: Option<PathBuf>,
    /// The variant whose cases ncu profiled; the run GPU's native build when `None`.
    pub ncu_variant: Option<String>,
    /// `archbench kernels --json`: maps ncu's launches to cases.
    pub kernels: Option<PathBuf>,
    /// `vendor_side.cu` output (JSON Lines).
    pub vendor: Option<PathBuf>,
    /// A text file shown verbatim (e.g. `nvidia-smi` output).
    pub device_info: Option<PathBuf>,
}

impl DeviceCheck {
    /// Whether no side file was given (the report then has no device-check section).
    pub fn is_empty(&self) -> bool {
        self.torch.is_none()
            && self.ncu.is_none()
            && self.kernels.is_none()
            && self.vendor.is_none()
            && self.device_info.is_none()
    }
}

/// A rendered device check: the report's title and its markdown section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub title: String,
    pub markdown: String,
}

/// Render the device-check section for `run`, read from `results` (named in the text).
pub fn render(run: &RunFile, results: &Path, check: &DeviceCheck) -> Rendered {
    let device = md_cell(&run.device.name);
    let mut s = String::new();
    let _ = writeln!(s, "## Device check: {device}\n");
    run_lines(&mut s, run, results);
    let idx = cases::Index::new(&run.cases);
    torch::section(&mut s, run, &idx, check.torch.as_deref());
    let variant = check
        .ncu_variant
        .clone()
        .unwrap_or_else(|| format::native_variant(&run.device.capability));
    ncu::section(
        &mut s,
        &idx,
        check.ncu.as_deref(),
        check.kernels.as_deref(),
        &variant,
    );
    if let Some(v) = &check.vendor {
        vendor::section(&mut s, run, &idx, v);
    }
    device_info(&mut s, check.device_info.as_deref());
    Rendered {
        title: format!("archbench GPU check: {}", run.device.name),
        markdown: s,
    }
}

fn run_lines(s: &mut String, run: &RunFile, results: &Path) {
    let cold = if run.settings.mode == Mode::Cold {
        "cold (L2-flushed)"
    } else {
        "hot"
    };
    let device = md_cell(&run.device.name);
    let _ = writeln!(
        s,
        "Measured by `scripts/gpu-check.sh` on {device}; numbers are medians of {cold} samples.\n"
    );
    let name = results.file_name().map_or_else(
        || results.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let end = match (&run.end, run.schema_version) {
        (Some(_), _) | (None, 1) => "",
        (None, _) => "; no end record (the run may have been cut short)",
    };
    let _ = writeln!(
        s,
        "- results: `{}` (archbench {}, results schema {}), {} case(s){end}",
        md_cell(&name),
        md_cell(&run.archbench_version),
        run.schema_version,
        run.cases.len()
    );
    if let Some(e) = &run.end {
        let wall = if e.wall_s.is_finite() {
            format!(" after {:.0} s", e.wall_s)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "- run ended {}{wall}, exit code {}",
            md_cell(&e.finished),
            e.exit_code
        );
        for cut in &e.cut {
            let _ = writeln!(s, "- cut by the run budget: {}", md_cell(cut));
        }
    }
}

fn device_info(s: &mut String, path: Option<&Path>) {
    let _ = writeln!(s, "\n### Device information\n");
    let Some(path) = path else {
        let _ = writeln!(
            s,
            "Missing: no device information file was given (`--device-info`)."
        );
        return;
    };
    let text = match json::read_text(path) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(s, "Missing: {e}.");
            return;
        }
    };
    let longest = longest_backtick_run(&text);
    let fence = "`".repeat(longest.max(2) + 1);
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let _ = writeln!(
        s,
        "`{name}`, verbatim:\n\n{fence}text\n{}\n{fence}",
        text.trim_end_matches('\n')
    );
}

fn longest_backtick_run(text: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// A markdown table: a header row, its rule, then the rows (cells escaped).
pub(crate) fn table(s: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let cells = |r: &mut dyn Iterator<Item = String>| r.collect::<Vec<_>>().join(" | ");
    let _ = writeln!(s, "| {} |", cells(&mut header.iter().map(|h| md_cell(h))));
    let _ = writeln!(s, "|{}|", vec!["---"; header.len()].join("|"));
    for r in rows {
        let _ = writeln!(s, "| {} |", cells(&mut r.iter().map(|c| md_cell(c))));
    }
}

/// `1.20×`, or `—` when not a finite number.
pub(crate) fn ratio(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}×")
    } else {
        "—".into()
    }
}

/// A duration in seconds with its unit, or `—` when not a positive finite number.
pub(crate) fn time(s: f64) -> String {
    if json::positive(s) {
        format::time(s)
    } else {
        "—".into()
    }
}

/// A rate (GB/s, TFLOP/s) to three significant digits, or `—`.
pub(crate) fn rate(x: f64) -> String {
    if x.is_finite() {
        format::sig3(x)
    } else {
        "—".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fence_is_longer_than_any_backtick_run_inside() {
        assert_eq!(longest_backtick_run("a ``` b `` c"), 3);
        assert_eq!(longest_backtick_run("none"), 0);
    }

    #[test]
    fn cells_are_escaped() {
        let mut s = String::new();
        table(&mut s, &["a", "b|c"], &[vec!["x|y".into(), "z\nw".into()]]);
        assert_eq!(s, "| a | b\\|c |\n|---|---|\n| x\\|y | z w |\n");
    }
}
