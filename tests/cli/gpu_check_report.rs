//! The device check's reports, run without a GPU: `archbench report` with the side files
//! (`--torch`, `--ncu`/`--kernels`, `--vendor`, `--device-info`) on the SYNTHETIC fixtures in
//! `tests/fixtures/gpu-check/synthetic/` (expected numbers in its README) and on the committed
//! H100 device check (whose markdown the retired `report.py` wrote: the same figures must
//! come out), and the parts of `scripts/gpu-check/torch_side.py` that need no torch (`--help`,
//! case shapes from `archbench kernels --json`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/gpu-check/synthetic").join(name)
}

fn script(name: &str) -> PathBuf {
    root().join("scripts/gpu-check").join(name)
}

fn python(args: &[&std::ffi::OsStr]) -> Output {
    Command::new("python3")
        .args(args)
        // No __pycache__ next to the scripts in the work tree.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(root())
        .output()
        .expect("python3 must be on PATH for these tests (archbench needs it for toolchains)")
}

fn archbench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_archbench"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The table row of `report` that starts with `prefix` (e.g. `| softmax | f32 4096x4096 |`).
fn row<'a>(report: &'a str, prefix: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no row starting with {prefix:?} in:\n{report}"))
}

/// `archbench report RESULTS --format md` plus `flags` (flag, path); returns the markdown
/// and stderr.
fn report(results: &Path, flags: &[(&str, PathBuf)]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let mut cmd = archbench();
    cmd.arg("report")
        .arg(results)
        .arg("--format")
        .arg("md")
        .arg("--out")
        .arg(&out);
    for (flag, path) in flags {
        cmd.arg(flag).arg(path);
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "archbench report failed ({}):\nstdout:\n{}\nstderr:\n{}",
        o.status,
        text(&o.stdout),
        text(&o.stderr)
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    (md, text(&o.stderr))
}

/// The synthetic run plus `inputs` (flag, fixture name); returns the markdown.
fn report_with(inputs: &[(&str, &str)]) -> String {
    let flags: Vec<(&str, PathBuf)> = inputs.iter().map(|(f, n)| (*f, fixture(n))).collect();
    report(&fixture("run.jsonl"), &flags).0
}

/// The synthetic run with every synthetic side file plus a device-info file; returns the
/// markdown and stderr.
fn synthetic_report() -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let info = dir.path().join("nvidia-smi.txt");
    std::fs::write(
        &info,
        "GPU 0: SYNTHETIC GPU (UUID: GPU-synthetic)\nfence inside: ```\n",
    )
    .unwrap();
    report(
        &fixture("run.jsonl"),
        &[
            ("--torch", fixture("torch.json")),
            ("--ncu", fixture("ncu.csv")),
            ("--kernels", fixture("kernels.json")),
            ("--device-info", info),
        ],
    )
}

#[test]
fn report_header_names_the_device_and_the_run() {
    let (md, _) = synthetic_report();
    assert!(
        md.starts_with("# archbench GPU check: SYNTHETIC GPU\n"),
        "{md}"
    );
    assert!(
        md.contains("Measured by `scripts/gpu-check.sh` on SYNTHETIC GPU; numbers are medians of cold (L2-flushed) samples."),
        "{md}"
    );
    // The run's own line (the per-GPU section's) carries the device, driver and ceilings.
    assert!(md.contains("Capability 9.0"), "{md}");
    assert!(md.contains("driver CUDA 13.0 (0.0.0-synthetic)"), "{md}");
    assert!(md.contains("archbench 0.1.0-synthetic"), "{md}");
    assert!(md.contains("started 2025-01-01T00:00:00Z"), "{md}");
    assert!(md.contains("cold mode"), "{md}");
    assert!(
        md.contains("ceilings: copy 3000 GB/s, bf16 GEMM 700 TFLOP/s"),
        "{md}"
    );
}

