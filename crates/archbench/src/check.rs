//! The correctness gate's comparison: device output bytes against the CPU reference under a
//! kernel's [`Rule`], counting mismatches and reporting the first one.

use crate::workload::{DType, Rule};

/// The result of comparing one output buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub elements: u64,
    pub mismatches: u64,
    pub max_abs_err: f64,
    pub first_mismatch: Option<String>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.mismatches == 0 && self.elements > 0
    }
}

fn element(dtype: DType, bytes: &[u8], i: usize) -> Option<f64> {
    dtype.element(bytes, i)
}

/// Compares `got` with `want` element by element. With `indices`, `want[k]` is the
/// reference for element `indices[k]` of `got` (sampled checks); otherwise both are full.
pub fn compare(
    dtype: DType,
    rule: Rule,
    got: &[u8],
    want: &[u8],
    indices: Option<&[usize]>,
) -> Outcome {
    let n_want = want.len() / dtype.size();
    let mut o = Outcome {
        elements: n_want as u64,
        mismatches: 0,
        max_abs_err: 0.0,
        first_mismatch: None,
    };
    if let Some(ix) = indices {
        if ix.len() != n_want {
            o.elements = ix.len() as u64;
            o.mismatches = o.elements.max(1);
            o.first_mismatch = Some(format!(
                "the reference returned {n_want} values for {} sampled indices",
                ix.len()
            ));
            return o;
        }
    }
    if indices.is_none() && got.len() != want.len() {
        o.mismatches = o.elements.max(1);
        o.first_mismatch = Some(format!(
            "output has {} bytes, reference {}",
            got.len(),
            want.len()
        ));
        return o;
    }
    for k in 0..n_want {
        let i = indices.map_or(Some(k), |ix| ix.get(k).copied());
        let (Some(i), Some(w)) = (i, element(dtype, want, k)) else {
            continue;
        };
        let Some(g) = element(dtype, got, i) else {
            o.mismatches += 1;
            o.first_mismatch
                .get_or_insert_with(|| format!("element {i} is past the end of the output"));
            continue;
        };
        let err = (g - w).abs();
        let ok = match rule {
            Rule::Exact => g == w || (g.is_nan() && w.is_nan()),
            Rule::WithinLsb { max_diff } => err <= f64::from(max_diff),
            Rule::Close { rtol, atol } => err <= atol + rtol * w.abs(),
        };
        if err.is_finite() {
            o.max_abs_err = o.max_abs_err.max(err);
        } else if !(g.is_nan() && w.is_nan()) {
            o.max_abs_err = f64::INFINITY;
        }
        if !ok {
            o.mismatches += 1;
            o.first_mismatch.get_or_insert_with(|| {
                format!("element {i}: got {g}, want {w} (|diff| {err:.3e})")
            });
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32s(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn rules() {
        let o = compare(DType::U8, Rule::Exact, &[1, 2, 3], &[1, 2, 3], None);
        assert!(o.passed());
        let o = compare(DType::U8, Rule::Exact, &[1, 2, 4], &[1, 2, 3], None);
        assert_eq!((o.mismatches, o.max_abs_err), (1, 1.0));
        assert_eq!(
            o.first_mismatch.as_deref(),
            Some("element 2: got 4, want 3 (|diff| 1.000e0)")
        );
        assert!(compare(
            DType::U8,
            Rule::WithinLsb { max_diff: 1 },
            &[1, 2, 4],
            &[1, 2, 3],
            None
        )
        .passed());
        assert!(!compare(
            DType::U8,
            Rule::WithinLsb { max_diff: 1 },
            &[1, 2, 5],
            &[1, 2, 3],
            None
        )
        .passed());
        let close = Rule::Close {
            rtol: 1e-3,
            atol: 1e-6,
        };
        assert!(compare(
            DType::F32,
            close,
            &f32s(&[1.0005, 0.0]),
            &f32s(&[1.0, 0.0]),
            None
        )
        .passed());
        assert!(!compare(
            DType::F32,
            close,
            &f32s(&[1.002, 0.0]),
            &f32s(&[1.0, 0.0]),
            None
        )
        .passed());
        // Poison (NaN) never passes a float check.
        assert!(!compare(DType::F32, close, &f32s(&[f32::NAN]), &f32s(&[1.0]), None).passed());
        let i16s: Vec<u8> = [-3i16, 7].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert!(compare(DType::I16, Rule::Exact, &i16s, &i16s, None).passed());
        // Size mismatch and empty references fail.
        assert!(!compare(DType::U8, Rule::Exact, &[1], &[1, 2], None).passed());
        assert!(!compare(DType::U8, Rule::Exact, &[], &[], None).passed());
    }

    #[test]
    fn sampled() {
        let got = f32s(&[0.0, 10.0, 20.0, 30.0]);
        assert!(compare(
            DType::F32,
            Rule::Exact,
            &got,
            &f32s(&[30.0, 10.0]),
            Some(&[3, 1])
        )
        .passed());
        let o = compare(DType::F32, Rule::Exact, &got, &f32s(&[30.0]), Some(&[9]));
        assert_eq!(o.mismatches, 1);
    }
}

#[cfg(test)]
mod sampled_count_tests {
    use super::*;

    #[test]
    fn a_sampled_reference_of_the_wrong_length_fails() {
        let got: Vec<u8> = [1.0f32, 2.0, 3.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let want: Vec<u8> = 1.0f32.to_le_bytes().to_vec();
        let o = compare(DType::F32, Rule::Exact, &got, &want, Some(&[0, 1, 2]));
        assert!(!o.passed());
        assert!(o
            .first_mismatch
            .unwrap()
            .contains("returned 1 values for 3 sampled indices"));
    }
}
