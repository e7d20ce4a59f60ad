//! Finding an installed toolchain (`NVCC`, `CUDA_PATH`, `CUDA_HOME`, `PATH`, then the cache).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::pins::{PINNED_NVCC, PINS};
use super::provision::install;
use super::{Source, ToolKind, Toolchain, ToolchainError};
use crate::version::CudaVersion;

/// archbench's cache root: `$ARCHBENCH_HOME`, else `$XDG_CACHE_HOME/archbench`, else
/// `~/.cache/archbench`.
pub fn home() -> PathBuf {
    if let Some(h) = std::env::var_os("ARCHBENCH_HOME") {
        if !h.is_empty() {
            return PathBuf::from(h);
        }
        // An empty value would mean "the current directory": a surprise, not a choice.
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| {
            eprintln!("warning: ARCHBENCH_HOME is set but empty; using the default cache directory")
        });
    }
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(x).join("archbench");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join("archbench")
}

/// Where installed toolchains live.
pub fn toolchains_dir() -> PathBuf {
    home().join("toolchains")
}

/// Finds an nvcc without installing anything. `Ok(None)` when there is none.
pub fn discover() -> Result<Option<Toolchain>, ToolchainError> {
    // An empty variable is treated as unset (as shells and most tools do).
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(p) = var("NVCC") {
        let p = PathBuf::from(p);
        if !is_executable(&p) {
            return Err(ToolchainError::BadEnv {
                var: "NVCC",
                path: p,
            });
        }
        return probe_version(&p, ToolKind::Nvcc, Source::NvccEnv).map(Some);
    }
    for (var, source) in [
        ("CUDA_PATH", Source::CudaPath),
        ("CUDA_HOME", Source::CudaHome),
    ] {
        if let Some(root) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            let p = PathBuf::from(root).join("bin").join("nvcc");
            if !is_executable(&p) {
                return Err(ToolchainError::BadEnv {
                    var: if var == "CUDA_PATH" {
                        "CUDA_PATH"
                    } else {
                        "CUDA_HOME"
                    },
                    path: p,
                });
            }
            return probe_version(&p, ToolKind::Nvcc, source).map(Some);
        }
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let p = dir.join("nvcc");
            if is_executable(&p) {
                return probe_version(&p, ToolKind::Nvcc, Source::Path).map(Some);
            }
        }
    }
    Ok(installed().into_iter().find(|t| t.kind == ToolKind::Nvcc))
}

/// Finds an nvcc, installing the pinned CUDA 13.0 from PyPI when none is found (unless
/// `ARCHBENCH_NO_DOWNLOAD=1`).
pub fn find_or_install() -> Result<Toolchain, ToolchainError> {
    if let Some(t) = discover()? {
        return Ok(t);
    }
    if std::env::var("ARCHBENCH_NO_DOWNLOAD").is_ok_and(|v| v == "1") {
        return Err(ToolchainError::NotFoundNoDownload {
            tried: format!(
                "$NVCC, $CUDA_PATH, $CUDA_HOME, $PATH, {}",
                toolchains_dir().display()
            ),
        });
    }
    install(PINNED_NVCC)
}

/// Toolchains installed in archbench's cache, newest first.
pub fn installed() -> Vec<Toolchain> {
    let dir = toolchains_dir();
    PINS.iter()
        .filter_map(|p| {
            let bin = dir.join(p.dir).join(p.bin);
            is_executable(&bin)
                .then(|| probe_version(&bin, p.kind, Source::Cache).ok())
                .flatten()
        })
        .collect()
}

/// Runs `TOOL --version` and reads `release X.Y, VX.Y.Z`.
pub(crate) fn probe_version(
    bin: &Path,
    kind: ToolKind,
    source: Source,
) -> Result<Toolchain, ToolchainError> {
    let out = Command::new(bin)
        .arg("--version")
        .output()
        .map_err(|e| ToolchainError::Run {
            path: bin.to_path_buf(),
            source: e,
        })?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (version, release) =
        parse_version_output(&text).ok_or_else(|| ToolchainError::VersionOutput {
            path: bin.to_path_buf(),
            output: text.trim().to_string(),
        })?;
    Ok(Toolchain {
        kind,
        bin: bin.to_path_buf(),
        version,
        release,
        source,
    })
}

/// `Cuda compilation tools, release 13.0, V13.0.88` → (13.0, "13.0.88").
pub fn parse_version_output(text: &str) -> Option<(CudaVersion, String)> {
    let line = text.lines().find(|l| l.contains("release "))?;
    let after = &line[line.find("release ")? + "release ".len()..];
    let (ver, rest) = after.split_once(',')?;
    let version: CudaVersion = ver.trim().parse().ok()?;
    let release = rest
        .trim()
        .trim_start_matches('V')
        .split_whitespace()
        .next()?
        .to_string();
    Some((version, release))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_version_lines() {
        let t = "nvcc: NVIDIA (R) Cuda compiler driver\nCuda compilation tools, release 13.0, V13.0.88\nBuild cuda_13.0";
        assert_eq!(
            parse_version_output(t),
            Some((CudaVersion::new(13, 0), "13.0.88".to_string()))
        );
        assert_eq!(parse_version_output("garbage"), None);
        assert_eq!(parse_version_output("release x, V1"), None);
    }
}
