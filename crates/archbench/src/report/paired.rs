//! "Against a library call, sample by sample": for every case a run timed beside its library
//! call (`--paired`: cuBLAS beside a GEMM, a device copy beside a memory-bound kernel), both
//! medians from the same interleaved series, `% of library` from them, the same figure from
//! the run's separate ceiling for comparison, both series' SM clocks, and both burst and
//! sustained figures. A library call that did not run or disagreed with the case is listed
//! with why.

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
    let gemm = p.library.starts_with("cuBLAS");
    let ceiling = c
        .throughput
        .as_ref()
        .and_then(|t| if gemm { t.pct_gemm } else { t.pct_copy_bw })
        .map_or("—".into(), |v| format!("{v:.1} %"));
    let library: Vec<&str> = p.library.split_whitespace().take(2).collect();
    Some(format!(
        "| {} | `{}` | {} | {} | {} | {} | {} | **{paired:.1} %** | {ceiling} | {} / {} | {} | {} |",
        md_cell(gpu),
        md_cell(&c.variant),
        md_cell(&format::image(c.image.as_ref())),
        md_cell(&format!("{} {}", c.kernel, c.case)),
        md_cell(&library.join(" ")),
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
    for g in &m.gpus {
        for c in &g.run.cases {
            let Some(p) = &c.paired else { continue };
            match row(&g.label, c) {
                Some(r) => rows.push(r),
                None => untimed.push(format!(
                    "- {} `{}` {} {}: {}: {}",
                    md_cell(&g.label),
                    md_cell(&c.variant),
                    md_cell(&c.kernel),
                    md_cell(&c.case),
                    md_cell(&p.library),
                    md_cell(p.error.as_deref().unwrap_or("not timed"))
                )),
            }
        }
    }
    if rows.is_empty() && untimed.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Against a library call, sample by sample\n");
    let _ = writeln!(
        s,
        "Each case's samples alternated with a library call's (`--paired`; which went first alternated too), under one protocol: L2 flushed, launches held behind the blocking kernel, clock stamps and events around each. Beside a GEMM, cuBLAS on the case's own inputs, its result checked against the case's first; beside a memory-bound kernel, a device copy moving as many bytes. **% of library, paired** divides the two medians of that one series (above 100 % = faster than the library call); *% of ceiling* is the figure from the run's separate ceiling (cuBLAS burst, or 1 GiB copy), for comparison. Clocks: the median SM clock of each series, MHz.\n"
    );
    if !rows.is_empty() {
        let _ = writeln!(
            s,
            "| GPU | variant | image | case | library | median | library median | % of library, paired | % of ceiling | clocks case / library | case burst / sustained | library burst / sustained |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|");
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
        assert!(r.contains("| cuBLAS 13.0.2 |"), "{r}");
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
        // Beside a memory-bound kernel: a copy, judged against the copy ceiling.
        c.throughput = Some(crate::results::schema::Throughput {
            gbps: 2000.0,
            tflops: 0.0,
            pct_copy_bw: Some(66.7),
            pct_gemm: Some(1.0),
        });
        c.paired = Some(PairedResult {
            library: "device copy cuMemcpyDtoDAsync of 33554432 bytes".into(),
            correctness: None,
            timing: Some(timing(250e-6, 1980.0)),
            error: None,
        });
        let r = row("H100", &c).unwrap();
        assert!(
            r.contains("| device copy |") && r.contains("**125.0 %** | 66.7 % |"),
            "{r}"
        );
    }
}
