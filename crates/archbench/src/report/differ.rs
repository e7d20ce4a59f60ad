//! What a reader opens a report for: where the variants differ. On each GPU, the cases a
//! variant runs faster or slower than the GPU's native build (`pkgsForCudaArch.sm_XX`) by
//! more than the measured noise, largest first, with the images involved; and, with several
//! GPUs, where the same native case runs at different speeds on different GPUs. The per-GPU
//! tables below fold what is not listed here (variants that ran the same image in the same
//! time) and mark the fastest variant of each case.

use std::fmt::Write;

use super::format::{self, md_cell};
use super::merge::{GpuRun, Merged};
use crate::results::schema::{CaseResult, Timing};

/// Two medians closer than this ratio are not called different, whatever their intervals:
/// run-to-run spread on one GPU (power, clocks) is of this order.
pub const NOISE_FLOOR: f64 = 0.02;

/// How many differences the summary lists before it counts the rest.
const SHOWN: usize = 20;

/// `b / a`'s distance from 1 when it exceeds the noise: the two medians' relative
/// confidence half-widths added, and at least [`NOISE_FLOOR`]. `None` when within noise.
pub fn beyond_noise(a: &Timing, b: &Timing) -> Option<f64> {
    if !(a.median_s > 0.0 && b.median_s > 0.0) {
        return None;
    }
    let noise = (a.median_ci_rel.max(0.0) + b.median_ci_rel.max(0.0)).max(NOISE_FLOOR);
    let ratio = a.median_s / b.median_s;
    ((ratio - 1.0).abs() > noise || (1.0 / ratio - 1.0).abs() > noise).then_some(ratio)
}

/// One variant against native on one GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantDifference {
    pub gpu: String,
    pub kernel: String,
    pub case: String,
    pub variant: String,
    pub image: String,
    pub native_image: String,
    /// Native median over the variant's: above 1 the variant is faster.
    pub speedup: f64,
    pub median_s: f64,
    pub native_median_s: f64,
}

fn timed(c: &CaseResult) -> Option<&Timing> {
    c.timing.as_ref().filter(|t| t.median_s > 0.0)
}

