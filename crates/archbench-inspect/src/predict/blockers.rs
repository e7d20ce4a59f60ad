//! What stops a load. For one module: no image fits the GPU (`CUDA_ERROR_NO_BINARY_FOR_GPU`,
//! 209), or only PTX fits and it is newer than the driver can JIT
//! (`CUDA_ERROR_UNSUPPORTED_PTX_VERSION`, 222). For a whole file ([`Blocker`]): a driver that
//! predates the GPU (100), a CUDA runtime newer than the driver (35), an x86-64 library on a
//! Jetson.

use archbench_core::db;
use archbench_core::loading::LoadError;
use archbench_core::{Capability, CudaVersion, DriverVersion};

use super::rules::names;
use super::{Blocker, Candidate, Rule, Setup, Verdict};
use crate::image::{Binary, ImageKind};

/// The verdict when neither a cubin nor PTX fits `gpu` (209).
pub(super) fn no_binary_for_gpu(
    images: &[Candidate],
    gpu: Capability,
    notes: Vec<String>,
) -> Verdict {
    let sass_all: Vec<&Candidate> = images
        .iter()
        .filter(|c| c.kind == ImageKind::Sass)
        .collect();
    let ptx_all: Vec<&Candidate> = images.iter().filter(|c| c.kind == ImageKind::Ptx).collect();
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
    Verdict {
        image: None,
        error: Some(LoadError::NoBinaryForGpu.into()),
        rule: Rule::NoBinaryForGpu,
        reason,
        ambiguity: None,
        best_guess: false,
        notes,
    }
}

/// The verdict when only PTX fits `gpu` (`ptx`) and all of it is newer than the driver JITs
/// (PTX ISA ≤ `max_isa`) (222).
pub(super) fn ptx_too_new(
    ptx: &[&Candidate],
    gpu: Capability,
    driver: Option<DriverVersion>,
    max_isa: Option<(u8, u8)>,
    notes: Vec<String>,
) -> Verdict {
    let (a, b) = max_isa.unwrap_or((0, 0));
    let newest = ptx
        .iter()
        .filter_map(|c| c.ptx_isa.as_deref())
        .max()
        .unwrap_or("?");
    Verdict {
        image: None,
        error: Some(LoadError::UnsupportedPtxVersion.into()),
        rule: Rule::PtxTooNewForDriver,
        reason: format!(
            "no cubin fits {gpu}; the PTX ({}) has ISA up to {newest}, but driver {} JITs PTX ISA ≤ {a}.{b}: {}, or add SASS for {gpu}",
            names(ptx),
            driver.map(|d| d.to_string()).unwrap_or_default(),
            driver_update(ptx),
        ),
        ambiguity: None,
        best_guess: false,
        notes,
    }
}

/// `update the driver to ≥ 580.65.06 (CUDA 13.0)`: the first release whose driver JITs the
/// oldest PTX ISA among `ptx`.
fn driver_update(ptx: &[&Candidate]) -> String {
    ptx.iter()
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
        .unwrap_or_else(|| "update the driver".into())
}

/// A driver supports CUDA release `v` (its minimum Linux driver, or a CUDA-version driver
/// at least `v`); `None` when the release is not in the table.
pub(super) fn driver_supports(driver: DriverVersion, v: CudaVersion) -> Option<bool> {
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

/// Reasons the whole file cannot load on `setup`, and notes on the runtime it needs.
pub(super) fn blockers(bin: &Binary<'_>, setup: &Setup) -> (Vec<Blocker>, Vec<String>) {
    let gpu = setup.gpu.base();
    let mut out = Vec::new();
    let mut notes = Vec::new();
    out.extend(driver_predates_gpu(setup.driver, gpu));
    out.extend(wrong_machine(bin, gpu));
    if let Some((major, how)) = runtime_major(bin) {
        match runtime_needs(setup, major, &how) {
            Ok(Some(note)) => notes.push(note),
            Ok(None) => {}
            Err(b) => out.push(b),
        }
    }
    (out, notes)
}

/// `CUDA_ERROR_NO_DEVICE` (100) when `driver` predates the architecture of `gpu`.
fn driver_predates_gpu(driver: Option<DriverVersion>, gpu: Capability) -> Option<Blocker> {
    let (Some(driver), Some(info)) = (driver, db::capability(gpu)) else {
        return None;
    };
    let (Some(false), Some(rel)) = (
        driver_supports(driver, info.nvidia_min),
        db::release(info.nvidia_min),
    ) else {
        return None;
    };
    Some(Blocker {
        code: Some(100),
        name: "CUDA_ERROR_NO_DEVICE",
        reason: format!(
            "driver {driver} predates GPU {gpu} ({}): it needs a CUDA {} driver (≥ {}); the driver does not see the GPU",
            info.arch,
            rel.version,
            rel.min_driver_string()
        ),
    })
}

/// A library for another machine than aarch64 on a Jetson `gpu`.
fn wrong_machine(bin: &Binary<'_>, gpu: Capability) -> Option<Blocker> {
    let host = bin.host.as_ref()?;
    if !is_jetson(gpu) || host.machine == crate::elf::EM_AARCH64 {
        return None;
    }
    Some(Blocker {
        code: None,
        name: "wrong machine",
        reason: format!(
            "GPU {gpu} is a Jetson (aarch64), and this library is {}: the dynamic loader refuses it",
            host.machine_name
        ),
    })
}

/// What the CUDA `major` runtime a library needs (found `how`) means on `setup`: a note
/// (cuda-compat provides it, or the driver is unknown), nothing (the driver is recent
/// enough), or `cudaErrorInsufficientDriver` (35).
pub(super) fn runtime_needs(
    setup: &Setup,
    major: u16,
    how: &str,
) -> Result<Option<String>, Blocker> {
    let need = RUNTIME_MIN_DRIVER.iter().find(|(m, _)| *m == major);
    match (setup.compat, setup.driver, need) {
        (Some(c), _, _) if c.major >= major => Ok(Some(format!(
            "needs the CUDA {major} runtime ({how}); cuda-compat {c} provides it"
        ))),
        (_, Some(driver), Some(&(_, min))) => {
            let ok = match driver {
                DriverVersion::Linux(d) => d >= min,
                DriverVersion::Cuda(v) => v.major >= major,
            };
            if ok {
                return Ok(None);
            }
            Err(Blocker {
                code: Some(35),
                name: "cudaErrorInsufficientDriver",
                reason: format!(
                    "the library needs the CUDA {major} runtime ({how}), which needs driver ≥ {}; driver {driver} is older (install a newer driver, or the cuda-compat package for CUDA {major} and pass --compat)",
                    DriverVersion::Linux(min)
                ),
            })
        }
        _ => Ok(Some(format!("needs the CUDA {major} runtime ({how})"))),
    }
}
