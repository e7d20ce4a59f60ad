//! `archbench fleet collect`: gather what a fleet's tasks wrote — task directories on a
//! shared file system or volume, saved container logs, downloaded CI artifacts — and say for
//! every expected target what became of it. A target is never silently absent: it is `ok`,
//! `failed` (with the exit code and what it means), `wrong-gpu` (it ran, on another GPU),
//! `incomplete` (it started and never finished: killed, timed out, still running) or
//! `missing` (nothing arrived; with Slurm's state of the task, or why it was never
//! submitted). The runs that arrived, also partial ones, feed the merged report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::layout::{self, ExpectedTask, FleetDir, TaskMode};
use super::spec::{Engine, Fleet};
use super::task::{self, TaskRecord};
use super::{gpus, logs, slurm, FleetError};
use archbench::report::merge::Absent;
use archbench::results::read::{parse_run, read_run};
use archbench::results::schema::{RunFile, Status as CaseStatus};

/// What became of one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskStatus {
    Ok,
    Failed,
    WrongGpu,
    Incomplete,
    Missing,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Ok => "ok",
            TaskStatus::Failed => "FAILED",
            TaskStatus::WrongGpu => "WRONG GPU",
            TaskStatus::Incomplete => "INCOMPLETE",
            TaskStatus::Missing => "MISSING",
        }
    }
}

/// One variant's predicted image on a plan-only target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictedVariant {
    pub name: String,
    pub predicted: Option<String>,
    /// The same, typed (plans written by archbench ≥ results schema 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<archbench::results::schema::Predicted>,
    pub loads: Option<bool>,
}

#[derive(Deserialize)]
struct PlanFile {
    #[serde(default)]
    variants: Vec<PredictedVariant>,
}

/// One target's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct TaskReport {
    pub target: String,
    /// The GPU the fleet expected (`9.0 H100`).
    pub expected: String,
    pub mode: TaskMode,
    pub status: TaskStatus,
    /// Why, in one line.
    pub detail: String,
    pub host: Option<String>,
    pub exit_code: Option<i32>,
    /// The device the run found (`NVIDIA H100 80GB HBM3 (sm 9.0)`).
    pub device: Option<String>,
    /// Slurm's word on the task, when it ran under Slurm.
    pub slurm: Option<slurm::TaskState>,
    /// Where its files were found (task directory or log).
    pub source: Option<String>,
    /// Results files read (paths as found, or where a log's results were written).
    pub results: Vec<String>,
    /// Per-task stdout/stderr files (Slurm).
    pub logs: Vec<String>,
    /// A plan-only task's predictions, variant by variant.
    pub plan: Vec<PredictedVariant>,
    /// Runs read for this task (not serialized: the report carries them).
    #[serde(skip)]
    pub runs: Vec<(String, RunFile)>,
}

/// Everything collected.
#[derive(Debug, Clone, Serialize)]
pub struct Collection {
    pub fleet: Option<String>,
    pub tasks: Vec<TaskReport>,
    /// Things the reader should know that are not a task's outcome.
    pub warnings: Vec<String>,
}

impl Collection {
    pub fn all_ok(&self) -> bool {
        self.tasks.iter().all(|t| t.status == TaskStatus::Ok)
    }

    /// `(status, count)` in a fixed order, only those present.
    pub fn counts(&self) -> Vec<(TaskStatus, usize)> {
        [
            TaskStatus::Ok,
            TaskStatus::Failed,
            TaskStatus::WrongGpu,
            TaskStatus::Incomplete,
            TaskStatus::Missing,
        ]
        .into_iter()
        .map(|s| (s, self.tasks.iter().filter(|t| t.status == s).count()))
        .filter(|(_, n)| *n > 0)
        .collect()
    }

    /// Every run that arrived, labelled by where it came from.
    pub fn runs(&self) -> Vec<(String, RunFile)> {
        self.tasks
            .iter()
            .flat_map(|t| t.runs.iter().cloned())
            .collect()
    }

