//! What a run will do: the build's variants selected, the suite's benches and cases
//! selected, the predicted image per variant for the GPU, and the task order (per bench and
//! image, variants in a seeded shuffled order, so slow drift is spread over all variants).
//! A task is one variant's image of one bench: the cases of a bench that load the same image
//! (the same compile-time axis values) share one task.

use archbench_core::manifest::BuildManifest;
use archbench_core::{Capability, DriverVersion};
use regex::Regex;
use serde::Serialize;

use super::RunError;
use crate::fill::{derive_seed, Rng};
use crate::results::schema::Predicted;
use crate::workload::{CaseSource, Set};

#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Variant names to run (empty = every embedded variant).
    pub variants: Vec<String>,
    /// Regexes on bench (kernel) names (empty = all).
    pub kernels: Vec<String>,
    /// Regexes on `bench/case label` (empty = all): cargo bench's FILTER.
    pub cases: Vec<String>,
    pub quick: bool,
    /// The edge set (overrides `quick`): small shapes, for correctness.
    pub edges: bool,
    pub seed: u64,
    /// The GPU to predict for (the detected one, or `--gpu`).
    pub gpu: Option<Capability>,
    pub driver: Option<DriverVersion>,
}

impl PlanOptions {
    /// The set of cases these options select.
    pub fn set(&self) -> Set {
        if self.edges {
            Set::Edges
        } else if self.quick {
            Set::Quick
        } else {
            Set::Default
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanVariant {
    pub name: String,
    pub gencode: Vec<String>,
    pub capabilities: Vec<String>,
    /// The predictor's verdict for the GPU, e.g. `sm_90 (sass-exact)`.
    pub predicted: Option<String>,
    /// The same, typed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prediction: Option<Predicted>,
    pub loads: Option<bool>,
    /// For `variant@image`: the one image loaded on its own (`sm_86`, `compute_80`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forced: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanKernel {
    pub name: String,
    pub file: String,
    /// Labels of the selected cases.
    pub cases: Vec<String>,
    /// Indices of the selected cases in the bench's case list.
    #[serde(skip)]
    pub case_indices: Vec<usize>,
    /// The image key of each selected case.
    #[serde(skip)]
    pub images: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub variant: String,
    /// For `variant@image`: the image loaded on its own.
    pub forced: Option<String>,
    pub kernel: String,
    /// The image key the task loads.
    pub image: String,
    /// Indices into the bench's case list (for the plan's set).
    pub cases: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub gpu: Option<String>,
    pub variants: Vec<PlanVariant>,
    pub kernels: Vec<PlanKernel>,
    pub tasks: Vec<Task>,
    pub quick: bool,
    /// The set of cases (`quick` says the same for the default and quick sets).
    #[serde(skip)]
    pub set: Set,
    pub seed: u64,
}

impl Plan {
    pub fn new(
        manifest: &BuildManifest,
        suite: &dyn CaseSource,
        opts: &PlanOptions,
    ) -> Result<Self, RunError> {
        check_build(manifest, &opts.variants)?;
        let variants = plan_variants(manifest, opts);
        let kernels = plan_kernels(manifest, suite, opts)?;
        let tasks = plan_tasks(&kernels, &variants, opts.seed);
        Ok(Self {
            gpu: opts.gpu.map(|g| g.to_string()),
            variants,
            kernels,
            tasks,
            quick: opts.quick,
            set: opts.set(),
            seed: opts.seed,
        })
    }

    /// Human-readable plan.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "plan: {} variant(s) × {} kernel(s) = {} task(s), {} sizes, seed {}\n",
            self.variants.len(),
            self.kernels.len(),
            self.tasks.len(),
            match self.set {
                Set::Edges => "edge",
                Set::Quick => "quick",
                Set::Default => "default",
            },
            self.seed
        ));
        if let Some(g) = &self.gpu {
            s.push_str(&format!("predicted for a {g} GPU:\n"));
        }
        for v in &self.variants {
            let p = v
                .predicted
                .as_deref()
                .map(|p| format!(" → {p}"))
                .unwrap_or_default();
            s.push_str(&format!(
                "  {}  [{}]{p}\n",
                v.name,
                v.capabilities.join(" ")
            ));
        }
        s.push_str("kernels:\n");
        for k in &self.kernels {
            s.push_str(&format!(
                "  {} ({}): {}\n",
                k.name,
                k.file,
                k.cases.join(", ")
            ));
        }
        s
    }
}

