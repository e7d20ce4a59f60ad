//! `archbench run` and the hidden `archbench __worker`.

use std::path::PathBuf;
use std::process::ExitCode;

use archbench::core::{Capability, DriverVersion};
use archbench::measure::StopRule;
use archbench::results::schema::Mode;
use archbench::run::orchestrate::{self, Outcome, RunOptions};
use archbench::run::protocol::WorkerTask;
use archbench::run::{summary, Plan, PlanOptions};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Embedded variants to run (default: all); `archbench build-info` lists them.
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Kernels to run, by regex on the name (default: all).
    #[arg(long = "kernel", value_name = "REGEX")]
    pub kernels: Vec<String>,
    /// Small sizes (seconds, not minutes).
    #[arg(long)]
    pub quick: bool,
    /// L2 flushed before every sample, one launch per sample (default).
    #[arg(long, conflicts_with = "hot")]
    pub cold: bool,
    /// Back-to-back launches without flushing.
    #[arg(long)]
    pub hot: bool,
    /// Results file (default: results/<gpu>/<date>-<mode>.json).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the plan and exit.
    #[arg(long)]
    pub plan: bool,
    /// Predict for this GPU capability in the plan (default: the detected GPU).
    #[arg(long, value_name = "X.Y")]
    pub gpu: Option<Capability>,
    /// Driver for predictions (default: the detected driver).
    #[arg(long)]
    pub driver: Option<DriverVersion>,
    /// CUDA device ordinal.
    #[arg(long, default_value_t = 0)]
    pub device: usize,
    /// Seed for inputs and task order (default: from the clock; recorded in results).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop sampling when stdev/mean falls below this (percent).
    #[arg(long, default_value_t = 0.5)]
    pub max_noise: f64,
    /// Per-case timeout in seconds.
    #[arg(long, default_value_t = 15.0)]
    pub timeout: f64,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let seed = a.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    let popts = PlanOptions {
        variants: a.variants,
        kernels: a.kernels,
        quick: a.quick,
        seed,
        gpu: a.gpu,
        driver: a.driver,
    };
    if a.plan {
        let m = archbench::embedded::manifest()?;
        print!("{}", Plan::new(&m, &popts)?.render());
        return Ok(ExitCode::SUCCESS);
    }
    let rule = StopRule {
        max_noise: a.max_noise / 100.0,
        timeout_s: a.timeout,
        ..StopRule::default()
    };
    let mode = if a.hot { Mode::Hot } else { Mode::Cold };
    match orchestrate::run(RunOptions {
        plan: popts,
        device: a.device,
        mode,
        rule,
        out: a.out,
    })? {
        Outcome::NoGpu { reason, plan } => {
            match plan {
                Ok(p) => {
                    print!("{}", p.render());
                    eprintln!("error: {reason}\n`archbench run` needs a CUDA GPU; the plan above is what it would do (`--gpu X.Y` adds predictions).");
                }
                Err(why) => eprintln!("error: {reason}\n`archbench run` needs a CUDA GPU, and it could not plan a run either: {why}"),
            }
            Ok(ExitCode::from(3))
        }
        Outcome::Done {
            path,
            run,
            failures,
        } => {
            print!("{}", summary::table(&run));
            print!("{}", summary::findings(&run));
            println!("results: {}", path.display());
            if failures > 0 {
                eprintln!("{failures} case(s) FAILED or errored; see the results file");
                Ok(ExitCode::from(1))
            } else {
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

pub fn worker(task_json: &str) -> anyhow::Result<ExitCode> {
    let task: WorkerTask = serde_json::from_str(task_json)?;
    Ok(ExitCode::from(
        archbench::run::worker::run(&task).clamp(0, 255) as u8,
    ))
}
