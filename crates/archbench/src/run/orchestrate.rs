//! The parent side of `archbench run`: checks for a GPU (exit 3 with the plan when there is
//! none), measures ceilings in a worker, runs the plan's tasks on supervised workers (see
//! [`super::supervise`]) in a clean CUDA environment, shares the whole-run budget among the
//! cases (see [`super::budget`]), shows progress, and appends each finished case to the
//! results file.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use archbench_core::manifest::BuildManifest;
use indicatif::{ProgressBar, ProgressStyle};

use super::budget::Budget;
use super::plan::{Plan, PlanOptions};
use super::protocol::{decode, KernelJob, KernelSettings, Line, Message, WorkerTask};
use super::summary::rfc3339_utc;
use super::supervise::{JobPlan, Limits, Pool};
use super::writer::ResultsWriter;
use super::RunError;
use crate::gpu::{DeviceInfo, Gpu, GpuError};
use crate::images::Images;
use crate::measure::StopRule;
use crate::results::schema::{
    Ceilings, Device, Environment, Host, Mode, Provenance, RunEnd, RunFile, Settings, Status,
    ToolchainInfo, SCHEMA_VERSION,
};
use crate::workload::{CaseSource, Set};

/// Everything `archbench run` was asked.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub plan: PlanOptions,
    pub device: usize,
    pub mode: Mode,
    pub rule: StopRule,
    pub out: Option<PathBuf>,
    /// Where results go when `out` is not given: `<results_dir>/<gpu>/<date>-<mode>.jsonl`.
    pub results_dir: PathBuf,
    /// Whole-run budget, seconds.
    pub max_time_s: Option<f64>,
    /// No blocker and no clock stamps (for profilers).
    pub profile: bool,
    /// Check every case once and time nothing (`cargo test --benches`).
    pub check_only: bool,
    pub limits: Limits,
    /// Keep the driver's JIT cache on, in this directory (`--jit-cache DIR`): a PTX variant's
    /// first load compiles and stores, later loads (a second run with the same directory)
    /// read the cache. `None` (the default): the cache is off and every load pays the JIT.
    pub jit_cache: Option<PathBuf>,
    /// Time the library call a case declares (cuBLAS beside the GEMMs) sample by sample
    /// beside it (`--paired`).
    pub paired: bool,
}

/// How a run ended.
pub enum Outcome {
    /// No GPU: the plan was printed; exit 3.
    NoGpu {
        reason: String,
        plan: Result<Plan, String>,
    },
    Done {
        path: PathBuf,
        run: Box<RunFile>,
        failures: usize,
    },
}

/// Variables a worker gets whatever the user's environment says: modules load eagerly (so
/// the load time is the whole load, JIT included; CUDA ≥ 12.2 loads lazily by default) and
/// the JIT cache is off (so a PTX variant pays its real JIT cost every time).
pub const WORKER_ENV: &[(&str, &str)] = &[
    ("CUDA_MODULE_LOADING", "EAGER"),
    ("CUDA_CACHE_DISABLE", "1"),
];

/// Inherited variables removed from workers because they would change which image runs or
/// how launches are timed.
pub const SCRUBBED_ENV: &[&str] = &[
    "CUDA_FORCE_PTX_JIT",
    "CUDA_DISABLE_PTX_JIT",
    "CUDA_FORCE_JIT",
    "CUDA_LAUNCH_BLOCKING",
    "CUDA_CACHE_PATH",
    "CUDA_CACHE_MAXSIZE",
    "CUDA_MODULE_DATA_LOADING",
];

/// Inherited variables kept (they choose the GPU the parent already opened) and recorded.
pub const RECORDED_ENV: &[&str] = &[
    "CUDA_VISIBLE_DEVICES",
    "CUDA_DEVICE_ORDER",
    "CUDA_MPS_PIPE_DIRECTORY",
];

