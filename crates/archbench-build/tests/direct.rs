//! Whole builds through `Kernels::build_in` (real nvcc, `fatbinary` and `cc`, no cargo run):
//! concurrent builds sharing one cache, variant files, `ARCHBENCH_SKIP_KERNELS`.

mod common;

use std::path::Path;

use archbench_build::{BuildEnv, Kernels, Source, VariantOrigin};
use common::{kernel, scratch};

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// Files in the cache whose names say they are temporaries (a write that was not renamed).
fn temporaries(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(temporaries(&p));
        } else if p.to_string_lossy().ends_with(".tmp") {
            out.push(p.display().to_string());
        }
    }
    out
}

/// Two builds of the same kernels at once, into one cold cache: both succeed, embed the same
/// bytes, and leave no partial file behind; a third build then compiles nothing.
#[test]
fn concurrent_builds_share_one_cache_safely() {
    let dir = scratch("direct-concurrent");
    write(
        &dir,
        &[
            ("kernels/a.cu", &kernel("a", Some("common.cuh"))),
            ("kernels/b.cu", &kernel("b", None)),
            ("kernels/common.cuh", "#pragma once\n"),
        ],
    );
    common::nvcc();
    let cache = dir.join("cache");
    let kernels = || {
        Kernels::new()
            .sources_in("kernels")
            .source(Source::new("kernels/a.cu").axis("V", ["1"]))
            .variants(["torch:7.5;8.0;8.6;9.0+PTX", "pkgsForCudaArch.sm_90"])
    };
    let env = |n: &str| {
        BuildEnv::new(&dir, dir.join(format!("out-{n}")), format!("pkg_{n}"))
            .cargo_directives(false)
            .jobs(2)
            .var("ARCHBENCH_KERNEL_CACHE", cache.display().to_string())
    };
    let (e1, e2) = (env("1"), env("2"));
    let (r1, r2) = std::thread::scope(|s| {
        let t1 = s.spawn(|| kernels().build_in(&e1));
        let t2 = s.spawn(|| kernels().build_in(&e2));
        (t1.join().unwrap(), t2.join().unwrap())
    });
    let (b1, b2) = (r1.unwrap(), r2.unwrap());
    let images = |p: &Path| {
        let bytes = std::fs::read(p).unwrap();
        archbench_core::embed::parse(&bytes)
            .unwrap()
            .images
            .iter()
            .map(|i| (i.variant.to_string(), i.file.to_string(), i.bytes.to_vec()))
            .collect::<Vec<_>>()
    };
    let (i1, i2) = (images(&b1.container), images(&b2.container));
    // `a.cu` given with an axis is not added again (without it) by `sources_in`.
    let keys: Vec<&str> = i1.iter().map(|(_, k, _)| k.as_str()).collect();
    assert_eq!(keys, ["a.cu[V=1]", "b.cu", "a.cu[V=1]", "b.cu"]);
    assert_eq!(i1, i2);
    assert_eq!(temporaries(&cache), Vec::<String>::new());
    let b3 = kernels().build_in(&env("3")).unwrap();
    assert_eq!(b3.units_compiled, 0, "{b3:?}");
    assert_eq!(images(&b3.container), i1);
    // The generated expression names each package's own symbol and library.
    let rs = std::fs::read_to_string(&b3.generated).unwrap();
    assert!(rs.contains("archbench_images_v1_pkg_3_0_0_0"), "{rs}");
}

/// `ARCHBENCH_VARIANTS` naming a variant file (relative to the crate root); the file's
/// variants are built under their names.
#[test]
fn variant_files_from_archbench_variants() {
    let dir = scratch("direct-variant-file");
    write(
        &dir,
        &[
            ("kernels/k.cu", &kernel("k", None)),
            (
                "ci/variants.toml",
                "[[variant]]\nname = \"hopper\"\nspec = \"pkgsForCudaArch.sm_90a\"\n\n[[variant]]\nname = \"ampere\"\ncapabilities = [\"8.0\", \"8.6\"]\nforward_compat = true\n",
            ),
        ],
    );
    common::nvcc();
    let env = BuildEnv::new(&dir, dir.join("out"), "vf")
        .cargo_directives(false)
        .var(
            "ARCHBENCH_KERNEL_CACHE",
            dir.join("cache").display().to_string(),
        )
        .var("ARCHBENCH_VARIANTS", "ci/variants.toml");
    let b = Kernels::new()
        .source("kernels/k.cu")
        .variants(["pkgsCuda"])
        .build_in(&env)
        .unwrap();
    assert_eq!(b.variants_from, Some(VariantOrigin::ArchbenchVariants));
    let names: Vec<&str> = b
        .manifest
        .build
        .variants
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(names, ["hopper", "ampere"]);
    let ampere = &b.manifest.build.variants[1];
    assert_eq!(
        ampere.gencode,
        [
            "-gencode=arch=compute_80,code=sm_80",
            "-gencode=arch=compute_86,code=sm_86",
            "-gencode=arch=compute_86,code=compute_86"
        ]
    );
}

