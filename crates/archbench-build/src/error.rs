//! [`BuildError`]: everything a kernel build can fail with. Each message names the file (and
//! line, where there is one), the variants and the target, and [`BuildError::help`] says how
//! to fix it. `Debug` prints the message and the help, because that is what a build script's
//! `fn main() -> Result<(), BuildError>` shows when it returns the error.

use std::fmt;
use std::path::PathBuf;

use archbench_core::embed::EmbedError;
use archbench_core::manifest::AxisError;
use archbench_core::toolchain::ToolchainError;

/// How to build without kernels at all: printed with toolchain errors.
const SKIP_HINT: &str =
    "or build without kernels (an empty kernel table): ARCHBENCH_SKIP_KERNELS=1 cargo build";

/// One `file(line): error: message` nvcc (or ptxas, or the host compiler) printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompilerMessage {
    /// The file as the compiler named it (relative to the crate root for the crate's own
    /// files).
    pub file: String,
    /// 1-based line, where the compiler gave one.
    pub line: Option<u32>,
    /// The message after `error:`.
    pub message: String,
}

impl fmt::Display for CompilerMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: error: {}", self.file, self.message),
            None => write!(f, "{}: error: {}", self.file, self.message),
        }
    }
}

/// A unit (one source, axis values and `-gencode` target) that nvcc refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileFailure {
    /// The source, relative to the crate root when inside it.
    pub source_file: String,
    /// The image key (`tile.cu[TILE=32]`).
    pub key: String,
    /// nvcc's target: `sm_90a` or `compute_90`.
    pub target: String,
    /// Every variant whose build holds that target.
    pub variants: Vec<String>,
    /// The first errors the compiler printed, parsed (at most [`Self::SHOWN`]).
    pub errors: Vec<CompilerMessage>,
    /// How many error lines there were in all.
    pub error_count: usize,
    /// The compiler's output when no `error` line could be parsed (its last lines).
    pub output_tail: String,
    /// The command, runnable from the crate root.
    pub command: String,
}

impl CompileFailure {
    /// How many parsed errors a message shows.
    pub const SHOWN: usize = 5;

    /// The first error's file and line.
    pub fn first_location(&self) -> Option<(&str, Option<u32>)> {
        self.errors.first().map(|e| (e.file.as_str(), e.line))
    }
}

