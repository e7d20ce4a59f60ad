//! The CLI contract: exit codes, JSON shape, exact flag output.

use std::process::Command;

use crate::common::archbench;

#[test]
fn validate_exit_codes() {
    let (rc, out, _) = archbench(&["validate", "--cuda", "12.6", "pkgsForCudaArch.sm_100"]);
    assert_eq!(rc, 1);
    assert!(
        out.contains("CUDA ≥ 12.8")
            && out.contains("pkgsForCudaArch.sm_100.cudaPackages_12_8.pkgs"),
        "{out}"
    );
    let (rc, _, _) = archbench(&[
        "validate",
        "--cuda",
        "12.8",
        "pkgsForCudaArch.sm_100",
        "pkgsCuda",
    ]);
    assert_eq!(rc, 0);
    // Warnings alone keep it valid.
    let (rc, out, _) = archbench(&[
        "validate",
        "--cuda",
        "13.0",
        r#"{ cudaSupport = true; cudaCapabilities = [ "9.0a" ]; }"#,
    ]);
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("arch-specific-forward-compat"));
    let (rc, _, err) = archbench(&["validate"]);
    assert_eq!(rc, 2, "{err}");
    let (rc, _, _) = archbench(&["validate", "--cuda", "twelve", "pkgsCuda"]);
    assert_eq!(rc, 2);
}

#[test]
fn validate_json_shape() {
    let (rc, out, _) = archbench(&[
        "validate",
        "--json",
        "--cuda",
        "13.0",
        "pkgsForCudaArch.sm_89.opencv",
        "pkgsForCudaArch.sm_8x",
    ]);
    assert_eq!(rc, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0]["spec"], "pkgsForCudaArch.sm_89.opencv");
    assert_eq!(a[0]["valid"], true);
    assert_eq!(a[0]["variant"]["cuda"], "13.0");
    assert_eq!(a[0]["variant"]["capabilities"], serde_json::json!(["8.9"]));
    assert_eq!(a[0]["variant"]["forward_compat"], false);
    assert_eq!(a[0]["variant"]["package"], "opencv");
    assert_eq!(a[1]["valid"], false);
    assert!(a[1]["variant"].is_null());
    let d = &a[1]["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "parse-error");
    assert!(d["message"].as_str().unwrap().contains("column 17"));
}

#[test]
fn flags_are_exact() {
    let (rc, out, _) = archbench(&[
        "flags",
        "--cuda",
        "12.8",
        r#"{ cudaSupport = true; cudaCapabilities = [ "7.5" "8.6" ]; }"#,
    ]);
    assert_eq!(rc, 0);
    assert_eq!(out, "-gencode=arch=compute_75,code=sm_75\n-gencode=arch=compute_86,code=sm_86\n-gencode=arch=compute_86,code=compute_86\n");
    let (_, out, _) = archbench(&[
        "flags",
        "--cuda",
        "12.8",
        "--format",
        "cmake-nixpkgs",
        "pkgsCuda",
    ]);
    assert_eq!(out, "75;80;86;89;90;100;120\n");
    let (_, out, _) = archbench(&[
        "flags",
        "--cuda",
        "12.8",
        "--format",
        "cmake",
        "pkgsForCudaArch.sm_90a",
    ]);
    assert_eq!(out, "90a-real\n");
    let (_, out, _) = archbench(&[
        "flags",
        "--cuda",
        "12.8",
        "--format",
        "torch",
        "cmake:80-real;86",
    ]);
    assert_eq!(out, "8.0;8.6+PTX\n");
    let (_, out, _) = archbench(&[
        "flags",
        "--cuda",
        "12.8",
        "--format",
        "opencv",
        "torch:8.0;8.6+PTX",
    ]);
    assert_eq!(out, "CUDA_ARCH_BIN=8.0;8.6\nCUDA_ARCH_PTX=8.6\n");
    let (rc, out, err) = archbench(&["flags", "--cuda", "12.6", "pkgsForCudaArch.sm_100"]);
    assert_eq!(rc, 1);
    assert!(
        out.is_empty() && err.contains("capability-too-new"),
        "{err}"
    );
}

#[test]
fn capabilities_table() {
    let (rc, out, _) = archbench(&["capabilities", "--cuda", "12.9", "--json"]);
    assert_eq!(rc, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["release"]["ptx_isa"], "8.8");
    let rows = v["capabilities"].as_array().unwrap();
    let defaults: Vec<&str> = rows
        .iter()
        .filter(|r| r["default"] == true)
        .map(|r| r["capability"].as_str().unwrap())
        .collect();
    assert_eq!(
        defaults,
        ["7.5", "8.0", "8.6", "8.9", "9.0", "10.0", "10.3", "12.0", "12.1"]
    );
    let (rc, out, _) = archbench(&["capabilities", "--cuda", "13.0"]);
    assert_eq!(rc, 0);
    assert!(
        out.lines()
            .nth(1)
            .unwrap_or("")
            .starts_with("CUDA 13.0: PTX ISA 9.0, driver ≥ 580.65.06"),
        "{out}"
    );
}

#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::io::{BufRead, BufReader};
    // 4000 results (≈ 400 KB) overflow any pipe buffer, so writes after the reader is gone fail.
    let mut child = Command::new(env!("CARGO_BIN_EXE_archbench"))
        .args(["validate", "--cuda", "13.0"])
        .args(std::iter::repeat_n("pkgsCuda", 4000))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here: the rest of the table goes to a closed pipe.
    let out = child.wait_with_output().unwrap();
    assert!(first.starts_with("rules: Nixpkgs master"), "{first}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101));
}

