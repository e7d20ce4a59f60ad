//! Builds every `kernels/*.cu` for every build variant with exactly the variant's Nixpkgs
//! `-gencode` flags, and embeds the fatbins and a manifest (nvcc version, flags, sizes,
//! compile times, ptxas registers/spills/smem) into the binary.
//!
//! Each (kernel file, `-gencode` target) is compiled once, whatever number of variants hold
//! it (`pkgsCuda` repeats every single-architecture variant): `nvcc -cubin` for a SASS target,
//! `nvcc -ptx` for a PTX one, in parallel, through a content-addressed cache; a SASS target
//! whose virtual architecture is also a PTX target of the build is compiled from that PTX by
//! ptxas alone, so the front end runs once for both (see `jobs`). Each variant's
//! fatbin is then assembled from those pieces with `fatbinary`, with the arguments and image
//! order `nvcc -fatbin` uses, so it is byte-identical to what nvcc builds from the variant's
//! flags (`tests/fatbin_assembly.rs` checks it against real nvcc).
//!
//! The fatbins and the manifest travel in one container (`archbench_core::embed`) that an
//! assembled static library pulls in with `.incbin` (`build_support/embed_asm.rs`): no Rust
//! source changes when a kernel does, so a kernel edit costs cargo a library recompile with
//! every incremental query reused, and a relink.
//!
//! Variants: `ARCHBENCH_VARIANTS` (one spec per line, or a variant file), else
//! `pkgsForCudaArch.sm_XX` for every default capability of the toolchain's CUDA version,
//! `pkgsForCudaArch.sm_90a`, `pkgsCuda`, and `cmake:75-virtual` (PTX only, so every GPU
//! also runs a JIT-compiled build). `ARCHBENCH_SKIP_KERNELS=1` builds without kernels;
//! `ARCHBENCH_KERNEL_CACHE` moves the cache (default `<archbench home>/kernel-cache`).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use archbench_core::manifest::{
    self, BuildManifest, FileBuild, NvccInfo, VariantBuild, MANIFEST_VERSION,
};
use archbench_core::spec::{self, SpecContext};
use archbench_core::toolchain::{self, Toolchain};
use archbench_core::validate::{self, ValidateOptions};
use archbench_core::{db, embed, flags, Capability, Variant};

#[path = "build_support/embed_asm.rs"]
mod embed_asm;
#[path = "build_support/host_ref.rs"]
mod host_ref;

const ENV_VARS: &[&str] = &[
    "ARCHBENCH_VARIANTS",
    "ARCHBENCH_SKIP_KERNELS",
    "ARCHBENCH_HOME",
    "ARCHBENCH_KERNEL_CACHE",
    "ARCHBENCH_NO_DOWNLOAD",
    "NVCC",
    "CUDA_PATH",
    "CUDA_HOME",
    "XDG_CACHE_HOME",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=kernels");
    for v in ENV_VARS {
        println!("cargo:rerun-if-env-changed={v}");
    }
    // OpenCV-exact host C++ references (the CPU side; built even without nvcc).
    host_ref::compile_host_refs();
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    if let Err(msg) = build(&out_dir) {
        eprintln!("\nerror: {msg}\n");
        std::process::exit(1);
    }
}

