//! A user's suite's results (schema version 3: suite name, `impl`, axis values, image key)
//! go through `archbench compare` and `archbench report` unchanged: cases are told apart by
//! their implementation, a slowdown of one implementation fails the comparison, and the
//! report names every case. The runs are SYNTHETIC: made here, not measured.

use std::path::Path;

use archbench::results::schema::*;

use crate::common::{archbench, s};

fn run(warp_median: f64) -> RunFile {
    let header = r#"{"schema_version": 3, "archbench_version": "0.1.0", "suite": "my-kernels",
        "started": "2026-12-07T00:00:00Z", "host": {"hostname": "h", "os": "o", "cpu": "c"},
        "device": {"name": "SYNTHETIC GPU", "capability": "9.0", "sm_count": 132,
          "sm_clock_mhz": 1980, "mem_clock_mhz": 2619, "mem_bus_bits": 5120, "l2_bytes": 52428800,
          "memory_bytes": 85000000000, "driver_cuda_version": 13000, "driver_release": null},
        "toolchain": {"nvcc_release": "13.0.88", "cuda": "13.0"},
        "settings": {"mode": "cold", "quick": true, "seed": 1, "max_noise": 0.01,
          "min_samples": 10, "min_time_s": 0.02, "timeout_s": 0.3},
        "ceilings": {"copy_gbps": null, "gemm_bf16_tflops": null, "note": null}, "cases": []}"#;
    let mut r: RunFile = serde_json::from_str(header).unwrap();
    for (imp, median) in [("block", 20e-6), ("warp", warp_median)] {
        // 40 samples around the median, ±1 %.
        let samples: Vec<f64> = (0..40)
            .map(|i| median * (1.0 + 0.01 * ((i % 5) as f64 - 2.0) / 2.0))
            .collect();
        r.cases.push(CaseResult {
            variant: "pkgsForCudaArch.sm_90".into(),
            variant_flags: vec!["-gencode=arch=compute_90,code=sm_90".into()],
            kernel: "rmsnorm".into(),
            case: format!("impl={imp} rows=64 cols=1024"),
            bytes: 2 * 64 * 1024 * 4,
            flops: 4 * 64 * 1024,
            image: Some(LoadedImage {
                binary_version: 90,
                ptx_version: 90,
                kind: "sass".into(),
                arch: None,
            }),
            correctness: Some(Correctness {
                passed: true,
                seed: 1,
                mismatches: 0,
                max_abs_err: 0.0,
                detail: None,
            }),
            timing: Some(Timing {
                samples: samples.len() as u64,
                median_s: median,
                mean_s: median,
                min_s: samples.iter().cloned().fold(f64::INFINITY, f64::min),
                max_s: samples.iter().cloned().fold(0.0, f64::max),
                q1_s: median * 0.995,
                q3_s: median * 1.005,
                cv: 0.005,
                median_ci_rel: 0.002,
                discarded_throttled: 0,
                clock_min_mhz: None,
                clock_median_mhz: None,
                stop_reason: "noise".into(),
                launches_per_sample: 1,
                discarded_blocker_timeout: 0,
                budget_s: None,
                wall_s: None,
                samples_s: samples,
                ..Timing::default()
            }),
            status: Some(Status::Ok),
            implementation: Some(imp.into()),
            axes: [("impl", imp), ("rows", "64"), ("cols", "1024")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            source: Some("rmsnorm.cu".into()),
            ..CaseResult::default()
        });
    }
    r
}

fn write(dir: &Path, name: &str, r: &RunFile) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string(r).unwrap()).unwrap();
    p
}

#[test]
fn compare_and_report_tell_implementations_apart() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.json", &run(10e-6));
    let same = write(dir.path(), "same.json", &run(10e-6));
    let slower = write(dir.path(), "slower.json", &run(12e-6));
    // The fields a user's run adds survive a read.
    let back = archbench::results::read::read_run(&slower).unwrap();
    assert_eq!(back.suite.as_deref(), Some("my-kernels"));
    assert_eq!(back.cases[1].implementation.as_deref(), Some("warp"));
    assert_eq!(back.cases[1].axes["rows"], "64");

    let (rc, out, err) = archbench(&["compare", s(&same), s(&base)]);
    assert_eq!(rc, 0, "{out}{err}");
    let (rc, out, err) = archbench(&["compare", s(&slower), s(&base)]);
    assert_eq!(rc, 1, "{out}{err}");
    assert!(
        out.contains("FAIL: rmsnorm / impl=warp rows=64 cols=1024 / pkgsForCudaArch.sm_90"),
        "{out}"
    );
    assert!(!out.contains("FAIL: rmsnorm / impl=block"), "{out}");

    let report = dir.path().join("report");
    let (rc, out, err) = archbench(&["report", s(&slower), s(&base), "--out", s(&report)]);
    assert_eq!(rc, 0, "{out}{err}");
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(
        md.contains("impl=warp rows=64 cols=1024") && md.contains("impl=block rows=64 cols=1024"),
        "{md}"
    );
}
