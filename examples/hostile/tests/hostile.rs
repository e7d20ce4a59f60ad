//! The hostile suite: declaration errors are reported per case without a GPU, and on a GPU
//! every failure is recorded with its own message while the run goes on
//! (`every_failure_is_recorded_and_the_run_goes_on`, `cargo test -- --ignored` on one).

use std::collections::BTreeMap;
use std::process::Command;

/// The hostile binary: `ARCHBENCH_HOSTILE` (the device check carries it), else cargo's.
fn exe() -> String {
    std::env::var("ARCHBENCH_HOSTILE")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_archbench-hostile").to_string())
}

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(exe())
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("the hostile suite runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn declaration_errors_are_listed_per_case() {
    let (code, out, err) = run(&["--list"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("hostile/what=ok: bench\n"), "{out}");
    assert!(
        out.contains("hostile/what=zero-work: bench   [error: buffer `x` is empty (0 bytes): these axis values make no work"),
        "{out}"
    );
    assert!(
        out.contains("hostile/what=no-check: bench   [error: the case has no correctness check"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 11, "{out}");
}

/// With no usable GPU (none visible), the plan is printed and the exit status is 0: a CI
/// machine without a GPU is not a failure.
#[test]
fn without_a_gpu_the_plan_is_printed() {
    for args in [&["--bench", "--quick"][..], &[][..]] {
        let (code, out, err) = run(args, &[("CUDA_VISIBLE_DEVICES", "")]);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        assert!(out.contains("plan: 1 variant(s) × 1 kernel(s)"), "{out}");
        assert!(out.contains("torch:8.0+PTX"), "{out}");
        assert!(out.contains("nothing ran"), "{out}");
    }
}

#[test]
fn bad_arguments_are_usage_errors() {
    let (code, _, err) = run(&["--samples", "0"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--samples must be at least 1"), "{err}");
    let (code, _, err) = run(&["--no-such-flag"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown option `--no-such-flag`"), "{err}");
}

#[test]
#[ignore = "needs a CUDA GPU"]
fn every_failure_is_recorded_and_the_run_goes_on() {
    // `ARCHBENCH_HOSTILE_OUT` keeps the results file (the device check brings it back).
    let dir = std::env::temp_dir().join(format!("archbench-hostile-{}", std::process::id()));
    let path = std::env::var_os("ARCHBENCH_HOSTILE_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.join("run.jsonl"));
    let p = path.to_string_lossy().into_owned();
    let (code, out, err) = run(&["--bench", "--quick", "--watchdog", "5", "--out", &p], &[]);
    assert_eq!(code, 1, "a failed run exits 1: {out}{err}");
    let run = archbench::results::read::read_run(&path).expect("the results file is complete");
    let by_case: BTreeMap<String, (String, String)> = run
        .cases
        .iter()
        .map(|c| {
            (
                c.case.trim_start_matches("what=").to_string(),
                (
                    c.outcome().as_str().to_string(),
                    c.error.clone().unwrap_or_default(),
                ),
            )
        })
        .collect();
    let expect = |case: &str, status: &str, text: &str| {
        let (s, e) = by_case
            .get(case)
            .unwrap_or_else(|| panic!("no result for {case}: {by_case:?}"));
        assert_eq!(s, status, "{case}: {e}");
        assert!(e.contains(text), "{case}: `{e}` lacks `{text}`");
    };
    expect("ok", "ok", "");
    expect("wrong-result", "failed", "");
    expect(
        "missing-entry",
        "error",
        "`no_such_kernel` is not in the loaded image",
    );
    expect("bad-args", "error", "argument 3 is 8 bytes");
    expect(
        "reference-panics",
        "error",
        "the CPU reference panicked: a bug in the reference",
    );
    expect("fault", "error", "");
    expect("after-fault", "ok", "");
    expect("hang", "timeout", "");
    expect("after-hang", "ok", "");
    expect("zero-work", "error", "make no work");
    expect("no-check", "error", "no correctness check");
    assert_eq!(by_case.len(), 11);
    let _ = std::fs::remove_dir_all(&dir);
}
