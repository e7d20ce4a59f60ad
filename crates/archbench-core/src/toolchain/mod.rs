//! CUDA toolchains: finding nvcc the way users expect (`NVCC`, `CUDA_PATH`, `CUDA_HOME`,
//! `PATH`), installing pinned toolchains from PyPI wheels into a cache when none is found, and
//! asking a toolchain which targets it really accepts (the oracle the capability table is
//! tested against).

mod discover;
mod pins;
mod probe;
mod provision;
pub mod tools;

use std::path::PathBuf;

use serde::Serialize;

use crate::version::CudaVersion;

pub use discover::{discover, find_or_install, home, installed, toolchains_dir};
pub use pins::{pin, Pin, PINNED_NVCC, PINS};
pub use provision::install;
pub use tools::{cuobjdump, install_named, install_wheels, libclang, nvdisasm};

/// What a toolchain can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolKind {
    /// A full compiler driver: compiles `.cu` files.
    Nvcc,
    /// Only the PTX assembler (CUDA 11.8 and 12.x wheels): checks targets, assembles PTX.
    Ptxas,
}

/// Where a toolchain was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    NvccEnv,
    CudaPath,
    CudaHome,
    Path,
    Cache,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::NvccEnv => "$NVCC",
            Source::CudaPath => "$CUDA_PATH",
            Source::CudaHome => "$CUDA_HOME",
            Source::Path => "$PATH",
            Source::Cache => "archbench cache",
        }
    }
}

/// A CUDA toolchain on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Toolchain {
    pub kind: ToolKind,
    /// The `nvcc` or `ptxas` executable.
    pub bin: PathBuf,
    /// `13.0`.
    pub version: CudaVersion,
    /// `13.0.88`, as the tool prints it.
    pub release: String,
    pub source: Source,
}

impl Toolchain {
    /// The ptxas that goes with this toolchain.
    pub fn ptxas(&self) -> PathBuf {
        match self.kind {
            ToolKind::Ptxas => self.bin.clone(),
            ToolKind::Nvcc => self.bin.with_file_name("ptxas"),
        }
    }
}

/// Errors of the toolchain layer.
#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
    #[error("no CUDA toolchain found (looked at {tried}), and downloads are off (ARCHBENCH_NO_DOWNLOAD=1)")]
    NotFoundNoDownload { tried: String },
    #[error("`{path}` named by {var} does not exist or is not executable")]
    BadEnv { var: &'static str, path: PathBuf },
    #[error("archbench has no pinned toolchain for CUDA {version}; pinned: {known}")]
    NoPin { version: CudaVersion, known: String },
    #[error(
        "{what} is not installed at `{path}`, and downloads are off (ARCHBENCH_NO_DOWNLOAD=1)"
    )]
    NoDownload { what: String, path: PathBuf },
    #[error("`{path}` is not writable ({source}): archbench installs toolchains under $ARCHBENCH_HOME/toolchains")]
    NotWritable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("installing {what} from PyPI failed ({cmd}): {stderr}")]
    Install {
        what: String,
        cmd: String,
        stderr: String,
    },
    #[error("cannot run `{path}`: {source}")]
    Run {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{path} --version` printed no `release X.Y, VX.Y.Z` line: {output}")]
    VersionOutput { path: PathBuf, output: String },
    #[error("CUDA {0} is not in archbench's release table, so its PTX ISA version is unknown")]
    UnknownRelease(CudaVersion),
    #[error("I/O error at `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ToolchainError {
    /// How to fix it, for the CLI and build.rs.
    pub fn help(&self) -> &'static str {
        match self {
            ToolchainError::NotFoundNoDownload { .. } => "install CUDA and set CUDA_PATH (or NVCC=/path/to/nvcc), or unset ARCHBENCH_NO_DOWNLOAD to let archbench install the pinned CUDA 13.0 from PyPI",
            ToolchainError::BadEnv { .. } => "point the variable at an existing nvcc (NVCC) or CUDA install root (CUDA_PATH, CUDA_HOME), or unset it",
            ToolchainError::NoDownload { .. } => "unset ARCHBENCH_NO_DOWNLOAD to let archbench install it from PyPI, or install it yourself and point archbench at it",
            ToolchainError::NotWritable { .. } => "set ARCHBENCH_HOME to a writable directory (toolchains go to $ARCHBENCH_HOME/toolchains), or fix the permissions",
            ToolchainError::Install { .. } => "check that `python3 -m pip` works and PyPI is reachable (or set ARCHBENCH_PYTHON), then retry `archbench toolchain install`",
            _ => "see `archbench toolchain list`",
        }
    }
}
