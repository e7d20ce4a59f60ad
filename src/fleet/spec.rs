//! The fleet file: a small TOML that names the targets (each a GPU the fleet expects, and how
//! to reach a machine with it on Slurm, Kubernetes or a CI runner) and the `archbench run`
//! options every target runs with.
//!
//! ```toml
//! name = "gpus"                 # names Slurm jobs, Kubernetes Jobs, artifacts
//!
//! [run]                         # archbench run options, for every target
//! quick = true
//! max_time = 600                # seconds; engines' time limits follow from it
//!
//! [kubernetes]
//! image = "registry.example.com/archbench:0.1.0"
//!
//! [[target]]
//! name = "h100"
//! model = "H100"                # the capability (9.0) follows; or `capability = "9.0"`
//! slurm = { partition = "gpu", gres_type = "h100" }
//! kubernetes = { product = "NVIDIA-H100-80GB-HBM3" }
//! ci = { labels = ["self-hosted", "linux", "h100"] }
//! ```
//!
//! Every mistake is reported with the file, line and column of the value at fault, what is
//! wrong and how to fix it (docs/fleet.md lists every key).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use archbench_core::{Capability, DriverVersion};
use serde::Deserialize;
use toml::Spanned;

use super::{gpus, FleetError};

/// Fleet files are small; this is far beyond any real one.
const FLEET_FILE_LIMIT: u64 = 1 << 20;

/// Longest fleet name (Kubernetes Job names are `<fleet>-<target>`, at most 63 characters).
pub const MAX_FLEET_NAME: usize = 20;
/// Longest target name.
pub const MAX_TARGET_NAME: usize = 40;

/// Default whole-run budgets (`--max-time`) when the file sets none.
const DEFAULT_MAX_TIME_QUICK_S: f64 = 300.0;
const DEFAULT_MAX_TIME_FULL_S: f64 = 1800.0;

/// A checked fleet file.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its text, verbatim (copied next to what the engines run, so tasks can be traced).
    pub text: String,
    pub name: String,
    pub run: RunOptions,
    pub slurm: SlurmDefaults,
    pub kubernetes: Option<KubeDefaults>,
    pub targets: Vec<Target>,
}

/// What every target runs.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    pub quick: bool,
    pub hot: bool,
    /// The whole-run budget passed as `--max-time` (seconds).
    pub max_time_s: f64,
    pub variants: Vec<String>,
    pub kernels: Vec<String>,
    /// Run `archbench run --plan --gpu X.Y` instead of measuring (needs no GPU).
    pub plan_only: bool,
    pub seed: Option<u64>,
}

/// `[slurm]`: options for every submission.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlurmDefaults {
    pub sbatch_args: Vec<String>,
}

/// Where Kubernetes tasks put their results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KubeResults {
    /// On stdout, one JSON document per line: `kubectl logs` is enough.
    Logs,
    /// In a PersistentVolumeClaim mounted at `/results`, laid out like a Slurm fleet
    /// directory.
    Pvc(String),
}

/// `[kubernetes]`.
#[derive(Debug, Clone, PartialEq)]
pub struct KubeDefaults {
    /// An image with the archbench binary on its `PATH` (docs/fleet.md has a Dockerfile).
    pub image: String,
    pub namespace: Option<String>,
    pub results: KubeResults,
}

/// One GPU the fleet expects, and how to reach it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: String,
    /// The GPU's compute capability (what predictions are made for).
    pub capability: Capability,
    /// The model expected (`H100`), checked against the device name a run finds.
    pub model: Option<String>,
    /// The driver predictions assume, as written (`580.65.06` or `12.8`).
    pub driver: Option<String>,
    pub plan_only: bool,
    pub slurm: Option<SlurmTarget>,
    pub kubernetes: Option<KubeTarget>,
    pub ci: Option<CiTarget>,
    /// Line of the `[[target]]` in the file.
    pub line: usize,
}

