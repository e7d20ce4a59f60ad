//! `archbench advise`: the smallest build that serves a set of GPUs, chosen from measured
//! costs. Candidates ([`candidates`]) are the Nixpkgs configs every GPU loads and Nixpkgs
//! accepts; each is costed ([`costs`]: bytes and nvcc time of its targets, compiled through
//! the build cache) and its speed on each GPU estimated from results files ([`speed`]:
//! arch-specific gains and JIT costs where measured, estimates otherwise, and says which).
//! The answer is the Pareto set over speed, JIT exposure, bytes, build time and how many GPUs
//! run another capability's code, ranked fastest first, then least JIT, then smallest (2 %
//! is a tie), then most GPUs on their own SASS, each config written as a Nixpkgs config,
//! `TORCH_CUDA_ARCH_LIST` and CMake `CUDA_ARCHITECTURES`.

pub mod candidates;
pub mod compare;
pub mod costs;
pub mod speed;

use archbench_core::validate::ValidateOptions;
use archbench_core::{flags, CudaVersion};
use serde::Serialize;

pub use candidates::{Candidate, Gpu, NixConfig};
pub use compare::Compared;
pub use costs::{Costs, TargetCost};
pub use speed::{Evidence, Expected};

/// Errors of the advisor.
#[derive(Debug, thiserror::Error)]
pub enum AdviseError {
    #[error("{0}")]
    Usage(String),
    #[error("costing the configs by compiling them failed: {0}")]
    Build(String),
    #[error("no config serves every GPU: {0}")]
    Unservable(String),
}

/// What to advise on.
#[derive(Debug, Clone)]
pub struct Request {
    pub gpus: Vec<Gpu>,
    /// Future GPUs too: the PTX of a plain capability must ship (forward compat).
    pub future: bool,
    pub cuda: CudaVersion,
    pub rules: ValidateOptions,
    pub max_bytes: Option<u64>,
    pub max_build_s: Option<f64>,
    /// Whether a GPU may depend on the driver's JIT (its own first load compiles PTX).
    pub jit_ok: bool,
    /// How many configs to show.
    pub top: usize,
}

/// One ranked config.
#[derive(Debug, Clone, Serialize)]
pub struct Advised {
    pub nix: String,
    pub attr_path: Option<String>,
    pub torch: Option<String>,
    pub cmake: String,
    pub capabilities: Vec<String>,
    pub forward_compat: bool,
    pub bytes: u64,
    pub build_s: f64,
    /// GPUs (labels) that run PTX through the JIT.
    pub jit: Vec<String>,
    /// Geometric mean over the GPUs of the expected speed against each one's own SASS.
    pub speed: f64,
    pub per_gpu: Vec<PerGpu>,
    pub warnings: Vec<String>,
    /// Targets costed by estimate, with why (empty: every figure measured).
    pub cost_estimates: Vec<String>,
}

/// What one GPU loads and how fast it is expected to run.
#[derive(Debug, Clone, Serialize)]
pub struct PerGpu {
    pub gpu: String,
    pub image: String,
    pub rule: String,
    pub speed: f64,
    pub basis: String,
    pub measured: bool,
    /// Milliseconds of JIT at first load per module, where measured (PTX images only).
    pub jit_load_ms: Option<f64>,
}

impl PerGpu {
    /// What `gpu` loads (`served`) and its expected speed from `evidence`.
    pub fn assess(gpu: &Gpu, served: &candidates::Served, evidence: &Evidence) -> Self {
        let e = evidence.expected(gpu.capability, served);
        PerGpu {
            gpu: gpu.label.clone(),
            image: served.image.clone(),
            rule: served.rule.clone(),
            speed: e.speed,
            basis: e.basis,
            measured: e.measured,
            jit_load_ms: e.jit_load_ms,
        }
    }
}

/// Geometric mean of the GPUs' expected speeds (1 when there are none).
fn geomean_speed(per_gpu: &[PerGpu]) -> f64 {
    (per_gpu.iter().map(|p| p.speed.ln()).sum::<f64>() / per_gpu.len().max(1) as f64).exp()
}

