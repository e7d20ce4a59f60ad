//! Torch-style references in f64: tanh-GELU, softmax, layer norm, sum, transpose.

/// tanh-approximated GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
pub fn gelu_tanh(x: f64) -> f64 {
    let k = (2.0 / std::f64::consts::PI).sqrt();
    0.5 * x * (1.0 + (k * (x + 0.044715 * x * x * x)).tanh())
}

/// gelu_tanh(a + b) elementwise (the sum taken in f32, as the kernel does: it is exact for
/// most inputs and in any case a single rounding of the true sum).
pub fn add_gelu(a: &[f32], b: &[f32]) -> Vec<f64> {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| gelu_tanh(f64::from(x + y)))
        .collect()
}

/// Row-wise softmax of a `rows x cols` row-major matrix.
pub fn softmax(x: &[f32], cols: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks_exact(cols) {
        let m = row
            .iter()
            .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
        let e: Vec<f64> = row.iter().map(|&v| (f64::from(v) - m).exp()).collect();
        let s: f64 = e.iter().sum();
        out.extend(e.iter().map(|v| v / s));
    }
    out
}

/// Row-wise layer norm (two-pass mean and biased variance in f64).
pub fn layer_norm(x: &[f32], gamma: &[f32], beta: &[f32], eps: f64) -> Vec<f64> {
    let cols = gamma.len();
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks_exact(cols) {
        let n = cols as f64;
        let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = row
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n;
        let rstd = 1.0 / (var + eps).sqrt();
        out.extend(
            row.iter()
                .zip(gamma)
                .zip(beta)
                .map(|((&v, &g), &b)| (f64::from(v) - mean) * rstd * f64::from(g) + f64::from(b)),
        );
    }
    out
}

/// Sum in f64.
pub fn sum(x: &[f32]) -> f64 {
    x.iter().map(|&v| f64::from(v)).sum()
}

/// Transpose of a `rows x cols` row-major matrix (result `cols x rows`).
pub fn transpose<T: Copy>(x: &[T], rows: usize, cols: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(x.len());
    for c in 0..cols {
        out.extend((0..rows).map(|r| x[r * cols + c]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn gelu_table() {
        // Computed from the formula independently (python3, double precision).
        let table = [
            (0.0, 0.0),
            (1.0, 0.8411919906082768),
            (-1.0, -0.15880800939172324),
            (2.0, 1.954597694087775),
            (-3.0, -0.0036373920817729943),
            (0.5, 0.34571400982514394),
        ];
        for (x, want) in table {
            assert!(
                close(gelu_tanh(x), want, 1e-12),
                "gelu({x}) = {}, want {want}",
                gelu_tanh(x)
            );
        }
        assert_eq!(add_gelu(&[0.75], &[0.25]), vec![gelu_tanh(1.0)]);
    }

    #[test]
    fn softmax_known_row_and_sums() {
        // softmax([1, 2, 3]) = e^k / (e + e^2 + e^3).
        let got = softmax(&[1.0, 2.0, 3.0], 3);
        let want = [0.09003057317038046, 0.24472847105479767, 0.6652409557748219];
        for (g, w) in got.iter().zip(want) {
            assert!(close(*g, w, 1e-15));
        }
        let x: Vec<f32> = (0..64).map(|i| ((i * 37) % 11) as f32 - 5.0).collect();
        for row in softmax(&x, 16).chunks(16) {
            assert!(close(row.iter().sum(), 1.0, 1e-12));
        }
    }

    #[test]
    fn layer_norm_known_row() {
        // Row [1, 2, 3, 4]: mean 2.5, biased var 1.25; gamma 2, beta 1 on the first column.
        let got = layer_norm(
            &[1.0, 2.0, 3.0, 4.0],
            &[2.0, 1.0, 1.0, 1.0],
            &[1.0, 0.0, 0.0, 0.0],
            0.0,
        );
        let s = 1.25f64.sqrt();
        let want = [1.0 - 3.0 / s, -0.5 / s, 0.5 / s, 1.5 / s];
        for (g, w) in got.iter().zip(want) {
            assert!(close(*g, w, 1e-12), "{g} vs {w}");
        }
        // want[0] = 1 - 2.6832815729997477
        assert!(close(got[0], -1.6832815729997477, 1e-12));
        // eps 1e-5 shifts it slightly.
        let got = layer_norm(&[1.0, 2.0, 3.0, 4.0], &[1.0; 4], &[0.0; 4], 1e-5);
        assert!(close(got[3], 1.5 / (1.25f64 + 1e-5).sqrt(), 1e-15));
    }

    #[test]
    fn sum_and_transpose() {
        assert_eq!(sum(&[1.0, 2.5, -0.5]), 3.0);
        // [[1 2 3] [4 5 6]]^T = [[1 4] [2 5] [3 6]].
        assert_eq!(transpose(&[1, 2, 3, 4, 5, 6], 2, 3), vec![1, 4, 2, 5, 3, 6]);
    }
}
