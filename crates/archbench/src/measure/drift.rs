//! Burst and sustained speed, and whether a series still drifts: a GPU under sustained load
//! can run fast for its first tens of milliseconds and then settle at lower clocks (the H100
//! showed a GEMM 5 % slower after 50–70 ms), so where sampling stops decides the median.
//! The series' first and last quarters are compared: their medians are the *burst* and the
//! *sustained* figure, and a Mann–Whitney test between them says whether the difference is
//! more than noise. The stopping rule refuses to stop while the series still drifts.

use super::rank::mann_whitney;
use super::stats::quantile_sorted;

/// Fewer samples than this have no drift figures (four per quarter).
pub const MIN_SAMPLES: usize = 16;

/// The drift of a series of samples (seconds), in time order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drift {
    /// Median of the first quarter.
    pub burst: f64,
    /// Median of the last quarter.
    pub sustained: f64,
    /// `sustained / burst − 1`: +0.05 means the kernel ran 5 % slower at the end.
    pub rel: f64,
    /// Two-sided Mann–Whitney p-value of the two quarters.
    pub p_value: f64,
}

impl Drift {
    /// Whether the series still trends: a change beyond `tolerance` (relative) that the
    /// rank test says is not noise (p < 0.01).
    pub fn trending(&self, tolerance: f64) -> bool {
        self.rel.abs() > tolerance && self.p_value < 0.01
    }
}

/// The drift of `series`, or `None` for fewer than [`MIN_SAMPLES`] finite samples.
pub fn drift(series: &[f64]) -> Option<Drift> {
    let xs: Vec<f64> = series.iter().copied().filter(|x| x.is_finite()).collect();
    if xs.len() < MIN_SAMPLES {
        return None;
    }
    let q = xs.len() / 4;
    let (first, last) = (&xs[..q], &xs[xs.len() - q..]);
    let median = |s: &[f64]| {
        let mut v = s.to_vec();
        v.sort_by(f64::total_cmp);
        quantile_sorted(&v, 0.5)
    };
    let (burst, sustained) = (median(first), median(last));
    if burst <= 0.0 {
        return None;
    }
    let p_value = mann_whitney(last, first).map_or(1.0, |m| m.p_value);
    Some(Drift {
        burst,
        sustained,
        rel: sustained / burst - 1.0,
        p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fill::Rng;

    /// `n` samples around `mean` with ±0.5 % uniform noise.
    fn noisy(rng: &mut Rng, n: usize, mean: f64) -> Vec<f64> {
        (0..n)
            .map(|_| mean * (1.0 + 0.01 * (f64::from(rng.next_f32()) - 0.5)))
            .collect()
    }

    #[test]
    fn a_series_that_slows_down_drifts() {
        let mut rng = Rng::new(3);
        // Fast for the first 30 samples, then 5 % slower (a GPU settling at lower clocks).
        let mut s = noisy(&mut rng, 30, 190e-6);
        s.extend(noisy(&mut rng, 90, 199.5e-6));
        let d = drift(&s).unwrap();
        assert!((d.rel - 0.05).abs() < 0.01, "{d:?}");
        assert!(d.trending(0.01), "{d:?}");
        assert!((d.burst - 190e-6).abs() < 2e-6 && (d.sustained - 199.5e-6).abs() < 2e-6);
    }

    #[test]
    fn a_steady_series_does_not() {
        let mut rng = Rng::new(4);
        let s = noisy(&mut rng, 200, 50e-6);
        let d = drift(&s).unwrap();
        assert!(!d.trending(0.01), "{d:?}");
        assert!(drift(&s[..15]).is_none());
        // A real but tiny change is not a trend at a 1 % tolerance.
        let mut t = noisy(&mut rng, 100, 50e-6);
        t.extend(noisy(&mut rng, 100, 50.2e-6));
        assert!(!drift(&t).unwrap().trending(0.01));
    }
}