    /// A report label per run of [`Collection::runs`], in the same order: `h100: NVIDIA H100
    /// 80GB HBM3`, `(partial)` for a task that never finished, numbered when a target has
    /// several runs.
    pub fn run_labels(&self) -> Vec<String> {
        let mut out = Vec::new();
        for t in &self.tasks {
            for (i, (_, run)) in t.runs.iter().enumerate() {
                let n = if t.runs.len() > 1 {
                    format!(" #{}", i + 1)
                } else {
                    String::new()
                };
                let partial = if t.status == TaskStatus::Incomplete {
                    " (partial)"
                } else {
                    ""
                };
                out.push(format!("{}: {}{n}{partial}", t.target, run.device.name));
            }
        }
        out
    }

    /// The targets that did not end well, for the merged report.
    pub fn absent(&self) -> Vec<Absent> {
        self.tasks
            .iter()
            .filter(|t| t.status != TaskStatus::Ok)
            .map(|t| Absent {
                name: t.target.clone(),
                expected: t.expected.clone(),
                status: t.status.as_str().to_string(),
                detail: t.detail.clone(),
            })
            .collect()
    }
}

/// What to collect.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Fleet directories.
    pub dirs: Vec<PathBuf>,
    /// The fleet file, when the directories have no `fleet.json` (CI artifacts) or to
    /// override it.
    pub fleet: Option<Fleet>,
    /// Which of the fleet file's targets to expect (all when `None`).
    pub engine: Option<Engine>,
    /// Ask Slurm (`sacct`, `scontrol`) about tasks in `jobs.txt`.
    pub query_slurm: bool,
    /// Where results read from container logs are written as files (`<dir>/<target>.jsonl`).
    pub log_runs_dir: Option<PathBuf>,
}

/// Gather every expected task of every directory.
pub fn collect(opts: &CollectOptions) -> Result<Collection, FleetError> {
    if opts.dirs.is_empty() {
        return Err(FleetError::Usage(
            "give at least one fleet directory".into(),
        ));
    }
    let mut warnings = Vec::new();
    let mut fleet_name = opts.fleet.as_ref().map(|f| f.name.clone());
    let mut tasks = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for dir in &opts.dirs {
        if !dir.is_dir() {
            return Err(FleetError::Layout {
                path: dir.clone(),
                message: "is not a directory: give the directory `archbench fleet slurm|k8s --out` or `fleet task --dir` wrote".into(),
            });
        }
        let described = FleetDir::read(dir)?;
        let expected: Vec<ExpectedTask> = match (&opts.fleet, &described) {
            (Some(f), _) => FleetDir::new(f, opts.engine).targets,
            (None, Some(d)) => {
                fleet_name.get_or_insert_with(|| d.fleet.clone());
                d.targets.clone()
            }
            (None, None) => {
                let found = discovered(dir);
                warnings.push(format!(
                    "{} has no fleet.json and no --fleet was given: only the {} task(s) found there are reported; a target that left nothing cannot be named (pass --fleet FLEET.toml)",
                    dir.display(),
                    found.len()
                ));
                found
            }
        };
        let jobs = slurm::read_jobs(dir);
        let by_index = slurm::latest_by_index(&jobs);
        let states = if opts.query_slurm && !jobs.is_empty() {
            let wanted: Vec<(String, usize)> = expected
                .iter()
                .filter_map(|et| match by_index.get(&et.index) {
                    Some(slurm::Submission::Submitted { job, .. }) => Some((job.clone(), et.index)),
                    _ => None,
                })
                .collect();
            match slurm::states(&wanted) {
                Ok(s) => s,
                Err(e) => {
                    warnings.push(format!(
                        "Slurm job states unavailable ({e}); task outcomes come from the files alone"
                    ));
                    BTreeMap::new()
                }
            }
        } else {
            BTreeMap::new()
        };
        for et in expected {
            if seen.contains(&et.name) {
                continue;
            }
            let slurm_info = match by_index.get(&et.index) {
                Some(slurm::Submission::Submitted { job, .. }) => {
                    SlurmInfo::State(states.get(&(job.clone(), et.index)).cloned(), job.clone())
                }
                Some(slurm::Submission::Failed { message, .. }) => {
                    SlurmInfo::SubmitFailed(message.clone())
                }
                None if !jobs.is_empty() => SlurmInfo::NotSubmitted,
                None => SlurmInfo::None,
            };
            let mut report = one(dir, &et, slurm_info, opts.log_runs_dir.as_deref());
            if !jobs.is_empty() {
                report.logs = slurm::task_logs(dir, et.index)
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect();
            }
            seen.push(et.name.clone());
            tasks.push(report);
        }
    }
    Ok(Collection {
        fleet: fleet_name,
        tasks,
        warnings,
    })
}