/// `--nixpkgs` and `--system` on every spec command: the rules are stated, Jetson variants
/// get flags wherever the chosen rules accept them, and the default is the newest rule set.
#[test]
fn rule_sets_and_systems() {
    let (rc, out, _) = archbench(&[
        "validate",
        "--cuda",
        "13.0",
        "--system",
        "x86_64-linux",
        "pkgsForCudaArch.sm_87",
    ]);
    assert_eq!(rc, 0, "{out}");
    assert!(
        out.starts_with(
            "rules: Nixpkgs master (cudaConfig.nix @ 1ac181a172c7), system x86_64-linux\n"
        ),
        "{out}"
    );
    let (rc, out, _) = archbench(&[
        "validate",
        "--nixpkgs",
        "nixos-26.05",
        "--system",
        "x86_64-linux",
        "--cuda",
        "13.0",
        "pkgsForCudaArch.sm_87",
    ]);
    assert_eq!(rc, 1);
    assert!(
        out.contains("require hostPlatform (x86_64-linux) to be aarch64-linux"),
        "{out}"
    );
    let (rc, out, _) = archbench(&[
        "validate",
        "--json",
        "--nixpkgs",
        "nixos-26.05",
        "--system",
        "aarch64-linux",
        "--cuda",
        "13.0",
        "pkgsForCudaArch.sm_87",
    ]);
    assert_eq!(rc, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["nixpkgs"], "nixos-26.05");
    assert_eq!(v[0]["system"], "aarch64-linux");
    // flags follows the same rules: printed whenever they accept the variant.
    for spec in [
        "pkgsForCudaArch.sm_110",
        r#"{ cudaSupport = true; cudaCapabilities = [ "8.7" "8.9" ]; }"#,
    ] {
        let (rc, out, err) =
            archbench(&["flags", "--cuda", "13.0", "--system", "x86_64-linux", spec]);
        assert_eq!(rc, 0, "{spec}: {err}");
        assert!(out.starts_with("-gencode=arch=compute_"), "{out}");
    }
    let (rc, out, err) = archbench(&[
        "flags",
        "--nixpkgs",
        "nixos-26.05",
        "--system",
        "x86_64-linux",
        "--cuda",
        "13.0",
        "pkgsForCudaArch.sm_110",
    ]);
    assert_eq!(rc, 1);
    assert!(out.is_empty() && err.contains("nixos-26.05"), "{err}");
    let (_, out, _) = archbench(&[
        "flags",
        "--nixpkgs",
        "nixos-26.05",
        "--system",
        "aarch64-linux",
        "--cuda",
        "13.0",
        "pkgsForCudaArch.sm_110",
    ]);
    assert_eq!(out, "-gencode=arch=compute_110,code=sm_110\n");
    let (rc, _, err) = archbench(&["flags", "--nixpkgs", "24.05", "pkgsCuda"]);
    assert_eq!(rc, 2);
    assert!(err.contains("known: nixos-26.05, master"), "{err}");
    let (rc, _, err) = archbench(&["validate", "--system", "aarch64", "pkgsCuda"]);
    assert_eq!(rc, 2);
    assert!(err.contains("x86_64-linux or aarch64-linux"), "{err}");
    let (rc, out, _) = archbench(&[
        "capabilities",
        "--cuda",
        "13.0",
        "--nixpkgs",
        "nixos-26.05",
        "--system",
        "x86_64-linux",
        "--json",
    ]);
    assert_eq!(rc, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let row = v["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["capability"] == "11.0")
        .unwrap();
    assert_eq!(row["usable_on_system"], false);
    assert_eq!(v["nixpkgs"], "nixos-26.05");
}

/// `pkgsCuda` over a user's config keeps its capabilities, as variants.nix does.
#[test]
fn config_under_variants() {
    let (rc, out, err) = archbench(&[
        "flags",
        "--cuda",
        "13.0",
        "--config",
        r#"{ cudaCapabilities = [ "8.6" ]; cudaForwardCompat = false; }"#,
        "pkgsCuda",
    ]);
    assert_eq!(rc, 0, "{err}");
    assert_eq!(out, "-gencode=arch=compute_86,code=sm_86\n");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cfg.nix");
    std::fs::write(&f, r#"{ cudaCapabilities = [ "8.9" ]; }"#).unwrap();
    let (_, out, _) = archbench(&[
        "flags",
        "--cuda",
        "13.0",
        "--config",
        f.to_str().unwrap(),
        "pkgsForCudaArch.sm_90",
    ]);
    assert_eq!(out, "-gencode=arch=compute_90,code=sm_90\n");
    let (rc, _, err) = archbench(&[
        "validate",
        "--config",
        "{ cudaCapabilities = 8; }",
        "pkgsCuda",
    ]);
    assert_ne!(rc, 0);
    assert!(err.contains("must be a list"), "{err}");
    let (rc, out, _) = archbench(&[
        "validate",
        "--cuda",
        "13.0",
        "pkgsForCudaArch.sm_999",
        "pkgsCuda.cudaPackages_13_5.pkgs",
    ]);
    assert_eq!(rc, 1);
    assert!(
        out.contains("`sm_999` is not an attribute of `pkgsForCudaArch`")
            && out.contains("`pkgsForCudaArch.sm_121`"),
        "{out}"
    );
    assert!(
        out.contains("`cudaPackages_13_5` is not a package set of Nixpkgs"),
        "{out}"
    );
}
