//! `archbench fleet plan`: what will run where, and — with the predictor, for each target's
//! GPU — which image of every embedded variant the driver is expected to load, so that a
//! variant no GPU of the fleet can run is flagged before anything is submitted.
//!
//! The variants are those of the binary that travels: this archbench, or the one named by
//! `--binary` (asked with `build-info --json`).

use std::path::Path;
use std::process::Command;

use archbench_core::manifest::BuildManifest;
use serde::Serialize;

use super::layout::TaskMode;
use super::spec::{Engine, Fleet, Target};
use super::summary::Said;
use super::{k8s, slurm, FleetError};
use archbench::run::plan::FORCED_SEP;
use archbench::run::{Plan, PlanOptions};

/// A prediction for a table cell: from the typed record when there is one, else from the
/// summary text an older plan carries; `—` for none.
pub fn short_of(
    typed: Option<&archbench::results::schema::Predicted>,
    text: Option<&str>,
) -> String {
    match (typed, text) {
        (Some(p), _) => p.short(),
        (None, Some(t)) => short_prediction(t),
        (None, None) => "—".into(),
    }
}

/// `sm_89 [best guess] (sass-exact)` → `sm_89 (guess)`; `error 209 CUDA_ERROR_… (…)` →
/// `error 209`; `compute_75 (ptx-jit)` → `compute_75 JIT`: for plans written before the
/// typed prediction (results schema 3).
pub fn short_prediction(p: &str) -> String {
    if let Some(rest) = p.strip_prefix("error ") {
        return format!("error {}", rest.split_whitespace().next().unwrap_or(""));
    }
    let (head, rule) = match p.split_once(" (") {
        Some((h, r)) => (h, r.trim_end_matches(')')),
        None => (p, ""),
    };
    let head = head.replace(" [best guess]", " (guess)");
    if rule.starts_with("ptx") {
        format!("{head} JIT")
    } else {
        head
    }
}

/// The build manifest of the binary that travels.
pub fn manifest_of(binary: Option<&Path>) -> Result<BuildManifest, FleetError> {
    let same = |b: &Path| {
        let me = std::env::current_exe().and_then(std::fs::canonicalize).ok();
        std::fs::canonicalize(b).ok().is_some_and(|c| Some(c) == me)
    };
    match binary {
        None => Ok(crate::embedded::manifest()?),
        Some(b) if same(b) => Ok(crate::embedded::manifest()?),
        Some(b) => {
            let out = Command::new(b)
                .args(["build-info", "--json"])
                .output()
                .map_err(|e| FleetError::Binary {
                    binary: b.to_path_buf(),
                    message: format!("cannot run it: {e}"),
                })?;
            if !out.status.success() {
                return Err(FleetError::Binary {
                    binary: b.to_path_buf(),
                    message: format!(
                        "`build-info --json` exited {}: {}",
                        out.status,
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                });
            }
            serde_json::from_slice(&out.stdout).map_err(|e| FleetError::Binary {
                binary: b.to_path_buf(),
                message: format!(
                    "its `build-info --json` is not a build manifest this archbench reads: {e}"
                ),
            })
        }
    }
}

/// One variant's prediction on one target.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub predicted: Option<String>,
    /// The same, typed.
    pub prediction: Option<archbench::results::schema::Predicted>,
    pub loads: Option<bool>,
}

/// One target: where it runs and what it is predicted to load.
#[derive(Debug, Clone, Serialize)]
pub struct TargetPlan {
    pub name: String,
    pub gpu: String,
    pub capability: String,
    pub mode: TaskMode,
    /// The `sbatch` options (Slurm targets).
    pub slurm: Option<Vec<String>>,
    /// The node selector (Kubernetes targets).
    pub kubernetes: Option<std::collections::BTreeMap<String, String>>,
    /// Runner labels (CI targets).
    pub ci: Option<Vec<String>>,
    /// Tasks (variant × kernel, forced images included) the run has.
    pub tasks: usize,
    /// Per variant, in [`FleetPlan::variants`] order.
    pub cells: Vec<Cell>,
}

