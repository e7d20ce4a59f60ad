//! `archbench run` and the hidden `archbench __worker`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use archbench::core::{Capability, DriverVersion};
use archbench::measure::StopRule;
use archbench::results::schema::Mode;
use archbench::run::orchestrate::{self, Outcome, RunOptions};
use archbench::run::protocol::WorkerTask;
use archbench::run::supervise::Limits;
use archbench::run::{summary, Plan, PlanOptions};
use archbench_cli::suite;

/// Exit codes of `archbench run`.
const EXIT_CODES: &str = "Exit status:
  0  every case is an answer: it ran correctly, or the driver refused it as predicted
  1  a correctness check FAILED, an error nobody predicted (load, launch), a case that
     hung (killed by the watchdog) or crashed its worker, or a prediction of which image
     loads that the driver contradicted
  2  usage error
  3  no CUDA GPU or driver: the plan is printed instead";

#[derive(clap::Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct Args {
    /// Embedded variants to run (default: all); `archbench build-info` lists them.
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Kernels to run, by regex on the name (default: all).
    #[arg(long = "kernel", value_name = "REGEX")]
    pub kernels: Vec<String>,
    /// Small sizes and a 1 % / 0.3 s per-case rule (the default matrix in about a minute).
    #[arg(long)]
    pub quick: bool,
    /// L2 flushed before every sample, one launch per sample (default).
    #[arg(long, conflicts_with = "hot")]
    pub cold: bool,
    /// Batches of back-to-back launches, no flush (L2-resident data for small cases).
    #[arg(long)]
    pub hot: bool,
    /// Results file (default: results/<gpu>/<date>-<mode>[-quick].jsonl).
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
    /// Stop sampling a case once the median's 99 % confidence interval is within ± this
    /// many percent (default 0.5, quick 1).
    #[arg(long, value_name = "PERCENT")]
    pub max_noise: Option<f64>,
    /// Per-case sampling budget in seconds (default 3, quick 0.3).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Whole-run budget in seconds: per-case budgets shrink to fit, and cases are skipped
    /// once it is spent (the summary says what was cut).
    #[arg(long, value_name = "SECONDS")]
    pub max_time: Option<f64>,
    /// Take exactly N samples per case instead of the stopping rule.
    #[arg(long, value_name = "N")]
    pub samples: Option<u32>,
    /// Stop on precision even while a case's series still drifts (its first and last
    /// quarters differ: clocks settling under sustained load), as archbench did before.
    #[arg(long)]
    pub no_drift_check: bool,
    /// Keep the driver's JIT cache on, in DIR (created if missing): a PTX variant's first
    /// load JIT-compiles and stores, a second run with the same DIR loads from the cache, so
    /// its load times are what users see after the first start. Default: the cache off, every
    /// load pays the JIT. Recorded in the results (`settings.environment`).
    #[arg(long, value_name = "DIR")]
    pub jit_cache: Option<PathBuf>,
    /// Time the library call a case declares beside it, sample by sample (the suite's
    /// `gemm` and `sgemm` declare cuBLAS's GEMM on the same inputs, its other kernels a device
    /// copy of as many bytes): both series see the same clocks, and "% of library, paired"
    /// compares like with like. Recorded in the results (`settings.paired`, each case's
    /// `paired`).
    #[arg(long)]
    pub paired: bool,
    /// For profilers (ncu, nsys), which serialise launches: no blocking kernel and no clock
    /// stamps, 1 sample per case unless `--samples` says otherwise.
    #[arg(long)]
    pub profile: bool,
    /// Seconds a case may take beyond its sampling budget (inputs, reference, check)
    /// before the watchdog kills its worker and records it as `timeout`.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub watchdog: f64,
}

fn positive(name: &str, v: Option<f64>) -> anyhow::Result<Option<f64>> {
    use archbench::bench::options::MAX_SECONDS;
    match v {
        Some(x) if !(x.is_finite() && x > 0.0 && x <= MAX_SECONDS) => {
            anyhow::bail!(
                "--{name} must be a positive number of seconds, at most {MAX_SECONDS:e}, not {x}"
            )
        }
        _ => Ok(v),
    }
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
        cases: Vec::new(),
        quick: a.quick,
        edges: false,
        seed,
        gpu: a.gpu,
        driver: a.driver,
    };
    if a.plan {
        let m = archbench_cli::embedded::manifest()?;
        out!("{}", Plan::new(&m, &suite::suite(), &popts)?.render());
        return Ok(ExitCode::SUCCESS);
    }
    let base = if a.quick {
        StopRule::quick()
    } else {
        StopRule::full()
    };
    let timeout = positive("timeout", a.timeout)?;
    let max_time = positive("max-time", a.max_time)?;
    let watchdog = positive("watchdog", Some(a.watchdog))?.unwrap_or(60.0);
    if let Some(n) = a.max_noise {
        if !(n.is_finite() && n > 0.0) {
            anyhow::bail!("--max-noise must be a positive percentage, not {n}");
        }
    }
    if a.samples == Some(0) {
        anyhow::bail!("--samples must be at least 1");
    }
    let rule = StopRule {
        max_noise: a.max_noise.map_or(base.max_noise, |n| n / 100.0),
        timeout_s: timeout.unwrap_or(base.timeout_s),
        fixed_samples: a.samples.or(a.profile.then_some(1)),
        drift_check: !a.no_drift_check,
        ..base
    };
    let mode = if a.hot { Mode::Hot } else { Mode::Cold };
    // Workers that die must not take the parent with them (a write to a closed pipe).
    archbench::run::ignore_sigpipe();
    let limits = Limits {
        case_slack: Duration::from_secs_f64(watchdog),
        ..Limits::default()
    };
    let suite = suite::suite();
    match orchestrate::run(
        RunOptions {
            plan: popts,
            device: a.device,
            mode,
            rule,
            out: a.out,
            results_dir: PathBuf::from("results"),
            max_time_s: max_time,
            profile: a.profile,
            check_only: false,
            limits,
            jit_cache: jit_cache_dir(a.jit_cache.as_deref())?,
            paired: a.paired,
        },
        &suite,
        suite.images(),
    )? {
        Outcome::NoGpu { reason, plan } => {
            match plan {
                Ok(p) => {
                    out!("{}", p.render());
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
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "{}", summary::table(&run));
            let _ = write!(out, "{}", summary::findings(&run));
            let _ = write!(out, "{}", summary::totals(&run));
            let _ = writeln!(out, "results: {}", path.display());
            if failures > 0 {
                eprintln!("{failures} case(s) FAILED, errored, hung or crashed, or contradicted a prediction; see the findings above");
                Ok(ExitCode::from(1))
            } else {
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

pub fn worker(task_json: &str) -> anyhow::Result<ExitCode> {
    let task: WorkerTask = serde_json::from_str(task_json)?;
    Ok(ExitCode::from({
        let suite = suite::suite();
        archbench::run::worker::run(&task, &suite, suite.images()).clamp(0, 255) as u8
    }))
}

/// `--jit-cache DIR`: created, and made absolute (workers may start elsewhere).
fn jit_cache_dir(dir: Option<&std::path::Path>) -> anyhow::Result<Option<PathBuf>> {
    let Some(dir) = dir else { return Ok(None) };
    std::fs::create_dir_all(dir).map_err(|e| {
        anyhow::anyhow!(
            "--jit-cache {}: cannot create the directory: {e}",
            dir.display()
        )
    })?;
    let abs = std::fs::canonicalize(dir)
        .map_err(|e| anyhow::anyhow!("--jit-cache {}: {e}", dir.display()))?;
    Ok(Some(abs))
}
