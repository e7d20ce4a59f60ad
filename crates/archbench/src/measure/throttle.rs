//! Throttle detection (nvbench's rule, over the timed region itself): clock64 and
//! globaltimer are stamped on every SM just before and just after each sample's timed
//! region, which gives each SM's clock over exactly the time being measured. The slowest
//! SM's [`ClockSpan`] stands for the sample. A sample taken while that clock was below
//! `threshold` (75 %) of the device's default clock is discarded and counted, and the caller
//! pauses so the GPU can recover.
//!
//! globaltimer ticks coarsely (about 1 µs on current GPUs), so a span shorter than
//! [`MIN_SPAN_NS`] cannot give a trustworthy clock on its own: consecutive short samples are
//! judged together, as one span, once their total reaches it (throttling changes over
//! milliseconds, not microseconds). Samples without any clock reading are kept: no reading is
//! not evidence of throttling.

pub use crate::gpu::ClockSpan;

/// Spans shorter than this are pooled with the next ones before they are judged.
pub const MIN_SPAN_NS: u64 = 20_000;

/// What to do with the samples waiting for a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not enough clock time yet: keep them waiting.
    Pending,
    /// Keep the waiting samples.
    Keep,
    /// Drop the waiting samples and pause before the next one.
    DiscardAndPause,
}

#[derive(Debug, Clone)]
pub struct ThrottleGuard {
    default_mhz: f64,
    threshold: f64,
    pooled: ClockSpan,
    waiting: u32,
    discarded: u32,
    /// The clock of every judged span (MHz), for the results.
    clocks: Vec<f64>,
}

impl ThrottleGuard {
    pub fn new(default_mhz: f64) -> Self {
        Self {
            default_mhz,
            threshold: 0.75,
            pooled: ClockSpan { cycles: 0, ns: 0 },
            waiting: 0,
            discarded: 0,
            clocks: Vec::new(),
        }
    }

    /// Adds one sample's span (`None`: no reading) and judges the samples waiting so far,
    /// this one included.
    pub fn judge(&mut self, span: Option<ClockSpan>) -> Verdict {
        self.waiting += 1;
        let Some(s) = span.filter(|s| s.ns > 0) else {
            // No reading: what was pooled stays pooled; this sample waits with it.
            return if self.pooled.ns == 0 {
                self.waiting = 0;
                Verdict::Keep
            } else {
                Verdict::Pending
            };
        };
        self.pooled.cycles += s.cycles;
        self.pooled.ns += s.ns;
        if self.pooled.ns < MIN_SPAN_NS {
            return Verdict::Pending;
        }
        let mhz = self.pooled.mhz();
        self.clocks.push(mhz);
        let n = std::mem::take(&mut self.waiting);
        self.pooled = ClockSpan { cycles: 0, ns: 0 };
        if self.default_mhz > 0.0 && mhz < self.threshold * self.default_mhz {
            self.discarded += n;
            Verdict::DiscardAndPause
        } else {
            Verdict::Keep
        }
    }

    /// Samples still waiting (their pooled span never reached [`MIN_SPAN_NS`]): kept.
    pub fn waiting(&self) -> u32 {
        self.waiting
    }

    pub fn discarded(&self) -> u32 {
        self.discarded
    }

    /// Clocks of the judged spans, MHz.
    pub fn clocks(&self) -> &[f64] {
        &self.clocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(mhz: f64, us: u64) -> Option<ClockSpan> {
        Some(ClockSpan {
            cycles: (mhz * us as f64) as u64,
            ns: us * 1000,
        })
    }

    /// A recorded-style series of long samples: boost clock, a thermal dip, recovery.
    #[test]
    fn discards_only_throttled_samples() {
        let mut g = ThrottleGuard::new(1755.0);
        let series = [1980.0, 1755.0, 1410.0, 1200.0, 990.0, 1320.0, 1980.0];
        let v: Vec<Verdict> = series.iter().map(|c| g.judge(span(*c, 100))).collect();
        use Verdict::*;
        // 75 % of 1755 = 1316.25
        assert_eq!(
            v,
            [
                Keep,
                Keep,
                Keep,
                DiscardAndPause,
                DiscardAndPause,
                Keep,
                Keep
            ]
        );
        assert_eq!(g.discarded(), 2);
        assert_eq!(g.clocks().len(), 7);
        assert_eq!(g.judge(None), Keep, "no reading is no evidence");
        assert_eq!(g.judge(Some(ClockSpan { cycles: 5, ns: 0 })), Keep);
    }

    /// 4 µs samples are pooled until 20 µs of clock time, then judged together.
    #[test]
    fn short_samples_are_judged_in_groups() {
        let mut g = ThrottleGuard::new(1980.0);
        use Verdict::*;
        let v: Vec<Verdict> = (0..5).map(|_| g.judge(span(1980.0, 4))).collect();
        assert_eq!(v, [Pending, Pending, Pending, Pending, Keep]);
        let v: Vec<Verdict> = (0..5).map(|_| g.judge(span(900.0, 4))).collect();
        assert_eq!(v, [Pending, Pending, Pending, Pending, DiscardAndPause]);
        assert_eq!(g.discarded(), 5, "the whole throttled group");
        assert_eq!(g.judge(span(1980.0, 4)), Pending);
        assert_eq!(g.judge(None), Pending, "joins the waiting group");
        assert_eq!(g.waiting(), 2);
    }
}
