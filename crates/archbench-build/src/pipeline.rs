//! One kernel build, start to end: sources and axes → toolchain → variants → every unit
//! compiled once, in parallel (`NUM_JOBS` threads) through the cache → each variant's fatbin
//! per image → the manifest and the container, linked into the crate.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use archbench_core::manifest::{
    BuildManifest, CompileOptions, CrateManifest, ImageSource, NvccInfo, VariantBuild,
    MANIFEST_VERSION,
};
use archbench_core::toolchain::{self, ToolKind, Toolchain};
use archbench_core::{embed, Variant};

use crate::cache::Cache;
use crate::compile::{self, Compiled, Ctx, BASE_FLAGS};
use crate::deps::{DepKind, DepRules};
use crate::env::{BuildEnv, ENV_VARS};
use crate::error::BuildError;
use crate::fatbin::{self, FatbinOptions};
use crate::link;
use crate::plan::{self, Image, Target, Unit};
use crate::variants::{self, Selection, VariantOrigin};
use crate::{Built, Kernels};

pub(crate) fn run(k: &Kernels, env: &BuildEnv) -> Result<Built, BuildError> {
    let start = Instant::now();
    for v in ENV_VARS {
        env.directive(&format!("rerun-if-env-changed={v}"));
    }
    if env.get("ARCHBENCH_SKIP_KERNELS") == Some("1") {
        return skipped(k, env);
    }
    for (name, _) in &k.defines {
        if archbench_core::manifest::check_axis_name(name).is_err() {
            return Err(BuildError::Define { name: name.clone() });
        }
    }
    // Sources and axes first: their errors need no toolchain.
    let images = plan::images(k, env)?;
    watch_sources(env, &images);
    let (tc, sel, variants) = nvcc_and_variants(k, env)?;

    let cache = Cache::open(&env.cache_dir(), env.manifest_dir())?;
    let targets: Vec<Vec<Target>> = variants.iter().map(plan::targets_of).collect();
    let units = plan::units(images.len(), &targets);
    let ctx = Ctx {
        env,
        tc: &tc,
        cache: &cache,
        rules: DepRules::new(&tc.bin),
        include_define_args: include_define_args(k, env),
        extra_args: k.nvcc_args.clone(),
        scratch: env.out_dir().join("archbench-uncached"),
    };
    let jobs = env.jobs.max(1);
    let compiled = compile_all(&ctx, &images, &units, &variants, &targets, jobs)?;
    let compile_seconds = start.elapsed().as_secs_f64();
    watch_user_headers(&ctx, &compiled);
    check_tables(&images, &units, &compiled, &variants, &targets)?;

    let mut builds: Vec<VariantBuild> = variants.iter().map(|v| variant_build(v, &tc)).collect();
    let pieces = Pieces {
        images: &images,
        units: &units,
        compiled: &compiled,
    };
    let fat_opts = fatbin_options(env, &tc, &targets, &k.nvcc_args);
    let images_out = assemble_fatbins(&ctx, &fat_opts, &pieces, &mut builds, &targets)?;
    let (n_compiled, n_cached) = (
        compiled.iter().filter(|c| !c.cached).count(),
        compiled.iter().filter(|c| c.cached).count(),
    );
    let build = BuildManifest {
        manifest_version: MANIFEST_VERSION,
        skipped: None,
        nvcc: Some(NvccInfo {
            path: tc.bin.display().to_string(),
            release: tc.release.clone(),
            cuda: tc.version.to_string(),
        }),
        variants: builds,
        wall_seconds: start.elapsed().as_secs_f64(),
        jobs: u32::try_from(jobs).unwrap_or(u32::MAX),
    };
    let m = CrateManifest {
        build,
        package: Some(env.package.clone()),
        variants_from: Some(sel.origin.to_string()),
        options: resolved_options(k, env),
        images: image_sources(&images),
    };
    if !env.quiet {
        eprintln!(
        "archbench-build: {} units ({n_compiled} compiled, {n_cached} from the cache) on {jobs} threads, {} fatbins, in {:.1} s ({compile_seconds:.1} s compiling)",
        units.len(),
        variants.len() * images.len(),
        start.elapsed().as_secs_f64()
    );
    }
    write(env, m, &images_out, Some(sel.origin), n_compiled, n_cached)
}

