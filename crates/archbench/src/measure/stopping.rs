//! When to stop sampling a case.
//!
//! archbench reports the median, so it stops when the median is known precisely enough:
//! after at least `min_samples` samples and `min_time_s` of sampling, it stops as soon as the
//! half-width of the median's distribution-free 99 % confidence interval, relative to the
//! median, is at most `max_noise` (0.5 % by default). The interval comes from order
//! statistics (the ranks n/2 ∓ 2.576·√n/2 of the sorted samples; no distribution assumed),
//! so heavy tails widen it only as much as they really blur the median. The rule looks at
//! the interval again and again as samples arrive, and every look is a chance to stop on a
//! lucky stretch; a 95 % interval stopped 5 % of simulated heavy-tailed runs after 21–133
//! samples, so the interval is the 99 % one, which stopped none of them before ~290. Otherwise it
//! stops at the per-case budget (`timeout_s`, wall time) or `max_samples`. With
//! `fixed_samples` (profilers, nvbench's "fixed run count") it takes exactly that many.
//!
//! nvbench's own rule stops on stdev/mean ≤ 0.5 % after ≥ 0.5 s of GPU time, which for a
//! 3 µs kernel means 166 000 samples; its fallback ("the noise stopped changing") is
//! replaced here by the interval, which shrinks as 1/√n whatever the noise.

use serde::{Deserialize, Serialize};

use super::stats::quantile_sorted;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StopRule {
    /// Target relative half-width of the median's 99 % confidence interval.
    pub max_noise: f64,
    pub min_samples: u32,
    /// Minimum wall time spent sampling, so slow drifts are sampled too.
    pub min_time_s: f64,
    /// Per-case sampling budget (wall time).
    pub timeout_s: f64,
    pub max_samples: u32,
    /// Take exactly this many samples (no other rule applies).
    #[serde(default)]
    pub fixed_samples: Option<u32>,
    /// The whole-run budget shortened `timeout_s` (a stop at it is reported as `budget`).
    #[serde(default)]
    pub cut_by_budget: bool,
    /// Refuse to stop on precision while the series still drifts (its first and last
    /// quarters differ by more than twice `max_noise`, at least 1 %, and a rank test says it
    /// is not noise: see [`crate::measure::drift`]); the budget still ends it.
    #[serde(default)]
    pub drift_check: bool,
}

impl StopRule {
    /// Full runs: 0.5 % precision, ≥ 10 samples over ≥ 0.1 s, at most 3 s a case.
    pub fn full() -> Self {
        Self {
            max_noise: 0.005,
            min_samples: 10,
            min_time_s: 0.1,
            timeout_s: 3.0,
            max_samples: 100_000,
            fixed_samples: None,
            cut_by_budget: false,
            drift_check: true,
        }
    }

    /// `--quick`: 1 % precision, ≥ 10 samples over ≥ 20 ms, at most 0.3 s a case.
    pub fn quick() -> Self {
        Self {
            max_noise: 0.01,
            min_time_s: 0.02,
            timeout_s: 0.3,
            ..Self::full()
        }
    }
}

impl Default for StopRule {
    fn default() -> Self {
        Self::full()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// The median's confidence interval is narrow enough.
    Noise,
    /// The per-case budget ran out.
    Timeout,
    /// The per-case budget, shortened by the whole-run budget, ran out.
    Budget,
    MaxSamples,
    /// `--samples N` were taken.
    Fixed,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Noise => "noise",
            StopReason::Timeout => "timeout",
            StopReason::Budget => "budget",
            StopReason::MaxSamples => "max-samples",
            StopReason::Fixed => "fixed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Continue,
    Stop(StopReason),
}

/// z of the two-sided 99 % normal quantile.
const Z99: f64 = 2.576;

/// The 99 % confidence interval of the median from order statistics, as its half-width
/// relative to the median: `(x₍ₖ₎ − x₍ⱼ₎) / (2·median)` with `j = ⌊n/2 − z·√n/2⌋`,
/// `k = ⌈n/2 + z·√n/2⌉ + 1` (1-based ranks, clamped to the sample). ∞ for fewer than two
/// samples or a zero median.
pub fn median_ci_rel(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n < 2 {
        return f64::INFINITY;
    }
    let half = Z99 * (n as f64).sqrt() / 2.0;
    let mid = n as f64 / 2.0;
    let j = ((mid - half).floor() as isize).clamp(1, n as isize) as usize;
    let k = ((mid + half).ceil() as isize + 1).clamp(1, n as isize) as usize;
    let med = quantile_sorted(sorted, 0.5);
    if med == 0.0 || !med.is_finite() {
        return f64::INFINITY;
    }
    (sorted[k - 1] - sorted[j - 1]) / (2.0 * med.abs())
}

/// Applies a [`StopRule`] to a growing series of samples. The interval is recomputed when
/// the series has grown by 5 % (sorting every time would cost O(n² log n) over a case).
#[derive(Debug, Clone)]
pub struct Stopper {
    rule: StopRule,
    next_check: usize,
    last_ci: f64,
    drifting: bool,
}

impl Stopper {
    pub fn new(rule: StopRule) -> Self {
        Self {
            rule,
            next_check: 0,
            last_ci: f64::INFINITY,
            drifting: false,
        }
    }

