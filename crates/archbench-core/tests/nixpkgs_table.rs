//! A table of variant specs with what each Nixpkgs revision makes of them, written by hand
//! from reading Nixpkgs' own code (not computed by archbench): the SASS and PTX lists
//! (hence the exact `-gencode` flags and Nixpkgs' CMake string) and which assertions fail,
//! under `nixos-26.05` (`backendStdenv/default.nix` @ 0cdfaf4c) and `master`
//! (`cudaConfig.nix` @ 1ac181a1). Every case names the file and lines it follows:
//!
//! - `cuda.nix` = `pkgs/development/cuda-modules/_cuda/db/bootstrap/cuda.nix` @ 55d5788b
//!   (`cudaCapabilityToInfo`: min/max CUDA, `dontDefaultAfter…`, `isJetson`);
//! - `bs` = `backendStdenv/default.nix` @ 0cdfaf4c: forward compat L80, capabilities L90-L100,
//!   unrecognized/too old/too new L131-L160, Jetson host L161-L166, pre-Thor mixing L167-L175,
//!   redist systems L176-L187;
//! - `cc` = `cudaConfig.nix` @ 1ac181a1: forward compat L37, capabilities L47-L57, pre-SBSA
//!   threshold L71-L72, unrecognized/too old/too new L75-L104, mixing L105-L113;
//! - `redist` = `_cuda/lib/redist.nix` (`getRedistSystem` @ 3f99d36b, `_getJetsonMinSbsaCapability`
//!   @ 1dbbce67);
//! - `variants` = `pkgs/top-level/variants.nix` @ c1d241a1 (`pkgsCuda`, `pkgsForCudaArch`);
//! - `flags`: `_cuda/lib` `formatCapabilities` — one `-gencode=arch=compute_X,code=sm_X` per
//!   capability in order, then `-gencode=arch=compute_L,code=compute_L` for the last one L when
//!   forward compat is on; CMake string = dot-less capabilities joined by `;`.

use archbench_core::nixpkgs::{self, RuleSet};
use archbench_core::spec::{self, Config, SpecContext};
use archbench_core::validate::{validate, ValidateOptions};
use archbench_core::{flags, CudaVersion, Diagnostic};

const X86: &str = "x86_64-linux";
const ARM: &str = "aarch64-linux";

/// One case: the spec (over `config` when given), the CUDA version of specs that do not pick
/// one, the system, the expected SASS and PTX (dot-less, space-separated; `-` = no variant),
/// the failing assertion codes under `nixos-26.05` and under `master`, and what it follows.
struct Case {
    spec: &'static str,
    config: Option<&'static str>,
    cuda: &'static str,
    system: &'static str,
    sass: &'static str,
    ptx: &'static str,
    old: &'static [&'static str],
    new: &'static [&'static str],
    follows: &'static str,
}

#[allow(clippy::too_many_arguments)]
const fn c(
    spec: &'static str,
    config: Option<&'static str>,
    cuda: &'static str,
    system: &'static str,
    sass: &'static str,
    ptx: &'static str,
    old: &'static [&'static str],
    new: &'static [&'static str],
    follows: &'static str,
) -> Case {
    Case {
        spec,
        config,
        cuda,
        system,
        sass,
        ptx,
        old,
        new,
        follows,
    }
}

const OK: &[&str] = &[];
const HOST: &[&str] = &["jetson-needs-aarch64", "jetson-redist-system"];
const DEF_11_8: &str = "60 61 70 75 80 86 89 90";
const DEF_12_0: &str = "60 61 70 75 80 86 89 90";
const DEF_12_4: &str = "70 75 80 86 89 90";
const DEF_12_6: &str = "75 80 86 89 90";
const DEF_12_8: &str = "75 80 86 89 90 100 120";
const DEF_12_9: &str = "75 80 86 89 90 100 103 120 121";

