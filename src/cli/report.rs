//! `archbench report RESULTS… [--out DIR] [--format md,html,svg,png] [--baseline FILE]`:
//! merge runs from several GPUs into markdown, HTML and charts.

use std::path::PathBuf;
use std::process::ExitCode;

use archbench::report::compare::{compare, same_device};
use archbench::report::merge::merge;
use archbench::report::output::{write, Formats};
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
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let formats = Formats::parse(&args.format)?;
    let mut runs = Vec::new();
    for p in &args.results {
        runs.push((p.display().to_string(), read_run(p)?));
    }
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
    let written = write(&merged, &comparisons, &args.out, formats)?;
    for p in written {
        outln!("{}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}
