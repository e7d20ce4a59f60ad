//! `archbench fleet task`: one target's share, run on the machine the engine placed it on.
//!
//! It runs the real command as a child process of the same binary — `archbench run` (check
//! and time on the GPU) or, for plan-only targets, `archbench run --plan --gpu X.Y` — and
//! returns its exit code (0, 1, 3 as `archbench run` defines them), so the engine's own job
//! state says whether the task failed. Around it:
//!
//! - with `--dir DIR` it works in `DIR/tasks/.<target>.partial-<id>/` (the child writes
//!   `results/<gpu>/….jsonl` there, case by case) and, when the child ends, renames that
//!   directory to `DIR/tasks/<target>/` with a `task.json` (host, scheduler ids, command,
//!   times, exit code, results files): readers see a finished task or none, and a task
//!   killed on the way leaves its partial directory, whose finished cases still read;
//! - with `--stdout` it prints one JSON document per line to stdout: a
//!   `{"archbench_fleet_task": …}` line first and last, and every line of the results file
//!   as the child appends it (the child's own output goes to stderr), so a container's
//!   `kubectl logs` carries the whole result.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::layout::{self, TaskMode};
use super::spec::{Fleet, Target};
use super::{fsutil, FleetError};
use archbench::run::{Plan, PlanOptions};

/// Exit code of a task whose wrapper failed (could not create its directory, start the
/// child, …); the child's own codes are 0, 1, 2 and 3.
pub const EXIT_TASK_ERROR: u8 = 4;

/// Key of the first and last line a `--stdout` task prints.
pub const TASK_LINE_KEY: &str = "archbench_fleet_task";
/// Key of the line carrying a plan-only task's plan.
pub const PLAN_LINE_KEY: &str = "archbench_fleet_plan";

/// Scheduler variables recorded in `task.json`, where set.
const SCHEDULER_VARS: &[&str] = &[
    "SLURM_JOB_ID",
    "SLURM_ARRAY_JOB_ID",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_JOB_PARTITION",
    "SLURM_JOB_NODELIST",
    "SLURM_JOB_GPUS",
    "CUDA_VISIBLE_DEVICES",
    "NODE_NAME",
    "POD_NAME",
    "GITHUB_RUN_ID",
    "GITHUB_JOB",
    "RUNNER_NAME",
];

/// What one target runs: everything `archbench fleet task` needs, on its command line.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskOptions {
    pub target: String,
    pub capability: String,
    pub model: Option<String>,
    pub driver: Option<String>,
    pub mode: TaskMode,
    pub quick: bool,
    pub hot: bool,
    pub max_time_s: f64,
    pub variants: Vec<String>,
    pub kernels: Vec<String>,
    pub seed: Option<u64>,
}

impl TaskOptions {
    pub fn new(fleet: &Fleet, t: &Target) -> Self {
        Self {
            target: t.name.clone(),
            capability: t.capability.to_string(),
            model: t.model.clone(),
            driver: t.driver.clone(),
            mode: TaskMode::of(t),
            quick: fleet.run.quick,
            hot: fleet.run.hot,
            max_time_s: fleet.run.max_time_s,
            variants: fleet.run.variants.clone(),
            kernels: fleet.run.kernels.clone(),
            seed: fleet.run.seed,
        }
    }

