//! The predictor's rules as a table: `a`, `f`, PTX JIT, driver too old, nothing fits, and the
//! cases NVIDIA leaves undocumented (ambiguity notes with a labelled best guess).

use archbench_core::spec::{self, SpecContext};
use archbench_core::{Capability, CudaVersion, DriverVersion};
use archbench_inspect::predict::{decide, predict_variant, Candidate, Rule};
use archbench_inspect::ImageKind;

fn images(spec: &str) -> Vec<Candidate> {
    // "sm_80 sm_86 compute_90@9.0"
    spec.split_whitespace()
        .enumerate()
        .map(|(i, w)| {
            let (arch, isa) = match w.split_once('@') {
                Some((a, v)) => {
                    let (x, y) = v.split_once('.').unwrap();
                    (a, Some((x.parse().unwrap(), y.parse().unwrap())))
                }
                None => (w, None),
            };
            let kind = if arch.starts_with("compute_") {
                ImageKind::Ptx
            } else {
                ImageKind::Sass
            };
            Candidate::new(i, kind, Capability::parse_dotless(arch).unwrap(), isa)
        })
        .collect()
}

#[test]
fn rules_table() {
    // (images, gpu, driver, expected image or error code, rule, ambiguous)
    type Row = (
        &'static str,
        &'static str,
        Option<&'static str>,
        &'static str,
        Rule,
        bool,
    );
    let rows: &[Row] = &[
        ("sm_89", "8.9", None, "sm_89", Rule::SassExact, false),
        ("sm_80", "8.6", None, "sm_80", Rule::SassLowerMinor, false),
        (
            "sm_80 sm_86",
            "8.9",
            None,
            "sm_86",
            Rule::SassLowerMinor,
            true,
        ),
        ("sm_86 sm_89", "8.9", None, "sm_89", Rule::SassExact, true),
        ("sm_90 sm_90a", "9.0", None, "sm_90a", Rule::SassExact, true),
        ("sm_90a", "9.0", None, "sm_90a", Rule::SassExact, false),
        ("sm_90a", "10.0", None, "209", Rule::NoBinaryForGpu, false),
        (
            "sm_100a compute_100a@8.8",
            "10.3",
            None,
            "209",
            Rule::NoBinaryForGpu,
            false,
        ),
        ("sm_100f", "10.3", None, "sm_100f", Rule::SassFamily, false),
        ("sm_100f", "10.1", None, "209", Rule::NoBinaryForGpu, false),
        ("sm_120f", "12.1", None, "sm_120f", Rule::SassFamily, false),
        (
            "sm_89 compute_89@8.8",
            "8.9",
            Some("12.0"),
            "sm_89",
            Rule::SassExact,
            false,
        ),
        (
            "sm_80 compute_80@9.0",
            "9.0",
            Some("580.65.06"),
            "compute_80",
            Rule::PtxJit,
            false,
        ),
        (
            "sm_80 compute_80@9.0",
            "9.0",
            Some("575.51.03"),
            "222",
            Rule::PtxTooNewForDriver,
            false,
        ),
        (
            "sm_80 compute_80@9.0",
            "9.0",
            Some("12.9"),
            "222",
            Rule::PtxTooNewForDriver,
            false,
        ),
        (
            "compute_75@8.5 compute_90@9.0",
            "12.0",
            Some("12.6"),
            "compute_75",
            Rule::PtxJit,
            false,
        ),
        (
            "compute_75@8.5 compute_90@9.0",
            "12.0",
            None,
            "compute_90",
            Rule::PtxJit,
            true,
        ),
        (
            "compute_90@9.0",
            "8.9",
            None,
            "209",
            Rule::NoBinaryForGpu,
            false,
        ),
        ("", "8.9", None, "209", Rule::NoBinaryForGpu, false),
        (
            "sm_75 sm_80",
            "9.0",
            None,
            "209",
            Rule::NoBinaryForGpu,
            false,
        ),
    ];
    for (imgs, gpu, driver, want, rule, ambiguous) in rows {
        let gpu: Capability = gpu.parse().unwrap();
        let driver: Option<DriverVersion> = driver.map(|d| d.parse().unwrap());
        let v = decide(&images(imgs), gpu, driver);
        let got = match (&v.image, &v.error) {
            (Some(i), _) => i.name.clone(),
            (None, Some(e)) => e.code.to_string(),
            _ => unreachable!(),
        };
        let ctx = format!("{imgs} on {gpu} driver {driver:?}: {v:#?}");
        assert_eq!(got, *want, "{ctx}");
        assert_eq!(v.rule, *rule, "{ctx}");
        assert_eq!(v.ambiguity.is_some(), *ambiguous, "{ctx}");
        assert_eq!(v.best_guess, *ambiguous, "{ctx}");
        assert!(!v.reason.is_empty());
    }
}

#[test]
fn variants_predicted_from_specs() {
    let ctx = SpecContext {
        default_cuda: CudaVersion::new(13, 0),
    };
    let v = |s: &str| spec::parse(s, &ctx).remove(0).variant.unwrap();
    let gpu = |s: &str| s.parse::<Capability>().unwrap();
    // Forward compat from 13.0: PTX ISA 9.0 needs a 580 driver.
    let fc = v("{ cudaSupport = true; cudaCapabilities = [ \"8.0\" ]; cudaForwardCompat = true; }");
    let p = predict_variant(&fc, gpu("9.0"), Some("575.51.03".parse().unwrap()));
    assert_eq!(p.modules[0].verdict.rule, Rule::PtxTooNewForDriver);
    let p = predict_variant(&fc, gpu("9.0"), Some("580.65.06".parse().unwrap()));
    assert_eq!(p.modules[0].verdict.rule, Rule::PtxJit);
    let p = predict_variant(&v("pkgsForCudaArch.sm_89"), gpu("9.0"), None);
    assert_eq!(p.modules[0].verdict.rule, Rule::NoBinaryForGpu);
    assert!(!p.all_load());
    let p = predict_variant(&v("torch:8.0;8.6"), gpu("8.9"), None);
    assert!(p.modules[0].verdict.ambiguity.is_some());
}