/// The variables set for workers: [`WORKER_ENV`], or with `jit_cache` the JIT cache on in
/// that directory (`CUDA_CACHE_DISABLE=0`, `CUDA_CACHE_PATH=DIR`).
pub fn worker_vars(jit_cache: Option<&Path>) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = WORKER_ENV
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(dir) = jit_cache {
        for (k, v) in &mut vars {
            if k == "CUDA_CACHE_DISABLE" {
                *v = "0".into();
            }
        }
        vars.push(("CUDA_CACHE_PATH".into(), dir.display().to_string()));
    }
    vars
}

/// The environment workers run with, read from `get` (the process environment in a run),
/// with the JIT cache as `jit_cache` says ([`worker_vars`]).
pub fn worker_environment(
    get: impl Fn(&str) -> Option<String>,
    jit_cache: Option<&Path>,
) -> Environment {
    let vars = worker_vars(jit_cache);
    let mut env = Environment {
        set: vars.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        ..Environment::default()
    };
    for k in SCRUBBED_ENV {
        if let Some(v) = get(k) {
            env.removed.push(format!("{k}={v}"));
        }
    }
    for (k, _) in WORKER_ENV {
        if let Some(v) = get(k) {
            env.removed.push(format!("{k}={v} (replaced)"));
        }
    }
    for k in RECORDED_ENV {
        if let Some(v) = get(k) {
            env.kept.push(format!("{k}={v}"));
        }
    }
    env
}

/// A worker command with the clean environment and `vars` ([`worker_vars`]).
fn worker_command(task: &WorkerTask, vars: &[(String, String)]) -> Result<Command, RunError> {
    let exe = std::env::current_exe().map_err(|e| RunError::Io {
        path: "current_exe".into(),
        source: e,
    })?;
    let json = serde_json::to_string(task).map_err(|e| RunError::Protocol(e.to_string()))?;
    let mut cmd = Command::new(exe);
    cmd.arg("__worker").arg(json);
    for k in SCRUBBED_ENV {
        cmd.env_remove(k);
    }
    cmd.envs(vars.iter().map(|(k, v)| (k, v)));
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    Ok(cmd)
}

