//! The closing table of `cargo bench`: one row per bench and case, one column per variant;
//! each cell the median time (`*` on the fastest variant of the row, `jit` where the driver
//! compiled PTX instead of running SASS), or what became of the case.

use crate::results::schema::{CaseResult, RunFile, Status};
use crate::run::summary::duration;

/// The table, plain text.
pub fn table(run: &RunFile) -> String {
    let mut variants: Vec<&str> = Vec::new();
    let mut rows: Vec<(&str, &str)> = Vec::new();
    for c in &run.cases {
        if !variants.contains(&c.variant.as_str()) {
            variants.push(&c.variant);
        }
        if !rows.contains(&(c.kernel.as_str(), c.case.as_str())) {
            rows.push((&c.kernel, &c.case));
        }
    }
    variants.sort();
    let mut cells: Vec<Vec<String>> = Vec::new();
    for (kernel, case) in &rows {
        let of = |v: &str| {
            run.cases
                .iter()
                .find(|c| c.kernel == *kernel && c.case == *case && c.variant == v)
        };
        let fastest = variants
            .iter()
            .filter_map(|v| of(v).and_then(|c| c.timing.as_ref()).map(|t| t.median_s))
            .filter(|m| m.is_finite())
            .fold(f64::INFINITY, f64::min);
        let mut row = vec![kernel.to_string(), case.to_string()];
        for v in &variants {
            row.push(match of(v) {
                Some(c) => cell(c, fastest),
                None => String::new(),
            });
        }
        cells.push(row);
    }
    let mut header = vec!["bench".to_string(), "case".to_string()];
    header.extend(variants.iter().map(|v| v.to_string()));
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &cells {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |r: &[String]| {
        r.iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i < 2 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(&header)];
    out.extend(cells.iter().map(|r| line(r)));
    out.push("* fastest variant of the row; jit: the driver JIT-compiled PTX (no SASS for this GPU); unchecked: the case declared no check".into());
    out.join("\n") + "\n"
}

fn cell(c: &CaseResult, fastest: f64) -> String {
    match c.outcome() {
        Status::Ok => {
            let jit = c.image.as_ref().is_some_and(|i| i.kind == "ptx-jit");
            match &c.timing {
                Some(t) => format!(
                    "{}{}{}{}",
                    duration(t.median_s),
                    if c.unchecked.is_some() {
                        " unchecked"
                    } else {
                        ""
                    },
                    if jit { " jit" } else { "" },
                    if t.median_s == fastest { " *" } else { "  " }
                ),
                None => {
                    let base = if c.unchecked.is_some() {
                        "unchecked"
                    } else {
                        "correct"
                    };
                    format!("{base}{}", if jit { " jit" } else { "" })
                }
            }
        }
        Status::Failed => "FAILED".into(),
        Status::Refused => "refused (as predicted)".into(),
        s => s.as_str().to_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::schema::{Correctness, LoadedImage, Timing};

    fn case(
        variant: &str,
        label: &str,
        median: Option<f64>,
        kind: &str,
        status: Status,
    ) -> CaseResult {
        CaseResult {
            variant: variant.into(),
            kernel: "rmsnorm".into(),
            case: label.into(),
            image: Some(LoadedImage {
                binary_version: 90,
                ptx_version: 80,
                kind: kind.into(),
                arch: None,
            }),
            correctness: Some(Correctness {
                passed: status != Status::Failed,
                seed: 1,
                mismatches: 0,
                max_abs_err: 0.0,
                detail: None,
            }),
            timing: median.map(|m| Timing {
                samples_s: vec![m],
                samples: 1,
                median_s: m,
                mean_s: m,
                min_s: m,
                max_s: m,
                q1_s: m,
                q3_s: m,
                cv: 0.0,
                median_ci_rel: 0.0,
                discarded_throttled: 0,
                clock_min_mhz: None,
                clock_median_mhz: None,
                stop_reason: "noise".into(),
                launches_per_sample: 1,
                discarded_blocker_timeout: 0,
                budget_s: None,
                wall_s: None,
                ..Timing::default()
            }),
            status: Some(status),
            ..CaseResult::default()
        }
    }

    #[test]
    fn variants_are_columns_and_the_fastest_is_marked() {
        let run: RunFile = serde_json::from_str(
            r#"{"schema_version": 3, "archbench_version": "0", "started": "2026-12-07T00:00:00Z",
                "host": {"hostname": "h", "os": "o", "cpu": "c"},
                "device": {"name": "GPU", "capability": "9.0", "sm_count": 1, "sm_clock_mhz": 1,
                  "mem_clock_mhz": 1, "mem_bus_bits": 1, "l2_bytes": 1, "memory_bytes": 1,
                  "driver_cuda_version": 13000, "driver_release": null},
                "toolchain": {"nvcc_release": "13.0.88", "cuda": "13.0"},
                "settings": {"mode": "cold", "quick": true, "seed": 1, "max_noise": 0.01,
                  "min_samples": 10, "min_time_s": 0.02, "timeout_s": 0.3},
                "ceilings": {"copy_gbps": null, "gemm_bf16_tflops": null, "note": null},
                "cases": []}"#,
        )
        .unwrap();
        let mut run = run;
        run.cases = vec![
            case("sm_90", "impl=warp n=1", Some(10e-6), "sass", Status::Ok),
            case(
                "torch:8.0+PTX",
                "impl=warp n=1",
                Some(12e-6),
                "ptx-jit",
                Status::Ok,
            ),
            case("sm_80", "impl=warp n=1", None, "sass", Status::Refused),
            case("sm_90", "impl=block n=1", None, "sass", Status::Failed),
        ];
        let t = table(&run);
        let lines: Vec<&str> = t.lines().collect();
        assert!(
            lines[0].starts_with("bench") && lines[0].contains("sm_80"),
            "{t}"
        );
        // Columns sorted by variant name: sm_80, sm_90, torch:8.0+PTX.
        assert!(lines[1].contains("refused (as predicted)"), "{t}");
        assert!(lines[1].contains("10.00 µs *"), "{t}");
        assert!(lines[1].contains("12.00 µs jit"), "{t}");
        assert!(lines[2].contains("FAILED"), "{t}");
    }
}
