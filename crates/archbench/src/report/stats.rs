//! Robust sample statistics: medians and quantiles, a seeded percentile bootstrap of the
//! ratio of two medians, and the Mann–Whitney U rank test (normal approximation with tie
//! and continuity correction).
//!
//! Everything here is deterministic: the bootstrap uses a fixed-seed SplitMix64 generator,
//! so the same samples always give the same interval.

/// Finite values of `xs`, sorted ascending (non-finite samples cannot be ranked).
pub fn sorted_finite(xs: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Quantile `q` ∈ [0, 1] of sorted data, linear interpolation between order statistics
/// (type 7, as numpy's default). `None` for empty data.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = q.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = h - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// Median of arbitrary (unsorted) data; `None` when there is no finite value.
pub fn median(xs: &[f64]) -> Option<f64> {
    quantile_sorted(&sorted_finite(xs), 0.5)
}

/// SplitMix64: tiny, fast, good enough for resampling, and fully reproducible.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform index in `0..n` (`n > 0`), by multiply-shift (bias < n / 2⁶⁴).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Median of a bootstrap resample of `sorted` (non-empty, ascending), reusing `counts`.
///
/// Resampling sorted data and taking the median is the same as resampling *indices* and
/// taking the value at the median index (the map from index to value is monotone), so the
/// median index is found by counting draws per index: O(n) without comparing floats, the
/// same result as sorting the resample.
fn resample_median(sorted: &[f64], rng: &mut SplitMix64, counts: &mut Vec<u32>) -> f64 {
    let n = sorted.len();
    counts.clear();
    counts.resize(n, 0);
    for _ in 0..n {
        counts[rng.below(n)] += 1;
    }
    // The value of rank `r` (0-based) of the resample.
    let rank = |r: usize, counts: &[u32]| {
        let mut seen = 0usize;
        for (i, &c) in counts.iter().enumerate() {
            seen += c as usize;
            if seen > r {
                return sorted[i];
            }
        }
        sorted[n - 1]
    };
    let mid = n / 2;
    if n % 2 == 1 {
        rank(mid, counts)
    } else {
        (rank(mid - 1, counts) + rank(mid, counts)) / 2.0
    }
}

/// Percentile-bootstrap confidence interval of `median(new) / median(base)`: both sample
/// sets are resampled independently `resamples` times with a generator seeded by `seed`;
/// the interval is the (1−confidence)/2 and (1+confidence)/2 quantiles of the resampled
/// ratios. `None` when either set has no finite positive median.
pub fn bootstrap_median_ratio_ci(
    base: &[f64],
    new: &[f64],
    confidence: f64,
    resamples: usize,
    seed: u64,
) -> Option<(f64, f64)> {
    let base = sorted_finite(base);
    let new = sorted_finite(new);
    if base.is_empty() || new.is_empty() || resamples == 0 {
        return None;
    }
    let mut rng = SplitMix64::new(seed);
    let mut buf = Vec::with_capacity(base.len().max(new.len()));
    let mut ratios = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let b = resample_median(&base, &mut rng, &mut buf);
        let n = resample_median(&new, &mut rng, &mut buf);
        if b > 0.0 && n.is_finite() {
            ratios.push(n / b);
        }
    }
    ratios.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence.clamp(0.0, 1.0)) / 2.0;
    Some((
        quantile_sorted(&ratios, tail)?,
        quantile_sorted(&ratios, 1.0 - tail)?,
    ))
}

pub use crate::measure::rank::{erfc, mann_whitney, normal_sf, MannWhitney};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_median() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN]), None);
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.25), Some(2.0));
    }

    #[test]
    fn erfc_known_values() {
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((normal_sf(1.959_964) - 0.025).abs() < 1e-6);
        assert!((erfc(-1.0) - 1.842_700_79).abs() < 1e-6);
    }

    #[test]
    fn mann_whitney_textbook() {
        // Completely separated samples of 10: U = 0 (a below b), two-sided p ≈ 0.00018.
        let a: Vec<f64> = (0..10).map(f64::from).collect();
        let b: Vec<f64> = (10..20).map(f64::from).collect();
        let r = mann_whitney(&a, &b).unwrap();
        assert_eq!(r.u, 0.0);
        assert!(r.p_value < 0.001 && r.p_value > 0.0001, "{r:?}");
        let same = mann_whitney(&[1.0; 8], &[1.0; 8]).unwrap();
        assert_eq!(same.p_value, 1.0);
    }

    #[test]
    fn bootstrap_is_deterministic_and_brackets_the_ratio() {
        let base: Vec<f64> = (0..40).map(|i| 1.0 + f64::from(i % 7) * 0.001).collect();
        let new: Vec<f64> = base.iter().map(|x| x * 1.1).collect();
        let a = bootstrap_median_ratio_ci(&base, &new, 0.95, 1000, 7).unwrap();
        let b = bootstrap_median_ratio_ci(&base, &new, 0.95, 1000, 7).unwrap();
        assert_eq!(a, b);
        assert!(a.0 <= 1.1 + 1e-9 && a.1 >= 1.1 - 1e-9, "{a:?}");
    }
}