/// Separates a variant from a forced image in task names: `pkgsCuda@sm_86`.
pub const FORCED_SEP: char = '@';

/// The images of a variant that can run on `gpu` by the loading rules, when there are two
/// or more (so the driver's choice hides the others): `sm_80`, `sm_86`, `compute_80`, …
pub fn forced_images(v: &archbench_core::manifest::VariantBuild, gpu: Capability) -> Vec<String> {
    use archbench_core::loading::{ptx_runs_on, sass_runs_on};
    let parse = |l: &[String]| {
        l.iter()
            .filter_map(|c| c.parse::<Capability>().ok())
            .collect::<Vec<_>>()
    };
    let mut out: Vec<String> = parse(&v.capabilities)
        .into_iter()
        .filter(|c| sass_runs_on(*c, gpu))
        .map(|c| c.sm())
        .collect();
    out.extend(
        parse(&v.ptx)
            .into_iter()
            .filter(|c| ptx_runs_on(*c, gpu))
            .map(|c| c.compute()),
    );
    out.dedup();
    if out.len() >= 2 {
        out
    } else {
        Vec::new()
    }
}

/// Refuses a build without kernels, and variant names the build did not embed.
fn check_build(manifest: &BuildManifest, wanted: &[String]) -> Result<(), RunError> {
    if let Some(why) = &manifest.skipped {
        return Err(RunError::Plan(format!(
            "this build has no kernels ({why}); rebuild without ARCHBENCH_SKIP_KERNELS to run them"
        )));
    }
    let names: Vec<&str> = manifest.variants.iter().map(|v| v.name.as_str()).collect();
    for want in wanted {
        if !names.contains(&want.as_str()) {
            return Err(RunError::Plan(format!(
                "variant `{want}` is not embedded in this binary; embedded: {}\nhelp: rebuild with ARCHBENCH_VARIANTS='{want}' (one spec per line) to embed it",
                names.join(", ")
            )));
        }
    }
    Ok(())
}

/// The selected variants with the predictor's verdict for the GPU, each followed by its
/// forced images (`variant@image`) where the driver could choose among several.
fn plan_variants(manifest: &BuildManifest, opts: &PlanOptions) -> Vec<PlanVariant> {
    let ctx = archbench_core::spec::SpecContext {
        default_cuda: manifest
            .nvcc
            .as_ref()
            .and_then(|n| n.cuda.parse().ok())
            .unwrap_or(archbench_core::toolchain::PINNED_NVCC),
    };
    let mut variants = Vec::new();
    for v in manifest
        .variants
        .iter()
        .filter(|v| opts.variants.is_empty() || opts.variants.contains(&v.name))
    {
        let verdict = opts.gpu.and_then(|gpu| {
            let parsed = variant_of(v, &ctx);
            let p = archbench_inspect::predict::predict_variant(&parsed, gpu, opts.driver);
            p.modules.first().map(|m| m.verdict.clone())
        });
        variants.push(PlanVariant {
            name: v.name.clone(),
            gencode: v.gencode.clone(),
            capabilities: v.capabilities.clone(),
            predicted: verdict.as_ref().map(|v| v.summary()),
            prediction: verdict.as_ref().map(predicted_of),
            loads: verdict.as_ref().map(|v| v.loads()),
            forced: None,
        });
        // Each image on its own, where the driver could choose among several (and can
        // load it: a PTX image newer than the driver cannot).
        if let Some(gpu) = opts.gpu {
            let base = variant_of(v, &ctx);
            for image in forced_images(v, gpu) {
                if !forced_loads(&base, &image, gpu, opts.driver) {
                    continue;
                }
                variants.push(PlanVariant {
                    name: format!("{}{FORCED_SEP}{image}", v.name),
                    gencode: v.gencode.clone(),
                    capabilities: v.capabilities.clone(),
                    predicted: Some(format!("{image} (forced)")),
                    prediction: Some(Predicted::forced(&image)),
                    loads: Some(true),
                    forced: Some(image),
                });
            }
        }
    }
    variants
}