    /// The options of the target named `target` in the fleet file at `path`.
    pub fn from_fleet_file(path: &Path, target: &str) -> Result<Self, FleetError> {
        let fleet = Fleet::load(path)?;
        let Some(t) = fleet.target(target) else {
            return Err(FleetError::Usage(format!(
                "{} has no target `{target}`; its targets: {}",
                path.display(),
                fleet
                    .targets
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        Ok(Self::new(&fleet, t))
    }

    /// The `archbench fleet task …` arguments (after `archbench`) that run this target.
    pub fn fleet_task_args(&self) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "fleet".into(),
            "task".into(),
            "--target".into(),
            self.target.clone(),
            "--gpu".into(),
            self.capability.clone(),
        ];
        if let Some(m) = &self.model {
            a.extend(["--model".into(), m.clone()]);
        }
        if self.mode == TaskMode::Plan {
            a.push("--plan-only".into());
        }
        a.extend(self.run_options());
        a
    }

    /// The options shared by `fleet task` and the `archbench run` it starts.
    fn run_options(&self) -> Vec<String> {
        let mut a = Vec::new();
        if let Some(d) = &self.driver {
            a.extend(["--driver".into(), d.clone()]);
        }
        if self.quick {
            a.push("--quick".into());
        }
        if self.hot {
            a.push("--hot".into());
        }
        if self.mode == TaskMode::Run {
            a.extend(["--max-time".into(), format_seconds(self.max_time_s)]);
        }
        for v in &self.variants {
            a.extend(["--variant".into(), v.clone()]);
        }
        for k in &self.kernels {
            a.extend(["--kernel".into(), k.clone()]);
        }
        if let Some(s) = self.seed {
            a.extend(["--seed".into(), s.to_string()]);
        }
        a
    }

    /// The `archbench run …` arguments the task's child gets.
    pub fn child_args(&self) -> Vec<String> {
        let mut a: Vec<String> = vec!["run".into()];
        if self.mode == TaskMode::Plan {
            a.extend(["--plan".into(), "--gpu".into(), self.capability.clone()]);
        }
        a.extend(self.run_options());
        a
    }

    /// The plan this task's binary predicts for its GPU (written as `plan.json`).
    fn plan(&self) -> Result<Plan, FleetError> {
        let m = crate::embedded::manifest()?;
        let gpu = self
            .capability
            .parse()
            .map_err(|e| FleetError::Usage(format!("--gpu: {e}")))?;
        let driver = match &self.driver {
            Some(d) => Some(
                d.parse()
                    .map_err(|e| FleetError::Usage(format!("--driver: {e}")))?,
            ),
            None => None,
        };
        Ok(Plan::new(
            &m,
            &crate::suite::suite(),
            &PlanOptions {
                variants: self.variants.clone(),
                kernels: self.kernels.clone(),
                cases: Vec::new(),
                quick: self.quick,
                edges: false,
                seed: self.seed.unwrap_or(0),
                gpu: Some(gpu),
                driver,
            },
        )?)
    }
}

/// `600` for whole seconds, else the decimal.
pub fn format_seconds(s: f64) -> String {
    if s.fract() == 0.0 && s.abs() < 1e15 {
        format!("{}", s as i64)
    } else {
        format!("{s}")
    }
}

/// `task.json`: what happened to one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    pub archbench_version: String,
    pub target: String,
    /// The GPU the fleet file expected.
    pub capability: String,
    pub model: Option<String>,
    pub mode: TaskMode,
    /// The child's command line (after the binary).
    pub command: Vec<String>,
    pub host: String,
    /// RFC 3339 UTC.
    pub started: String,
    /// `None` while running (or when the task was killed).
    pub finished: Option<String>,
    pub wall_s: Option<f64>,
    /// The child's exit code; `None` when it was killed by a signal or did not start.
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    /// Scheduler and placement variables (`SLURM_JOB_ID`, `NODE_NAME`, …).
    pub scheduler: BTreeMap<String, String>,
    /// Results files, relative to the task directory.
    pub results: Vec<String>,
    /// A problem of the task itself (not of the run), in words.
    pub error: Option<String>,
}

impl TaskRecord {
    /// The exit code the task process ends with.
    pub fn exit_status(&self) -> u8 {
        match (self.exit_code, self.signal, &self.error) {
            (Some(c), _, _) => c.clamp(0, 255) as u8,
            (None, Some(s), _) => (128 + s).clamp(0, 255) as u8,
            _ => EXIT_TASK_ERROR,
        }
    }
}

/// Where a task's results go.
#[derive(Debug, Clone)]
pub enum Sink {
    /// A fleet directory (shared file system, volume).
    Dir(PathBuf),
    /// Standard output, one JSON document per line.
    Stdout,
}

/// Run one task with the binary `exe`; returns its record (the exit code is
/// [`TaskRecord::exit_status`]).
pub fn run(opts: &TaskOptions, sink: &Sink, exe: &Path) -> Result<TaskRecord, FleetError> {
    let attempt = attempt_id();
    let (work, cleanup) = match sink {
        Sink::Dir(dir) => {
            let tasks = layout::tasks_dir(dir);
            fsutil::create_dir(&tasks)?;
            (
                tasks.join(format!("{}{attempt}", layout::partial_prefix(&opts.target))),
                false,
            )
        }
        Sink::Stdout => (
            std::env::temp_dir().join(format!("archbench-task-{}-{attempt}", opts.target)),
            true,
        ),
    };
    fsutil::create_dir(&work)?;
    let command = opts.child_args();
    let mut record = TaskRecord {
        archbench_version: env!("CARGO_PKG_VERSION").to_string(),
        target: opts.target.clone(),
        capability: opts.capability.clone(),
        model: opts.model.clone(),
        mode: opts.mode,
        command: command.clone(),
        host: fsutil::hostname(),
        started: layout::now_rfc3339(),
        finished: None,
        wall_s: None,
        exit_code: None,
        signal: None,
        scheduler: SCHEDULER_VARS
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
            .collect(),
        results: Vec::new(),
        error: None,
    };
    let emit = |r: &TaskRecord| -> Result<(), FleetError> {
        match sink {
            Sink::Dir(_) => write_record(&work, r),
            Sink::Stdout => print_line(&serde_json::json!({ TASK_LINE_KEY: r })),
        }
    };
    emit(&record)?;
    let start = Instant::now();
    let outcome = run_child(opts, sink, exe, &work, &command);
    record.wall_s = Some(start.elapsed().as_secs_f64());
    record.finished = Some(layout::now_rfc3339());
    match outcome {
        Ok((code, signal)) => {
            record.exit_code = code;
            record.signal = signal;
        }
        Err(e) => record.error = Some(e.to_string()),
    }
    record.results = results_files(&work);
    emit(&record)?;
    match sink {
        Sink::Dir(dir) => publish(&work, &layout::task_dir(dir, &opts.target), &attempt)?,
        Sink::Stdout if cleanup => {
            let _ = std::fs::remove_dir_all(&work);
        }
        Sink::Stdout => {}
    }
    Ok(record)
}

/// Start the child, stream what the sink needs, wait; returns (exit code, signal).
fn run_child(
    opts: &TaskOptions,
    sink: &Sink,
    exe: &Path,
    work: &Path,
    command: &[String],
) -> Result<(Option<i32>, Option<i32>), FleetError> {
    let plan_mode = opts.mode == TaskMode::Plan;
    if plan_mode {
        // What this binary predicts on this machine, as data (the child prints it as text).
        // A plan that cannot be made is left to the child, which says why and exits 1.
        if let Ok(json) = opts
            .plan()
            .and_then(|p| serde_json::to_value(&p).map_err(|e| FleetError::Usage(e.to_string())))
        {
            match sink {
                Sink::Dir(_) => {
                    fsutil::write_atomic(&work.join("plan.json"), format!("{json:#}\n").as_bytes())?
                }
                Sink::Stdout => print_line(&serde_json::json!({ PLAN_LINE_KEY: json }))?,
            }
        }
    }
    let mut cmd = Command::new(exe);
    cmd.args(command).current_dir(work).stdin(Stdio::null());
    // stdout: a plan is captured to plan.txt; a run's summary goes to the task's own stdout,
    // or to stderr when stdout carries the JSON lines.
    match (plan_mode, sink) {
        (true, _) | (false, Sink::Stdout) => cmd.stdout(Stdio::piped()),
        (false, Sink::Dir(_)) => cmd.stdout(Stdio::inherit()),
    };
    cmd.stderr(Stdio::inherit());
    let mut child = cmd
        .spawn()
        .map_err(|e| FleetError::io("cannot start", exe, e))?;
    let mut captured = Vec::new();
    let pump = child.stdout.take().map(|mut out| {
        let to_stderr = matches!(sink, Sink::Stdout);
        std::thread::spawn(move || {
            let mut all = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                match out.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        all.extend_from_slice(&buf[..n]);
                        if to_stderr {
                            let _ = std::io::stderr().write_all(&buf[..n]);
                        } else {
                            let _ = std::io::stdout().write_all(&buf[..n]);
                        }
                    }
                }
            }
            all
        })
    });
    let mut tail = Tail::default();
    let status = loop {
        if let Sink::Stdout = sink {
            tail.pump(work)?;
        }
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => return Err(FleetError::io("cannot wait for", exe, e)),
        }
    };
    if let Some(p) = pump {
        captured = p.join().unwrap_or_default();
    }
    if let Sink::Stdout = sink {
        tail.pump(work)?;
        tail.finish()?;
    }
    if plan_mode {
        fsutil::write_atomic(&work.join("plan.txt"), &captured)?;
    }
    #[cfg(unix)]
    let signal = std::os::unix::process::ExitStatusExt::signal(&status);
    #[cfg(not(unix))]
    let signal = None;
    Ok((status.code(), signal))
}

