//! `archbench inspect`: list the modules and images of CUDA binaries (cubin, fatbin, PTX, host
//! ELF: `.nv_fatbin`, relocatable `__nv_relfatbin`, fatbins embedded in other sections),
//! extract them with cuobjdump's file names, or check them against a variant spec (`--expect`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use archbench::core::{spec, DriverVersion, Variant};
use archbench_inspect::check::{arch_label, check, Check};
use archbench_inspect::{payload, read_with, Binary, ImageKind, ModuleKind, Options};
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
    /// Write every image (decompressed) into DIR with cuobjdump's names: `<stem>.<n>.<sm_XY>.cubin`
    /// and `.ptx` (numbered as `cuobjdump -all -xelf all -xptx all` numbers them), embedded
    /// ones as `<stem>.<section>.<n>.<sm_XY>.<cubin|ptx>`, LTO-IR as `.ltoir`.
    #[arg(long, value_name = "DIR")]
    pub extract: Option<PathBuf>,
    /// Check the files against a variant spec (exit 1 with a diff when they do not match).
    #[arg(long, value_name = "SPEC")]
    pub expect: Option<String>,
    /// With --expect: the driver the binary must load on; PTX newer than it is a mismatch.
    #[arg(long, requires = "expect")]
    pub driver: Option<DriverVersion>,
    /// Kernel names as the binary has them (default: demangled, long templates folded).
    #[arg(long)]
    pub mangled: bool,
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

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let variant = match &args.expect {
        Some(s) => Some(expected_variant(s, &args.cuda)?),
        None => None,
    };
    let opts = Options {
        decode: !args.list,
        ..Options::default()
    };
    let mut ok = true;
    let mut json_files = 0usize;
    let mut out = String::new();
    for path in &args.files {
        let bytes = archbench_inspect::file::open(path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        let bin = match read_with(&bytes, opts, &|r| bytes.release(r)) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {}: {e}\n  help: {}", path.display(), e.help());
                ok = false;
                continue;
            }
        };
        if let Some(dir) = &args.extract {
            extract(path, &bytes, &bin, dir)?;
        }
        let check = variant.as_ref().map(|v| check(&bin, v, args.driver));
        if let Some(c) = &check {
            ok &= c.matches;
        }
        if args.json {
            // Serialised straight into the output (no intermediate `Value` tree: cuBLASLt's
            // JSON is ~19 MB), as one element of the top-level array.
            let one = serde_json::to_string_pretty(&FileOut {
                file: path.display().to_string(),
                binary: &bin,
                check,
            })?;
            out.push_str(if json_files == 0 { "[\n" } else { ",\n" });
            for (n, line) in one.lines().enumerate() {
                if n > 0 {
                    out.push('\n');
                }
                out.push_str("  ");
                out.push_str(line);
            }
            json_files += 1;
        } else {
            print_binary(&mut out, path, &bin, !args.list, args.mangled);
            if let Some(c) = &check {
                print_check(&mut out, c);
            }
        }
    }
    if args.json {
        out.push_str(if json_files == 0 { "[]\n" } else { "\n]\n" });
    }
    out!("{out}");
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

/// `3 modules (1 loadable, 2 relocatable)`.
fn module_counts(bin: &Binary<'_>) -> String {
    let n = bin.modules.len();
    let mut parts = Vec::new();
    for k in [
        ModuleKind::Loadable,
        ModuleKind::Relocatable,
        ModuleKind::Embedded,
    ] {
        let c = bin.modules.iter().filter(|m| m.kind == k).count();
        if c > 0 && c < n || (c == n && k != ModuleKind::Loadable) {
            parts.push(format!("{c} {}", k.as_str()));
        }
    }
    let mut s = format!("{n} module{}", if n == 1 { "" } else { "s" });
    if !parts.is_empty() {
        s.push_str(&format!(" ({})", parts.join(", ")));
    }
    s
}

/// What a module is, in words, for its header line.
fn module_line(bin: &Binary<'_>, m: usize) -> Option<String> {
    let md = bin.modules.get(m)?;
    let section = md.section.as_deref()?;
    let what = match md.kind {
        ModuleKind::Loadable => "loaded by the CUDA runtime".to_string(),
        ModuleKind::Relocatable => {
            "relocatable: nvlink input for -rdc linking, never loaded by the driver".to_string()
        }
        ModuleKind::Embedded => {
            format!("embedded in section {section}, loaded by the library itself")
        }
    };
    Some(format!(
        "  module {m}: {section} at {:#x}, {} bytes ({what})",
        md.offset, md.size
    ))
}

