//! Every [`BuildError`] a user can cause, through `Kernels::build_in` with an explicit
//! environment (real nvcc where the error needs it; no cargo run, so these are quick): the
//! message names the file, line, variants and target where there are ones, and the help
//! (in `Debug`, what a build script's `main` prints) says how to fix it.

mod common;

use std::path::{Path, PathBuf};

use archbench_build::{BuildEnv, BuildError, Kernels, Source};
use common::{kernel, scratch};

/// A crate directory with `files`, and an environment for building it.
fn setup(name: &str, files: &[(&str, &str)]) -> (PathBuf, BuildEnv) {
    let dir = scratch(name);
    for (p, text) in files {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    // The toolchain search reads the process environment: make sure one is installed.
    common::nvcc();
    let env = BuildEnv::new(&dir, dir.join("out"), name)
        .cargo_directives(false)
        .var(
            "ARCHBENCH_KERNEL_CACHE",
            dir.join("cache").display().to_string(),
        );
    (dir, env)
}

fn debug(e: &BuildError) -> String {
    format!("{e:?}")
}

#[test]
fn missing_source() {
    let (_, env) = setup("err-missing", &[]);
    let e = Kernels::new()
        .source("kernels/nope.cu")
        .build_in(&env)
        .unwrap_err();
    let d = debug(&e);
    assert!(
        d.starts_with(
            "archbench-build: kernel source `kernels/nope.cu` does not exist (looked at `"
        ),
        "{d}"
    );
    assert!(
        d.contains("help: source paths are relative to the crate root"),
        "{d}"
    );
}

#[test]
fn no_sources() {
    let (dir, env) = setup("err-nosources", &[("kernels/README", "no kernels here")]);
    let e = Kernels::new().build_in(&env).unwrap_err();
    assert!(debug(&e).contains("no kernel sources: none given"), "{e:?}");
    let e = Kernels::new()
        .sources_in("kernels")
        .build_in(&env)
        .unwrap_err();
    let d = debug(&e);
    assert!(
        d.contains("no kernel sources: no `*.cu` file in `kernels`"),
        "{d}"
    );
    assert!(
        d.contains("help: add `.source(\"kernels/my_kernel.cu\")`"),
        "{d}"
    );
    let e = Kernels::new()
        .sources_in("src-kernels")
        .build_in(&env)
        .unwrap_err();
    assert!(
        debug(&e).contains("cannot read the kernel directory `src-kernels`"),
        "{e:?}"
    );
    assert!(dir.is_dir());
}

#[test]
fn compile_error_names_file_line_target_and_variants() {
    let (_, env) = setup(
        "err-compile",
        &[("kernels/bad.cu", "extern \"C\" __global__ void bad(float *y) {\n  y[0] = 1.0f;\n  y[1] = undefined_thing;\n}\n")],
    );
    let e = Kernels::new()
        .source("kernels/bad.cu")
        .variants(["pkgsForCudaArch.sm_80", "torch:8.0;8.6", "torch:8.6"])
        .build_in(&env.jobs(1))
        .unwrap_err();
    let BuildError::Compile(f) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(f.source_file, "kernels/bad.cu");
    assert_eq!(f.first_location(), Some(("kernels/bad.cu", Some(3))));
    assert_eq!(
        f.errors[0].message,
        "identifier \"undefined_thing\" is undefined"
    );
    // One job: units go in order, so sm_80's compute_80/sm_80 pair fails first.
    let want: Vec<String> = match f.target.as_str() {
        "sm_80" => vec!["pkgsForCudaArch.sm_80".into(), "torch:8.0;8.6".into()],
        "compute_80" => vec!["pkgsForCudaArch.sm_80".into()],
        other => panic!("unexpected target {other}: {e:?}"),
    };
    assert_eq!(f.variants, want);
    let d = debug(&e);
    assert!(
        d.contains("kernels/bad.cu:3: error: identifier \"undefined_thing\" is undefined"),
        "{d}"
    );
    assert!(
        d.contains(&format!(
            "does not compile for {} (variant {})",
            f.target,
            want.join(", ")
        )),
        "{d}"
    );
    assert!(
        d.contains("help: fix the error at kernels/bad.cu line 3 first"),
        "{d}"
    );
    // The command runs as shown from the crate root.
    assert!(f.command.contains(" kernels/bad.cu"), "{}", f.command);
}

#[test]
fn missing_header_is_a_compile_error_with_its_line() {
    let (_, env) = setup(
        "err-header",
        &[(
            "kernels/k.cu",
            "#include \"nothere.cuh\"\nextern \"C\" __global__ void k() {}\n",
        )],
    );
    let e = Kernels::new()
        .source("kernels/k.cu")
        .variants(["pkgsForCudaArch.sm_90"])
        .build_in(&env)
        .unwrap_err();
    let d = debug(&e);
    assert!(
        d.contains("kernels/k.cu:1: error: nothere.cuh: No such file or directory"),
        "{d}"
    );
}

#[test]
fn invalid_variant_in_an_environment_variable() {
    let (_, env) = setup("err-spec", &[("kernels/k.cu", &kernel("k", None))]);
    let e = Kernels::new()
        .source("kernels/k.cu")
        .build_in(
            &env.clone()
                .var("ARCHBENCH_VARIANTS", "pkgsForCudaArch.sm_999"),
        )
        .unwrap_err();
    let d = debug(&e);
    assert!(d.starts_with("archbench-build: variant `pkgsForCudaArch.sm_999` from ARCHBENCH_VARIANTS is not valid:\n  error["), "{d}");
    assert!(
        d.contains("help: fix or remove the variant in ARCHBENCH_VARIANTS"),
        "{d}"
    );
    let e = Kernels::new()
        .source("kernels/k.cu")
        .build_in(&env.clone().var("CMAKE_CUDA_ARCHITECTURES", "89;sm_90"))
        .unwrap_err();
    let d = debug(&e);
    assert!(
        d.contains("from CMAKE_CUDA_ARCHITECTURES is not valid"),
        "{d}"
    );
    assert!(d.contains("`sm_90` is not a CUDA architecture"), "{d}");
    // A spec from build.rs is named as such.
    let e = Kernels::new()
        .source("kernels/k.cu")
        .variants(["torch:8.6;Amper"])
        .build_in(&env)
        .unwrap_err();
    let d = debug(&e);
    assert!(
        d.contains("from build.rs (.variants()) is not valid"),
        "{d}"
    );
    assert!(d.contains("did you mean `Ampere`?"), "{d}");
}

#[test]
fn native_asks_for_capabilities() {
    let (_, env) = setup("err-native", &[("kernels/k.cu", &kernel("k", None))]);
    for (var, value) in [
        ("CUDA_COMPUTE_CAP", "native"),
        ("CMAKE_CUDA_ARCHITECTURES", "native"),
        ("TORCH_CUDA_ARCH_LIST", "native"),
    ] {
        let e = Kernels::new()
            .source("kernels/k.cu")
            .build_in(&env.clone().var(var, value))
            .unwrap_err();
        let d = debug(&e);
        assert!(
            d.starts_with(&format!(
                "archbench-build: {var} is `native`, which asks for `native`"
            )),
            "{d}"
        );
        assert!(d.contains("never probes a GPU"), "{d}");
        assert!(
            d.contains("help: name the capabilities instead: e.g. CUDA_COMPUTE_CAP=90"),
            "{d}"
        );
        assert!(d.contains("`archbench predict`"), "{d}");
    }
}

#[test]
fn source_without_kernels_is_an_error_not_an_empty_table() {
    let (_, env) = setup(
        "err-nokernels",
        &[(
            "kernels/helpers.cu",
            "__device__ float twice(float x) { return 2.0f * x; }\n",
        )],
    );
    let e = Kernels::new()
        .sources_in("kernels")
        .variants(["pkgsForCudaArch.sm_80"])
        .build_in(&env)
        .unwrap_err();
    let d = debug(&e);
    assert!(d.starts_with("archbench-build: `kernels/helpers.cu` (image `helpers.cu`) defines no `__global__` kernel for "), "{d}");
    assert!(d.contains("(variant pkgsForCudaArch.sm_80)"), "{d}");
    assert!(d.contains("empty kernel table"), "{d}");
    assert!(
        d.contains("help: add an `extern \"C\" __global__` function"),
        "{d}"
    );
}

#[test]
fn invalid_axes_and_defines() {
    let (_, env) = setup("err-axis", &[("kernels/t.cu", &kernel("t", None))]);
    let cases: Vec<(Kernels, &str)> = vec![
        (
            Kernels::new().source(Source::new("kernels/t.cu").axis("1TILE", ["16"])),
            "compile axis name `1TILE` is not a C identifier",
        ),
        (
            Kernels::new().source(Source::new("kernels/t.cu").axis("TILE", ["16 32"])),
            "compile axis `TILE` value \"16 32\" contains whitespace",
        ),
        (
            Kernels::new().source(Source::new("kernels/t.cu").axis("TILE", ["a]"])),
            "contains `]`",
        ),
        (
            Kernels::new().source(Source::new("kernels/t.cu").axis("TILE", Vec::<String>::new())),
            "compile axis `TILE` has no values",
        ),
        (
            Kernels::new()
                .axis("TILE", ["8"])
                .source(Source::new("kernels/t.cu").axis("TILE", ["16"])),
            "compile axis `TILE` is given twice",
        ),
        (
            Kernels::new().source(Source::new("kernels/t.cu").axis("T", ["1", "1"])),
            "lists value `1` twice",
        ),
    ];
    for (k, want) in cases {
        let e = k.build_in(&env).unwrap_err();
        let d = debug(&e);
        assert!(d.contains(want), "want {want:?} in {d}");
        assert!(d.contains("(source `kernels/t.cu`)"), "{d}");
        assert!(d.contains("help: axis names are C identifiers"), "{d}");
    }
    let e = Kernels::new()
        .source("kernels/t.cu")
        .define("A-B", "1")
        .build_in(&env)
        .unwrap_err();
    assert!(
        debug(&e).contains("define name `A-B` is not a C identifier"),
        "{e:?}"
    );
}

#[test]
fn duplicate_image_keys() {
    let (_, env) = setup(
        "err-dupkey",
        &[
            ("a/k.cu", &kernel("k", None)),
            ("b/k.cu", &kernel("k", None)),
        ],
    );
    let e = Kernels::new()
        .source("a/k.cu")
        .source("b/k.cu")
        .build_in(&env)
        .unwrap_err();
    let d = debug(&e);
    assert!(
        d.contains("sources `a/k.cu` and `b/k.cu` would both be embedded as `k.cu`"),
        "{d}"
    );
    assert!(Path::new("a").is_relative());
}
