//! `archbench compare NEW [BASELINE]`: timing verdicts, correctness and image changes of a
//! run against a baseline (picked from `results/` when not given). Exit 1 on a SLOWER
//! verdict beyond `--threshold` percent or a correctness failure; speedups never fail.

use std::path::PathBuf;
use std::process::ExitCode;

use archbench::report::baseline;
use archbench::report::compare::{self, compare, Comparison};
use archbench::report::verdict::Rule;
use archbench::results::read::read_run;
use serde::Serialize;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The new results file.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// The baseline results file (default: the newest matching one under --dir).
    #[arg(value_name = "BASELINE")]
    pub baseline: Option<PathBuf>,
    /// Fail only on slowdowns larger than this many percent (a finite number ≥ 0).
    #[arg(long, default_value_t = 5.0, value_parser = threshold)]
    pub threshold: f64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Where baselines live.
    #[arg(long, default_value = "results")]
    pub dir: PathBuf,
}

/// `--threshold`: NaN or ∞ would switch the regression gate off, a negative one would fail
/// unchanged runs.
fn threshold(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of percent"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!(
            "`{s}` is not a usable threshold: give a finite percentage ≥ 0 (e.g. 5)"
        ));
    }
    Ok(v)
}

#[derive(Serialize)]
struct JsonOut<'a> {
    new: &'a PathBuf,
    baseline: &'a PathBuf,
    threshold_pct: f64,
    failures: &'a [String],
    #[serde(flatten)]
    comparison: &'a Comparison,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let new = read_run(&args.new)?;
    let base_path = match &args.baseline {
        Some(p) => p.clone(),
        None => {
            let b = baseline::find_for(&new, &args.new, &args.dir)?;
            eprintln!(
                "baseline: {} ({}, {})",
                b.path.display(),
                b.device,
                b.started
            );
            b.path
        }
    };
    let base = read_run(&base_path)?;
    let cmp = compare(&base, &new, &Rule::default());
    if !cmp.same_device {
        eprintln!(
            "warning: comparing different GPUs ({} sm {} vs baseline {} sm {}): differences describe the hardware, not regressions; timing verdicts do not fail",
            cmp.new_device, cmp.new_capability, cmp.base_device, cmp.base_capability
        );
    }
    let failures = cmp.failures(args.threshold);
    if args.json {
        let out = JsonOut {
            new: &args.new,
            baseline: &base_path,
            threshold_pct: args.threshold,
            failures: &failures,
            comparison: &cmp,
        };
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_text(&cmp, &failures)?;
    }
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_text(cmp: &Comparison, failures: &[String]) -> anyhow::Result<()> {
    out!("{}", compare::text(cmp, failures));
    Ok(())
}
