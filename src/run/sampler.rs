//! The sampling loop: take samples until the stopping rule says stop, discarding (and
//! pausing after) samples taken while the SM clock was throttled. The sample source is a
//! closure, so the loop is tested on recorded series and driven by the GPU in a run.

use std::time::{Duration, Instant};

use crate::measure::stopping::{Decision, StopRule};
use crate::measure::throttle::{ThrottleGuard, Verdict};
use crate::measure::Summary;
use crate::results::schema::Timing;

/// One sample: GPU seconds per launch, and the lowest SM clock (MHz) read around it.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub seconds: f64,
    pub clock_mhz: f64,
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
    let mut kept: Vec<f64> = Vec::new();
    let mut gpu_time = 0.0;
    let reason = loop {
        let s = take()?;
        match guard.judge(s.clock_mhz) {
            Verdict::Keep => {
                kept.push(s.seconds);
                gpu_time += s.seconds * f64::from(launches_per_sample.max(1));
            }
            Verdict::DiscardAndPause => pause(),
        }
        if let Decision::Stop(r) =
            rule.decide_batched(&kept, gpu_time, start.elapsed().as_secs_f64())
        {
            break r;
        }
    };
    let sum = Summary::of(&kept);
    Ok(Timing {
        median_s: sum.map_or(f64::NAN, |s| s.median),
        mean_s: sum.map_or(f64::NAN, |s| s.mean),
        min_s: sum.map_or(f64::NAN, |s| s.min),
        q1_s: sum.map_or(f64::NAN, |s| s.q1),
        q3_s: sum.map_or(f64::NAN, |s| s.q3),
        cv: sum.map_or(f64::NAN, |s| s.cv),
        samples_s: kept,
        discarded_throttled: guard.discarded(),
        stop_reason: reason.as_str().to_string(),
        launches_per_sample,
    })
}

/// How long to pause after a throttled sample (nvbench pauses too).
pub const THROTTLE_PAUSE: Duration = Duration::from_millis(50);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discards_throttled_and_stops_on_noise() {
        // A recorded-style sequence: 1 ms samples, two taken during a clock dip.
        let clocks = [
            1980.0, 1980.0, 900.0, 950.0, 1980.0, 1980.0, 1980.0, 1980.0, 1980.0, 1980.0, 1980.0,
            1980.0,
        ];
        let mut i = 0;
        let mut pauses = 0;
        let rule = StopRule {
            min_time_s: 0.0,
            ..StopRule::default()
        };
        let t = sample::<()>(
            &rule,
            1755.0,
            1,
            || {
                let c = clocks[i % clocks.len()];
                i += 1;
                Ok(Sample {
                    seconds: if c < 1000.0 { 5e-3 } else { 1e-3 },
                    clock_mhz: c,
                })
            },
            || pauses += 1,
        )
        .unwrap();
        assert_eq!(t.discarded_throttled, 2);
        assert_eq!(pauses, 2);
        assert_eq!(t.samples_s.len(), 10);
        assert_eq!(t.median_s, 1e-3, "throttled 5 ms samples were dropped");
        assert_eq!(t.stop_reason, "noise");
    }

    #[test]
    fn batches_reach_the_minimum_time() {
        // 10 µs launches, 100 per sample: each sample is 1 ms of GPU time, so ~500 samples
        // reach 0.5 s (not 50 000).
        let mut n = 0;
        let t = sample::<()>(
            &StopRule::default(),
            1000.0,
            100,
            || {
                n += 1;
                Ok(Sample {
                    seconds: 1e-5,
                    clock_mhz: 1000.0,
                })
            },
            || {},
        )
        .unwrap();
        assert_eq!(t.stop_reason, "noise");
        assert_eq!(t.samples_s.len(), 500);
        assert_eq!(t.launches_per_sample, 100);
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
}
