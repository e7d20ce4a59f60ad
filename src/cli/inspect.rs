//! `archbench inspect`: list the images of CUDA binaries (cubin, fatbin, PTX, host ELF with
//! `.nv_fatbin`), extract them, or check them against a variant spec with `--expect`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use archbench::core::{db, spec, Capability, DriverVersion, Variant};
use archbench_inspect::{read, Binary, Image, ImageKind, Options};
use serde::Serialize;

use super::context::spec_context;
use super::CudaArg;

/// Appends a line to the output buffer (written once at the end, so a closed pipe is harmless).
macro_rules! w {
    ($o:expr, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($o, $($t)*);
    }};
}

/// Writes the buffered output; a reader that went away (`| head`) is not an error.
fn emit(s: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(s.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files to inspect: .cubin, .fatbin, .ptx, or a shared library / executable.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Only list images, like `cuobjdump --list-elf --list-ptx`: no decompression, no kernels.
    #[arg(long, conflicts_with_all = ["extract", "expect"])]
    pub list: bool,
    /// Write every image (decompressed) into DIR as `<file>.<n>.<arch>.<cubin|ptx|ltoir>`.
    #[arg(long, value_name = "DIR")]
    pub extract: Option<PathBuf>,
    /// Check the files against a variant spec (exit 1 with a diff when they do not match).
    #[arg(long, value_name = "SPEC")]
    pub expect: Option<String>,
    /// With --expect: the driver the binary must load on; PTX newer than it is a mismatch.
    #[arg(long, requires = "expect")]
    pub driver: Option<DriverVersion>,
    #[command(flatten)]
    pub cuda: CudaArg,
}

#[derive(Serialize)]
struct FileOut<'a> {
    file: String,
    #[serde(flatten)]
    binary: &'a Binary<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<Check>,
}

/// The result of `--expect`.
#[derive(Serialize, Default)]
struct Check {
    spec: String,
    matches: bool,
    missing_sass: Vec<String>,
    unexpected_sass: Vec<String>,
    missing_ptx: Vec<String>,
    unexpected_ptx: Vec<String>,
    ptx_too_new: Vec<String>,
    notes: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let variant = match &args.expect {
        Some(s) => Some(expected_variant(s, &args.cuda)?),
        None => None,
    };
    let opts = Options {
        decode: !args.list,
        keep_data: args.extract.is_some(),
        ..Options::default()
    };
    let mut ok = true;
    let mut json = Vec::new();
    let mut out = String::new();
    for path in &args.files {
        let bytes = archbench_inspect::file::open(path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        let bin = match read(&bytes, opts) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {}: {e}\n  help: {}", path.display(), e.help());
                ok = false;
                continue;
            }
        };
        if let Some(dir) = &args.extract {
            extract(path, &bin, dir)?;
        }
        let check = variant.as_ref().map(|v| check(&bin, v, args.driver));
        if let Some(c) = &check {
            ok &= c.matches;
        }
        if args.json {
            json.push(serde_json::to_value(FileOut {
                file: path.display().to_string(),
                binary: &bin,
                check,
            })?);
        } else {
            print_binary(&mut out, path, &bin, !args.list);
            if let Some(c) = &check {
                print_check(&mut out, c);
            }
        }
    }
    if args.json {
        w!(out, "{}", serde_json::to_string_pretty(&json)?);
    }
    emit(&out)?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn expected_variant(s: &str, cuda: &CudaArg) -> anyhow::Result<Variant> {
    let ctx = spec_context(cuda);
    let mut entries = spec::parse(s, &ctx);
    anyhow::ensure!(
        entries.len() == 1,
        "--expect takes one variant; `{s}` gives {}",
        entries.len()
    );
    let e = entries.remove(0);
    match e.variant {
        Some(v) => Ok(v),
        None => {
            let msgs: Vec<String> = e.diagnostics.iter().map(|d| d.to_string()).collect();
            anyhow::bail!("--expect `{s}` is not a valid spec: {}", msgs.join("; "))
        }
    }
}

/// `8.0 (a/f not recorded)` for standalone cubins whose suffix is unknown.
fn arch_label(i: &Image<'_>) -> String {
    let mut s = i.arch_name();
    if i.kind == ImageKind::Sass && !i.suffix_known {
        s.push('?');
    }
    s
}

fn print_binary(out: &mut String, path: &Path, bin: &Binary<'_>, decoded: bool) {
    w!(
        out,
        "{}: {:?}, {} module{}, {} image{}",
        path.display(),
        bin.format,
        bin.modules,
        if bin.modules == 1 { "" } else { "s" },
        bin.images.len(),
        if bin.images.len() == 1 { "" } else { "s" },
    );
    w!(
        out,
        "  {:>4} {:>6} {:<5} {:<14} {:<7} {:<6} {:>10} {:>10} {:>7}",
        "#",
        "module",
        "kind",
        "arch",
        "ptx-isa",
        "codec",
        "stored",
        "size",
        "kernels"
    );
    for (n, i) in bin.images.iter().enumerate() {
        w!(
            out,
            "  {:>4} {:>6} {:<5} {:<14} {:<7} {:<6} {:>10} {:>10} {:>7}",
            n,
            i.module,
            i.kind.as_str(),
            arch_label(i),
            i.ptx_isa.map_or("-".into(), |(a, b)| format!("{a}.{b}")),
            i.codec.map_or("-", |c| c.as_str()),
            i.stored_size,
            i.size,
            if decoded && i.kind != ImageKind::Lto {
                i.kernels.len().to_string()
            } else {
                "-".into()
            }
        );
        for k in &i.kernels {
            let mut extra = Vec::new();
            if let Some(r) = k.registers {
                extra.push(format!("regs={r}"));
            }
            if let Some(s) = k.shared_bytes {
                extra.push(format!("smem={s}"));
            }
            if let Some(s) = k.stack_bytes {
                extra.push(format!("stack={s}"));
            }
            w!(out, "         {} {}", k.name, extra.join(" ").trim_end());
        }
    }
    if bin
        .images
        .iter()
        .any(|i| i.kind == ImageKind::Sass && !i.suffix_known)
    {
        w!(
            out,
            "  (?: the file does not record whether this cubin is arch- or family-specific)"
        );
    }
}