/// Follows the results file(s) a child appends to and prints each complete new line.
#[derive(Default)]
struct Tail {
    /// Per file: bytes already printed.
    offsets: BTreeMap<PathBuf, u64>,
    /// A last line without its newline yet, per file.
    pending: BTreeMap<PathBuf, Vec<u8>>,
}

impl Tail {
    fn pump(&mut self, work: &Path) -> Result<(), FleetError> {
        for rel in results_files(work) {
            let p = work.join(&rel);
            let Ok(mut f) = std::fs::File::open(&p) else {
                continue;
            };
            let off = self.offsets.entry(p.clone()).or_insert(0);
            use std::io::Seek;
            if f.seek(std::io::SeekFrom::Start(*off)).is_err() {
                continue;
            }
            let mut fresh = Vec::new();
            let _ = f.read_to_end(&mut fresh);
            *off += fresh.len() as u64;
            let buf = self.pending.entry(p).or_default();
            buf.extend_from_slice(&fresh);
            while let Some(i) = buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buf.drain(..=i).collect();
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end();
                if !text.is_empty() {
                    print_raw(text)?;
                }
            }
        }
        Ok(())
    }

    /// A torn last line (the child was killed mid-write) is not printed: readers would drop
    /// it anyway.
    fn finish(&mut self) -> Result<(), FleetError> {
        std::io::stdout()
            .flush()
            .map_err(|e| FleetError::io("cannot write", "standard output", e))
    }
}