#[test]
fn report_compares_archbench_with_pytorch() {
    let (md, _) = synthetic_report();
    // softmax: torch 120 µs; best passing variant sm_90 at 100 µs (pkgsCuda 104 µs, sm_75
    // refused): 120 / 100 = 1.20×. GB/s from archbench's 134217728 bytes.
    let r = row(&md, "| softmax | f32 4096x4096 | `torch");
    for want in [
        "`torch.softmax(x, -1)`",
        "| 120 µs (n=50) |",
        "| 100 µs (pkgsForCudaArch.sm_90) |",
        "| 104 µs |",
        "| 1.20× |",
        "| 1118 | 1342 |",
    ] {
        assert!(r.contains(want), "{want:?} not in {r}");
    }
    // layer_norm: 450 / 410.04 = 1.097.
    assert!(
        row(&md, "| layer_norm | f32 16384x4096 | `torch").contains("| 1.10× |"),
        "{md}"
    );
    // gemm: best is sm_90a (230 µs) not sm_90 (300 µs); 210 / 230 = 0.91×; TFLOP/s shown.
    let g = row(&md, "| gemm | bf16 4096x4096x4096 | `a @");
    for want in ["230 µs (pkgsForCudaArch.sm_90a)", "| 0.91× |", "654 / 598"] {
        assert!(g.contains(want), "{want:?} not in {g}");
    }
    assert!(
        row(&md, "| softmax | bf16 4096x4096 |").contains("not run by archbench"),
        "{md}"
    );
    assert!(
        row(&md, "| resize_bilinear |")
            .contains("torch error: RuntimeError: synthetic failure for the report test"),
        "{md}"
    );
}

#[test]
fn report_compares_archbench_with_ncu() {
    let (md, _) = synthetic_report();
    // ncu: 400..404 µs, median 402 µs; archbench sm_90 410.04 µs: (410.04 - 402) / 402 = +2.0 %.
    let r = row(&md, "| layer_norm_f32 (2048, 1, 1) |");
    for want in [
        "| layer_norm f32 16384x4096 |",
        "| pkgsForCudaArch.sm_90 |",
        "| 410 µs |",
        "| 402 µs (n=5) |",
        "| +2.0 % |",
        "| within 3 % |",
    ] {
        assert!(r.contains(want), "{want:?} not in {r}");
    }
    assert!(md.contains("front-end overhead (~1–2 µs)"), "{md}");
}

/// `--vendor`: vendor_side.cu's library timings next to the matching archbench case, and each
/// memory-bound case against the copy of its own size (synthetic numbers in the README).
#[test]
fn report_compares_archbench_with_vendor_libraries_and_same_size_copies() {
    let md = report_with(&[("--vendor", "vendor.jsonl")]);
    assert!(md.contains("## archbench vs NVIDIA's libraries, and same-size copies"));
    // Not JSON, and JSON that is not an object.
    assert!(md.contains("2 line(s) did not parse"), "{md}");
    assert!(
        md.contains("NPP: skipped (built without -DHAVE_NPP)."),
        "{md}"
    );
    // Library rows matched: never "no entry matches".
    assert!(!md.contains("No entry matches"), "{md}");
    // CUB's histogram has no archbench case in the run: shown, with nothing to compare.
    let r = row(&md, "| histogram_256 | 3840x2160 | `cub_histogram_even`");
    assert!(
        r.contains("| 11.0 µs | — | — |") && r.contains("check ok"),
        "{r}"
    );
    // A library call that failed says why.
    let r = row(
        &md,
        "| sobel_3x3_dx | 3840x2160 | `npp_sobel_vert_3x3_8u16s`",
    );
    assert!(r.contains("SYNTHETIC: NppStatus -1000"), "{r}");
    // softmax f32 4096x4096 moves 134217728 bytes in 100 µs; a 67108864-byte copy takes 50 µs:
    // 50 % of the same-size copy, 1342 GB/s = 45 % of the 3000 GB/s ceiling.
    let r = row(&md, "| softmax | f32 4096x4096 | 134.2 MB |");
    assert!(
        r.contains("| 100 µs (pkgsForCudaArch.sm_90) | 50.0 µs | 50 % | 45 % |"),
        "{r}"
    );
    // Copies whose byte count is junk or out of range are ignored, not fatal; layer_norm's
    // 536903680 bytes have no copy of their size: no row.
    assert!(
        !md.contains("| layer_norm | f32 16384x4096 | 536.9 MB |"),
        "{md}"
    );
}