impl Target {
    /// `9.0 H100` or `8.9`.
    pub fn gpu(&self) -> String {
        match &self.model {
            Some(m) => format!("{} {m}", self.capability),
            None => self.capability.to_string(),
        }
    }

    pub fn reaches(&self, engine: Engine) -> bool {
        match engine {
            Engine::Slurm => self.slurm.is_some(),
            Engine::Kubernetes => self.kubernetes.is_some(),
            Engine::Ci => self.ci.is_some(),
        }
    }
}

/// `slurm = { … }` of a target.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlurmTarget {
    pub partition: Option<String>,
    /// GRES type: `--gres=gpu:<type>:1` (without it `--gres=gpu:1`).
    pub gres_type: Option<String>,
    pub constraint: Option<String>,
    pub sbatch_args: Vec<String>,
}

/// `kubernetes = { … }` of a target: node labels of the NVIDIA GPU Operator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KubeTarget {
    /// `nvidia.com/gpu.product` (`NVIDIA-H100-80GB-HBM3`).
    pub product: Option<String>,
    /// `nvidia.com/gpu.count`: GPUs on the node.
    pub count: Option<u32>,
    /// Further node labels.
    pub node_selector: BTreeMap<String, String>,
}

/// `ci = { … }` of a target.
#[derive(Debug, Clone, PartialEq)]
pub struct CiTarget {
    /// `runs-on` labels of a self-hosted runner with this GPU.
    pub labels: Vec<String>,
}

/// The engines a fleet file can describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Slurm,
    Kubernetes,
    Ci,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Slurm => "slurm",
            Engine::Kubernetes => "kubernetes",
            Engine::Ci => "ci",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "slurm" => Some(Engine::Slurm),
            "kubernetes" => Some(Engine::Kubernetes),
            "ci" => Some(Engine::Ci),
            _ => None,
        }
    }
}

impl Fleet {
    /// Read and check a fleet file.
    pub fn load(path: &Path) -> Result<Self, FleetError> {
        let text = archbench_core::fsio::read_text(path, FLEET_FILE_LIMIT)?;
        Self::parse(&text, path)
    }

    /// Check a fleet file's text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, FleetError> {
        let cx = Cx { text, path };
        let raw: RawFleet = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_string();
            let help = if message.contains("unknown field") {
                "docs/fleet.md lists the keys a fleet file may have".to_string()
            } else if message.contains("missing field") {
                "add the key; docs/fleet.md has a complete example".to_string()
            } else {
                "fix the TOML syntax at this place (https://toml.io)".to_string()
            };
            cx.error(span, message, help)
        })?;
        cx.check(raw)
    }

    /// The targets an engine reaches, or all targets when `engine` is `None`.
    pub fn targets_for(&self, engine: Option<Engine>) -> Vec<&Target> {
        self.targets
            .iter()
            .filter(|t| engine.is_none_or(|e| t.reaches(e)))
            .collect()
    }

    /// The target of that name.
    pub fn target(&self, name: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.name == name)
    }
}

