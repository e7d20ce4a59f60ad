//! [`BuildEnv`]: everything a build reads from its environment, captured once: cargo's
//! variables (`OUT_DIR`, `CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, `NUM_JOBS`, the target) and
//! archbench's own ([`ENV_VARS`]). [`Kernels::build`](crate::Kernels::build) takes it from
//! the process; tests and tools build one explicitly for
//! [`Kernels::build_in`](crate::Kernels::build_in).
//!
//! The toolchain search (`NVCC`, `CUDA_PATH`, `CUDA_HOME`, `PATH`, `ARCHBENCH_HOME`,
//! `ARCHBENCH_NO_DOWNLOAD`) is archbench-core's and always reads the process environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::BuildError;

/// Every environment variable a kernel build depends on: the build script reruns when one
/// changes (`cargo:rerun-if-env-changed`).
pub const ENV_VARS: &[&str] = &[
    "ARCHBENCH_VARIANTS",
    "TORCH_CUDA_ARCH_LIST",
    "CMAKE_CUDA_ARCHITECTURES",
    "CUDA_COMPUTE_CAP",
    "ARCHBENCH_SKIP_KERNELS",
    "ARCHBENCH_KERNEL_CACHE",
    "ARCHBENCH_HOME",
    "ARCHBENCH_NO_DOWNLOAD",
    "NVCC",
    "CUDA_PATH",
    "CUDA_HOME",
    "XDG_CACHE_HOME",
];

/// The environment of one kernel build.
#[derive(Debug, Clone)]
pub struct BuildEnv {
    pub(crate) manifest_dir: PathBuf,
    pub(crate) out_dir: PathBuf,
    pub(crate) package: String,
    pub(crate) package_version: String,
    pub(crate) jobs: usize,
    pub(crate) target_os: String,
    pub(crate) pointer_width: String,
    /// Target, host and opt level for `cc` outside cargo (`None`: cc reads cargo's).
    pub(crate) cc_target: Option<String>,
    pub(crate) vars: BTreeMap<String, String>,
    /// Print `cargo:` directives (off for in-process tests that want quiet output).
    pub(crate) cargo_directives: bool,
    pub(crate) quiet: bool,
}

impl BuildEnv {
    /// Reads cargo's and archbench's variables from the process environment (what a build
    /// script sees).
    pub fn from_cargo() -> Result<Self, BuildError> {
        let need = |var: &'static str| {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .ok_or(BuildError::NotCargo { var })
        };
        let text = |var: &str| std::env::var(var).unwrap_or_default();
        let vars = ENV_VARS
            .iter()
            .filter_map(|v| std::env::var(v).ok().map(|x| (v.to_string(), x)))
            .collect();
        Ok(Self {
            manifest_dir: PathBuf::from(need("CARGO_MANIFEST_DIR")?),
            out_dir: PathBuf::from(need("OUT_DIR")?),
            package: need("CARGO_PKG_NAME")?.to_string_lossy().into_owned(),
            package_version: text("CARGO_PKG_VERSION"),
            jobs: text("NUM_JOBS").parse().unwrap_or(1),
            target_os: text("CARGO_CFG_TARGET_OS"),
            pointer_width: text("CARGO_CFG_TARGET_POINTER_WIDTH"),
            cc_target: None,
            vars,
            cargo_directives: true,
            quiet: false,
        })
    }

    /// An environment for building outside cargo: the crate at `manifest_dir` (sources are
    /// relative to it), outputs in `out_dir`, package `package`; the host as target, one job,
    /// and none of [`ENV_VARS`] set (set them with [`BuildEnv::var`]).
    pub fn new(
        manifest_dir: impl Into<PathBuf>,
        out_dir: impl Into<PathBuf>,
        package: impl Into<String>,
    ) -> Self {
        let host = host_triple();
        Self {
            manifest_dir: manifest_dir.into(),
            out_dir: out_dir.into(),
            package: package.into(),
            package_version: "0.0.0".into(),
            jobs: 1,
            target_os: std::env::consts::OS.into(),
            pointer_width: usize::BITS.to_string(),
            cc_target: Some(host),
            vars: BTreeMap::new(),
            cargo_directives: true,
            quiet: false,
        }
    }

    /// Sets (or, with an empty value, clears) one of [`ENV_VARS`] for this build.
    pub fn var(mut self, name: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        if value.is_empty() {
            self.vars.remove(name);
        } else {
            self.vars.insert(name.to_string(), value);
        }
        self
    }

    /// Parallel nvcc jobs (cargo's `NUM_JOBS` under cargo).
    pub fn jobs(mut self, n: usize) -> Self {
        self.jobs = n.max(1);
        self
    }

    /// Whether to print `cargo:` directives (on by default).
    pub fn cargo_directives(mut self, on: bool) -> Self {
        self.cargo_directives = on;
        self
    }

    /// Whether to keep quiet on stderr: no line per compiled unit, no summary (off by
    /// default; a caller with its own progress display turns it on).
    pub fn quiet(mut self, on: bool) -> Self {
        self.quiet = on;
        self
    }

    /// The crate root: sources, include directories and variant files are relative to it.
    pub fn manifest_dir(&self) -> &Path {
        &self.manifest_dir
    }

    /// Where the container and the generated files go.
    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    /// One of [`ENV_VARS`], `None` when unset or blank.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// Prints a `cargo:` directive (when on).
    pub(crate) fn directive(&self, text: &str) {
        if self.cargo_directives {
            println!("cargo:{text}");
        }
    }

    /// `cargo:warning=…`, one per line (cargo shows one line per directive).
    pub(crate) fn warning(&self, text: &str) {
        for line in text.lines() {
            self.directive(&format!("warning={line}"));
        }
    }

    /// The kernel cache: `ARCHBENCH_KERNEL_CACHE`, else `<archbench home>/kernel-cache`.
    pub(crate) fn cache_dir(&self) -> PathBuf {
        match self.get("ARCHBENCH_KERNEL_CACHE") {
            Some(c) => self.manifest_dir.join(c),
            None => archbench_core::toolchain::home().join("kernel-cache"),
        }
    }

    /// `path` relative to the crate root when it lies inside it, else unchanged.
    pub(crate) fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.manifest_dir)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// The host's target triple, for `cc` outside cargo (Linux and macOS, where CUDA builds run).
fn host_triple() -> String {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "macos" => format!("{arch}-apple-darwin"),
        os => format!("{arch}-unknown-{os}-gnu"),
    }
}