#[test]
fn report_survives_refused_failed_and_truncated_input() {
    let (md, _) = synthetic_report();
    let refused = row(&md, "- `softmax / f32 4096x4096 / pkgsForCudaArch.sm_75`");
    assert!(
        refused.contains("CUDA_ERROR_NO_BINARY_FOR_GPU")
            && refused.contains("refused as predicted"),
        "{refused}"
    );
    let failed = row(&md, "- `layer_norm / f32 16384x4096 / cmake:75-virtual`");
    assert!(failed.contains("FAILED check: 12 mismatch(es)"), "{failed}");
    // The cut-short last line is dropped (7 complete cases remain) and the missing end
    // record is named.
    assert!(md.contains("7 case(s); no end record"), "{md}");
    // The device info is verbatim, in a fence longer than any backtick run inside it.
    assert!(
        md.contains(
            "````text\nGPU 0: SYNTHETIC GPU (UUID: GPU-synthetic)\nfence inside: ```\n````"
        ),
        "{md}"
    );
}

#[test]
fn report_sections_say_what_is_missing() {
    let md = report_with(&[("--ncu", "ncu.csv")]);
    assert!(
        md.contains("Missing: no PyTorch timings were given (`--torch`)."),
        "{md}"
    );
    assert!(md.contains("without `--kernels KERNELS.json`"), "{md}");
    assert!(
        md.contains("Missing: no device information file was given"),
        "{md}"
    );
    // A side file that is not there turns its section into a line naming it.
    let md = report_with(&[("--torch", "no-such-torch.json")]);
    assert!(
        md.contains("Missing: cannot read") && md.contains("no-such-torch.json"),
        "{md}"
    );
}

