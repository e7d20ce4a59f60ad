//! The verdict rule on synthetic sample sets with known answers.

use archbench::report::verdict::{judge, Rule, Verdict};

use crate::gen::{samples, Rng};

fn verdict(base: &[f64], new: &[f64]) -> Verdict {
    judge(base, new, &Rule::default())
        .expect("comparable")
        .verdict
}

#[test]
fn equal_distributions_are_same() {
    let mut rng = Rng::new(1);
    let base = samples(&mut rng, 1e-4, 0.002, 40);
    let new = samples(&mut rng, 1e-4, 0.002, 40);
    assert_eq!(verdict(&base, &new), Verdict::Same);
    // Identical constant samples: no difference at all.
    assert_eq!(verdict(&[2e-5; 10], &[2e-5; 10]), Verdict::Same);
}

#[test]
fn three_percent_slower_with_low_noise_is_slower() {
    let mut rng = Rng::new(2);
    let base = samples(&mut rng, 1e-4, 0.003, 30);
    let new = samples(&mut rng, 1.03e-4, 0.003, 30);
    let j = judge(&base, &new, &Rule::default()).unwrap();
    assert_eq!(j.verdict, Verdict::Slower, "{j:?}");
    assert!((j.delta_pct() - 3.0).abs() < 0.5, "{j:?}");
    let (lo, hi) = j.ci.unwrap();
    assert!(lo > 1.0 && hi < 1.06, "{j:?}");
    assert!(j.p_value.unwrap() < 0.001);
}

#[test]
fn ten_percent_faster_is_faster() {
    let mut rng = Rng::new(3);
    let base = samples(&mut rng, 1e-4, 0.004, 30);
    let new = samples(&mut rng, 0.9e-4, 0.004, 30);
    assert_eq!(verdict(&base, &new), Verdict::Faster);
}

#[test]
fn very_noisy_is_not_a_verdict() {
    // 30 % noise hides a 3 % change.
    let mut rng = Rng::new(4);
    let base = samples(&mut rng, 1e-4, 0.30, 20);
    let new = samples(&mut rng, 1.03e-4, 0.30, 20);
    let v = verdict(&base, &new);
    assert!(matches!(v, Verdict::Unsure | Verdict::Same), "{v}");
}

#[test]
fn tiny_real_difference_is_same() {
    // 0.3 % slower with 0.05 % noise: significant but below the 1 % minimum effect.
    let mut rng = Rng::new(5);
    let base = samples(&mut rng, 1e-4, 0.0005, 40);
    let new = samples(&mut rng, 1.003e-4, 0.0005, 40);
    assert_eq!(verdict(&base, &new), Verdict::Same);
}

#[test]
fn bimodal() {
    let mut rng = Rng::new(6);
    let mix = |rng: &mut Rng, fast_share: f64, n: usize| -> Vec<f64> {
        (0..n)
            .map(|_| {
                let center = if rng.uniform() < fast_share {
                    1e-4
                } else {
                    1.2e-4
                };
                center * (1.0 + 0.002 * rng.normal())
            })
            .collect()
    };
    // The same 50/50 mixture on both sides: the median jumps between modes, so the
    // interval is wide; never a FASTER/SLOWER verdict.
    let base = mix(&mut rng, 0.5, 40);
    let new = mix(&mut rng, 0.5, 40);
    let v = verdict(&base, &new);
    assert!(matches!(v, Verdict::Unsure | Verdict::Same), "{v}");
    // Mass moved from the fast mode to the slow one: SLOWER.
    let base = mix(&mut rng, 0.9, 40);
    let new = mix(&mut rng, 0.1, 40);
    assert_eq!(verdict(&base, &new), Verdict::Slower);
}

#[test]
fn too_few_samples_is_unsure() {
    let j = judge(&[1.0, 1.0, 1.0], &[2.0, 2.0, 2.0], &Rule::default()).unwrap();
    assert_eq!(j.verdict, Verdict::Unsure);
    assert_eq!(j.ratio, 2.0);
    assert!(judge(&[], &[1.0], &Rule::default()).is_none());
    assert!(judge(&[f64::NAN; 6], &[1.0; 6], &Rule::default()).is_none());
}

#[test]
fn verdicts_are_deterministic() {
    let mut rng = Rng::new(7);
    let base = samples(&mut rng, 1e-4, 0.01, 25);
    let new = samples(&mut rng, 1.01e-4, 0.01, 25);
    let a = judge(&base, &new, &Rule::default());
    let b = judge(&base, &new, &Rule::default());
    assert_eq!(a, b);
}
