//! Reports from the SYNTHETIC fixtures: fixture freshness, golden markdown, charts (SVG and
//! PNG), merge of two GPUs, HTML, schema-version checks.

use std::path::{Path, PathBuf};

use archbench::report::charts;
use archbench::report::compare::compare;
use archbench::report::markdown;
use archbench::report::merge::{merge, Merged};
use archbench::report::output::{write, Formats};
use archbench::report::verdict::{Rule, Verdict};
use archbench::results::read::{parse_run, read_run, ReadError};

use crate::gen;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/synthetic")
}

fn bless() -> bool {
    std::env::var_os("ARCHBENCH_BLESS").is_some_and(|v| v == "1")
}

fn load(name: &str) -> archbench::results::schema::RunFile {
    read_run(&fixtures().join(name)).unwrap()
}

fn merged_ab() -> Merged {
    merge(vec![
        (
            "synthetic-gpu-a-new.json".into(),
            load("synthetic-gpu-a-new.json"),
        ),
        ("synthetic-gpu-b.json".into(), load("synthetic-gpu-b.json")),
    ])
}

#[test]
fn fixtures_match_the_generator() {
    for (name, run) in gen::all() {
        let path = fixtures().join(name);
        let want = gen::to_json(&run);
        if bless() {
            std::fs::write(&path, &want).unwrap();
            continue;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is out of date: run ARCHBENCH_BLESS=1 cargo test --test engine report_render",
            path.display()
        );
    }
}

#[test]
fn golden_markdown() {
    let m = merged_ab();
    let cmp = compare(
        &load("synthetic-gpu-a-base.json"),
        &load("synthetic-gpu-a-new.json"),
        &Rule::default(),
    );
    let md = markdown::render(&m, &[cmp], &[]);
    let path = fixtures().join("report.golden.md");
    if bless() {
        std::fs::write(&path, &md).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        md == want,
        "markdown differs from {} (ARCHBENCH_BLESS=1 rewrites it):\n{md}",
        path.display()
    );
}

#[test]
fn comparison_finds_the_planted_changes() {
    let cmp = compare(
        &load("synthetic-gpu-a-base.json"),
        &load("synthetic-gpu-a-new.json"),
        &Rule::default(),
    );
    let find = |k: &str, v: &str| {
        cmp.cases
            .iter()
            .find(|c| c.kernel == k && c.variant == v)
            .unwrap()
    };
    assert_eq!(
        find("copy", "pkgsForCudaArch.sm_80").verdict(),
        Some(Verdict::Slower)
    );
    assert_eq!(
        find("gemm_bf16", "pkgsCuda").verdict(),
        Some(Verdict::Faster)
    );
    let torch = find("gemm_bf16", "torch:8.0;9.0+PTX");
    assert_eq!(torch.verdict(), Some(Verdict::Slower));
    assert!(torch.image_changed);
    assert_eq!(torch.new_image, "PTX JIT compute_80");
    assert_eq!(
        find("copy", "pkgsForCudaArch.sm_90").verdict(),
        Some(Verdict::Same)
    );
    // Only the 8 % slowdown exceeds 5 %.
    let f = cmp.failures(5.0);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].contains("pkgsForCudaArch.sm_80"));
    assert!(cmp.failures(10.0).is_empty());
}

#[test]
fn merge_of_two_gpus() {
    let m = merged_ab();
    assert_eq!(m.gpus.len(), 2);
    assert_eq!(m.gpus[0].label, "SYNTHETIC GPU A");
    assert_eq!(m.gpus[1].label, "SYNTHETIC GPU B");
    assert_eq!(m.kernel_cases.len(), 2);
    assert_eq!(m.variants.len(), gen::VARIANTS.len());
    assert_eq!(m.gpus[1].native_variant(), "pkgsForCudaArch.sm_89");
    // Same device twice: labels are made unique.
    let m2 = merge(vec![
        ("a".into(), load("synthetic-gpu-a-base.json")),
        ("b".into(), load("synthetic-gpu-a-new.json")),
    ]);
    assert_ne!(m2.gpus[0].label, m2.gpus[1].label);
    let md = markdown::render(&m, &[], &[]);
    assert!(md.contains("## SYNTHETIC GPU A") && md.contains("## SYNTHETIC GPU B"));
    assert!(md.contains("vs native: speed relative to `pkgsForCudaArch.sm_89`"));
}

