//! The terminal summary table of a run, and small formatting helpers (durations, UTC time).

use crate::results::schema::{CaseResult, RunFile, Status};

/// Formats seconds with a unit that keeps 3–4 significant digits.
pub fn duration(s: f64) -> String {
    if !s.is_finite() {
        "—".into()
    } else if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else {
        format!("{:.2} µs", s * 1e6)
    }
}

fn check_cell(c: &CaseResult) -> String {
    match c.outcome() {
        Status::Failed => "FAILED".into(),
        Status::Ok => "ok".into(),
        s => s.as_str().into(),
    }
}

/// `+5.0%` when the case's last quarter ran slower than its first beyond noise (a rank test
/// at p < 0.01 and at least 1 %), `-2.1%` when faster; `None` otherwise.
pub fn drift_cell(t: &crate::results::schema::Timing) -> Option<String> {
    match (t.drift_rel, t.drift_p) {
        (Some(r), Some(p)) if r.abs() >= 0.01 && p < 0.01 => Some(format!("{:+.1}%", r * 100.0)),
        _ => None,
    }
}

/// One row per kernel × case × variant.
pub fn table(run: &RunFile) -> String {
    let header = [
        "kernel", "case", "variant", "image", "check", "median", "±CI", "drift", "GB/s", "TFLOP/s",
        "%BW", "n", "load",
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut cases: Vec<&CaseResult> = run.cases.iter().collect();
    cases.sort_by(|a, b| (&a.kernel, &a.case, &a.variant).cmp(&(&b.kernel, &b.case, &b.variant)));
    for c in cases {
        let t = c.timing.as_ref();
        let tp = c.throughput.as_ref();
        rows.push(vec![
            c.kernel.clone(),
            c.case.clone(),
            c.variant.clone(),
            c.image
                .as_ref()
                .map(|i| format!("{} {}", i.kind, i.name()))
                .unwrap_or_else(|| "not loaded".into()),
            check_cell(c),
            t.map(|t| duration(t.median_s))
                .unwrap_or_else(|| "—".into()),
            t.filter(|t| t.median_ci_rel.is_finite())
                .map(|t| format!("{:.2}%", t.median_ci_rel * 100.0))
                .unwrap_or_else(|| "—".into()),
            t.and_then(drift_cell).unwrap_or_else(|| "—".into()),
            tp.map(|x| format!("{:.1}", x.gbps))
                .unwrap_or_else(|| "—".into()),
            tp.filter(|_| c.flops > 0)
                .map(|x| format!("{:.2}", x.tflops))
                .unwrap_or_else(|| "—".into()),
            tp.and_then(|x| x.pct_copy_bw)
                .map(|p| format!("{p:.0}%"))
                .unwrap_or_else(|| "—".into()),
            t.map(|t| {
                if t.samples > 0 {
                    t.samples.to_string()
                } else {
                    t.samples_s.len().to_string()
                }
            })
            .unwrap_or_else(|| "—".into()),
            c.load_ms
                .map(|ms| format!("{ms:.1} ms"))
                .unwrap_or_else(|| "—".into()),
        ]);
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(header.iter().map(|s| s.to_string()).collect())];
    out.extend(rows.into_iter().map(line));
    out.join("\n") + "\n"
}

/// What a run found besides timings: predictions the driver contradicted, failed checks,
/// errors nobody foresaw, hangs and crashes, one line each (empty when there is nothing to
/// report). A refusal the predictor foresaw (209/222) is an answer, not a finding.
pub fn findings(run: &RunFile) -> String {
    let mut out = String::new();
    for c in &run.cases {
        let at = format!("{} × {} ({})", c.kernel, c.variant, c.case);
        if c.prediction_matches == Some(false) {
            let ran = c
                .image
                .as_ref()
                .map(|i| format!("{} {}", i.kind, i.name()))
                .unwrap_or_else(|| "nothing (load failed)".into());
            out.push_str(&format!(
                "prediction mismatch: {at}: predicted {}, ran {ran}\n",
                c.predicted.as_deref().unwrap_or("?")
            ));
        }
        let err = c.error.as_deref().unwrap_or("");
        match c.outcome() {
            Status::Failed => {
                let k = c.correctness.as_ref();
                out.push_str(&format!(
                    "FAILED: {at}: {} (seed {})\n",
                    k.and_then(|k| k.detail.as_deref())
                        .unwrap_or("wrong output"),
                    k.map_or(0, |k| k.seed)
                ));
            }
            Status::Error => out.push_str(&format!("error: {at}: {err}\n")),
            Status::Timeout => out.push_str(&format!("timeout: {at}: {err}\n")),
            Status::Crashed => out.push_str(&format!("crashed: {at}: {err}\n")),
            Status::Ok | Status::Refused | Status::Skipped => {}
        }
        if let Some(line) = paired_line(c) {
            out.push_str(&format!("{at}: {line}\n"));
        }
    }
    out
}

/// A case timed beside its library call (`--paired`): the case's speed as a share of the
/// library's from the one interleaved series, with both medians and clocks; or why the
/// library call was not timed.
fn paired_line(c: &CaseResult) -> Option<String> {
    let p = c.paired.as_ref()?;
    let mhz = |t: &crate::results::schema::Timing| {
        crate::measure::stats::median_finite(&t.clocks_mhz)
            .map_or("—".to_string(), |m| format!("{m:.0}"))
    };
    Some(match (c.timing.as_ref(), p.timing.as_ref()) {
        (Some(case), Some(lib)) => format!(
            "{:.1} % of {} (paired: medians {} / {}, SM clocks {} / {} MHz)",
            p.pct_of_library(case).unwrap_or(f64::NAN),
            p.library,
            fmt_s(case.median_s),
            fmt_s(lib.median_s),
            mhz(case),
            mhz(lib)
        ),
        _ => format!(
            "{} not timed beside it: {}",
            p.library,
            p.error.as_deref().unwrap_or("the case was not timed")
        ),
    })
}

fn fmt_s(s: f64) -> String {
    format!("{:.2} µs", s * 1e6)
}

/// One line of counts per status, how long the run took, and what the budget cut.
pub fn totals(run: &RunFile) -> String {
    let mut counts: Vec<(Status, usize)> = Vec::new();
    for c in &run.cases {
        let s = c.outcome();
        match counts.iter_mut().find(|(k, _)| *k == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    let mut out = format!(
        "{} case(s): {}",
        run.cases.len(),
        counts
            .iter()
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(e) = &run.end {
        out.push_str(&format!(" in {:.1} s", e.wall_s));
    }
    out.push('\n');
    for cut in run.end.iter().flat_map(|e| &e.cut) {
        out.push_str(&format!("cut: {cut}\n"));
    }
    out
}

/// `2026-11-25T12:34:56Z` from a Unix time (proleptic Gregorian, UTC).
pub fn rfc3339_utc(unix_s: u64) -> String {
    let days = (unix_s / 86_400) as i64;
    let secs = unix_s % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(
        variant: &str,
        predicted: &str,
        matches: Option<bool>,
        passed: bool,
        error: Option<&str>,
    ) -> CaseResult {
        use crate::results::schema::{Correctness, LoadedImage};
        CaseResult {
            variant: variant.into(),
            variant_flags: Vec::new(),
            kernel: "softmax".into(),
            case: "f32 100x1024".into(),
            bytes: 1,
            flops: 1,
            image: error.is_none().then(|| LoadedImage {
                binary_version: 90,
                ptx_version: 80,
                kind: "ptx-jit".into(),
                arch: None,
            }),
            predicted: Some(predicted.into()),
            prediction_matches: matches,
            correctness: error.is_none().then(|| Correctness {
                passed,
                seed: 7,
                mismatches: u64::from(!passed),
                max_abs_err: 0.0,
                detail: (!passed).then(|| "dst: 1 of 10 elements wrong".into()),
            }),
            timing: None,
            throughput: None,
            load_ms: Some(12.5),
            error: error.map(str::to_string),
            status: None,
            ..CaseResult::default()
        }
    }

    #[test]
    fn findings_name_mismatches_failures_and_unforeseen_errors() {
        use crate::results::schema::*;
        let mut run: RunFile = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "archbench_version": "0", "started": "x",
            "host": {"hostname": "h", "os": "o", "cpu": "c"},
            "device": {"name": "d", "capability": "9.0", "sm_count": 1, "sm_clock_mhz": 1, "mem_clock_mhz": 1, "mem_bus_bits": 1, "l2_bytes": 1, "memory_bytes": 1, "driver_cuda_version": 13000, "driver_release": null},
            "toolchain": {"nvcc_release": "13.0.88", "cuda": "13.0"},
            "settings": {"mode": "cold", "quick": true, "seed": 1, "max_noise": 0.005, "min_samples": 10, "min_time_s": 0.5, "timeout_s": 15.0},
            "ceilings": {"copy_gbps": null, "gemm_bf16_tflops": null, "note": null},
            "cases": []
        }))
        .unwrap();
        run.cases.push(case(
            "pkgsCuda",
            "sm_90 (sass-exact)",
            Some(false),
            true,
            None,
        ));
        run.cases.push(case(
            "pkgsForCudaArch.sm_90",
            "sm_90 (sass-exact)",
            Some(true),
            false,
            None,
        ));
        run.cases.push(case(
            "pkgsForCudaArch.sm_89",
            "error 209 (no-binary-for-gpu)",
            Some(true),
            true,
            Some("no image (209)"),
        ));
        run.cases.push(case(
            "pkgsForCudaArch.sm_80",
            "sm_80 (sass-exact)",
            Some(false),
            true,
            Some("launch failed"),
        ));
        let f = findings(&run);
        assert!(f.contains("prediction mismatch: softmax × pkgsCuda (f32 100x1024): predicted sm_90 (sass-exact), ran ptx-jit compute_80"), "{f}");
        assert!(f.contains("FAILED: softmax × pkgsForCudaArch.sm_90 (f32 100x1024): dst: 1 of 10 elements wrong (seed 7)"), "{f}");
        assert!(
            !f.contains("pkgsForCudaArch.sm_89"),
            "a foreseen 209 is not a finding: {f}"
        );
        assert!(f.contains("error: softmax × pkgsForCudaArch.sm_80"), "{f}");
        // The exit status counts the mismatch, the failure and the unforeseen error, not
        // the foreseen refusal.
        let failing: Vec<&str> = run
            .cases
            .iter()
            .filter(|c| c.is_failure())
            .map(|c| c.variant.as_str())
            .collect();
        assert_eq!(
            failing,
            ["pkgsCuda", "pkgsForCudaArch.sm_90", "pkgsForCudaArch.sm_80"]
        );
        assert!(totals(&run).starts_with("4 case(s): 1 ok, 1 failed, 1 refused, 1 error"));
        let t = table(&run);
        assert!(t.lines().next().unwrap().ends_with("load"), "{t}");
        assert!(t.contains("12.5 ms"));
    }

    #[test]
    fn formats() {
        assert_eq!(duration(1.5), "1.500 s");
        assert_eq!(duration(0.0123), "12.300 ms");
        assert_eq!(duration(4.2e-6), "4.20 µs");
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn a_paired_case_says_its_share_of_cublas_or_why_not() {
        use crate::results::schema::{PairedResult, Timing};
        let timing = |median_s: f64, mhz: f64| Timing {
            median_s,
            clocks_mhz: vec![mhz, f64::NAN, mhz],
            ..Timing::default()
        };
        let mut c = case("pkgsForCudaArch.sm_90a", "sm_90a", Some(true), true, None);
        c.timing = Some(timing(200e-6, 1700.0));
        c.paired = Some(PairedResult {
            library: "cuBLAS 13.0.2 cublasGemmEx bf16 4096x4096x4096 (f32 accumulate)".into(),
            correctness: None,
            timing: Some(timing(190e-6, 1650.0)),
            error: None,
        });
        let l = paired_line(&c).unwrap();
        assert!(l.starts_with("95.0 % of cuBLAS 13.0.2"), "{l}");
        assert!(
            l.ends_with("medians 200.00 µs / 190.00 µs, SM clocks 1700 / 1650 MHz)"),
            "{l}"
        );
        c.paired = Some(PairedResult {
            library: "cuBLAS".into(),
            correctness: None,
            timing: None,
            error: Some("cuBLAS (libcublas.so) not found".into()),
        });
        assert_eq!(
            paired_line(&c).unwrap(),
            "cuBLAS not timed beside it: cuBLAS (libcublas.so) not found"
        );
        c.paired = None;
        assert!(paired_line(&c).is_none());
    }
}