/// `ARCHBENCH_SKIP_KERNELS=1`: no toolchain needed, a container with `skipped` and no images.
#[test]
fn skip_kernels_writes_an_empty_container() {
    let dir = scratch("direct-skip");
    let env = BuildEnv::new(&dir, dir.join("out"), "skip")
        .cargo_directives(false)
        .var("ARCHBENCH_SKIP_KERNELS", "1");
    let b = Kernels::new()
        .source("kernels/absent.cu")
        .build_in(&env)
        .unwrap();
    let bytes = std::fs::read(&b.container).unwrap();
    let c = archbench_core::embed::parse(&bytes).unwrap();
    assert!(c.images.is_empty());
    let m = archbench_core::manifest::parse(c.manifest).unwrap();
    assert_eq!(
        m.build.skipped.as_deref(),
        Some("built with ARCHBENCH_SKIP_KERNELS=1")
    );
    assert_eq!(m.package.as_deref(), Some("skip"));
    assert!(b.generated.is_file());
}

/// Each assembled fatbin is byte-identical to what `nvcc -fatbin` builds from the variant's
/// own `-gencode` flags and the same options, for SASS + PTX (`torch:8.0;8.6+PTX`, whose
/// `sm_86` is built from the `compute_86` PTX), an arch-specific target and a PTX-only
/// variant, with the default flags and with extra ones that change `fatbinary`'s option
/// strings (`--use_fast_math`, `-Xptxas -O2`).
#[test]
fn assembled_fatbins_are_what_nvcc_fatbin_builds() {
    let dir = scratch("direct-fatbin");
    write(
        &dir,
        &[
            ("kernels/include/scale.cuh", "#pragma once\n#define SCALE 3.0f\n"),
            (
                "kernels/f.cu",
                "#include \"scale.cuh\"\nextern \"C\" __global__ void f(float *y, const float *x, unsigned n) {\n  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;\n  if (i < n) y[i] = sqrtf(x[i]) / y[i] + expf(x[i]) * SCALE * TILE;\n}\n",
            ),
        ],
    );
    let nvcc = common::nvcc();
    for (n, extra) in [vec![], vec!["--use_fast_math", "-Xptxas", "-O2"]]
        .into_iter()
        .enumerate()
    {
        let env = BuildEnv::new(&dir, dir.join(format!("out{n}")), "fb")
            .cargo_directives(false)
            .jobs(2)
            .var(
                "ARCHBENCH_KERNEL_CACHE",
                dir.join("cache").display().to_string(),
            );
        let mut k = Kernels::new()
            .source(Source::new("kernels/f.cu").axis("TILE", ["4"]))
            .include("kernels/include")
            .variants([
                "torch:8.0;8.6+PTX",
                "pkgsForCudaArch.sm_90a",
                "cmake:75-virtual",
            ]);
        for a in &extra {
            k = k.nvcc_arg(*a);
        }
        let b = k.build_in(&env).unwrap();
        let bytes = std::fs::read(&b.container).unwrap();
        let c = archbench_core::embed::parse(&bytes).unwrap();
        assert_eq!(c.images.len(), 3);
        for (img, v) in c.images.iter().zip(&b.manifest.build.variants) {
            let out = dir.join(format!("nvcc{n}.fatbin"));
            let run = std::process::Command::new(nvcc)
                .current_dir(&dir)
                .args(["-fatbin", "-O3", "-Xptxas", "-v", "-std=c++17"])
                .args(&v.gencode)
                .args(["-I", "kernels/include", "-DTILE=4"])
                .args(&extra)
                .arg("kernels/f.cu")
                .arg("-o")
                .arg(&out)
                .output()
                .unwrap();
            assert!(
                run.status.success(),
                "{}",
                String::from_utf8_lossy(&run.stderr)
            );
            let want = std::fs::read(&out).unwrap();
            assert!(
                img.bytes == want.as_slice(),
                "{} with {extra:?}: the assembled fatbin ({} bytes) differs from nvcc's ({} bytes)",
                v.name,
                img.bytes.len(),
                want.len()
            );
        }
    }
}
