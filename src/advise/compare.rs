//! `--compare SPEC`: the build a user ships today (any spec archbench reads: `pkgsCuda`, a
//! Nix config, `torch:…`, `cmake:…`), costed and predicted on the same GPUs with the same
//! evidence as the advised configs, so the advice reads against it ("the first option is
//! 0.4× the bytes of `pkgsCuda` at the same speed"). A compared build may leave a GPU without
//! an image; it says which and why rather than being dropped.

use archbench_core::spec::{self, SpecContext};
use archbench_core::{validate, Variant};
use serde::Serialize;

use super::candidates::{self, Gpu};
use super::costs::{self, Costs};
use super::{geomean_speed, jit_gpus, AdviseError, Advised, Evidence, PerGpu, Request};

/// A build the user named, measured as the advised ones are.
#[derive(Debug, Clone, Serialize)]
pub struct Compared {
    /// As given.
    pub spec: String,
    /// The variant's name (`pkgsCuda`, `torch:8.0;8.6+PTX`).
    pub name: String,
    /// `-gencode` targets it builds.
    pub targets: Vec<String>,
    pub bytes: u64,
    pub build_s: f64,
    /// Geometric mean of the expected speed over the GPUs that load it.
    pub speed: f64,
    pub jit: Vec<String>,
    pub per_gpu: Vec<PerGpu>,
    /// GPUs that load nothing from it, with the driver's reason.
    pub unserved: Vec<Unserved>,
    /// Nixpkgs' and archbench's findings about it (warnings and errors: a compared build
    /// is reported even when Nixpkgs would refuse it, and says so).
    pub findings: Vec<String>,
    /// Targets costed by estimate, with why.
    pub cost_estimates: Vec<String>,
}

/// A GPU a compared build does not serve.
#[derive(Debug, Clone, Serialize)]
pub struct Unserved {
    pub gpu: String,
    pub reason: String,
}

/// The variants `spec` names (a variant file may name several), under the request's CUDA
/// and rules; a spec that does not parse is an error naming it.
pub fn parse(spec_text: &str, req: &Request) -> Result<Vec<(Variant, Vec<String>)>, AdviseError> {
    let ctx = SpecContext {
        default_cuda: req.cuda,
    };
    let mut out = Vec::new();
    for entry in spec::parse(spec_text, &ctx) {
        let findings: Vec<String> = entry.diagnostics.iter().map(|d| d.to_string()).collect();
        let Some(v) = entry.variant else {
            return Err(AdviseError::Usage(format!(
                "--compare {spec_text}: {}",
                findings.join("\n")
            )));
        };
        let mut all = findings;
        all.extend(
            validate::validate(&v, &req.rules)
                .iter()
                .map(|d| d.to_string()),
        );
        out.push((v, all));
    }
    if out.is_empty() {
        return Err(AdviseError::Usage(format!(
            "--compare {spec_text}: names no variant"
        )));
    }
    Ok(out)
}

/// `variant` on every GPU of `req`, with `costs` holding its targets (see
/// [`costs::variant_targets`]).
pub fn compare(
    spec_text: &str,
    variant: &Variant,
    findings: Vec<String>,
    gpus: &[Gpu],
    costs: &Costs,
    evidence: &Evidence,
) -> Result<Compared, AdviseError> {
    let targets = costs::variant_targets(variant);
    let cost = costs.of_targets(&targets).map_err(|t| {
        AdviseError::Build(format!(
            "--compare {spec_text}: no cost for target {t} (it was not compiled)"
        ))
    })?;
    let mut per_gpu = Vec::new();
    let mut unserved = Vec::new();
    for g in gpus {
        match candidates::serve(variant, g) {
            Ok(s) => per_gpu.push(PerGpu::assess(g, &s, evidence)),
            Err(why) => unserved.push(Unserved {
                gpu: g.label.clone(),
                reason: why.to_string(),
            }),
        }
    }
    Ok(Compared {
        cost_estimates: costs.estimates(&targets),
        spec: spec_text.to_string(),
        name: variant.name.clone(),
        targets,
        bytes: cost.bytes,
        build_s: cost.build_s,
        speed: geomean_speed(&per_gpu),
        jit: jit_gpus(&per_gpu),
        per_gpu,
        unserved,
        findings,
    })
}

/// One line setting the best advised option against a compared build.
pub fn against(best: &Advised, c: &Compared) -> String {
    let name = "option 1";
    if !c.unserved.is_empty() {
        return format!(
            "{} leaves {} without an image; {name} serves every GPU",
            c.name,
            c.unserved
                .iter()
                .map(|u| u.gpu.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    format!(
        "{name} against {}: {:.2}× the bytes, {:.2}× the nvcc time, speed {:.3}× against {:.3}×, JIT on {} GPU(s) against {}",
        c.name,
        ratio(best.bytes as f64, c.bytes as f64),
        ratio(best.build_s, c.build_s),
        best.speed,
        c.speed,
        best.jit.len(),
        c.jit.len()
    )
}

/// The compared build as text, in the advised options' layout.
pub fn render(c: &Compared, best: Option<&Advised>) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "compared: {}  —  {}, {:.1} s nvcc, speed {:.3}×, JIT on {}",
        c.name,
        super::mib(c.bytes),
        c.build_s,
        c.speed,
        if c.jit.is_empty() {
            "no GPU".to_string()
        } else {
            c.jit.join(", ")
        }
    );
    let _ = writeln!(s, "   targets: {}", c.targets.join(" "));
    for p in &c.per_gpu {
        let _ = writeln!(
            s,
            "   {:<14} loads {:<11} {:.3}×  {}",
            p.gpu, p.image, p.speed, p.basis
        );
    }
    for u in &c.unserved {
        let _ = writeln!(s, "   {:<14} loads nothing: {}", u.gpu, u.reason);
    }
    for e in &c.cost_estimates {
        let _ = writeln!(s, "   cost estimated: {e}");
    }
    for f in &c.findings {
        let _ = writeln!(s, "   {}", f.replace('\n', "\n   "));
    }
    if let Some(b) = best {
        let _ = writeln!(s, "   → {}", against(b, c));
    }
    s
}
