//! `archbench advise` from the command line: a user's own one-kernel folder costed by the
//! real nvcc (a fresh kernel cache per test), speed evidence from the real H100 run in
//! `results/`, `--compare` against Nixpkgs' `pkgsCuda` and a narrower build, JSON output,
//! and the errors a user meets (no GPU, a capability no GPU has, a GPU the CUDA release
//! cannot build for, a driver too old for the release, a spec that does not parse,
//! constraints nothing meets).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{archbench_env, s};

const SAXPY: &str = r#"
extern "C" __global__ void saxpy(float a, const float* x, float* y, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = a * x[i] + y[i];
}
"#;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The H100's full gpu-check run (arch-specific and PTX-JIT variants of the suite).
fn h100() -> PathBuf {
    repo("results/nvidia-h100-80gb-hbm3/20261126t181313z-gpu-check-full.jsonl")
}

/// A folder with one user kernel and its own kernel cache.
fn user_kernels(name: &str) -> (PathBuf, PathBuf) {
    let root = std::env::temp_dir().join(format!(
        "archbench-advise-cli-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    let k = root.join("kernels");
    std::fs::create_dir_all(&k).unwrap();
    std::fs::write(k.join("saxpy.cu"), SAXPY).unwrap();
    (k, root.join("cache"))
}

fn advise(args: &[&str], cache: &Path) -> (i32, String, String) {
    let mut all = vec!["advise"];
    all.extend_from_slice(args);
    archbench_env(&all, &[("ARCHBENCH_KERNEL_CACHE", s(cache))])
}

#[test]
fn a_users_kernels_costed_by_nvcc_and_set_against_pkgs_cuda() {
    let (k, cache) = user_kernels("json");
    let (code, out, err) = advise(
        &[
            "--gpu",
            "8.6",
            "--gpu",
            "9.0",
            "--kernels",
            s(&k),
            "--results",
            s(&h100()),
            "--compare",
            "pkgsCuda",
            "--compare",
            "torch:8.0;9.0+PTX",
            "--cuda",
            "13.0",
            "--json",
        ],
        &cache,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let a: Value = serde_json::from_str(&out).unwrap();
    let opts = a["options"].as_array().unwrap();
    assert!(!opts.is_empty());
    let best = &opts[0];
    // The H100's measured sm_90a gain (>1) makes 9.0a win for the 9.0 GPU; the 8.6 gets
    // its own SASS.
    assert_eq!(
        best["capabilities"],
        serde_json::json!(["8.6", "9.0a"]),
        "{best}"
    );
    assert_eq!(best["forward_compat"], false);
    let on90 = &best["per_gpu"][1];
    assert_eq!(on90["image"], "sm_90a");
    assert_eq!(on90["measured"], true);
    assert!(on90["speed"].as_f64().unwrap() > 1.0);
    assert!(
        a["costs"].as_str().unwrap().contains("1 sources"),
        "{}",
        a["costs"]
    );
    // Real fatbins of one small kernel: a few KiB per target.
    let bytes = best["bytes"].as_u64().unwrap();
    assert!((2_000..200_000).contains(&bytes), "{bytes}");

    let compared = a["compared"].as_array().unwrap();
    assert_eq!(compared.len(), 2);
    let pkgs = &compared[0];
    assert_eq!(pkgs["name"], "pkgsCuda");
    // Nixpkgs' CUDA 13.0 default capabilities, with the PTX of the last.
    let targets: Vec<&str> = pkgs["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            "sm_75",
            "sm_80",
            "sm_86",
            "sm_89",
            "sm_90",
            "sm_100",
            "sm_103",
            "sm_120",
            "sm_121",
            "compute_121"
        ]
    );
    assert!(pkgs["unserved"].as_array().unwrap().is_empty());
    assert!(pkgs["bytes"].as_u64().unwrap() > 3 * bytes, "{pkgs}");
    let torch = &compared[1];
    assert_eq!(torch["per_gpu"][0]["image"], "sm_80");
    assert_eq!(torch["per_gpu"][0]["rule"], "sass-lower-minor");

    // Again, as text: everything now comes from the cache.
    let (code, out, err) = advise(
        &[
            "--gpu",
            "8.6",
            "--gpu",
            "9.0",
            "--kernels",
            s(&k),
            "--results",
            s(&h100()),
            "--compare",
            "pkgsForCudaArch.sm_90",
            "--cuda",
            "13.0",
        ],
        &cache,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("1. { cudaSupport = true; cudaCapabilities = [ \"8.6\" \"9.0a\" ]"),
        "{out}"
    );
    assert!(out.contains("torch: 8.6;9.0a"), "{out}");
    assert!(out.contains("cmake: 86-real;90a-real"), "{out}");
    assert!(out.contains("0 units compiled"), "{out}");
    assert!(out.contains("compared: pkgsForCudaArch.sm_90"), "{out}");
    assert!(
        out.contains("8.6            loads nothing: error 209 CUDA_ERROR_NO_BINARY_FOR_GPU"),
        "{out}"
    );
    assert!(
        out.contains("8.6: no results of a 8.6 GPU: its figures are estimates"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(k.parent().unwrap());
}

#[test]
fn what_users_get_wrong_is_named() {
    let (k, cache) = user_kernels("errors");
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--kernels", s(&k), "--cuda", "13.0"]);
        let (code, out, err) = advise(&all, &cache);
        assert_eq!(code, 1, "{args:?}: {out}\n{err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        err
    };
    assert!(run(&[]).contains("no GPU to serve: give --gpu X.Y"));
    let e = run(&["--gpu", "9.1"]);
    assert!(
        e.contains("GPU `9.1`: 9.1 is no GPU's compute capability; known: "),
        "{e}"
    );
    let e = run(&["--gpu", "9.0a"]);
    assert!(e.contains("`9.0a` names a build target, not a GPU"), "{e}");
    let e = run(&["--gpu", "6.1"]);
    assert!(e.contains("CUDA 13.0 cannot build for a 6.1"), "{e}");
    assert!(e.contains("try --cuda 12.9"), "{e}");
    let e = run(&["--gpu", "3.5"]);
    assert!(
        e.contains("CUDA 10.0 to 11.8 build for 3.5 (Kepler), and Nixpkgs has none"),
        "{e}"
    );
    let e = run(&["--gpu", "9.0@535.104.05"]);
    assert!(
        e.contains("driver 535.104.05 runs CUDA ≤ 12.2 programs"),
        "{e}"
    );
    assert!(e.contains("needs driver ≥ 580.65.06"), "{e}");
    let e = run(&["--gpu", "9.0@banana"]);
    assert!(e.contains("--gpu 9.0@banana: the driver after `@`"), "{e}");
    let e = run(&["--gpu", "8.6", "--compare", "torch:8.0;9.Z"]);
    assert!(
        e.contains("--compare torch:8.0;9.Z: error[parse-error]"),
        "{e}"
    );
    let e = run(&[
        "--gpu",
        "8.6",
        "--gpu",
        "9.0",
        "--no-jit",
        "--max-bytes",
        "100",
    ]);
    assert!(
        e.contains("every config that serves these GPUs breaks a constraint"),
        "{e}"
    );
    let empty = k.parent().unwrap().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, _, e) = advise(
        &["--gpu", "8.6", "--kernels", s(&empty.join("nope"))],
        &cache,
    );
    assert_eq!(code, 1);
    assert!(e.contains("is not a folder of .cu files to cost"), "{e}");
    let _ = std::fs::remove_dir_all(k.parent().unwrap());
}
