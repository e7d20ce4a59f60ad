//! The verdict rule: is a new set of timing samples FASTER, SLOWER, the SAME as a baseline,
//! or can we not tell (UNSURE)?
//!
//! Inputs are the kept per-sample times of one kernel × variant × case in the baseline (`b`)
//! and the new run (`n`). With `r = median(n) / median(b)`:
//!
//! 1. **Interval**: a 95 % percentile-bootstrap confidence interval `[lo, hi]` of `r`
//!    (2000 resamples of each side, SplitMix64 seeded with a fixed constant, so the same
//!    files always give the same interval).
//! 2. **Rank test**: a two-sided Mann–Whitney U test of `n` against `b` (normal
//!    approximation, tie and continuity correction), significant when `p < α = 0.05`.
//! 3. **Minimum effect** `m = 1 %`.
//!
//! The verdict:
//! - fewer than 5 samples on either side → **UNSURE** (no test is meaningful);
//! - the interval excludes 1 (`hi < 1` or `lo > 1`, i.e. the two medians' uncertainty bands
//!   do not overlap), the rank test is significant, and `|r − 1| ≥ m` → **FASTER** (`r < 1`)
//!   or **SLOWER** (`r > 1`);
//! - otherwise, if the whole interval lies within `[1 − m, 1 + m]`, or the difference is
//!   real but smaller than `m` (interval excludes 1, test significant, `|r − 1| < m`) →
//!   **SAME**;
//! - otherwise (wide interval, or interval and rank test disagree) → **UNSURE**.
//!
//! Requiring both the interval and the rank test guards against a single outlier moving the
//! median (interval) and against a shifted tail with an unchanged median (rank test).

use serde::Serialize;

use super::stats::{bootstrap_median_ratio_ci, mann_whitney, median, sorted_finite};

/// The outcome of comparing two sample sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Faster,
    Slower,
    Same,
    Unsure,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Faster => "FASTER",
            Verdict::Slower => "SLOWER",
            Verdict::Same => "SAME",
            Verdict::Unsure => "UNSURE",
        })
    }
}

/// Parameters of the rule (the defaults are the documented ones).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Significance level of the rank test.
    pub alpha: f64,
    /// Smallest relative change that counts (0.01 = 1 %).
    pub min_effect: f64,
    /// Confidence of the bootstrap interval.
    pub confidence: f64,
    pub resamples: usize,
    pub seed: u64,
    /// Fewer samples than this on either side → UNSURE.
    pub min_samples: usize,
}

impl Default for Rule {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            min_effect: 0.01,
            confidence: 0.95,
            resamples: 2000,
            seed: 0x00A2_C4BE_5EED,
            min_samples: 5,
        }
    }
}

/// Statistics and verdict for one pair of sample sets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judgement {
    /// median(new) / median(base).
    pub ratio: f64,
    /// Bootstrap confidence interval of `ratio`.
    pub ci: Option<(f64, f64)>,
    /// Mann–Whitney two-sided p-value.
    pub p_value: Option<f64>,
    pub n_base: usize,
    pub n_new: usize,
    pub verdict: Verdict,
}

impl Judgement {
    /// `ratio − 1` in percent (positive = slower).
    pub fn delta_pct(&self) -> f64 {
        (self.ratio - 1.0) * 100.0
    }
}

/// Apply the rule. `None` when either side has no finite positive median (nothing to compare).
pub fn judge(base: &[f64], new: &[f64], rule: &Rule) -> Option<Judgement> {
    let (b, n) = (sorted_finite(base), sorted_finite(new));
    let (mb, mn) = (median(&b)?, median(&n)?);
    if mb <= 0.0 || mn <= 0.0 {
        return None;
    }
    let ratio = mn / mb;
    let mut j = Judgement {
        ratio,
        ci: None,
        p_value: None,
        n_base: b.len(),
        n_new: n.len(),
        verdict: Verdict::Unsure,
    };
    if b.len() < rule.min_samples || n.len() < rule.min_samples {
        return Some(j);
    }
    j.ci = bootstrap_median_ratio_ci(&b, &n, rule.confidence, rule.resamples, rule.seed);
    j.p_value = mann_whitney(&n, &b).map(|m| m.p_value);
    let (Some((lo, hi)), Some(p)) = (j.ci, j.p_value) else {
        return Some(j);
    };
    let separated = hi < 1.0 || lo > 1.0;
    let significant = p < rule.alpha;
    let big = (ratio - 1.0).abs() >= rule.min_effect;
    j.verdict = if separated && significant && big {
        if ratio < 1.0 {
            Verdict::Faster
        } else {
            Verdict::Slower
        }
    } else if (lo >= 1.0 - rule.min_effect && hi <= 1.0 + rule.min_effect)
        || (separated && significant && !big)
    {
        Verdict::Same
    } else {
        Verdict::Unsure
    };
    Some(j)
}
