//! Which image the driver loads on a GPU (cuda-facts §6), per module, with the rule that
//! decided it — or the error the driver returns (209, 222). Where NVIDIA does not document
//! the choice among several fitting images, the verdict carries an `ambiguity` note and its
//! pick is labelled a best guess.
//!
//! Before any module, a whole file can be blocked ([`Blocker`]): a driver older than the
//! GPU's architecture, a library of the CUDA 13 runtime under a pre-580 driver, an x86-64
//! library on a Jetson. For libraries, which ship modules for many architectures and choose at
//! run time, the useful verdict is per kernel name ([`KernelSummary`]): does every kernel
//! have an image that loads on this GPU?
//!
//! This module holds the entry points and the types they return. The work is split by what it
//! decides: `rules` picks the image a module loads (cubin over PTX, exact over lower minor,
//! which PTX to JIT), `blockers` says what stops a load (209, 222, and whole-file blockers:
//! a driver that predates the GPU, a runtime newer than the driver, the wrong machine), and
//! `kernels` tallies kernel names and tells library-chosen modules apart.

use archbench_core::db;
use archbench_core::loading::LoadError;
use archbench_core::{Capability, CudaVersion, DriverVersion, Variant};
use serde::Serialize;

use crate::error::Result;
use crate::host::ModuleKind;
use crate::image::{read, Binary, Image, ImageKind, Module, Options};

mod blockers;
mod kernels;
mod rules;
#[cfg(test)]
mod tests;

pub use rules::decide;

/// An image as the predictor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// Index in the binary's image list (or in the variant's SASS-then-PTX list).
    pub index: usize,
    pub kind: ImageKind,
    pub arch: Capability,
    /// `sm_90a` / `compute_90`.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ptx_isa: Option<String>,
    #[serde(skip)]
    isa: Option<(u16, u16)>,
    #[serde(skip)]
    suffix_known: bool,
}

impl Candidate {
    /// A candidate for a SASS or PTX image.
    pub fn new(index: usize, kind: ImageKind, arch: Capability, isa: Option<(u16, u16)>) -> Self {
        let name = match kind {
            ImageKind::Ptx => arch.compute(),
            ImageKind::Lto => format!("lto_{}", arch.dotless()),
            _ => arch.sm(),
        };
        Self {
            index,
            kind,
            arch,
            name,
            ptx_isa: isa.map(|(a, b)| format!("{a}.{b}")),
            isa,
            suffix_known: true,
        }
    }
}

/// The rule that decided a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// A cubin for exactly this capability (`sm_89` on 8.9; also `sm_90a` on 9.0).
    SassExact,
    /// A cubin for a lower minor of the same major (`sm_80` on 8.6).
    SassLowerMinor,
    /// A family cubin (`sm_100f` on 10.3).
    SassFamily,
    /// No cubin fits; PTX is JIT-compiled by the driver.
    PtxJit,
    /// Nothing fits: `CUDA_ERROR_NO_BINARY_FOR_GPU` (209).
    NoBinaryForGpu,
    /// Only PTX fits, and it is newer than the driver: `CUDA_ERROR_UNSUPPORTED_PTX_VERSION` (222).
    PtxTooNewForDriver,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::SassExact => "sass-exact",
            Rule::SassLowerMinor => "sass-lower-minor",
            Rule::SassFamily => "sass-family",
            Rule::PtxJit => "ptx-jit",
            Rule::NoBinaryForGpu => "no-binary-for-gpu",
            Rule::PtxTooNewForDriver => "ptx-too-new-for-driver",
        }
    }
}

/// A driver error as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorOut {
    pub code: u32,
    pub name: &'static str,
}

impl From<LoadError> for ErrorOut {
    fn from(e: LoadError) -> Self {
        Self {
            code: e.code(),
            name: e.name(),
        }
    }
}

/// What the driver does with one module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The image the driver loads, when it loads one.
    pub image: Option<Candidate>,
    /// The error, when it loads none.
    pub error: Option<ErrorOut>,
    pub rule: Rule,
    /// Why, in words.
    pub reason: String,
    /// Set when several images fit and NVIDIA does not document which one wins.
    pub ambiguity: Option<String>,
    /// True when `image` is archbench's guess among undocumented alternatives.
    pub best_guess: bool,
    /// Assumptions made (no driver given, suffix not recorded, LTO-IR ignored…).
    pub notes: Vec<String>,
}