#[test]
fn charts_render_valid_svg_with_series_labels() {
    let m = merged_ab();
    let chart = charts::throughput(&m, "copy", "f32 64MiB").unwrap();
    let svg = chart.to_svg().unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect();
    for want in [
        "SYNTHETIC GPU A (sm 9.0)",
        "SYNTHETIC GPU B (sm 8.9)",
        "pkgsForCudaArch.sm_80",
        "throughput (GB/s, higher is better)",
        "build variant",
    ] {
        assert!(
            texts.iter().any(|t| t == want),
            "no text {want:?} in {texts:?}"
        );
    }
    let rects = doc.descendants().filter(|n| n.has_tag_name("rect")).count();
    // Background + 2 legend swatches + 9 bars (12 − 3 missing).
    assert!(rects >= 12, "{rects} rects");
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[test]
fn charts_render_png_of_the_expected_size() {
    let m = merged_ab();
    let dir = tempfile::tempdir().unwrap();
    for chart in charts::all(&m, &[]) {
        let p = dir.path().join(format!("{}.png", chart.id));
        chart.to_png(&p).unwrap();
        let (w, h) = png_size(&std::fs::read(&p).unwrap());
        assert_eq!((w, h), chart.size(), "{}", chart.id);
        assert!(w >= 500 && h >= 400, "{}: {w}x{h}", chart.id);
    }
}

#[test]
fn canvas_grows_with_bars_and_long_labels_are_truncated() {
    let m = merged_ab();
    let mut chart = charts::throughput(&m, "copy", "f32 64MiB").unwrap();
    let (w0, _) = chart.size();
    for i in 0..30 {
        chart.categories.push(format!(
            "pkgsForCudaArch.sm_90.cudaPackages_12_8.pkgs.extra-long-name-{i}"
        ));
        for s in &mut chart.series {
            s.bars.push(None);
        }
    }
    let (w1, h1) = chart.size();
    assert!(w1 > w0 + 30 * 40, "{w0} → {w1}");
    assert!(h1 < 900, "labels are truncated, height {h1}");
    let svg = chart.to_svg().unwrap();
    assert!(svg.contains('…'));
}

#[test]
fn full_report_directory_with_baseline() {
    let m = merged_ab();
    let cmp = compare(
        &load("synthetic-gpu-a-base.json"),
        &load("synthetic-gpu-a-new.json"),
        &Rule::default(),
    );
    let dir = tempfile::tempdir().unwrap();
    let files = write(
        &m,
        &[cmp],
        dir.path(),
        Formats::parse("md,html,svg,png").unwrap(),
    )
    .unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
        .collect();
    for want in [
        "report.md",
        "report.html",
        "charts/throughput-copy-f32-64mib.png",
        "charts/vs-native-gemm-bf16-bf16-4096-3.svg",
        "charts/roofline-copy-f32-64mib.svg",
        "charts/regression-synthetic-gpu-a.png",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} not in {names:?}");
    }
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("<table>"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "self-contained"
    );
    assert!(!html.contains("<?xml"));
    assert!(Formats::parse("md,pdf").is_err());
}

#[test]
fn newer_schema_is_rejected_by_version() {
    let err = read_run(&fixtures().join("future-schema.json")).unwrap_err();
    assert!(matches!(
        err,
        ReadError::UnsupportedVersion {
            found: 99,
            supported: 3,
            ..
        }
    ));
    let msg = err.to_string();
    assert!(
        msg.contains("future-schema.json") && msg.contains("version 99"),
        "{msg}"
    );
    assert!(
        msg.contains("reads only versions 1 to 3") && msg.contains("newer archbench"),
        "{msg}"
    );
}

#[test]
fn non_results_files_name_path_and_position() {
    let err = read_run(&fixtures().join("not-results.json")).unwrap_err();
    assert!(matches!(err, ReadError::NoVersion { .. }), "{err}");
    assert!(err.to_string().contains("not-results.json"));
    let err = parse_run(
        "{\n  \"schema_version\": 1,\n  \"cases\": oops\n}",
        Path::new("x.json"),
    )
    .unwrap_err();
    match &err {
        ReadError::NotResults { line, column, .. } => assert_eq!((*line, *column), (3, 12)),
        other => panic!("{other}"),
    }
    assert!(
        err.to_string().contains("x.json") && err.to_string().contains("line 3"),
        "{err}"
    );
    // Right version, wrong shape: serde's message with its position.
    let err = parse_run(
        "{\"schema_version\": 1, \"started\": 5}",
        Path::new("y.json"),
    )
    .unwrap_err();
    assert!(
        matches!(err, ReadError::NotResults { line: 1, .. }),
        "{err}"
    );
}
