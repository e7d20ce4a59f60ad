//! Compiling one unit (an image for one `-gencode` target) through the cache: `nvcc -cubin
//! -Xptxas -v` for a SASS target, `nvcc -ptx` for a PTX one, run from the crate root with the
//! crate's paths relative to it, with `-MD -MF` so the cache learns every file the unit read
//! (cheaper than a separate `nvcc -M` pass, which preprocesses everything a second time:
//! `scripts/benchmarks/build-crate.sh` measures both). A SASS unit whose PTX sibling was just
//! compiled is built from that PTX by ptxas alone.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use archbench_core::manifest::{self, PtxasKernel};
use archbench_core::toolchain::Toolchain;

use crate::cache::{Cache, Entry};
use crate::deps::{self, Dep, DepRules};
use crate::env::BuildEnv;
use crate::error::{BuildError, CompileFailure, CompilerMessage};
use crate::hash::StableHasher;
use crate::nvcc_output;
use crate::plan::{Image, Target};

/// The flags every unit is compiled with (as archbench's own build always has).
pub const BASE_FLAGS: &[&str] = &["-O3", "-std=c++17"];

/// Flags that put the source's location into the output (line tables, debug info): with one
/// of them the crate's absolute path joins the cache key.
const LOCATION_FLAGS: &[&str] = &[
    "-G",
    "-g",
    "-lineinfo",
    "--generate-line-info",
    "--device-debug",
    "--debug",
];

/// What every unit of a build shares.
pub(crate) struct Ctx<'a> {
    pub env: &'a BuildEnv,
    pub tc: &'a Toolchain,
    pub cache: &'a Cache,
    pub rules: DepRules,
    /// `-I DIR` pairs, then the build's `-DNAME=VALUE`s.
    pub include_define_args: Vec<String>,
    /// The extra arguments alone (for SASS built from PTX, where -I/-D mean nothing).
    pub extra_args: Vec<String>,
    /// Where results go that cannot be cached (their inputs changed while nvcc ran).
    pub scratch: PathBuf,
}

/// A compiled piece: a cubin or a PTX file, with what nvcc reported.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub path: PathBuf,
    pub target: Target,
    /// nvcc's wall time (of the build that compiled it, when cached).
    pub seconds: f64,
    pub cached: bool,
    /// The ptxas report (SASS only).
    pub kernels: Vec<PtxasKernel>,
    /// The `__global__` entries.
    pub entries: Vec<String>,
    pub deps: Vec<Dep>,
    /// When this unit began (before its source was read): inputs modified later make a
    /// fresh result uncacheable.
    pub started: SystemTime,
}

fn mode(target: &Target) -> &'static [&'static str] {
    if target.is_ptx() {
        &["-ptx"]
    } else {
        &["-cubin", "-Xptxas", "-v"]
    }
}

/// The arguments of a unit besides input, output and dependency file.
fn unit_args(ctx: &Ctx<'_>, image: &Image, target: &Target) -> Vec<String> {
    let mut a: Vec<String> = mode(target)
        .iter()
        .chain(BASE_FLAGS)
        .map(|s| s.to_string())
        .collect();
    a.push(target.flag());
    // `-I` and `-D` come before the extra arguments; axis `-D`s last of the `-D`s.
    a.extend(ctx.include_define_args.iter().cloned());
    a.extend(image.axes.iter().map(|(n, v)| format!("-D{n}={v}")));
    a.extend(ctx.extra_args.iter().cloned());
    a
}

/// The cache key of a unit: everything that decides its output besides included files.
fn key(ctx: &Ctx<'_>, args: &[String], image: &Image, src: &[u8]) -> String {
    let mut h = StableHasher::new();
    h.field("archbench-build unit 1")
        .field(ctx.tc.bin.as_os_str().as_encoded_bytes())
        .field(&ctx.tc.release);
    for a in args {
        h.field(a);
    }
    h.field(image.source.as_os_str().as_encoded_bytes())
        .field(src);
    if args.iter().any(|a| LOCATION_FLAGS.contains(&a.as_str())) {
        h.field(ctx.env.manifest_dir().as_os_str().as_encoded_bytes());
    }
    h.hex()
}