impl Verdict {
    /// One line: `sm_86 (sass-lower-minor)` or `error 209 CUDA_ERROR_NO_BINARY_FOR_GPU`.
    pub fn summary(&self) -> String {
        match (&self.image, &self.error) {
            (Some(i), _) => format!(
                "{}{} ({})",
                i.name,
                if self.best_guess { " [best guess]" } else { "" },
                self.rule.as_str()
            ),
            (None, Some(e)) => format!("error {} {} ({})", e.code, e.name, self.rule.as_str()),
            (None, None) => self.rule.as_str().to_string(),
        }
    }

    pub fn loads(&self) -> bool {
        self.image.is_some()
    }
}

/// The verdict for one module (a fatbin, a cubin/PTX file, or a variant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModulePrediction {
    /// `module 3 (.nv_fatbin at 0x1a2b)`, or the variant's name.
    pub module: String,
    pub kind: ModuleKind,
    /// The host ELF section it lies in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// The images it offers.
    pub images: Vec<Candidate>,
    pub verdict: Verdict,
    /// Kernels: those of the chosen image, or of all images when nothing loads.
    pub kernels: Vec<String>,
}

/// Why nothing in a file can load, whatever its modules hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocker {
    /// The CUDA error, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u32>,
    pub name: &'static str,
    pub reason: String,
}

/// Kernel names of the portable modules the CUDA runtime loads (`.nv_fatbin`, or the file
/// itself: modules with PTX or SASS for several architectures), and which of them a module
/// that loads on this GPU offers. A module that loads covers every kernel of all its images:
/// names found only in another architecture's image (`#if __CUDA_ARCH__` variants) are not
/// needed on this GPU.
///
/// Library-chosen modules are counted apart: fatbins embedded in other sections (the library
/// loads them itself) and architecture variants not meant for this GPU — modules whose images
/// are all for newer GPUs (cuBLASLt's sm_90a/sm_120f and sm_100+compute_120 modules on an 8.9),
/// or without PTX whose SASS is for one other SM only (cuSPARSE's sm_70-only kernels) or stops
/// below the newest SASS of the file (cuBLAS 11's hand-tuned sm_50/60/61 modules) — which a
/// library uses on other GPUs only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KernelSummary {
    pub total: usize,
    pub loadable: usize,
    /// Kernels no module that loads offers (sorted).
    pub missing: Vec<String>,
    /// Library-chosen modules, and how many of them load. They decide the verdict only when
    /// there are no portable kernels (cuFFT 12's `.nv_fatbin` is a stub): then one must load.
    pub chosen_total: usize,
    pub chosen_loading: usize,
}

/// Predictions for one binary or variant on one GPU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prediction {
    pub gpu: Capability,
    pub driver: Option<String>,
    /// Newest PTX ISA the driver can JIT, when known.
    pub driver_max_ptx_isa: Option<String>,
    /// What blocks the whole file (then nothing loads).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<Blocker>,
    /// Modules the driver may load; relocatable ones are listed in `relocatable`.
    pub modules: Vec<ModulePrediction>,
    /// Relocatable modules (`__nv_relfatbin`): nvlink input, never loaded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relocatable: Vec<String>,
    /// Kernel names of the loaded modules (binaries only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernels: Option<KernelSummary>,
    /// Notes on the whole file (embedded modules, the runtime it needs…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Prediction {
    /// True when every module loads and nothing blocks the file.
    pub fn all_load(&self) -> bool {
        self.blockers.is_empty() && self.modules.iter().all(|m| m.verdict.loads())
    }

    /// The verdict for the exit status: nothing blocks the file, and every kernel name has an
    /// image that loads (`all_modules`: every module loads). A file without kernel names
    /// (LTO-IR only, or a spec) falls back to the per-module rule.
    pub fn ok(&self, all_modules: bool) -> bool {
        match &self.kernels {
            Some(k) if !all_modules && (k.total > 0 || k.chosen_total > 0) => {
                self.blockers.is_empty()
                    && k.missing.is_empty()
                    && (k.total > 0 || k.chosen_loading > 0)
            }
            _ => self.all_load(),
        }
    }

    /// One line: the verdict and counts, for the top of a file's report.
    pub fn summary(&self, all_modules: bool) -> String {
        let verdict = if self.ok(all_modules) {
            "LOADS"
        } else {
            "FAILS"
        };
        let mut parts = Vec::new();
        if let Some(b) = self.blockers.first() {
            parts.push(format!("blocked: {}", b.name));
        }
        if let Some(k) = &self.kernels {
            if k.total > 0 {
                parts.push(format!(
                    "{} of {} kernels have a loadable image",
                    k.loadable, k.total
                ));
            }
            if k.chosen_total > 0 {
                parts.push(format!(
                    "{} of {} library-chosen modules load (embedded or single-architecture)",
                    k.chosen_loading, k.chosen_total
                ));
            }
        }
        let runtime: Vec<&ModulePrediction> = self
            .modules
            .iter()
            .filter(|m| m.kind == ModuleKind::Loadable)
            .collect();
        if !runtime.is_empty() {
            let loads = runtime.iter().filter(|m| m.verdict.loads()).count();
            parts.push(format!(
                "{loads} of {} runtime-loaded module{} load",
                runtime.len(),
                if runtime.len() == 1 { "" } else { "s" }
            ));
        }
        if !self.relocatable.is_empty() {
            parts.push(format!("{} relocatable not loaded", self.relocatable.len()));
        }
        format!("{verdict}: {}", parts.join("; "))
    }
}

