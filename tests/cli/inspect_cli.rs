//! `archbench inspect` / `archbench predict` end to end on binaries nvcc 13.0 builds from a
//! variant's own gencode flags: listing, JSON, --extract, --expect exit codes, predictions.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::vendor;

use archbench::core::spec::{self, SpecContext};
use archbench::core::{flags, toolchain, CudaVersion};

use crate::common::{archbench, s};

const SPEC: &str =
    r#"{ cudaSupport = true; cudaCapabilities = [ "7.5" "8.9" ]; cudaForwardCompat = true; }"#;

/// A fatbin nvcc 13.0 builds with the flags `SPEC` means (sm_75, sm_89, compute_89).
fn build_fatbin(tag: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("archbench-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("k.cu");
    std::fs::write(
        &src,
        "__global__ void add(float* a, int n) { int i = threadIdx.x; if (i < n) a[i] += 1; }\n",
    )
    .unwrap();
    let nvcc = toolchain::install(CudaVersion::new(13, 0)).expect("CUDA 13.0 nvcc from PyPI");
    let ctx = SpecContext {
        default_cuda: CudaVersion::new(13, 0),
    };
    let v = spec::parse(SPEC, &ctx).remove(0).variant.unwrap();
    let out = dir.join("k.fatbin");
    let st = Command::new(&nvcc.bin)
        .arg("-fatbin")
        .args(flags::gencode(&v))
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    (dir, out)
}

#[test]
fn inspect_lists_extracts_and_checks() {
    let (dir, fb) = build_fatbin("inspect");
    let (rc, out, err) = archbench(&["inspect", s(&fb)]);
    assert_eq!(rc, 0, "{err}");
    // Kernel names demangled for people (`add(float*, int)`), as the binary has them with
    // --mangled and in --json.
    for want in [
        "sm_75",
        "sm_89",
        "compute_89",
        "zstd",
        "add(float*, int)",
        "regs=",
    ] {
        assert!(out.contains(want), "{want} in {out}");
    }
    assert!(!out.contains("_Z3addPfi"), "{out}");
    let (rc, out, _) = archbench(&["inspect", "--mangled", s(&fb)]);
    assert_eq!(rc, 0);
    assert!(
        out.contains("_Z3addPfi") && !out.contains("add(float*, int)"),
        "{out}"
    );
    let (rc, out, _) = archbench(&["inspect", "--json", s(&fb)]);
    assert_eq!(rc, 0);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        out.contains("\"_Z3addPfi\"") && !out.contains("add(float*"),
        "{out}"
    );
    let images = j[0]["images"].as_array().unwrap();
    assert_eq!(images.len(), 3);
    let ptx: Vec<_> = images.iter().filter(|i| i["kind"] == "ptx").collect();
    assert_eq!(ptx.len(), 1, "{out}");
    assert_eq!(ptx[0]["arch"], "8.9");
    assert_eq!(ptx[0]["ptx_isa"], serde_json::json!([9, 0]));
    // --extract writes decompressed images with predictable names that read back.
    let x = dir.join("x");
    let (rc, _, err) = archbench(&["inspect", "--extract", s(&x), s(&fb)]);
    assert_eq!(rc, 0, "{err}");
    for name in ["k.1.sm_75.cubin", "k.2.sm_89.cubin", "k.1.sm_89.ptx"] {
        let p = x.join(name);
        assert!(p.exists(), "{name}");
        let (rc, out, err) = archbench(&["inspect", s(&p)]);
        assert_eq!(rc, 0, "{name}: {err}");
        assert!(out.contains("add(float*, int)"), "{out}");
    }
    // --expect: the same spec matches; other specs and an old driver do not.
    let (rc, out, _) = archbench(&["inspect", s(&fb), "--cuda", "13.0", "--expect", SPEC]);
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("OK: matches"), "{out}");
    let (rc, out, _) = archbench(&[
        "inspect",
        s(&fb),
        "--cuda",
        "13.0",
        "--expect",
        "pkgsForCudaArch.sm_89",
    ]);
    assert_eq!(rc, 1, "{out}");
    assert!(
        out.contains("+ unexpected SASS sm_75") && out.contains("+ unexpected PTX compute_89"),
        "{out}"
    );
    let (rc, out, _) = archbench(&[
        "inspect",
        s(&fb),
        "--cuda",
        "13.0",
        "--expect",
        "torch:7.5;8.9;9.0+PTX",
    ]);
    assert_eq!(rc, 1);
    assert!(
        out.contains("- missing SASS sm_90") && out.contains("- missing PTX compute_90"),
        "{out}"
    );
    let (rc, out, _) = archbench(&[
        "inspect",
        s(&fb),
        "--cuda",
        "13.0",
        "--expect",
        SPEC,
        "--driver",
        "575.51.03",
    ]);
    assert_eq!(rc, 1);
    assert!(out.contains("PTX ISA 9.0"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn predict_binaries_and_specs() {
    let (dir, fb) = build_fatbin("predict");
    let (rc, out, _) = archbench(&["predict", "--gpu", "8.9", s(&fb)]);
    assert_eq!(rc, 0, "{out}");
    assert!(
        out.contains("sm_89 (sass-exact)") && out.contains("add(float*, int)"),
        "{out}"
    );
    let (rc, out, _) = archbench(&["predict", "--gpu", "12.0", "--driver", "580.65.06", s(&fb)]);
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("compute_89 (ptx-jit)"), "{out}");
    let (rc, out, _) = archbench(&["predict", "--gpu", "12.0", "--driver", "12.9", s(&fb)]);
    assert_eq!(rc, 1);
    assert!(out.contains("222"), "{out}");
    // sm_89 does not run on 8.6 and compute_89 PTX cannot JIT down to it.
    let (rc, out, _) = archbench(&["predict", "--gpu", "8.6", "--json", s(&fb)]);
    assert_eq!(rc, 1);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let v = &j[0]["modules"][0]["verdict"];
    assert_eq!(v["rule"], "no-binary-for-gpu", "{out}");
    assert_eq!(v["error"]["code"], 209, "{out}");
    // Specs: nothing fits 9.0 for sm_89 without PTX.
    let (rc, out, _) = archbench(&[
        "predict",
        "--gpu",
        "9.0",
        "--cuda",
        "13.0",
        "pkgsForCudaArch.sm_89",
    ]);
    assert_eq!(rc, 1);
    assert!(out.contains("209"), "{out}");
    let (rc, out, _) = archbench(&["predict", "--gpu", "8.9", "--cuda", "13.0", "torch:8.0;8.6"]);
    assert_eq!(rc, 0);
    assert!(
        out.contains("ambiguity") && out.contains("best guess"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_and_usage() {
    let (rc, _, err) = archbench(&["inspect", "/nonexistent/x.cubin"]);
    assert_eq!(rc, 1);
    assert!(err.contains("cannot read"), "{err}");
    let junk = std::env::temp_dir().join(format!("archbench-junk-{}", std::process::id()));
    std::fs::write(&junk, b"not a cuda binary").unwrap();
    let (rc, _, err) = archbench(&["inspect", s(&junk)]);
    assert_eq!(rc, 1);
    assert!(
        err.contains("not a CUDA binary") && err.contains("help:"),
        "{err}"
    );
    let (rc, _, _) = archbench(&["predict", "--gpu", "8.9", s(&junk)]);
    assert_eq!(rc, 1);
    let _ = std::fs::remove_file(&junk);
    let (rc, _, _) = archbench(&["predict", "pkgsCuda"]);
    assert_eq!(rc, 2, "missing --gpu is a usage error");
    let (rc, _, _) = archbench(&["inspect"]);
    assert_eq!(rc, 2);
    let (rc, _, err) = archbench(&["predict", "--gpu", "8.9", "not-a-spec-or-file"]);
    assert_eq!(rc, 1, "{err}");
}

/// Runs `archbench inspect --extract` and `tool -all -xelf all -xptx all` on `lib`, asserts the
/// same file names (numbering included) and bytes, and returns the directory and the names.
fn extract_like(tool: &Path, lib: &Path, tag: &str) -> (PathBuf, Vec<String>) {
    let dir = std::env::temp_dir().join(format!("archbench-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (ours, theirs) = (dir.join("ours"), dir.join("theirs"));
    std::fs::create_dir_all(&theirs).unwrap();
    let (rc, _, err) = archbench(&["inspect", "--extract", s(&ours), s(lib)]);
    assert_eq!(rc, 0, "{err}");
    assert_eq!(err.lines().count(), 1, "one summary line: {err}");
    vendor::run(
        Command::new(tool)
            .current_dir(&theirs)
            .args(["-all", "-xelf", "all", "-xptx", "all"])
            .arg(lib),
    );
    let names = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let theirs_names = names(&theirs);
    assert!(theirs_names.len() > 40, "{theirs_names:?}");
    assert_eq!(names(&ours), theirs_names);
    for n in &theirs_names {
        assert!(
            std::fs::read(ours.join(n)).unwrap() == std::fs::read(theirs.join(n)).unwrap(),
            "{n} differs from cuobjdump's"
        );
    }
    (dir, theirs_names)
}

/// `--extract` on a real library writes what `cuobjdump -all -xelf all -xptx all` writes:
/// the same file names (numbering included) and the same bytes; the PTX assembles.
#[test]
fn extract_matches_cuobjdump_on_bitsandbytes() {
    let lib = vendor::bnb("130");
    let (dir, names) = extract_like(&vendor::cuobjdump_bin(), &lib, "x");
    let ptx = names.iter().find(|n| n.ends_with(".ptx")).unwrap();
    let nvcc = toolchain::install(CudaVersion::new(13, 0)).unwrap();
    vendor::run(
        Command::new(nvcc.ptxas())
            .args(["-arch=sm_120"])
            .arg(dir.join("ours").join(ptx))
            .arg("-o")
            .arg(dir.join("p.cubin")),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// cuBLAS 11's 1,580 images, 223 of them sm_35 cubins that cuobjdump 13.2 refuses, extracted
/// byte for byte as cuobjdump 11.8 (from Debian's CUDA 11.8 package) extracts them.
#[test]
#[ignore = "installs the cuBLAS 11 wheel (640 MB) and Debian's 84 MB CUDA 11.8 package; run by hand"]
fn extract_matches_cuobjdump_11_8_on_cublas_11() {
    let lib = vendor::install(&vendor::CUBLAS_11);
    let (dir, names) = extract_like(&vendor::cuobjdump_11_8(), &lib, "x11");
    assert!(names.iter().filter(|n| n.contains(".sm_35.")).count() > 200);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A library's verdict: a summary line first, exit 0 when every kernel has a loadable image,
/// `--all-modules` for the strict rule; relocatable modules never count.
#[test]
fn predict_library_exit_status() {
    let lib = vendor::bnb("118");
    let (rc, out, _) = archbench(&["predict", "--gpu", "12.0", s(&lib)]);
    assert_eq!(rc, 1, "{out}");
    let second = out.lines().nth(1).unwrap();
    assert!(second.starts_with("  FAILS: 0 of "), "{out}");
    assert!(
        out.contains("error 209") && !out.contains("ptx-jit"),
        "{out}"
    );
    assert!(out.contains("relocatable"), "{out}");
    let (rc, out, _) = archbench(&["predict", "--gpu", "8.6", s(&lib)]);
    assert_eq!(rc, 0, "{out}");
    assert!(
        out.lines().nth(1).unwrap().starts_with("  LOADS: "),
        "{out}"
    );
    let (rc, out, _) = archbench(&["predict", "--gpu", "12.0", "--driver", "525.60.13", s(&lib)]);
    assert_eq!(rc, 1);
    assert!(out.contains("blocked: error 100"), "{out}");
    let (rc, out, _) = archbench(&["predict", "--gpu", "8.6", "--all-modules", s(&lib)]);
    assert_eq!(rc, 0, "{out}");
    // cuRAND 12 has modules for sm_50 … sm_121 with PTX: every module loads on 12.1.
    let curand = vendor::install(&vendor::CURAND_12);
    let (rc, out, _) = archbench(&["predict", "--gpu", "12.1", "--all-modules", s(&curand)]);
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("LOADS: 281 of 281 kernels"), "{out}");
}