/// Every variant × case that differs from native beyond noise, on every GPU, largest first.
pub fn variant_differences(m: &Merged) -> Vec<VariantDifference> {
    let mut out = Vec::new();
    for g in &m.gpus {
        let native = g.native_variant();
        for (kernel, case) in &m.kernel_cases {
            let Some(n) = g.find(kernel, case, &native) else {
                continue;
            };
            let Some(nt) = timed(n) else { continue };
            for v in m.variants_of(kernel, case) {
                if v == native {
                    continue;
                }
                let Some(c) = g.find(kernel, case, v) else {
                    continue;
                };
                let Some(t) = timed(c) else { continue };
                if let Some(speedup) = beyond_noise(nt, t) {
                    out.push(VariantDifference {
                        gpu: g.label.clone(),
                        kernel: kernel.clone(),
                        case: case.clone(),
                        variant: v.to_string(),
                        image: format::image(c.image.as_ref()),
                        native_image: format::image(n.image.as_ref()),
                        speedup,
                        median_s: t.median_s,
                        native_median_s: nt.median_s,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| b.speedup.ln().abs().total_cmp(&a.speedup.ln().abs()));
    out
}

/// `1.98× faster`, `9.0× slower`.
fn speed_words(speedup: f64) -> String {
    let (x, word) = if speedup >= 1.0 {
        (speedup, "faster")
    } else {
        (1.0 / speedup, "slower")
    };
    let digits = if x >= 10.0 {
        0
    } else if x >= 2.0 {
        1
    } else {
        2
    };
    format!("{x:.digits$}× {word}")
}

/// `## Where the variants differ`, first in the report.
pub fn section(s: &mut String, m: &Merged) {
    let timed_gpus: Vec<&GpuRun> = m
        .gpus
        .iter()
        .filter(|g| g.run.cases.iter().any(|c| timed(c).is_some()))
        .collect();
    if timed_gpus.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Where the variants differ\n");
    let diffs = variant_differences(m);
    let natives: Vec<String> = timed_gpus
        .iter()
        .map(|g| format!("`{}` on {}", g.native_variant(), md_cell(&g.label)))
        .collect();
    if diffs.is_empty() {
        let _ = writeln!(
            s,
            "No variant runs faster or slower than the GPU's native build ({}) beyond the measured noise (the medians' confidence intervals, and at least {:.0} %).\n",
            natives.join(", "),
            NOISE_FLOOR * 100.0
        );
    } else {
        let _ = writeln!(
            s,
            "Against each GPU's native build ({}): the cases a variant runs faster or slower beyond the measured noise (the two medians' confidence intervals added, and at least {:.0} %), largest first. Every variant × case not listed runs as fast as native.\n",
            natives.join(", "),
            NOISE_FLOOR * 100.0
        );
        let _ = writeln!(
            s,
            "| GPU | kernel | case | variant | image (native's) | median (native's) | vs native |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|--:|--:|");
        for d in diffs.iter().take(SHOWN) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | `{}` | {} ({}) | {} ({}) | **{}** |",
                md_cell(&d.gpu),
                md_cell(&d.kernel),
                md_cell(&d.case),
                md_cell(&d.variant),
                d.image,
                d.native_image,
                format::time(d.median_s),
                format::time(d.native_median_s),
                speed_words(d.speedup)
            );
        }
        if diffs.len() > SHOWN {
            let _ = writeln!(
                s,
                "\n{} smaller difference(s) beyond noise are in the tables below.",
                diffs.len() - SHOWN
            );
        }
        s.push('\n');
    }
    across_gpus(s, m, &timed_gpus);
}

/// With several GPUs: the native build's cases whose speed differs between the first GPU
/// and each other one, beyond noise.
fn across_gpus(s: &mut String, m: &Merged, gpus: &[&GpuRun]) {
    let Some((first, rest)) = gpus.split_first() else {
        return;
    };
    if rest.is_empty() {
        return;
    }
    let mut rows = Vec::new();
    for (kernel, case) in &m.kernel_cases {
        let Some(a) = first
            .find(kernel, case, &first.native_variant())
            .and_then(timed)
        else {
            continue;
        };
        for g in rest.iter() {
            let Some(b) = g.find(kernel, case, &g.native_variant()).and_then(timed) else {
                continue;
            };
            if let Some(speedup) = beyond_noise(a, b) {
                rows.push((kernel, case, g, a.median_s, b.median_s, speedup));
            }
        }
    }
    let _ = writeln!(
        s,
        "### GPU against GPU\n\nEach GPU's native build against {}'s, per case: {} of {} cases differ beyond noise.\n",
        md_cell(&first.label),
        rows.len(),
        m.kernel_cases.len() * rest.len()
    );
    if rows.is_empty() {
        return;
    }
    rows.sort_by(|a, b| b.5.ln().abs().total_cmp(&a.5.ln().abs()));
    let _ = writeln!(
        s,
        "| kernel | case | {} | GPU | its median | vs {} |",
        md_cell(&first.label),
        md_cell(&first.label)
    );
    let _ = writeln!(s, "|---|---|--:|---|--:|--:|");
    for (kernel, case, g, a, b, speedup) in rows.iter().take(SHOWN) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            md_cell(kernel),
            md_cell(case),
            format::time(*a),
            md_cell(&g.label),
            format::time(*b),
            speed_words(*speedup)
        );
    }
    if rows.len() > SHOWN {
        let _ = writeln!(s, "\n{} more in the tables below.", rows.len() - SHOWN);
    }
    s.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(median: f64, ci: f64) -> Timing {
        Timing {
            median_s: median,
            median_ci_rel: ci,
            ..Timing::default()
        }
    }

    #[test]
    fn noise_is_the_intervals_and_a_floor() {
        assert_eq!(beyond_noise(&t(1.0, 0.001), &t(1.015, 0.001)), None);
        let r = beyond_noise(&t(1.0, 0.001), &t(0.5, 0.001)).unwrap();
        assert!((r - 2.0).abs() < 1e-12);
        // Wide intervals: 5 % apart, 3 % + 3 % of noise.
        assert_eq!(beyond_noise(&t(1.0, 0.03), &t(1.05, 0.03)), None);
        assert!(beyond_noise(&t(1.0, 0.03), &t(1.2, 0.03)).is_some());
        assert_eq!(beyond_noise(&t(0.0, 0.0), &t(1.0, 0.0)), None);
    }

    #[test]
    fn speeds_in_words() {
        assert_eq!(speed_words(1.975), "1.98× faster");
        assert_eq!(speed_words(1.0 / 9.04), "9.0× slower");
        assert_eq!(speed_words(1.0 / 12.3), "12× slower");
    }
}