/// Compiles `--kernel` regexes or filters; `what` names them in the error.
fn regexes(list: &[String], what: &str) -> Result<Vec<Regex>, RunError> {
    list.iter()
        .map(|r| {
            Regex::new(r)
                .map_err(|e| RunError::Plan(format!("{what} `{r}` is not a valid regex: {e}")))
        })
        .collect()
}

/// The benches and cases the options select (benches with no selected case left out); an
/// error when a selected case loads an image the build lacks, or when nothing is selected.
fn plan_kernels(
    manifest: &BuildManifest,
    suite: &dyn CaseSource,
    opts: &PlanOptions,
) -> Result<Vec<PlanKernel>, RunError> {
    let res = regexes(&opts.kernels, "--kernel")?;
    let case_res = regexes(&opts.cases, "the filter")?;
    let set = opts.set();
    let built_keys: Vec<&str> = manifest
        .variants
        .iter()
        .flat_map(|v| v.files.iter().map(|f| f.file.as_str()))
        .collect();
    let mut kernels: Vec<PlanKernel> = Vec::new();
    for b in suite.benches() {
        if !(res.is_empty() || res.iter().any(|r| r.is_match(&b.name))) {
            continue;
        }
        let mut k = PlanKernel {
            name: b.name.clone(),
            file: b.source.clone(),
            cases: Vec::new(),
            case_indices: Vec::new(),
            images: Vec::new(),
        };
        for (i, c) in suite.cases(&b.name, set).into_iter().enumerate() {
            let id = format!("{}/{}", b.name, c.label);
            if case_res.is_empty() || case_res.iter().any(|r| r.is_match(&id)) {
                k.cases.push(c.label);
                k.case_indices.push(i);
                k.images.push(c.image);
            }
        }
        if let Some(missing) = k
            .images
            .iter()
            .find(|key| !built_keys.contains(&key.as_str()))
        {
            return Err(RunError::Plan(format!(
                "bench `{}` loads image `{missing}`, which this build has none of (built: {}); add its source to the build script's `Kernels`, or name the bench's `.source(…)`",
                b.name,
                dedup(&built_keys).join(", ")
            )));
        }
        if !k.cases.is_empty() {
            kernels.push(k);
        }
    }
    if kernels.is_empty() {
        return Err(RunError::Plan(format!(
            "no case matches (benches {:?}, filters {:?}); `--list` shows them",
            opts.kernels, opts.cases
        )));
    }
    Ok(kernels)
}

/// The task order: per bench, one group per image its cases load (in first-seen order),
/// each group's variants in an order shuffled by `seed`.
fn plan_tasks(kernels: &[PlanKernel], variants: &[PlanVariant], seed: u64) -> Vec<Task> {
    let mut tasks = Vec::new();
    for k in kernels {
        // One task per image the bench's cases load, in first-seen order.
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, key) in k.case_indices.iter().zip(&k.images) {
            match groups.iter_mut().find(|g| g.0 == *key) {
                Some(g) => g.1.push(*i),
                None => groups.push((key.clone(), vec![*i])),
            }
        }
        for (key, cases) in groups {
            let mut order: Vec<&PlanVariant> = variants.iter().collect();
            let order_seed = if key == k.file {
                derive_seed(seed, &["order", &k.name])
            } else {
                derive_seed(seed, &["order", &k.name, &key])
            };
            shuffle(&mut order, order_seed);
            tasks.extend(order.into_iter().map(|v| Task {
                variant: v.name.clone(),
                forced: v.forced.clone(),
                kernel: k.name.clone(),
                image: key.clone(),
                cases: cases.clone(),
            }));
        }
    }
    tasks
}

