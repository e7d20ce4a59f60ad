//! `archbench advise`: which capabilities to build for a set of GPUs (see
//! `archbench_cli::advise`). GPUs come from `--gpu`, a fleet file, or the devices of results
//! files; speed evidence from results files; costs from compiling the kernels.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, Context};
use archbench::core::{Capability, DriverVersion};
use archbench::results::read::read_run;
use archbench_cli::advise::{self, candidates, compare, costs, Costs, Evidence, Gpu, Request};

use super::context::{default_cuda, Rules};
use super::{CudaArg, RulesArg};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A GPU to serve: its capability, optionally with its driver (`8.6`, `9.0@580.65.06`,
    /// `7.5@12.4`). Repeatable.
    #[arg(long = "gpu", value_name = "X.Y[@DRIVER]")]
    pub gpus: Vec<String>,
    /// Serve every target of a fleet file (`archbench fleet`'s TOML).
    #[arg(long, value_name = "FLEET.toml")]
    pub fleet: Option<PathBuf>,
    /// Serve the GPUs these results files ran on.
    #[arg(long = "from-results", value_name = "RESULTS", num_args = 1..)]
    pub from_results: Vec<PathBuf>,
    /// Future GPUs too: ship the PTX of a plain capability (forward compatibility).
    #[arg(long)]
    pub future: bool,
    /// Results files whose cases give measured speed: arch-specific gains, JIT costs.
    #[arg(long = "results", value_name = "RESULTS", num_args = 1..)]
    pub results: Vec<PathBuf>,
    /// Largest acceptable image size of the kernels, bytes.
    #[arg(long, value_name = "BYTES")]
    pub max_bytes: Option<u64>,
    /// Largest acceptable nvcc time of the kernels, seconds.
    #[arg(long, value_name = "SECONDS")]
    pub max_build_s: Option<f64>,
    /// No GPU may depend on the driver's JIT (its first load compiling PTX).
    #[arg(long)]
    pub no_jit: bool,
    /// The kernels to cost (a folder of .cu files; default: the built-in suite's).
    #[arg(long, value_name = "DIR")]
    pub kernels: Option<PathBuf>,
    /// `-I` folders for `--kernels` (default: the kernels' folder).
    #[arg(long = "include", value_name = "DIR")]
    pub includes: Vec<PathBuf>,
    /// A build to set the advice against: any spec archbench reads (`pkgsCuda`,
    /// `cudaPackages_12_8.pkgs`, `torch:8.0;8.6+PTX`, `cmake:80;90a`, a Nix config).
    /// Repeatable.
    #[arg(long = "compare", value_name = "SPEC")]
    pub compare: Vec<String>,
    /// How many configs to show.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    #[command(flatten)]
    pub cuda: CudaArg,
    #[command(flatten)]
    pub rules: RulesArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `8.6`, `9.0@580.65.06`, `7.5@12.4`.
fn parse_gpu(s: &str) -> anyhow::Result<Gpu> {
    let (cap, driver) = match s.split_once('@') {
        Some((c, d)) => (c, Some(d)),
        None => (s, None),
    };
    let capability: Capability = cap.trim().parse().map_err(|e| anyhow!("--gpu {s}: {e}"))?;
    let driver: Option<DriverVersion> = driver
        .map(|d| {
            d.trim()
                .parse()
                .map_err(|e| anyhow!("--gpu {s}: the driver after `@`: {e}"))
        })
        .transpose()?;
    Ok(Gpu {
        label: s.to_string(),
        capability,
        driver,
    })
}

fn gpus(a: &Args) -> anyhow::Result<Vec<Gpu>> {
    let mut out: Vec<Gpu> = a
        .gpus
        .iter()
        .map(|g| parse_gpu(g))
        .collect::<Result<_, _>>()?;
    if let Some(f) = &a.fleet {
        let fleet = archbench_cli::fleet::spec::Fleet::load(f)?;
        for t in &fleet.targets {
            out.push(Gpu {
                label: t.name.clone(),
                capability: t.capability,
                driver: match &t.driver {
                    Some(d) => Some(
                        d.parse()
                            .map_err(|e| anyhow!("{}: target `{}`: {e}", f.display(), t.name))?,
                    ),
                    None => None,
                },
            });
        }
    }
    for p in &a.from_results {
        let r = read_run(p)?;
        let capability: Capability = r
            .device
            .capability
            .parse()
            .map_err(|e| anyhow!("{}: {e}", p.display()))?;
        let driver = r
            .device
            .driver_release
            .as_deref()
            .and_then(|d| d.parse().ok());
        if !out
            .iter()
            .any(|g| g.capability == capability && g.driver == driver)
        {
            out.push(Gpu {
                label: r.device.name.clone(),
                capability,
                driver,
            });
        }
    }
    Ok(out)
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let rules = Rules::new(&a.rules)?;
    let gpus = gpus(&a)?;
    let req = Request {
        gpus,
        future: a.future,
        cuda: default_cuda(&a.cuda),
        rules: rules.validate_options(None),
        max_bytes: a.max_bytes,
        max_build_s: a.max_build_s,
        jit_ok: !a.no_jit,
        top: a.top,
    };
    let started = Instant::now();
    let cands = candidates::enumerate(&req.gpus, req.cuda, req.future, &req.rules)?;
    let enumerate_s = started.elapsed().as_secs_f64();
    if cands.is_empty() {
        // Says which GPU no config serves; nothing to compile.
        let nothing = Costs::given(Default::default(), "nothing to cost");
        advise::advise(&req, cands, &nothing, &Evidence::from_runs(&[]))?;
        return Ok(ExitCode::FAILURE);
    }
    let kernels = a
        .kernels
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("kernels"));
    let includes = if a.includes.is_empty() {
        vec![kernels.clone()]
    } else {
        a.includes.clone()
    };
    let mut compared_variants = Vec::new();
    for spec in &a.compare {
        for (v, findings) in compare::parse(spec, &req)? {
            compared_variants.push((spec.clone(), v, findings));
        }
    }
    let target_lists: Vec<Vec<String>> = cands
        .iter()
        .map(|c| costs::targets(&c.config))
        .chain(
            compared_variants
                .iter()
                .map(|(_, v, _)| costs::variant_targets(v)),
        )
        .collect();
    let n_targets = {
        let mut all: Vec<&String> = target_lists.iter().flatten().collect();
        all.sort();
        all.dedup();
        all.len()
    };
    eprintln!(
        "costing {n_targets} -gencode targets of {} config(s) with the kernels in {} (nvcc; cached units are free)…",
        target_lists.len(),
        kernels.display()
    );
    let costs = Costs::measure(&kernels, &includes, &target_lists)
        .with_context(|| format!("costing with the kernels in {}", kernels.display()))?;
    let runs = a
        .results
        .iter()
        .map(|p| read_run(p))
        .collect::<Result<Vec<_>, _>>()?;
    let evidence = Evidence::from_runs(&runs);
    let t = Instant::now();
    let mut advice = advise::advise(&req, cands, &costs, &evidence)?;
    for (spec, v, findings) in compared_variants {
        advice.compared.push(compare::compare(
            &spec, &v, findings, &req.gpus, &costs, &evidence,
        )?);
    }
    let rank_s = t.elapsed().as_secs_f64();
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&advice)?);
    } else {
        outln!(
            "advice for {} under CUDA {} and {}",
            req.gpus
                .iter()
                .map(|g| g.label.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            req.cuda,
            rules.describe()
        );
        out!("{}", advise::render(&advice, &req.gpus));
        outln!(
            "time: {:.3} s enumerating and predicting, {:.3} s ranking (the compile step is in `costs`)",
            enumerate_s,
            rank_s
        );
    }
    Ok(ExitCode::SUCCESS)
}