fn extract(path: &Path, bin: &Binary<'_>, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let stem = path
        .file_name()
        .map_or("image".into(), |s| s.to_string_lossy().into_owned());
    let (mut n_elf, mut n_ptx, mut n_other) = (0, 0, 0);
    for i in &bin.images {
        let n = match i.kind {
            ImageKind::Sass => &mut n_elf,
            ImageKind::Ptx => &mut n_ptx,
            _ => &mut n_other,
        };
        *n += 1;
        let name = format!("{stem}.{n}.{}.{}", i.arch_name(), i.extension());
        let out = dir.join(&name);
        let data = i.data.as_deref().unwrap_or(&[]);
        std::fs::write(&out, data).with_context(|| format!("cannot write `{}`", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}

/// Compares the images with what the variant should produce.
fn check(bin: &Binary<'_>, v: &Variant, driver: Option<DriverVersion>) -> Check {
    let mut c = Check {
        spec: v.name.clone(),
        ..Check::default()
    };
    let of_kind = |k: ImageKind| -> Vec<&Image<'_>> {
        bin.images
            .iter()
            .filter(|i| i.kind == k && i.arch.is_some())
            .collect()
    };
    let same = |i: &Image<'_>, want: Capability| match i.arch {
        Some(a) if i.suffix_known => a == want,
        Some(a) => a.base() == want.base(),
        None => false,
    };
    let sass = of_kind(ImageKind::Sass);
    let ptx = of_kind(ImageKind::Ptx);
    for &w in &v.capabilities {
        if !sass.iter().any(|i| same(i, w)) {
            c.missing_sass.push(w.sm());
        }
    }
    for i in &sass {
        let name = arch_label(i);
        if !v.capabilities.iter().any(|&w| same(i, w)) && !c.unexpected_sass.contains(&name) {
            c.unexpected_sass.push(name);
        }
    }
    for &w in &v.ptx {
        if !ptx.iter().any(|i| same(i, w)) {
            c.missing_ptx.push(w.compute());
        }
    }
    for i in &ptx {
        let name = i.arch_name();
        if !v.ptx.iter().any(|&w| same(i, w)) && !c.unexpected_ptx.contains(&name) {
            c.unexpected_ptx.push(name);
        }
    }
    if v.ptx.is_empty() && !ptx.is_empty() {
        c.notes.push(
            "the variant has no forward compatibility (no PTX), but the binary carries PTX".into(),
        );
    }
    if !v.ptx.is_empty() && ptx.is_empty() {
        c.notes.push("the variant asks for forward compatibility (PTX), but the binary has none: newer GPUs get CUDA_ERROR_NO_BINARY_FOR_GPU".into());
    }
    let want_isa = db::release(v.cuda).map(|r| (u16::from(r.ptx_isa.0), u16::from(r.ptx_isa.1)));
    let max = driver.and_then(db::driver_max_ptx_isa);
    for i in &ptx {
        let Some(isa) = i.ptx_isa else { continue };
        if let Some((a, b)) = max {
            if isa > (u16::from(a), u16::from(b)) {
                c.ptx_too_new.push(format!(
                    "{} has PTX ISA {}.{}, driver {} JITs ≤ {a}.{b} (CUDA_ERROR_UNSUPPORTED_PTX_VERSION on GPUs without a cubin)",
                    i.arch_name(),
                    isa.0,
                    isa.1,
                    driver.map(|d| d.to_string()).unwrap_or_default()
                ));
            }
        }
        if let Some(w) = want_isa {
            if isa != w {
                c.notes.push(format!(
                    "{} has PTX ISA {}.{}; CUDA {} emits {}.{} (built with another CUDA?)",
                    i.arch_name(),
                    isa.0,
                    isa.1,
                    v.cuda,
                    w.0,
                    w.1
                ));
            }
        }
    }
    c.notes.dedup();
    c.matches = c.missing_sass.is_empty()
        && c.unexpected_sass.is_empty()
        && c.missing_ptx.is_empty()
        && c.unexpected_ptx.is_empty()
        && c.ptx_too_new.is_empty();
    c
}

fn print_check(out: &mut String, c: &Check) {
    if c.matches {
        w!(out, "  OK: matches `{}`", c.spec);
    } else {
        w!(out, "  MISMATCH against `{}`:", c.spec);
    }
    for s in &c.missing_sass {
        w!(out, "    - missing SASS {s}");
    }
    for s in &c.unexpected_sass {
        w!(out, "    + unexpected SASS {s}");
    }
    for s in &c.missing_ptx {
        w!(out, "    - missing PTX {s}");
    }
    for s in &c.unexpected_ptx {
        w!(out, "    + unexpected PTX {s}");
    }
    for s in &c.ptx_too_new {
        w!(out, "    ! {s}");
    }
    for s in &c.notes {
        w!(out, "    note: {s}");
    }
}
