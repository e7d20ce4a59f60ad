//! Comparing a new run with a baseline: per kernel × variant × case timing verdicts
//! ([`verdict`](super::verdict)), correctness changes and image-choice changes, and the
//! decision whether the comparison fails (see [`Comparison::failures`]).

use serde::Serialize;

use super::format;
use super::verdict::{judge, Judgement, Rule, Verdict};
use crate::results::schema::{CaseResult, Device, RunFile};

/// One kernel × variant × case present in both runs.
#[derive(Debug, Clone, Serialize)]
pub struct CaseComparison {
    pub kernel: String,
    pub variant: String,
    pub case: String,
    pub base_median_s: Option<f64>,
    pub new_median_s: Option<f64>,
    /// `None` when either side has no timing (failed, not loaded).
    pub timing: Option<Judgement>,
    pub base_passed: Option<bool>,
    pub new_passed: Option<bool>,
    pub base_image: String,
    pub new_image: String,
    /// Image kind or binary version changed (e.g. SASS → PTX JIT).
    pub image_changed: bool,
    /// The new run reports an error for this case.
    pub new_error: Option<String>,
}

impl CaseComparison {
    pub fn verdict(&self) -> Option<Verdict> {
        self.timing.as_ref().map(|j| j.verdict)
    }

    /// `passed → FAILED` style description when correctness changed, or is failing.
    pub fn correctness_note(&self) -> Option<String> {
        let s = |p: Option<bool>| match p {
            Some(true) => "passed",
            Some(false) => "FAILED",
            None => "not checked",
        };
        match (self.base_passed, self.new_passed) {
            (a, b) if a == b && b != Some(false) => None,
            (a, b) => Some(format!("{} → {}", s(a), s(b))),
        }
    }

    pub fn label(&self) -> String {
        format!("{} / {} / {}", self.kernel, self.case, self.variant)
    }
}

/// A new run against a baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub new_device: String,
    pub new_capability: String,
    pub base_device: String,
    pub base_capability: String,
    pub new_started: String,
    pub base_started: String,
    /// Same device name and capability. Otherwise verdicts describe GPUs, not regressions.
    pub same_device: bool,
    pub cases: Vec<CaseComparison>,
    /// `kernel / case / variant` present only in the baseline.
    pub only_in_base: Vec<String>,
    /// `kernel / case / variant` present only in the new run.
    pub only_in_new: Vec<String>,
}

/// Compare `new` against `base` case by case (in the new run's order).
pub fn compare(base: &RunFile, new: &RunFile, rule: &Rule) -> Comparison {
    let key = |c: &CaseResult| (c.kernel.clone(), c.case.clone(), c.variant.clone());
    let label = |c: &CaseResult| format!("{} / {} / {}", c.kernel, c.case, c.variant);
    let mut cases = Vec::new();
    let mut only_in_new = Vec::new();
    for n in &new.cases {
        let Some(b) = base.cases.iter().find(|b| key(b) == key(n)) else {
            only_in_new.push(label(n));
            continue;
        };
        let timing = match (&b.timing, &n.timing) {
            (Some(bt), Some(nt)) => {
                let (bs, ns) = (samples(bt), samples(nt));
                judge(&bs, &ns, rule)
            }
            _ => None,
        };
        let image_changed = match (&b.image, &n.image) {
            (Some(bi), Some(ni)) => {
                bi.kind != ni.kind
                    || bi.binary_version != ni.binary_version
                    // Both record the exact image (version 3): sm_90 → sm_90a is a change.
                    || (bi.arch.is_some() && ni.arch.is_some() && bi.arch != ni.arch)
            }
            (None, None) => false,
            _ => true,
        };
        cases.push(CaseComparison {
            kernel: n.kernel.clone(),
            variant: n.variant.clone(),
            case: n.case.clone(),
            base_median_s: b.timing.as_ref().map(|t| t.median_s),
            new_median_s: n.timing.as_ref().map(|t| t.median_s),
            timing,
            base_passed: b.correctness.as_ref().map(|c| c.passed),
            new_passed: n.correctness.as_ref().map(|c| c.passed),
            base_image: format::image(b.image.as_ref()),
            new_image: format::image(n.image.as_ref()),
            image_changed,
            new_error: n.error.clone(),
        });
    }
    let only_in_base = base
        .cases
        .iter()
        .filter(|b| !new.cases.iter().any(|n| key(n) == key(b)))
        .map(label)
        .collect();
    Comparison {
        new_device: new.device.name.clone(),
        new_capability: new.device.capability.clone(),
        base_device: base.device.name.clone(),
        base_capability: base.device.capability.clone(),
        new_started: new.started.clone(),
        base_started: base.started.clone(),
        same_device: same_device(&base.device, &new.device),
        cases,
        only_in_base,
        only_in_new,
    }
}