/// Task names present in a directory without a description.
fn discovered(dir: &Path) -> Vec<ExpectedTask> {
    let mut names: Vec<String> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(layout::tasks_dir(dir)) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            let name = match n.strip_prefix('.') {
                Some(rest) => match rest.split_once(".partial-") {
                    Some((t, _)) => t.to_string(),
                    None => continue,
                },
                None => n,
            };
            if e.path().is_dir() && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    if let Ok(rd) = std::fs::read_dir(layout::logs_dir(dir)) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if let Some(t) = n.strip_suffix(".log") {
                if !t.starts_with('.') && !names.iter().any(|x| x == t) {
                    names.push(t.to_string());
                }
            }
        }
    }
    names.sort();
    names
        .into_iter()
        .enumerate()
        .map(|(index, name)| ExpectedTask {
            name,
            index,
            capability: "?".into(),
            model: None,
            mode: TaskMode::Run,
        })
        .collect()
}

enum SlurmInfo {
    /// Not a Slurm directory.
    None,
    /// Submitted as this job; Slurm's state when it answered.
    State(Option<slurm::TaskState>, String),
    SubmitFailed(String),
    /// A Slurm directory whose jobs.txt has no submission for this index.
    NotSubmitted,
}

impl SlurmInfo {
    fn state(&self) -> Option<&slurm::TaskState> {
        match self {
            SlurmInfo::State(s, _) => s.as_ref(),
            _ => None,
        }
    }

    /// ` (Slurm: FAILED, exit 3:0)` or empty.
    fn suffix(&self) -> String {
        match self {
            SlurmInfo::State(Some(s), _) => {
                let mut parts = vec![s.state.clone()];
                if let Some(e) = &s.exit_code {
                    parts.push(format!("exit {e}"));
                }
                if let Some(r) = &s.reason {
                    parts.push(r.clone());
                }
                format!(" (Slurm {}: {})", s.id, parts.join(", "))
            }
            SlurmInfo::State(None, job) => format!(" (Slurm job {job}: no state: the job is older than Slurm's memory, or sacct/scontrol are not here)"),
            _ => String::new(),
        }
    }
}

/// Files a task left in a directory.
struct Found {
    record: Option<TaskRecord>,
    partial: bool,
    source: String,
    results: Vec<(String, Result<RunFile, String>)>,
    plan: Vec<PredictedVariant>,
}