/// The predictor's verdict as the results record it.
pub fn predicted_of(v: &archbench_inspect::predict::Verdict) -> Predicted {
    Predicted {
        image: v.image.as_ref().map(|c| c.name.clone()),
        rule: v.rule.as_str().to_string(),
        error: v.error.as_ref().map(|e| e.code),
        best_guess: v.best_guess,
    }
}

/// Whether the driver loads `image` (`sm_86`, `compute_80`) of `base` alone on `gpu`.
fn forced_loads(
    base: &archbench_core::Variant,
    image: &str,
    gpu: Capability,
    driver: Option<DriverVersion>,
) -> bool {
    let mut one = base.clone();
    let pick = |name: &str| {
        base.capabilities
            .iter()
            .chain(&base.ptx)
            .copied()
            .find(|c| c.sm() == name.replacen("compute_", "sm_", 1))
    };
    let Some(cap) = pick(image) else {
        return false;
    };
    if image.starts_with("compute_") {
        one.capabilities.clear();
        one.ptx = vec![cap];
    } else {
        one.capabilities = vec![cap];
        one.ptx.clear();
    }
    archbench_inspect::predict::predict_variant(&one, gpu, driver)
        .modules
        .first()
        .is_some_and(|m| m.verdict.loads())
}

/// Rebuilds the variant a manifest entry was compiled from (its name is its spec, or a file
/// entry; capabilities and PTX are authoritative from the manifest).
fn variant_of(
    v: &archbench_core::manifest::VariantBuild,
    ctx: &archbench_core::spec::SpecContext,
) -> archbench_core::Variant {
    let caps = v
        .capabilities
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect();
    let ptx = v.ptx.iter().filter_map(|c| c.parse().ok()).collect();
    archbench_core::Variant {
        name: v.name.clone(),
        // Predict from what was built: its PTX carries the building nvcc's ISA.
        cuda: v.cuda_built.parse().unwrap_or(ctx.default_cuda),
        capabilities: caps,
        forward_compat: v.forward_compat,
        ptx,
        package: None,
        origin: archbench_core::Origin::NixConfig,
    }
}

fn dedup<'a>(v: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for s in v {
        if !out.contains(s) {
            out.push(s);
        }
    }
    out
}

fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut rng = Rng::new(seed);
    for i in (1..v.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forced_images_only_when_the_driver_has_a_choice() {
        let v = |caps: &[&str], ptx: &[&str]| archbench_core::manifest::VariantBuild {
            name: "v".into(),
            cuda_requested: "13.0".into(),
            cuda_built: "13.0".into(),
            capabilities: caps.iter().map(|s| s.to_string()).collect(),
            ptx: ptx.iter().map(|s| s.to_string()).collect(),
            forward_compat: !ptx.is_empty(),
            gencode: Vec::new(),
            files: Vec::new(),
        };
        let gpu: Capability = "8.9".parse().unwrap();
        let all = v(&["7.5", "8.0", "8.6", "8.9", "9.0", "12.1"], &["12.1"]);
        assert_eq!(forced_images(&all, gpu), ["sm_80", "sm_86", "sm_89"]);
        assert!(forced_images(&v(&["8.9"], &[]), gpu).is_empty());
        assert_eq!(
            forced_images(&v(&["8.9"], &["8.0"]), gpu),
            ["sm_89", "compute_80"]
        );
        assert!(forced_images(&v(&["9.0a"], &["9.0a"]), "9.0".parse().unwrap()).len() == 2);
    }

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let mut a: Vec<u32> = (0..11).collect();
        let mut b = a.clone();
        shuffle(&mut a, 5);
        shuffle(&mut b, 5);
        assert_eq!(a, b);
        let mut c = (0..11).collect::<Vec<u32>>();
        shuffle(&mut c, 6);
        assert_ne!(a, c);
        a.sort();
        assert_eq!(a, (0..11).collect::<Vec<_>>());
    }
}
