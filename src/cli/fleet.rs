//! `archbench fleet plan|slurm|k8s|ci|collect|compare|task`: the matrix across many GPU
//! machines through Slurm, Kubernetes or a CI matrix, and back into one report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use archbench::core::Capability;
use archbench::report::output::Formats;
use archbench_cli::fleet::collect::{self, CollectOptions, Collection};
use archbench_cli::fleet::compare::{self, CompareOptions};
use archbench_cli::fleet::layout::TaskMode;
use archbench_cli::fleet::spec::{self, Engine, Fleet};
use archbench_cli::fleet::summary::{self, Said};
use archbench_cli::fleet::task::{self, Sink, TaskOptions};
use archbench_cli::fleet::{ci, k8s, plan, report, slurm};

const FLEET_HELP: &str =
    "The fleet file (TOML): targets — each a name, the GPU it expects (`model`, `capability`) and
how to reach it (`slurm = { partition, gres_type, constraint }`, `kubernetes = { product,
count }`, `ci = { labels }`) — and `[run]` options (quick, max_time, variants, kernels,
plan_only). docs/fleet.md has every key and a worked example per engine.";

#[derive(clap::Args, Debug)]
#[command(after_help = FLEET_HELP)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Print what will run where, and which image of every variant each target's GPU is
    /// predicted to load; flags variants no target can run. Needs no GPU.
    Plan {
        #[arg(value_name = "FLEET.toml")]
        fleet: PathBuf,
        /// Only the targets this engine reaches.
        #[arg(long, value_enum)]
        engine: Option<Engine>,
        /// The archbench binary that will travel (default: this one).
        #[arg(long, value_name = "PATH")]
        binary: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Write a Slurm job array (one task per target) into a shared directory, stage the
    /// binary there, and optionally submit it with sbatch.
    Slurm {
        #[arg(value_name = "FLEET.toml")]
        fleet: PathBuf,
        /// The fleet directory, on a file system every node mounts at the same path.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The archbench binary to stage (default: this one).
        #[arg(long, value_name = "PATH")]
        binary: Option<PathBuf>,
        /// Submit with sbatch (runs DIR/submit.sh).
        #[arg(long)]
        submit: bool,
    },
    /// Write one Kubernetes batch/v1 Job per target (JSON manifests for `kubectl apply -f`).
    K8s {
        #[arg(value_name = "FLEET.toml")]
        fleet: PathBuf,
        /// Where to write the manifests (DIR/k8s/) and where collecting reads logs.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Write a GitHub Actions workflow: a matrix over the targets' self-hosted runner
    /// labels, an artifact per GPU, and a job that merges them and compares each GPU with
    /// its own baseline.
    Ci {
        #[arg(value_name = "FLEET.toml")]
        fleet: PathBuf,
        /// The fleet file's path inside the repository (default: FLEET.toml as given).
        #[arg(long, value_name = "PATH")]
        fleet_path: Option<String>,
        /// Where baselines are committed in the repository.
        #[arg(long, value_name = "DIR", default_value = "results")]
        baselines: String,
        /// Write the workflow here (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Gather what the tasks wrote, say what became of every target (exit 1 when any is
    /// missing, failed, incomplete or on the wrong GPU) and write the merged report.
    Collect(CollectArgs),
    /// Compare every GPU's results with its own baseline; exit 1 if any regressed.
    Compare(CompareArgs),
    /// Run one target's share on this machine (what the Slurm script, the Kubernetes Job and
    /// the CI job call); exits with `archbench run`'s code.
    Task(TaskArgs),
}

#[derive(clap::Args, Debug)]
pub struct Sources {
    /// Fleet directories (from `fleet slurm|k8s --out`, `fleet task --dir`, downloaded CI
    /// artifacts).
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,
    /// The fleet file, for directories without fleet.json (CI artifacts).
    #[arg(long, value_name = "FLEET.toml")]
    pub fleet: Option<PathBuf>,
    /// With --fleet: expect only the targets this engine reaches.
    #[arg(long, value_enum, requires = "fleet")]
    pub engine: Option<Engine>,
    /// Do not ask sacct/scontrol for Slurm job states.
    #[arg(long)]
    pub no_scheduler: bool,
}

#[derive(clap::Args, Debug)]
pub struct CollectArgs {
    #[command(flatten)]
    pub sources: Sources,
    /// The report directory (default: DIR/report of the first DIR).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Comma-separated subset of md, html, svg, png for the merged report.
    #[arg(long, default_value = "md,html,svg,png")]
    pub format: String,
    /// First wait up to this many seconds for the fleet's Slurm jobs to leave the queue.
    #[arg(long, value_name = "SECONDS")]
    pub wait: Option<u64>,
    /// Print the collection as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub sources: Sources,
    /// Where baselines live (`results/<gpu>/…`, as `archbench baseline save` keeps them).
    #[arg(long, default_value = "results")]
    pub dir: PathBuf,
    /// Fail only on slowdowns larger than this many percent.
    #[arg(long, default_value_t = 5.0)]
    pub threshold: f64,
    /// Also fail when a GPU has no baseline.
    #[arg(long)]
    pub require_baseline: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct TaskArgs {
    /// The target's name (names its task directory).
    #[arg(long)]
    pub target: String,
    /// Take the GPU and run options of TARGET from this fleet file.
    #[arg(long, value_name = "FLEET.toml", conflicts_with_all = ["gpu", "model", "plan_only", "driver", "quick", "hot", "max_time", "variants", "kernels", "seed"])]
    pub fleet: Option<PathBuf>,
    /// The GPU capability the target expects.
    #[arg(long, value_name = "X.Y", required_unless_present = "fleet")]
    pub gpu: Option<Capability>,
    /// The GPU model the target expects (checked when collecting).
    #[arg(long)]
    pub model: Option<String>,
    /// Run `archbench run --plan --gpu X.Y` (no GPU needed) instead of measuring.
    #[arg(long)]
    pub plan_only: bool,
    /// Driver for predictions.
    #[arg(long)]
    pub driver: Option<String>,
    #[arg(long)]
    pub quick: bool,
    #[arg(long)]
    pub hot: bool,
    /// Whole-run budget in seconds (default 300 with --quick, else 1800).
    #[arg(long, value_name = "SECONDS")]
    pub max_time: Option<f64>,
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    #[arg(long = "kernel", value_name = "REGEX")]
    pub kernels: Vec<String>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write into DIR/tasks/<target>/ (atomically: a partial directory renamed when done).
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "stdout",
        conflicts_with = "stdout"
    )]
    pub dir: Option<PathBuf>,
    /// Print one JSON document per line to stdout (for `kubectl logs`).
    #[arg(long)]
    pub stdout: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Plan {
            fleet,
            engine,
            binary,
            json,
        } => {
            let fleet = Fleet::load(&fleet)?;
            let p = plan::plan(&fleet, &plan::manifest_of(binary.as_deref())?, engine)?;
            say(p.said(json)?)
        }
        Action::Slurm {
            fleet,
            out,
            binary,
            submit,
        } => slurm_cmd(&fleet, &out, binary, submit),
        Action::K8s { fleet: path, out } => {
            let fleet = Fleet::load(&path)?;
            warn(plan::warnings(&fleet, None, Engine::Kubernetes)?);
            say(Said::ok(summary::k8s_written(
                &fleet,
                &k8s::write(&fleet, &out)?,
            )))
        }
        Action::Ci {
            fleet: path,
            fleet_path,
            baselines,
            out,
        } => {
            let fleet = Fleet::load(&path)?;
            let fleet_path = fleet_path.unwrap_or_else(|| path.display().to_string());
            let paths = ci::WorkflowPaths {
                fleet: fleet_path,
                baselines,
            };
            say(Said::ok(ci::write(&fleet, &paths, out.as_deref())?))
        }
        Action::Collect(a) => collect_cmd(a),
        Action::Compare(a) => compare_cmd(a),
        Action::Task(a) => task_cmd(a),
    }
}