    /// Whether the last check found the series precise enough but still drifting.
    pub fn drifting(&self) -> bool {
        self.drifting
    }

    /// The last computed relative half-width of the median's interval.
    pub fn last_ci(&self) -> f64 {
        self.last_ci
    }

    /// Decides after each sample. `wall_s` is the wall time spent sampling this case.
    pub fn decide(&mut self, samples: &[f64], wall_s: f64) -> Decision {
        let r = &self.rule;
        let n = samples.len();
        if let Some(fixed) = r.fixed_samples {
            return if n >= fixed as usize {
                Decision::Stop(StopReason::Fixed)
            } else {
                Decision::Continue
            };
        }
        if wall_s >= r.timeout_s {
            return Decision::Stop(if r.cut_by_budget {
                StopReason::Budget
            } else {
                StopReason::Timeout
            });
        }
        if n >= r.max_samples as usize {
            return Decision::Stop(StopReason::MaxSamples);
        }
        if n < (r.min_samples as usize).max(2) || wall_s < r.min_time_s || n < self.next_check {
            return Decision::Continue;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        self.last_ci = median_ci_rel(&sorted);
        self.next_check = (n + 1).max(n + n.div_ceil(20));
        if self.last_ci > r.max_noise {
            return Decision::Continue;
        }
        if r.drift_check {
            let tolerance = (2.0 * r.max_noise).max(0.01);
            self.drifting = super::drift::drift(samples).is_some_and(|d| d.trending(tolerance));
            if self.drifting {
                return Decision::Continue;
            }
        }
        Decision::Stop(StopReason::Noise)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fill::Rng;

    fn uniform(rng: &mut Rng) -> f64 {
        (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal by Box–Muller.
    fn normal(rng: &mut Rng) -> f64 {
        let u1 = uniform(rng).max(1e-300);
        let u2 = uniform(rng);
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Runs the rule on a simulated stream, one sample per `dt` seconds of wall time.
    /// Returns (samples taken, reason, median at the stop).
    fn simulate(
        rule: StopRule,
        dt: f64,
        mut next: impl FnMut() -> f64,
    ) -> (usize, StopReason, f64) {
        let mut s = Stopper::new(rule);
        let mut v = Vec::new();
        loop {
            v.push(next());
            if let Decision::Stop(r) = s.decide(&v, v.len() as f64 * dt) {
                let mut sorted = v.clone();
                sorted.sort_by(f64::total_cmp);
                return (v.len(), r, quantile_sorted(&sorted, 0.5));
            }
        }
    }

    /// A series that runs fast at first and then settles 5 % slower (a GPU under sustained
    /// load, as the H100 showed after 50–70 ms): precise at the minimum time (0.1 s), but
    /// it must not stop while its first quarter is still the burst. Without the drift check
    /// it stops at the minimums with a median that depends on where the switch fell.
    #[test]
    fn a_drifting_series_does_not_stop_early() {
        let mut rng = Rng::new(9);
        // 190 µs samples for the first 60 ms, then 199.5 µs; one sample per 200 µs of wall.
        let mut t = 0.0;
        let mut series = move || {
            t += 200e-6;
            let base = if t < 0.06 { 190e-6 } else { 199.5e-6 };
            base * (1.0 + 0.0005 * normal(&mut rng))
        };
        let rule = StopRule::full();
        let (n, why, med) = simulate(rule, 200e-6, &mut series);
        assert_eq!(why, StopReason::Noise);
        // It went on until the burst (300 samples) left the first quarter's median, and its
        // median is the sustained speed.
        assert!(n > 2000, "{n}");
        assert!((med / 199.5e-6 - 1.0).abs() < 0.002, "{med}");
        let mut rng = Rng::new(9);
        let mut t = 0.0;
        let early = StopRule {
            drift_check: false,
            ..rule
        };
        let (n, _, med) = simulate(early, 200e-6, move || {
            t += 200e-6;
            let base = if t < 0.06 { 190e-6 } else { 199.5e-6 };
            base * (1.0 + 0.0005 * normal(&mut rng))
        });
        assert!(n < 600 && (med / 190e-6 - 1.0).abs() < 0.002, "{n} {med}");
    }

    #[test]
    fn interval_from_order_statistics() {
        // 100 samples 1..=100: half = 12.88, ranks 37 and 64 → (64 − 37) / (2 · 50.5).
        let x: Vec<f64> = (1..=100).map(f64::from).collect();
        assert!((median_ci_rel(&x) - 27.0 / 101.0).abs() < 1e-12);
        assert_eq!(median_ci_rel(&[1.0]), f64::INFINITY);
        assert_eq!(median_ci_rel(&[0.0, 0.0, 0.0]), f64::INFINITY);
        // Constant samples: zero width.
        assert_eq!(median_ci_rel(&[2.0; 50]), 0.0);
    }

    #[test]
    fn clean_data_stops_at_the_minimums() {
        // 5 µs kernels, 0.1 % Gaussian noise, one sample per 40 µs of wall time.
        let mut rng = Rng::new(1);
        let (n, why, med) = simulate(StopRule::full(), 40e-6, || {
            5e-6 * (1.0 + 0.001 * normal(&mut rng))
        });
        assert_eq!(why, StopReason::Noise);
        // The minimum time (0.1 s) at 40 µs a sample: 2500 samples, not more than 5 % over.
        assert!((2500..=2630).contains(&n), "{n}");
        assert!((med / 5e-6 - 1.0).abs() < 0.001);
        // Quick: 20 ms → 500 samples.
        let (n, why, _) = simulate(StopRule::quick(), 40e-6, || {
            5e-6 * (1.0 + 0.001 * normal(&mut rng))
        });
        assert_eq!((why, n <= 530), (StopReason::Noise, true), "{n}");
    }

    /// Heavy tails: 1 ms kernels whose samples are 1 ms + |Cauchy| noise of 3 % scale
    /// (infinite variance: stdev/mean never settles). The rule must not stop before the
    /// median is known to the target precision, and must then stop well before the budget.
    #[test]
    fn heavy_tailed_noise_stops_only_when_the_median_is_known() {
        let rule = StopRule {
            min_time_s: 0.0,
            timeout_s: 1e9,
            ..StopRule::full()
        };
        let scale = 0.03;
        // The true median of 1 + scale·|Cauchy| is 1 + scale·tan(π/4) = 1 + scale.
        let truth = 1.0 + scale;
        let mut early = 0;
        let mut worst: f64 = 0.0;
        let runs = 200;
        for seed in 0..runs {
            let mut rng = Rng::new(1000 + seed);
            let (n, why, med) = simulate(rule, 0.0, || {
                let c = (std::f64::consts::PI * (uniform(&mut rng) - 0.5)).tan();
                1.0 + scale * c.abs()
            });
            assert_eq!(why, StopReason::Noise);
            // The half-width ≈ z/(2√n·f(m)) with density f(m) = 1/(π·scale) at the
            // median: n ≈ (2.576·π·scale/(2·0.005·truth))² ≈ 550.
            if n < 150 {
                early += 1;
            }
            worst = worst.max((med / truth - 1.0).abs());
        }
        assert_eq!(early, 0, "stopped with fewer than 150 samples");
        // At a 99 % interval of ±0.5 %, the median is within ±1 % in every run.
        assert!(worst < 0.01, "worst median error {worst}");
        // A CV-based rule never gets there: the CV of these samples stays far above 0.5 %.
        let mut rng = Rng::new(7);
        let xs: Vec<f64> = (0..5000)
            .map(|_| {
                let c = (std::f64::consts::PI * (uniform(&mut rng) - 0.5)).tan();
                1.0 + scale * c.abs()
            })
            .collect();
        assert!(crate::measure::Summary::of(&xs).unwrap().cv > 0.05);
    }

    /// Wide noise (uniform ±20 %) and a short budget: the interval cannot narrow to 0.5 %
    /// in 1000 samples (it needs ~6000), so the rule runs to the budget and says so.
    #[test]
    fn wide_noise_runs_to_the_budget() {
        let mut rng = Rng::new(3);
        let rule = StopRule {
            timeout_s: 0.1,
            ..StopRule::full()
        };
        let mut next = || 1.0 + 0.4 * (uniform(&mut rng) - 0.5);
        let (n, why, _) = simulate(rule, 1e-4, &mut next);
        assert_eq!(why, StopReason::Timeout);
        assert!((999..=1001).contains(&n), "{n}");
        let cut = StopRule {
            cut_by_budget: true,
            ..rule
        };
        assert_eq!(simulate(cut, 1e-4, &mut next).1, StopReason::Budget);
    }

    #[test]
    fn minimums_caps_and_fixed_counts() {
        let r = StopRule::full();
        let mut s = Stopper::new(r);
        assert_eq!(
            s.decide(&[1.0; 9], 1.0),
            Decision::Continue,
            "fewer than 10"
        );
        assert_eq!(
            s.decide(&[1.0; 10], 0.05),
            Decision::Continue,
            "under 0.1 s"
        );
        assert_eq!(s.decide(&[1.0; 10], 0.2), Decision::Stop(StopReason::Noise));
        let capped = StopRule {
            max_samples: 20,
            ..r
        };
        let alt: Vec<f64> = (0..20).map(|i| 1.0 + 0.5 * (i % 2) as f64).collect();
        assert_eq!(
            Stopper::new(capped).decide(&alt, 0.5),
            Decision::Stop(StopReason::MaxSamples)
        );
        let fixed = StopRule {
            fixed_samples: Some(5),
            ..r
        };
        let mut s = Stopper::new(fixed);
        assert_eq!(
            s.decide(&[1.0; 4], 100.0),
            Decision::Continue,
            "fixed ignores the budget"
        );
        assert_eq!(s.decide(&[1.0; 5], 0.0), Decision::Stop(StopReason::Fixed));
    }
}