/// Same GPU model: equal device name and capability.
pub fn same_device(a: &Device, b: &Device) -> bool {
    a.name == b.name && a.capability == b.capability
}

/// The kept samples, or the median alone when a file has none (then the verdict is UNSURE).
fn samples(t: &crate::results::schema::Timing) -> Vec<f64> {
    if t.samples_s.is_empty() {
        vec![t.median_s]
    } else {
        t.samples_s.clone()
    }
}

impl Comparison {
    /// Why this comparison fails CI (empty = passes):
    /// - on the same device, a SLOWER verdict whose slowdown exceeds `threshold_pct`;
    /// - on the same device, a case that passed its check in the baseline and now has no
    ///   result (load or launch error);
    /// - any case whose correctness check FAILED in the new run.
    ///
    /// Speedups never fail; across different GPUs timing verdicts never fail.
    pub fn failures(&self, threshold_pct: f64) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.cases {
            if let Some(j) = &c.timing {
                if self.same_device && j.verdict == Verdict::Slower && j.delta_pct() > threshold_pct
                {
                    out.push(format!(
                        "{}: {:+.1} % slower (threshold {threshold_pct} %)",
                        c.label(),
                        j.delta_pct()
                    ));
                }
            }
            if c.new_passed == Some(false) {
                out.push(format!("{}: correctness check FAILED", c.label()));
            } else if self.same_device && c.base_passed == Some(true) && c.new_passed.is_none() {
                let why = c.new_error.as_deref().unwrap_or("no result");
                out.push(format!("{}: passed in the baseline, now {why}", c.label()));
            }
        }
        out
    }

    /// Count of each verdict, in the order FASTER, SLOWER, SAME, UNSURE.
    pub fn counts(&self) -> [usize; 4] {
        let mut n = [0; 4];
        for v in self.cases.iter().filter_map(CaseComparison::verdict) {
            n[match v {
                Verdict::Faster => 0,
                Verdict::Slower => 1,
                Verdict::Same => 2,
                Verdict::Unsure => 3,
            }] += 1;
        }
        n
    }
}

/// The comparison as text, one line per case (with its verdict, medians, change and
/// interval), then image and correctness changes, cases on one side only, the counts, and a
/// `FAIL:` line per failure.
pub fn text(cmp: &Comparison, failures: &[String]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let width = cmp
        .cases
        .iter()
        .map(|c| super::format::printable(&c.label()).chars().count())
        .max()
        .unwrap_or(0);
    for c in &cmp.cases {
        let label = super::format::printable(&c.label());
        let pad = " ".repeat(width.saturating_sub(label.chars().count()));
        match &c.timing {
            Some(j) => {
                let ci = j.ci.map_or(String::new(), |(lo, hi)| {
                    format!(
                        " [{:+.1} … {:+.1} %]",
                        (lo - 1.0) * 100.0,
                        (hi - 1.0) * 100.0
                    )
                });
                let p = j.p_value.map_or(String::new(), |p| {
                    format!(" p={}", super::markdown::p_value(p))
                });
                let _ = writeln!(
                    out,
                    "{label}{pad}  {:>6}  {} → {}  {:+.1} %{ci}{p}",
                    j.verdict.to_string(),
                    c.base_median_s.map_or("—".into(), super::format::time),
                    c.new_median_s.map_or("—".into(), super::format::time),
                    j.delta_pct()
                );
            }
            None => {
                let _ = writeln!(out, "{label}{pad}  {:>6}  no timing on one side", "—");
            }
        }
        if c.image_changed {
            let _ = writeln!(
                out,
                "    image changed: {} → {}",
                super::format::printable(&c.base_image),
                super::format::printable(&c.new_image)
            );
        }
        if let Some(n) = c.correctness_note() {
            let _ = writeln!(out, "    correctness: {}", super::format::printable(&n));
        }
    }
    for l in &cmp.only_in_base {
        let _ = writeln!(out, "only in baseline: {}", super::format::printable(l));
    }
    for l in &cmp.only_in_new {
        let _ = writeln!(out, "only in new run: {}", super::format::printable(l));
    }
    let [f, s, same, u] = cmp.counts();
    let _ = writeln!(out, "{f} faster, {s} slower, {same} same, {u} unsure");
    for fail in failures {
        let _ = writeln!(out, "FAIL: {}", super::format::printable(fail));
    }
    out
}
