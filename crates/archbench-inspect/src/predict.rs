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

use std::collections::BTreeSet;

use archbench_core::db;
use archbench_core::loading::{ptx_runs_on, sass_runs_on, LoadError};
use archbench_core::{Capability, CudaVersion, DriverVersion, Suffix, Variant};
use serde::Serialize;

use crate::error::Result;
use crate::host::ModuleKind;
use crate::image::{read, Binary, ImageKind, Options};

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

fn names(c: &[&Candidate]) -> String {
    c.iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Specificity for breaking undocumented ties: `a`, then `f`, then plain.
fn specificity(c: &Capability) -> u8 {
    match c.suffix {
        Suffix::Arch => 2,
        Suffix::Family => 1,
        Suffix::None => 0,
    }
}

/// Decides what the driver does with a module offering `images` on a GPU `gpu`.
pub fn decide(images: &[Candidate], gpu: Capability, driver: Option<DriverVersion>) -> Verdict {
    let gpu = gpu.base();
    let mut notes = Vec::new();
    for c in images {
        if c.kind == ImageKind::Sass && !c.suffix_known {
            notes.push(format!(
                "the file does not record whether {} is arch- or family-specific; read as plain {}",
                c.name, c.name
            ));
        }
    }
    if images.iter().any(|c| c.kind == ImageKind::Lto) {
        notes.push("LTO-IR images are ignored: the driver does not load them (they need nvJitLink at link time)".into());
    }
    let sass: Vec<&Candidate> = images
        .iter()
        .filter(|c| c.kind == ImageKind::Sass && sass_runs_on(c.arch, gpu))
        .collect();
    let has_ptx = images.iter().any(|c| c.kind == ImageKind::Ptx);
    if !sass.is_empty() {
        let exact: Vec<&Candidate> = sass
            .iter()
            .copied()
            .filter(|c| c.arch.base() == gpu)
            .collect();
        let pool = if exact.is_empty() {
            sass.clone()
        } else {
            exact.clone()
        };
        let mut best = pool[0];
        for &c in &pool[1..] {
            let better = if exact.is_empty() {
                (c.arch.minor, specificity(&c.arch)) > (best.arch.minor, specificity(&best.arch))
            } else {
                specificity(&c.arch) > specificity(&best.arch)
            };
            if better {
                best = c;
            }
        }
        let rule = if !exact.is_empty() {
            Rule::SassExact
        } else if best.arch.suffix == Suffix::Family {
            Rule::SassFamily
        } else {
            Rule::SassLowerMinor
        };
        let mut reason = match rule {
            Rule::SassExact => format!("{} is built for exactly {gpu}", best.name),
            Rule::SassFamily => format!(
                "{} is family-specific and {gpu} is in its family",
                best.name
            ),
            _ => format!(
                "{} runs on later minors of major {} ({gpu})",
                best.name, best.arch.major
            ),
        };
        if has_ptx {
            reason.push_str("; a compatible cubin always wins over PTX");
        }
        let ambiguity = (sass.len() > 1).then(|| {
            format!(
                "{} all fit {gpu}; NVIDIA does not document which cubin the driver picks among compatible ones. Best guess: {} ({}). Check with CU_FUNC_ATTRIBUTE_BINARY_VERSION on the GPU",
                names(&sass),
                best.name,
                if exact.len() > 1 {
                    "the most specific exact match"
                } else if exact.len() == 1 {
                    "the exact match"
                } else {
                    "the highest minor"
                }
            )
        });
        return Verdict {
            image: Some(best.clone()),
            error: None,
            rule,
            reason,
            best_guess: ambiguity.is_some(),
            ambiguity,
            notes,
        };
    }
    let sass_all: Vec<&Candidate> = images
        .iter()
        .filter(|c| c.kind == ImageKind::Sass)
        .collect();
    let ptx: Vec<&Candidate> = images
        .iter()
        .filter(|c| c.kind == ImageKind::Ptx && ptx_runs_on(c.arch, gpu))
        .collect();
    let ptx_all: Vec<&Candidate> = images.iter().filter(|c| c.kind == ImageKind::Ptx).collect();
    if ptx.is_empty() {
        let mut reason = format!("no cubin fits {gpu}");
        if !sass_all.is_empty() {
            reason.push_str(&format!(" (has {})", names(&sass_all)));
        }
        if ptx_all.is_empty() {
            reason.push_str(" and there is no PTX to JIT-compile");
        } else {
            reason.push_str(&format!(
                " and no PTX can be JIT-compiled for it (has {}: plain PTX needs a GPU ≥ its version, a/f PTX only its own GPUs)",
                names(&ptx_all)
            ));
        }
        reason.push_str(&format!(
            "; add -gencode=arch=compute_{0},code=sm_{0} or PTX for a lower architecture",
            gpu.dotless()
        ));
        return Verdict {
            image: None,
            error: Some(LoadError::NoBinaryForGpu.into()),
            rule: Rule::NoBinaryForGpu,
            reason,
            ambiguity: None,
            best_guess: false,
            notes,
        };
    }
    let max_isa = driver.and_then(db::driver_max_ptx_isa);
    let usable: Vec<&Candidate> = match (driver, max_isa) {
        (Some(_), Some((a, b))) => ptx
            .iter()
            .copied()
            .filter(|c| c.isa.is_none_or(|isa| isa <= (u16::from(a), u16::from(b))))
            .collect(),
        (Some(d), None) => {
            notes.push(format!(
                "driver {d} predates every CUDA release archbench knows; its PTX ISA limit is unknown, assumed sufficient"
            ));
            ptx.clone()
        }
        (None, _) => {
            notes.push(
                "no --driver given: assuming the driver can JIT every PTX ISA version".into(),
            );
            ptx.clone()
        }
    };
    if usable.is_empty() {
        let (a, b) = max_isa.unwrap_or((0, 0));
        let newest = ptx
            .iter()
            .filter_map(|c| c.ptx_isa.as_deref())
            .max()
            .unwrap_or("?");
        let need = ptx
            .iter()
            .filter_map(|c| c.isa)
            .min()
            .and_then(|isa| {
                db::RELEASES
                    .iter()
                    .find(|r| (u16::from(r.ptx_isa.0), u16::from(r.ptx_isa.1)) >= isa)
            })
            .map(|r| {
                format!(
                    "update the driver to ≥ {} (CUDA {})",
                    r.min_driver_string(),
                    r.version
                )
            })
            .unwrap_or_else(|| "update the driver".into());
        return Verdict {
            image: None,
            error: Some(LoadError::UnsupportedPtxVersion.into()),
            rule: Rule::PtxTooNewForDriver,
            reason: format!(
                "no cubin fits {gpu}; the PTX ({}) has ISA up to {newest}, but driver {} JITs PTX ISA ≤ {a}.{b}: {need}, or add SASS for {gpu}",
                names(&ptx),
                driver.map(|d| d.to_string()).unwrap_or_default(),
            ),
            ambiguity: None,
            best_guess: false,
            notes,
        };
    }
    let mut best = usable[0];
    for &c in &usable[1..] {
        if (c.arch.base(), specificity(&c.arch)) > (best.arch.base(), specificity(&best.arch)) {
            best = c;
        }
    }
    let ambiguity = (usable.len() > 1).then(|| {
        format!(
            "{} can all be JIT-compiled for {gpu}; NVIDIA does not document which PTX the driver picks. Best guess: {} (the highest architecture)",
            names(&usable),
            best.name
        )
    });
    let mut reason = format!("no cubin fits {gpu}; the driver JIT-compiles {}", best.name);
    if let Some(isa) = &best.ptx_isa {
        reason.push_str(&format!(" (PTX ISA {isa})"));
    }
    if let (Some(d), Some((a, b))) = (driver, max_isa) {
        reason.push_str(&format!(", which driver {d} supports (PTX ISA ≤ {a}.{b})"));
    }
    Verdict {
        image: Some(best.clone()),
        error: None,
        rule: Rule::PtxJit,
        reason,
        best_guess: ambiguity.is_some(),
        ambiguity,
        notes,
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

/// A driver supports CUDA release `v` (its minimum Linux driver, or a CUDA-version driver
/// at least `v`); `None` when the release is not in the table.
fn driver_supports(driver: DriverVersion, v: CudaVersion) -> Option<bool> {
    match driver {
        DriverVersion::Cuda(d) => Some(d >= v),
        // The newest release the driver supports decides (releases without a published
        // minimum driver are judged by the drivers NVIDIA pairs them with).
        DriverVersion::Linux(_) => {
            db::release(v)?;
            Some(db::driver_max_cuda(driver).is_some_and(|max| max >= v))
        }
    }
}

/// Minimum Linux driver of each CUDA major's runtime (minor-version compatibility).
const RUNTIME_MIN_DRIVER: &[(u16, [u32; 3])] =
    &[(11, [450, 80, 2]), (12, [525, 60, 13]), (13, [580, 65, 6])];

/// Jetson capabilities, including the old Tegra ones the table does not list (5.3, 6.2).
fn is_jetson(gpu: Capability) -> bool {
    db::capability(gpu.base()).is_some_and(|i| i.jetson)
        || matches!((gpu.major, gpu.minor), (5, 3) | (6, 2))
}

/// The CUDA runtime major a library needs, and how that was found.
fn runtime_major(bin: &Binary<'_>) -> Option<(u16, String)> {
    let host = bin.host.as_ref()?;
    if let Some(so) = &host.cudart {
        // `libcudart.so.13`, `libcudart.so.11.0`.
        let version = so.strip_prefix("libcudart.so.")?;
        let major = version.split('.').next().and_then(|m| m.parse().ok())?;
        return Some((major, format!("it links {so}")));
    }
    let (major, minor) = bin.toolkit_release()?;
    Some((
        major,
        format!("its device code was built by CUDA {major}.{minor} (statically linked runtime)"),
    ))
}

/// Reasons the whole file cannot load on `setup`.
fn blockers(bin: &Binary<'_>, setup: &Setup) -> (Vec<Blocker>, Vec<String>) {
    let gpu = setup.gpu.base();
    let mut out = Vec::new();
    let mut notes = Vec::new();
    if let (Some(driver), Some(info)) = (setup.driver, db::capability(gpu)) {
        if let (Some(false), Some(rel)) = (
            driver_supports(driver, info.nvidia_min),
            db::release(info.nvidia_min),
        ) {
            out.push(Blocker {
                code: Some(100),
                name: "CUDA_ERROR_NO_DEVICE",
                reason: format!(
                    "driver {driver} predates GPU {gpu} ({}): it needs a CUDA {} driver (≥ {}); the driver does not see the GPU",
                    info.arch,
                    rel.version,
                    rel.min_driver_string()
                ),
            });
        }
    }
    if let Some(host) = &bin.host {
        if is_jetson(gpu) && host.machine != crate::elf::EM_AARCH64 {
            out.push(Blocker {
                code: None,
                name: "wrong machine",
                reason: format!(
                    "GPU {gpu} is a Jetson (aarch64), and this library is {}: the dynamic loader refuses it",
                    host.machine_name
                ),
            });
        }
    }
    if let Some((major, how)) = runtime_major(bin) {
        let need = RUNTIME_MIN_DRIVER.iter().find(|(m, _)| *m == major);
        match (setup.compat, setup.driver, need) {
            (Some(c), _, _) if c.major >= major => notes.push(format!(
                "needs the CUDA {major} runtime ({how}); cuda-compat {c} provides it"
            )),
            (_, Some(driver), Some(&(_, min))) => {
                let ok = match driver {
                    DriverVersion::Linux(d) => d >= min,
                    DriverVersion::Cuda(v) => v.major >= major,
                };
                if !ok {
                    out.push(Blocker {
                        code: Some(35),
                        name: "cudaErrorInsufficientDriver",
                        reason: format!(
                            "the library needs the CUDA {major} runtime ({how}), which needs driver ≥ {}; driver {driver} is older (install a newer driver, or the cuda-compat package for CUDA {major} and pass --compat)",
                            DriverVersion::Linux(min)
                        ),
                    });
                }
            }
            _ => notes.push(format!("needs the CUDA {major} runtime ({how})")),
        }
    }
    (out, notes)
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
    let mut by_module: Vec<Vec<usize>> = vec![Vec::new(); bin.modules.len()];
    for (i, img) in bin.images.iter().enumerate() {
        if let Some(v) = by_module.get_mut(img.module) {
            v.push(i);
        }
    }
    let mut modules = Vec::with_capacity(bin.modules.len());
    let mut relocatable = Vec::new();
    let mut all_kernels: BTreeSet<&str> = BTreeSet::new();
    let mut loadable: BTreeSet<&str> = BTreeSet::new();
    let (mut chosen_total, mut chosen_loading) = (0usize, 0usize);
    let newest = bin
        .images
        .iter()
        .filter(|i| i.kind == ImageKind::Sass)
        .filter(|i| bin.modules.get(i.module).map(|m| m.kind) == Some(ModuleKind::Loadable))
        .filter_map(|i| i.arch.map(|a| a.base()))
        .max();
    let label = |m: usize| {
        let md = &bin.modules[m];
        match &md.section {
            _ if bin.modules.len() == 1 && md.section.is_none() => "module".to_string(),
            Some(s) => format!("module {m} ({s} at {:#x})", md.offset),
            None => format!("module {m} (fatbin at {:#x})", md.offset),
        }
    };
    for (m, md) in bin.modules.iter().enumerate() {
        let imgs: Vec<(usize, &crate::image::Image<'_>)> =
            by_module[m].iter().map(|&i| (i, &bin.images[i])).collect();
        if !md.kind.is_loaded() {
            relocatable.push(label(m));
            continue;
        }
        let cands: Vec<Candidate> = imgs
            .iter()
            .filter_map(|&(idx, i)| {
                let mut c = Candidate::new(idx, i.kind, i.arch?, i.ptx_isa);
                c.suffix_known = i.suffix_known;
                Some(c)
            })
            .collect();
        let mut verdict = decide(&cands, gpu, driver);
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
        if md.kind == ModuleKind::Embedded || variant(&cands, newest, gpu.base()) {
            chosen_total += 1;
            chosen_loading += usize::from(verdict.loads());
        } else {
            let names = imgs.iter().flat_map(|(_, i)| i.kernels.iter());
            if verdict.loads() {
                for k in names {
                    all_kernels.insert(k.name.as_str());
                    loadable.insert(k.name.as_str());
                }
            } else {
                all_kernels.extend(names.map(|k| k.name.as_str()));
            }
        }
        let mut kernels: Vec<String> = match &verdict.image {
            Some(c) => bin
                .images
                .get(c.index)
                .map(|i| i.kernels.iter().map(|k| k.name.clone()).collect())
                .unwrap_or_default(),
            None => imgs
                .iter()
                .flat_map(|(_, i)| i.kernels.iter().map(|k| k.name.clone()))
                .collect(),
        };
        kernels.sort();
        kernels.dedup();
        modules.push(ModulePrediction {
            module: label(m),
            kind: md.kind,
            section: md.section.clone(),
            images: cands,
            verdict,
            kernels,
        });
    }
    let mut p = prediction(setup, modules);
    let (blockers, notes) = blockers(bin, setup);
    p.blockers = blockers;
    p.notes = notes;
    p.relocatable = relocatable;
    let missing: Vec<String> = all_kernels
        .difference(&loadable)
        .map(|s| s.to_string())
        .collect();
    p.kernels = Some(KernelSummary {
        total: all_kernels.len(),
        loadable: all_kernels.len() - missing.len(),
        missing,
        chosen_total,
        chosen_loading,
    });
    p
}

/// An architecture variant not meant for `gpu`: images (SASS and PTX) only for newer GPUs,
/// or no PTX and SASS for one other SM only, or only below `newest` (the newest SASS of the
/// runtime-loaded modules).
fn variant(cands: &[Candidate], newest: Option<Capability>, gpu: Capability) -> bool {
    let sass: Vec<Capability> = cands
        .iter()
        .filter(|c| c.kind == ImageKind::Sass)
        .map(|c| c.arch.base())
        .collect();
    let (Some(first), Some(max)) = (sass.first(), sass.iter().max()) else {
        return false;
    };
    let one_other = sass.iter().all(|a| a == first) && *first != gpu;
    let all_newer = cands
        .iter()
        .filter(|c| matches!(c.kind, ImageKind::Sass | ImageKind::Ptx))
        .all(|c| c.arch.base() > gpu);
    all_newer
        || (!cands.iter().any(|c| c.kind == ImageKind::Ptx)
            && (one_other || newest.is_some_and(|n| *max < n)))
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
