//! Fixture crates that use archbench-build from their build.rs, built with real cargo and
//! real nvcc: what they embed, which variants the environment picks, what the cache reuses,
//! what a kernel edit rebuilds, and how failures read in cargo's output.

mod common;

use std::path::Path;
use std::process::Command;

use common::{index, kernel, manifest, scratch, Fixture};

const TILE_CU: &str = "extern \"C\" __global__ void tile(float *y) {\n  __shared__ float s[TILE];\n  s[threadIdx.x % TILE] = y[threadIdx.x];\n  __syncthreads();\n  y[threadIdx.x] = s[(threadIdx.x + 1) % TILE] * SCALE;\n}\n";

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// `cuobjdump --list-elf` and `--list-ptx` of a fatbin: the `sm_XX` of every ELF and PTX.
fn listed(cuobjdump: &Path, fatbin: &[u8], dir: &Path) -> (Vec<String>, Vec<String>) {
    let f = dir.join("image.fatbin");
    std::fs::write(&f, fatbin).unwrap();
    let list = |flag: &str| -> Vec<String> {
        let out = Command::new(cuobjdump).arg(flag).arg(&f).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut v: Vec<String> = text
            .lines()
            .filter_map(|l| {
                l.split('.')
                    .find(|p| p.starts_with("sm_"))
                    .map(str::to_string)
            })
            .collect();
        v.sort();
        v
    };
    (list("--list-elf"), list("--list-ptx"))
}

/// Two sources, one with a compile axis, two variants: the container holds variants ×
/// image keys, every image is a fatbin holding exactly its variant's targets, the manifest
/// says where each image came from, and the generated Rust and assembly do not change when
/// a kernel does (only the edited source recompiles).
#[test]
fn embeds_every_variant_and_axis_value() {
    let cache = scratch("cache-matrix");
    let f = Fixture::new(
        "fx_matrix",
        r#"    archbench_build::Kernels::new()
        .source("kernels/saxpy.cu")
        .source(archbench_build::Source::new("kernels/tile.cu").axis("TILE", ["16", "32"]))
        .include("kernels/include")
        .define("SCALE", "2.0f")
        .variants(["pkgsForCudaArch.sm_80", "torch:8.0;9.0+PTX"])
        .build()?;
    Ok(())"#,
        &[
            ("kernels/saxpy.cu", &kernel("saxpy", Some("common.cuh"))),
            ("kernels/include/common.cuh", "#pragma once\n"),
            ("kernels/tile.cu", TILE_CU),
        ],
        &cache,
    );
    let (container, stderr) = f.build_ok(&[]);
    assert!(
        stderr.contains("archbench-build: variants from build.rs (.variants()): pkgsForCudaArch.sm_80, torch:8.0;9.0+PTX"),
        "{stderr}"
    );
    let keys = ["saxpy.cu", "tile.cu[TILE=16]", "tile.cu[TILE=32]"];
    let want: Vec<(String, String)> = ["pkgsForCudaArch.sm_80", "torch:8.0;9.0+PTX"]
        .iter()
        .flat_map(|v| keys.iter().map(move |k| (v.to_string(), k.to_string())))
        .collect();
    assert_eq!(index(&container), want);

    let cuobjdump = archbench_core::toolchain::tools::cuobjdump()
        .unwrap_or_else(|e| panic!("cuobjdump: {e}\nhelp: {}", e.help()));
    let parsed = archbench_core::embed::parse(&container).unwrap();
    for img in &parsed.images {
        assert_eq!(
            img.bytes[..4],
            0xBA55_ED50u32.to_le_bytes(),
            "{} {}",
            img.variant,
            img.file
        );
        let (elf, ptx) = listed(&cuobjdump, img.bytes, &f.dir);
        let (want_elf, want_ptx): (&[&str], &[&str]) = if img.variant == "pkgsForCudaArch.sm_80" {
            // pkgsForCudaArch turns Nixpkgs' forward compatibility off: SASS only.
            (&["sm_80"], &[])
        } else {
            (&["sm_80", "sm_90"], &["sm_90"])
        };
        assert_eq!(
            (elf, ptx),
            (strings(want_elf), strings(want_ptx)),
            "{} {}",
            img.variant,
            img.file
        );
    }

    let m = manifest(&container);
    assert_eq!(m.build.manifest_version, 2);
    assert_eq!(m.package.as_deref(), Some("fx_matrix"));
    assert_eq!(m.variants_from.as_deref(), Some("build.rs (.variants())"));
    assert_eq!(m.options.include_dirs, ["kernels/include"]);
    assert_eq!(
        m.options.defines,
        [("SCALE".to_string(), "2.0f".to_string())]
    );
    assert_eq!(m.options.base_flags, ["-O3", "-std=c++17"]);
    let tile32 = m.source_of("tile.cu[TILE=32]").unwrap();
    assert_eq!(tile32.source, "kernels/tile.cu");
    assert_eq!(tile32.axes, [("TILE".to_string(), "32".to_string())]);
    for v in &m.build.variants {
        let files: Vec<&str> = v.files.iter().map(|f| f.file.as_str()).collect();
        assert_eq!(files, keys);
        for fb in &v.files {
            assert!(
                !fb.cached,
                "cold cache, yet {} {} is cached",
                v.name, fb.file
            );
            assert!(
                fb.kernels.iter().any(|k| k.arch == "sm_80"),
                "{} {}: {:?}",
                v.name,
                fb.file,
                fb.kernels
            );
        }
    }

    // A kernel edit: the container changes, the generated texts do not, only saxpy.cu
    // recompiles.
    let out = f.out_dir();
    let rs = std::fs::read(out.join("archbench_images.rs")).unwrap();
    let asm = std::fs::read(out.join("archbench_images.S")).unwrap();
    let rs_time = out
        .join("archbench_images.rs")
        .metadata()
        .unwrap()
        .modified()
        .unwrap();
    f.write(
        "kernels/saxpy.cu",
        &kernel("saxpy", Some("common.cuh")).replace("a * x[i]", "a * x[i] * 0.5f"),
    );
    let (after, _) = f.build_ok(&[]);
    assert_ne!(after, container);
    assert_eq!(std::fs::read(out.join("archbench_images.rs")).unwrap(), rs);
    assert_eq!(std::fs::read(out.join("archbench_images.S")).unwrap(), asm);
    assert_eq!(
        out.join("archbench_images.rs")
            .metadata()
            .unwrap()
            .modified()
            .unwrap(),
        rs_time
    );
    let m = manifest(&after);
    for v in &m.build.variants {
        for fb in &v.files {
            assert_eq!(fb.cached, fb.file != "saxpy.cu", "{} {}", v.name, fb.file);
        }
    }
}

