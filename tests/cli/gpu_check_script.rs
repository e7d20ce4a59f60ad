//! `scripts/gpu-check.sh` without a GPU: `import` of a recorded SYNTHETIC device output
//! folder (built from `tests/fixtures/gpu-check/synthetic/`) files the runs as baselines and
//! writes the comparison report (and brings the A/B step's files along); `verify-pack` accepts
//! a pack that matches its MANIFEST (with or without a base build) and names every file that
//! does not. (`pack` itself runs cargo, so CI runs it in `.ci/run`.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn gpu_check(args: &[&str], env: &[(&str, &Path)]) -> Output {
    Command::new("bash")
        .arg(root().join("scripts/gpu-check.sh"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_os_str())))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("bash")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A folder shaped like `device.sh`'s output, from the SYNTHETIC fixtures.
fn synthetic_device_folder(dir: &Path) -> PathBuf {
    let src = root().join("tests/fixtures/gpu-check/synthetic");
    let out = dir.join("gpu-check");
    std::fs::create_dir_all(&out).unwrap();
    for (from, to) in [
        ("run.jsonl", "full.jsonl"),
        ("torch.json", "torch.json"),
        ("ncu.csv", "ncu.csv"),
        ("kernels.json", "kernels.json"),
    ] {
        std::fs::copy(src.join(from), out.join(to)).unwrap();
    }
    std::fs::write(
        out.join("summary.txt"),
        "[0 s] device: SYNTHETIC GPU (compute capability 9.0)\n",
    )
    .unwrap();
    std::fs::write(out.join("device.txt"), "SYNTHETIC nvidia-smi output\n").unwrap();
    std::fs::write(out.join("ncu-variant.txt"), "pkgsForCudaArch.sm_90\n").unwrap();
    // The A/B step's files (device.sh with a `pack --base` pack).
    for f in ["ab-base1.jsonl", "ab-new1.jsonl"] {
        std::fs::copy(src.join("run.jsonl"), out.join(f)).unwrap();
    }
    std::fs::write(out.join("ab-compare1.txt"), "0 faster, 0 slower, 3 same\n").unwrap();
    out
}

#[test]
fn import_files_baselines_and_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = synthetic_device_folder(tmp.path());
    let results = tmp.path().join("results");
    // As a tarball, the way it comes back from the GPU machine.
    let tarball = tmp.path().join("gpu-check.tar.gz");
    let st = Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(tmp.path())
        .arg("gpu-check")
        .status()
        .unwrap();
    assert!(st.success());
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_archbench"));
    let env = [
        ("ARCHBENCH_BIN", bin.as_path()),
        ("ARCHBENCH_RESULTS_DIR", results.as_path()),
    ];
    let o = gpu_check(&["import", tarball.to_str().unwrap()], &env);
    assert!(o.status.success(), "{}", text(&o));
    let dev = results.join("synthetic-gpu");
    let baseline = dev.join("20250101t000000z-gpu-check-full.jsonl");
    assert!(baseline.exists(), "{}", text(&o));
    // The baseline reads back as the run (the torn last line dropped).
    let run = archbench::results::read::read_run(&baseline).unwrap();
    assert_eq!(run.device.name, "SYNTHETIC GPU");
    let report = std::fs::read_to_string(dev.join("20250101t000000z-gpu-check.md")).unwrap();
    assert!(report.contains("SYNTHETIC GPU"), "{report}");
    assert!(report.contains("## archbench vs PyTorch"), "{report}");
    assert!(report.contains("layer_norm_f32 (2048, 1, 1)"), "{report}");
    for f in [
        "torch.json",
        "ncu.csv",
        "summary.txt",
        "ab-base1.jsonl",
        "ab-new1.jsonl",
        "ab-compare1.txt",
    ] {
        assert!(
            dev.join(format!("20250101t000000z-gpu-check-{f}")).exists(),
            "{f}"
        );
    }
    // `archbench baseline list` sees it.
    let o = Command::new(&bin)
        .args(["baseline", "list", "--dir"])
        .arg(&results)
        .output()
        .unwrap();
    assert!(text(&o).contains("gpu-check-full.jsonl"), "{}", text(&o));

    // A folder that is not device.sh's output is refused with the reason.
    std::fs::remove_file(folder.join("summary.txt")).unwrap();
    let o = gpu_check(&["import", folder.to_str().unwrap()], &env);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("not a device.sh output folder"),
        "{}",
        text(&o)
    );
}

#[test]
fn verify_pack_checks_every_file_against_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack");
    std::fs::create_dir_all(&pack).unwrap();
    let files = [
        "archbench",
        "gpu-tests",
        "kernels-bench",
        "example-bench",
        "hostile",
        "hostile-tests",
        "device.sh",
        "torch_side.py",
        "mma_sync_peak.cu",
        "vendor_side.cu",
        "kernels.json",
        "build-info.txt",
    ];
    let mut manifest =
        String::from("# archbench gpu-check pack\ncommit: test\n# file bytes sha256 what\n");
    for (i, f) in files.iter().enumerate() {
        let body = format!("file {i}\n");
        std::fs::write(pack.join(f), &body).unwrap();
        let sum = Command::new("sha256sum")
            .arg(pack.join(f))
            .output()
            .unwrap();
        let sum = String::from_utf8_lossy(&sum.stdout);
        let sum = sum.split_whitespace().next().unwrap();
        manifest.push_str(&format!("{f} {} {sum} what it is\n", body.len()));
    }
    std::fs::write(pack.join("MANIFEST"), &manifest).unwrap();
    let o = gpu_check(&["verify-pack", pack.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("matches its MANIFEST (12 files)"),
        "{}",
        text(&o)
    );

    // `pack --base REV` adds a `base:` line and archbench-base: then that file is required too.
    let with_base = manifest.replacen("commit: test\n", "commit: test\nbase: 0123abcd\n", 1);
    std::fs::write(pack.join("MANIFEST"), &with_base).unwrap();
    let o = gpu_check(&["verify-pack", pack.to_str().unwrap()], &[]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("MANIFEST lists 12 files, a pack has 13"),
        "{}",
        text(&o)
    );
    let body = "base binary\n";
    std::fs::write(pack.join("archbench-base"), body).unwrap();
    let sum = Command::new("sha256sum")
        .arg(pack.join("archbench-base"))
        .output()
        .unwrap();
    let sum = String::from_utf8_lossy(&sum.stdout);
    let sum = sum.split_whitespace().next().unwrap().to_string();
    let line = format!("archbench-base {} {sum} the base build\n", body.len());
    std::fs::write(pack.join("MANIFEST"), with_base.clone() + &line).unwrap();
    let o = gpu_check(&["verify-pack", pack.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("matches its MANIFEST (13 files)"),
        "{}",
        text(&o)
    );
    std::fs::write(pack.join("MANIFEST"), &manifest).unwrap();

    std::fs::write(pack.join("gpu-tests"), "file 9\n").unwrap(); // same size, other bytes
    std::fs::remove_file(pack.join("torch_side.py")).unwrap();
    let o = gpu_check(&["verify-pack", pack.to_str().unwrap()], &[]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(t.contains("hash differs: gpu-tests"), "{t}");
    assert!(t.contains("missing: torch_side.py"), "{t}");

    let o = gpu_check(&["verify-pack", tmp.path().to_str().unwrap()], &[]);
    assert!(!o.status.success());
    assert!(text(&o).contains("has no MANIFEST"), "{}", text(&o));
}
