//! The sampling loop: take samples until the stopping rule says stop, discarding (and
//! pausing after) samples taken while the SM clock was throttled and samples whose blocking
//! kernel gave up before the launches were queued. The sample source is a closure, so the
//! loop is tested on simulated series and driven by the GPU in a run.
//!
//! Statistics are exact over every kept sample; the stored series is thinned evenly (in time
//! order) to at most [`MAX_STORED_SAMPLES`]. Besides the headline median (event time per
//! launch), a case records its burst and sustained medians and their drift
//! ([`crate::measure::drift`]), each sample's SM clock, and two other readings of the same
//! samples for checking short kernels against a profiler: the GPU-side duration from the
//! clock stamps, and the event time less the cost of an empty timed region.

use std::time::{Duration, Instant};

use crate::measure::stats::median_finite;
use crate::measure::stopping::{Decision, StopRule, Stopper};
use crate::measure::throttle::{ClockSpan, ThrottleGuard, Verdict};
use crate::measure::{median_ci_rel, Summary};
use crate::results::schema::{Timing, MAX_STORED_SAMPLES};

/// One sample: GPU seconds per launch, and the slowest SM's clock span across it.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub seconds: f64,
    pub span: Option<ClockSpan>,
    /// The timed region per launch by the GPU's own timer (the clock stamps), when read.
    pub region_s: Option<f64>,
    /// The blocking kernel gave up before the host released it: the timed launches were
    /// not all queued behind it, so the sample may include submission time. Dropped.
    pub blocker_timed_out: bool,
}

/// The samples of one series as they arrive: the kept ones with their clocks and GPU-side
/// durations, the ones still waiting for a clock verdict, and the dropped ones. The case's
/// own series decides when sampling stops; a paired library call's series
/// ([`super::paired`]) is kept beside it, sample by sample, and summarised the same way.
pub struct Series {
    guard: ThrottleGuard,
    // Kept samples, then (from `waiting_from`) the samples waiting for a clock verdict.
    // Waiting samples count toward the rule: they are kept unless their group turns out
    // throttled.
    kept: Vec<f64>,
    // Beside each kept sample: its SM clock and its GPU-side duration (NaN: not measured).
    clocks: Vec<f64>,
    regions: Vec<f64>,
    waiting_from: usize,
    blocker_timeouts: u32,
}

impl Series {
    pub fn new(default_clock_mhz: f64) -> Self {
        Series {
            guard: ThrottleGuard::new(default_clock_mhz),
            kept: Vec::new(),
            clocks: Vec::new(),
            regions: Vec::new(),
            waiting_from: 0,
            blocker_timeouts: 0,
        }
    }

    /// Adds a sample; whether its clock group was throttled and dropped (pause, then go on).
    pub fn push(&mut self, s: Sample) -> bool {
        if s.blocker_timed_out {
            self.blocker_timeouts += 1;
            return false;
        }
        self.kept.push(s.seconds);
        self.clocks.push(s.span.map_or(f64::NAN, ClockSpan::mhz));
        self.regions.push(s.region_s.unwrap_or(f64::NAN));
        match self.guard.judge(s.span) {
            Verdict::Pending => false,
            Verdict::Keep => {
                self.waiting_from = self.kept.len();
                false
            }
            Verdict::DiscardAndPause => {
                self.kept.truncate(self.waiting_from);
                self.clocks.truncate(self.waiting_from);
                self.regions.truncate(self.waiting_from);
                true
            }
        }
    }

    /// The samples kept so far, in order (a group too short to judge is kept: no reading is
    /// no evidence).
    pub fn kept(&self) -> &[f64] {
        &self.kept
    }

    /// The series' statistics. `overhead_s`: the event time of an empty timed region, per
    /// launch, for the net figure.
    pub fn finish(
        &self,
        reason: &str,
        launches_per_sample: u32,
        budget_s: f64,
        overhead_s: Option<f64>,
    ) -> Timing {
        let mut t = timing(
            &self.kept,
            &self.guard,
            reason,
            launches_per_sample,
            self.blocker_timeouts,
            budget_s,
        );
        if let Some(d) = crate::measure::drift::drift(&self.kept) {
            t.burst_median_s = Some(d.burst);
            t.sustained_median_s = Some(d.sustained);
            t.drift_rel = Some(d.rel);
            t.drift_p = Some(d.p_value);
        }
        if self.clocks.iter().any(|c| c.is_finite()) {
            t.clocks_mhz = thin(&self.clocks, MAX_STORED_SAMPLES);
        }
        t.region_median_s = median_finite(&self.regions);
        if let Some(o) = overhead_s {
            t.event_overhead_s = Some(o * f64::from(launches_per_sample));
            t.net_median_s = net_median(&self.kept, o);
        }
        t
    }
}