/// A file-name-safe stem for cache names: `tile-TILE=32` → `tile_TILE_32`.
fn cache_name(image: &Image, target: &Target) -> String {
    let stem: String = image
        .key
        .trim_end_matches(']')
        .replace(".cu[", "-")
        .replace(".cu", "")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    format!("{stem}-{}", target.code)
}

/// The command line as a user can paste it (from the crate root).
fn shown(bin: &Path, args: &[String], input: &Path) -> String {
    let quote = |s: &str| {
        if s.chars()
            .any(|c| c.is_whitespace() || "\"'$;&|<>()".contains(c))
        {
            format!("'{}'", s.replace('\'', "'\\''"))
        } else {
            s.to_string()
        }
    };
    let mut parts = vec![quote(&bin.display().to_string())];
    parts.extend(args.iter().map(|a| quote(a)));
    parts.push(quote(&input.display().to_string()));
    parts.join(" ")
}

/// Compiles one unit through the cache. `from_ptx`: the same image's PTX for the target's
/// virtual architecture, already compiled: then only ptxas runs on it; the key (a function of
/// the source) and the cubin are the same either way.
pub(crate) fn compile_unit(
    ctx: &Ctx<'_>,
    image: &Image,
    target: &Target,
    from_ptx: Option<&Compiled>,
    variants: &[String],
) -> Result<Compiled, BuildError> {
    // Before the source is read: any later edit is caught below. A SASS unit built from its
    // PTX sibling dates from the sibling, whose source it compiles.
    let started = from_ptx.map_or_else(SystemTime::now, |p| p.started);
    let root = ctx.env.manifest_dir();
    let src_abs = root.join(&image.source);
    let src = std::fs::read(&src_abs).map_err(|e| BuildError::io(&src_abs, e))?;
    let args = unit_args(ctx, image, target);
    let key = key(ctx, &args, image, &src);
    let name = cache_name(image, target);
    let ext = if target.is_ptx() { "ptx" } else { "cubin" };
    let done = |path: PathBuf, e: Entry, cached: bool| Compiled {
        path,
        target: target.clone(),
        seconds: e.seconds,
        cached,
        kernels: manifest::parse_ptxas_verbose(&e.log),
        entries: e.kernels,
        deps: e.deps,
        started,
    };
    if let Some(hit) = ctx.cache.lookup(&name, &key) {
        return Ok(done(ctx.cache.object_path(&hit.object), hit, true));
    }

    let placeholder = ctx.cache.object_path(&format!("{name}-{key}.{ext}"));
    let tmp = Cache::tmp_for(&placeholder);
    let dep_file = Cache::tmp_for(&placeholder.with_extension("d"));
    let mut cmd = Command::new(&ctx.tc.bin);
    cmd.current_dir(root);
    let (input, run_args): (PathBuf, Vec<String>) = match from_ptx {
        Some(p) => {
            let mut a: Vec<String> = mode(target)
                .iter()
                .chain(BASE_FLAGS)
                .map(|s| s.to_string())
                .collect();
            a.push(target.flag());
            a.extend(ctx.extra_args.iter().cloned());
            (p.path.clone(), a)
        }
        None => (image.source.clone(), args.clone()),
    };
    cmd.args(&run_args).arg(&input).arg("-o").arg(&tmp);
    if from_ptx.is_none() {
        cmd.arg("-MD").arg("-MF").arg(&dep_file);
    }
    let t0 = Instant::now();
    let run = cmd.output().map_err(|e| BuildError::Spawn {
        tool: ctx.tc.bin.clone(),
        source: e,
    })?;
    // What this piece costs alone: with the front end's share when that ran for the PTX.
    let seconds = t0.elapsed().as_secs_f64() + from_ptx.map_or(0.0, |p| p.seconds);
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    let dep_text = std::fs::read_to_string(&dep_file).unwrap_or_default();
    let _ = std::fs::remove_file(&dep_file);
    if !run.status.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err(failure(
            image,
            target,
            variants,
            &stderr,
            &run.stdout,
            &format!("{} -o /dev/null", shown(&ctx.tc.bin, &run_args, &input)),
        ));
    }
    let deps = match from_ptx {
        Some(p) => p.deps.clone(),
        None => deps::record(&dep_text, &image.source, &ctx.rules, root, &ctx.cache.memo),
    };
    let kernels = if target.is_ptx() {
        let text = std::fs::read_to_string(&tmp).map_err(|e| BuildError::io(&tmp, e))?;
        nvcc_output::ptx_entries(&text)
    } else {
        nvcc_output::ptxas_entries(&stderr)
    };
    let entry = Entry {
        object: Cache::object_name(&name, &key, &deps, ext),
        deps,
        seconds,
        log: stderr,
        kernels,
    };
    // Without nvcc's dependency list the entry could not notice a header edit: such a result
    // (and one whose inputs changed while nvcc ran) is used now and not recorded.
    let deps_unknown = from_ptx.is_none() && deps::parse_make_deps(&dep_text).is_empty();
    if deps_unknown {
        ctx.env.warning(&format!(
            "archbench-build: nvcc wrote no dependency list for {} ({}); it is not cached",
            image.key, target.code
        ));
    }
    if deps_unknown || changed_since(root, &image.source, &entry.deps, started) {
        let keep = ctx.scratch.join(&entry.object);
        std::fs::create_dir_all(&ctx.scratch).map_err(|e| BuildError::io(&ctx.scratch, e))?;
        std::fs::rename(&tmp, &keep).map_err(|e| BuildError::io(&keep, e))?;
        return Ok(done(keep, entry, false));
    }
    let path = ctx.cache.store(&name, &key, &tmp, entry.clone())?;
    Ok(done(path, entry, false))
}