fn variant_names(container: &[u8]) -> Vec<String> {
    manifest(container)
        .build
        .variants
        .iter()
        .map(|v| v.name.clone())
        .collect()
}

/// `TORCH_CUDA_ARCH_LIST` beats `.variants()`, `ARCHBENCH_VARIANTS` beats
/// `TORCH_CUDA_ARCH_LIST`, and `CUDA_COMPUTE_CAP` lists give one variant per capability.
#[test]
fn environment_overrides_build_rs_in_precedence_order() {
    let cache = scratch("cache-env");
    let f = Fixture::new(
        "fx_env",
        r#"    archbench_build::Kernels::new()
        .sources_in("kernels")
        .variants(["pkgsForCudaArch.sm_80"])
        .build()?;
    Ok(())"#,
        &[("kernels/k.cu", &kernel("k", None))],
        &cache,
    );
    let (c, _) = f.build_ok(&[]);
    assert_eq!(variant_names(&c), ["pkgsForCudaArch.sm_80"]);
    let (c, stderr) = f.build_ok(&[("TORCH_CUDA_ARCH_LIST", "8.6")]);
    assert_eq!(variant_names(&c), ["torch:8.6"]);
    assert!(
        stderr.contains("variants from TORCH_CUDA_ARCH_LIST: torch:8.6"),
        "{stderr}"
    );
    let (c, stderr) = f.build_ok(&[
        ("TORCH_CUDA_ARCH_LIST", "8.6"),
        ("ARCHBENCH_VARIANTS", "pkgsForCudaArch.sm_75\ncmake:80-real"),
    ]);
    assert_eq!(
        variant_names(&c),
        ["pkgsForCudaArch.sm_75", "cmake:80-real"]
    );
    assert!(
        stderr.contains("variants from ARCHBENCH_VARIANTS"),
        "{stderr}"
    );
    let (c, _) = f.build_ok(&[("CUDA_COMPUTE_CAP", "80,8.6")]);
    assert_eq!(
        variant_names(&c),
        ["pkgsForCudaArch.sm_80", "pkgsForCudaArch.sm_86"]
    );
    assert_eq!(
        manifest(&c).variants_from.as_deref(),
        Some("CUDA_COMPUTE_CAP")
    );
    // And back: with the variables gone, build.rs's list again (all from the cache).
    let (c, _) = f.build_ok(&[]);
    assert_eq!(variant_names(&c), ["pkgsForCudaArch.sm_80"]);
    assert!(manifest(&c).build.variants[0].files[0].cached);
}

