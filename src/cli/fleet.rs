//! `archbench fleet plan|slurm|k8s|ci|collect|compare|task`: the matrix across many GPU
//! machines through Slurm, Kubernetes or a CI matrix, and back into one report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use archbench::core::Capability;
use archbench::report::compare::compare;
use archbench::report::merge::merge;
use archbench::report::output::{write, Formats};
use archbench::report::verdict::Rule;
use archbench::report::{baseline, format};
use archbench::results::read::read_run;
use archbench_cli::fleet::collect::{self, CollectOptions, Collection, TaskStatus};
use archbench_cli::fleet::layout::TaskMode;
use archbench_cli::fleet::spec::{self, Engine, Fleet};
use archbench_cli::fleet::task::{self, Sink, TaskOptions};
use archbench_cli::fleet::{ci, k8s, plan, slurm};
use serde::Serialize;

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
        } => plan_cmd(&fleet, engine, binary.as_deref(), json),
        Action::Slurm {
            fleet,
            out,
            binary,
            submit,
        } => slurm_cmd(&fleet, &out, binary, submit),
        Action::K8s { fleet, out } => k8s_cmd(&fleet, &out),
        Action::Ci {
            fleet,
            fleet_path,
            baselines,
            out,
        } => ci_cmd(&fleet, fleet_path, baselines, out.as_deref()),
        Action::Collect(a) => collect_cmd(a),
        Action::Compare(a) => compare_cmd(a),
        Action::Task(a) => task_cmd(a),
    }
}

fn plan_cmd(
    path: &Path,
    engine: Option<Engine>,
    binary: Option<&Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let fleet = Fleet::load(path)?;
    let manifest = plan::manifest_of(binary)?;
    let p = plan::plan(&fleet, &manifest, engine)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&p)?);
    } else {
        out!("{}", p.render());
    }
    Ok(ExitCode::SUCCESS)
}

