//! The markdown report (for PR comments): the runs that are missing or failed, the
//! cross-GPU view when there are several GPUs ([`super::matrix`]), one summary table per
//! GPU, then one table per comparison with a baseline. The output depends only on the inputs (no clock, no paths
//! other than the ones given), so it can be compared byte for byte.

use std::fmt::Write;

use super::compare::Comparison;
use super::format::{self, md_cell, Bound};
use super::merge::{GpuRun, Merged};
use crate::results::schema::CaseResult;

/// What a report holds beside its runs: a title and sections of its own (the device
/// check's, [`super::devcheck`]), placed after the per-GPU tables and comparisons.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// The report's title; `archbench report` when `None`.
    pub title: Option<String>,
    /// Markdown placed before the unfolded tables.
    pub sections: String,
}

impl Extra {
    /// The title the report has.
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or("archbench report")
    }
}

/// Render the whole report; `charts` are relative paths of chart files to link, if any.
pub fn render(m: &Merged, comparisons: &[Comparison], charts: &[String]) -> String {
    render_with(m, comparisons, charts, &Extra::default())
}

/// [`render`] with a title and sections of the caller's.
pub fn render_with(
    m: &Merged,
    comparisons: &[Comparison],
    charts: &[String],
    extra: &Extra,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", md_cell(extra.title()));
    let names: Vec<String> = m
        .gpus
        .iter()
        .map(|g| format!("{} (sm {})", g.label, g.run.device.capability))
        .collect();
    if names.is_empty() {
        let _ = writeln!(s, "No runs.\n");
    } else {
        let _ = writeln!(s, "{} run(s): {}.\n", m.gpus.len(), names.join(", "));
    }
    super::matrix::absent_section(&mut s, m);
    super::differ::section(&mut s, m);
    super::matrix::across_gpus_section(&mut s, m);
    super::jit::section(&mut s, m);
    super::paired::section(&mut s, m);
    for g in &m.gpus {
        gpu_section(&mut s, m, g);
    }
    for c in comparisons {
        comparison_section(&mut s, c);
    }
    if !extra.sections.is_empty() {
        s.push_str(&extra.sections);
        s.push('\n');
    }
    if m.gpus.iter().any(|g| folds_anything(m, g)) {
        let _ = writeln!(
            s,
            "## Every case, unfolded
"
        );
        for g in &m.gpus {
            let _ = writeln!(
                s,
                "### {}
",
                md_cell(&g.label)
            );
            case_table(&mut s, m, g, false);
        }
    }
    if !charts.is_empty() {
        let _ = writeln!(s, "## Charts\n");
        for c in charts {
            let _ = writeln!(s, "- [{c}]({c})");
        }
        s.push('\n');
    }
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}

fn gpu_section(s: &mut String, m: &Merged, g: &GpuRun) {
    let r = &g.run;
    let d = &r.device;
    let _ = writeln!(s, "## {}\n", md_cell(&g.label));
    let driver = d
        .driver_release
        .as_deref()
        .map(|x| format!(" ({x})"))
        .unwrap_or_default();
    let mut ceilings = Vec::new();
    if let Some(c) = r.ceilings.copy_gbps {
        ceilings.push(format!("copy {} GB/s", format::sig3(c)));
    }
    if let Some(c) = r.ceilings.gemm_bf16_tflops {
        ceilings.push(format!("bf16 GEMM {} TFLOP/s", format::sig3(c)));
    }
    let c = &r.ceilings;
    // (what, samples, clocks, burst, sustained, unit): the ceilings measured like the suite.
    let likes = [
        c.gemm_like_suite.as_ref().map(|l| {
            let what = "cuBLAS like the suite's GEMM (random inputs";
            let unit = "TFLOP/s; % roofline uses the bf16 GEMM ceiling";
            (
                what,
                l.samples,
                &l.clocks,
                l.burst_tflops,
                l.sustained_tflops,
                unit,
            )
        }),
        c.copy_like_suite.as_ref().map(|l| {
            let what = "copy like the suite's kernels (";
            (
                what,
                l.samples,
                &l.clocks,
                l.burst_gbps,
                l.sustained_gbps,
                "GB/s",
            )
        }),
    ];
    for (what, samples, clocks, burst, sustained, unit) in likes.into_iter().flatten() {
        let at = match (clocks.clock_median_mhz, clocks.clock_min_mhz) {
            (Some(a), Some(b)) => format!(" at {a:.0} MHz (min {b:.0})"),
            _ => String::new(),
        };
        let sep = if what.ends_with('(') { "" } else { ", " };
        ceilings.push(format!(
            "{what}{sep}cold, {samples} samples{at}): burst {}, sustained {} {unit}",
            format::sig3(burst),
            format::sig3(sustained)
        ));
    }
    let ceilings = if ceilings.is_empty() {
        "not measured".to_string()
    } else {
        ceilings.join(", ")
    };
    let _ = writeln!(
        s,
        "Capability {} · {} SMs · driver CUDA {}.{}{driver} · nvcc {} · host `{}` · started {} · {} mode · ceilings: {ceilings}\n",
        d.capability,
        d.sm_count,
        d.driver_cuda_version / 1000,
        (d.driver_cuda_version % 1000) / 10,
        r.toolchain.nvcc_release,
        md_cell(&r.host.hostname),
        r.started,
        match r.settings.mode {
            crate::results::schema::Mode::Cold => "cold",
            crate::results::schema::Mode::Hot => "hot",
        },
    );
    let errors = case_table(s, m, g, true);
    let native = g.native_variant();
    let _ = writeln!(
        s,
        "vs native: speed relative to `{native}` on this GPU (above 1× = faster). Variants that \
         ran the same image in the same time (within noise) share a row; a case's median is in \
         bold when it beats every other row beyond noise. median: the \
         CUDA-event time per launch over every kept sample, the figure comparisons use; where a \
         case slowed (or sped up) by at least 1 % between the first and the last quarter of its \
         samples, its burst and sustained medians follow. throughput: the minimum bytes a case \
         must move (or operations it must do) over its median, so it can exceed the copy ceiling \
         for read-heavy kernels and for outputs that stay in L2.\n"
    );
    if !errors.is_empty() {
        let _ = writeln!(s, "Errors:\n");
        for e in errors {
            let _ = writeln!(s, "{e}");
        }
        s.push('\n');
    }
}