fn from_task_dir(task_dir: &Path, partial: bool) -> Found {
    let record = task::read_record(task_dir).ok();
    let mut results = Vec::new();
    // The record lists its results; a partial task's record predates them, so look.
    let mut files: Vec<String> = record
        .as_ref()
        .map(|r| r.results.clone())
        .unwrap_or_default();
    if let Ok(gpus) = std::fs::read_dir(task_dir.join("results")) {
        for g in gpus.flatten() {
            if let Ok(rd) = std::fs::read_dir(g.path()) {
                for f in rd.flatten() {
                    let n = f.file_name().to_string_lossy().into_owned();
                    let rel = format!("results/{}/{n}", g.file_name().to_string_lossy());
                    let results = n.ends_with(".jsonl") || n.ends_with(".json");
                    if results && !n.starts_with('.') && !files.contains(&rel) {
                        files.push(rel);
                    }
                }
            }
        }
    }
    files.sort();
    for rel in files {
        let p = task_dir.join(&rel);
        results.push((
            p.display().to_string(),
            read_run(&p).map_err(|e| e.to_string()),
        ));
    }
    let plan = std::fs::read_to_string(task_dir.join("plan.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<PlanFile>(&t).ok())
        .map(|p| p.variants)
        .unwrap_or_default();
    Found {
        record,
        partial,
        source: task_dir.display().to_string(),
        results,
        plan,
    }
}

fn from_log(log: &Path, runs_dir: Option<&Path>, target: &str) -> Result<Found, String> {
    let text = archbench_core::fsio::read_text(log, archbench::results::read::RESULTS_FILE_LIMIT)
        .map_err(|e| e.to_string())?;
    let c = logs::parse(&text);
    let mut results = Vec::new();
    if !c.results.is_empty() {
        let label = log.display().to_string();
        let parsed = parse_run(&c.results, log).map_err(|e| e.to_string());
        // Keep the results as a file too, for `report`, `compare` and `baseline save`.
        let shown = match (runs_dir, &parsed) {
            (Some(d), Ok(_)) => {
                let p = d.join(format!("{target}.jsonl"));
                match super::fsutil::create_dir(d)
                    .and_then(|()| super::fsutil::write_atomic(&p, c.results.as_bytes()))
                {
                    Ok(()) => p.display().to_string(),
                    Err(_) => label,
                }
            }
            _ => label,
        };
        results.push((shown, parsed));
    }
    let plan = c
        .plan
        .and_then(|p| serde_json::from_value::<PlanFile>(p).ok())
        .map(|p| p.variants)
        .unwrap_or_default();
    let partial = c.finished.is_none();
    Ok(Found {
        record: c.finished.or(c.started),
        partial,
        source: log.display().to_string(),
        results,
        plan,
    })
}

/// The newest `.<target>.partial-*` directory.
fn newest_partial(dir: &Path, target: &str) -> Option<PathBuf> {
    let prefix = layout::partial_prefix(target);
    let mut v: Vec<PathBuf> = std::fs::read_dir(layout::tasks_dir(dir))
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    v.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    v.pop()
}

fn mode_word(m: TaskMode) -> &'static str {
    match m {
        TaskMode::Run => "run",
        TaskMode::Plan => "plan-only",
    }
}

/// What `archbench run`'s exit code means, in words.
fn exit_meaning(code: i32, host: &str) -> String {
    match code {
        0 => "exit 0".into(),
        1 => "exit 1: a check FAILED, an unforeseen error, a hang, a crash or a contradicted prediction".into(),
        2 => "exit 2: usage error (the options the fleet gave archbench run)".into(),
        3 => format!("exit 3: no CUDA GPU or driver on {host}"),
        c if c == i32::from(task::EXIT_TASK_ERROR) => format!("exit {c}: the task itself failed"),
        c => format!("exit {c}"),
    }
}

fn one(
    dir: &Path,
    et: &ExpectedTask,
    slurm_info: SlurmInfo,
    runs_dir: Option<&Path>,
) -> TaskReport {
    let mut r = TaskReport {
        target: et.name.clone(),
        expected: et.gpu(),
        mode: et.mode,
        status: TaskStatus::Missing,
        detail: String::new(),
        host: None,
        exit_code: None,
        device: None,
        slurm: slurm_info.state().cloned(),
        source: None,
        results: Vec::new(),
        logs: Vec::new(),
        plan: Vec::new(),
        runs: Vec::new(),
    };
    let finished_dir = layout::task_dir(dir, &et.name);
    let log = layout::container_log(dir, &et.name);
    let found = if finished_dir.join("task.json").is_file() {
        Some(Ok(from_task_dir(&finished_dir, false)))
    } else if let Some(p) = newest_partial(dir, &et.name) {
        Some(Ok(from_task_dir(&p, true)))
    } else if log.is_file() {
        Some(from_log(&log, runs_dir, &et.name))
    } else {
        None
    };
    let found = match found {
        None => {
            r.detail = never_arrived(&slurm_info, &finished_dir, &log);
            return r;
        }
        Some(Err(e)) => {
            r.status = TaskStatus::Failed;
            r.detail = format!("unreadable log {}: {e}", log.display());
            r.source = Some(log.display().to_string());
            return r;
        }
        Some(Ok(f)) => f,
    };
    r.source = Some(found.source.clone());
    r.plan = found.plan.clone();
    r.host = found.record.as_ref().map(|x| x.host.clone());
    r.exit_code = found.record.as_ref().and_then(|x| x.exit_code);
    let mut unreadable = Vec::new();
    for (path, res) in &found.results {
        match res {
            Ok(run) => {
                r.results.push(path.clone());
                r.runs.push((path.clone(), run.clone()));
            }
            Err(e) => unreadable.push(e.clone()),
        }
    }
    if let Some((_, run)) = r.runs.first() {
        r.device = Some(format!(
            "{} (sm {})",
            run.device.name, run.device.capability
        ));
    }
    (r.status, r.detail) = judge(&r, et, &found, &unreadable, &slurm_info.suffix());
    r
}

/// Why nothing of a task arrived: what Slurm says of it, or where nothing was found.
fn never_arrived(slurm_info: &SlurmInfo, finished_dir: &Path, log: &Path) -> String {
    match slurm_info {
        SlurmInfo::SubmitFailed(m) => format!("never ran: sbatch refused it: {m}"),
        SlurmInfo::NotSubmitted => "never submitted (no line for it in jobs.txt)".into(),
        SlurmInfo::State(Some(s), _)
            if matches!(
                s.state.as_str(),
                "PENDING" | "RUNNING" | "CONFIGURING" | "REQUEUED"
            ) =>
        {
            format!("nothing written yet{}", slurm_info.suffix())
        }
        SlurmInfo::State(..) => format!("no task directory{}", slurm_info.suffix()),
        SlurmInfo::None => format!(
            "no task directory ({}) or log ({})",
            finished_dir.display(),
            log.display()
        ),
    }
}

/// The status and detail of a task whose files were `found` (`r` holds what they gave;
/// `unreadable`, the results files that could not be read; `suffix`, Slurm's word on it).
fn judge(
    r: &TaskReport,
    et: &ExpectedTask,
    found: &Found,
    unreadable: &[String],
    suffix: &str,
) -> (TaskStatus, String) {
    let host = r.host.clone().unwrap_or_else(|| "?".into());
    if found.partial {
        let started = found
            .record
            .as_ref()
            .map(|x| format!(" at {}", x.started))
            .unwrap_or_default();
        let cases: usize = r.runs.iter().map(|(_, run)| run.cases.len()).sum();
        return (TaskStatus::Incomplete, format!(
            "started on {host}{started}, never finished (killed, timed out or still running); {cases} finished case(s) kept{suffix}"
        ));
    }
    let failed = |detail: String| (TaskStatus::Failed, detail);
    let Some(rec) = &found.record else {
        return failed(format!("no task record in {}{suffix}", found.source));
    };
    if !unreadable.is_empty() {
        return failed(format!("unreadable results: {}", unreadable.join("; ")));
    }
    if let Some(e) = &rec.error {
        return failed(format!("the task could not run on {host}: {e}{suffix}"));
    }
    if let Some(sig) = rec.signal {
        return failed(format!(
            "archbench was killed by signal {sig} on {host}{suffix}"
        ));
    }
    if rec.mode != et.mode {
        return failed(format!(
            "the task ran in {} mode, but the fleet expects {} mode (was it started by hand with other options?){suffix}",
            mode_word(rec.mode),
            mode_word(et.mode)
        ));
    }
    let code = rec.exit_code.unwrap_or(-1);
    match et.mode {
        TaskMode::Plan => judge_plan(&r.plan, code, &host, suffix),
        TaskMode::Run => judge_run(&r.runs, et, code, &host, suffix),
    }
}

/// A finished plan-only task: how many variants are predicted to load, or its exit code.
fn judge_plan(
    plan: &[PredictedVariant],
    code: i32,
    host: &str,
    suffix: &str,
) -> (TaskStatus, String) {
    if code != 0 {
        return (
            TaskStatus::Failed,
            format!(
                "`archbench run --plan` on {host}: {}{suffix}",
                exit_meaning(code, host)
            ),
        );
    }
    let base: Vec<&PredictedVariant> = plan
        .iter()
        .filter(|v| !v.name.contains(archbench::run::plan::FORCED_SEP))
        .collect();
    let loads = base.iter().filter(|v| v.loads == Some(true)).count();
    (
        TaskStatus::Ok,
        format!(
            "plan on {host}: {loads} of {} variant(s) predicted to load{suffix}",
            base.len()
        ),
    )
}

/// A finished measuring task: on the GPU the fleet meant, and how its cases went.
fn judge_run(
    runs: &[(String, RunFile)],
    et: &ExpectedTask,
    code: i32,
    host: &str,
    suffix: &str,
) -> (TaskStatus, String) {
    if runs.is_empty() {
        return (
            TaskStatus::Failed,
            format!(
                "no results from {host}: {}{suffix}",
                exit_meaning(code, host)
            ),
        );
    }
    // Did it run on the GPU the fleet meant?
    for (_, run) in runs {
        let cap_ok = et.capability == "?" || run.device.capability == et.capability;
        let model_ok = et
            .model
            .as_deref()
            .is_none_or(|m| gpus::device_is_model(&run.device.name, m));
        if !(cap_ok && model_ok) {
            return (TaskStatus::WrongGpu, format!(
                "ran on {host}'s {} (sm {}), not a {}: its results are in the report under that GPU{suffix}",
                run.device.name,
                run.device.capability,
                et.gpu()
            ));
        }
    }
    let cases: Vec<_> = runs.iter().flat_map(|(_, run)| run.cases.iter()).collect();
    let count = |s: CaseStatus| cases.iter().filter(|c| c.outcome() == s).count();
    let failing = cases.iter().filter(|c| c.is_failure()).count();
    let summary = format!(
        "{} case(s): {} ok, {} refused as predicted, {} failing",
        cases.len(),
        count(CaseStatus::Ok),
        count(CaseStatus::Refused),
        failing
    );
    if code == 0 {
        (TaskStatus::Ok, format!("{summary} on {host}{suffix}"))
    } else {
        (
            TaskStatus::Failed,
            format!("{summary} on {host}; {}{suffix}", exit_meaning(code, host)),
        )
    }
}

/// The plan-only targets' predictions side by side: `(variants, targets, cell[variant][target])`.
pub fn prediction_matrix(c: &Collection) -> (Vec<String>, Vec<String>, Vec<Vec<String>>) {
    let planned: Vec<&TaskReport> = c.tasks.iter().filter(|t| !t.plan.is_empty()).collect();
    let mut variants: Vec<String> = Vec::new();
    for t in &planned {
        for v in &t.plan {
            if !v.name.contains(archbench::run::plan::FORCED_SEP) && !variants.contains(&v.name) {
                variants.push(v.name.clone());
            }
        }
    }
    let cells = variants
        .iter()
        .map(|v| {
            planned
                .iter()
                .map(|t| {
                    t.plan
                        .iter()
                        .find(|p| &p.name == v)
                        .map_or("—".to_string(), |p| {
                            super::plan::short_of(p.prediction.as_ref(), p.predicted.as_deref())
                        })
                })
                .collect()
        })
        .collect();
    (
        variants,
        planned.iter().map(|t| t.target.clone()).collect(),
        cells,
    )
}

/// `fleet.md`: the task table and, for plan-only targets, their predictions.
pub fn markdown(c: &Collection) -> String {
    use archbench::report::format::md_cell;
    let mut s = String::new();
    s.push_str(&format!(
        "# archbench fleet{}\n\n",
        c.fleet
            .as_ref()
            .map(|f| format!(" `{f}`"))
            .unwrap_or_default()
    ));
    let counts: Vec<String> = c
        .counts()
        .iter()
        .map(|(st, n)| format!("{n} {}", st.as_str()))
        .collect();
    s.push_str(&format!(
        "{} task(s): {}.\n\n",
        c.tasks.len(),
        counts.join(", ")
    ));
    s.push_str("| target | expected GPU | mode | status | host | device | detail |\n|---|---|---|---|---|---|---|\n");
    for t in &c.tasks {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            md_cell(&t.target),
            md_cell(&t.expected),
            match t.mode {
                TaskMode::Run => "run",
                TaskMode::Plan => "plan",
            },
            if t.status == TaskStatus::Ok {
                "ok".to_string()
            } else {
                format!("**{}**", t.status.as_str())
            },
            md_cell(t.host.as_deref().unwrap_or("—")),
            md_cell(t.device.as_deref().unwrap_or("—")),
            md_cell(&t.detail)
        ));
    }
    let (variants, targets, cells) = prediction_matrix(c);
    if !variants.is_empty() {
        s.push_str("\n## Predicted images on the plan-only targets\n\n");
        s.push_str(&format!(
            "| variant | {} |\n",
            targets
                .iter()
                .map(|t| md_cell(t))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        s.push_str(&format!("|---|{}\n", "---|".repeat(targets.len())));
        for (v, row) in variants.iter().zip(cells) {
            s.push_str(&format!(
                "| `{}` | {} |\n",
                md_cell(v),
                row.iter()
                    .map(|x| md_cell(x))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
    }
    for w in &c.warnings {
        s.push_str(&format!("\n> warning: {}\n", md_cell(w)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_in_words() {
        assert!(exit_meaning(3, "node7").contains("no CUDA GPU or driver on node7"));
        assert!(exit_meaning(1, "n").contains("check FAILED"));
        assert_eq!(exit_meaning(9, "n"), "exit 9");
    }
}