/// What the file's environment is: the GPU, the driver, and a CUDA forward-compatibility
/// package (`cuda-compat`) when one is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    pub gpu: Capability,
    pub driver: Option<DriverVersion>,
    /// The CUDA version of an installed `cuda-compat` package: its user-mode driver runs
    /// newer runtimes and JITs newer PTX on an older kernel driver.
    pub compat: Option<CudaVersion>,
}

impl Setup {
    /// The driver that JITs PTX and serves the runtime: the compat package's when named.
    fn user_driver(&self) -> Option<DriverVersion> {
        match (self.compat, self.driver) {
            (Some(c), _) => Some(DriverVersion::Cuda(c)),
            (None, d) => d,
        }
    }
}

fn prediction(setup: &Setup, modules: Vec<ModulePrediction>) -> Prediction {
    let driver = setup.user_driver();
    Prediction {
        gpu: setup.gpu.base(),
        driver: setup.driver.map(|d| match setup.compat {
            Some(c) => format!("{d} with cuda-compat {c}"),
            None => d.to_string(),
        }),
        driver_max_ptx_isa: driver
            .and_then(db::driver_max_ptx_isa)
            .map(|(a, b)| format!("{a}.{b}")),
        blockers: Vec::new(),
        modules,
        relocatable: Vec::new(),
        kernels: None,
        notes: Vec::new(),
    }
}

/// Predicts every module of an already read binary.
pub fn predict_images(
    bin: &Binary<'_>,
    gpu: Capability,
    driver: Option<DriverVersion>,
) -> Prediction {
    predict_setup(
        bin,
        &Setup {
            gpu,
            driver,
            compat: None,
        },
    )
}

