//! The configurations worth considering for a set of GPUs: for each GPU, the images that
//! could serve it (its own SASS, a lower minor's or a family's SASS, its arch-specific SASS,
//! or the PTX of the build's highest capability), combined into Nixpkgs configs
//! (`cudaCapabilities` + `cudaForwardCompat`), each validated with archbench's Nixpkgs rules
//! and predicted on every GPU with its driver. Only configs Nixpkgs accepts and every GPU
//! loads survive.

use std::collections::{BTreeSet, HashMap};

use archbench_core::loading::{ptx_runs_on, sass_runs_on};
use archbench_core::spec::{self, SpecContext};
use archbench_core::validate::{self, ValidateOptions};
use archbench_core::{db, Capability, CudaVersion, DriverVersion, Suffix, Variant};
use archbench_inspect::predict::{predict_variant, ErrorOut, Rule};

use super::AdviseError;

/// One GPU to serve.
#[derive(Debug, Clone, PartialEq)]
pub struct Gpu {
    /// How the user named it (`9.0`, `8.6@535.104`, a fleet target's name).
    pub label: String,
    pub capability: Capability,
    pub driver: Option<DriverVersion>,
}

/// A Nixpkgs config: the capabilities (in the order Nixpkgs is given them: ascending, a
/// plain capability after its arch-specific twin) and forward compatibility (PTX of the
/// last one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NixConfig {
    pub capabilities: Vec<Capability>,
    pub forward_compat: bool,
}

/// What one GPU loads from a config.
#[derive(Debug, Clone, PartialEq)]
pub struct Served {
    /// `sm_90a`, `compute_90`.
    pub image: String,
    /// The predictor's rule (`sass-exact`, `sass-lower-minor`, `sass-family`, `ptx-jit`).
    pub rule: String,
    pub best_guess: bool,
}

/// Why a GPU loads nothing from a build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotServed {
    /// The prediction has no module to judge.
    #[error("the build has no image")]
    NoImage,
    /// The predictor says the driver refuses every image the build has.
    #[error("{summary}")]
    Refused {
        /// The rule that decided (`no-binary-for-gpu`, `ptx-too-new-for-driver`).
        rule: Rule,
        /// The driver's error (209 `CUDA_ERROR_NO_BINARY_FOR_GPU`, 222
        /// `CUDA_ERROR_UNSUPPORTED_PTX_VERSION`), where the predictor names one.
        error: Option<ErrorOut>,
        /// The predictor's one line (`error 209 CUDA_ERROR_NO_BINARY_FOR_GPU
        /// (no-binary-for-gpu)`).
        summary: String,
    },
}

impl NotServed {
    /// The driver's error code (209, 222), where there is one.
    pub fn error_code(&self) -> Option<u32> {
        match self {
            NotServed::NoImage => None,
            NotServed::Refused { error, .. } => error.as_ref().map(|e| e.code),
        }
    }
}

/// A config that Nixpkgs accepts and every GPU loads, with what each loads.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub config: NixConfig,
    pub variant: Variant,
    /// Per GPU, in request order.
    pub served: Vec<Served>,
    /// Nixpkgs' warnings for it (kept, never errors).
    pub warnings: Vec<String>,
}

impl NixConfig {
    /// The Nix attrset.
    pub fn nix(&self) -> String {
        let caps: Vec<String> = self
            .capabilities
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect();
        format!(
            "{{ cudaSupport = true; cudaCapabilities = [ {} ]; cudaForwardCompat = {}; }}",
            caps.join(" "),
            self.forward_compat
        )
    }

    /// `pkgsForCudaArch.sm_XX` when the config is exactly that attribute's.
    pub fn attr_path(&self) -> Option<String> {
        match self.capabilities.as_slice() {
            [one] if !self.forward_compat => Some(format!("pkgsForCudaArch.{}", one.sm())),
            _ => None,
        }
    }
}

/// Nixpkgs' order: ascending by number, an arch- or family-specific capability before the
/// plain one of the same number (so forward compat's PTX is the plain one).
fn nix_order(caps: &mut Vec<Capability>) {
    caps.sort_by_key(|c| {
        (
            c.sm_number(),
            match c.suffix {
                Suffix::None => 2,
                Suffix::Family => 1,
                Suffix::Arch => 0,
            },
        )
    });
    caps.dedup();
}

