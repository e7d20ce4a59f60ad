//! What the fleet commands tell a person on the terminal: what `fleet slurm` and `fleet k8s`
//! wrote and how to submit and collect it, the task table `fleet collect` prints, and the
//! line a `fleet task` ends with. Text only: the command line writes it out.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::collect::{self, Collection, TaskStatus};
use super::layout::{self, TaskMode};
use super::slurm::{self, SubmitOutcome};
use super::spec::{Engine, Fleet};
use super::task::{self, TaskOptions, TaskRecord};
use super::{k8s, plan, FleetError};

/// What a command says: text for standard output, then for standard error, and the exit
/// code it ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub out: String,
    pub err: String,
    pub code: u8,
}

impl Said {
    /// Standard output alone, success.
    pub fn ok(out: String) -> Self {
        Said {
            out,
            err: String::new(),
            code: 0,
        }
    }

    /// Exit 0 when `ok`, else 1.
    pub fn with_success(self, ok: bool) -> Self {
        Said {
            code: u8::from(!ok),
            ..self
        }
    }

    /// `value` as pretty JSON on standard output, success.
    pub fn json(value: &impl Serialize) -> Result<Self, FleetError> {
        Ok(Said::ok(format!(
            "{}\n",
            serde_json::to_string_pretty(value)?
        )))
    }
}

/// What `fleet slurm` wrote: the directory, the staged binary, the scripts and one line per
/// `sbatch` call.
pub fn slurm_written(fleet: &Fleet, w: &slurm::Written) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "fleet `{}`: {} Slurm array task(s) in {}",
        fleet.name,
        fleet.targets_for(Some(Engine::Slurm)).len(),
        w.dir.display()
    );
    let _ = writeln!(
        s,
        "  staged binary  {} ({} bytes)",
        w.binary.display(),
        w.binary_bytes
    );
    let _ = writeln!(s, "  array script   {}", w.script.display());
    let _ = writeln!(
        s,
        "  submission     {} ({} sbatch call(s))",
        w.submit.display(),
        w.groups.len()
    );
    for g in &w.groups {
        let _ = writeln!(
            s,
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
    s
}

/// After `fleet slurm`: how to submit and collect, or (`sub`) what the submission did; a
/// refused submission fails the command.
pub fn slurm_next(w: &slurm::Written, sub: Option<&SubmitOutcome>) -> Said {
    let Some(sub) = sub else {
        return Said::ok(format!(
            "submit with: bash {}   (or archbench fleet slurm … --submit)\nthen collect: archbench fleet collect {} --wait 3600\n",
            w.submit.display(),
            w.dir.display()
        ));
    };
    let out = format!(
        "{}collect with: archbench fleet collect {} --wait 3600\n",
        sub.stdout,
        w.dir.display()
    );
    let mut err = sub.stderr.clone();
    if !sub.all_in {
        let _ = writeln!(
            err,
            "error: sbatch refused a submission (see above and {}); the other targets were submitted, and collecting reports the refused ones as missing",
            w.dir.join("jobs.txt").display()
        );
    }
    Said { out, err, code: 0 }.with_success(sub.all_in)
}

/// What `fleet k8s` wrote, how to apply it, and how the results come back.
pub fn k8s_written(fleet: &Fleet, w: &k8s::Written) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "fleet `{}`: {} Kubernetes Job(s) in {}",
        fleet.name,
        w.jobs.len(),
        w.dir.join("k8s").display()
    );
    for (target, name, p) in &w.jobs {
        let _ = writeln!(s, "  {target}: job/{name}  {}", p.display());
    }
    let _ = writeln!(
        s,
        "apply with: kubectl apply -f {}",
        w.dir.join("k8s").display()
    );
    let _ = match &w.fetch_logs {
        Some(f) => writeln!(
            s,
            "when the Jobs are done: bash {}   (saves each Job's logs as logs/<target>.log)",
            f.display()
        ),
        None => writeln!(
            s,
            "when the Jobs are done: copy the claim's tasks/ directory to {} (e.g. kubectl cp from a pod that mounts it)",
            w.dir.join("tasks").display()
        ),
    };
    let _ = writeln!(s, "then: archbench fleet collect {}", w.dir.display());
    s
}

/// What `fleet collect` says: the collection (JSON, or the task table and the report's
/// files `written` under `out`), its warnings, and exit 1 unless every task is ok.
pub fn collected(
    c: &Collection,
    out: &Path,
    written: &[PathBuf],
    json: bool,
) -> Result<Said, FleetError> {
    let mut said = if json {
        Said::json(c)?
    } else {
        let mut s = collection(c);
        let _ = writeln!(s, "report: {}", out.display());
        for p in written {
            let _ = writeln!(s, "  {}", p.display());
        }
        Said::ok(s)
    };
    for w in &c.warnings {
        let _ = writeln!(said.err, "warning: {w}");
    }
    Ok(said.with_success(c.all_ok()))
}

/// The collection as text: the counts, a row per task, where failed tasks' stderr is, and
/// the plan-only targets' predictions side by side.
pub fn collection(c: &Collection) -> String {
    let counts: Vec<String> = c
        .counts()
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    let mut s = format!(
        "fleet{}: {} task(s): {}\n",
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
    s.push_str(&plan::table(&rows));
    for t in c.tasks.iter().filter(|t| t.status != TaskStatus::Ok) {
        if let Some(l) = t.logs.iter().find(|l| l.ends_with(".err")) {
            let _ = writeln!(s, "  {}: stderr in {l}", t.target);
        }
    }
    let (variants, targets, cells) = collect::prediction_matrix(c);
    if !variants.is_empty() {
        s.push_str("\npredicted on the plan-only targets:\n");
        let mut rows = vec![std::iter::once("variant".to_string())
            .chain(targets)
            .collect::<Vec<_>>()];
        for (v, row) in variants.into_iter().zip(cells) {
            rows.push(std::iter::once(v).chain(row).collect());
        }
        s.push_str(&plan::table(&rows));
    }
    s
}

/// How a `fleet task` ended: with the child's exit code and a line naming the target, the
/// host, the command and the task directory under `dir` (when it wrote one); or, when the
/// task could not run at all, with [`task::EXIT_TASK_ERROR`] (not 1: 1 is `archbench run`'s
/// "a case failed").
pub fn task_ended(
    opts: &TaskOptions,
    ran: Result<TaskRecord, FleetError>,
    dir: Option<&Path>,
) -> Said {
    let record = match ran {
        Ok(r) => r,
        Err(e) => {
            return Said {
                out: String::new(),
                err: format!("error: archbench fleet task `{}`: {e}\n", opts.target),
                code: task::EXIT_TASK_ERROR,
            }
        }
    };
    let where_ = match dir {
        Some(d) => format!(" → {}", layout::task_dir(d, &opts.target).display()),
        None => String::new(),
    };
    let code = record.exit_status();
    Said {
        out: String::new(),
        err: format!(
            "archbench fleet task `{}` on {}: `archbench {}` ended with exit {code}{where_}\n",
            opts.target,
            record.host,
            record.command.join(" "),
        ),
        code,
    }
}