/// Predicts every loaded module of an already read binary, with file-level blockers and
/// the per-kernel summary.
pub fn predict_setup(bin: &Binary<'_>, setup: &Setup) -> Prediction {
    let gpu = setup.gpu;
    let driver = setup.user_driver();
    let by_module = images_by_module(bin);
    let newest = kernels::newest_loadable_sass(bin);
    let mut modules = Vec::with_capacity(bin.modules.len());
    let mut relocatable = Vec::new();
    let mut tally = kernels::Tally::default();
    for (m, md) in bin.modules.iter().enumerate() {
        let imgs: Vec<(usize, &Image<'_>)> =
            by_module[m].iter().map(|&i| (i, &bin.images[i])).collect();
        if !md.kind.is_loaded() {
            relocatable.push(module_label(bin, m));
            continue;
        }
        let cands = candidates(&imgs);
        let verdict = module_verdict(md, &imgs, &cands, gpu, driver);
        let chosen =
            md.kind == ModuleKind::Embedded || kernels::arch_variant(&cands, newest, gpu.base());
        tally.add(chosen, &imgs, verdict.loads());
        let kernels = kernels::module_kernels(bin, &imgs, &verdict);
        modules.push(ModulePrediction {
            module: module_label(bin, m),
            kind: md.kind,
            section: md.section.clone(),
            images: cands,
            verdict,
            kernels,
        });
    }
    let mut p = prediction(setup, modules);
    let (blockers, notes) = blockers::blockers(bin, setup);
    p.blockers = blockers;
    p.notes = notes;
    p.relocatable = relocatable;
    p.kernels = Some(tally.summary());
    p
}

/// The indices of each module's images, module by module.
fn images_by_module(bin: &Binary<'_>) -> Vec<Vec<usize>> {
    let mut by_module: Vec<Vec<usize>> = vec![Vec::new(); bin.modules.len()];
    for (i, img) in bin.images.iter().enumerate() {
        if let Some(v) = by_module.get_mut(img.module) {
            v.push(i);
        }
    }
    by_module
}

/// `module 3 (.nv_fatbin at 0x1a2b)`, `module 0 (fatbin at 0x0)`, or `module` for the only
/// module of a file that is one.
fn module_label(bin: &Binary<'_>, m: usize) -> String {
    let md = &bin.modules[m];
    match &md.section {
        _ if bin.modules.len() == 1 && md.section.is_none() => "module".to_string(),
        Some(s) => format!("module {m} ({s} at {:#x})", md.offset),
        None => format!("module {m} (fatbin at {:#x})", md.offset),
    }
}

/// A module's images with an architecture, as candidates.
fn candidates(imgs: &[(usize, &Image<'_>)]) -> Vec<Candidate> {
    imgs.iter()
        .filter_map(|&(idx, i)| {
            let mut c = Candidate::new(idx, i.kind, i.arch?, i.ptx_isa);
            c.suffix_known = i.suffix_known;
            Some(c)
        })
        .collect()
}

/// The verdict on module `md`, with notes on how it is loaded (by the library itself) and
/// what is only listed (obfuscated LTO-IR).
fn module_verdict(
    md: &Module,
    imgs: &[(usize, &Image<'_>)],
    cands: &[Candidate],
    gpu: Capability,
    driver: Option<DriverVersion>,
) -> Verdict {
    let mut verdict = decide(cands, gpu, driver);
    if md.kind == ModuleKind::Embedded {
        verdict.notes.push(format!(
            "embedded in section {}: loaded by the library itself (cuModuleLoadData), not when the library is loaded",
            md.section.as_deref().unwrap_or("?")
        ));
    }
    if imgs.iter().any(|(_, i)| i.obfuscated) {
        verdict
            .notes
            .push("obfuscated LTO-IR entries are listed only: they are nvJitLink input for NVIDIA's own libraries".into());
    }
    verdict
}

/// Reads `bytes` (cubin, fatbin, PTX, host ELF) and predicts every module on `gpu`.
pub fn predict_binary(
    bytes: &[u8],
    gpu: Capability,
    driver: Option<DriverVersion>,
) -> Result<Prediction> {
    let bin = read(bytes, Options::default())?;
    Ok(predict_images(&bin, gpu, driver))
}

/// The images a variant produces: SASS per `capabilities`, PTX per `ptx` with the PTX ISA
/// of `variant.cuda` (unknown when the release is not in `db::RELEASES`).
pub fn variant_images(v: &Variant) -> Vec<Candidate> {
    let isa = db::release(v.cuda).map(|r| (u16::from(r.ptx_isa.0), u16::from(r.ptx_isa.1)));
    let mut out: Vec<Candidate> = Vec::new();
    for &c in &v.capabilities {
        if !out.iter().any(|o| o.kind == ImageKind::Sass && o.arch == c) {
            out.push(Candidate::new(out.len(), ImageKind::Sass, c, None));
        }
    }
    for &c in &v.ptx {
        if !out.iter().any(|o| o.kind == ImageKind::Ptx && o.arch == c) {
            out.push(Candidate::new(out.len(), ImageKind::Ptx, c, isa));
        }
    }
    out
}

/// Predicts what the driver does with the binary a variant would produce.
pub fn predict_variant(v: &Variant, gpu: Capability, driver: Option<DriverVersion>) -> Prediction {
    let setup = Setup {
        gpu,
        driver,
        compat: None,
    };
    let images = variant_images(v);
    let mut verdict = decide(&images, gpu, driver);
    if db::release(v.cuda).is_none() && !v.ptx.is_empty() {
        verdict.notes.push(format!(
            "CUDA {} is not in archbench's release table: the PTX ISA of its PTX is unknown",
            v.cuda
        ));
    }
    prediction(
        &setup,
        vec![ModulePrediction {
            module: v.name.clone(),
            kind: ModuleKind::Loadable,
            section: None,
            images,
            verdict,
            kernels: Vec::new(),
        }],
    )
}