/// The toolchain (nvcc, not ptxas alone; rebuilds when it changes) and the variants to
/// build with it, named in a build warning.
fn nvcc_and_variants(
    k: &Kernels,
    env: &BuildEnv,
) -> Result<(Toolchain, Selection, Vec<Variant>), BuildError> {
    let tc = toolchain::find_or_install().map_err(|e| BuildError::Toolchain { source: e })?;
    if tc.kind != ToolKind::Nvcc {
        return Err(BuildError::PtxasOnly { bin: tc.bin });
    }
    // A different nvcc (the same path upgraded, or another one found) rebuilds.
    env.directive(&format!("rerun-if-changed={}", tc.bin.display()));
    let sel = variants::select(env, &k.variants, tc.version)?;
    let variants = variants::resolve(env, &sel, tc.version, &tc.release)?;
    let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
    env.warning(&format!(
        "archbench-build: variants from {}: {}",
        sel.origin,
        names.join(", ")
    ));
    Ok((tc, sel, variants))
}

/// `ARCHBENCH_SKIP_KERNELS=1`: an empty kernel table and a manifest that says why.
fn skipped(k: &Kernels, env: &BuildEnv) -> Result<Built, BuildError> {
    env.warning("archbench-build: ARCHBENCH_SKIP_KERNELS=1: building without kernels (an empty kernel table)");
    let m = CrateManifest {
        build: BuildManifest {
            manifest_version: MANIFEST_VERSION,
            skipped: Some("built with ARCHBENCH_SKIP_KERNELS=1".into()),
            nvcc: None,
            variants: Vec::new(),
            wall_seconds: 0.0,
            jobs: 0,
        },
        package: Some(env.package.clone()),
        variants_from: None,
        options: options(k),
        images: Vec::new(),
    };
    write(env, m, &[], None, 0, 0)
}

/// Rebuilds when a kernel source changes (each source once).
fn watch_sources(env: &BuildEnv, images: &[Image]) {
    for (n, i) in images.iter().enumerate() {
        if !images[..n].iter().any(|o| o.source == i.source) {
            env.directive(&format!(
                "rerun-if-changed={}",
                env.manifest_dir().join(&i.source).display()
            ));
        }
    }
}

/// nvcc's `-I` and `-D` arguments of the crate's include directories and defines.
fn include_define_args(k: &Kernels, env: &BuildEnv) -> Vec<String> {
    let mut args = Vec::new();
    for dir in &k.includes {
        args.push("-I".to_string());
        args.push(plan::nvcc_path(env, dir).display().to_string());
    }
    args.extend(k.defines.iter().map(|(n, v)| format!("-D{n}={v}")));
    args
}

/// Rebuild when a header changes: the crate's own and the user's, not the toolchain's or
/// the system's.
fn watch_user_headers(ctx: &Ctx<'_>, compiled: &[Compiled]) {
    let mut reported: Vec<&str> = Vec::new();
    for d in compiled.iter().flat_map(|c| &c.deps) {
        if ctx.rules.kind(std::path::Path::new(&d.path)) == DepKind::User
            && !reported.contains(&d.path.as_str())
        {
            reported.push(&d.path);
            ctx.env.directive(&format!(
                "rerun-if-changed={}",
                ctx.env.manifest_dir().join(&d.path).display()
            ));
        }
    }
}