/// The SASS targets that could serve `gpu` under CUDA `cuda` (Nixpkgs has them and the
/// loading rules run them there).
fn sass_options(gpu: Capability, cuda: CudaVersion) -> Vec<Capability> {
    db::nix_capabilities()
        .filter(|i| i.nix_supports(cuda))
        .map(|i| i.capability)
        .filter(|c| sass_runs_on(*c, gpu))
        .collect()
}

/// Every config worth costing for `gpus`: each GPU picks one SASS option (or none, to be
/// served by the PTX of the highest capability), the union is a config with forward compat
/// off and on (only on when `future`). Invalid and unloadable configs are dropped.
pub fn enumerate(
    gpus: &[Gpu],
    cuda: CudaVersion,
    future: bool,
    rules: &ValidateOptions,
) -> Result<Vec<Candidate>, AdviseError> {
    if gpus.is_empty() {
        return Err(AdviseError::Usage(
            "no GPU to serve: give --gpu X.Y (repeatable), --fleet FILE or --from-results FILE"
                .into(),
        ));
    }
    check_gpus(gpus, cuda)?;
    let mut options: Vec<Vec<Option<Capability>>> = Vec::new();
    for g in gpus {
        let mut o: Vec<Option<Capability>> = sass_options(g.capability, cuda)
            .into_iter()
            .map(Some)
            .collect();
        o.push(None);
        options.push(o);
    }
    let mut configs: BTreeSet<NixConfig> = BTreeSet::new();
    let mut pick = vec![0usize; gpus.len()];
    loop {
        let mut caps: Vec<Capability> = pick
            .iter()
            .zip(&options)
            .filter_map(|(&i, o)| o[i])
            .collect();
        if !caps.is_empty() {
            nix_order(&mut caps);
            for fc in [false, true] {
                if future && !fc {
                    continue;
                }
                configs.insert(NixConfig {
                    capabilities: caps.clone(),
                    forward_compat: fc,
                });
            }
        }
        // Next combination (odometer).
        let mut k = 0;
        loop {
            if k == pick.len() {
                return Ok(check(configs, gpus, cuda, future, rules));
            }
            pick[k] += 1;
            if pick[k] < options[k].len() {
                break;
            }
            pick[k] = 0;
            k += 1;
        }
    }
}

/// Every GPU is a real capability that CUDA `cuda` builds for, with a driver new enough
/// for a CUDA `cuda` program (CUDA's minor-version compatibility holds within one major:
/// a 12.8 build runs on a 12.2 driver, a 13.0 build does not). The first GPU that is not
/// gets an error naming it and what to do.
fn check_gpus(gpus: &[Gpu], cuda: CudaVersion) -> Result<(), AdviseError> {
    for g in gpus {
        let base = g.capability.base();
        let Some(info) = db::capability(base) else {
            let known: Vec<String> = db::nix_capabilities()
                .filter(|i| i.capability.suffix == Suffix::None)
                .map(|i| i.capability.to_string())
                .collect();
            return Err(AdviseError::Usage(format!(
                "GPU `{}`: {base} is no GPU's compute capability; known: {}",
                g.label,
                known.join(" ")
            )));
        };
        if base != g.capability {
            return Err(AdviseError::Usage(format!(
                "GPU `{}`: a GPU's capability is plain ({base}); `{}` names a build target, not a GPU",
                g.label, g.capability
            )));
        }
        if sass_options(base, cuda).is_empty() {
            let sets = db::nix_sets_supporting(info);
            let hint = match (sets.first(), sets.last()) {
                (Some(a), Some(b)) => format!(
                    "Nixpkgs builds for {base} ({}) with CUDA {a} to {b}: try --cuda {b}",
                    info.arch
                ),
                _ => match info.nvidia_max {
                    Some(last) => format!(
                        "CUDA {} to {last} build for {base} ({}), and Nixpkgs has none of them",
                        info.nvidia_min, info.arch
                    ),
                    None => format!("Nixpkgs has no CUDA release that builds for {base}"),
                },
            };
            return Err(AdviseError::Unservable(format!(
                "GPU `{}`: CUDA {cuda} cannot build for a {base}; {hint}",
                g.label
            )));
        }
        if let Some(d) = g.driver {
            if let Some(max) = db::driver_max_cuda(d) {
                if max.major < cuda.major {
                    let need = db::release(cuda)
                        .map(|r| r.needs_driver())
                        .unwrap_or_else(|| format!("a CUDA {cuda} driver"));
                    return Err(AdviseError::Unservable(format!(
                        "GPU `{}`: driver {d} runs CUDA ≤ {max} programs; a CUDA {cuda} build needs {need} (CUDA's compatibility holds within a major): upgrade the driver or give --cuda {}.x",
                        g.label, max.major
                    )));
                }
            }
        }
    }
    Ok(())
}

