//! Throttle detection (nvbench's rule): the SM clock is read around every sample; a sample
//! taken while the clock was below `threshold` (75 %) of the device's default clock is
//! discarded and counted, and the caller pauses so the GPU can recover.

#[derive(Debug, Clone)]
pub struct ThrottleGuard {
    default_mhz: f64,
    threshold: f64,
    discarded: u32,
}

/// What to do with a sample given the clock readings around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// Drop the sample and pause before the next one.
    DiscardAndPause,
}

impl ThrottleGuard {
    pub fn new(default_mhz: f64) -> Self {
        Self {
            default_mhz,
            threshold: 0.75,
            discarded: 0,
        }
    }

    /// Judges a sample by the lowest SM clock (MHz) read around it. Unknown clocks (≤ 0,
    /// NaN) keep the sample: no reading is not evidence of throttling.
    pub fn judge(&mut self, clock_mhz: f64) -> Verdict {
        if self.default_mhz > 0.0
            && clock_mhz > 0.0
            && clock_mhz < self.threshold * self.default_mhz
        {
            self.discarded += 1;
            Verdict::DiscardAndPause
        } else {
            Verdict::Keep
        }
    }

    pub fn discarded(&self) -> u32 {
        self.discarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recorded-style series: boost clock, a thermal dip, recovery.
    #[test]
    fn discards_only_throttled_samples() {
        let mut g = ThrottleGuard::new(1755.0);
        let series = [
            1980.0,
            1755.0,
            1410.0,
            1200.0,
            990.0,
            1320.0,
            1980.0,
            f64::NAN,
            0.0,
        ];
        let kept: Vec<bool> = series
            .iter()
            .map(|c| g.judge(*c) == Verdict::Keep)
            .collect();
        // 75 % of 1755 = 1316.25
        assert_eq!(
            kept,
            [true, true, true, false, false, true, true, true, true]
        );
        assert_eq!(g.discarded(), 2);
    }
}
