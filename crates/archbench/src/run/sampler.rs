//! The sampling loop: take samples until the stopping rule says stop, discarding (and
//! pausing after) samples taken while the SM clock was throttled and samples whose blocking
//! kernel gave up before the launches were queued. The sample source is a closure, so the
//! loop is tested on simulated series and driven by the GPU in a run.
//!
//! Statistics are exact over every kept sample; the stored series is thinned evenly (in time
//! order) to at most [`MAX_STORED_SAMPLES`].

use std::time::{Duration, Instant};

use crate::measure::stopping::{Decision, StopRule, Stopper};
use crate::measure::throttle::{ClockSpan, ThrottleGuard, Verdict};
use crate::measure::{median_ci_rel, Summary};
use crate::results::schema::{Timing, MAX_STORED_SAMPLES};

/// One sample: GPU seconds per launch, and the slowest SM's clock span across it.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub seconds: f64,
    pub span: Option<ClockSpan>,
    /// The blocking kernel gave up before the host released it: the timed launches were
    /// not all queued behind it, so the sample may include submission time. Dropped.
    pub blocker_timed_out: bool,
}

/// Samples until the rule stops. `pause` is called after a throttled sample.
pub fn sample<E>(
    rule: &StopRule,
    default_clock_mhz: f64,
    launches_per_sample: u32,
    mut take: impl FnMut() -> Result<Sample, E>,
    mut pause: impl FnMut(),
) -> Result<Timing, E> {
    let start = Instant::now();
    let mut guard = ThrottleGuard::new(default_clock_mhz);
    let mut stopper = Stopper::new(*rule);
    // Kept samples, then (from `waiting_from`) the samples waiting for a clock verdict.
    // Waiting samples count toward the rule: they are kept unless their group turns out
    // throttled.
    let mut kept: Vec<f64> = Vec::new();
    let mut waiting_from = 0usize;
    let mut blocker_timeouts = 0u32;
    let reason = loop {
        let s = take()?;
        if s.blocker_timed_out {
            blocker_timeouts += 1;
        } else {
            kept.push(s.seconds);
            match guard.judge(s.span) {
                Verdict::Pending => {}
                Verdict::Keep => waiting_from = kept.len(),
                Verdict::DiscardAndPause => {
                    kept.truncate(waiting_from);
                    pause();
                }
            }
        }
        if let Decision::Stop(r) = stopper.decide(&kept, start.elapsed().as_secs_f64()) {
            // A group too short to judge is kept: no reading is no evidence.
            break r;
        }
        // A source that never yields a usable sample must still end at the budget.
        if kept.is_empty() && start.elapsed().as_secs_f64() >= rule.timeout_s {
            break crate::measure::StopReason::Timeout;
        }
    };
    let wall_s = start.elapsed().as_secs_f64();
    let mut t = timing(
        &kept,
        &guard,
        reason.as_str(),
        launches_per_sample,
        blocker_timeouts,
        rule.timeout_s,
    );
    t.wall_s = Some(wall_s);
    Ok(t)
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
            || Err::<Sample, &str>("launch failed"),
            || {},
        );
        assert_eq!(r.unwrap_err(), "launch failed");
    }

    #[test]
    fn thinning_is_even_and_keeps_order() {
        let xs: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(thin(&xs, 5), [0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(thin(&xs, 20), xs);
    }
}