/// Writes what a command says, and ends with its exit code.
fn say(s: Said) -> anyhow::Result<ExitCode> {
    out!("{}", s.out);
    eprint!("{}", s.err);
    Ok(ExitCode::from(s.code))
}

/// The plan's warnings, before anything is submitted.
fn warn(warnings: Vec<String>) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

fn slurm_cmd(
    path: &Path,
    out: &Path,
    binary: Option<PathBuf>,
    submit: bool,
) -> anyhow::Result<ExitCode> {
    let fleet = Fleet::load(path)?;
    let binary = match binary {
        Some(b) => b,
        None => {
            std::env::current_exe().context("cannot find this archbench's own path to stage it")?
        }
    };
    warn(plan::warnings(&fleet, Some(&binary), Engine::Slurm)?);
    let w = slurm::write(&fleet, out, &binary)?;
    out!("{}", summary::slurm_written(&fleet, &w));
    let sub = submit.then(|| slurm::submit(&w.dir)).transpose()?;
    say(summary::slurm_next(&w, sub.as_ref()))
}

fn gather(s: &Sources, log_runs_dir: Option<PathBuf>) -> anyhow::Result<Collection> {
    let fleet = s.fleet.as_deref().map(Fleet::load).transpose()?;
    Ok(collect::collect(&CollectOptions {
        dirs: s.dirs.clone(),
        fleet,
        engine: s.engine,
        query_slurm: !s.no_scheduler,
        log_runs_dir,
    })?)
}

