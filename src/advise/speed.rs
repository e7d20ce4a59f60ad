//! Expected speed from measured results: per GPU capability and kernel, what an
//! arch-specific image gains over the plain SASS (the sm_90a GEMM against the sm_90 one)
//! and what running PTX through the JIT costs against native SASS (compute_75 on a Hopper),
//! taken from results files of `archbench run` (the same cases under several variants).
//! Everything else is an estimate, and says so: SASS of a lower minor or of a family is taken
//! to run as fast as the GPU's own (no measurement), a GPU without results of its own borrows
//! another's JIT cost.

use std::collections::BTreeMap;

use archbench::results::schema::{CaseResult, RunFile, Status};
use archbench_core::Capability;

use super::candidates::Served;

/// What one run measured for one kernel, as ratios to the plain native SASS (> 1 faster).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KernelEvidence {
    /// Arch-specific SASS (`sm_90a`) over plain (`sm_90`): geometric mean over the cases.
    pub arch_gain: Option<f64>,
    /// A PTX-only variant JIT-compiled here over plain SASS (< 1 slower), and which PTX.
    pub ptx_ratio: Option<(f64, String)>,
    /// Milliseconds to load (JIT-compile) that PTX module, median over cases.
    pub jit_load_ms: Option<f64>,
}

/// What the results say, per GPU (device name and capability) and kernel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    pub gpus: Vec<GpuEvidence>,
}

/// One GPU model's evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuEvidence {
    pub device: String,
    pub capability: Capability,
    pub kernels: BTreeMap<String, KernelEvidence>,
}

/// The expected speed of one GPU under a config: relative to its own plain SASS, and on
/// what that rests.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// Geometric mean over the measured kernels (1.0 with no evidence).
    pub speed: f64,
    /// `measured on NVIDIA H100 80GB HBM3`, or why it is an estimate.
    pub basis: String,
    pub measured: bool,
    /// Milliseconds the first load spends JIT-compiling a module (median over the kernels
    /// of the GPU the figure comes from), when the image is PTX and results have it.
    pub jit_load_ms: Option<f64>,
}

fn geomean(xs: &[f64]) -> Option<f64> {
    let xs: Vec<f64> = xs
        .iter()
        .copied()
        .filter(|x| x.is_finite() && *x > 0.0)
        .collect();
    (!xs.is_empty()).then(|| (xs.iter().map(|x| x.ln()).sum::<f64>() / xs.len() as f64).exp())
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    xs.retain(|x| x.is_finite());
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    Some(xs[xs.len() / 2])
}

fn timed(c: &CaseResult) -> Option<f64> {
    (c.outcome() == Status::Ok)
        .then(|| c.timed_median())
        .flatten()
}

impl Evidence {
    /// The evidence in `runs` (several runs of one GPU model are pooled).
    pub fn from_runs(runs: &[RunFile]) -> Self {
        let mut gpus: Vec<GpuEvidence> = Vec::new();
        // (device, kernel) → (gains, ptx ratios, jit ms)
        type Acc = (Vec<f64>, Vec<(f64, String)>, Vec<f64>);
        let mut acc: BTreeMap<(String, String), Acc> = BTreeMap::new();
        let mut caps: BTreeMap<String, Capability> = BTreeMap::new();
        for run in runs {
            let Ok(cap) = run.device.capability.parse::<Capability>() else {
                continue;
            };
            caps.insert(run.device.name.clone(), cap);
            let cache_on = run.settings.environment.jit_cache_on();
            let plain = format!("pkgsForCudaArch.{}", cap.sm());
            let arch = format!("pkgsForCudaArch.{}a", cap.sm());
            for c in run.cases.iter().filter(|c| c.variant == plain) {
                let Some(base) = timed(c) else { continue };
                let same = |v: &CaseResult| v.kernel == c.kernel && v.case == c.case;
                let a = acc
                    .entry((run.device.name.clone(), c.kernel.clone()))
                    .or_default();
                for o in run.cases.iter().filter(|o| same(o)) {
                    let Some(t) = timed(o) else { continue };
                    if o.variant == arch {
                        a.0.push(base / t);
                    } else if o.image.as_ref().is_some_and(|i| i.kind == "ptx-jit")
                        && !o.variant.contains(archbench::run::plan::FORCED_SEP)
                    {
                        let ptx = o.image.as_ref().map(|i| i.name()).unwrap_or_default();
                        a.1.push((base / t, ptx));
                        // A run with the JIT cache on may have loaded from the cache:
                        // its load times are not what a first start costs.
                        if let Some(ms) = o.load_ms.filter(|_| !cache_on) {
                            a.2.push(ms);
                        }
                    }
                }
            }
        }
        for ((device, kernel), (gains, ptx, jit)) in acc {
            let Some(&capability) = caps.get(&device) else {
                continue;
            };
            let g = match gpus.iter_mut().find(|g| g.device == device) {
                Some(g) => g,
                None => {
                    gpus.push(GpuEvidence {
                        device: device.clone(),
                        capability,
                        kernels: BTreeMap::new(),
                    });
                    gpus.last_mut().expect("just pushed")
                }
            };
            let ratios: Vec<f64> = ptx.iter().map(|p| p.0).collect();
            g.kernels.insert(
                kernel,
                KernelEvidence {
                    arch_gain: geomean(&gains),
                    ptx_ratio: geomean(&ratios)
                        .map(|r| (r, ptx.first().map(|p| p.1.clone()).unwrap_or_default())),
                    jit_load_ms: median(jit),
                },
            );
        }
        Evidence { gpus }
    }

