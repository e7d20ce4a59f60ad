//! The fleet directory: one directory (on a shared file system for Slurm, a volume for
//! Kubernetes, an artifact for CI) that the generators, the tasks and `fleet collect` agree
//! on.
//!
//! ```text
//! DIR/fleet.toml                     the fleet file, verbatim
//! DIR/fleet.json                     what was generated: engine and expected tasks
//! DIR/bin/archbench                  the staged binary (Slurm)
//! DIR/fleet.sbatch, DIR/submit.sh    the job-array script and its submission (Slurm)
//! DIR/jobs.txt                       `<job id> <array indices>` per submission (Slurm)
//! DIR/logs/task-<i>-<job>.out|.err   each array task's stdout and stderr (Slurm)
//! DIR/k8s/<job name>.json            one Job per target (Kubernetes)
//! DIR/logs/<target>.log              a Job's `kubectl logs` (Kubernetes, results on stdout)
//! DIR/tasks/<target>/                a finished task: task.json, results/<gpu>/*.jsonl,
//!                                    plan.txt and plan.json (plan-only targets)
//! DIR/tasks/.<target>.partial-<id>/  a task still running, or killed before it finished
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::spec::{Engine, Fleet, Target};
use super::{fsutil, FleetError};

/// Version of `fleet.json`.
pub const LAYOUT_VERSION: u32 = 1;

/// What a target's task does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskMode {
    /// `archbench run`: check and time on the GPU.
    Run,
    /// `archbench run --plan --gpu X.Y`: predictions only, no GPU needed.
    Plan,
}

impl TaskMode {
    pub fn of(t: &Target) -> Self {
        if t.plan_only {
            TaskMode::Plan
        } else {
            TaskMode::Run
        }
    }
}

/// One task a generator expects to appear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectedTask {
    pub name: String,
    /// The Slurm array index (the target's position among the engine's targets).
    pub index: usize,
    pub capability: String,
    pub model: Option<String>,
    pub mode: TaskMode,
}

impl ExpectedTask {
    pub fn gpu(&self) -> String {
        match &self.model {
            Some(m) => format!("{} {m}", self.capability),
            None => self.capability.clone(),
        }
    }
}

/// `fleet.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetDir {
    pub layout_version: u32,
    pub fleet: String,
    pub engine: String,
    pub archbench_version: String,
    /// RFC 3339 UTC.
    pub generated: String,
    pub targets: Vec<ExpectedTask>,
}

impl FleetDir {
    /// The expected tasks of `fleet` on `engine` (every target when `engine` is `None`).
    pub fn new(fleet: &Fleet, engine: Option<Engine>) -> Self {
        let targets = fleet
            .targets_for(engine)
            .into_iter()
            .enumerate()
            .map(|(index, t)| ExpectedTask {
                name: t.name.clone(),
                index,
                capability: t.capability.to_string(),
                model: t.model.clone(),
                mode: TaskMode::of(t),
            })
            .collect();
        Self {
            layout_version: LAYOUT_VERSION,
            fleet: fleet.name.clone(),
            engine: engine.map_or("any", Engine::as_str).to_string(),
            archbench_version: env!("CARGO_PKG_VERSION").to_string(),
            generated: now_rfc3339(),
            targets,
        }
    }

    /// Read `DIR/fleet.json`; `Ok(None)` when there is none.
    pub fn read(dir: &Path) -> Result<Option<Self>, FleetError> {
        let p = dir.join("fleet.json");
        if !p.exists() {
            return Ok(None);
        }
        let text = archbench_core::fsio::read_text(&p, 16 << 20)?;
        let d: FleetDir = serde_json::from_str(&text).map_err(|e| FleetError::Layout {
            path: p.clone(),
            message: format!(
                "not a fleet description written by `archbench fleet`: {e} (line {}, column {})",
                e.line(),
                e.column()
            ),
        })?;
        if d.layout_version != LAYOUT_VERSION {
            return Err(FleetError::Layout {
                path: p,
                message: format!(
                    "fleet layout version {} is not the one this archbench ({}) reads ({LAYOUT_VERSION}); collect with the archbench that generated it",
                    d.layout_version,
                    env!("CARGO_PKG_VERSION")
                ),
            });
        }
        Ok(Some(d))
    }

    /// Write `DIR/fleet.json` and `DIR/fleet.toml` (the fleet file, verbatim), atomically.
    pub fn write(&self, dir: &Path, fleet: &Fleet) -> Result<(), FleetError> {
        fsutil::create_dir(dir)?;
        let json = serde_json::to_string_pretty(self).map_err(|e| FleetError::Layout {
            path: dir.join("fleet.json"),
            message: e.to_string(),
        })?;
        fsutil::write_atomic(&dir.join("fleet.json"), format!("{json}\n").as_bytes())?;
        fsutil::write_atomic(&dir.join("fleet.toml"), fleet.text.as_bytes())
    }
}

/// `DIR/tasks`.
pub fn tasks_dir(dir: &Path) -> PathBuf {
    dir.join("tasks")
}

/// `DIR/tasks/<target>`: where a finished task's files are.
pub fn task_dir(dir: &Path, target: &str) -> PathBuf {
    tasks_dir(dir).join(target)
}

/// `.<target>.partial-`: the name prefix of a task still running (or killed).
pub fn partial_prefix(target: &str) -> String {
    format!(".{target}.partial-")
}

/// `DIR/logs`.
pub fn logs_dir(dir: &Path) -> PathBuf {
    dir.join("logs")
}

/// `DIR/logs/<target>.log`: a Kubernetes Job's saved `kubectl logs`.
pub fn container_log(dir: &Path, target: &str) -> PathBuf {
    logs_dir(dir).join(format!("{target}.log"))
}

/// The current time as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    let s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    archbench::run::summary::rfc3339_utc(s)
}
