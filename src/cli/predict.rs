//! `archbench predict`: which image the driver loads on a GPU, for binaries on disk and for
//! variant specs, with the rule that decided it and notes where NVIDIA leaves it undocumented.
//! Each file starts with a summary line; its exit status is per kernel name (every kernel has
//! an image that loads), or per module with `--all-modules`.

use std::path::Path;
use std::process::ExitCode;

use archbench::core::{spec, Capability, CudaVersion, DriverVersion};
use archbench_inspect::predict::{predict_setup, predict_variant, Prediction, Setup};
use archbench_inspect::{read_with, Options};
use serde::Serialize;

use super::context::{spec_context, Rules};
use super::{CudaArg, RulesArg};

/// Appends a line to the output buffer (written once at the end, so a closed pipe is harmless).
macro_rules! w {
    ($o:expr, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($o, $($t)*);
    }};
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The GPU's compute capability (`8.9`, `9.0`, `12.0`).
    #[arg(long, value_name = "X.Y")]
    pub gpu: Capability,
    /// The driver: a Linux driver (`575.51.03`) or the CUDA version it supports (`12.9`).
    /// Without it, every PTX ISA is assumed JIT-able.
    #[arg(long)]
    pub driver: Option<DriverVersion>,
    /// The CUDA version of an installed forward-compatibility package (`cuda-compat`): it lets
    /// an older driver run that CUDA's runtime and JIT its PTX.
    #[arg(long, value_name = "X.Y", requires = "driver")]
    pub compat: Option<CudaVersion>,
    /// Exit 1 unless every module loads (default: unless every kernel name has an image that
    /// loads, which is what a library that picks its module at run time needs).
    #[arg(long)]
    pub all_modules: bool,
    #[command(flatten)]
    pub cuda: CudaArg,
    #[command(flatten)]
    pub rules: RulesArg,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Kernel names as the binary has them (default: demangled, long templates folded).
    #[arg(long)]
    pub mangled: bool,
    /// Files (anything that exists on disk) or variant specs.
    #[arg(required = true, value_name = "SPEC|FILE")]
    pub inputs: Vec<String>,
}

#[derive(Serialize)]
struct Out {
    input: String,
    #[serde(flatten)]
    prediction: Prediction,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rules = Rules::new(&args.rules)?;
    let mut ok = true;
    let mut outs = Vec::new();
    let mut ctx = None;
    for input in &args.inputs {
        let path = Path::new(input);
        if path.exists() {
            let bytes = match archbench_inspect::file::open(path) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("error: cannot read `{input}`: {e}");
                    ok = false;
                    continue;
                }
            };
            let setup = Setup {
                gpu: args.gpu,
                driver: args.driver,
                compat: args.compat,
            };
            let read = read_with(&bytes, Options::default(), &|r| bytes.release(r));
            match read.map(|bin| predict_setup(&bin, &setup)) {
                Ok(p) => outs.push(Out {
                    input: input.clone(),
                    prediction: p,
                }),
                Err(e) => {
                    eprintln!("error: {input}: {e}\n  help: {}", e.help());
                    ok = false;
                }
            }
            continue;
        }
        let ctx = ctx.get_or_insert_with(|| spec_context(&args.cuda));
        for entry in spec::parse_with(input, ctx, &rules.config) {
            if let Some(v) = &entry.variant {
                let errors: Vec<String> =
                    archbench::core::validate::validate(v, &rules.validate_options(args.driver))
                        .into_iter()
                        .filter(|d| d.is_error())
                        .map(|d| d.to_string())
                        .collect();
                if !errors.is_empty() {
                    eprintln!(
                        "warning: `{input}` is not a valid variant under {} (predicted anyway):\n  {}",
                        rules.describe(),
                        errors.join("\n  ")
                    );
                }
            }
            match entry.variant {
                Some(v) => outs.push(Out {
                    input: input.clone(),
                    prediction: predict_variant(&v, args.gpu, args.driver),
                }),
                None => {
                    let msgs: Vec<String> =
                        entry.diagnostics.iter().map(|d| d.to_string()).collect();
                    eprintln!(
                        "error: `{input}` is neither a file nor a valid spec: {}",
                        msgs.join("; ")
                    );
                    ok = false;
                }
            }
        }
    }
    for o in &outs {
        ok &= o.prediction.ok(args.all_modules);
    }
    let mut out = String::new();
    if args.json {
        w!(out, "{}", serde_json::to_string_pretty(&outs)?);
    } else {
        for o in &outs {
            print_text(&mut out, o, args.all_modules, args.mangled);
        }
    }
    out!("{out}");
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_text(out: &mut String, o: &Out, all_modules: bool, mangled: bool) {
    let p = &o.prediction;
    let driver = match (&p.driver, &p.driver_max_ptx_isa) {
        (Some(d), Some(isa)) => format!("driver {d}, PTX ISA ≤ {isa}"),
        (Some(d), None) => format!("driver {d}"),
        _ => "driver not given".into(),
    };
    w!(out, "{} on GPU {} ({driver}):", o.input, p.gpu);
    w!(out, "  {}", p.summary(all_modules));
    for b in &p.blockers {
        match b.code {
            Some(c) => w!(out, "  blocked: error {c} {}: {}", b.name, b.reason),
            None => w!(out, "  blocked: {}: {}", b.name, b.reason),
        }
    }
    for n in &p.notes {
        w!(out, "  note: {n}");
    }
    if let Some(k) = &p.kernels {
        if !k.missing.is_empty() {
            let shown: Vec<String> = k
                .missing
                .iter()
                .take(10)
                .map(|n| super::kernel_name(n, mangled, 80))
                .collect();
            let more = k.missing.len().saturating_sub(shown.len());
            w!(
                out,
                "  kernels without a loadable image: {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" … and {more} more (--json lists all)")
                } else {
                    String::new()
                }
            );
        }
    }
    if !p.relocatable.is_empty() {
        w!(
            out,
            "  {} relocatable module{} (__nv_relfatbin: nvlink input, never loaded by the driver) not predicted",
            p.relocatable.len(),
            if p.relocatable.len() == 1 { "" } else { "s" }
        );
    }
    // Modules with the same verdict are grouped: libraries have thousands of fatbins.
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, m) in p.modules.iter().enumerate() {
        let key = format!("{}|{}", m.verdict.summary(), m.verdict.reason);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    for (_, members) in &groups {
        let m = &p.modules[members[0]];
        let v = &m.verdict;
        let who = if members.len() == 1 {
            m.module.clone()
        } else {
            format!("{} modules", members.len())
        };
        w!(out, "  {who}: {}", v.summary());
        w!(out, "    rule: {}", v.reason);
        if let Some(a) = &v.ambiguity {
            w!(out, "    ambiguity: {a}");
        }
        for n in &v.notes {
            w!(out, "    note: {n}");
        }
        let kernels: usize = members.iter().map(|&i| p.modules[i].kernels.len()).sum();
        if kernels > 0 && kernels <= 20 {
            let names: Vec<String> = members
                .iter()
                .flat_map(|&i| p.modules[i].kernels.iter())
                .map(|n| super::kernel_name(n, mangled, 80))
                .collect();
            w!(out, "    kernels: {}", names.join(", "));
        } else if kernels > 20 {
            w!(out, "    kernels: {kernels} (use --json for the list)");
        }
    }
}
