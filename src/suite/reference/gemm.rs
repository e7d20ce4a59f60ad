//! GEMM reference: C = A * B^T with A `m x k`, B `n x k` (row-major), each element an exact
//! f64 dot product of the (f32 or bf16-widened) inputs. Big cases check a deterministic
//! sample of elements instead of all of them.

/// One element `C[i][j]`.
pub fn element(a: &[f32], b: &[f32], k: usize, i: usize, j: usize) -> f64 {
    a[i * k..(i + 1) * k]
        .iter()
        .zip(&b[j * k..(j + 1) * k])
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum()
}

/// Every element of C (`m x n`), row-major.
pub fn full(a: &[f32], b: &[f32], m: usize, n: usize, k: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(m * n);
    for i in 0..m {
        out.extend((0..n).map(|j| element(a, b, k, i, j)));
    }
    out
}

/// The elements at flat indices `sample` (index = i * n + j), in that order.
pub fn sampled(a: &[f32], b: &[f32], n: usize, k: usize, sample: &[usize]) -> Vec<f64> {
    sample
        .iter()
        .map(|&ix| element(a, b, k, ix / n, ix % n))
        .collect()
}

/// `count` distinct-enough deterministic flat indices into an `m x n` output (SplitMix64 from a
/// fixed seed), always including the four corners; sorted.
pub fn sample_indices(m: usize, n: usize, count: usize) -> Vec<usize> {
    let total = m * n;
    let mut state: u64 = 0x5eed_0fa5_c0ff_ee00;
    let mut out = vec![0, n - 1, (m - 1) * n, total - 1];
    while out.len() < count {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        out.push((z % total as u64) as usize);
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_known_product() {
        // A = [[1 2 3] [4 5 6]], B = [[7 8 9] [1 0 -1]] (so B^T is 3x2).
        // C = [[1*7+2*8+3*9, 1-3] [4*7+5*8+6*9, 4-6]] = [[50, -2] [122, -2]].
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [7.0, 8.0, 9.0, 1.0, 0.0, -1.0];
        assert_eq!(full(&a, &b, 2, 2, 3), vec![50.0, -2.0, 122.0, -2.0]);
        assert_eq!(sampled(&a, &b, 2, 3, &[2, 1]), vec![122.0, -2.0]);
    }

    #[test]
    fn samples_are_in_range_and_deterministic() {
        let s = sample_indices(4096, 4096, 4096);
        assert_eq!(s.len(), 4096);
        assert!(s.iter().all(|&i| i < 4096 * 4096));
        assert_eq!(s, sample_indices(4096, 4096, 4096));
        assert_eq!(s[0], 0);
        assert_eq!(*s.last().unwrap(), 4096 * 4096 - 1);
    }
}
