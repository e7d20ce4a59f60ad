//! Installing a pinned toolchain from PyPI wheels with `python3 -m pip install --target`,
//! atomically (into a temporary directory renamed into place), reused afterwards.

use std::process::Command;

use super::discover::{probe_version, toolchains_dir};
use super::pins::{pin, PINS};
use super::{Source, Toolchain, ToolchainError};
use crate::version::CudaVersion;

/// Installs (or finds already installed) the pinned toolchain for `version`.
pub fn install(version: CudaVersion) -> Result<Toolchain, ToolchainError> {
    let p = pin(version).ok_or_else(|| ToolchainError::NoPin {
        version,
        known: PINS
            .iter()
            .map(|p| p.version.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    let dir = toolchains_dir();
    let final_dir = dir.join(p.dir);
    let bin = final_dir.join(p.bin);
    if bin.exists() {
        return probe_version(&bin, p.kind, Source::Cache);
    }
    std::fs::create_dir_all(&dir).map_err(|e| ToolchainError::Io {
        path: dir.clone(),
        source: e,
    })?;
    let tmp = dir.join(format!(".{}.tmp-{}", p.dir, std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let python = std::env::var("ARCHBENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut cmd = Command::new(&python);
    cmd.args([
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--disable-pip-version-check",
        "--quiet",
        "--target",
    ])
    .arg(&tmp)
    .args(p.wheels);
    let shown = format!(
        "{python} -m pip install --target {} {}",
        tmp.display(),
        p.wheels.join(" ")
    );
    let out = cmd.output().map_err(|e| ToolchainError::Install {
        version,
        cmd: shown.clone(),
        stderr: e.to_string(),
    })?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(ToolchainError::Install {
            version,
            cmd: shown,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    match std::fs::rename(&tmp, &final_dir) {
        Ok(()) => {}
        // Another process installed it meanwhile: keep theirs.
        Err(_) if final_dir.join(p.bin).exists() => {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        Err(e) => {
            return Err(ToolchainError::Io {
                path: final_dir,
                source: e,
            })
        }
    }
    probe_version(&bin, p.kind, Source::Cache)
}