fn print_line(v: &serde_json::Value) -> Result<(), FleetError> {
    print_raw(&v.to_string())
}

fn print_raw(line: &str) -> Result<(), FleetError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|e| FleetError::io("cannot write", "standard output", e))
}

/// `results/<gpu>/*.jsonl` under `work`, relative and sorted.
fn results_files(work: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(gpus) = std::fs::read_dir(work.join("results")) else {
        return out;
    };
    for g in gpus.flatten() {
        let Ok(files) = std::fs::read_dir(g.path()) else {
            continue;
        };
        for f in files.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if name.ends_with(".jsonl") && !name.starts_with('.') {
                out.push(format!(
                    "results/{}/{name}",
                    g.file_name().to_string_lossy()
                ));
            }
        }
    }
    out.sort();
    out
}

fn write_record(work: &Path, r: &TaskRecord) -> Result<(), FleetError> {
    let json = serde_json::to_string_pretty(r).map_err(|e| FleetError::Usage(e.to_string()))?;
    fsutil::write_atomic(&work.join("task.json"), format!("{json}\n").as_bytes())
}

/// Move the finished task's directory into place; an earlier attempt's is replaced.
fn publish(work: &Path, dest: &Path, attempt: &str) -> Result<(), FleetError> {
    if dest.exists() {
        let parent = dest.parent().unwrap_or(Path::new("."));
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let old = parent.join(format!(".{name}.replaced-{attempt}"));
        std::fs::rename(dest, &old).map_err(|e| FleetError::io("cannot move aside", dest, e))?;
        std::fs::rename(work, dest).map_err(|e| FleetError::io("cannot publish", dest, e))?;
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(work, dest).map_err(|e| FleetError::io("cannot publish", dest, e))?;
    }
    Ok(())
}