/// The plan's warnings, before anything is submitted.
fn warn_unserved(fleet: &Fleet, binary: Option<&Path>, engine: Engine) -> anyhow::Result<()> {
    let manifest = plan::manifest_of(binary)?;
    let p = plan::plan(&fleet.clone(), &manifest, Some(engine))?;
    if !p.unserved.is_empty() {
        eprintln!(
            "warning: {} variant(s) are predicted to load on no {} target of this fleet: {} (`archbench fleet plan` shows the matrix)",
            p.unserved.len(),
            engine.as_str(),
            p.unserved.join(", ")
        );
    }
    for t in &p.idle {
        eprintln!("warning: target `{t}`: no variant is predicted to load on its GPU");
    }
    Ok(())
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
    warn_unserved(&fleet, Some(&binary), Engine::Slurm)?;
    let w = slurm::write(&fleet, out, &binary)?;
    outln!(
        "fleet `{}`: {} Slurm array task(s) in {}",
        fleet.name,
        fleet.targets_for(Some(Engine::Slurm)).len(),
        w.dir.display()
    );
    outln!(
        "  staged binary  {} ({} bytes)",
        w.binary.display(),
        w.binary_bytes
    );
    outln!("  array script   {}", w.script.display());
    outln!(
        "  submission     {} ({} sbatch call(s))",
        w.submit.display(),
        w.groups.len()
    );
    for g in &w.groups {
        outln!(
            "    --array={} {}  # {}",
            g.indices
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(","),
            g.options.join(" "),
            g.targets.join(", ")
        );
    }
    if submit {
        let sub = slurm::submit(&w.dir)?;
        out!("{}", sub.stdout);
        eprint!("{}", sub.stderr);
        outln!(
            "collect with: archbench fleet collect {} --wait 3600",
            w.dir.display()
        );
        if !sub.all_in {
            eprintln!(
                "error: sbatch refused a submission (see above and {}); the other targets were submitted, and collecting reports the refused ones as missing",
                w.dir.join("jobs.txt").display()
            );
            return Ok(ExitCode::from(1));
        }
    } else {
        outln!(
            "submit with: bash {}   (or archbench fleet slurm … --submit)",
            w.submit.display()
        );
        outln!(
            "then collect: archbench fleet collect {} --wait 3600",
            w.dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn k8s_cmd(path: &Path, out: &Path) -> anyhow::Result<ExitCode> {
    let fleet = Fleet::load(path)?;
    warn_unserved(&fleet, None, Engine::Kubernetes)?;
    let w = k8s::write(&fleet, out)?;
    outln!(
        "fleet `{}`: {} Kubernetes Job(s) in {}",
        fleet.name,
        w.jobs.len(),
        w.dir.join("k8s").display()
    );
    for (target, name, p) in &w.jobs {
        outln!("  {target}: job/{name}  {}", p.display());
    }
    outln!(
        "apply with: kubectl apply -f {}",
        w.dir.join("k8s").display()
    );
    match &w.fetch_logs {
        Some(f) => {
            outln!("when the Jobs are done: bash {}   (saves each Job's logs as logs/<target>.log)", f.display());
        }
        None => outln!(
            "when the Jobs are done: copy the claim's tasks/ directory to {} (e.g. kubectl cp from a pod that mounts it)",
            w.dir.join("tasks").display()
        ),
    }
    outln!("then: archbench fleet collect {}", w.dir.display());
    Ok(ExitCode::SUCCESS)
}

fn ci_cmd(
    path: &Path,
    fleet_path: Option<String>,
    baselines: String,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let fleet = Fleet::load(path)?;
    let paths = ci::WorkflowPaths {
        fleet: fleet_path.unwrap_or_else(|| path.display().to_string()),
        baselines,
    };
    let yaml = ci::workflow(&fleet, &paths)?;
    match out {
        Some(p) => {
            archbench_cli::fleet::fsutil::write_atomic(p, yaml.as_bytes())?;
            outln!("wrote {}", p.display());
        }
        None => out!("{yaml}"),
    }
    Ok(ExitCode::SUCCESS)
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
        let jobs: Vec<String> = a
            .sources
            .dirs
            .iter()
            .flat_map(|d| slurm::read_jobs(d))
            .filter_map(|s| match s {
                slurm::Submission::Submitted { job, .. } => Some(job),
                slurm::Submission::Failed { .. } => None,
            })
            .collect();
        if !jobs.is_empty() {
            eprintln!(
                "waiting up to {secs} s for Slurm job(s) {} …",
                jobs.join(", ")
            );
            if !slurm::wait(&jobs, Duration::from_secs(secs))? {
                eprintln!(
                    "warning: still queued or running after {secs} s; collecting what is there"
                );
            }
        }
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| a.sources.dirs[0].join("report"));
    let c = gather(&a.sources, Some(out.join("runs")))?;
    let mut merged = merge(c.runs());
    // Columns named by target: several targets can have the same GPU model.
    let labels = c.run_labels();
    for (g, l) in merged.gpus.iter_mut().zip(labels) {
        g.label = l;
    }
    merged.absent = c.absent();
    let written = write(&merged, &[], &out, formats)?;
    let fleet_md = out.join("fleet.md");
    archbench_cli::fleet::fsutil::write_atomic(&fleet_md, collect::markdown(&c).as_bytes())?;
    let fleet_json = out.join("fleet.json");
    archbench_cli::fleet::fsutil::write_atomic(
        &fleet_json,
        format!("{}\n", serde_json::to_string_pretty(&c)?).as_bytes(),
    )?;
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&c)?);
    } else {
        print_collection(&c)?;
        outln!("report: {}", out.display());
        for p in written.iter().chain([&fleet_md, &fleet_json]) {
            outln!("  {}", p.display());
        }
    }
    for w in &c.warnings {
        eprintln!("warning: {w}");
    }
    Ok(if c.all_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_collection(c: &Collection) -> anyhow::Result<()> {
    let counts: Vec<String> = c
        .counts()
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    outln!(
        "fleet{}: {} task(s): {}",
        c.fleet
            .as_ref()
            .map(|f| format!(" `{f}`"))
            .unwrap_or_default(),
        c.tasks.len(),
        counts.join(", ")
    );
    let mut rows = vec![vec![
        "target".to_string(),
        "expected".into(),
        "mode".into(),
        "status".into(),
        "detail".into(),
    ]];
    for t in &c.tasks {
        rows.push(vec![
            t.target.clone(),
            t.expected.clone(),
            match t.mode {
                TaskMode::Run => "run".into(),
                TaskMode::Plan => "plan".into(),
            },
            t.status.as_str().into(),
            t.detail.clone(),
        ]);
    }
    out!("{}", plan::table(&rows));
    for t in c.tasks.iter().filter(|t| t.status != TaskStatus::Ok) {
        if let Some(l) = t.logs.iter().find(|l| l.ends_with(".err")) {
            outln!("  {}: stderr in {l}", t.target);
        }
    }
    let (variants, targets, cells) = collect::prediction_matrix(c);
    if !variants.is_empty() {
        outln!("\npredicted on the plan-only targets:");
        let mut rows = vec![std::iter::once("variant".to_string())
            .chain(targets)
            .collect::<Vec<_>>()];
        for (v, row) in variants.into_iter().zip(cells) {
            rows.push(std::iter::once(v).chain(row).collect());
        }
        out!("{}", plan::table(&rows));
    }
    Ok(())
}

#[derive(Serialize)]
struct GpuComparison {
    target: String,
    device: String,
    results: String,
    baseline: Option<String>,
    faster: usize,
    slower: usize,
    same: usize,
    unsure: usize,
    failures: Vec<String>,
    note: Option<String>,
}

fn compare_cmd(a: CompareArgs) -> anyhow::Result<ExitCode> {
    if !(a.threshold.is_finite() && a.threshold >= 0.0) {
        anyhow::bail!(
            "--threshold must be a finite percentage ≥ 0, not {}",
            a.threshold
        );
    }
    let c = gather(&a.sources, None)?;
    let (stored, unreadable) = baseline::list(&a.dir)?;
    for e in &unreadable {
        eprintln!("warning: skipped {e}");
    }
    let mut out = Vec::new();
    let mut failed = false;
    for t in &c.tasks {
        if t.runs.is_empty() {
            out.push(GpuComparison {
                target: t.target.clone(),
                device: t.expected.clone(),
                results: String::new(),
                baseline: None,
                faster: 0,
                slower: 0,
                same: 0,
                unsure: 0,
                failures: Vec::new(),
                note: Some(format!(
                    "no results to compare ({}: {})",
                    t.status.as_str(),
                    t.detail
                )),
            });
            continue;
        }
        for (source, run) in &t.runs {
            let device = format!("{} (sm {})", run.device.name, run.device.capability);
            // Per GPU model: only a baseline of the same device name and capability.
            let own: Vec<baseline::Baseline> = stored
                .iter()
                .filter(|b| b.device == run.device.name && b.capability == run.device.capability)
                .cloned()
                .collect();
            match baseline::pick(&own, &run.device, &[PathBuf::from(source)]) {
                Some(b) => {
                    let base = read_run(&b.path)?;
                    let cmp = compare(&base, run, &Rule::default());
                    let [faster, slower, same, unsure] = cmp.counts();
                    let failures = cmp.failures(a.threshold);
                    failed |= !failures.is_empty();
                    out.push(GpuComparison {
                        target: t.target.clone(),
                        device,
                        results: source.clone(),
                        baseline: Some(b.path.display().to_string()),
                        faster,
                        slower,
                        same,
                        unsure,
                        failures,
                        note: None,
                    });
                }
                None => {
                    let e = format!(
                        "no baseline for {} under {} (save one with `archbench baseline save RESULTS --dir {}`)",
                        device,
                        a.dir.display(),
                        a.dir.display()
                    );
                    failed |= a.require_baseline;
                    out.push(GpuComparison {
                        target: t.target.clone(),
                        device,
                        results: source.clone(),
                        baseline: None,
                        faster: 0,
                        slower: 0,
                        same: 0,
                        unsure: 0,
                        failures: if a.require_baseline {
                            vec![e.to_string()]
                        } else {
                            Vec::new()
                        },
                        note: Some(format!("not compared: {e}")),
                    });
                }
            }
        }
    }
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for g in &out {
            match &g.baseline {
                Some(b) => outln!(
                    "{}: {} vs {}: {} faster, {} slower, {} same, {} unsure",
                    g.target,
                    g.device,
                    b,
                    g.faster,
                    g.slower,
                    g.same,
                    g.unsure
                ),
                None => outln!("{}: {}", g.target, g.device),
            }
            if let Some(n) = &g.note {
                outln!("  {n}");
            }
            for f in &g.failures {
                outln!("  FAIL: {}", format::md_cell(f));
            }
        }
        let n = out.iter().filter(|g| !g.failures.is_empty()).count();
        outln!(
            "{} GPU(s) compared with their own baselines; {n} regressed",
            out.iter().filter(|g| g.baseline.is_some()).count()
        );
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
        Some(path) => {
            let fleet = Fleet::load(path)?;
            let t = fleet.target(&a.target).with_context(|| {
                format!(
                    "{} has no target `{}`; its targets: {}",
                    path.display(),
                    a.target,
                    fleet
                        .targets
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            TaskOptions::new(&fleet, t)
        }
        None => {
            let Some(gpu) = a.gpu else {
                anyhow::bail!("--gpu X.Y is needed without --fleet");
            };
            if let Some(m) = a.max_time {
                if !(m.is_finite() && m > 0.0) {
                    anyhow::bail!("--max-time must be a positive number of seconds, not {m}");
                }
            }
            if let Some(d) = &a.driver {
                d.parse::<archbench::core::DriverVersion>()
                    .map_err(|e| anyhow::anyhow!("--driver: {e}"))?;
            }
            TaskOptions {
                target: a.target.clone(),
                capability: gpu.to_string(),
                model: a.model.clone(),
                driver: a.driver.clone(),
                mode: if a.plan_only {
                    TaskMode::Plan
                } else {
                    TaskMode::Run
                },
                quick: a.quick,
                hot: a.hot,
                max_time_s: a.max_time.unwrap_or(if a.quick { 300.0 } else { 1800.0 }),
                variants: a.variants.clone(),
                kernels: a.kernels.clone(),
                seed: a.seed,
            }
        }
    };
    let sink = match &a.dir {
        Some(d) => Sink::Dir(d.clone()),
        None => Sink::Stdout,
    };
    let exe = std::env::current_exe().context("cannot find this archbench's own path")?;
    // A task that cannot run at all exits 4, not 1: 1 is `archbench run`'s "a case failed".
    let record = match task::run(&opts, &sink, &exe) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: archbench fleet task `{}`: {e}", opts.target);
            return Ok(ExitCode::from(task::EXIT_TASK_ERROR));
        }
    };
    let code = record.exit_status();
    let where_ = match &a.dir {
        Some(d) => format!(
            " → {}",
            archbench_cli::fleet::layout::task_dir(d, &opts.target).display()
        ),
        None => String::new(),
    };
    eprintln!(
        "archbench fleet task `{}` on {}: `archbench {}` ended with exit {}{where_}",
        opts.target,
        record.host,
        record.command.join(" "),
        code
    );
    Ok(ExitCode::from(code))
}