/// The GPUs that run PTX through the JIT.
fn jit_gpus(per_gpu: &[PerGpu]) -> Vec<String> {
    per_gpu
        .iter()
        .filter(|p| p.rule == "ptx-jit")
        .map(|p| p.gpu.clone())
        .collect()
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Advice {
    pub options: Vec<Advised>,
    /// Why the first option wins, in one line.
    pub why: String,
    /// Candidates considered, and how many survived the constraints.
    pub considered: usize,
    pub within_constraints: usize,
    /// How the costs were had.
    pub costs: String,
    /// GPU models the speed figures were measured on.
    pub measured_on: Vec<String>,
    /// Builds the user asked to compare against (`--compare`), filled in by the caller.
    pub compared: Vec<Compared>,
}

/// Two speeds within this ratio are a tie (noise of the figures they come from).
const SPEED_TIE: f64 = 0.005;
/// Two sizes within this ratio are a tie in ranking.
const BYTES_TIE: f64 = 0.02;

impl Advised {
    /// GPUs that run another capability's SASS (or PTX) rather than their own.
    fn inexact(&self) -> usize {
        self.per_gpu
            .iter()
            .filter(|p| p.rule != "sass-exact")
            .count()
    }

    /// No worse on speed, JIT, bytes, build time and GPUs on their own SASS, better on one.
    fn dominates(&self, o: &Advised) -> bool {
        let ge = self.speed >= o.speed * (1.0 - SPEED_TIE)
            && self.jit.len() <= o.jit.len()
            && self.bytes <= o.bytes
            && self.build_s <= o.build_s + 1e-9
            && self.inexact() <= o.inexact();
        let gt = self.speed > o.speed * (1.0 + SPEED_TIE)
            || self.jit.len() < o.jit.len()
            || self.bytes < o.bytes
            || self.build_s + 1e-9 < o.build_s
            || self.inexact() < o.inexact();
        ge && gt
    }
}

/// Advises on `req` with `costs` (see [`Costs::measure`]) and `evidence` (results).
pub fn advise(
    req: &Request,
    candidates: Vec<Candidate>,
    costs: &Costs,
    evidence: &Evidence,
) -> Result<Advice, AdviseError> {
    if candidates.is_empty() {
        return Err(AdviseError::Unservable(format!(
            "under CUDA {} and Nixpkgs' rules no capability list loads on every one of {}",
            req.cuda,
            req.gpus
                .iter()
                .map(|g| g.label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let considered = candidates.len();
    let mut options = Vec::new();
    for c in candidates {
        let cost = costs.of(&c.config).map_err(|t| {
            AdviseError::Build(format!("no cost for target {t} (it was not compiled)"))
        })?;
        let per_gpu: Vec<PerGpu> = req
            .gpus
            .iter()
            .zip(&c.served)
            .map(|(g, s)| PerGpu::assess(g, s, evidence))
            .collect();
        let speed = geomean_speed(&per_gpu);
        let jit = jit_gpus(&per_gpu);
        options.push(Advised {
            nix: c.config.nix(),
            attr_path: c.config.attr_path(),
            torch: flags::torch(&c.variant).ok(),
            cmake: flags::cmake(&c.variant),
            capabilities: c
                .config
                .capabilities
                .iter()
                .map(|c| c.to_string())
                .collect(),
            forward_compat: c.config.forward_compat,
            bytes: cost.bytes,
            build_s: cost.build_s,
            jit,
            speed,
            per_gpu,
            warnings: c.warnings,
            cost_estimates: costs.estimates(&costs::targets(&c.config)),
        });
    }
    options.retain(|o| {
        req.max_bytes.is_none_or(|m| o.bytes <= m)
            && req.max_build_s.is_none_or(|m| o.build_s <= m)
            && (req.jit_ok || o.jit.is_empty())
    });
    let within_constraints = options.len();
    if options.is_empty() {
        return Err(AdviseError::Unservable(
            "every config that serves these GPUs breaks a constraint (--max-bytes, --max-build-s, --no-jit): relax one".into(),
        ));
    }
    let pareto: Vec<Advised> = options
        .iter()
        .filter(|o| !options.iter().any(|p| p.dominates(o)))
        .cloned()
        .collect();
    let mut ranked = pareto;
    // Fastest, then least JIT, then smallest (within 2 %: a few KB are no reason to give a
    // GPU another's SASS), then the most GPUs on their own SASS, then exact size and build.
    let inexact = |o: &Advised| o.inexact();
    ranked.sort_by(|a, b| {
        let bucket = |s: f64| (s.ln() / SPEED_TIE).round() as i64;
        let size = |b: u64| ((b.max(1) as f64).ln() / BYTES_TIE).round() as i64;
        bucket(b.speed)
            .cmp(&bucket(a.speed))
            .then(a.jit.len().cmp(&b.jit.len()))
            .then(size(a.bytes).cmp(&size(b.bytes)))
            .then(inexact(a).cmp(&inexact(b)))
            .then(a.bytes.cmp(&b.bytes))
            .then(a.build_s.total_cmp(&b.build_s))
            .then(a.capabilities.len().cmp(&b.capabilities.len()))
    });
    let why = why(&ranked);
    ranked.truncate(req.top.max(1));
    Ok(Advice {
        options: ranked,
        why,
        considered,
        within_constraints,
        costs: match &costs.source {
            costs::CostSource::Measured {
                kernels,
                nvcc,
                sources,
                units_compiled,
                units_cached,
                wall_s,
            } => {
                let other = if nvcc.starts_with(&format!("{}.", req.cuda)) {
                    String::new()
                } else {
                    format!(
                        "; the advice is for CUDA {}, the figures are nvcc {nvcc}'s",
                        req.cuda
                    )
                };
                format!(
                    "bytes and nvcc seconds measured: {sources} sources of {} compiled per target by nvcc {nvcc} ({units_compiled} units compiled, {units_cached} from the cache, {wall_s:.1} s){other}",
                    kernels.display()
                )
            }
            costs::CostSource::Given(why) => format!("costs given: {why}"),
        },
        measured_on: evidence.devices(),
        compared: Vec::new(),
    })
}

/// Why the first option wins over the second, in one line.
fn why(ranked: &[Advised]) -> String {
    let Some(top) = ranked.first() else {
        return String::new();
    };
    let name = top.attr_path.clone().unwrap_or_else(|| top.nix.clone());
    let Some(next) = ranked.get(1) else {
        return format!(
            "{name} wins outright: every other config that serves these GPUs is slower, larger, slower to build or leaves a GPU to the JIT ({} here)",
            mib(top.bytes)
        );
    };
    if top.speed > next.speed * (1.0 + SPEED_TIE) {
        let measured: Vec<&PerGpu> = top
            .per_gpu
            .iter()
            .filter(|p| p.measured && p.speed > 1.0 + SPEED_TIE)
            .collect();
        let basis = measured
            .first()
            .map(|p| format!(" ({} on {}: {:.2}×, {})", p.image, p.gpu, p.speed, p.basis))
            .unwrap_or_default();
        return format!(
            "{name} wins on expected speed: {:.3}× against {:.3}× for the next{basis}, at {} against {}",
            top.speed,
            next.speed,
            mib(top.bytes),
            mib(next.bytes)
        );
    }
    if top.jit.len() < next.jit.len() {
        return format!(
            "{name} wins: as fast, and {} GPU(s) depend on the JIT against {} for the next",
            top.jit.len(),
            next.jit.len()
        );
    }
    format!(
        "{name} wins: as fast and as JIT-free as the next, and smaller ({} against {})",
        mib(top.bytes),
        mib(next.bytes)
    )
}

/// Bytes as MiB with two decimals.
pub fn mib(b: u64) -> String {
    format!("{:.2} MiB", b as f64 / 1048576.0)
}

/// The answer as text: a ranked table, the spellings of each option, the why-line, and
/// where the figures come from.
pub fn render(a: &Advice, gpus: &[Gpu]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} config(s) serve every GPU ({} within the constraints); the Pareto set over speed, JIT, bytes and build time, best first:\n",
        a.considered, a.within_constraints
    );
    for (i, o) in a.options.iter().enumerate() {
        let _ = writeln!(
            s,
            "{}. {}  —  {}, {:.1} s nvcc, speed {:.3}×, JIT on {}",
            i + 1,
            o.attr_path.clone().unwrap_or_else(|| o.nix.clone()),
            mib(o.bytes),
            o.build_s,
            o.speed,
            if o.jit.is_empty() {
                "no GPU".to_string()
            } else {
                o.jit.join(", ")
            }
        );
        if o.attr_path.is_some() {
            let _ = writeln!(s, "   nix:   {}", o.nix);
        }
        let _ = writeln!(
            s,
            "   torch: {}",
            o.torch
                .clone()
                .unwrap_or_else(|| "(no TORCH_CUDA_ARCH_LIST spelling)".into())
        );
        let _ = writeln!(s, "   cmake: {}", o.cmake);
        for p in &o.per_gpu {
            let _ = writeln!(
                s,
                "   {:<14} loads {:<11} {:.3}×  {}",
                p.gpu, p.image, p.speed, p.basis
            );
        }
        for w in &o.warnings {
            let _ = writeln!(s, "   note: {w}");
        }
        for e in &o.cost_estimates {
            let _ = writeln!(s, "   cost estimated: {e}");
        }
    }
    if !a.compared.is_empty() {
        let _ = writeln!(s);
    }
    for c in &a.compared {
        s.push_str(&compare::render(c, a.options.first()));
    }
    let _ = writeln!(s, "\nwhy: {}", a.why);
    let _ = writeln!(s, "costs: {}", a.costs);
    if a.measured_on.is_empty() {
        let _ = writeln!(
            s,
            "speed: no results given (--results FILE…): every speed is an estimate"
        );
    } else {
        let _ = writeln!(s, "speed measured on: {}", a.measured_on.join(", "));
        for g in gpus {
            let covered = a.options.first().is_some_and(|o| {
                o.per_gpu
                    .iter()
                    .any(|p| p.gpu == g.label && p.measured && !p.basis.contains("reference"))
            });
            if !covered
                && !a
                    .measured_on
                    .iter()
                    .any(|d| d.contains(&format!("({})", g.capability)))
            {
                let _ = writeln!(
                    s,
                    "  {}: no results of a {} GPU: its figures are estimates",
                    g.label, g.capability
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests;