/// Samples until the rule stops. `pause` is called after a throttled sample. `overhead_s`:
/// the event time of an empty timed region, per launch, for the net figure.
pub fn sample<E>(
    rule: &StopRule,
    default_clock_mhz: f64,
    launches_per_sample: u32,
    overhead_s: Option<f64>,
    mut take: impl FnMut() -> Result<Sample, E>,
    mut pause: impl FnMut(),
) -> Result<Timing, E> {
    let start = Instant::now();
    let mut series = Series::new(default_clock_mhz);
    let mut stopper = Stopper::new(*rule);
    let reason = loop {
        if series.push(take()?) {
            pause();
        }
        if let Decision::Stop(r) = stopper.decide(series.kept(), start.elapsed().as_secs_f64()) {
            break r;
        }
        // A source that never yields a usable sample must still end at the budget.
        if series.kept().is_empty() && start.elapsed().as_secs_f64() >= rule.timeout_s {
            break crate::measure::StopReason::Timeout;
        }
    };
    let wall_s = start.elapsed().as_secs_f64();
    let mut t = series.finish(
        reason.as_str(),
        launches_per_sample,
        rule.timeout_s,
        overhead_s,
    );
    t.wall_s = Some(wall_s);
    Ok(t)
}

/// The net figure: every kept sample less the event overhead of an empty region (clamped at
/// zero), its median.
pub fn net_median(samples: &[f64], overhead_s: f64) -> Option<f64> {
    let net: Vec<f64> = samples.iter().map(|s| (s - overhead_s).max(0.0)).collect();
    median_finite(&net)
}

fn timing(
    kept: &[f64],
    guard: &ThrottleGuard,
    reason: &str,
    launches_per_sample: u32,
    blocker_timeouts: u32,
    budget_s: f64,
) -> Timing {
    let sum = Summary::of(kept);
    let mut sorted = kept.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut clocks = guard.clocks().to_vec();
    clocks.sort_by(f64::total_cmp);
    let f = |g: fn(&Summary) -> f64| sum.as_ref().map_or(f64::NAN, g);
    Timing {
        samples_s: thin(kept, MAX_STORED_SAMPLES),
        samples: kept.len() as u64,
        median_s: f(|s| s.median),
        mean_s: f(|s| s.mean),
        min_s: f(|s| s.min),
        max_s: f(|s| s.max),
        q1_s: f(|s| s.q1),
        q3_s: f(|s| s.q3),
        cv: f(|s| s.cv),
        median_ci_rel: if sorted.is_empty() {
            f64::NAN
        } else {
            median_ci_rel(&sorted)
        },
        discarded_throttled: guard.discarded(),
        clock_min_mhz: clocks.first().copied(),
        clock_median_mhz: (!clocks.is_empty())
            .then(|| crate::measure::stats::quantile_sorted(&clocks, 0.5)),
        stop_reason: reason.to_string(),
        launches_per_sample,
        discarded_blocker_timeout: blocker_timeouts,
        budget_s: Some(budget_s),
        wall_s: None,
        ..Timing::default()
    }
}

/// At most `max` of `xs`, evenly spaced in order (all of them when there are fewer).
pub fn thin(xs: &[f64], max: usize) -> Vec<f64> {
    if xs.len() <= max || max == 0 {
        return xs.to_vec();
    }
    (0..max).map(|i| xs[i * xs.len() / max]).collect()
}

