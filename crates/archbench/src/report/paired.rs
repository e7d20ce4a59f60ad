//! "Against cuBLAS, sample by sample": for every case a run timed beside its library call
//! (`--paired`), both medians from the same interleaved series, `% of cuBLAS` from them, the
//! same figure from the run's separate ceiling for comparison, both series' SM clocks, and
//! both burst and sustained figures. A library call that did not run or disagreed with the
//! case is listed with why.

use std::fmt::Write;

use super::format::{self, md_cell};
use super::merge::Merged;
use crate::results::schema::{CaseResult, Timing};

/// Median of a series' per-sample clocks, MHz, else its recorded clock median.
fn clock(t: &Timing) -> Option<f64> {
    super::stats::median(&t.clocks_mhz).or(t.clock_median_mhz)
}

/// `190 / 201 µs` (burst / sustained), or `—`.
fn burst_sustained(t: &Timing) -> String {
    match (t.burst_median_s, t.sustained_median_s) {
        (Some(b), Some(s)) => format!("{} / {}", format::time(b), format::time(s)),
        _ => "—".into(),
    }
}

fn mhz(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.0}"))
}

/// One table row for a case with a paired series.
fn row(gpu: &str, c: &CaseResult) -> Option<String> {
    let p = c.paired.as_ref()?;
    let (case, lib) = (c.timing.as_ref()?, p.timing.as_ref()?);
    let paired = p.pct_of_library(case)?;
    let ceiling = c
        .throughput
        .as_ref()
        .and_then(|t| t.pct_gemm)
        .map_or("—".into(), |v| format!("{v:.1} %"));
    Some(format!(
        "| {} | `{}` | {} | {} | {} | {} | **{paired:.1} %** | {ceiling} | {} / {} | {} | {} |",
        md_cell(gpu),
        md_cell(&c.variant),
        md_cell(&format::image(c.image.as_ref())),
        md_cell(&format!("{} {}", c.kernel, c.case)),
        format::time(case.median_s),
        format::time(lib.median_s),
        mhz(clock(case)),
        mhz(clock(lib)),
        burst_sustained(case),
        burst_sustained(lib),
    ))
}

/// Write the section when some run timed a library call beside its cases.
pub fn section(s: &mut String, m: &Merged) {
    let mut rows = Vec::new();
    let mut untimed = Vec::new();
    let mut library = None;
    for g in &m.gpus {
        for c in &g.run.cases {
            let Some(p) = &c.paired else { continue };
            library.get_or_insert_with(|| p.library.clone());
            match row(&g.label, c) {
                Some(r) => rows.push(r),
                None => untimed.push(format!(
                    "- {} `{}` {} {}: {}",
                    md_cell(&g.label),
                    md_cell(&c.variant),
                    md_cell(&c.kernel),
                    md_cell(&c.case),
                    md_cell(p.error.as_deref().unwrap_or("not timed"))
                )),
            }
        }
    }
    if rows.is_empty() && untimed.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Against cuBLAS, sample by sample\n");
    let _ = writeln!(
        s,
        "Each case's samples alternated with {}'s on the same inputs (which went first alternated too), under one protocol: L2 flushed, launches held behind the blocking kernel, clock stamps and events around each. Its result was checked against the case's output first. **% of cuBLAS, paired** divides the two medians of that one series (above 100 % = faster than cuBLAS); *% of ceiling* is the figure from the run's separate cuBLAS burst, for comparison. Clocks: the median SM clock of each series, MHz.\n",
        md_cell(library.as_deref().unwrap_or("the library"))
    );
    if !rows.is_empty() {
        let _ = writeln!(
            s,
            "| GPU | variant | image | case | median | cuBLAS median | % of cuBLAS, paired | % of ceiling | clocks case / cuBLAS | case burst / sustained | cuBLAS burst / sustained |"
        );
        let _ = writeln!(s, "|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|");
        for r in rows {
            let _ = writeln!(s, "{r}");
        }
        s.push('\n');
    }
    if !untimed.is_empty() {
        let _ = writeln!(s, "Not timed beside the case:\n");
        for u in untimed {
            let _ = writeln!(s, "{u}");
        }
        s.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::schema::PairedResult;

    fn timing(median: f64, mhz: f64) -> Timing {
        Timing {
            median_s: median,
            clocks_mhz: vec![mhz; 5],
            burst_median_s: Some(median * 0.98),
            sustained_median_s: Some(median * 1.01),
            ..Timing::default()
        }
    }

    #[test]
    fn a_paired_case_gives_its_row_and_an_untimed_one_its_reason() {
        let mut c = CaseResult {
            variant: "pkgsForCudaArch.sm_90a".into(),
            kernel: "gemm".into(),
            case: "bf16 4096x4096x4096".into(),
            timing: Some(timing(200e-6, 1700.0)),
            paired: Some(PairedResult {
                library: "cuBLAS 13.0.2 cublasGemmEx bf16 4096x4096x4096 (f32 accumulate)".into(),
                correctness: None,
                timing: Some(timing(180e-6, 1650.0)),
                error: None,
            }),
            ..CaseResult::default()
        };
        let r = row("H100", &c).unwrap();
        assert!(r.contains("**90.0 %**"), "{r}");
        assert!(r.contains("1700 / 1650"), "{r}");
        assert!(r.contains("196 µs / 202 µs"), "{r}");
        c.paired = Some(PairedResult {
            library: "cuBLAS".into(),
            correctness: None,
            timing: None,
            error: Some("cuBLAS (libcublas.so) not found".into()),
        });
        assert!(row("H100", &c).is_none());
    }
}