/// What `gpu` loads from a build of `variant`, or why it loads nothing (the predictor's
/// reason, with the driver's error).
pub fn serve(variant: &Variant, gpu: &Gpu) -> Result<Served, NotServed> {
    let p = predict_variant(variant, gpu.capability, gpu.driver);
    let Some(v) = p.modules.first().map(|m| &m.verdict) else {
        return Err(NotServed::NoImage);
    };
    match &v.image {
        Some(image) => Ok(Served {
            image: image.name.clone(),
            rule: v.rule.as_str().to_string(),
            best_guess: v.best_guess,
        }),
        None => Err(NotServed::Refused {
            rule: v.rule,
            error: v.error.clone(),
            summary: v.summary(),
        }),
    }
}

/// The configs Nixpkgs accepts, every GPU loads, and (with `future`) that carry plain PTX.
fn check(
    configs: BTreeSet<NixConfig>,
    gpus: &[Gpu],
    cuda: CudaVersion,
    future: bool,
    rules: &ValidateOptions,
) -> Vec<Candidate> {
    let ctx = SpecContext { default_cuda: cuda };
    type Key = (usize, Vec<Capability>, Vec<Capability>);
    let mut seen: HashMap<Key, Result<Served, NotServed>> = HashMap::new();
    let mut out = Vec::new();
    'configs: for config in configs {
        if future
            && config
                .capabilities
                .last()
                .is_none_or(|c| c.suffix != Suffix::None)
        {
            continue;
        }
        let text = config.nix();
        let Some(entry) = spec::parse(&text, &ctx).into_iter().next() else {
            continue;
        };
        let Some(variant) = entry.variant else {
            continue;
        };
        let mut diags = entry.diagnostics;
        diags.extend(validate::validate(&variant, rules));
        if !validate::is_valid(&diags) {
            continue;
        }
        let mut served = Vec::with_capacity(gpus.len());
        for (i, g) in gpus.iter().enumerate() {
            // What a GPU loads depends only on the images that could run on it: predict once
            // per distinct set.
            let key = (
                i,
                variant
                    .capabilities
                    .iter()
                    .copied()
                    .filter(|c| sass_runs_on(*c, g.capability))
                    .collect::<Vec<_>>(),
                variant
                    .ptx
                    .iter()
                    .copied()
                    .filter(|c| ptx_runs_on(*c, g.capability))
                    .collect::<Vec<_>>(),
            );
            let s = seen
                .entry(key)
                .or_insert_with(|| serve(&variant, g))
                .clone();
            match s {
                Ok(s) => served.push(s),
                Err(_) => continue 'configs,
            }
        }
        // A capability no GPU loads (and that is not the forward-compat PTX's) is dead
        // weight: the config without it serves the same images, smaller.
        let used = |c: &Capability| {
            served.iter().any(|s| s.image == c.sm())
                || (config.forward_compat && config.capabilities.last() == Some(c))
        };
        if !config.capabilities.iter().all(used) {
            continue;
        }
        out.push(Candidate {
            config,
            variant,
            served,
            warnings: diags
                .iter()
                .filter(|d| !d.is_error())
                .map(|d| d.message.clone())
                .collect(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu(c: &str) -> Gpu {
        Gpu {
            label: c.into(),
            capability: c.parse().unwrap(),
            driver: None,
        }
    }

    fn opts() -> ValidateOptions {
        ValidateOptions {
            system: "x86_64-linux".into(),
            ..ValidateOptions::default()
        }
    }

    #[test]
    fn every_candidate_is_valid_and_serves_every_gpu() {
        let gpus = [gpu("8.6"), gpu("9.0")];
        let cuda: CudaVersion = "13.0".parse().unwrap();
        let c = enumerate(&gpus, cuda, false, &opts()).unwrap();
        assert!(!c.is_empty());
        for cand in &c {
            assert_eq!(cand.served.len(), 2);
        }
        let has = |caps: &[&str], fc: bool| {
            c.iter().any(|x| {
                x.config.forward_compat == fc
                    && x.config
                        .capabilities
                        .iter()
                        .map(|c| c.to_string())
                        .eq(caps.iter().map(|s| s.to_string()))
            })
        };
        assert!(has(&["8.0", "9.0"], false));
        assert!(has(&["8.6", "9.0a"], false));
        // 8.0 alone cannot serve 9.0 (SASS needs the same major; its PTX would, with forward
        // compat: `[ "8.0" ]` + PTX compute_80 JIT-compiled on the 9.0).
        assert!(!has(&["8.0"], false));
        assert!(has(&["8.0"], true));
        // `future`: only configs whose last capability is plain and carry PTX.
        let f = enumerate(&gpus, cuda, true, &opts()).unwrap();
        assert!(f.iter().all(|x| x.config.forward_compat));
        assert!(f
            .iter()
            .all(|x| x.config.capabilities.last().unwrap().suffix == Suffix::None));
    }

    #[test]
    fn a_gpu_no_image_fits_is_refused_with_the_driver_error() {
        let ctx = SpecContext {
            default_cuda: "13.0".parse().unwrap(),
        };
        let config = NixConfig {
            capabilities: vec!["8.0".parse().unwrap()],
            forward_compat: false,
        };
        let variant = spec::parse(&config.nix(), &ctx)
            .into_iter()
            .next()
            .and_then(|e| e.variant)
            .expect("a Nix config parses");
        // sm_80 SASS, no PTX: a 9.0 loads nothing (CUDA_ERROR_NO_BINARY_FOR_GPU).
        let e = serve(&variant, &gpu("9.0")).unwrap_err();
        match &e {
            NotServed::Refused {
                rule,
                error,
                summary,
            } => {
                assert_eq!(*rule, Rule::NoBinaryForGpu);
                assert_eq!(error.as_ref().map(|e| e.code), Some(209));
                assert_eq!(e.to_string(), *summary);
            }
            other => panic!("expected Refused, got {other:?}"),
        }
        assert_eq!(e.error_code(), Some(209));
        assert_eq!(
            e.to_string(),
            "error 209 CUDA_ERROR_NO_BINARY_FOR_GPU (no-binary-for-gpu)"
        );
        // An 8.6 loads the sm_80 SASS.
        let s = serve(&variant, &gpu("8.6")).unwrap();
        assert_eq!(s.image, "sm_80");
        assert_eq!(NotServed::NoImage.to_string(), "the build has no image");
        assert_eq!(NotServed::NoImage.error_code(), None);
    }

    #[test]
    fn spellings() {
        let c = NixConfig {
            capabilities: vec!["8.0".parse().unwrap(), "9.0".parse().unwrap()],
            forward_compat: true,
        };
        assert_eq!(
            c.nix(),
            "{ cudaSupport = true; cudaCapabilities = [ \"8.0\" \"9.0\" ]; cudaForwardCompat = true; }"
        );
        assert_eq!(c.attr_path(), None);
        let one = NixConfig {
            capabilities: vec!["9.0a".parse().unwrap()],
            forward_compat: false,
        };
        assert_eq!(one.attr_path().as_deref(), Some("pkgsForCudaArch.sm_90a"));
        let mut caps: Vec<Capability> = ["9.0", "9.0a", "8.6", "8.6"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        nix_order(&mut caps);
        assert_eq!(
            caps.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            ["8.6", "9.0a", "9.0"]
        );
    }
}
