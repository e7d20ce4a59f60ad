//! `archbench fleet compare`: each GPU's results in a collection against a baseline of its
//! own — the same device name and capability, as `archbench baseline save` keeps them under
//! `results/<gpu>/` — and the verdict: a GPU fails on a slowdown beyond the threshold, or,
//! when baselines are required, on having none.

use std::fmt::Write;
use std::path::PathBuf;

use archbench::report::baseline::{self, Baseline};
use archbench::report::format;
use archbench::report::verdict::Rule;
use archbench::results::read::read_run;
use archbench::results::schema::RunFile;
use serde::Serialize;

use super::collect::{Collection, TaskReport};
use super::summary::Said;
use super::FleetError;

/// One GPU's comparison; a task without results is one too, with a note.
#[derive(Debug, Clone, Serialize)]
pub struct GpuComparison {
    pub target: String,
    pub device: String,
    pub results: String,
    pub baseline: Option<String>,
    pub faster: usize,
    pub slower: usize,
    pub same: usize,
    pub unsure: usize,
    pub failures: Vec<String>,
    pub note: Option<String>,
}

/// How to compare.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Where baselines live (`results/<gpu>/…`).
    pub dir: PathBuf,
    /// Fail only on slowdowns larger than this many percent.
    pub threshold: f64,
    /// A GPU without a baseline fails too.
    pub require_baseline: bool,
}

/// Every GPU of a collection compared.
#[derive(Debug, Clone)]
pub struct FleetComparison {
    pub gpus: Vec<GpuComparison>,
    /// A GPU regressed (or, with `require_baseline`, had no baseline).
    pub failed: bool,
}

/// Compares every run of `c` with its own baseline under `opts.dir`; `warn` hears of the
/// baseline files that could not be read.
pub fn compare(
    c: &Collection,
    opts: &CompareOptions,
    mut warn: impl FnMut(&str),
) -> Result<FleetComparison, FleetError> {
    let (stored, unreadable) = baseline::list(&opts.dir)?;
    for e in &unreadable {
        warn(&format!("skipped {e}"));
    }
    let mut gpus = Vec::new();
    let mut failed = false;
    for t in &c.tasks {
        if t.runs.is_empty() {
            gpus.push(no_results(t));
            continue;
        }
        for (source, run) in &t.runs {
            let g = compare_run(t, source, run, &stored, opts)?;
            failed |= !g.failures.is_empty();
            gpus.push(g);
        }
    }
    Ok(FleetComparison { gpus, failed })
}

/// A task that brought no results: nothing to compare, and why.
fn no_results(t: &TaskReport) -> GpuComparison {
    GpuComparison {
        target: t.target.clone(),
        device: t.expected.clone(),
        results: String::new(),
        baseline: None,
        faster: 0,
        slower: 0,
        same: 0,
        unsure: 0,
        failures: Vec::new(),
        note: Some(format!(
            "no results to compare ({}: {})",
            t.status.as_str(),
            t.detail
        )),
    }
}

/// One run of task `t` (from `source`) against the baseline of its GPU model.
fn compare_run(
    t: &TaskReport,
    source: &str,
    run: &RunFile,
    stored: &[Baseline],
    opts: &CompareOptions,
) -> Result<GpuComparison, FleetError> {
    let device = format!("{} (sm {})", run.device.name, run.device.capability);
    // Per GPU model: only a baseline of the same device name and capability.
    let own: Vec<Baseline> = stored
        .iter()
        .filter(|b| b.device == run.device.name && b.capability == run.device.capability)
        .cloned()
        .collect();
    let Some(b) = baseline::pick(&own, &run.device, &[PathBuf::from(source)]) else {
        return Ok(no_baseline(t, source, device, opts));
    };
    let base = read_run(&b.path)?;
    let cmp = archbench::report::compare::compare(&base, run, &Rule::default());
    let [faster, slower, same, unsure] = cmp.counts();
    Ok(GpuComparison {
        target: t.target.clone(),
        device,
        results: source.to_string(),
        baseline: Some(b.path.display().to_string()),
        faster,
        slower,
        same,
        unsure,
        failures: cmp.failures(opts.threshold),
        note: None,
    })
}

/// A run whose GPU has no baseline under `opts.dir`: a failure only with `require_baseline`.
fn no_baseline(
    t: &TaskReport,
    source: &str,
    device: String,
    opts: &CompareOptions,
) -> GpuComparison {
    let e = format!(
        "no baseline for {} under {} (save one with `archbench baseline save RESULTS --dir {}`)",
        device,
        opts.dir.display(),
        opts.dir.display()
    );
    GpuComparison {
        target: t.target.clone(),
        device,
        results: source.to_string(),
        baseline: None,
        faster: 0,
        slower: 0,
        same: 0,
        unsure: 0,
        failures: if opts.require_baseline {
            vec![e.to_string()]
        } else {
            Vec::new()
        },
        note: Some(format!("not compared: {e}")),
    }
}

impl FleetComparison {
    /// What `fleet compare` says: JSON or text, exit 1 when a GPU failed.
    pub fn said(&self, json: bool) -> Result<Said, FleetError> {
        let out = if json {
            format!("{}\n", serde_json::to_string_pretty(&self.gpus)?)
        } else {
            self.text()
        };
        Ok(Said::ok(out).with_success(!self.failed))
    }

    /// Per GPU: the counts against its baseline, a note, every failure; then how many
    /// regressed.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for g in &self.gpus {
            let _ = match &g.baseline {
                Some(b) => writeln!(
                    s,
                    "{}: {} vs {}: {} faster, {} slower, {} same, {} unsure",
                    g.target, g.device, b, g.faster, g.slower, g.same, g.unsure
                ),
                None => writeln!(s, "{}: {}", g.target, g.device),
            };
            if let Some(n) = &g.note {
                let _ = writeln!(s, "  {n}");
            }
            for f in &g.failures {
                let _ = writeln!(s, "  FAIL: {}", format::md_cell(f));
            }
        }
        let n = self.gpus.iter().filter(|g| !g.failures.is_empty()).count();
        let _ = writeln!(
            s,
            "{} GPU(s) compared with their own baselines; {n} regressed",
            self.gpus.iter().filter(|g| g.baseline.is_some()).count()
        );
        s
    }
}