// --- raw, as written ---

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFleet {
    name: Option<Spanned<String>>,
    #[serde(default)]
    run: RawRun,
    slurm: Option<RawSlurmDefaults>,
    kubernetes: Option<Spanned<RawKube>>,
    #[serde(default)]
    target: Vec<Spanned<RawTarget>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRun {
    #[serde(default)]
    quick: bool,
    #[serde(default)]
    hot: bool,
    max_time: Option<Spanned<f64>>,
    #[serde(default)]
    variants: Vec<Spanned<String>>,
    #[serde(default)]
    kernels: Vec<Spanned<String>>,
    #[serde(default)]
    plan_only: bool,
    seed: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlurmDefaults {
    #[serde(default)]
    sbatch_args: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKube {
    image: Spanned<String>,
    namespace: Option<Spanned<String>>,
    results: Option<Spanned<String>>,
    pvc: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    name: Spanned<String>,
    capability: Option<Spanned<String>>,
    model: Option<Spanned<String>>,
    driver: Option<Spanned<String>>,
    plan_only: Option<bool>,
    slurm: Option<RawSlurmTarget>,
    kubernetes: Option<Spanned<RawKubeTarget>>,
    ci: Option<Spanned<RawCiTarget>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlurmTarget {
    partition: Option<Spanned<String>>,
    gres_type: Option<Spanned<String>>,
    constraint: Option<Spanned<String>>,
    #[serde(default)]
    sbatch_args: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKubeTarget {
    product: Option<Spanned<String>>,
    count: Option<Spanned<i64>>,
    #[serde(default)]
    node_selector: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCiTarget {
    labels: Spanned<Vec<String>>,
}

// --- checking ---

struct Cx<'a> {
    text: &'a str,
    path: &'a Path,
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Options `archbench fleet slurm` sets itself, which `sbatch_args` must not repeat.
const SBATCH_OWN: &[&str] = &[
    "--array",
    "-a",
    "--output",
    "-o",
    "--error",
    "-e",
    "--parsable",
    "--wrap",
    "--job-name",
    "-J",
];

impl Cx<'_> {
    fn error(
        &self,
        span: Range<usize>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> FleetError {
        let (line, column) = line_col(self.text, span.start);
        FleetError::Spec {
            path: self.path.to_path_buf(),
            line,
            column,
            message: message.into(),
            help: help.into(),
        }
    }

    fn check(&self, raw: RawFleet) -> Result<Fleet, FleetError> {
        let name = match &raw.name {
            Some(n) => {
                self.name(n, "fleet name", MAX_FLEET_NAME)?;
                n.get_ref().clone()
            }
            None => "archbench".to_string(),
        };
        let run = self.run(&raw.run)?;
        let slurm = SlurmDefaults {
            sbatch_args: match &raw.slurm {
                Some(s) => self.sbatch_args(&s.sbatch_args)?,
                None => Vec::new(),
            },
        };
        let kubernetes = raw.kubernetes.as_ref().map(|k| self.kube(k)).transpose()?;
        if raw.target.is_empty() {
            return Err(self.error(
                self.text.len()..self.text.len(),
                "the fleet has no targets",
                "add one `[[target]]` table per GPU, e.g.\n  [[target]]\n  name = \"h100\"\n  model = \"H100\"\n  slurm = { partition = \"gpu\" }",
            ));
        }
        let mut targets: Vec<Target> = Vec::new();
        for t in &raw.target {
            let target = self.target(t, &run)?;
            if let Some(first) = targets.iter().find(|o| o.name == target.name) {
                return Err(self.error(
                    t.get_ref().name.span(),
                    format!("target `{}` is named twice (first on line {})", target.name, first.line),
                    "give every target its own name: it names its task, its results directory and its Kubernetes Job",
                ));
            }
            if target.kubernetes.is_some() && kubernetes.is_none() {
                return Err(self.error(
                    t.span(),
                    format!("target `{}` has `kubernetes = {{ … }}` but the file has no `[kubernetes]` table", target.name),
                    "add `[kubernetes]` with `image = \"…\"`: the image with archbench in it that the Jobs run",
                ));
            }
            targets.push(target);
        }
        Ok(Fleet {
            path: self.path.to_path_buf(),
            text: self.text.to_string(),
            name,
            run,
            slurm,
            kubernetes,
            targets,
        })
    }

    /// Names become file names, Kubernetes object names and Slurm job names.
    fn name(&self, n: &Spanned<String>, what: &str, max: usize) -> Result<(), FleetError> {
        let s = n.get_ref();
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let ok_ends = !s.starts_with('-') && !s.ends_with('-');
        if s.is_empty() || !ok_chars || !ok_ends || s.len() > max {
            let suggestion: String = s
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect::<String>()
                .trim_matches('-')
                .chars()
                .take(max)
                .collect();
            let hint = if suggestion.is_empty() {
                String::new()
            } else {
                format!(", e.g. `{suggestion}`")
            };
            return Err(self.error(
                n.span(),
                format!("`{s}` is not a usable {what}"),
                format!("use 1 to {max} lower-case letters, digits and `-`, not starting or ending with `-`{hint}: it names files, Slurm jobs and Kubernetes objects"),
            ));
        }
        Ok(())
    }

    fn run(&self, r: &RawRun) -> Result<RunOptions, FleetError> {
        let max_time_s = match &r.max_time {
            Some(m) => {
                let v = *m.get_ref();
                if !(v.is_finite() && v > 0.0 && v <= 7.0 * 86400.0) {
                    return Err(self.error(
                        m.span(),
                        format!("max_time = {v} is not a usable budget"),
                        "give the whole-run budget in seconds, more than 0 and at most a week (e.g. `max_time = 600`)",
                    ));
                }
                v
            }
            None if r.quick => DEFAULT_MAX_TIME_QUICK_S,
            None => DEFAULT_MAX_TIME_FULL_S,
        };
        for k in &r.kernels {
            if let Err(e) = regex::Regex::new(k.get_ref()) {
                return Err(self.error(
                    k.span(),
                    format!("kernel pattern `{}` is not a valid regex: {e}", k.get_ref()),
                    "`kernels` are regexes on kernel names, as for `archbench run --kernel`; `archbench kernels` lists the names",
                ));
            }
        }
        for v in &r.variants {
            if v.get_ref().trim().is_empty() {
                return Err(self.error(
                    v.span(),
                    "an empty variant name",
                    "`variants` are names of embedded variants (`archbench build-info` lists them)",
                ));
            }
        }
        let seed = match &r.seed {
            Some(s) => Some(u64::try_from(*s.get_ref()).map_err(|_| {
                self.error(
                    s.span(),
                    "seed must not be negative",
                    "give a seed ≥ 0, or leave it out",
                )
            })?),
            None => None,
        };
        Ok(RunOptions {
            quick: r.quick,
            hot: r.hot,
            max_time_s,
            variants: r.variants.iter().map(|v| v.get_ref().clone()).collect(),
            kernels: r.kernels.iter().map(|k| k.get_ref().clone()).collect(),
            plan_only: r.plan_only,
            seed,
        })
    }

    fn sbatch_args(&self, args: &[Spanned<String>]) -> Result<Vec<String>, FleetError> {
        for a in args {
            let s = a.get_ref();
            if !s.starts_with('-') || s.contains(['\n', '\r']) {
                return Err(self.error(
                    a.span(),
                    format!("`{s}` is not an sbatch option"),
                    "give each option as one string that starts with `-`, e.g. `sbatch_args = [\"--account=gpu\", \"--qos=normal\"]`",
                ));
            }
            let opt = s.split('=').next().unwrap_or(s);
            if SBATCH_OWN.contains(&opt) {
                return Err(self.error(
                    a.span(),
                    format!("`{opt}` is set by `archbench fleet slurm` itself"),
                    "remove it: the array, the job name and the per-task stdout/stderr files are what collecting relies on",
                ));
            }
        }
        Ok(args.iter().map(|a| a.get_ref().clone()).collect())
    }

    fn kube(&self, k: &Spanned<RawKube>) -> Result<KubeDefaults, FleetError> {
        let r = k.get_ref();
        let image = r.image.get_ref();
        if image.is_empty() || image.chars().any(char::is_whitespace) {
            return Err(self.error(
                r.image.span(),
                format!("`{image}` is not a container image reference"),
                "name an image with archbench on its PATH, e.g. `registry.example.com/archbench:0.1.0` (docs/fleet.md has a Dockerfile)",
            ));
        }
        if let Some(ns) = &r.namespace {
            if !dns_label(ns.get_ref(), 63) {
                return Err(self.error(
                    ns.span(),
                    format!("`{}` is not a Kubernetes namespace name", ns.get_ref()),
                    "use 1 to 63 lower-case letters, digits and `-`, starting and ending with a letter or digit",
                ));
            }
        }
        let results = match (r.results.as_ref().map(|s| s.get_ref().as_str()), &r.pvc) {
            (None | Some("logs"), None) => KubeResults::Logs,
            (Some("pvc"), Some(p)) => {
                if !dns_subdomain(p.get_ref()) {
                    return Err(self.error(
                        p.span(),
                        format!("`{}` is not a PersistentVolumeClaim name", p.get_ref()),
                        "use lower-case letters, digits, `-` and `.`, at most 253 characters",
                    ));
                }
                KubeResults::Pvc(p.get_ref().clone())
            }
            (Some("pvc"), None) => {
                return Err(self.error(
                    k.span(),
                    "`results = \"pvc\"` needs `pvc = \"<claim name>\"`",
                    "name the PersistentVolumeClaim (ReadWriteMany, so every Job can mount it) the results go to",
                ))
            }
            (None | Some("logs"), Some(p)) => {
                return Err(self.error(
                    p.span(),
                    "`pvc` is set but results go to the logs",
                    "add `results = \"pvc\"` to write to the claim, or remove `pvc`",
                ))
            }
            (Some(other), _) => {
                let span = r.results.as_ref().map_or(k.span(), Spanned::span);
                return Err(self.error(
                    span,
                    format!("`results = \"{other}\"` is not a place for results"),
                    "use `results = \"logs\"` (one JSON document per line on stdout: `kubectl logs` is enough) or `results = \"pvc\"` with `pvc = \"<claim>\"`",
                ));
            }
        };
        Ok(KubeDefaults {
            image: image.clone(),
            namespace: r.namespace.as_ref().map(|n| n.get_ref().clone()),
            results,
        })
    }

    fn target(&self, t: &Spanned<RawTarget>, run: &RunOptions) -> Result<Target, FleetError> {
        let r = t.get_ref();
        self.name(&r.name, "target name", MAX_TARGET_NAME)?;
        let name = r.name.get_ref().clone();
        let from_model = r
            .model
            .as_ref()
            .map(|m| (m, gpus::capability_of(m.get_ref())));
        if let Some(m) = &r.model {
            if m.get_ref().trim().is_empty() || m.get_ref().contains(['\n', '\r']) {
                return Err(self.error(
                    m.span(),
                    "an empty GPU model",
                    "name the model as in the device name, e.g. `H100`, `L4`, `RTX 4090`",
                ));
            }
        }
        let capability = match &r.capability {
            Some(c) => {
                let cap: Capability = c.get_ref().trim().parse().map_err(|e| {
                    self.error(c.span(), format!("{e}"), "give the GPU's compute capability, e.g. `capability = \"8.9\"`")
                })?;
                if cap.suffix != archbench_core::capability::Suffix::None {
                    return Err(self.error(
                        c.span(),
                        format!("`{cap}` names a build target, not a GPU"),
                        format!("a GPU's compute capability has no `a`/`f` suffix: write `capability = \"{}\"`", cap.base()),
                    ));
                }
                if archbench_core::db::capability(cap).is_none() {
                    return Err(self.error(
                        c.span(),
                        format!("no NVIDIA GPU has compute capability {cap}"),
                        "`archbench capabilities` lists the capabilities archbench knows",
                    ));
                }
                if let Some((m, Some(known))) = &from_model {
                    if *known != cap {
                        return Err(self.error(
                            c.span(),
                            format!("the {} has compute capability {known}, not {cap}", m.get_ref()),
                            format!("write `capability = \"{known}\"`, or correct `model`"),
                        ));
                    }
                }
                cap
            }
            None => match &from_model {
                Some((_, Some(known))) => *known,
                Some((m, None)) => {
                    return Err(self.error(
                        m.span(),
                        format!("archbench does not know the compute capability of a `{}`", m.get_ref()),
                        format!("add `capability = \"X.Y\"` to the target; models archbench knows: {}", gpus::known_models().join(", ")),
                    ))
                }
                None => {
                    return Err(self.error(
                        t.span(),
                        format!("target `{name}` names no GPU"),
                        "add `model = \"H100\"` (a model archbench knows) or `capability = \"9.0\"`, or both",
                    ))
                }
            },
        };
        let driver = match &r.driver {
            Some(d) => {
                d.get_ref().trim().parse::<DriverVersion>().map_err(|e| {
                    self.error(d.span(), format!("{e}"), "the driver predictions assume, e.g. `driver = \"580.65.06\"` or `driver = \"12.8\"`")
                })?;
                Some(d.get_ref().trim().to_string())
            }
            None => None,
        };
        let slurm = r.slurm.as_ref().map(|s| self.slurm_target(s)).transpose()?;
        let kubernetes = r
            .kubernetes
            .as_ref()
            .map(|k| self.kube_target(k))
            .transpose()?;
        let ci = match &r.ci {
            Some(c) => {
                let labels = c.get_ref().labels.get_ref();
                let bad = labels.iter().find(|l| {
                    l.trim().is_empty() || l.contains(['\n', '\r', '$', '{', '}', '"', '\''])
                });
                if labels.is_empty() || bad.is_some() {
                    return Err(self.error(
                        c.get_ref().labels.span(),
                        match bad {
                            Some(b) => format!("`{b}` is not a runner label"),
                            None => "a CI target needs at least one runner label".to_string(),
                        },
                        "list the labels of a self-hosted runner with this GPU, e.g. `ci = { labels = [\"self-hosted\", \"linux\", \"h100\"] }`",
                    ));
                }
                Some(CiTarget {
                    labels: labels.clone(),
                })
            }
            None => None,
        };
        if slurm.is_none() && kubernetes.is_none() && ci.is_none() {
            return Err(self.error(
                t.span(),
                format!("target `{name}` says no way to reach it"),
                "add `slurm = { partition = \"…\" }`, `kubernetes = { product = \"…\" }` or `ci = { labels = [\"…\"] }` (or several)",
            ));
        }
        let (line, _) = line_col(self.text, t.span().start);
        Ok(Target {
            name,
            capability,
            model: r.model.as_ref().map(|m| m.get_ref().trim().to_string()),
            driver,
            plan_only: r.plan_only.unwrap_or(run.plan_only),
            slurm,
            kubernetes,
            ci,
            line,
        })
    }

    fn slurm_target(&self, s: &RawSlurmTarget) -> Result<SlurmTarget, FleetError> {
        let word = |v: &Option<Spanned<String>>,
                    what: &str,
                    extra: &str,
                    example: &str|
         -> Result<Option<String>, FleetError> {
            match v {
                Some(x) => {
                    let ok = !x.get_ref().is_empty()
                        && x.get_ref().chars().all(|c| {
                            c.is_ascii_alphanumeric() || "_.-".contains(c) || extra.contains(c)
                        });
                    if ok {
                        Ok(Some(x.get_ref().clone()))
                    } else {
                        Err(self.error(
                            x.span(),
                            format!("`{}` is not a Slurm {what}", x.get_ref()),
                            format!(
                                "use letters, digits, `_`, `.`, `-`{}, e.g. `{example}`",
                                if extra.is_empty() {
                                    String::new()
                                } else {
                                    format!(" and `{extra}`")
                                }
                            ),
                        ))
                    }
                }
                None => Ok(None),
            }
        };
        Ok(SlurmTarget {
            partition: word(&s.partition, "partition", ",", "gpu-h100")?,
            gres_type: word(&s.gres_type, "GRES type", "", "h100")?,
            constraint: word(&s.constraint, "constraint", "&|,[]*:()!", "h100&nvlink")?,
            sbatch_args: self.sbatch_args(&s.sbatch_args)?,
        })
    }

    fn kube_target(&self, k: &Spanned<RawKubeTarget>) -> Result<KubeTarget, FleetError> {
        let r = k.get_ref();
        if let Some(p) = &r.product {
            if !label_value(p.get_ref()) || p.get_ref().is_empty() {
                return Err(self.error(
                    p.span(),
                    format!("`{}` is not a value the `nvidia.com/gpu.product` label can have", p.get_ref()),
                    "copy it from `kubectl get nodes -L nvidia.com/gpu.product` (the GPU Operator writes spaces as `-`, e.g. `NVIDIA-H100-80GB-HBM3`)",
                ));
            }
        }
        let count = match &r.count {
            Some(c) => {
                let v = *c.get_ref();
                if !(1..=1024).contains(&v) {
                    return Err(self.error(c.span(), format!("count = {v} is not a number of GPUs on a node"), "give the node's GPU count (`nvidia.com/gpu.count`), e.g. `count = 8`, or leave it out"));
                }
                Some(v as u32)
            }
            None => None,
        };
        for (key, value) in &r.node_selector {
            if !label_key(key) {
                return Err(self.error(
                    value.span(),
                    format!("`{key}` is not a Kubernetes label key"),
                    "use `prefix/name` or `name`: name up to 63 letters, digits, `-`, `_`, `.`; the prefix a DNS subdomain",
                ));
            }
            if !label_value(value.get_ref()) {
                return Err(self.error(
                    value.span(),
                    format!("`{}` is not a Kubernetes label value", value.get_ref()),
                    "use up to 63 letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit",
                ));
            }
        }
        Ok(KubeTarget {
            product: r.product.as_ref().map(|p| p.get_ref().clone()),
            count,
            node_selector: r
                .node_selector
                .iter()
                .map(|(k, v)| (k.clone(), v.get_ref().clone()))
                .collect(),
        })
    }
}

/// A usable fleet or target name: 1 to `max` lower-case letters, digits and `-`, not
/// starting or ending with `-` (it names files, Slurm jobs and Kubernetes objects).
pub fn valid_name(s: &str, max: usize) -> bool {
    dns_label(s, max)
}

/// RFC 1123 label: lower-case alphanumerics and `-`, alphanumeric at both ends.
pub fn dns_label(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub fn dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(|l| dns_label(l, 63))
}

/// A label value: empty, or up to 63 of `[A-Za-z0-9._-]` with alphanumeric ends.
pub fn label_value(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

/// A label key: an optional DNS-subdomain prefix and `/`, then a name like a label value.
pub fn label_key(s: &str) -> bool {
    let (prefix, name) = match s.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    prefix.is_none_or(dns_subdomain) && !name.is_empty() && label_value(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Fleet, String> {
        Fleet::parse(text, Path::new("fleet.toml")).map_err(|e| e.to_string())
    }

    const GOOD: &str = r#"
name = "lab"
[run]
quick = true
max_time = 120
[kubernetes]
image = "registry.example.com/archbench:0.1.0"
[[target]]
name = "h100"
model = "H100"
driver = "580.65.06"
slurm = { partition = "gpu", gres_type = "h100" }
kubernetes = { product = "NVIDIA-H100-80GB-HBM3", count = 8 }
[[target]]
name = "l4"
capability = "8.9"
plan_only = true
ci = { labels = ["self-hosted", "l4"] }
"#;

    #[test]
    fn a_good_file() {
        let f = parse(GOOD).unwrap();
        assert_eq!(f.name, "lab");
        assert_eq!(f.run.max_time_s, 120.0);
        assert_eq!(f.targets.len(), 2);
        let h = &f.targets[0];
        assert_eq!(h.capability.to_string(), "9.0");
        assert_eq!(h.gpu(), "9.0 H100");
        assert_eq!(h.line, 8);
        assert_eq!(h.slurm.as_ref().unwrap().gres_type.as_deref(), Some("h100"));
        assert_eq!(h.kubernetes.as_ref().unwrap().count, Some(8));
        assert!(!h.plan_only && f.targets[1].plan_only);
        assert_eq!(f.targets_for(Some(Engine::Ci)).len(), 1);
        assert_eq!(f.targets_for(None).len(), 2);
    }

    /// Every mistake names the line and column of the value at fault.
    #[test]
    fn mistakes_say_where_and_how_to_fix() {
        let cases: &[(&str, &str, &str)] = &[
            ("[[target]]\nname = \"a\"\nmodel = \"H100\"\nslurm = { partiton = \"x\" }\n", "fleet.toml:4:", "unknown field `partiton`"),
            ("[[target]]\nname = \"A b\"\nmodel = \"H100\"\nslurm = {}\n", "fleet.toml:2:8:", "e.g. `a-b`"),
            ("[[target]]\nname = \"a\"\ncapability = \"9.0a\"\nslurm = {}\n", "fleet.toml:3:14:", "capability = \"9.0\""),
            ("[[target]]\nname = \"a\"\nmodel = \"H100\"\ncapability = \"8.9\"\nslurm = {}\n", "fleet.toml:4:", "the H100 has compute capability 9.0"),
            ("[[target]]\nname = \"a\"\nmodel = \"Z9\"\nslurm = {}\n", "fleet.toml:3:", "add `capability"),
            ("[[target]]\nname = \"a\"\nmodel = \"H100\"\n", "fleet.toml:1:", "no way to reach it"),
            ("[[target]]\nname = \"a\"\nslurm = {}\n", "fleet.toml:1:", "names no GPU"),
            ("[run]\nmax_time = -5\n[[target]]\nname = \"a\"\nmodel = \"L4\"\nslurm = {}\n", "fleet.toml:2:12:", "max_time = -5"),
            ("[run]\nkernels = [\"(\"]\n[[target]]\nname = \"a\"\nmodel = \"L4\"\nslurm = {}\n", "fleet.toml:2:", "not a valid regex"),
            ("[[target]]\nname = \"a\"\nmodel = \"L4\"\nslurm = { sbatch_args = [\"--array=1\"] }\n", "fleet.toml:4:", "set by `archbench fleet slurm`"),
            ("[[target]]\nname = \"a\"\nmodel = \"L4\"\nkubernetes = {}\n", "fleet.toml:", "no `[kubernetes]` table"),
            ("[[target]]\nname = \"a\"\nmodel = \"L4\"\nslurm = {}\n[[target]]\nname = \"a\"\nmodel = \"L4\"\nslurm = {}\n", "fleet.toml:6:", "named twice (first on line 1)"),
            ("name = \"x\"\n", "fleet.toml:", "no targets"),
            ("[[target]\n", "fleet.toml:1:", "fix the TOML syntax"),
            ("[[target]]\nname = \"a\"\nmodel = \"L4\"\nci = { labels = [\"${{ x }}\"] }\n", "fleet.toml:4:", "not a runner label"),
            ("[[target]]\nname = \"a\"\nmodel = \"L4\"\ndriver = \"abc\"\nslurm = {}\n", "fleet.toml:4:", "not a driver version"),
            ("[kubernetes]\nimage = \"x\"\nresults = \"pvc\"\n[[target]]\nname = \"a\"\nmodel = \"L4\"\nslurm = {}\n", "fleet.toml:", "needs `pvc"),
            ("[[target]]\nname = \"a\"\nmodel = \"L4\"\nslurm = { constraint = \"a b\" }\n", "fleet.toml:4:", "not a Slurm constraint"),
        ];
        for (text, at, what) in cases {
            let e = parse(text).expect_err(text);
            assert!(
                e.starts_with(at),
                "{text:?}: `{e}` does not start with `{at}`"
            );
            assert!(e.contains(what), "{text:?}: `{e}` does not say `{what}`");
            assert!(e.contains("help: "), "{text:?}: `{e}` has no help");
        }
    }

    #[test]
    fn line_and_column() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab\ncd", 99), (2, 3));
        assert_eq!(line_col("é\nx", 3), (2, 1));
    }

    #[test]
    fn kubernetes_names() {
        assert!(dns_label("gpu-bench", 63) && !dns_label("-x", 63) && !dns_label("A", 63));
        assert!(label_value("NVIDIA-H100-80GB-HBM3") && !label_value("has space"));
        assert!(label_key("nvidia.com/gpu.product") && !label_key("bad key"));
    }
}
