//! What each `-gencode` target costs the kernels being advised on: image bytes and nvcc
//! time, measured by compiling every target once through `archbench-build` (its shared
//! cache makes a repeat nearly free). A config's cost is the sum over its targets — its SASS
//! images and, with forward compat, the PTX of its last capability.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use archbench_core::Capability;

use super::candidates::NixConfig;
use super::AdviseError;

/// One target's cost over every kernel source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetCost {
    /// Bytes of its fatbins, summed over the sources.
    pub bytes: u64,
    /// nvcc seconds to compile it for every source (from the cache's record of the compile
    /// that made each unit).
    pub build_s: f64,
}

/// Where the costs come from.
#[derive(Debug, Clone, PartialEq)]
pub enum CostSource {
    /// Compiled: the kernels' directory, how many sources, and what this costing took.
    Measured {
        kernels: PathBuf,
        /// The nvcc that compiled them (`13.0.88`).
        nvcc: String,
        sources: usize,
        units_compiled: usize,
        units_cached: usize,
        wall_s: f64,
    },
    /// Given by a caller (tests: made up, and labelled so).
    Given(String),
}

/// Per-target costs: `sm_90a` (SASS) and `compute_90` (PTX) keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Costs {
    pub per_target: BTreeMap<String, TargetCost>,
    /// Targets whose cost is not measured but taken from another's, with why (the nvcc at
    /// hand cannot build them: `sm_70` under nvcc 13.0).
    pub estimated: BTreeMap<String, String>,
    pub source: CostSource,
}

/// The targets a config builds: `sm_XX` per capability, and `compute_<last>` with forward
/// compat.
pub fn targets(config: &NixConfig) -> Vec<String> {
    let mut t: Vec<String> = config.capabilities.iter().map(|c| c.sm()).collect();
    if config.forward_compat {
        if let Some(last) = config.capabilities.last() {
            t.push(last.compute());
        }
    }
    t
}

/// The targets any variant builds (its SASS, then its PTX).
pub fn variant_targets(v: &archbench_core::Variant) -> Vec<String> {
    v.capabilities
        .iter()
        .map(|c| c.sm())
        .chain(v.ptx.iter().map(|c| c.compute()))
        .collect()
}

impl Costs {
    /// Costs a caller states (tests).
    pub fn given(per_target: BTreeMap<String, TargetCost>, why: &str) -> Self {
        Costs {
            per_target,
            estimated: BTreeMap::new(),
            source: CostSource::Given(why.to_string()),
        }
    }

    /// A config's bytes and build seconds, or the first target it has no cost for.
    pub fn of(&self, config: &NixConfig) -> Result<TargetCost, String> {
        self.of_targets(&targets(config))
    }

    /// Why some of `targets` are costed by estimate (empty when all are measured).
    pub fn estimates(&self, targets: &[String]) -> Vec<String> {
        targets
            .iter()
            .filter_map(|t| self.estimated.get(t).cloned())
            .collect()
    }

    /// The bytes and build seconds of `targets`, or the first one without a cost.
    pub fn of_targets(&self, targets: &[String]) -> Result<TargetCost, String> {
        let mut total = TargetCost {
            bytes: 0,
            build_s: 0.0,
        };
        for t in targets {
            let c = self.per_target.get(t).ok_or_else(|| t.clone())?;
            total.bytes += c.bytes;
            total.build_s += c.build_s;
        }
        Ok(total)
    }

