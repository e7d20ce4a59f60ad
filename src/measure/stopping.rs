//! When to stop sampling (nvbench's rule): at least `min_samples` samples and `min_time_s` of
//! GPU time, then stop as soon as the relative noise (stdev / mean) is below `max_noise`, or
//! when the noise estimate has converged (stopped changing) above it; always stop at the
//! per-case `timeout_s` (wall time) or `max_samples`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StopRule {
    pub max_noise: f64,
    pub min_samples: u32,
    pub min_time_s: f64,
    pub timeout_s: f64,
    pub max_samples: u32,
}

impl Default for StopRule {
    fn default() -> Self {
        Self {
            max_noise: 0.005,
            min_samples: 10,
            min_time_s: 0.5,
            timeout_s: 15.0,
            max_samples: 100_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// Relative noise fell below the target.
    Noise,
    /// Noise stayed above target but stopped changing.
    Converged,
    Timeout,
    MaxSamples,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Noise => "noise",
            StopReason::Converged => "converged",
            StopReason::Timeout => "timeout",
            StopReason::MaxSamples => "max-samples",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Continue,
    Stop(StopReason),
}

/// Relative noise of samples: stdev / mean.
pub fn noise(samples: &[f64]) -> f64 {
    super::Summary::of(samples).map_or(
        f64::INFINITY,
        |s| if s.n < 2 { f64::INFINITY } else { s.cv },
    )
}

impl StopRule {
    /// Decides after each sample of one launch each. `wall_s` is the wall time spent on this
    /// case so far.
    pub fn decide(&self, samples: &[f64], wall_s: f64) -> Decision {
        self.decide_batched(samples, samples.iter().sum(), wall_s)
    }

    /// Decides when each sample is the per-launch time of a batch: `gpu_time_s` is the GPU
    /// time really spent (samples × launches per sample), which the minimum time counts.
    pub fn decide_batched(&self, samples: &[f64], gpu_time_s: f64, wall_s: f64) -> Decision {
        let n = samples.len();
        if wall_s >= self.timeout_s {
            return Decision::Stop(StopReason::Timeout);
        }
        if n >= self.max_samples as usize {
            return Decision::Stop(StopReason::MaxSamples);
        }
        if n < self.min_samples as usize || gpu_time_s < self.min_time_s {
            return Decision::Continue;
        }
        let now = noise(samples);
        if now < self.max_noise {
            return Decision::Stop(StopReason::Noise);
        }
        // Converged: with ≥ 4× the minimum samples, the noise of all samples and of the
        // first three quarters differ by less than 1 % of each other.
        if n >= 4 * self.min_samples as usize {
            let before = noise(&samples[..n * 3 / 4]);
            if before.is_finite() && (now - before).abs() <= 0.01 * now {
                return Decision::Stop(StopReason::Converged);
            }
        }
        Decision::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_samples_stop_on_noise_after_minimums() {
        let r = StopRule::default();
        let quiet: Vec<f64> = (0..9).map(|i| 0.1 + 1e-6 * i as f64).collect();
        assert_eq!(
            r.decide(&quiet, 1.0),
            Decision::Continue,
            "fewer than 10 samples"
        );
        let quiet: Vec<f64> = (0..10).map(|i| 0.1 + 1e-6 * i as f64).collect();
        assert_eq!(r.decide(&quiet, 1.0), Decision::Stop(StopReason::Noise));
        // Short kernels: 10 samples of 1 ms are only 10 ms of GPU time.
        let short: Vec<f64> = vec![1e-3; 10];
        assert_eq!(r.decide(&short, 0.1), Decision::Continue);
        let enough: Vec<f64> = vec![1e-3; 500];
        assert_eq!(r.decide(&enough, 0.6), Decision::Stop(StopReason::Noise));
    }

    #[test]
    fn noisy_samples_run_to_convergence_or_timeout() {
        let r = StopRule::default();
        // Alternating ±5 %: noise ≈ 5 %, never below 0.5 %, but stable.
        let noisy: Vec<f64> = (0..200)
            .map(|i| if i % 2 == 0 { 0.0105 } else { 0.0095 })
            .collect();
        assert_eq!(r.decide(&noisy[..20], 1.0), Decision::Continue);
        assert_eq!(r.decide(&noisy, 2.0), Decision::Stop(StopReason::Converged));
        assert_eq!(
            r.decide(&noisy[..20], 15.0),
            Decision::Stop(StopReason::Timeout)
        );
        let r = StopRule {
            max_samples: 20,
            ..r
        };
        assert_eq!(
            r.decide(&noisy[..20], 1.0),
            Decision::Stop(StopReason::MaxSamples)
        );
    }

    #[test]
    fn batched_samples_count_the_whole_batch() {
        let r = StopRule::default();
        // 5 µs launches in batches of 200: 10 samples are 10 ms of GPU time, 100 are 0.1 s,
        // 500 are 0.5 s.
        let s = vec![5e-6; 500];
        assert_eq!(
            r.decide_batched(&s[..100], 100.0 * 200.0 * 5e-6, 0.2),
            Decision::Continue
        );
        assert_eq!(
            r.decide_batched(&s, 500.0 * 200.0 * 5e-6, 1.0),
            Decision::Stop(StopReason::Noise)
        );
        // Counted per launch, the same samples would look like 2.5 ms and never stop.
        assert_eq!(r.decide(&s, 1.0), Decision::Continue);
    }

    #[test]
    fn drifting_samples_do_not_converge() {
        let r = StopRule::default();
        // A steady upward drift keeps changing the noise estimate.
        let drift: Vec<f64> = (0..80)
            .map(|i| 0.01 * (1.0 + 0.01 * i as f64 * i as f64 / 10.0))
            .collect();
        assert_eq!(r.decide(&drift, 2.0), Decision::Continue);
    }
}