fn build(out_dir: &Path) -> Result<(), String> {
    let start = Instant::now();
    if std::env::var("ARCHBENCH_SKIP_KERNELS").is_ok_and(|v| v == "1") {
        let m = BuildManifest {
            manifest_version: MANIFEST_VERSION,
            skipped: Some("built with ARCHBENCH_SKIP_KERNELS=1".into()),
            nvcc: None,
            variants: Vec::new(),
            wall_seconds: 0.0,
            jobs: 0,
        };
        return write_outputs(out_dir, &m, &[]);
    }
    let tc = toolchain::find_or_install().map_err(|e| format!("no CUDA compiler for the kernels: {e}\nhelp: {}\nhelp: or build without kernels: ARCHBENCH_SKIP_KERNELS=1 cargo build", e.help()))?;
    if tc.kind != toolchain::ToolKind::Nvcc {
        return Err(format!(
            "{} is ptxas only; the kernels need nvcc",
            tc.bin.display()
        ));
    }
    // A different nvcc (same path upgraded, or another one found) must re-embed.
    println!("cargo:rerun-if-changed={}", tc.bin.display());
    let variants = variants(&tc)?;
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let kernels_dir = manifest_dir.join("kernels");
    let sources = kernel_sources(&kernels_dir)?;
    let headers_hash = headers_hash(&kernels_dir)?;
    // `ARCHBENCH_KERNEL_CACHE` (e.g. an empty folder, to time a cold build) or the default.
    let cache = match std::env::var_os("ARCHBENCH_KERNEL_CACHE") {
        Some(c) if !c.is_empty() => PathBuf::from(c),
        _ => toolchain::home().join("kernel-cache"),
    };
    std::fs::create_dir_all(&cache)
        .map_err(|e| format!("cannot create {}: {e}", cache.display()))?;

    // Every (kernel file, gencode target) once, in parallel.
    let targets: Vec<Vec<Target>> = variants
        .iter()
        .map(|v| {
            flags::gencode(v)
                .iter()
                .filter_map(|g| Target::parse(g))
                .collect()
        })
        .collect();
    let mut units: Vec<Unit> = Vec::new();
    for t in targets.iter().flatten() {
        for file in 0..sources.len() {
            let u = Unit {
                file,
                target: t.clone(),
            };
            if !units.contains(&u) {
                units.push(u);
            }
        }
    }
    let total = units.len();
    let n_jobs: usize = std::env::var("NUM_JOBS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
        .max(1);
    let queue = Arc::new(Mutex::new(jobs(&units)));
    let compiled: Arc<Mutex<Vec<Option<Compiled>>>> = Arc::new(Mutex::new(vec![None; total]));
    let failed = Arc::new(Mutex::new(None::<String>));
    let done = Arc::new(Mutex::new(0usize));
    std::thread::scope(|s| {
        for _ in 0..n_jobs.min(total.max(1)) {
            let (queue, compiled, failed, done) = (
                queue.clone(),
                compiled.clone(),
                failed.clone(),
                done.clone(),
            );
            let (tc, cache, kernels_dir, sources) = (&tc, &cache, &kernels_dir, &sources);
            let (variants, targets, units) = (&variants, &targets, &units);
            s.spawn(move || loop {
                if failed.lock().map(|f| f.is_some()).unwrap_or(true) {
                    return;
                }
                let Some(job) = queue.lock().ok().and_then(|mut q| q.pop_front()) else {
                    return;
                };
                // A job's PTX unit (if any) comes first; its SASS sibling is built from it.
                let mut ptx: Option<Compiled> = None;
                for i in job {
                    let unit = &units[i];
                    let src = &sources[unit.file];
                    let from_ptx = ptx.as_ref().filter(|_| !unit.target.is_ptx());
                    match compile_unit(
                        tc,
                        cache,
                        kernels_dir,
                        headers_hash,
                        src,
                        &unit.target,
                        from_ptx,
                    ) {
                        Ok(c) => {
                            let mut d = done.lock().expect("progress lock");
                            *d += 1;
                            eprintln!(
                                "[{}/{total}] {} for {}: {:.1} s{}",
                                *d,
                                file_name(src),
                                unit.target.code,
                                c.seconds,
                                if c.cached { " (cached)" } else { "" }
                            );
                            if c.target.is_ptx() {
                                ptx = Some(c.clone());
                            }
                            compiled.lock().expect("results lock")[i] = Some(c);
                        }
                        Err(e) => {
                            let msg = unit_failure(variants, targets, src, unit, &e);
                            if let Ok(mut f) = failed.lock() {
                                f.get_or_insert(msg);
                            }
                            return;
                        }
                    }
                }
            });
        }
    });
    if let Some(msg) = failed
        .lock()
        .map_err(|_| "worker panicked".to_string())?
        .take()
    {
        return Err(msg);
    }
    let compiled: Vec<Compiled> =
        std::mem::take(&mut *compiled.lock().map_err(|_| "worker panicked".to_string())?)
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or("a kernel unit was not compiled")?;
    let compile_seconds = start.elapsed().as_secs_f64();
    let fatbinary = tc.bin.with_file_name("fatbinary");
    // Each variant's fatbin per file, from the pieces.
    let mut results = Vec::new();
    for (vi, ts) in targets.iter().enumerate() {
        for (fi, src) in sources.iter().enumerate() {
            let pieces: Vec<&Compiled> = nvcc_image_order(ts)
                .into_iter()
                .filter_map(|t| {
                    units
                        .iter()
                        .position(|u| u.file == fi && u.target == *t)
                        .map(|i| &compiled[i])
                })
                .collect();
            let (path, fb) = assemble(&fatbinary, &cache, src, &pieces).map_err(|e| {
                format!(
                    "assembling `{}` for variant `{}`: {e}",
                    file_name(src),
                    variants[vi].name
                )
            })?;
            results.push((vi, fi, path, fb));
        }
    }
    let mut builds: Vec<VariantBuild> = variants
        .iter()
        .map(|v| VariantBuild {
            name: v.name.clone(),
            cuda_requested: v.cuda.to_string(),
            cuda_built: tc.version.to_string(),
            capabilities: v.capabilities.iter().map(|c| c.to_string()).collect(),
            ptx: v.ptx.iter().map(|c| c.to_string()).collect(),
            forward_compat: v.forward_compat,
            gencode: flags::gencode(v),
            files: Vec::new(),
        })
        .collect();
    let mut images = Vec::new();
    for (vi, _fi, path, fb) in results {
        images.push((builds[vi].name.clone(), fb.file.clone(), path));
        builds[vi].files.push(fb);
    }
    let m = BuildManifest {
        manifest_version: MANIFEST_VERSION,
        skipped: None,
        nvcc: Some(NvccInfo {
            path: tc.bin.display().to_string(),
            release: tc.release.clone(),
            cuda: tc.version.to_string(),
        }),
        variants: builds,
        wall_seconds: start.elapsed().as_secs_f64(),
        jobs: n_jobs as u32,
    };
    eprintln!(
        "kernels: {total} nvcc units on {n_jobs} threads, {} fatbins, in {:.1} s ({compile_seconds:.1} s compiling)",
        variants.len() * sources.len(),
        m.wall_seconds
    );
    write_outputs(out_dir, &m, &images)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The variants to build: `ARCHBENCH_VARIANTS`, else the default set for the toolchain.
fn variants(tc: &Toolchain) -> Result<Vec<Variant>, String> {
    let ctx = SpecContext {
        default_cuda: tc.version,
    };
    let specs: Vec<String> = match std::env::var("ARCHBENCH_VARIANTS") {
        Ok(s) if !s.trim().is_empty() => {
            // One spec per line: `;` belongs to torch:/cmake:/Nix specs themselves.
            spec::split_list(&s)
        }
        _ => {
            let mut v: Vec<String> = db::default_capabilities(tc.version)
                .iter()
                .map(|c| format!("pkgsForCudaArch.{}", c.sm()))
                .collect();
            let sm90a = Capability::new(9, 0, archbench_core::Suffix::Arch);
            if db::capability(sm90a).is_some_and(|i| i.nix_supports(tc.version)) {
                v.push(format!("pkgsForCudaArch.{}", sm90a.sm()));
            }
            v.push("pkgsCuda".into());
            // A PTX-only build of the oldest default capability: JIT-compiled on every GPU,
            // so each run also measures the PTX path against native SASS.
            if let Some(oldest) = db::default_capabilities(tc.version).first() {
                v.push(format!("cmake:{}-virtual", oldest.dotless()));
            }
            v
        }
    };
    // Specs read from files (`.nix`, `.toml`, `.json`) re-embed when the file changes.
    for s in specs.iter().filter(|s| Path::new(s.as_str()).is_file()) {
        println!("cargo:rerun-if-changed={s}");
    }
    let opts = ValidateOptions::default();
    let mut out: Vec<Variant> = Vec::new();
    let mut errors = String::new();
    for s in &specs {
        for entry in spec::parse(s, &ctx) {
            let mut diags = entry.diagnostics.clone();
            if let Some(v) = &entry.variant {
                diags.extend(validate::validate(v, &opts));
            }
            // A variant from a file is named by its `name` and the file.
            let who = match &entry.variant {
                Some(v) if v.name != *s => format!("`{}` (from `{s}`)", v.name),
                _ => format!("`{s}`"),
            };
            for d in diags.iter().filter(|d| !d.is_error()) {
                println!("cargo:warning=variant {who}: {}", d.message);
            }
            match entry.variant {
                Some(v) if validate::is_valid(&diags) => {
                    if v.cuda != tc.version {
                        println!("cargo:warning=variant `{}` asks for CUDA {} but the toolchain is CUDA {} ({}); it is built with the toolchain's nvcc", v.name, v.cuda, tc.version, tc.release);
                    }
                    if out.iter().any(|o| o.name == v.name) {
                        let _ = writeln!(errors, "variant `{}` is listed twice", v.name);
                    }
                    out.push(v);
                }
                _ => {
                    let _ = writeln!(errors, "ARCHBENCH_VARIANTS: variant {who} is not valid:");
                    for d in &diags {
                        let _ = writeln!(errors, "  {d}");
                    }
                    if let Some(h) = spec::list_separator_help(s) {
                        let _ = writeln!(errors, "  help: {h}");
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(format!(
            "{errors}help: check the specs with `archbench validate --cuda {} SPEC`",
            tc.version
        ));
    }
    if out.is_empty() {
        return Err("ARCHBENCH_VARIANTS names no variant".into());
    }
    Ok(out)
}

fn kernel_sources(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cu"))
        .collect();
    v.sort();
    Ok(v)
}

/// Hash of every header under `kernels/` (a header change rebuilds every kernel).
fn headers_hash(dir: &Path) -> Result<u64, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "h" || x == "cuh"))
        .collect();
    paths.sort();
    let mut h = Fnv::new();
    for p in paths {
        h.write(
            p.file_name()
                .map(|n| n.as_encoded_bytes())
                .unwrap_or_default(),
        );
        h.write(&std::fs::read(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?);
    }
    Ok(h.0)
}

/// One `-gencode` target: `arch=compute_90a,code=sm_90a` (SASS) or
/// `arch=compute_121,code=compute_121` (PTX).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    arch: String,
    code: String,
}

impl Target {
    fn parse(flag: &str) -> Option<Self> {
        let rest = flag.strip_prefix("-gencode=arch=")?;
        let (arch, code) = rest.split_once(",code=")?;
        Some(Self {
            arch: arch.to_string(),
            code: code.to_string(),
        })
    }

    fn is_ptx(&self) -> bool {
        self.code.starts_with("compute_")
    }

    /// `90a` for `sm_90a` / `compute_90a` (fatbinary's `sm=` value).
    fn sm(&self) -> &str {
        self.code
            .strip_prefix("sm_")
            .or_else(|| self.code.strip_prefix("compute_"))
            .unwrap_or(&self.code)
    }

    fn flag(&self) -> String {
        format!("-gencode=arch={},code={}", self.arch, self.code)
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Unit {
    file: usize,
    target: Target,
}

/// A compiled piece: a cubin or a PTX file, with its ptxas report.
#[derive(Debug, Clone)]
struct Compiled {
    path: PathBuf,
    target: Target,
    seconds: f64,
    cached: bool,
    kernels: Vec<manifest::PtxasKernel>,
}

/// What a failed unit's error says: the file, the target and the variants that hold it.
fn unit_failure(
    variants: &[Variant],
    targets: &[Vec<Target>],
    src: &Path,
    unit: &Unit,
    err: &str,
) -> String {
    let who: Vec<&str> = variants
        .iter()
        .zip(targets)
        .filter(|(_, ts)| ts.contains(&unit.target))
        .map(|(v, _)| v.name.as_str())
        .collect();
    format!(
        "kernel `{}` for {} (variant {}) failed to compile:\n{err}",
        file_name(src),
        unit.target.code,
        who.join(", ")
    )
}

/// The units as jobs for the worker threads. A SASS unit whose virtual architecture is also a
/// PTX unit of the same file (`sm_121` and `compute_121` in `pkgsCuda`, `sm_75` next to
/// `cmake:75-virtual`'s `compute_75`) goes in one job after it and is built from that PTX, so
/// the front end runs once for both: `nvcc -cubin x.cu` is the front end, then ptxas on the
/// same PTX, so the cubin is the same bytes (`tests/fatbin_assembly.rs` holds it to `nvcc
/// -fatbin`). Paired jobs, the longer ones, go first.
fn jobs(units: &[Unit]) -> VecDeque<Vec<usize>> {
    let ptx_of = |u: &Unit| {
        units
            .iter()
            .position(|p| p.file == u.file && p.target.is_ptx() && p.target.arch == u.target.arch)
    };
    let mut paired = VecDeque::new();
    let mut taken = vec![false; units.len()];
    for (i, u) in units.iter().enumerate() {
        if u.target.is_ptx() {
            continue;
        }
        if let Some(p) = ptx_of(u) {
            if !taken[p] {
                taken[p] = true;
                taken[i] = true;
                paired.push_back(vec![p, i]);
            }
        }
    }
    let single = (0..units.len()).filter(|&i| !taken[i]).map(|i| vec![i]);
    paired.extend(single);
    paired
}

/// The order `nvcc -fatbin` puts images in: grouped by virtual architecture in order of
/// first appearance, each group's PTX before its SASS.
fn nvcc_image_order(ts: &[Target]) -> Vec<&Target> {
    let mut arches: Vec<&str> = Vec::new();
    for t in ts {
        if !arches.contains(&t.arch.as_str()) {
            arches.push(&t.arch);
        }
    }
    let mut out = Vec::new();
    for a in arches {
        out.extend(ts.iter().filter(|t| t.arch == a && t.is_ptx()));
        out.extend(ts.iter().filter(|t| t.arch == a && !t.is_ptx()));
    }
    out
}

/// The flags every kernel is compiled with.
const BASE_FLAGS: &[&str] = &["-O3", "-std=c++17"];

/// Compiles one (file, target) through the cache: `nvcc -cubin` (with the ptxas report) for
/// SASS, `nvcc -ptx` for PTX. `from_ptx`: the same file's PTX for the target's virtual
/// architecture, already compiled: then only ptxas runs on it (see [`jobs`]); the cache key,
/// a function of the source, is the same either way, as is the cubin.
fn compile_unit(
    tc: &Toolchain,
    cache: &Path,
    kernels_dir: &Path,
    headers: u64,
    src_path: &Path,
    target: &Target,
    from_ptx: Option<&Compiled>,
) -> Result<Compiled, String> {
    let src =
        std::fs::read(src_path).map_err(|e| format!("cannot read {}: {e}", src_path.display()))?;
    let mode: &[&str] = if target.is_ptx() {
        &["-ptx"]
    } else {
        &["-cubin", "-Xptxas", "-v"]
    };
    let mut h = Fnv::new();
    h.write(tc.bin.as_os_str().as_encoded_bytes());
    h.write(tc.release.as_bytes());
    for f in mode
        .iter()
        .chain(BASE_FLAGS)
        .map(|s| s.to_string())
        .chain([target.flag()])
    {
        h.write(f.as_bytes());
        h.write(&[0]);
    }
    h.write(&headers.to_le_bytes());
    h.write(&src);
    let ext = if target.is_ptx() { "ptx" } else { "cubin" };
    let key = format!(
        "{}-{}-{:016x}",
        file_name(src_path).trim_end_matches(".cu"),
        target.code,
        h.0
    );
    let out = cache.join(format!("{key}.{ext}"));
    let log = cache.join(format!("{key}.log"));
    let secs = cache.join(format!("{key}.secs"));
    if let (true, Ok(log_text)) = (out.is_file(), std::fs::read_to_string(&log)) {
        let seconds = std::fs::read_to_string(&secs)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0.0);
        return Ok(Compiled {
            path: out,
            target: target.clone(),
            seconds,
            cached: true,
            kernels: manifest::parse_ptxas_verbose(&log_text),
        });
    }
    // Unique per call: units of two builds may compile at once.
    static TMP: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = TMP.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = cache.join(format!("{key}.{}-{n}.tmp", std::process::id()));
    let input = from_ptx.map_or(src_path, |p| p.path.as_path());
    let t0 = Instant::now();
    let run = Command::new(&tc.bin)
        .args(mode)
        .args(BASE_FLAGS)
        .arg(target.flag())
        .arg("-I")
        .arg(kernels_dir)
        .arg(input)
        .arg("-o")
        .arg(&tmp)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", tc.bin.display()))?;
    // What this piece costs built alone: with the front end's share when that ran for the PTX.
    let seconds = t0.elapsed().as_secs_f64() + from_ptx.map_or(0.0, |p| p.seconds);
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    if !run.status.success() {
        let _ = std::fs::remove_file(&tmp);
        let shown: String = stderr
            .lines()
            .filter(|l| !l.starts_with("ptxas info") && !l.starts_with("    "))
            .collect::<Vec<_>>()
            .join("\n");
        return Err(format!(
            "{} {} {} {} {}\n{shown}",
            tc.bin.display(),
            mode.join(" "),
            BASE_FLAGS.join(" "),
            target.flag(),
            input.display()
        ));
    }
    let io = |e: std::io::Error| format!("cache write in {}: {e}", cache.display());
    std::fs::write(&log, &stderr).map_err(io)?;
    std::fs::write(&secs, format!("{seconds:.3}")).map_err(io)?;
    std::fs::rename(&tmp, &out).map_err(io)?;
    Ok(Compiled {
        path: out,
        target: target.clone(),
        seconds,
        cached: false,
        kernels: manifest::parse_ptxas_verbose(&stderr),
    })
}

/// Assembles one variant's fatbin of one file from its pieces (already in nvcc's order),
/// through the cache, with the `fatbinary` arguments `nvcc -fatbin -Xptxas -v` uses.
fn assemble(
    fatbinary: &Path,
    cache: &Path,
    src: &Path,
    pieces: &[&Compiled],
) -> Result<(PathBuf, FileBuild), String> {
    let args: Vec<String> = [
        "-64".to_string(),
        "--cmdline=-v  ".to_string(),
        "--cicc-cmdline=-ftz=0 -prec_div=1 -prec_sqrt=1 -fmad=1 ".to_string(),
    ]
    .into_iter()
    .chain(pieces.iter().map(|p| {
        format!(
            "--image3=kind={},sm={},file={}",
            if p.target.is_ptx() { "ptx" } else { "elf" },
            p.target.sm(),
            p.path.display()
        )
    }))
    .collect();
    let mut h = Fnv::new();
    for a in &args {
        h.write(a.as_bytes());
        h.write(&[0]);
    }
    let key = format!(
        "{}-fatbin-{:016x}",
        file_name(src).trim_end_matches(".cu"),
        h.0
    );
    let out = cache.join(format!("{key}.fatbin"));
    let all_cached = pieces.iter().all(|p| p.cached);
    let fb = |bytes: u64, assembled_before: bool| FileBuild {
        file: file_name(src),
        fatbin_bytes: bytes,
        // What compiling this variant's file alone would cost: the sum of its pieces.
        compile_seconds: pieces.iter().map(|p| p.seconds).sum(),
        cached: all_cached && assembled_before,
        kernels: pieces.iter().flat_map(|p| p.kernels.clone()).collect(),
    };
    if let Ok(meta) = out.metadata() {
        return Ok((out.clone(), fb(meta.len(), true)));
    }
    static TMP: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = TMP.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = cache.join(format!("{key}.{}-{n}.tmp", std::process::id()));
    let run = Command::new(fatbinary)
        .arg(format!("--create={}", tmp.display()))
        .args(&args)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", fatbinary.display()))?;
    if !run.status.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!(
            "{} {}\n{}",
            fatbinary.display(),
            args.join(" "),
            String::from_utf8_lossy(&run.stderr)
        ));
    }
    let io = |e: std::io::Error| format!("cache write in {}: {e}", cache.display());
    std::fs::rename(&tmp, &out).map_err(io)?;
    let bytes = out.metadata().map_err(io)?.len();
    Ok((out, fb(bytes, false)))
}

/// Embeds the manifest and the images (in order) into the crate: one container
/// (`archbench_core::embed`) linked as a static library (`build_support/embed_asm.rs`).
fn write_outputs(
    out_dir: &Path,
    m: &BuildManifest,
    images: &[(String, String, PathBuf)],
) -> Result<(), String> {
    let json = serde_json::to_string_pretty(m).map_err(|e| e.to_string())?;
    let bytes = images
        .iter()
        .map(|(_, _, path)| {
            std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let entries: Vec<(&str, &str, &[u8])> = images
        .iter()
        .zip(&bytes)
        .map(|((variant, file, _), b)| (variant.as_str(), file.as_str(), b.as_slice()))
        .collect();
    let container = embed::write(&json, &entries).map_err(|e| e.to_string())?;
    embed_asm::link_container(out_dir, &container)
}

/// FNV-1a, 64 bit: stable across Rust releases (unlike `DefaultHasher`).
struct Fnv(u64);
impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
