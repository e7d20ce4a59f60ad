//! `archbench report RESULTS… [--out DIR] [--format md,html,svg,png] [--baseline FILE]
//! [--torch F] [--ncu F --kernels F [--ncu-variant V]] [--vendor F] [--device-info F]`:
//! merge runs from several GPUs into markdown, HTML and charts, with the device check's side
//! files (PyTorch, Nsight Compute, NVIDIA's libraries) beside the first run.

use std::path::PathBuf;
use std::process::ExitCode;

use archbench::report::compare::{compare, same_device};
use archbench::report::devcheck::{self, DeviceCheck};
use archbench::report::markdown::Extra;
use archbench::report::merge::merge;
use archbench::report::output::{write_with, Formats};
use archbench::report::verdict::Rule;
use archbench::results::read::read_run;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Results files (any number of GPUs and hosts).
    #[arg(value_name = "RESULTS", required = true)]
    pub results: Vec<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "report")]
    pub out: PathBuf,
    /// Comma-separated subset of md, html, svg, png.
    #[arg(long, default_value = "md,html,svg,png")]
    pub format: String,
    /// Compare with this baseline: every run on the same GPU model (all runs if none is)
    /// gets a regression table and a chart of changes with intervals.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// The device check's PyTorch timings (`torch_side.py --out`), compared case by case
    /// with the first RESULTS file.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Device check (beside the first RESULTS)"
    )]
    pub torch: Option<PathBuf>,
    /// Nsight Compute's durations of archbench's launches
    /// (`ncu --csv --page raw --metrics gpu__time_duration.sum`); needs --kernels.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Device check (beside the first RESULTS)"
    )]
    pub ncu: Option<PathBuf>,
    /// The variant ncu profiled [default: the GPU's native build, pkgsForCudaArch.sm_XX].
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Device check (beside the first RESULTS)"
    )]
    pub ncu_variant: Option<String>,
    /// `archbench kernels --json` of the binary that ran (maps ncu's launches to cases).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Device check (beside the first RESULTS)"
    )]
    pub kernels: Option<PathBuf>,
    /// `vendor_side.cu` output: CUB/NPP timings and same-size copies.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Device check (beside the first RESULTS)"
    )]
    pub vendor: Option<PathBuf>,
    /// A text file shown verbatim (e.g. `nvidia-smi` output).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Device check (beside the first RESULTS)"
    )]
    pub device_info: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let formats = Formats::parse(&args.format)?;
    let mut runs = Vec::new();
    for p in &args.results {
        runs.push((p.display().to_string(), read_run(p)?));
    }
    let check = DeviceCheck {
        torch: args.torch,
        ncu: args.ncu,
        ncu_variant: args.ncu_variant,
        kernels: args.kernels,
        vendor: args.vendor,
        device_info: args.device_info,
    };
    let extra = match (check.is_empty(), runs.first()) {
        (false, Some((_, first))) => {
            let r = devcheck::render(first, &args.results[0], &check);
            Extra {
                title: Some(r.title),
                sections: r.markdown,
            }
        }
        _ => Extra::default(),
    };
    let merged = merge(runs);
    let mut comparisons = Vec::new();
    if let Some(bp) = &args.baseline {
        let base = read_run(bp)?;
        let matching: Vec<_> = merged
            .gpus
            .iter()
            .filter(|g| same_device(&g.run.device, &base.device))
            .collect();
        let targets = if matching.is_empty() {
            eprintln!(
                "warning: no run is on the baseline's GPU ({}); comparing across GPUs, which shows hardware differences, not regressions",
                base.device.name
            );
            merged.gpus.iter().collect()
        } else {
            matching
        };
        for g in targets {
            comparisons.push(compare(&base, &g.run, &Rule::default()));
        }
    }
    let written = write_with(&merged, &comparisons, &args.out, formats, &extra)?;
    for p in written {
        outln!("{}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}
