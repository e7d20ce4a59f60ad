//! Every diagnostic code is reached by at least one input, and the issue's headline cases
//! give the promised messages.

use std::collections::HashSet;

use archbench_core::spec::{self, SpecContext};
use archbench_core::validate::{validate, ValidateOptions};
use archbench_core::{nixpkgs, Code, CudaVersion, Diagnostic};

fn diags(spec_text: &str, cuda: (u16, u16), driver: Option<&str>) -> Vec<Diagnostic> {
    let ctx = SpecContext {
        default_cuda: CudaVersion::new(cuda.0, cuda.1),
    };
    // Both rule sets: a code only one of them reaches (the host check is `nixos-26.05`'s)
    // still counts.
    let mut out = Vec::new();
    for rules in nixpkgs::RULE_SETS {
        let opts = ValidateOptions {
            driver: driver.map(|d| d.parse().unwrap()),
            system: "x86_64-linux".into(),
            nixpkgs: rules,
        };
        for e in spec::parse(spec_text, &ctx) {
            for d in e.diagnostics.iter().cloned() {
                if !out.contains(&d) {
                    out.push(d);
                }
            }
            if let Some(v) = &e.variant {
                for d in validate(v, &opts) {
                    if !out.contains(&d) {
                        out.push(d);
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_code_is_reachable() {
    let dir = std::env::temp_dir().join(format!("archbench-codes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.toml");
    type Case<'a> = (&'a str, (u16, u16), Option<&'a str>, Code);
    let cases: &[Case] = &[
        ("pkgsForCudaArch.sm_8x", (13, 0), None, Code::ParseError),
        (missing.to_str().unwrap(), (13, 0), None, Code::FileError),
        (
            r#"{ cudaSupport = true; cudaCapabilities = [ "9.9" ]; }"#,
            (13, 0),
            None,
            Code::UnknownCapability,
        ),
        (
            "pkgsForCudaArch.sm_70",
            (13, 0),
            None,
            Code::CapabilityTooOld,
        ),
        (
            "pkgsForCudaArch.sm_100",
            (12, 6),
            None,
            Code::CapabilityTooNew,
        ),
        ("pkgsCuda", (12, 7), None, Code::UnknownCudaVersion),
        (
            "pkgsForCudaArch.sm_87",
            (13, 0),
            None,
            Code::JetsonNeedsAarch64,
        ),
        (
            r#"{ cudaSupport = true; cudaCapabilities = [ "8.7" "8.9" ]; }"#,
            (13, 0),
            None,
            Code::JetsonMixed,
        ),
        (
            "pkgsForCudaArch.sm_110",
            (13, 0),
            None,
            Code::JetsonRedistSystem,
        ),
        ("cmake:;", (13, 0), None, Code::EmptyCapabilities),
        (
            r#"{ cudaSupport = true; cudaCapabilities = [ "8.9" "8.9" ]; }"#,
            (13, 0),
            None,
            Code::DuplicateCapability,
        ),
        (
            r#"{ cudaSupport = true; cudaCapabilities = [ "9.0a" ]; }"#,
            (13, 0),
            None,
            Code::ArchSpecificForwardCompat,
        ),
        (
            "pkgsCuda",
            (13, 0),
            Some("575.51.03"),
            Code::PtxTooNewForDriver,
        ),
        (
            "{ cudaSupport = false; }",
            (13, 0),
            None,
            Code::CudaSupportDisabled,
        ),
        (
            "{ cudaSupport = true; cudaSuport = true; }",
            (13, 0),
            None,
            Code::UnknownConfigAttribute,
        ),
        ("torch:10.0f", (13, 0), None, Code::TorchUnknownArch),
        ("cmake:native", (13, 0), None, Code::CmakeNativeNeedsGpu),
        (
            r#"{ cudaSupport = true; cudaCapabilities = [ "12.0" "12.0f" ]; }"#,
            (13, 0),
            None,
            Code::PlainAndFamilySass,
        ),
    ];
    let mut reached = HashSet::new();
    for (s, cuda, drv, code) in cases {
        let d = diags(s, *cuda, *drv);
        assert!(
            d.iter().any(|d| d.code == *code),
            "{s}: expected {code}, got {d:#?}"
        );
        reached.insert(*code);
    }
    for c in Code::ALL {
        assert!(reached.contains(c), "no test reaches {c}");
    }
}

#[test]
fn sm_100_with_cuda_12_6_names_the_fix() {
    let d = diags("pkgsForCudaArch.sm_100", (12, 6), None);
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].message,
        r#"Requested CUDA capabilities which are too new for CUDA 12.6: ["10.0"]"#
    );
    let help = d[0].help.as_deref().unwrap();
    assert!(help.contains("CUDA ≥ 12.8"), "{help}");
    assert!(
        help.contains("`pkgsForCudaArch.sm_100.cudaPackages_12_8.pkgs`"),
        "{help}"
    );
    // The package tail survives in the fix.
    let d = diags("pkgsForCudaArch.sm_100.opencv", (12, 6), None);
    assert!(d[0]
        .help
        .as_deref()
        .unwrap()
        .contains("`pkgsForCudaArch.sm_100.cudaPackages_12_8.pkgs.opencv`"));
    // And the fixed spec is valid.
    assert!(diags(
        "pkgsForCudaArch.sm_100.cudaPackages_12_8.pkgs",
        (12, 6),
        None
    )
    .is_empty());
}

#[test]
fn too_old_names_the_last_supporting_set() {
    let d = diags("pkgsForCudaArch.sm_70", (13, 0), None);
    let help = d[0].help.as_deref().unwrap();
    assert!(
        help.contains("10.0 to 12.9") && help.contains("cudaPackages_12_9.pkgs"),
        "{help}"
    );
}

#[test]
fn valid_specs_have_no_errors() {
    for s in [
        "pkgsCuda",
        "pkgsForCudaArch.sm_90a",
        "pkgsForCudaArch.sm_89.python3Packages.torch",
        "torch:Ampere;Hopper",
        "cmake:all-major",
        "cmake:89-real;90a-real;90-virtual",
    ] {
        let d = diags(s, (13, 0), Some("580.65.06"));
        assert!(d.iter().all(|d| !d.is_error()), "{s}: {d:#?}");
    }
    // Jetson on aarch64 is fine.
    let ctx = SpecContext {
        default_cuda: CudaVersion::new(13, 0),
    };
    let v = spec::parse("pkgsForCudaArch.sm_87", &ctx)
        .remove(0)
        .variant
        .unwrap();
    for rules in nixpkgs::RULE_SETS {
        let opts = ValidateOptions {
            driver: None,
            system: "aarch64-linux".into(),
            nixpkgs: rules,
        };
        assert!(validate(&v, &opts).is_empty(), "{}", rules.name);
    }
}