    /// Compiles every target of `configs` for the `.cu` files of `kernels` (with `includes`)
    /// through archbench-build, with nvcc of CUDA `cuda`'s toolchain found as a build finds
    /// it.
    pub fn measure(
        kernels: &Path,
        includes: &[PathBuf],
        target_lists: &[Vec<String>],
    ) -> Result<Self, AdviseError> {
        let mut wanted: Vec<String> = Vec::new();
        for list in target_lists {
            for t in list {
                if !wanted.contains(t) {
                    wanted.push(t.clone());
                }
            }
        }
        // One variant per target, spelled so that it builds exactly that one image.
        let spec = |t: &str| -> Option<String> {
            let (num, kind) = match (t.strip_prefix("sm_"), t.strip_prefix("compute_")) {
                (Some(n), _) => (n, "real"),
                (_, Some(n)) => (n, "virtual"),
                _ => return None,
            };
            Capability::parse_dotless(num)
                .ok()
                .map(|c| format!("cmake:{}-{kind}", c.dotless()))
        };
        if !kernels.is_dir() {
            return Err(AdviseError::Usage(format!(
                "{} is not a folder of .cu files to cost (give --kernels DIR)",
                kernels.display()
            )));
        }
        let tc = archbench_core::toolchain::find_or_install()
            .map_err(|e| AdviseError::Build(e.to_string()))?;
        // The targets this nvcc builds; the others are costed as the nearest one it does.
        let buildable = |t: &str| {
            target_capability(t).is_some_and(|c| {
                archbench_core::db::capability(c)
                    .is_some_and(|i| i.nix_supports(tc.version) && i.nvidia_supports(tc.version))
            })
        };
        let (can, cannot): (Vec<String>, Vec<String>) =
            wanted.into_iter().partition(|t| buildable(t));
        let specs: Vec<(String, String)> = can
            .iter()
            .filter_map(|t| spec(t).map(|s| (t.clone(), s)))
            .collect();
        let out = std::env::temp_dir().join(format!("archbench-advise-{}", std::process::id()));
        let env = archbench_build::BuildEnv::new(
            kernels.parent().unwrap_or(kernels),
            &out,
            "archbench-advise",
        )
        .var(
            "ARCHBENCH_KERNEL_CACHE",
            std::env::var("ARCHBENCH_KERNEL_CACHE").unwrap_or_default(),
        )
        .cargo_directives(false)
        .quiet(true)
        .jobs(std::thread::available_parallelism().map_or(1, |n| n.get()));
        let mut k = archbench_build::Kernels::new().sources_in(kernels);
        for i in includes {
            k = k.include(i);
        }
        let started = Instant::now();
        let built = k
            .variants(specs.iter().map(|(_, s)| s.clone()))
            .build_in(&env)
            .map_err(|e| AdviseError::Build(format!("{e:?}")));
        let _ = std::fs::remove_dir_all(&out);
        let built = built?;
        let mut per_target = BTreeMap::new();
        for (target, spec) in &specs {
            let Some(v) = built
                .manifest
                .build
                .variants
                .iter()
                .find(|v| &v.name == spec)
            else {
                continue;
            };
            per_target.insert(
                target.clone(),
                TargetCost {
                    bytes: v.files.iter().map(|f| f.fatbin_bytes).sum(),
                    build_s: v.files.iter().map(|f| f.compile_seconds).sum(),
                },
            );
        }
        let mut estimated = BTreeMap::new();
        for t in cannot {
            let Some(near) = nearest(&t, &per_target) else {
                return Err(AdviseError::Build(format!(
                    "nvcc {} cannot build {t} and built no target to estimate it from",
                    tc.release
                )));
            };
            if let Some(c) = per_target.get(&near).copied() {
                per_target.insert(t.clone(), c);
            }
            estimated.insert(
                t.clone(),
                format!(
                    "{t} taken as {near}'s cost (nvcc {} cannot build {t})",
                    tc.release
                ),
            );
        }
        Ok(Costs {
            per_target,
            estimated,
            source: CostSource::Measured {
                nvcc: tc.release.clone(),
                kernels: kernels.to_path_buf(),
                sources: built
                    .manifest
                    .build
                    .variants
                    .first()
                    .map_or(0, |v| v.files.len()),
                units_compiled: built.units_compiled,
                units_cached: built.units_cached,
                wall_s: started.elapsed().as_secs_f64(),
            },
        })
    }
}

/// The capability of a target (`sm_90a` → 9.0a, `compute_75` → 7.5).
fn target_capability(t: &str) -> Option<Capability> {
    let num = t
        .strip_prefix("sm_")
        .or_else(|| t.strip_prefix("compute_"))?;
    Capability::parse_dotless(num).ok()
}

/// The measured target of the same kind (SASS or PTX) nearest to `t` by architecture
/// number (ties: the higher one, whose code generation is the closer relative).
fn nearest(t: &str, measured: &BTreeMap<String, TargetCost>) -> Option<String> {
    let cap = target_capability(t)?;
    let ptx = t.starts_with("compute_");
    measured
        .keys()
        .filter(|k| k.starts_with("compute_") == ptx)
        .filter_map(|k| target_capability(k).map(|c| (k, c)))
        .min_by_key(|(_, c)| {
            let d = i64::from(c.sm_number()) - i64::from(cap.sm_number());
            (d.abs(), -d)
        })
        .map(|(k, _)| k.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configs_targets_and_cost() {
        let c = NixConfig {
            capabilities: vec!["8.0".parse().unwrap(), "9.0".parse().unwrap()],
            forward_compat: true,
        };
        assert_eq!(targets(&c), ["sm_80", "sm_90", "compute_90"]);
        let costs = Costs::given(
            [
                ("sm_80", 100, 1.0),
                ("sm_90", 120, 1.5),
                ("compute_90", 50, 0.5),
            ]
            .iter()
            .map(|(t, b, s)| {
                (
                    t.to_string(),
                    TargetCost {
                        bytes: *b,
                        build_s: *s,
                    },
                )
            })
            .collect(),
            "SYNTHETIC",
        );
        let total = costs.of(&c).unwrap();
        assert_eq!((total.bytes, total.build_s), (270, 3.0));
        let missing = NixConfig {
            capabilities: vec!["8.6".parse().unwrap()],
            forward_compat: false,
        };
        assert_eq!(costs.of(&missing).unwrap_err(), "sm_86");
    }

    #[test]
    fn an_unbuildable_target_is_costed_as_its_nearest_kind() {
        let m: BTreeMap<String, TargetCost> = ["sm_75", "sm_90", "compute_75", "compute_120"]
            .iter()
            .map(|t| {
                (
                    t.to_string(),
                    TargetCost {
                        bytes: 1,
                        build_s: 1.0,
                    },
                )
            })
            .collect();
        assert_eq!(nearest("sm_70", &m).as_deref(), Some("sm_75"));
        assert_eq!(nearest("sm_86", &m).as_deref(), Some("sm_90"));
        assert_eq!(nearest("compute_70", &m).as_deref(), Some("compute_75"));
        assert_eq!(nearest("compute_100", &m).as_deref(), Some("compute_120"));
        assert_eq!(nearest("banana", &m), None);
    }
}