/// A header edit rebuilds the crate and recompiles only the sources that include it; a
/// second crate with the same sources and the same cache compiles nothing.
#[test]
fn header_edits_miss_only_for_includers_and_other_crates_share_the_cache() {
    let cache = scratch("cache-shared");
    let body = r#"    archbench_build::Kernels::new()
        .sources_in("kernels")
        .variants(["pkgsForCudaArch.sm_89"])
        .build()?;
    Ok(())"#;
    let files: [(&str, &str); 3] = [
        ("kernels/a.cu", &kernel("a", Some("common.cuh"))),
        ("kernels/b.cu", &kernel("b", None)),
        ("kernels/common.cuh", "#pragma once\n#define A_SCALE 1.0f\n"),
    ];
    let a = Fixture::new("fx_share_a", body, &files, &cache);
    let b = Fixture::new("fx_share_b", body, &files, &cache);
    let cached = |c: &[u8]| -> Vec<(String, bool)> {
        manifest(c).build.variants[0]
            .files
            .iter()
            .map(|f| (f.file.clone(), f.cached))
            .collect()
    };
    let (c, _) = a.build_ok(&[]);
    assert_eq!(cached(&c), [("a.cu".into(), false), ("b.cu".into(), false)]);
    let (c, _) = b.build_ok(&[]);
    assert_eq!(
        cached(&c),
        [("a.cu".into(), true), ("b.cu".into(), true)],
        "the second crate recompiled"
    );
    a.write("kernels/common.cuh", "#pragma once\n#define A_SCALE 2.0f\n");
    let (c, _) = a.build_ok(&[]);
    assert_eq!(cached(&c), [("a.cu".into(), false), ("b.cu".into(), true)]);
    // B's header is unchanged: its copy of a.cu still hits the entry it was built from.
    b.write(
        "kernels/b.cu",
        &kernel("b", None).replace("a * x[i]", "x[i] * a"),
    );
    let (c, _) = b.build_ok(&[]);
    assert_eq!(cached(&c), [("a.cu".into(), true), ("b.cu".into(), false)]);
}

/// An nvcc error reads, through `fn main() -> Result<(), BuildError>`, as the file and
/// line, the target and variants, the command, and how to fix it.
#[test]
fn compile_errors_read_well_in_cargo_output() {
    let cache = scratch("cache-bad");
    let f = Fixture::new(
        "fx_bad",
        r#"    archbench_build::Kernels::new()
        .source("kernels/bad.cu")
        .variants(["pkgsForCudaArch.sm_80", "torch:8.0;8.6"])
        .build()?;
    Ok(())"#,
        &[(
            "kernels/bad.cu",
            "extern \"C\" __global__ void bad(float *y) {\n  y[0] = 1.0f;\n  y[1] = undefined_thing;\n}\n",
        )],
        &cache,
    );
    let e = f.build_err(&[]);
    assert!(
        e.contains(
            "Error: archbench-build: kernel `kernels/bad.cu` (image `bad.cu`) does not compile for"
        ),
        "{e}"
    );
    assert!(
        e.contains("kernels/bad.cu:3: error: identifier \"undefined_thing\" is undefined"),
        "{e}"
    );
    assert!(
        e.contains("help: fix the error at kernels/bad.cu line 3 first"),
        "{e}"
    );
    assert!(e.contains("command (from the crate root): "), "{e}");
    // sm_80 is in both variants; whichever target failed first, its variants are named.
    assert!(
        e.contains("(variant pkgsForCudaArch.sm_80, torch:8.0;8.6)")
            || e.contains("(variant torch:8.0;8.6)")
            || e.contains("(variant pkgsForCudaArch.sm_80)"),
        "{e}"
    );
}

/// No nvcc: the toolchain's error, its help, and how to build without kernels.
#[test]
fn missing_nvcc_says_how_to_fix_it() {
    let cache = scratch("cache-nonvcc");
    let f = Fixture::new(
        "fx_nonvcc",
        r#"    archbench_build::Kernels::new().source("kernels/k.cu").build()?;
    Ok(())"#,
        &[("kernels/k.cu", &kernel("k", None))],
        &cache,
    );
    let e = f.build_err(&[("NVCC", "/nonexistent/bin/nvcc")]);
    assert!(e.contains("archbench-build: no CUDA compiler for the kernels: `/nonexistent/bin/nvcc` named by NVCC does not exist or is not executable"), "{e}");
    assert!(
        e.contains("help: point the variable at an existing nvcc"),
        "{e}"
    );
    assert!(e.contains("help: or build without kernels (an empty kernel table): ARCHBENCH_SKIP_KERNELS=1 cargo build"), "{e}");
    // And that hint works: an empty container with `skipped` set.
    let (c, _) = f.build_ok(&[
        ("NVCC", "/nonexistent/bin/nvcc"),
        ("ARCHBENCH_SKIP_KERNELS", "1"),
    ]);
    let m = manifest(&c);
    assert!(m.build.skipped.is_some());
    assert!(index(&c).is_empty());
}
