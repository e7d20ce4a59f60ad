//! Summary statistics of timing samples: median, mean, min, max, quartiles (linear
//! interpolation, R type 7), standard deviation and coefficient of variation.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub q1: f64,
    pub q3: f64,
    /// Sample standard deviation (n − 1).
    pub stdev: f64,
    /// stdev / mean; 0 for fewer than two samples.
    pub cv: f64,
}

impl Summary {
    /// `None` for an empty slice or one holding a NaN.
    pub fn of(samples: &[f64]) -> Option<Self> {
        if samples.is_empty() || samples.iter().any(|x| x.is_nan()) {
            return None;
        }
        let mut s = samples.to_vec();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        let mean = s.iter().sum::<f64>() / n as f64;
        let stdev = if n > 1 {
            (s.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Some(Self {
            n,
            median: quantile_sorted(&s, 0.5),
            mean,
            min: s[0],
            max: s[n - 1],
            q1: quantile_sorted(&s, 0.25),
            q3: quantile_sorted(&s, 0.75),
            stdev,
            cv: if n > 1 && mean != 0.0 {
                stdev / mean
            } else {
                0.0
            },
        })
    }
}

/// Quantile `q` in [0, 1] of sorted data by linear interpolation between order statistics.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// The median of the finite values of `xs` (NaN marks a reading not taken), `None` when
/// there are none.
pub fn median_finite(xs: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(quantile_sorted(&v, 0.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_skips_readings_not_taken() {
        assert_eq!(median_finite(&[3.0, f64::NAN, 1.0, 2.0]), Some(2.0));
        assert_eq!(median_finite(&[f64::NAN]), None);
    }

    #[test]
    fn known_values() {
        let s = Summary::of(&[4.0, 1.0, 3.0, 2.0, 5.0]).unwrap();
        assert_eq!(
            (s.n, s.median, s.mean, s.min, s.max, s.q1, s.q3),
            (5, 3.0, 3.0, 1.0, 5.0, 2.0, 4.0)
        );
        assert!((s.stdev - 2.5f64.sqrt()).abs() < 1e-12);
        assert!((s.cv - 2.5f64.sqrt() / 3.0).abs() < 1e-12);
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!((s.median, s.q1, s.q3), (2.5, 1.75, 3.25));
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[1.0, f64::NAN]).is_none());
        let one = Summary::of(&[7.0]).unwrap();
        assert_eq!((one.median, one.cv), (7.0, 0.0));
    }
}