const CASES: &[Case] = &[
    // Defaults per CUDA version: supported, not past `dontDefaultAfter…`, not Jetson/a/f
    // (cuda.nix; bs L90-L100, cc L47-L57); forward compat on, PTX = last (bs L80, cc L37).
    c("pkgsCuda", None, "11.8", X86, DEF_11_8, "90", OK, OK, "cuda.nix 6.x default to 12.3, 7.0 to 12.5, 3.x/5.x to 11.0; 9.0 from 11.8"),
    c("pkgsCuda", None, "12.0", X86, DEF_12_0, "90", OK, OK, "cuda.nix defaults"),
    c("pkgsCuda", None, "12.1", X86, DEF_12_0, "90", OK, OK, "cuda.nix defaults"),
    c("pkgsCuda", None, "12.2", X86, DEF_12_0, "90", OK, OK, "cuda.nix defaults"),
    c("pkgsCuda", None, "12.3", X86, DEF_12_0, "90", OK, OK, "cuda.nix: 6.0/6.1 dontDefaultAfter 12.3 (inclusive)"),
    c("pkgsCuda", None, "12.4", X86, DEF_12_4, "90", OK, OK, "cuda.nix: Pascal leaves the defaults after 12.3"),
    c("pkgsCuda", None, "12.5", X86, DEF_12_4, "90", OK, OK, "cuda.nix: 7.0 dontDefaultAfter 12.5"),
    c("pkgsCuda", None, "12.6", X86, DEF_12_6, "90", OK, OK, "cuda.nix defaults"),
    c("pkgsCuda", None, "12.8", X86, DEF_12_8, "120", OK, OK, "cuda.nix: 10.0 from 12.7, 12.0 from 12.8; 10.1 is Jetson"),
    c("pkgsCuda", None, "12.9", X86, DEF_12_9, "121", OK, OK, "cuda.nix: 10.3, 12.1 from 12.9"),
    c("pkgsCuda", None, "13.0", X86, DEF_12_9, "121", OK, OK, "cuda.nix: 11.0 is Jetson"),
    c("pkgsCuda", None, "13.1", X86, DEF_12_9, "121", OK, OK, "cuda.nix defaults"),
    c("pkgsCuda", None, "13.2", X86, DEF_12_9, "121", OK, OK, "cuda.nix defaults"),
    c("pkgsCuda", None, "13.3", X86, DEF_12_9, "121", OK, OK, "cuda.nix defaults"),
    c("pkgsCuda", None, "13.4", X86, DEF_12_9, "121", OK, OK, "cuda.nix defaults"),
    c("pkgsCuda", None, "13.5", X86, DEF_12_9, "121", OK, OK, "cuda.nix defaults"),
    // `cudaPackages_X_Y.pkgs` picks the release, the config stays (variants, cuda-packages.nix).
    c("pkgsCuda.cudaPackages_12_6.pkgs", None, "13.0", X86, DEF_12_6, "90", OK, OK, "cuda-packages.nix cudaPackages_12_6"),
    c("pkgsCuda.cudaPackages_12_8.pkgs", None, "13.0", X86, DEF_12_8, "120", OK, OK, "cuda-packages.nix cudaPackages_12_8"),
    c("pkgsCuda.cudaPackages_12_9.pkgs", None, "13.0", X86, DEF_12_9, "121", OK, OK, "cuda-packages.nix cudaPackages_12_9"),
    c("pkgsCuda.cudaPackages_13_0.pkgs", None, "12.6", X86, DEF_12_9, "121", OK, OK, "cuda-packages.nix cudaPackages_13_0"),
    c("pkgsCuda.cudaPackages_13_1.pkgs", None, "12.6", X86, DEF_12_9, "121", OK, OK, "cuda-packages.nix cudaPackages_13_1"),
    c("pkgsCuda.cudaPackages_13_2.pkgs", None, "12.6", X86, DEF_12_9, "121", OK, OK, "cuda-packages.nix cudaPackages_13_2"),
    c("pkgsCuda.cudaPackages_13_3.pkgs", None, "12.6", X86, DEF_12_9, "121", OK, OK, "cuda-packages.nix cudaPackages_13_3"),
    c("pkgsCuda.cudaPackages_13_4.pkgs", None, "12.6", X86, DEF_12_9, "121", OK, OK, "cuda-packages.nix cudaPackages_13_4"),
    // pkgsForCudaArch.sm_X: [X], cudaForwardCompat = false (variants).
    c("pkgsForCudaArch.sm_75", None, "13.0", X86, "75", "", OK, OK, "variants pkgsForCudaArch; cuda.nix 7.5 10.0+"),
    c("pkgsForCudaArch.sm_80", None, "13.0", X86, "80", "", OK, OK, "variants; cuda.nix 8.0 11.2+"),
    c("pkgsForCudaArch.sm_86", None, "13.0", X86, "86", "", OK, OK, "variants; cuda.nix 8.6 11.2+"),
    c("pkgsForCudaArch.sm_89", None, "13.0", X86, "89", "", OK, OK, "variants; cuda.nix 8.9 11.8+"),
    c("pkgsForCudaArch.sm_90", None, "13.0", X86, "90", "", OK, OK, "variants; cuda.nix 9.0 11.8+"),
    c("pkgsForCudaArch.sm_90a", None, "13.0", X86, "90a", "", OK, OK, "variants; cuda.nix 9.0a 12.0+"),
    c("pkgsForCudaArch.sm_100", None, "13.0", X86, "100", "", OK, OK, "variants; cuda.nix 10.0 12.7+"),
    c("pkgsForCudaArch.sm_100a", None, "13.0", X86, "100a", "", OK, OK, "variants; cuda.nix 10.0a 12.7+"),
    c("pkgsForCudaArch.sm_100f", None, "13.0", X86, "100f", "", OK, OK, "variants; cuda.nix 10.0f 12.9+"),
    c("pkgsForCudaArch.sm_103f", None, "13.0", X86, "103f", "", OK, OK, "variants; cuda.nix 10.3f 12.9+"),
    c("pkgsForCudaArch.sm_120", None, "13.0", X86, "120", "", OK, OK, "variants; cuda.nix 12.0 12.8+"),
    c("pkgsForCudaArch.sm_120a", None, "13.0", X86, "120a", "", OK, OK, "variants; cuda.nix 12.0a 12.8+"),
    c("pkgsForCudaArch.sm_121f", None, "13.0", X86, "121f", "", OK, OK, "variants; cuda.nix 12.1f 12.9+"),
    c("pkgsForCudaArch.sm_100f", None, "12.9", X86, "100f", "", OK, OK, "cuda.nix 10.0f 12.9+"),
    c("pkgsForCudaArch.sm_101", None, "12.9", X86, "101", "", HOST, OK, "bs L161-L166 + L183-L187 (post-Thor needs linux-sbsa, x86_64 gives linux-x86_64); cc has neither"),
    // Too old: maxCudaMajorMinorVersion < CUDA (bs L134-L141, cc L78-L85).
    c("pkgsForCudaArch.sm_70", None, "13.0", X86, "70", "", &["capability-too-old"], &["capability-too-old"], "cuda.nix 7.0 max 12.9"),
    c("pkgsForCudaArch.sm_60", None, "13.0", X86, "60", "", &["capability-too-old"], &["capability-too-old"], "cuda.nix 6.0 max 12.9"),
    c("pkgsForCudaArch.sm_35", None, "12.0", X86, "35", "", &["capability-too-old"], &["capability-too-old"], "cuda.nix 3.5 max 11.8"),
    c("pkgsForCudaArch.sm_72", None, "12.3", ARM, "72", "", &["capability-too-old"], &["capability-too-old"], "cuda.nix 7.2 max 12.2; alone on aarch64 the Jetson rules pass"),
    // Too new: CUDA < minCudaMajorMinorVersion (bs L144-L146, cc L88-L90).
    c("pkgsForCudaArch.sm_100", None, "12.6", X86, "100", "", &["capability-too-new"], &["capability-too-new"], "cuda.nix 10.0 min 12.7"),
    c("pkgsForCudaArch.sm_120", None, "12.6", X86, "120", "", &["capability-too-new"], &["capability-too-new"], "cuda.nix 12.0 min 12.8"),
    c("pkgsForCudaArch.sm_103", None, "12.8", X86, "103", "", &["capability-too-new"], &["capability-too-new"], "cuda.nix 10.3 min 12.9"),
    c("pkgsForCudaArch.sm_110", None, "12.9", X86, "110", "", &["capability-too-new", "jetson-needs-aarch64", "jetson-redist-system"], &["capability-too-new"], "cuda.nix 11.0 min 13.0; bs host + post-Thor redist"),
    c("pkgsForCudaArch.sm_90a", None, "11.8", X86, "90a", "", &["capability-too-new"], &["capability-too-new"], "cuda.nix 9.0a min 12.0"),
    // Forward compat on/off; the PTX is the LAST capability, not the highest.
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "7.5" "8.6" ]; }"#, None, "12.8", X86, "75 86", "86", OK, OK, "Nixpkgs' own formatCapabilities test vector; bs L80 / cc L37 default true"),
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "7.5" "8.6" ]; cudaForwardCompat = false; }"#, None, "12.8", X86, "75 86", "", OK, OK, "bs L80 / cc L37"),
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "10.0a" "8.9" ]; }"#, None, "12.8", X86, "100a 89", "89", OK, OK, "flags: last capability"),
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "8.9" "10.0a" ]; }"#, None, "12.8", X86, "89 100a", "100a", OK, OK, "flags: last capability even when a (no Nixpkgs check)"),
    // Unsorted and repeated lists are used as given (bs L96-L98, cc L54-L55).
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "9.0" "8.0" ]; }"#, None, "13.0", X86, "90 80", "80", OK, OK, "capabilities as given"),
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "8.9" "8.9" ]; }"#, None, "13.0", X86, "89 89", "89", OK, OK, "capabilities as given, repeats kept"),
    // Jetson on both systems.
    c("pkgsForCudaArch.sm_87", None, "13.0", X86, "87", "", HOST, OK, "bs L161-L166, L176-L182 (pre-Thor needs linux-aarch64); cc: no host check"),
    c("pkgsForCudaArch.sm_87", None, "13.0", ARM, "87", "", OK, OK, "redist: 8.7 < 10.1 → linux-aarch64, as bs wants"),
    c("pkgsForCudaArch.sm_110", None, "13.0", X86, "110", "", HOST, OK, "bs host + post-Thor redist; cc none"),
    c("pkgsForCudaArch.sm_110", None, "13.0", ARM, "110", "", OK, OK, "redist: every Jetson ≥ 10.1 → linux-sbsa"),
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "8.7" "8.9" ]; }"#, None, "13.0", ARM, "87 89", "89", &["jetson-mixed"], OK, "bs L167-L175 threshold 10.1; cc L71-L72 threshold 8.7 from 13.0"),
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "8.7" "8.9" ]; }"#, None, "12.6", ARM, "87 89", "89", &["jetson-mixed"], &["jetson-mixed"], "cc: threshold 10.1 before 13.0"),
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "8.7" "11.0" ]; }"#, None, "13.0", ARM, "87 110", "110", &["jetson-mixed", "jetson-redist-system"], OK, "bs: redist linux-aarch64 fails post-Thor 11.0; cc: both SBSA"),
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "7.2" ]; }"#, None, "12.2", ARM, "72", "72", OK, OK, "cuda.nix 7.2 max 12.2"),
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "7.2" "8.7" ]; }"#, None, "12.2", ARM, "72 87", "87", OK, OK, "all pre-Thor: preThor == cudaCapabilities"),
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "10.1f" ]; }"#, None, "12.9", X86, "101f", "101f", HOST, OK, "bs host + post-Thor redist"),
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "10.1" ]; }"#, None, "12.9", ARM, "101", "101", OK, OK, "redist linux-sbsa"),
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "7.2" "8.7" ]; }"#, None, "13.0", ARM, "72 87", "87", &["capability-too-old"], &["capability-too-old", "jetson-mixed"], "cc: 7.2 < 8.7 is pre-SBSA, 8.7 is not, so they are mixed"),
    // Package tails.
    c("pkgsForCudaArch.sm_89.opencv", None, "13.0", X86, "89", "", OK, OK, "variants; the tail is a package"),
    c("pkgsForCudaArch.sm_100.cudaPackages_12_8.pkgs.python3Packages.torch", None, "12.6", X86, "100", "", OK, OK, "variants then cudaPackages_12_8"),
    c("pkgsCuda.cudaPackages_12_8.cuda_nvcc", None, "13.0", X86, DEF_12_8, "120", OK, OK, "a package of cudaPackages_12_8"),
    // pkgsCuda / pkgsForCudaArch on top of a user's config (variants: super.config // { … }).
    c("pkgsCuda", Some(r#"{ cudaCapabilities = [ "8.6" ]; }"#), "13.0", X86, "86", "86", OK, OK, "variants pkgsCuda keeps cudaCapabilities"),
    c("pkgsCuda", Some(r#"{ cudaCapabilities = [ "8.6" ]; cudaForwardCompat = false; }"#), "13.0", X86, "86", "", OK, OK, "variants pkgsCuda keeps cudaForwardCompat"),
    c("pkgsCuda", Some("{ cudaForwardCompat = false; }"), "12.6", X86, DEF_12_6, "", OK, OK, "defaults, forward compat off"),
    c("pkgsForCudaArch.sm_90", Some(r#"{ cudaCapabilities = [ "8.6" ]; }"#), "13.0", X86, "90", "", OK, OK, "variants pkgsForCudaArch overrides cudaCapabilities"),
    c("pkgsCuda", Some(r#"{ cudaCapabilities = [ "8.7" ]; }"#), "13.0", X86, "87", "87", HOST, OK, "a Jetson config through pkgsCuda"),
    c("pkgsCuda", Some(r#"{ cudaSupport = false; cudaCapabilities = [ "8.6" ]; }"#), "13.0", X86, "86", "86", OK, OK, "pkgsCuda sets cudaSupport = true"),
    // Chains: each variant applies to the config of the one before.
    c("pkgsForCudaArch.sm_89.pkgsCuda", None, "13.0", X86, "89", "", OK, OK, "pkgsCuda keeps [8.9] and forward compat off"),
    c("pkgsCuda.pkgsForCudaArch.sm_90a", None, "13.0", X86, "90a", "", OK, OK, "pkgsForCudaArch overrides"),
    // Releases: 12.7 never shipped, 13.6 is not out.
    c("pkgsCuda", None, "12.7", X86, "75 80 86 89 90 100", "100", &["unknown-cuda-version"], &["unknown-cuda-version"], "archbench's release table"),
    c("pkgsCuda", None, "13.6", X86, DEF_12_9, "121", &["unknown-cuda-version"], &["unknown-cuda-version"], "archbench's release table"),
    // Nixpkgs evaluates this and emits both; nvcc refuses (archbench is stricter, basis nvcc).
    c(r#"{ cudaSupport = true; cudaCapabilities = [ "10.0" "10.0f" ]; }"#, None, "13.0", X86, "100 100f", "100f", &["plain-and-family-sass"], &["plain-and-family-sass"], "no Nixpkgs assertion; nvcc 13.0 error"),
    // Package sets are Nixpkgs' own: 12.6 … 13.4 (cuda-packages.nix); 13.5 has none yet.
    c("pkgsCuda.cudaPackages_13_5.pkgs", None, "13.0", X86, "-", "", &["unknown-cuda-version"], &["unknown-cuda-version"], "cuda-packages.nix: no cudaPackages_13_5"),
    c("pkgsCuda.cudaPackages_12_7.pkgs", None, "13.0", X86, "-", "", &["unknown-cuda-version"], &["unknown-cuda-version"], "cuda-packages.nix: no cudaPackages_12_7"),
    // Attribute names come from the table (variants: lib.attrNames cudaCapabilityToInfo).
    c("pkgsForCudaArch.sm_999", None, "13.0", X86, "-", "", &["parse-error"], &["parse-error"], "variants: no such attribute"),
    c("pkgsForCudaArch.sm_88", None, "13.0", X86, "-", "", &["parse-error"], &["parse-error"], "cuda.nix: 8.8 is commented out"),
];

fn expected_gencode(sass: &str, ptx: &str) -> Vec<String> {
    let mut g: Vec<String> = sass
        .split_whitespace()
        .map(|x| format!("-gencode=arch=compute_{x},code=sm_{x}"))
        .collect();
    g.extend(
        ptx.split_whitespace()
            .map(|x| format!("-gencode=arch=compute_{x},code=compute_{x}")),
    );
    g
}

fn errors(d: &[Diagnostic]) -> Vec<String> {
    let mut e: Vec<String> = d
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.to_string())
        .collect();
    e.sort();
    e.dedup();
    e
}

fn run(case: &Case, rules: &'static RuleSet) -> Result<(), String> {
    let ctx = SpecContext {
        default_cuda: case.cuda.parse::<CudaVersion>().unwrap(),
    };
    let base = match case.config {
        Some(c) => spec::read_config(c).map_err(|d| d.to_string())?.0,
        None => Config::default(),
    };
    let mut entries = spec::parse_with(case.spec, &ctx, &base);
    let entry = entries.remove(0);
    let opts = ValidateOptions {
        driver: None,
        system: case.system.into(),
        nixpkgs: rules,
    };
    let mut diags = entry.diagnostics.clone();
    if let Some(v) = &entry.variant {
        diags.extend(validate(v, &opts));
        let got = flags::gencode(v);
        let want = expected_gencode(case.sass, case.ptx);
        if got != want {
            return Err(format!("gencode {got:?}, expected {want:?}"));
        }
        let cmake: Vec<&str> = case.sass.split_whitespace().collect();
        if flags::cmake_nixpkgs(v) != cmake.join(";") {
            return Err(format!(
                "cmake {}, expected {}",
                flags::cmake_nixpkgs(v),
                cmake.join(";")
            ));
        }
    } else if case.sass != "-" {
        return Err(format!("no variant: {diags:?}"));
    }
    let want: &[&str] = if rules.name == "master" {
        case.new
    } else {
        case.old
    };
    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    want.sort();
    let got = errors(&diags);
    if got != want {
        return Err(format!("errors {got:?}, expected {want:?}: {diags:#?}"));
    }
    Ok(())
}

#[test]
fn every_case_under_both_rule_sets() {
    assert!(CASES.len() >= 60, "{} cases", CASES.len());
    let mut failures = Vec::new();
    for rules in nixpkgs::RULE_SETS {
        for case in CASES {
            if let Err(e) = run(case, rules) {
                failures.push(format!(
                    "[{}] {} (config {:?}, CUDA {}, {}; follows {}): {e}",
                    rules.name, case.spec, case.config, case.cuda, case.system, case.follows
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Nixpkgs' assertion messages, per revision, quoted verbatim.
#[test]
fn messages_are_each_revisions_own() {
    let ctx = SpecContext {
        default_cuda: CudaVersion::new(13, 0),
    };
    let v = spec::parse(
        r#"{ cudaSupport = true; cudaCapabilities = [ "8.7" "8.9" ]; }"#,
        &ctx,
    )
    .remove(0)
    .variant
    .unwrap();
    let msg = |rules: &'static RuleSet, system: &str| -> Vec<String> {
        let opts = ValidateOptions {
            driver: None,
            system: system.into(),
            nixpkgs: rules,
        };
        validate(&v, &opts).into_iter().map(|d| d.message).collect()
    };
    assert_eq!(
        msg(&nixpkgs::NIXOS_26_05, ARM),
        [
            r#"Requested pre-Thor (10.1) Jetson CUDA capabilities (["8.7"]) cannot be specified with other capabilities (["8.9"])"#
        ]
    );
    assert_eq!(
        msg(&nixpkgs::NIXOS_26_05, X86),
        [
            r#"Requested Jetson CUDA capabilities (["8.7"]) require hostPlatform (x86_64-linux) to be aarch64-linux"#,
            r#"Requested pre-Thor (10.1) Jetson CUDA capabilities (["8.7"]) cannot be specified with other capabilities (["8.9"])"#,
            r#"Requested pre-Thor (10.1) Jetson CUDA capabilities (["8.7"]) require computed NVIDIA hostRedistSystem (linux-x86_64) to be linux-aarch64"#,
        ]
    );
    assert!(msg(&nixpkgs::MASTER, X86).is_empty());
    let ctx = SpecContext {
        default_cuda: CudaVersion::new(12, 6),
    };
    let v = spec::parse(
        r#"{ cudaSupport = true; cudaCapabilities = [ "8.7" "8.9" ]; }"#,
        &ctx,
    )
    .remove(0)
    .variant
    .unwrap();
    let opts = ValidateOptions {
        driver: None,
        system: X86.into(),
        nixpkgs: &nixpkgs::MASTER,
    };
    let m: Vec<String> = validate(&v, &opts).into_iter().map(|d| d.message).collect();
    assert_eq!(
        m,
        [
            r#"Requested pre-SBSA (10.1) Jetson CUDA capabilities (["8.7"]) cannot be specified with other capabilities (["8.9"])"#
        ]
    );
}

/// `pkgsForCudaArch.sm_999` is a missing attribute: the error says so and names real ones.
#[test]
fn missing_attributes_name_the_nearest_real_ones() {
    let ctx = SpecContext {
        default_cuda: CudaVersion::new(13, 0),
    };
    let e = spec::parse("pkgsForCudaArch.sm_999", &ctx).remove(0);
    let d = &e.diagnostics[0];
    assert!(
        d.message
            .contains("`sm_999` is not an attribute of `pkgsForCudaArch`"),
        "{}",
        d.message
    );
    let help = d.help.as_deref().unwrap();
    assert!(help.contains("`pkgsForCudaArch.sm_121`"), "{help}");
    let e = spec::parse("pkgsForCudaArch.sm_88", &ctx).remove(0);
    let help = e.diagnostics[0].help.as_deref().unwrap();
    assert!(
        help.contains("`pkgsForCudaArch.sm_87`") && help.contains("cmake:88-real"),
        "{help}"
    );
}