/// The whole fleet's plan.
#[derive(Debug, Clone, Serialize)]
pub struct FleetPlan {
    pub fleet: String,
    /// `archbench run` options every target gets.
    pub run: Vec<String>,
    pub cuda: Option<String>,
    pub variants: Vec<String>,
    pub targets: Vec<TargetPlan>,
    /// Variants predicted to load on no target of the fleet.
    pub unserved: Vec<String>,
    /// Targets on which no variant is predicted to load.
    pub idle: Vec<String>,
}

/// Plan every target (of `engine`, or all).
pub fn plan(
    fleet: &Fleet,
    manifest: &BuildManifest,
    engine: Option<Engine>,
) -> Result<FleetPlan, FleetError> {
    let targets = fleet.targets_for(engine);
    if targets.is_empty() {
        return Err(FleetError::Usage(format!(
            "no target of {} runs on {}",
            fleet.path.display(),
            engine.map_or("any engine", Engine::as_str)
        )));
    }
    let mut variants: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for t in targets {
        let p = target_plan(fleet, manifest, t)?;
        for v in &p.variants {
            if !v.name.contains(FORCED_SEP) && !variants.contains(&v.name) {
                variants.push(v.name.clone());
            }
        }
        out.push((t, p));
    }
    let targets: Vec<TargetPlan> = out
        .iter()
        .map(|(t, p)| TargetPlan {
            name: t.name.clone(),
            gpu: t.gpu(),
            capability: t.capability.to_string(),
            mode: TaskMode::of(t),
            slurm: t.slurm.as_ref().map(|_| slurm::sbatch_options(fleet, t)),
            kubernetes: t.kubernetes.as_ref().map(|_| k8s::node_selector(t)),
            ci: t.ci.as_ref().map(|c| c.labels.clone()),
            tasks: p.tasks.len(),
            cells: variants
                .iter()
                .map(|v| {
                    let pv = p.variants.iter().find(|x| &x.name == v);
                    Cell {
                        predicted: pv.and_then(|x| x.predicted.clone()),
                        prediction: pv.and_then(|x| x.prediction.clone()),
                        loads: pv.and_then(|x| x.loads),
                    }
                })
                .collect(),
        })
        .collect();
    let unserved = variants
        .iter()
        .enumerate()
        .filter(|(i, _)| targets.iter().all(|t| t.cells[*i].loads == Some(false)))
        .map(|(_, v)| v.clone())
        .collect();
    let idle = targets
        .iter()
        .filter(|t| t.cells.iter().all(|c| c.loads == Some(false)))
        .map(|t| t.name.clone())
        .collect();
    let first = fleet
        .targets_for(engine)
        .first()
        .map(|t| super::task::TaskOptions::new(fleet, t));
    Ok(FleetPlan {
        fleet: fleet.name.clone(),
        run: first
            .map(|o| {
                let mut a = o.child_args();
                // The per-target parts (`--plan --gpu`, `--driver`) are shown per target.
                a.retain(|x| x != "--plan");
                a
            })
            .unwrap_or_default(),
        cuda: manifest.nvcc.as_ref().map(|n| n.cuda.clone()),
        variants,
        targets,
        unserved,
        idle,
    })
}

fn target_plan(fleet: &Fleet, manifest: &BuildManifest, t: &Target) -> Result<Plan, FleetError> {
    let driver = match &t.driver {
        Some(d) => Some(
            d.parse()
                .map_err(|e| FleetError::Usage(format!("target `{}`: {e}", t.name)))?,
        ),
        None => None,
    };
    Ok(Plan::new(
        manifest,
        &crate::suite::suite(),
        &PlanOptions {
            variants: fleet.run.variants.clone(),
            kernels: fleet.run.kernels.clone(),
            cases: Vec::new(),
            quick: fleet.run.quick,
            edges: false,
            seed: fleet.run.seed.unwrap_or(0),
            gpu: Some(t.capability),
            driver,
        },
    )?)
}

/// What the plan of `engine`'s targets warns about before anything is submitted: variants
/// no target is predicted to load, and targets on which none is.
pub fn warnings(
    fleet: &Fleet,
    binary: Option<&Path>,
    engine: Engine,
) -> Result<Vec<String>, FleetError> {
    let manifest = manifest_of(binary)?;
    let p = plan(fleet, &manifest, Some(engine))?;
    let mut w = Vec::new();
    if !p.unserved.is_empty() {
        w.push(format!(
            "{} variant(s) are predicted to load on no {} target of this fleet: {} (`archbench fleet plan` shows the matrix)",
            p.unserved.len(),
            engine.as_str(),
            p.unserved.join(", ")
        ));
    }
    for t in &p.idle {
        w.push(format!(
            "target `{t}`: no variant is predicted to load on its GPU"
        ));
    }
    Ok(w)
}

