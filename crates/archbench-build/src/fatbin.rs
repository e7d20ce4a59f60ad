//! Assembling a variant's fatbin of one image from its compiled pieces with `fatbinary`,
//! exactly as `nvcc -fatbin` does with the variant's `-gencode` flags: the same arguments,
//! the same image order ([`crate::plan::nvcc_image_order`]), so the result is byte-identical
//! (archbench's `tests/build/fatbin_assembly.rs` checks this against real nvcc).
//!
//! The two option strings nvcc hands `fatbinary` (`--cmdline`, the ptxas options, and
//! `--cicc-cmdline`, the front end's floating-point modes) depend on the flags: they are read
//! once per build from `nvcc -dryrun -fatbin` with the build's flags. With archbench's base
//! flags they are `-v  ` and `-ftz=0 -prec_div=1 -prec_sqrt=1 -fmad=1 `.

use std::path::{Path, PathBuf};
use std::process::Command;

use archbench_core::manifest::FileBuild;
use archbench_core::toolchain::Toolchain;

use crate::cache::Cache;
use crate::compile::{Compiled, BASE_FLAGS};
use crate::hash::StableHasher;
use crate::plan::{Image, Target};

/// What nvcc 13.0 passes with archbench's base flags and `-Xptxas -v`.
pub(crate) const DEFAULT_OPTIONS: (&str, &str) =
    ("-v  ", "-ftz=0 -prec_div=1 -prec_sqrt=1 -fmad=1 ");

/// The `--cmdline` and `--cicc-cmdline` values nvcc passes to `fatbinary` for these flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FatbinOptions {
    pub cmdline: String,
    pub cicc_cmdline: String,
}

impl FatbinOptions {
    /// Asks `nvcc -dryrun -fatbin` (no compile runs; ~15 ms). `None` when its output has no
    /// `fatbinary` line with both options (then the caller warns and uses the defaults).
    pub fn from_dryrun(
        tc: &Toolchain,
        root: &Path,
        target: &Target,
        extra: &[String],
    ) -> Option<Self> {
        let out = Command::new(&tc.bin)
            .current_dir(root)
            .arg("-dryrun")
            .arg("-fatbin")
            .args(BASE_FLAGS)
            .args(["-Xptxas", "-v"])
            .arg(target.flag())
            .args(extra)
            .args(["archbench-dryrun.cu", "-o", "archbench-dryrun.fatbin"])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stderr);
        parse_dryrun(&text)
    }

    pub fn defaults() -> Self {
        Self {
            cmdline: DEFAULT_OPTIONS.0.into(),
            cicc_cmdline: DEFAULT_OPTIONS.1.into(),
        }
    }
}

/// Reads the options from `nvcc -dryrun` output (`#$ fatbinary … --cmdline="-v  " …`).
fn parse_dryrun(text: &str) -> Option<FatbinOptions> {
    let line = text
        .lines()
        .find(|l| l.contains("fatbinary") && l.contains("--cmdline="))?;
    let value = |opt: &str| {
        let at = line.find(opt)? + opt.len();
        let rest = line.get(at..)?;
        match rest.strip_prefix('"') {
            Some(q) => q.split('"').next().map(str::to_string),
            None => rest.split_whitespace().next().map(str::to_string),
        }
    };
    Some(FatbinOptions {
        cmdline: value("--cmdline=")?,
        cicc_cmdline: value("--cicc-cmdline=")?,
    })
}

/// Assembles one variant's fatbin of one image from its pieces (already in nvcc's order),
/// through the cache. Returns the fatbin and its manifest entry.
pub(crate) fn assemble(
    tc: &Toolchain,
    opts: &FatbinOptions,
    cache: &Cache,
    image: &Image,
    pieces: &[&Compiled],
    name: &str,
) -> Result<(PathBuf, FileBuild), (String, String)> {
    let fatbinary = tc.bin.with_file_name("fatbinary");
    let args: Vec<String> = [
        "-64".to_string(),
        format!("--cmdline={}", opts.cmdline),
        format!("--cicc-cmdline={}", opts.cicc_cmdline),
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
    let mut h = StableHasher::new();
    h.field("archbench-build fatbin 1")
        .field(fatbinary.as_os_str().as_encoded_bytes())
        .field(&tc.release);
    for a in &args {
        h.field(a);
    }
    let out = cache.fatbin_path(name, &h.hex()[..24]);
    let all_cached = pieces.iter().all(|p| p.cached);
    let fb = |bytes: u64, assembled_before: bool| FileBuild {
        file: image.key.clone(),
        fatbin_bytes: bytes,
        // What compiling this variant's image alone would cost: the sum of its pieces.
        compile_seconds: pieces.iter().map(|p| p.seconds).sum(),
        cached: all_cached && assembled_before,
        kernels: pieces.iter().flat_map(|p| p.kernels.clone()).collect(),
    };
    if let Ok(meta) = out.metadata() {
        return Ok((out, fb(meta.len(), true)));
    }
    let tmp = Cache::tmp_for(&out);
    let command = format!(
        "{} --create={} {}",
        fatbinary.display(),
        tmp.display(),
        args.join(" ")
    );
    let run = Command::new(&fatbinary)
        .arg(format!("--create={}", tmp.display()))
        .args(&args)
        .output()
        .map_err(|e| (command.clone(), e.to_string()))?;
    if !run.status.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err((command, String::from_utf8_lossy(&run.stderr).into_owned()));
    }
    std::fs::rename(&tmp, &out)
        .map_err(|e| (command.clone(), format!("{}: {e}", out.display())))?;
    let bytes = out
        .metadata()
        .map_err(|e| (command, format!("{}: {e}", out.display())))?
        .len();
    Ok((out, fb(bytes, false)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nvcc_dryrun() {
        // Real nvcc 13.0 output, `-O3 -Xptxas -v -std=c++17` and then `--use_fast_math -Xptxas -O2`.
        let plain = "#$ fatbinary --create=\"x.fatbin\" -64 --cmdline=\"-v  \" --cicc-cmdline=\"-ftz=0 -prec_div=1 -prec_sqrt=1 -fmad=1 \" \"--image3=kind=ptx,sm=80,file=/tmp/a.ptx\"";
        assert_eq!(parse_dryrun(plain), Some(FatbinOptions::defaults()));
        let fast = "#$ cicc …\n#$ fatbinary --create=\"x.fatbin\" -64 --cmdline=\"-v -O2  \" --cicc-cmdline=\"-ftz=1 -prec_div=0 -prec_sqrt=0 -fmad=1 \" \"--image3=kind=elf,sm=80,file=/tmp/a.cubin\"";
        assert_eq!(
            parse_dryrun(fast),
            Some(FatbinOptions {
                cmdline: "-v -O2  ".into(),
                cicc_cmdline: "-ftz=1 -prec_div=0 -prec_sqrt=0 -fmad=1 ".into()
            })
        );
        assert_eq!(parse_dryrun("#$ cicc\n"), None);
    }
}