/// Why a kernel build failed.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The build script does not run under cargo (or cargo did not set a variable it always
    /// sets).
    #[error("archbench-build: environment variable {var} is not set; `Kernels::build` runs in a build script (build.rs) under cargo")]
    NotCargo { var: &'static str },

    /// No nvcc to compile with.
    #[error("archbench-build: no CUDA compiler for the kernels: {source}")]
    Toolchain {
        #[source]
        source: ToolchainError,
    },

    /// The toolchain found is ptxas only.
    #[error("archbench-build: `{}` is a ptxas-only toolchain; compiling kernels needs nvcc", bin.display())]
    PtxasOnly { bin: PathBuf },

    /// A variant spec that does not parse or validate.
    #[error("archbench-build: variant `{spec}` from {origin} is not valid:\n{diagnostics}")]
    InvalidVariant {
        /// Where it came from: an environment variable (`TORCH_CUDA_ARCH_LIST`), `build.rs
        /// (.variants())`, or the default matrix.
        origin: String,
        spec: String,
        /// archbench's validation diagnostics, one per line.
        diagnostics: String,
        /// Extra help (the list separator hint of `ARCHBENCH_VARIANTS`), if any.
        extra_help: Option<String>,
    },

    /// `native`: the GPUs of the build machine, which archbench never looks at.
    #[error("archbench-build: {origin} is `{value}`, which asks for `native` (the GPUs of the build machine), but archbench-build never probes a GPU: builds run on machines without one (CI, containers)")]
    Native { origin: String, value: String },

    /// The selection named no variant.
    #[error("archbench-build: {origin} names no variant")]
    NoVariants { origin: String },

    /// The same variant twice.
    #[error("archbench-build: variant `{name}` is listed twice (in {origin}): `{first}` and `{second}` both build it")]
    DuplicateVariant {
        name: String,
        origin: String,
        /// The two specs that name it.
        first: String,
        second: String,
    },

    /// No `.source()` and no `*.cu` in any `.sources_in()` directory.
    #[error("archbench-build: no kernel sources: {detail}")]
    NoSources { detail: String },

    /// A `.source()` that does not exist.
    #[error("archbench-build: kernel source `{}` does not exist (looked at `{}`)", path.display(), resolved.display())]
    MissingSource { path: PathBuf, resolved: PathBuf },

    /// A `.sources_in()` directory that cannot be read.
    #[error("archbench-build: cannot read the kernel directory `{}`: {source}", dir.display())]
    SourceDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Two sources that would get the same image key.
    #[error("archbench-build: sources `{first}` and `{second}` would both be embedded as `{key}`")]
    DuplicateKey {
        key: String,
        first: String,
        second: String,
    },

    /// An invalid compile axis, or a file name an image key cannot hold.
    #[error("archbench-build: {} (source `{source_file}`)", detail)]
    Axis {
        /// The source it applies to, or `every source` for `Kernels::axis`.
        source_file: String,
        detail: AxisError,
    },

    /// An invalid `.define()` name.
    #[error(
        "archbench-build: define name `{name}` is not a C identifier ([A-Za-z_][A-Za-z0-9_]*)"
    )]
    Define { name: String },

    /// nvcc refused a unit.
    #[error("{}", compile_message(.0))]
    Compile(Box<CompileFailure>),

    /// A unit without a single `__global__` kernel: its image would have an empty kernel
    /// table.
    #[error("archbench-build: `{source_file}` (image `{key}`) defines no `__global__` kernel for {target} (variant {}): its image would have an empty kernel table", variants.join(", "))]
    NoKernels {
        source_file: String,
        key: String,
        target: String,
        variants: Vec<String>,
    },

    /// `fatbinary` refused to assemble a variant's image.
    #[error(
        "archbench-build: assembling `{key}` for variant `{variant}` failed: {command}\n{stderr}"
    )]
    Fatbinary {
        key: String,
        variant: String,
        command: String,
        stderr: String,
    },

    /// A tool could not be started.
    #[error("archbench-build: cannot run `{}`: {source}", tool.display())]
    Spawn {
        tool: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file could not be read or written.
    #[error("archbench-build: I/O error at `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The container could not be written (a name it cannot store).
    #[error("archbench-build: {0}")]
    Embed(#[from] EmbedError),

    /// The container's assembly could not be built or linked.
    #[error("archbench-build: linking the kernel container into the crate failed ({}): {message}", path.display())]
    Link { path: PathBuf, message: String },

    /// A worker thread panicked (a bug in archbench-build).
    #[error("archbench-build: a compile worker panicked")]
    Worker,
}

fn compile_message(f: &CompileFailure) -> String {
    let mut s = format!(
        "archbench-build: kernel `{}` (image `{}`) does not compile for {} (variant {}):",
        f.source_file,
        f.key,
        f.target,
        f.variants.join(", ")
    );
    for e in &f.errors {
        s.push_str("\n  ");
        s.push_str(&e.to_string());
    }
    if f.error_count > f.errors.len() {
        s.push_str(&format!(
            "\n  … and {} more error line(s)",
            f.error_count - f.errors.len()
        ));
    }
    if f.errors.is_empty() && !f.output_tail.is_empty() {
        for l in f.output_tail.lines() {
            s.push_str("\n  ");
            s.push_str(l);
        }
    }
    s.push_str(&format!("\ncommand (from the crate root): {}", f.command));
    s
}

impl BuildError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        BuildError::Io {
            path: path.into(),
            source,
        }
    }

    /// How to fix it (one or more lines).
    pub fn help(&self) -> String {
        match self {
            BuildError::NotCargo { .. } => "call `Kernels::build` from a build script, or `Kernels::build_in` with an explicit `BuildEnv`".into(),
            BuildError::Toolchain { source } => format!("{}\n{SKIP_HINT}", source.help()),
            BuildError::PtxasOnly { .. } => format!("point NVCC (or CUDA_PATH/CUDA_HOME) at a full CUDA toolkit's nvcc, or unset them to let archbench install the pinned CUDA 13.0 from PyPI\n{SKIP_HINT}"),
            BuildError::InvalidVariant { origin, extra_help, .. } => {
                let mut h = String::new();
                if let Some(x) = extra_help {
                    h.push_str(x);
                    h.push('\n');
                }
                h.push_str(&format!("fix or remove the variant in {origin}; `archbench validate SPEC` shows every finding and the flags a valid spec means"));
                h
            }
            BuildError::Native { origin, .. } => format!("name the capabilities instead: e.g. CUDA_COMPUTE_CAP=90 (H100), CUDA_COMPUTE_CAP=80,86,90, TORCH_CUDA_ARCH_LIST=\"8.0;9.0+PTX\" or CMAKE_CUDA_ARCHITECTURES=\"80-real;90\" (in place of {origin}); `archbench predict` shows which image each GPU would load"),
            BuildError::NoVariants { origin } => format!("give {origin} at least one spec, or unset it to fall through to the next source of variants"),
            BuildError::DuplicateVariant { .. } => "list each variant once: two specs that build the same images are one variant".into(),
            BuildError::NoSources { .. } => "add `.source(\"kernels/my_kernel.cu\")`, or put `*.cu` files in the directory given to `.sources_in(…)`".into(),
            BuildError::MissingSource { .. } => "source paths are relative to the crate root (the directory of Cargo.toml); fix the path or create the file".into(),
            BuildError::SourceDir { .. } => "`.sources_in(DIR)` takes a directory relative to the crate root; fix the path or create it".into(),
            BuildError::DuplicateKey { .. } => "images are keyed by file name (plus axis values); rename one of the files".into(),
            BuildError::Axis { .. } => "axis names are C identifiers (they become -DNAME=VALUE); values are plain tokens such as `16`, `float`, `v2_fast`".into(),
            BuildError::Define { .. } => "`.define(NAME, VALUE)` passes -DNAME=VALUE to nvcc; NAME must be a C identifier".into(),
            BuildError::Compile(f) => {
                let at = match f.first_location() {
                    Some((file, Some(line))) => format!("fix the error at {file} line {line} first"),
                    Some((file, None)) => format!("fix the error in {file} first"),
                    None => "read nvcc's output above".into(),
                };
                format!("{at}; run the command above to see nvcc's full output. If the code is only meant for some architectures, guard it with `#if __CUDA_ARCH__ >= …` or drop {} from the variants", f.target)
            }
            BuildError::NoKernels { .. } => "add an `extern \"C\" __global__` function to the source, or remove the file from the sources (`.sources_in` takes every *.cu). When kernels sit inside `#if __CUDA_ARCH__` guards, keep the `__global__` declarations unconditional and guard their bodies".into(),
            BuildError::Fatbinary { .. } => "this is a toolchain problem, not a source problem: check that `fatbinary` next to nvcc runs, or clear the kernel cache (ARCHBENCH_KERNEL_CACHE, default <archbench home>/kernel-cache)".into(),
            BuildError::Spawn { .. } => format!("check that the CUDA toolchain is complete and executable (`archbench toolchain list`)\n{SKIP_HINT}"),
            BuildError::Io { .. } => "check the path's permissions and free space; the kernel cache can be moved with ARCHBENCH_KERNEL_CACHE".into(),
            BuildError::Embed(_) => "rename the variant or source so that it holds no quotes, backslashes or control characters".into(),
            BuildError::Link { .. } => "embedding needs a C compiler that assembles `.S` files (cc/gcc/clang) and an ELF or Mach-O target; set CC to one".into(),
            BuildError::Worker => "please report this as a bug in archbench-build, with the build output".into(),
        }
    }
}