fn collect_cmd(a: CollectArgs) -> anyhow::Result<ExitCode> {
    let formats = Formats::parse(&a.format)?;
    if let Some(secs) = a.wait {
        slurm::wait_for_dirs(&a.sources.dirs, Duration::from_secs(secs), |m| {
            eprintln!("{m}")
        })?;
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| a.sources.dirs[0].join("report"));
    let c = gather(&a.sources, Some(out.join("runs")))?;
    let written = report::write(&c, &out, formats)?;
    say(summary::collected(&c, &out, &written, a.json)?)
}

fn compare_cmd(a: CompareArgs) -> anyhow::Result<ExitCode> {
    if !(a.threshold.is_finite() && a.threshold >= 0.0) {
        anyhow::bail!(
            "--threshold must be a finite percentage ≥ 0, not {}",
            a.threshold
        );
    }
    let c = gather(&a.sources, None)?;
    let (dir, threshold, require_baseline) = (a.dir, a.threshold, a.require_baseline);
    let opts = CompareOptions {
        dir,
        threshold,
        require_baseline,
    };
    say(compare::compare(&c, &opts, |w| eprintln!("warning: {w}"))?.said(a.json)?)
}

fn task_cmd(a: TaskArgs) -> anyhow::Result<ExitCode> {
    if !spec::valid_name(&a.target, spec::MAX_TARGET_NAME) {
        anyhow::bail!(
            "--target `{}` is not a usable target name: use 1 to {} lower-case letters, digits and `-`",
            a.target,
            spec::MAX_TARGET_NAME
        );
    }
    let opts = match &a.fleet {
        Some(path) => TaskOptions::from_fleet_file(path, &a.target)?,
        None => by_hand(&a)?,
    };
    let sink = a.dir.clone().map_or(Sink::Stdout, Sink::Dir);
    let exe = std::env::current_exe().context("cannot find this archbench's own path")?;
    say(summary::task_ended(
        &opts,
        task::run(&opts, &sink, &exe),
        a.dir.as_deref(),
    ))
}

/// The task's options from the command line (no --fleet).
fn by_hand(a: &TaskArgs) -> anyhow::Result<TaskOptions> {
    let Some(gpu) = a.gpu else {
        anyhow::bail!("--gpu X.Y is needed without --fleet");
    };
    if let Some(m) = a.max_time.filter(|m| !(m.is_finite() && *m > 0.0)) {
        anyhow::bail!("--max-time must be a positive number of seconds, not {m}");
    }
    if let Some(d) = &a.driver {
        d.parse::<archbench::core::DriverVersion>()
            .map_err(|e| anyhow::anyhow!("--driver: {e}"))?;
    }
    let mode = if a.plan_only {
        TaskMode::Plan
    } else {
        TaskMode::Run
    };
    Ok(TaskOptions {
        target: a.target.clone(),
        capability: gpu.to_string(),
        model: a.model.clone(),
        driver: a.driver.clone(),
        mode,
        quick: a.quick,
        hot: a.hot,
        max_time_s: a.max_time.unwrap_or(if a.quick { 300.0 } else { 1800.0 }),
        variants: a.variants.clone(),
        kernels: a.kernels.clone(),
        seed: a.seed,
    })
}