fn print_binary(out: &mut String, path: &Path, bin: &Binary<'_>, decoded: bool, mangled: bool) {
    w!(
        out,
        "{}: {:?}, {}, {} image{}",
        path.display(),
        bin.format,
        module_counts(bin),
        bin.images.len(),
        if bin.images.len() == 1 { "" } else { "s" },
    );
    if let Some(h) = &bin.host {
        let mut line = format!("  host: {}", h.machine_name);
        if let Some(rt) = &h.cudart {
            line.push_str(&format!(", links {rt}"));
        }
        w!(out, "{line}");
    }
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
    let mut last_module = usize::MAX;
    for (n, i) in bin.images.iter().enumerate() {
        if i.module != last_module {
            last_module = i.module;
            if let Some(l) = module_line(bin, i.module) {
                w!(out, "{l}");
            }
        }
        let kernels = if i.obfuscated {
            "obfusc.".to_string()
        } else if decoded && i.kind != ImageKind::Lto {
            i.kernels.len().to_string()
        } else {
            "-".into()
        };
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
            kernels
        );
        for warning in &i.warnings {
            w!(out, "         ! {warning}");
        }
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
            w!(
                out,
                "         {} {}",
                super::kernel_name(&k.name, mangled, 100),
                extra.join(" ").trim_end()
            );
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
    let obfuscated = bin.images.iter().filter(|i| i.obfuscated).count();
    if obfuscated > 0 {
        w!(
            out,
            "  ({obfuscated} obfuscated LTO-IR entr{}: NVIDIA's nvJitLink input, which only its key decrypts; cuobjdump says \"Can't deobfuscate entry\")",
            if obfuscated == 1 { "y" } else { "ies" }
        );
    }
}

/// cuobjdump's stem: the file name without its last extension (`libcurand.so.10` →
/// `libcurand.so`, `k.fatbin` → `k`).
fn stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map_or("image".into(), |s| s.to_string_lossy().into_owned());
    match name.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() => s.to_string(),
        _ => name,
    }
}

/// Writes every image into `dir` with cuobjdump's names and numbering, one summary line on
/// stderr.
fn extract(path: &Path, bytes: &[u8], bin: &Binary<'_>, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let stem = stem(path);
    // Counters per (embedded?, kind): cuobjdump numbers ELF and PTX files separately.
    let mut counters: std::collections::HashMap<(bool, ImageKind), usize> = Default::default();
    let (mut written, mut bytes_out, mut skipped) = (0usize, 0u64, 0usize);
    for i in &bin.images {
        if i.obfuscated {
            skipped += 1;
            continue;
        }
        let Some(md) = bin.modules.get(i.module) else {
            continue;
        };
        let embedded = md.kind == ModuleKind::Embedded;
        let n = counters.entry((embedded, i.kind)).or_insert(0);
        *n += 1;
        let arch = match i.kind {
            ImageKind::Lto => i.arch_name(),
            _ => i.cuobjdump_arch(),
        };
        let name = match (&md.section, embedded) {
            (Some(sec), true) => format!(
                "{stem}.{}.{n}.{arch}.{}",
                sec.trim_start_matches('.'),
                i.extension()
            ),
            _ => format!("{stem}.{n}.{arch}.{}", i.extension()),
        };
        let data = payload(bytes, i, Options::default().limit)
            .with_context(|| format!("cannot decode image {name}"))?;
        let out = dir.join(&name);
        std::fs::write(&out, &data).with_context(|| format!("cannot write `{}`", out.display()))?;
        written += 1;
        bytes_out += data.len() as u64;
    }
    let mut line = format!(
        "extracted {written} image{} ({bytes_out} bytes) from {} into {}",
        if written == 1 { "" } else { "s" },
        path.display(),
        dir.display()
    );
    if skipped > 0 {
        line.push_str(&format!("; skipped {skipped} obfuscated LTO-IR entries"));
    }
    eprintln!("{line}");
    Ok(())
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