    /// The GPU models measured, for messages.
    pub fn devices(&self) -> Vec<String> {
        self.gpus
            .iter()
            .map(|g| format!("{} ({})", g.device, g.capability))
            .collect()
    }

    /// The expected speed of a GPU of `capability` loading `served`.
    pub fn expected(&self, capability: Capability, served: &Served) -> Expected {
        let own = self.gpus.iter().find(|g| g.capability == capability.base());
        let any = self.gpus.first();
        let est = |why: String| Expected {
            speed: 1.0,
            basis: why,
            measured: false,
            jit_load_ms: None,
        };
        match served.rule.as_str() {
            "sass-exact" if served.image.ends_with('a') => match own {
                Some(g) => {
                    let gains: Vec<f64> = g.kernels.values().filter_map(|k| k.arch_gain).collect();
                    match geomean(&gains) {
                        Some(s) => Expected {
                            speed: s,
                            basis: format!("measured on {}", g.device),
                            measured: true,
                            jit_load_ms: None,
                        },
                        None => est(format!("{} has no {} results", g.device, served.image)),
                    }
                }
                None => est(format!("no results for a {capability} GPU")),
            },
            "sass-exact" => Expected {
                speed: 1.0,
                basis: "its own SASS (the reference)".into(),
                measured: true,
                jit_load_ms: None,
            },
            "sass-lower-minor" | "sass-family" => est(format!(
                "{} SASS on a {capability}: taken to run as fast as its own (not measured)",
                served.image
            )),
            "ptx-jit" => {
                let from = own.filter(|g| g.kernels.values().any(|k| k.ptx_ratio.is_some()));
                let (g, how) = match (from, any) {
                    (Some(g), _) => (g, "measured"),
                    (None, Some(g)) => (g, "estimated from"),
                    (None, None) => {
                        return est(format!(
                            "{} JIT-compiled: no results to cost it (taken as fast)",
                            served.image
                        ))
                    }
                };
                let ratios: Vec<f64> = g
                    .kernels
                    .values()
                    .filter_map(|k| k.ptx_ratio.as_ref().map(|r| r.0))
                    .collect();
                let there = g
                    .kernels
                    .values()
                    .find_map(|k| k.ptx_ratio.as_ref().map(|r| r.1.clone()))
                    .unwrap_or_default();
                // Measured only for this GPU and this very PTX; otherwise an estimate.
                let (measured, how) = if how == "measured" && there == served.image {
                    (true, "measured on")
                } else {
                    (false, "estimated from")
                };
                let jit_ms = median(g.kernels.values().filter_map(|k| k.jit_load_ms).collect());
                let load = jit_ms
                    .map(|ms| format!("; first load JIT-compiles {ms:.0} ms per module there"))
                    .unwrap_or_default();
                match geomean(&ratios) {
                    Some(s) => Expected {
                        speed: s,
                        basis: format!(
                            "{} JIT: {how} {} ({there} there){load}",
                            served.image, g.device
                        ),
                        measured,
                        jit_load_ms: jit_ms,
                    },
                    None => est("no PTX results".into()),
                }
            }
            other => est(format!("rule {other}: not costed")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_say_so() {
        let e = Evidence::default();
        let s = e.expected(
            "8.6".parse().unwrap(),
            &Served {
                image: "sm_80".into(),
                rule: "sass-lower-minor".into(),
                best_guess: false,
            },
        );
        assert_eq!(s.speed, 1.0);
        assert!(!s.measured && s.basis.contains("not measured"), "{s:?}");
        let j = e.expected(
            "8.6".parse().unwrap(),
            &Served {
                image: "compute_80".into(),
                rule: "ptx-jit".into(),
                best_guess: false,
            },
        );
        assert!(!j.measured && j.basis.contains("no results"), "{j:?}");
    }
}