impl fmt::Debug for BuildError {
    /// The message and its help: what `fn main() -> Result<(), BuildError>` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")?;
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            // Sources already shown in the message are not repeated.
            let text = s.to_string();
            if !self.to_string().contains(&text) {
                write!(f, "\ncaused by: {text}")?;
            }
            source = s.source();
        }
        for line in self.help().lines() {
            write!(f, "\nhelp: {line}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_message_plus_help() {
        let e = BuildError::NoSources {
            detail: "nothing given".into(),
        };
        let d = format!("{e:?}");
        assert!(
            d.starts_with("archbench-build: no kernel sources: nothing given\nhelp: add"),
            "{d}"
        );
        let e = BuildError::Compile(Box::new(CompileFailure {
            source_file: "kernels/bad.cu".into(),
            key: "bad.cu".into(),
            target: "sm_80".into(),
            variants: vec!["pkgsForCudaArch.sm_80".into()],
            errors: vec![CompilerMessage {
                file: "kernels/bad.cu".into(),
                line: Some(3),
                message: "identifier \"x\" is undefined".into(),
            }],
            error_count: 2,
            output_tail: String::new(),
            command: "nvcc …".into(),
        }));
        let d = format!("{e:?}");
        assert!(
            d.contains("kernels/bad.cu:3: error: identifier \"x\" is undefined"),
            "{d}"
        );
        assert!(d.contains("… and 1 more error line(s)"), "{d}");
        assert!(
            d.contains("help: fix the error at kernels/bad.cu line 3 first"),
            "{d}"
        );
    }
}