/// Every kernel table must be non-empty.
fn check_tables(
    images: &[Image],
    units: &[Unit],
    compiled: &[Compiled],
    variants: &[Variant],
    targets: &[Vec<Target>],
) -> Result<(), BuildError> {
    for (u, c) in units.iter().zip(compiled) {
        if c.entries.is_empty() {
            let image = &images[u.image];
            return Err(BuildError::NoKernels {
                source_file: image.source_display(),
                key: image.key.clone(),
                target: u.target.code.clone(),
                variants: plan::variants_holding(variants, targets, &u.target),
            });
        }
    }
    Ok(())
}

/// The compiled units of a build, by image.
struct Pieces<'a> {
    images: &'a [Image],
    units: &'a [Unit],
    compiled: &'a [Compiled],
}

/// Assembles each variant's fatbin per image into `builds`; returns (variant, image key,
/// fatbin path) for each.
fn assemble_fatbins(
    ctx: &Ctx<'_>,
    fat_opts: &FatbinOptions,
    p: &Pieces<'_>,
    builds: &mut [VariantBuild],
    targets: &[Vec<Target>],
) -> Result<Vec<(String, String, PathBuf)>, BuildError> {
    let mut images_out: Vec<(String, String, PathBuf)> = Vec::new();
    for (build, ts) in builds.iter_mut().zip(targets) {
        for (ii, image) in p.images.iter().enumerate() {
            let pieces: Vec<&Compiled> = plan::nvcc_image_order(ts)
                .into_iter()
                .filter_map(|t| {
                    p.units
                        .iter()
                        .position(|u| u.image == ii && u.target == *t)
                        .and_then(|i| p.compiled.get(i))
                })
                .collect();
            let name = fatbin_name(image);
            let (path, fb) = fatbin::assemble(ctx.tc, fat_opts, ctx.cache, image, &pieces, &name)
                .map_err(|(command, stderr)| BuildError::Fatbinary {
                key: image.key.clone(),
                variant: build.name.clone(),
                command,
                stderr,
            })?;
            images_out.push((build.name.clone(), image.key.clone(), path));
            build.files.push(fb);
        }
    }
    Ok(images_out)
}

/// The manifest's record of each image's source and axes.
fn image_sources(images: &[Image]) -> Vec<ImageSource> {
    images
        .iter()
        .map(|i| ImageSource {
            key: i.key.clone(),
            source: i.source_display(),
            axes: i.axes.clone(),
        })
        .collect()
}

/// The options part of the manifest, include directories as nvcc was given them.
fn resolved_options(k: &Kernels, env: &BuildEnv) -> CompileOptions {
    CompileOptions {
        include_dirs: k
            .includes
            .iter()
            .map(|d| plan::nvcc_path(env, d).display().to_string())
            .collect(),
        ..options(k)
    }
}

/// The options part of the manifest that needs no toolchain.
fn options(k: &Kernels) -> CompileOptions {
    CompileOptions {
        base_flags: BASE_FLAGS.iter().map(|s| s.to_string()).collect(),
        include_dirs: k.includes.iter().map(|d| d.display().to_string()).collect(),
        defines: k.defines.clone(),
        nvcc_args: k.nvcc_args.clone(),
    }
}

fn variant_build(v: &Variant, tc: &Toolchain) -> VariantBuild {
    VariantBuild {
        name: v.name.clone(),
        cuda_requested: v.cuda.to_string(),
        cuda_built: tc.version.to_string(),
        capabilities: v.capabilities.iter().map(|c| c.to_string()).collect(),
        ptx: v.ptx.iter().map(|c| c.to_string()).collect(),
        forward_compat: v.forward_compat,
        gencode: archbench_core::flags::gencode(v),
        files: Vec::new(),
    }
}

fn fatbin_name(image: &Image) -> String {
    image
        .key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect()
}

/// `fatbinary`'s option strings for this build's flags (see [`FatbinOptions::from_dryrun`]).
fn fatbin_options(
    env: &BuildEnv,
    tc: &Toolchain,
    targets: &[Vec<Target>],
    extra: &[String],
) -> FatbinOptions {
    let Some(first) = targets.iter().flatten().next() else {
        return FatbinOptions::defaults();
    };
    match FatbinOptions::from_dryrun(tc, env.manifest_dir(), first, extra) {
        Some(o) => o,
        None => {
            env.warning(&format!("archbench-build: `{} -dryrun -fatbin` printed no fatbinary options; assembling with nvcc 13.0's defaults (the fatbins may differ from `nvcc -fatbin`'s in their option strings)", tc.bin.display()));
            FatbinOptions::defaults()
        }
    }
}

