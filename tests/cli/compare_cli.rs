//! `archbench compare` and `archbench baseline` from the command line, on the SYNTHETIC
//! fixtures: exit codes, automatic baseline choice, cross-GPU warning, JSON output.

use std::path::{Path, PathBuf};

use crate::common::{archbench, s};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/synthetic")
        .join(name)
}

#[test]
fn regression_beyond_threshold_exits_1() {
    let (new, base) = (
        fixture("synthetic-gpu-a-new.json"),
        fixture("synthetic-gpu-a-base.json"),
    );
    let (rc, out, err) = archbench(&["compare", s(&new), s(&base)]);
    assert_eq!(rc, 1, "{out}{err}");
    assert!(
        out.contains("SLOWER") && out.contains("FAIL: copy / f32 64MiB / pkgsForCudaArch.sm_80"),
        "{out}"
    );
    assert!(
        out.contains("image changed: SASS sm_90 → PTX JIT compute_80"),
        "{out}"
    );
    // The same slowdowns are within a 10 % threshold.
    let (rc, out, _) = archbench(&["compare", s(&new), s(&base), "--threshold", "10"]);
    assert_eq!(rc, 0, "{out}");
}

#[test]
fn speedups_exit_0() {
    let (rc, out, err) = archbench(&[
        "compare",
        s(&fixture("synthetic-gpu-a-faster.json")),
        s(&fixture("synthetic-gpu-a-base.json")),
    ]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("FASTER") && !out.contains("FAIL"), "{out}");
}

#[test]
fn correctness_failure_exits_1() {
    let (rc, out, _) = archbench(&[
        "compare",
        s(&fixture("synthetic-gpu-a-wrong.json")),
        s(&fixture("synthetic-gpu-a-base.json")),
        "--threshold",
        "50",
    ]);
    assert_eq!(rc, 1, "{out}");
    assert!(out.contains("correctness: passed → FAILED"), "{out}");
}

#[test]
fn cross_gpu_warns_and_does_not_fail_on_timing() {
    let (rc, out, err) = archbench(&[
        "compare",
        s(&fixture("synthetic-gpu-b.json")),
        s(&fixture("synthetic-gpu-a-base.json")),
    ]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(
        err.contains("different GPUs") && err.contains("not regressions"),
        "{err}"
    );
}

#[test]
fn json_output() {
    let (rc, out, _) = archbench(&[
        "compare",
        "--json",
        s(&fixture("synthetic-gpu-a-new.json")),
        s(&fixture("synthetic-gpu-a-base.json")),
    ]);
    assert_eq!(rc, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["same_device"], true);
    assert_eq!(v["failures"].as_array().unwrap().len(), 1);
    let verdicts: Vec<&str> = v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["timing"]["verdict"].as_str())
        .collect();
    assert!(
        verdicts.contains(&"SLOWER") && verdicts.contains(&"FASTER") && verdicts.contains(&"SAME")
    );
}

#[test]
fn baseline_save_list_and_automatic_pick() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    // No baseline yet: clear error, exit 1.
    let (rc, _, err) = archbench(&[
        "compare",
        s(&fixture("synthetic-gpu-a-new.json")),
        "--dir",
        d,
    ]);
    assert_eq!(rc, 1);
    assert!(
        err.contains("no baseline for device \"SYNTHETIC GPU A\""),
        "{err}"
    );

    let (rc, out, err) = archbench(&[
        "baseline",
        "save",
        s(&fixture("synthetic-gpu-a-base.json")),
        "--dir",
        d,
    ]);
    assert_eq!(rc, 0, "{err}");
    let saved = dir
        .path()
        .join("synthetic-gpu-a/20250101T000000Z-synthetic-host-a.json");
    assert!(saved.exists(), "{out}");
    // Saving again without --force is refused; with --force it replaces.
    let (rc, _, err) = archbench(&[
        "baseline",
        "save",
        s(&fixture("synthetic-gpu-a-base.json")),
        "--dir",
        d,
    ]);
    assert_eq!(rc, 1);
    assert!(err.contains("already exists"), "{err}");
    let (rc, _, _) = archbench(&[
        "baseline",
        "save",
        s(&fixture("synthetic-gpu-a-base.json")),
        "--dir",
        d,
        "--force",
    ]);
    assert_eq!(rc, 0);
    // A newer baseline of the same device under a chosen name, and another GPU.
    let (rc, _, _) = archbench(&[
        "baseline",
        "save",
        s(&fixture("synthetic-gpu-a-faster.json")),
        "--dir",
        d,
        "--name",
        "Newer",
    ]);
    assert_eq!(rc, 0);
    let (rc, _, _) = archbench(&[
        "baseline",
        "save",
        s(&fixture("synthetic-gpu-b.json")),
        "--dir",
        d,
    ]);
    assert_eq!(rc, 0);
    // Not results: refused with the path in the message.
    let (rc, _, err) = archbench(&[
        "baseline",
        "save",
        s(&fixture("future-schema.json")),
        "--dir",
        d,
    ]);
    assert_eq!(rc, 1);
    assert!(
        err.contains("future-schema.json") && err.contains("version 99"),
        "{err}"
    );

    let (rc, out, _) = archbench(&["baseline", "list", "--dir", d, "--json"]);
    assert_eq!(rc, 0);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3, "{out}");
    let (rc, out, _) = archbench(&["baseline", "list", "--dir", d]);
    assert_eq!(rc, 0);
    assert!(
        out.contains("synthetic-gpu-b") && out.contains("SYNTHETIC GPU A (sm 9.0)"),
        "{out}"
    );

    // The newest baseline of the same device is picked: a-faster (2025-01-03).
    let (_, _, err) = archbench(&[
        "compare",
        s(&fixture("synthetic-gpu-a-new.json")),
        "--dir",
        d,
    ]);
    assert!(
        err.contains("newer.json") && err.contains("2025-01-03"),
        "{err}"
    );
    // No temporary files are left behind.
    let leftovers = std::fs::read_dir(dir.path().join("synthetic-gpu-a"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn report_command_writes_files() {
    let dir = tempfile::tempdir().unwrap();
    let (rc, out, err) = archbench(&[
        "report",
        s(&fixture("synthetic-gpu-a-new.json")),
        s(&fixture("synthetic-gpu-b.json")),
        "--baseline",
        s(&fixture("synthetic-gpu-a-base.json")),
        "--format",
        "md,svg",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(dir.path().join("report.md").exists());
    assert!(dir
        .path()
        .join("charts/regression-synthetic-gpu-a.svg")
        .exists());
    assert!(!dir.path().join("report.html").exists());
    let (rc, _, err) = archbench(&["report", s(&fixture("not-results.json"))]);
    assert_eq!(rc, 1);
    assert!(
        err.contains("not-results.json") && err.contains("schema_version"),
        "{err}"
    );
}
