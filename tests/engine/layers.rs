//! The layering rules of the design (docs/architecture.md), checked on the source: each is a
//! pattern that must not occur under a folder. A rule that names no existing file fails too,
//! so a move cannot switch a rule off silently.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Lines under `dirs` (relative to the workspace root) that contain any of `needles`.
fn offenders(dirs: &[&str], needles: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    for d in dirs {
        let before = files.len();
        rust_files(&root().join(d), &mut files);
        assert!(
            files.len() > before,
            "no Rust file under {d}: update this rule"
        );
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            if needles.iter().any(|n| line.contains(n)) {
                out.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    out
}

#[test]
fn the_gpu_layer_launches_what_it_is_given() {
    let o = offenders(
        &["crates/archbench/src/gpu"],
        &[
            "crate::suite",
            "crate::embedded",
            "crate::check",
            "crate::fill",
            "crate::results",
            "crate::run",
            "crate::measure",
            "crate::workload",
            "crate::bench",
        ],
    );
    assert!(o.is_empty(), "{o:#?}");
}

#[test]
fn the_engine_runs_any_suite_handed_to_it() {
    let o = offenders(
        &["crates/archbench/src/run", "crates/archbench/src/measure"],
        &[
            "crate::suite",
            "crate::embedded",
            "crate::bench",
            "archbench_cli",
        ],
    );
    assert!(o.is_empty(), "{o:#?}");
}

#[test]
fn the_library_knows_no_built_in_kernel_and_core_crates_no_gpu() {
    // The library a user's crate depends on: no built-in suite, no fleet, no command line.
    let o = offenders(
        &["crates/archbench/src"],
        &["archbench_cli", "mod fleet", "clap::", "mod embedded"],
    );
    assert!(o.is_empty(), "{o:#?}");
    let lib = std::fs::read_to_string(root().join("crates/archbench/src/lib.rs")).unwrap();
    assert!(
        !lib.contains("mod suite"),
        "the library declares a suite module"
    );
    let o = offenders(
        &[
            "crates/archbench-core/src",
            "crates/archbench-inspect/src",
            "crates/archbench-build/src",
        ],
        &["cudarc"],
    );
    assert!(o.is_empty(), "{o:#?}");
}

#[test]
fn build_rs_is_a_thin_caller_of_archbench_build() {
    let text = std::fs::read_to_string(root().join("build.rs")).unwrap();
    assert!(
        text.lines().count() <= 40,
        "build.rs has {} lines",
        text.lines().count()
    );
    assert!(text.contains("archbench_build::Kernels"));
}

#[test]
fn a_user_crate_compiles_no_plotters_and_no_built_in_kernels() {
    // The library's plotters dependencies are optional (feature `charts`), and it has no build
    // script: the built-in kernels build only in this package's build.rs.
    let manifest = std::fs::read_to_string(root().join("crates/archbench/Cargo.toml")).unwrap();
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|s| s.split("\n[").next())
        .unwrap();
    for line in deps
        .lines()
        .filter(|l| l.starts_with("plotters") || l.starts_with("ab_glyph"))
    {
        assert!(line.contains("optional = true"), "{line}");
    }
    assert!(!deps.contains("clap"), "the library depends on clap");
    assert!(!root().join("crates/archbench/build.rs").exists());
}