#[test]
fn report_missing_results_file_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-run.jsonl");
    let out = dir.path().join("report");
    let o = archbench()
        .arg("report")
        .arg(&missing)
        .arg("--torch")
        .arg(fixture("torch.json"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let stderr = text(&o.stderr);
    assert!(
        stderr.contains(&missing.display().to_string()),
        "the message should name {}: {stderr}",
        missing.display()
    );
    assert!(
        !out.join("report.md").exists(),
        "no report is written without results"
    );
}

/// The committed H100 device check (2026-11-26 18:13 UTC), whose markdown `report.py`
/// wrote from the same files: `archbench report` must find the same best variant and the
/// same torch / best ratio for every PyTorch row, and the same ncu differences.
#[test]
fn report_reproduces_the_committed_h100_device_check() {
    let dir = root().join("results/nvidia-h100-80gb-hbm3");
    let stem = "20261126t181313z-gpu-check";
    let kernels = tempfile::NamedTempFile::new().unwrap();
    let o = archbench().args(["kernels", "--json"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::fs::write(kernels.path(), &o.stdout).unwrap();
    let (md, _) = report(
        &dir.join(format!("{stem}-full.jsonl")),
        &[
            ("--torch", dir.join(format!("{stem}-torch.json"))),
            ("--ncu", dir.join(format!("{stem}-ncu.csv"))),
            ("--kernels", kernels.path().to_path_buf()),
        ],
    );
    let old = std::fs::read_to_string(dir.join(format!("{stem}.md"))).unwrap();
    let cells = |l: &str| -> Vec<String> {
        l.trim()
            .trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().to_string())
            .collect()
    };
    // PyTorch rows: (kernel, case, op) → (best variant, torch / best).
    let torch_rows = |text: &str| -> Vec<(String, String)> {
        text.lines()
            .filter(|l| l.starts_with("| ") && l.contains("| `") && l.matches(" | ").count() == 10)
            .map(|l| {
                let c = cells(l);
                let variant = c[4]
                    .rsplit_once('(')
                    .map_or("", |x| x.1)
                    .trim_end_matches(')');
                (
                    format!("{} {} {}", c[0], c[1], c[2]),
                    format!("{variant} {}", c[6]),
                )
            })
            .collect()
    };
    let (want, got) = (torch_rows(&old), torch_rows(&md));
    assert_eq!(
        want.len(),
        20,
        "the committed report's PyTorch rows: {want:?}"
    );
    assert_eq!(got, want);
    // Nsight Compute rows: entry and case → difference.
    for (entry, diff) in [
        ("layer_norm_f32 (16384, 1, 1)", "+0.7 %"),
        ("gemm_bf16 (16, 32, 1)", "-2.2 %"),
    ] {
        let r = row(&md, &format!("| {entry} |"));
        // A version 2 run recorded no GPU-side or net reading.
        assert!(
            r.contains(&format!("| {diff} | — / — | within 3 % |")),
            "{r}"
        );
        assert!(row(&old, &format!("| {entry} |")).contains(diff));
    }
}

#[test]
fn torch_side_help_works_without_torch() {
    let o = python(&[script("torch_side.py").as_os_str(), "--help".as_ref()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let help = text(&o.stdout);
    for flag in [
        "--kernels",
        "--out",
        "--budget-s",
        "--max-samples",
        "--only",
        "--selftest-cpu",
    ] {
        assert!(help.contains(flag), "{flag} not in --help:\n{help}");
    }
}

/// torch_side.py takes each case's sizes from `archbench kernels --json` (its `shape`
/// object), not from the display label: every case of this binary's suite must give a
/// complete shape, and the numbers must be the case's.
#[test]
fn torch_side_reads_case_shapes_from_the_kernels_list() {
    let kernels = tempfile::NamedTempFile::new().unwrap();
    let o = archbench().args(["kernels", "--json"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::fs::write(kernels.path(), &o.stdout).unwrap();
    let code = format!(
        r#"
import json, sys
sys.path.insert(0, {dir:?})
from torch_side import shape_of, ShapeError, selftest_shapes
for kernel in json.load(open({kernels:?})):
    for case in kernel["cases"]:
        try:
            print(kernel["name"], "|", case["label"], "|", sorted(shape_of(kernel["name"], case).items()))
        except ShapeError as e:
            print("REFUSED", kernel["name"], case["label"], e)
print("selftest_shapes", selftest_shapes())
"#,
        dir = script("").display().to_string(),
        kernels = kernels.path().display().to_string()
    );
    let o = python(&["-c".as_ref(), code.as_ref()]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}\n{}", out, text(&o.stderr));
    for want in [
        "cvt_color_bgr2gray | 3840x2160 | [('h', 2160), ('w', 3840)]",
        "resize_bilinear | 3840x2160 -> 5760x3240 | [('dh', 3240), ('dw', 5760), ('sh', 2160), ('sw', 3840)]",
        "add_gelu | bf16 n=67108864 | [('dtype', 'bf16'), ('n', 67108864)]",
        "softmax | f32 32768x256 | [('cols', 256), ('dtype', 'f32'), ('rows', 32768)]",
        "layer_norm | bf16 16384x4096 | [('cols', 4096), ('dtype', 'bf16'), ('rows', 16384)]",
        "reduce_sum | f32 n=268435456 | [('dtype', 'f32'), ('n', 268435456)]",
        "transpose | f32 8192x8192 | [('cols', 8192), ('dtype', 'f32'), ('rows', 8192)]",
        "gemm | bf16 4096x4096x4096 | [('dtype', 'bf16'), ('k', 4096), ('m', 4096), ('n', 4096)]",
        "sgemm | f32 4096x4096x4096 | [('dtype', 'f32'), ('k', 4096), ('m', 4096), ('n', 4096)]",
        "selftest_shapes []",
    ] {
        assert!(out.contains(want), "{want:?} not in:\n{out}");
    }
    assert!(!out.contains("REFUSED"), "{out}");
}