/// Unique per attempt: the Slurm job id when there is one, else host, pid and time.
fn attempt_id() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let base = match std::env::var("SLURM_JOB_ID") {
        Ok(j) if !j.is_empty() && j.bytes().all(|b| b.is_ascii_digit()) => format!("slurm{j}"),
        _ => format!("{}-{}", fsutil::hostname(), std::process::id()),
    };
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{clean}-{t}")
}

/// Read a task directory's `task.json`.
pub fn read_record(task_dir: &Path) -> Result<TaskRecord, FleetError> {
    let p = task_dir.join("task.json");
    let text = archbench_core::fsio::read_text(&p, 4 << 20)?;
    serde_json::from_str(&text).map_err(|e| FleetError::Layout {
        path: p,
        message: format!(
            "not a task record: {e} (line {}, column {})",
            e.line(),
            e.column()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(mode: TaskMode) -> TaskOptions {
        TaskOptions {
            target: "h100".into(),
            capability: "9.0".into(),
            model: Some("H100".into()),
            driver: Some("580.65.06".into()),
            mode,
            quick: true,
            hot: false,
            max_time_s: 600.0,
            variants: vec!["pkgsCuda".into()],
            kernels: vec!["gemm".into()],
            seed: Some(7),
        }
    }

    #[test]
    fn command_lines() {
        assert_eq!(
            opts(TaskMode::Run).child_args().join(" "),
            "run --driver 580.65.06 --quick --max-time 600 --variant pkgsCuda --kernel gemm --seed 7"
        );
        assert_eq!(
            opts(TaskMode::Plan).child_args().join(" "),
            "run --plan --gpu 9.0 --driver 580.65.06 --quick --variant pkgsCuda --kernel gemm --seed 7"
        );
        assert_eq!(
            opts(TaskMode::Plan).fleet_task_args().join(" "),
            "fleet task --target h100 --gpu 9.0 --model H100 --plan-only --driver 580.65.06 --quick --variant pkgsCuda --kernel gemm --seed 7"
        );
        assert_eq!(format_seconds(600.0), "600");
        assert_eq!(format_seconds(0.5), "0.5");
    }

    #[test]
    fn exit_status() {
        let mut r = TaskRecord {
            archbench_version: "0".into(),
            target: "t".into(),
            capability: "9.0".into(),
            model: None,
            mode: TaskMode::Run,
            command: vec![],
            host: "h".into(),
            started: "s".into(),
            finished: None,
            wall_s: None,
            exit_code: Some(3),
            signal: None,
            scheduler: BTreeMap::new(),
            results: vec![],
            error: None,
        };
        assert_eq!(r.exit_status(), 3);
        r.exit_code = None;
        r.signal = Some(9);
        assert_eq!(r.exit_status(), 137);
        r.signal = None;
        r.error = Some("x".into());
        assert_eq!(r.exit_status(), EXIT_TASK_ERROR);
    }
}
