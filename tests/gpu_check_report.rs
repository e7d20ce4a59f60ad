//! The Python half of the prepared GPU device check, run without a GPU:
//! `scripts/gpu-check/report.py` on the SYNTHETIC fixtures in
//! `tests/fixtures/gpu-check/synthetic/` (expected numbers in its README), and the parts of
//! `scripts/gpu-check/torch_side.py` that need no torch (`--help`, label parsing).

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

/// Runs report.py on the synthetic `run.jsonl` plus `inputs` (flag, fixture name); returns the
/// markdown.
fn report_with(inputs: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.md");
    let mut args = vec![
        script("report.py").into_os_string(),
        "--results".into(),
        fixture("run.jsonl").into_os_string(),
    ];
    for (flag, name) in inputs {
        args.push(flag.into());
        args.push(fixture(name).into_os_string());
    }
    args.push("--out".into());
    args.push(out.clone().into_os_string());
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let o = python(&refs);
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::fs::read_to_string(&out).unwrap()
}

/// Runs report.py on every synthetic fixture plus a device-info file; returns the markdown
/// and report.py's stderr.
fn synthetic_report() -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let info = dir.path().join("nvidia-smi.txt");
    std::fs::write(
        &info,
        "GPU 0: SYNTHETIC GPU (UUID: GPU-synthetic)\nfence inside: ```\n",
    )
    .unwrap();
    let out = dir.path().join("report.md");
    let o = python(&[
        script("report.py").as_os_str(),
        "--results".as_ref(),
        fixture("run.jsonl").as_os_str(),
        "--torch".as_ref(),
        fixture("torch.json").as_os_str(),
        "--ncu".as_ref(),
        fixture("ncu.csv").as_os_str(),
        "--kernels".as_ref(),
        fixture("kernels.json").as_os_str(),
        "--device-info".as_ref(),
        info.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(
        o.status.success(),
        "report.py failed ({}):\nstdout:\n{}\nstderr:\n{}",
        o.status,
        text(&o.stdout),
        text(&o.stderr)
    );
    let md = std::fs::read_to_string(&out).unwrap();
    (md, text(&o.stderr))
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
    assert!(md.contains("capability 9.0"), "{md}");
    assert!(md.contains("driver: 0.0.0-synthetic (CUDA 13.0)"), "{md}");
    assert!(md.contains("archbench 0.1.0-synthetic"), "{md}");
    assert!(md.contains("run started 2025-01-01T00:00:00Z"), "{md}");
    assert!(md.contains("mode: cold"), "{md}");
    assert!(
        md.contains("copy 3000 GB/s, cuBLAS bf16 GEMM 700 TFLOP/s"),
        "{md}"
    );
}

#[test]
fn report_compares_archbench_with_pytorch() {
    let (md, _) = synthetic_report();
    // softmax: torch 120 µs; best passing variant sm_90 at 100 µs (pkgsCuda 104 µs, sm_75
    // refused): 120 / 100 = 1.20×. GB/s from archbench's 134217728 bytes.
    let r = row(&md, "| softmax | f32 4096x4096 |");
    for want in [
        "`torch.softmax(x, -1)`",
        "| 120.0 µs (n=50) |",
        "| 100.0 µs (pkgsForCudaArch.sm_90) |",
        "| 104.0 µs |",
        "| 1.20× |",
        "| 1118 | 1342 |",
    ] {
        assert!(r.contains(want), "{want:?} not in {r}");
    }
    // layer_norm: 450 / 410.04 = 1.097.
    assert!(
        row(&md, "| layer_norm | f32 16384x4096 |").contains("| 1.10× |"),
        "{md}"
    );
    // gemm: best is sm_90a (230 µs) not sm_90 (300 µs); 210 / 230 = 0.91×; TFLOP/s shown.
    let g = row(&md, "| gemm | bf16 4096x4096x4096 |");
    for want in [
        "230.0 µs (pkgsForCudaArch.sm_90a)",
        "| 0.91× |",
        "654 / 598",
    ] {
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
        "| 410.0 µs |",
        "| 402.0 µs (n=5) |",
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
        r.contains("| 100.0 µs (pkgsForCudaArch.sm_90) | 50.0 µs | 50 % | 45 % |"),
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
    let (md, stderr) = synthetic_report();
    let refused = row(&md, "| pkgsForCudaArch.sm_75 | softmax | f32 4096x4096 |");
    assert!(refused.contains("| refused |"), "{refused}");
    assert!(
        refused.contains("CUDA_ERROR_NO_BINARY_FOR_GPU"),
        "{refused}"
    );
    let failed = row(&md, "| cmake:75-virtual | layer_norm | f32 16384x4096 |");
    assert!(failed.contains("| failed |"), "{failed}");
    assert!(failed.contains("max \\|err\\| inf"), "{failed}");
    // The cut-short last line is dropped with a warning (7 complete cases remain).
    assert!(
        stderr.contains("run.jsonl:9: ignoring the last line"),
        "{stderr}"
    );
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
}

#[test]
fn report_missing_results_file_exits_1_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-run.jsonl");
    let out = dir.path().join("report.md");
    let o = python(&[
        script("report.py").as_os_str(),
        "--results".as_ref(),
        missing.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let stderr = text(&o.stderr);
    assert!(
        stderr.contains(&missing.display().to_string()),
        "the message should name {}: {stderr}",
        missing.display()
    );
    assert!(!out.exists(), "no report is written without results");
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

#[test]
fn torch_side_parses_case_labels() {
    let code = format!(
        r#"
import sys
sys.path.insert(0, {dir:?})
from torch_side import parse_case, LabelError, selftest_labels
cases = [
    ("cvt_color_bgr2gray", "3840x2160"),
    ("resize_bilinear", "3840x2160 -> 5760x3240"),
    ("resize_bilinear", "254x146 -> 127x73"),
    ("add_gelu", "bf16 n=1048579"),
    ("softmax", "f32 32768x256"),
    ("layer_norm", "bf16 16384x4096"),
    ("reduce_sum", "f32 n=268435456"),
    ("transpose", "f32 300x200"),
    ("gemm", "bf16 4096x4096x4096"),
    ("sgemm", "f32 256x256x256"),
]
for kernel, label in cases:
    print(kernel, "|", label, "|", sorted(parse_case(kernel, label).items()))
for kernel, label in [("softmax", "f64 4x4"), ("gemm", "bf16 4x4"), ("copy", "f32 64MiB")]:
    try:
        parse_case(kernel, label)
        print("ACCEPTED", kernel, label)
    except LabelError as e:
        print("rejected", kernel, "|", label)
print("selftest_labels", selftest_labels())
"#,
        dir = script("").display().to_string()
    );
    let o = python(&["-c".as_ref(), code.as_ref()]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}\n{}", out, text(&o.stderr));
    for want in [
        "cvt_color_bgr2gray | 3840x2160 | [('h', 2160), ('w', 3840)]",
        "resize_bilinear | 3840x2160 -> 5760x3240 | [('dh', 3240), ('dw', 5760), ('sh', 2160), ('sw', 3840)]",
        "resize_bilinear | 254x146 -> 127x73 | [('dh', 73), ('dw', 127), ('sh', 146), ('sw', 254)]",
        "add_gelu | bf16 n=1048579 | [('dtype', 'bf16'), ('n', 1048579)]",
        "softmax | f32 32768x256 | [('cols', 256), ('dtype', 'f32'), ('rows', 32768)]",
        "layer_norm | bf16 16384x4096 | [('cols', 4096), ('dtype', 'bf16'), ('rows', 16384)]",
        "reduce_sum | f32 n=268435456 | [('dtype', 'f32'), ('n', 268435456)]",
        "transpose | f32 300x200 | [('cols', 200), ('dtype', 'f32'), ('rows', 300)]",
        "gemm | bf16 4096x4096x4096 | [('dtype', 'bf16'), ('k', 4096), ('m', 4096), ('n', 4096)]",
        "sgemm | f32 256x256x256 | [('dtype', 'f32'), ('k', 256), ('m', 256), ('n', 256)]",
        "rejected softmax | f64 4x4",
        "rejected gemm | bf16 4x4",
        "rejected copy | f32 64MiB",
        "selftest_labels []",
    ] {
        assert!(out.contains(want), "{want:?} not in:\n{out}");
    }
    assert!(!out.contains("ACCEPTED"), "{out}");
}