/// Compiles every unit on `jobs` threads; the first failure stops the others.
fn compile_all(
    ctx: &Ctx<'_>,
    images: &[Image],
    units: &[Unit],
    variants: &[Variant],
    targets: &[Vec<Target>],
    jobs: usize,
) -> Result<Vec<Compiled>, BuildError> {
    let total = units.len();
    let queue: Mutex<VecDeque<Vec<usize>>> = Mutex::new(plan::jobs(units));
    let results: Mutex<Vec<Option<Compiled>>> = Mutex::new(vec![None; total]);
    let failed: Mutex<Option<BuildError>> = Mutex::new(None);
    let done: Mutex<usize> = Mutex::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs.min(total.max(1)) {
            s.spawn(|| loop {
                if failed.lock().map(|f| f.is_some()).unwrap_or(true) {
                    return;
                }
                let Some(job) = queue.lock().ok().and_then(|mut q| q.pop_front()) else {
                    return;
                };
                // A job's PTX unit (if any) comes first; its SASS sibling is built from it.
                let mut ptx: Option<Compiled> = None;
                for i in job {
                    let Some(unit) = units.get(i) else { continue };
                    let Some(image) = images.get(unit.image) else {
                        continue;
                    };
                    let from_ptx = ptx.as_ref().filter(|_| !unit.target.is_ptx());
                    let holders = plan::variants_holding(variants, targets, &unit.target);
                    match compile::compile_unit(ctx, image, &unit.target, from_ptx, &holders) {
                        Ok(c) => {
                            if let Ok(mut d) = done.lock() {
                                *d += 1;
                                if !ctx.env.quiet {
                                    eprintln!(
                                        "[{}/{total}] {} for {}: {:.2} s{}",
                                        *d,
                                        image.key,
                                        unit.target.code,
                                        c.seconds,
                                        if c.cached { " (cached)" } else { "" }
                                    );
                                }
                            }
                            if c.target.is_ptx() {
                                ptx = Some(c.clone());
                            }
                            if let Ok(mut r) = results.lock() {
                                if let Some(slot) = r.get_mut(i) {
                                    *slot = Some(c);
                                }
                            }
                        }
                        Err(e) => {
                            if let Ok(mut f) = failed.lock() {
                                f.get_or_insert(e);
                            }
                            return;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().map_err(|_| BuildError::Worker)? {
        return Err(e);
    }
    results
        .into_inner()
        .map_err(|_| BuildError::Worker)?
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or(BuildError::Worker)
}

/// Writes the manifest and the images into the container and links it into the crate.
fn write(
    env: &BuildEnv,
    manifest: CrateManifest,
    images: &[(String, String, PathBuf)],
    origin: Option<VariantOrigin>,
    compiled: usize,
    cached: usize,
) -> Result<Built, BuildError> {
    let json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| BuildError::io(env.out_dir(), e.into()))?;
    let bytes = images
        .iter()
        .map(|(_, _, path)| std::fs::read(path).map_err(|e| BuildError::io(path, e)))
        .collect::<Result<Vec<_>, _>>()?;
    let entries: Vec<(&str, &str, &[u8])> = images
        .iter()
        .zip(&bytes)
        .map(|((variant, key, _), b)| (variant.as_str(), key.as_str(), b.as_slice()))
        .collect();
    let container = embed::write(&json, &entries)?;
    let (container_path, generated) = link::link_container(env, &container)?;
    Ok(Built {
        manifest,
        variants_from: origin,
        container: container_path,
        generated,
        units_compiled: compiled,
        units_cached: cached,
    })
}