/// Runs `suite` (its images `images`) as `opts` says: the parent side. Workers are this same
/// executable started as `<exe> __worker TASK_JSON`, which must call [`super::worker::run`]
/// with the same suite and images.
pub fn run(opts: RunOptions, suite: &dyn CaseSource, images: &Images) -> Result<Outcome, RunError> {
    let started_at = Instant::now();
    let manifest = images.manifest().map_err(|e| RunError::Images(e.clone()))?;
    // Open the GPU only to read what it is; the parent holds no context while workers run.
    let info = match Gpu::open(opts.device) {
        Ok(g) => g.info.clone(),
        // No GPU at all: the plan is the answer. A device ordinal that does not exist on a
        // machine with GPUs is a mistake, not the absence of a GPU.
        Err(
            e @ (GpuError::NoDriver
            | GpuError::NoDevice { count: 0, .. }
            | GpuError::DriverUnusable(_)),
        ) => {
            let plan = Plan::new(manifest, suite, &opts.plan).map_err(|e| e.to_string());
            return Ok(Outcome::NoGpu {
                reason: e.to_string(),
                plan,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let plan = Plan::new(manifest, suite, &plan_options_for(&opts.plan, &info))?;
    eprint!("{}", plan.render());

    let environment = worker_environment(|k| std::env::var(k).ok(), opts.jit_cache.as_deref());
    if !environment.removed.is_empty() {
        eprintln!(
            "note: removed from the workers' environment: {}",
            environment.removed.join(", ")
        );
    }
    let device = super::device_record(&info);
    let ceilings = ceilings_for(&opts);
    let header = RunHeader {
        suite,
        images,
        manifest,
        device: device.clone(),
        settings: settings(&opts, &plan, environment),
        ceilings: ceilings.clone(),
    };
    let run = header.run_file();
    let path = opts.out.clone().unwrap_or_else(|| {
        default_path(
            &opts.results_dir,
            &device,
            &run.started,
            opts.mode,
            plan.quick,
        )
    });
    let mut writer = ResultsWriter::create(&path, run)?;

    let jobs = job_plans(&plan, suite, opts.rule);
    let vars = worker_vars(opts.jit_cache.as_deref());
    let task = kernels_task(&opts, &plan, ceilings);
    let mut cmd_err = None;
    let mut pool = Pool::new(
        || match worker_command(&task, &vars) {
            Ok(mut c) => c.spawn(),
            Err(e) => {
                cmd_err = Some(e.to_string());
                Err(std::io::Error::other("no worker command"))
            }
        },
        opts.limits,
    );
    let mut budget = Budget::new(opts.max_time_s, if plan.quick { 0.05 } else { 0.5 });
    let bar = progress_bar(jobs.len());
    let mut jobs_run = JobsRun {
        budget: &mut budget,
        writer: &mut writer,
        bar: &bar,
        started_at,
    };
    jobs_run.run_all(&jobs, &mut pool)?;
    pool.finish(Duration::from_secs(5));
    drop(pool);
    bar.finish_and_clear();
    let mut cut = budget.cuts(opts.rule.timeout_s);
    if let Some(e) = cmd_err {
        cut.push(format!("workers could not be started: {e}"));
    }
    finish(writer, cut, started_at)
}

/// The ceilings the run records: measured in a worker, unless the run only checks.
fn ceilings_for(opts: &RunOptions) -> Ceilings {
    if opts.check_only {
        Ceilings {
            copy_gbps: None,
            gemm_bf16_tflops: None,
            gemm_like_suite: None,
            copy_like_suite: None,
            note: Some("not measured: a check-only run".into()),
        }
    } else {
        measure_ceilings(opts.device, opts.limits.load)
    }
}

/// What every kernel worker of the run is told when it starts.
fn kernels_task(opts: &RunOptions, plan: &Plan, ceilings: Ceilings) -> WorkerTask {
    let settings = KernelSettings {
        quick: plan.quick,
        edges: plan.set == Set::Edges,
        mode: opts.mode,
        seed: plan.seed,
        ceilings,
        profile: opts.profile,
        check_only: opts.check_only,
        paired: opts.paired,
    };
    WorkerTask::Kernels {
        device: opts.device,
        settings: Box::new(settings),
    }
}

/// The progress bar of `tasks` tasks.
fn progress_bar(tasks: usize) -> ProgressBar {
    let bar = ProgressBar::new(tasks as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} tasks, ETA {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// The plan options for the GPU found: its capability, and the newest CUDA release its
/// driver supports.
fn plan_options_for(opts: &PlanOptions, info: &DeviceInfo) -> PlanOptions {
    let mut popts = opts.clone();
    popts.gpu = Some(info.capability());
    popts.driver = archbench_core::db::RELEASES
        .iter()
        .rev()
        .find(|r| {
            u32::from(r.version.major) * 1000 + u32::from(r.version.minor) * 10
                <= info.driver_version
        })
        .map(|r| archbench_core::DriverVersion::Cuda(r.version));
    popts
}

/// The settings a results file records.
fn settings(opts: &RunOptions, plan: &Plan, environment: Environment) -> Settings {
    Settings {
        mode: opts.mode,
        quick: plan.quick,
        seed: plan.seed,
        max_noise: opts.rule.max_noise,
        min_samples: opts.rule.min_samples,
        min_time_s: opts.rule.min_time_s,
        timeout_s: opts.rule.timeout_s,
        max_time_s: opts.max_time_s,
        fixed_samples: opts.rule.fixed_samples,
        drift_check: opts.rule.drift_check && opts.rule.fixed_samples.is_none(),
        paired: opts.paired && !opts.check_only,
        environment,
    }
}

/// What a results file says before its first case.
struct RunHeader<'a> {
    suite: &'a dyn CaseSource,
    images: &'a Images,
    manifest: &'a BuildManifest,
    device: Device,
    settings: Settings,
    ceilings: Ceilings,
}

impl RunHeader<'_> {
    /// The results file, started now, with no cases yet.
    fn run_file(self) -> RunFile {
        let nvcc = self.manifest.nvcc.clone();
        let now = unix_now();
        RunFile {
            schema_version: SCHEMA_VERSION,
            archbench_version: env!("CARGO_PKG_VERSION").to_string(),
            suite: Some(self.suite.suite_name().to_string()),
            provenance: Some(provenance(self.images)),
            started: rfc3339_utc(now),
            host: host(),
            device: self.device,
            toolchain: ToolchainInfo {
                nvcc_release: nvcc.as_ref().map(|n| n.release.clone()).unwrap_or_default(),
                cuda: nvcc.as_ref().map(|n| n.cuda.clone()).unwrap_or_default(),
            },
            settings: self.settings,
            ceilings: self.ceilings,
            cases: Vec::new(),
            end: None,
        }
    }
}

/// Each task of the plan as a job, with its cases.
fn job_plans(plan: &Plan, suite: &dyn CaseSource, rule: StopRule) -> Vec<JobPlan> {
    // Each bench's cases.
    let mut case_lists: Vec<(String, Vec<crate::workload::CaseInfo>)> = Vec::new();
    for k in &plan.kernels {
        case_lists.push((k.name.clone(), suite.cases(&k.name, plan.set)));
    }
    plan.tasks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let pv = plan.variants.iter().find(|v| v.name == t.variant);
            let all = case_lists
                .iter()
                .find(|(k, _)| *k == t.kernel)
                .map(|(_, c)| c.as_slice())
                .unwrap_or(&[]);
            JobPlan {
                job: KernelJob {
                    task: i,
                    variant: t.variant.clone(),
                    forced: t.forced.clone(),
                    kernel: t.kernel.clone(),
                    image: t.image.clone(),
                    cases: t.cases.clone(),
                    first_case: 0,
                    rule,
                    predicted: pv.and_then(|v| v.predicted.clone()),
                    prediction: pv.and_then(|v| v.prediction.clone()),
                    prediction_loads: pv.and_then(|v| v.loads),
                },
                cases: t
                    .cases
                    .iter()
                    .filter_map(|&c| all.get(c).cloned())
                    .collect(),
                variant_flags: pv.map(|v| v.gencode.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

/// How many of a job's cases are timed: those of a task the predictor expects to load (only
/// those share the budget), none of one it expects to be refused.
fn timed(j: &JobPlan) -> u32 {
    if j.job.prediction_loads == Some(false) {
        0
    } else {
        j.cases.len() as u32
    }
}

/// Running the jobs: the whole-run budget they share, where their cases go, and the
/// progress shown.
struct JobsRun<'a> {
    budget: &'a mut Budget,
    writer: &'a mut ResultsWriter,
    bar: &'a ProgressBar,
    started_at: Instant,
}

impl JobsRun<'_> {
    /// Runs each job on `pool` within its share of the budget (a job the budget has no
    /// room for is recorded as skipped), appending every case to the results file.
    fn run_all<S: FnMut() -> std::io::Result<Child>>(
        &mut self,
        jobs: &[JobPlan],
        pool: &mut Pool<S>,
    ) -> Result<(), RunError> {
        let mut remaining: u32 = jobs.iter().map(timed).sum();
        for j in jobs {
            self.bar
                .set_message(format!("{} × {}", j.job.kernel, j.job.variant));
            let n_timed = timed(j);
            let grant = if n_timed == 0 {
                Some(j.job.rule)
            } else {
                self.budget.grant(
                    j.job.rule,
                    n_timed,
                    remaining,
                    self.started_at.elapsed().as_secs_f64(),
                )
            };
            remaining = remaining.saturating_sub(n_timed);
            match grant {
                Some(rule) => self.run_one(j, rule, pool)?,
                None => {
                    for c in 0..j.cases.len() {
                        self.writer.push(j.unreported(
                            c,
                            Status::Skipped,
                            "not run: the whole-run budget (--max-time) was spent".into(),
                        ))?;
                    }
                }
            }
            self.bar.inc(1);
        }
        Ok(())
    }

    /// Runs one job under `rule`, telling the budget how long each timed case took.
    fn run_one<S: FnMut() -> std::io::Result<Child>>(
        &mut self,
        j: &JobPlan,
        rule: StopRule,
        pool: &mut Pool<S>,
    ) -> Result<(), RunError> {
        let mut jp = j.clone();
        jp.job.rule = rule;
        let mut case_start = Instant::now();
        let (budget, writer) = (&mut *self.budget, &mut *self.writer);
        pool.run_job(&jp, &mut |r| {
            let wall = case_start.elapsed().as_secs_f64();
            if let Some(t) = &r.timing {
                budget.observe(wall, t.wall_s.unwrap_or(0.0));
            }
            case_start = Instant::now();
            writer.push(r)
        })
    }
}

/// Ends the results file with `cut` (what was cut short) and the exit code.
fn finish(
    mut writer: ResultsWriter,
    cut: Vec<String>,
    started_at: Instant,
) -> Result<Outcome, RunError> {
    let failures = writer.run.cases.iter().filter(|c| c.is_failure()).count();
    let exit_code = u8::from(failures > 0);
    writer.finish(RunEnd {
        finished: rfc3339_utc(unix_now()),
        wall_s: started_at.elapsed().as_secs_f64(),
        cut,
        exit_code,
    })?;
    let run = Box::new(writer.run.clone());
    Ok(Outcome::Done {
        path: writer.path().to_path_buf(),
        run,
        failures,
    })
}

/// Where the run's code came from: the package that built the images, the checkout the run
/// started in (cargo sets `CARGO_MANIFEST_DIR` for `cargo bench`; else the current
/// directory), and the device check's pack (`ARCHBENCH_PACK`).
fn provenance(images: &Images) -> Provenance {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "HEAD"]).filter(|c| !c.is_empty());
    let dirty = commit
        .as_ref()
        .and_then(|_| git(&["status", "--porcelain", "--untracked-files=no"]))
        .map(|s| !s.is_empty());
    let m = images.crate_manifest().ok();
    Provenance {
        package: m.and_then(|m| m.package.clone()),
        package_version: None,
        commit,
        dirty,
        pack: std::env::var("ARCHBENCH_PACK")
            .ok()
            .filter(|p| !p.is_empty()),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Runs the ceilings worker (with a deadline); a failure becomes a note, not an error.
fn measure_ceilings(device: usize, limit: Duration) -> Ceilings {
    let failed = |note: String| Ceilings {
        copy_gbps: None,
        gemm_bf16_tflops: None,
        gemm_like_suite: None,
        copy_like_suite: None,
        note: Some(note),
    };
    let vars = worker_vars(None);
    let mut child =
        match worker_command(&WorkerTask::Ceilings { device }, &vars).and_then(|mut c| {
            c.stdin(Stdio::null()).spawn().map_err(|e| RunError::Io {
                path: "archbench __worker".into(),
                source: e,
            })
        }) {
            Ok(c) => c,
            Err(e) => return failed(format!("ceilings worker failed to start: {e}")),
        };
    let Some(out) = child.stdout.take() else {
        return failed("ceilings worker has no stdout".into());
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + limit;
    let mut result = failed("the ceilings worker reported nothing".into());
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => match decode(&line) {
                Ok(Line::Message(Message::Ceilings(c))) => {
                    result = c;
                    break;
                }
                Ok(Line::Message(Message::Fatal { error })) => {
                    result = failed(format!("ceilings worker failed: {error}"));
                }
                Ok(_) => {}
                Err(e) => result = failed(format!("ceilings worker: {e}")),
            },
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                result = failed(format!(
                    "the ceilings worker did not finish within {:.0} s",
                    limit.as_secs_f64()
                ));
                break;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn default_path(
    dir: &std::path::Path,
    device: &Device,
    started: &str,
    mode: Mode,
    quick: bool,
) -> PathBuf {
    let date = started.get(..10).unwrap_or("undated");
    let mode = match mode {
        Mode::Cold => "cold",
        Mode::Hot => "hot",
    };
    dir.join(crate::report::baseline::slug(&device.name))
        .join(format!(
            "{date}-{mode}{}.jsonl",
            if quick { "-quick" } else { "" }
        ))
}

fn host() -> Host {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let hostname = read("/proc/sys/kernel/hostname").trim().to_string();
    let os = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|s| s.trim_matches('"').to_string())
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_default();
    Host { hostname, os, cpu }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_paths_are_named_by_gpu_and_date() {
        let d = Device {
            name: "NVIDIA H100 80GB HBM3".into(),
            capability: "9.0".into(),
            sm_count: 132,
            sm_clock_mhz: 1980,
            mem_clock_mhz: 2619,
            mem_bus_bits: 5120,
            l2_bytes: 52_428_800,
            memory_bytes: 85_000_000_000,
            driver_cuda_version: 13000,
            driver_release: None,
        };
        let p = default_path(
            std::path::Path::new("results"),
            &d,
            "2026-11-25T12:00:00Z",
            Mode::Cold,
            true,
        );
        assert_eq!(
            p,
            PathBuf::from("results/nvidia-h100-80gb-hbm3/2026-11-25-cold-quick.jsonl")
        );
    }

    #[test]
    fn worker_environment_is_recorded_and_scrubbed() {
        let env = worker_environment(
            |k| match k {
                "CUDA_FORCE_PTX_JIT" => Some("1".into()),
                "CUDA_VISIBLE_DEVICES" => Some("GPU-1234".into()),
                "CUDA_MODULE_LOADING" => Some("LAZY".into()),
                "CUDA_CACHE_PATH" => Some("/home/u/.nv".into()),
                _ => None,
            },
            None,
        );
        assert_eq!(
            env.set,
            ["CUDA_MODULE_LOADING=EAGER", "CUDA_CACHE_DISABLE=1"]
        );
        assert_eq!(
            env.removed,
            [
                "CUDA_FORCE_PTX_JIT=1",
                "CUDA_CACHE_PATH=/home/u/.nv",
                "CUDA_MODULE_LOADING=LAZY (replaced)"
            ]
        );
        assert_eq!(env.kept, ["CUDA_VISIBLE_DEVICES=GPU-1234"]);
        // `--jit-cache DIR`: the cache on, in DIR, and recorded so.
        let on = worker_environment(|_| None, Some(Path::new("/tmp/jit")));
        assert_eq!(
            on.set,
            [
                "CUDA_MODULE_LOADING=EAGER",
                "CUDA_CACHE_DISABLE=0",
                "CUDA_CACHE_PATH=/tmp/jit"
            ]
        );
        assert!(on.jit_cache_on());
        assert!(!env.jit_cache_on());
        // The worker command really carries it.
        let cmd = worker_command(&WorkerTask::Ceilings { device: 0 }, &worker_vars(None)).unwrap();
        let envs: Vec<(String, Option<String>)> = cmd
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        assert!(envs.contains(&("CUDA_FORCE_PTX_JIT".into(), None)));
        assert!(envs.contains(&("CUDA_MODULE_LOADING".into(), Some("EAGER".into()))));
        assert!(envs.contains(&("CUDA_CACHE_DISABLE".into(), Some("1".into()))));
    }
}