/// Whether the source or a dependency was modified after `since`.
fn changed_since(root: &Path, source: &Path, deps: &[Dep], since: SystemTime) -> bool {
    std::iter::once(source)
        .chain(deps.iter().map(|d| Path::new(&d.path)))
        .any(|p| {
            std::fs::metadata(root.join(p))
                .and_then(|m| m.modified())
                .is_ok_and(|t| t > since)
        })
}

/// A failed unit as a [`BuildError::Compile`].
fn failure(
    image: &Image,
    target: &Target,
    variants: &[String],
    stderr: &str,
    stdout: &[u8],
    command: &str,
) -> BuildError {
    let all: Vec<CompilerMessage> = nvcc_output::errors(stderr);
    let text = format!("{}{stderr}", String::from_utf8_lossy(stdout));
    let tail: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("ptxas info") && !l.trim().is_empty())
        .collect();
    let tail = tail[tail.len().saturating_sub(12)..].join("\n");
    BuildError::Compile(Box::new(CompileFailure {
        source_file: image.source_display(),
        key: image.key.clone(),
        target: target.code.clone(),
        variants: variants.to_vec(),
        error_count: all.len(),
        errors: all.into_iter().take(CompileFailure::SHOWN).collect(),
        output_tail: tail,
        command: command.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_names_are_file_safe() {
        let img = Image {
            source: "kernels/tile.cu".into(),
            axes: vec![("TILE".into(), "32".into())],
            key: "tile.cu[TILE=32]".into(),
        };
        let t = Target {
            arch: "compute_90a".into(),
            code: "sm_90a".into(),
        };
        assert_eq!(cache_name(&img, &t), "tile-TILE_32-sm_90a");
        assert_eq!(
            shown(
                Path::new("/x/nvcc"),
                &["-DA=1".into(), "a b".into()],
                Path::new("k.cu")
            ),
            "/x/nvcc -DA=1 'a b' k.cu"
        );
    }
}