/// Pad columns to equal width (by characters), two spaces apart.
pub fn table(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            line.push_str(c);
            if i + 1 < r.len() {
                line.push_str(&" ".repeat(widths[i].saturating_sub(c.chars().count()) + 2));
            }
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

impl FleetPlan {
    /// What `fleet plan` says: the plan as JSON or as text.
    pub fn said(&self, json: bool) -> Result<Said, FleetError> {
        if json {
            Said::json(self)
        } else {
            Ok(Said::ok(self.render()))
        }
    }

    /// The plan as text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "fleet `{}`: {} target(s), {} embedded variant(s){}\n",
            self.fleet,
            self.targets.len(),
            self.variants.len(),
            self.cuda
                .as_ref()
                .map(|c| format!(" built with CUDA {c}"))
                .unwrap_or_default()
        ));
        s.push_str(&format!(
            "each target runs: archbench {}\n\n",
            self.run.join(" ")
        ));
        let mut rows = vec![vec![
            "target".to_string(),
            "gpu".into(),
            "mode".into(),
            "tasks".into(),
            "slurm".into(),
            "kubernetes".into(),
            "ci".into(),
        ]];
        for t in &self.targets {
            rows.push(vec![
                t.name.clone(),
                t.gpu.clone(),
                match t.mode {
                    TaskMode::Run => "run".into(),
                    TaskMode::Plan => "plan".into(),
                },
                t.tasks.to_string(),
                t.slurm.as_ref().map_or("—".into(), |o| o.join(" ")),
                t.kubernetes.as_ref().map_or("—".into(), |m| {
                    m.iter()
                        .map(|(k, v)| format!("{}={v}", k.trim_start_matches("nvidia.com/")))
                        .collect::<Vec<_>>()
                        .join(",")
                }),
                t.ci.as_ref().map_or("—".into(), |l| l.join(",")),
            ]);
        }
        s.push_str(&table(&rows));
        s.push_str("\npredicted image per variant (→ the driver's choice on each target's GPU):\n");
        let mut rows = vec![std::iter::once("variant".to_string())
            .chain(self.targets.iter().map(|t| t.name.clone()))
            .collect::<Vec<_>>()];
        for (i, v) in self.variants.iter().enumerate() {
            let mut r = vec![v.clone()];
            for t in &self.targets {
                let c = &t.cells[i];
                r.push(short_of(c.prediction.as_ref(), c.predicted.as_deref()));
            }
            rows.push(r);
        }
        s.push_str(&table(&rows));
        if self.unserved.is_empty() {
            s.push_str("\nevery variant is predicted to load on at least one target\n");
        } else {
            s.push_str(&format!(
                "\nwarning: {} variant(s) predicted to load on NO target of this fleet: {}\n  (no GPU here can run them: add a target with such a GPU, or drop the variants from the build)\n",
                self.unserved.len(),
                self.unserved.join(", ")
            ));
        }
        for t in &self.idle {
            s.push_str(&format!(
                "warning: target `{t}`: no variant is predicted to load on its GPU\n"
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_predictions() {
        assert_eq!(
            short_prediction("sm_89 [best guess] (sass-exact)"),
            "sm_89 (guess)"
        );
        assert_eq!(
            short_prediction("error 209 CUDA_ERROR_NO_BINARY_FOR_GPU (no-binary-for-gpu)"),
            "error 209"
        );
        assert_eq!(short_prediction("compute_75 (ptx-jit)"), "compute_75 JIT");
        assert_eq!(short_prediction("sm_80 (forced)"), "sm_80");
    }

    #[test]
    fn tables_pad_by_characters() {
        let t = table(&[
            vec!["a".into(), "µµ".into(), "x".into()],
            vec!["bbb".into(), "c".into(), "y".into()],
        ]);
        assert_eq!(t, "a    µµ  x\nbbb  c   y\n");
    }
}