fn comparison_section(s: &mut String, c: &Comparison) {
    let _ = writeln!(s, "## {} vs baseline\n", md_cell(&c.new_device));
    let [faster, slower, same, unsure] = c.counts();
    let _ = writeln!(
        s,
        "New run {} against baseline {} on {} (sm {}): {faster} faster, {slower} slower, {same} same, {unsure} unsure.\n",
        c.new_started, c.base_started, md_cell(&c.base_device), c.base_capability
    );
    if !c.same_device {
        let _ = writeln!(
            s,
            "> **Different GPUs** ({} sm {} vs {} sm {}): these differences describe the hardware, not regressions.\n",
            md_cell(&c.new_device),
            c.new_capability,
            md_cell(&c.base_device),
            c.base_capability
        );
    }
    let _ = writeln!(
        s,
        "| kernel | case | variant | baseline | new | change | 95 % CI | p | verdict | notes |"
    );
    let _ = writeln!(s, "|---|---|---|--:|--:|--:|---|--:|---|---|");
    for k in &c.cases {
        let t = |x: Option<f64>| x.map_or("—".to_string(), format::time);
        let (change, ci, p, verdict) = match &k.timing {
            Some(j) => (
                format::pct(j.delta_pct()),
                j.ci.map_or("—".to_string(), |(lo, hi)| {
                    format!(
                        "{} … {}",
                        format::pct((lo - 1.0) * 100.0),
                        format::pct((hi - 1.0) * 100.0)
                    )
                }),
                j.p_value.map_or("—".to_string(), p_value),
                format!("**{}**", j.verdict),
            ),
            None => ("—".into(), "—".into(), "—".into(), "—".into()),
        };
        let mut notes = Vec::new();
        if k.image_changed {
            notes.push(format!("image {} → {}", k.base_image, k.new_image));
        }
        if let Some(n) = k.correctness_note() {
            notes.push(format!("correctness {n}"));
        }
        let _ = writeln!(
            s,
            "| {} | {} | `{}` | {} | {} | {change} | {ci} | {p} | {verdict} | {} |",
            md_cell(&k.kernel),
            md_cell(&k.case),
            md_cell(&k.variant),
            t(k.base_median_s),
            t(k.new_median_s),
            md_cell(&notes.join("; ")),
        );
    }
    s.push('\n');
    for (what, list) in [
        ("Only in the baseline", &c.only_in_base),
        ("Only in the new run", &c.only_in_new),
    ] {
        if !list.is_empty() {
            let _ = writeln!(
                s,
                "{what}: {}.\n",
                list.iter()
                    .map(|l| format!("`{l}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
}

/// `0.0001` → `<0.001`, else three decimals.
pub fn p_value(p: f64) -> String {
    if p < 0.001 {
        "<0.001".to_string()
    } else {
        format!("{p:.3}")
    }
}

/// One row's worth of a case: the variants it stands for (several when folded).
struct Row<'a> {
    variants: Vec<&'a str>,
    case: &'a CaseResult,
}

/// Whether two variants' results for one case read the same: the same image and outcome,
/// and medians within noise (or both untimed).
fn same_row(a: &CaseResult, b: &CaseResult) -> bool {
    if format::image(a.image.as_ref()) != format::image(b.image.as_ref())
        || a.outcome() != b.outcome()
        || a.error.is_some() != b.error.is_some()
    {
        return false;
    }
    match (&a.timing, &b.timing) {
        (Some(x), Some(y)) => super::differ::beyond_noise(x, y).is_none(),
        (None, None) => true,
        _ => false,
    }
}

/// The rows of one kernel × case on one GPU, folded (variants that read the same share a
/// row) or not.
fn rows<'a>(m: &'a Merged, g: &'a GpuRun, kernel: &str, case: &str, fold: bool) -> Vec<Row<'a>> {
    let mut out: Vec<Row<'a>> = Vec::new();
    for v in m.variants_of(kernel, case) {
        let Some(c) = g.find(kernel, case, v) else {
            continue;
        };
        match out.iter_mut().find(|r| fold && same_row(r.case, c)) {
            Some(r) => r.variants.push(v),
            None => out.push(Row {
                variants: vec![v],
                case: c,
            }),
        }
    }
    out
}

/// Whether folding merges any rows of `g`.
fn folds_anything(m: &Merged, g: &GpuRun) -> bool {
    m.kernel_cases
        .iter()
        .any(|(k, c)| rows(m, g, k, c, true).len() < rows(m, g, k, c, false).len())
}

/// The case table of one GPU; returns the error lines to list under it.
fn case_table(s: &mut String, m: &Merged, g: &GpuRun, fold: bool) -> Vec<String> {
    let native = g.native_variant();
    let _ = writeln!(
        s,
        "| kernel | case | variant | median | throughput | % roofline | vs native | image | correctness |"
    );
    let _ = writeln!(s, "|---|---|---|--:|--:|--:|--:|---|---|");
    let mut errors = Vec::new();
    for (kernel, case) in &m.kernel_cases {
        let native_median = g
            .find(kernel, case, &native)
            .and_then(|c| c.timing.as_ref())
            .map(|t| t.median_s);
        let rows = rows(m, g, kernel, case, fold);
        // The fastest row, marked only when it beats every other timed row beyond noise.
        let timings: Vec<&crate::results::schema::Timing> = rows
            .iter()
            .filter_map(|r| r.case.timing.as_ref())
            .filter(|t| t.median_s > 0.0)
            .collect();
        let fastest = timings
            .iter()
            .min_by(|a, b| a.median_s.total_cmp(&b.median_s))
            .filter(|f| {
                timings.len() > 1
                    && timings.iter().all(|o| {
                        std::ptr::eq(*o, **f)
                            || super::differ::beyond_noise(o, f).is_some_and(|r| r > 1.0)
                    })
            })
            .map(|f| f.median_s);
        for row in &rows {
            let c = row.case;
            let bound = Bound::of(c);
            let timed = c.timing.as_ref();
            let median = timed.map_or("—".to_string(), |t| {
                match (
                    crate::run::summary::drift_cell(t),
                    t.burst_median_s,
                    t.sustained_median_s,
                ) {
                    (Some(d), Some(b), Some(su)) => format!(
                        "{} (burst {}, sustained {}, {d})",
                        format::time(t.median_s),
                        format::time(b),
                        format::time(su)
                    ),
                    _ => format::time(t.median_s),
                }
            });
            let median = match (timed, fastest) {
                (Some(t), Some(f)) if t.median_s == f => format!("**{median}**"),
                _ => median,
            };
            let vals = timed.and_then(|_| bound.values(c));
            let thr = vals.map_or("—".to_string(), |(v, _)| {
                format!("{} {}", format::sig3(v), bound.unit())
            });
            let pct = vals
                .and_then(|(_, p)| p)
                .map_or("—".to_string(), |p| format!("{p:.1} %"));
            let vs = match (native_median, timed) {
                (Some(n), Some(t)) if t.median_s > 0.0 => format!("{:.2}×", n / t.median_s),
                _ => "—".to_string(),
            };
            let correct = match &c.correctness {
                Some(k) if k.passed => "passed".to_string(),
                Some(k) => format!("**FAILED** ({} mismatches)", k.mismatches),
                None => "—".to_string(),
            };
            let names: Vec<String> = row
                .variants
                .iter()
                .map(|v| format!("`{}`", md_cell(v)))
                .collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {median} | {thr} | {pct} | {vs} | {} | {correct} |",
                md_cell(kernel),
                md_cell(case),
                names.join(", "),
                format::image(c.image.as_ref()),
            );
            if let Some(e) = &c.error {
                errors.push(format!(
                    "- `{kernel} / {case} / {}`: {}",
                    row.variants.join(", "),
                    md_cell(e)
                ));
            }
        }
    }
    s.push('\n');
    errors
}