/// How long to pause after a throttled sample (nvbench pauses too).
pub const THROTTLE_PAUSE: Duration = Duration::from_millis(50);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::StopRule;

    fn sample_at(seconds: f64, mhz: f64, us: u64) -> Sample {
        Sample {
            seconds,
            span: Some(ClockSpan {
                cycles: (mhz * us as f64) as u64,
                ns: us * 1000,
            }),
            blocker_timed_out: false,
            region_s: None,
        }
    }

    #[test]
    fn discards_throttled_and_stops_on_precision() {
        // 1 ms samples, two taken during a clock dip (5 ms each).
        let clocks = [
            1980.0, 1980.0, 900.0, 950.0, 1980.0, 1980.0, 1980.0, 1980.0, 1980.0, 1980.0, 1980.0,
            1980.0,
        ];
        let mut i = 0;
        let mut pauses = 0;
        let rule = StopRule {
            min_time_s: 0.0,
            ..StopRule::full()
        };
        let t = sample::<()>(
            &rule,
            1755.0,
            1,
            None,
            || {
                let c = clocks[i % clocks.len()];
                i += 1;
                Ok(sample_at(if c < 1000.0 { 5e-3 } else { 1e-3 }, c, 1000))
            },
            || pauses += 1,
        )
        .unwrap();
        assert_eq!(t.discarded_throttled, 2);
        assert_eq!(pauses, 2);
        assert_eq!(t.samples, 10);
        assert_eq!(t.median_s, 1e-3, "throttled 5 ms samples were dropped");
        assert_eq!(t.stop_reason, "noise");
        assert_eq!(t.clock_min_mhz, Some(900.0));
        assert_eq!(t.median_ci_rel, 0.0);
    }

    #[test]
    fn stored_samples_are_thinned_but_statistics_are_exact() {
        // 3 µs kernels that alternate 3.0 / 3.1 µs: the cap is hit long before the budget.
        let mut n = 0u64;
        let rule = StopRule {
            max_samples: 50_000,
            max_noise: 1e-9,
            timeout_s: 1e9,
            ..StopRule::quick()
        };
        let t = sample::<()>(
            &rule,
            1980.0,
            1,
            None,
            || {
                n += 1;
                Ok(sample_at(
                    if n.is_multiple_of(2) { 3.0e-6 } else { 3.1e-6 },
                    1980.0,
                    4,
                ))
            },
            || {},
        )
        .unwrap();
        assert_eq!(t.stop_reason, "max-samples");
        assert_eq!(t.samples, 50_000);
        assert_eq!(t.samples_s.len(), MAX_STORED_SAMPLES);
        assert_eq!(t.min_s, 3.0e-6);
        assert_eq!(t.max_s, 3.1e-6);
        assert!((t.mean_s - 3.05e-6).abs() < 1e-15);
    }

    #[test]
    fn blocker_timeouts_are_dropped_and_counted() {
        let mut n = 0;
        let rule = StopRule {
            min_time_s: 0.0,
            ..StopRule::full()
        };
        let t = sample::<()>(
            &rule,
            1980.0,
            100,
            None,
            || {
                n += 1;
                let mut s = sample_at(1e-5, 1980.0, 1000);
                s.blocker_timed_out = n <= 3;
                Ok(s)
            },
            || {},
        )
        .unwrap();
        assert_eq!(t.discarded_blocker_timeout, 3);
        assert_eq!(t.samples, 10);
        assert_eq!(t.launches_per_sample, 100);
    }

    #[test]
    fn a_source_of_only_timeouts_ends_at_the_budget() {
        let rule = StopRule {
            timeout_s: 0.05,
            ..StopRule::full()
        };
        let t = sample::<()>(
            &rule,
            1980.0,
            1,
            None,
            || {
                let mut s = sample_at(1e-5, 1980.0, 1000);
                s.blocker_timed_out = true;
                Ok(s)
            },
            || {},
        )
        .unwrap();
        assert_eq!(t.stop_reason, "timeout");
        assert!(t.median_s.is_nan() && t.samples == 0);
    }

    #[test]
    fn errors_propagate() {
        let r = sample(
            &StopRule::default(),
            1000.0,
            1,
            None,
            || Err::<Sample, &str>("launch failed"),
            || {},
        );
        assert_eq!(r.unwrap_err(), "launch failed");
    }

    /// A series that slows by 5 % partway records its burst, sustained and drift figures,
    /// each sample's clock, the GPU-side medians and the net figure.
    #[test]
    fn burst_sustained_clocks_and_the_other_readings_are_recorded() {
        let rule = StopRule {
            fixed_samples: Some(40),
            ..StopRule::full()
        };
        let mut n = 0;
        let t = sample::<()>(
            &rule,
            1980.0,
            1,
            Some(2e-6),
            || {
                n += 1;
                let (secs, mhz) = if n <= 10 {
                    (100e-6, 1980.0)
                } else {
                    (105e-6, 1800.0)
                };
                let mut s = sample_at(secs, mhz, 100);
                s.region_s = Some(secs - 1.5e-6);
                Ok(s)
            },
            || {},
        )
        .unwrap();
        assert_eq!(t.burst_median_s, Some(100e-6));
        assert_eq!(t.sustained_median_s, Some(105e-6));
        assert!((t.drift_rel.unwrap() - 0.05).abs() < 1e-9);
        assert!(t.drift_p.unwrap() < 0.01);
        assert_eq!(t.clocks_mhz.len(), 40);
        assert!(
            (t.clocks_mhz[0] - 1980.0).abs() < 0.01 && (t.clocks_mhz[39] - 1800.0).abs() < 0.01
        );
        assert!((t.region_median_s.unwrap() - 103.5e-6).abs() < 1e-12);
        assert_eq!(t.event_overhead_s, Some(2e-6));
        assert!((t.net_median_s.unwrap() - 103e-6).abs() < 1e-12);
    }

    #[test]
    fn thinning_is_even_and_keeps_order() {
        let xs: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(thin(&xs, 5), [0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(thin(&xs, 20), xs);
    }
}
