//! Merging runs from several machines and GPUs into one model for the report: one
//! [`GpuRun`] per input file with a unique label, the union of kernels, cases and variants
//! in first-seen order, and the runs that were expected but did not arrive or did not end
//! well ([`Absent`], filled in by `archbench fleet collect`).

use super::format::native_variant;
use crate::results::schema::{CaseResult, RunFile};

/// One input run, labelled for tables and chart legends.
#[derive(Debug, Clone)]
pub struct GpuRun {
    /// Device name, plus host (and a counter) when several runs share a device name.
    pub label: String,
    /// Where the run was read from, as given.
    pub source: String,
    pub run: RunFile,
}

impl GpuRun {
    /// The result for a kernel × case × variant, if this run has it.
    pub fn find(&self, kernel: &str, case: &str, variant: &str) -> Option<&CaseResult> {
        self.run
            .cases
            .iter()
            .find(|c| c.kernel == kernel && c.case == case && c.variant == variant)
    }

    /// The native `pkgsForCudaArch.sm_XX` build for this GPU's capability.
    pub fn native_variant(&self) -> String {
        native_variant(&self.run.device.capability)
    }
}

/// A run the report expected that is missing or did not end well (a fleet target that
/// failed, never ran, or was killed): listed in the report so it is never silently absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absent {
    /// The target's name.
    pub name: String,
    /// The GPU it was meant to run on (`9.0 H100`).
    pub expected: String,
    /// `FAILED`, `MISSING`, `INCOMPLETE`, `WRONG GPU`.
    pub status: String,
    /// Why, in one line.
    pub detail: String,
}

/// All runs of a report.
#[derive(Debug, Clone)]
pub struct Merged {
    pub gpus: Vec<GpuRun>,
    /// `(kernel, case)` in first-seen order.
    pub kernel_cases: Vec<(String, String)>,
    /// Variants in first-seen order.
    pub variants: Vec<String>,
    /// Expected runs that are missing or failed (empty for plain `archbench report`).
    pub absent: Vec<Absent>,
}

impl Merged {
    /// Variants measured for one kernel × case on any GPU, in report order.
    pub fn variants_of(&self, kernel: &str, case: &str) -> Vec<&str> {
        self.variants
            .iter()
            .filter(|v| self.gpus.iter().any(|g| g.find(kernel, case, v).is_some()))
            .map(String::as_str)
            .collect()
    }
}

/// Merge `(source, run)` pairs.
pub fn merge(runs: Vec<(String, RunFile)>) -> Merged {
    let mut kernel_cases: Vec<(String, String)> = Vec::new();
    let mut variants: Vec<String> = Vec::new();
    for (_, run) in &runs {
        for c in &run.cases {
            let kc = (c.kernel.clone(), c.case.clone());
            if !kernel_cases.contains(&kc) {
                kernel_cases.push(kc);
            }
            if !variants.contains(&c.variant) {
                variants.push(c.variant.clone());
            }
        }
    }
    let names: Vec<&str> = runs.iter().map(|(_, r)| r.device.name.as_str()).collect();
    let mut labels: Vec<String> = runs
        .iter()
        .map(|(_, r)| {
            let dup = names.iter().filter(|n| **n == r.device.name).count() > 1;
            if dup {
                format!("{} ({})", r.device.name, r.host.hostname)
            } else {
                r.device.name.clone()
            }
        })
        .collect();
    // Same device on the same host more than once: number them.
    for i in 0..labels.len() {
        let same: Vec<usize> = (0..labels.len())
            .filter(|&j| labels[j] == labels[i])
            .collect();
        if same.len() > 1 {
            for (k, j) in same.into_iter().enumerate() {
                labels[j] = format!("{} #{}", labels[j], k + 1);
            }
        }
    }
    let gpus = runs
        .into_iter()
        .zip(labels)
        .map(|((source, run), label)| GpuRun { label, source, run })
        .collect();
    Merged {
        gpus,
        kernel_cases,
        variants,
        absent: Vec::new(),
    }
}
