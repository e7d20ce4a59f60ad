//! # archbench-build
//!
//! A build-dependency that compiles a crate's CUDA kernels once per *build variant* (Nixpkgs
//! `pkgsForCudaArch.sm_XX` / `pkgsCuda`, PyTorch `TORCH_CUDA_ARCH_LIST`, CMake
//! `CUDA_ARCHITECTURES`) with real nvcc, without a GPU, and links every image into the crate
//! together with a manifest of what was built. archbench's benchmark API reads them back
//! (`archbench::images!()`), so each variant's kernels can be checked and timed on a GPU.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), archbench_build::BuildError> {
//!     archbench_build::Kernels::new()
//!         .source("kernels/saxpy.cu")
//!         // One image per value: compiled with -DTILE=16 and with -DTILE=32.
//!         .source(archbench_build::Source::new("kernels/tile.cu").axis("TILE", ["16", "32"]))
//!         .include("kernels/include")
//!         .define("USE_FAST", "1")
//!         .nvcc_arg("--use_fast_math")
//!         // What to build unless the environment says otherwise (see below).
//!         .variants(["pkgsForCudaArch.sm_80", "pkgsForCudaArch.sm_90a", "torch:8.0;9.0+PTX"])
//!         .build()?;
//!     Ok(())
//! }
//! ```
//!
//! The crate then holds the container as a `&'static [u8]`:
//!
//! ```ignore
//! let container: &'static [u8] = include!(concat!(env!("OUT_DIR"), "/archbench_images.rs"));
//! let c = archbench_core::embed::parse(container)?; // manifest + (variant, image key, fatbin)
//! ```
//!
//! ## What a build does
//!
//! 1. **Sources.** Every `.source(…)` and every `*.cu` in a `.sources_in(…)` directory
//!    (sorted), relative to the crate root. Each source is compiled once per combination of
//!    its compile axes (`.axis(…)` on [`Kernels`] applies to every source, on [`Source`] to
//!    one; several axes give the cartesian product), each value passed as `-DNAME=VALUE`.
//! 2. **Variants**, from the first of these that is set ([`VariantOrigin`]):
//!
//!    | source | meaning |
//!    |---|---|
//!    | `ARCHBENCH_VARIANTS` | one spec per line (`pkgsCuda`, `torch:8.0;9.0+PTX`, `cmake:89-real;90a`, a Nix attrset), or a variant file (`variants.toml`, relative to the crate root) |
//!    | `TORCH_CUDA_ARCH_LIST` | one variant, the spec `torch:<value>` |
//!    | `CMAKE_CUDA_ARCHITECTURES` | one variant, the spec `cmake:<value>` |
//!    | `CUDA_COMPUTE_CAP` | `90`, `9.0`, `sm_90a`, a list `80,86,90`, or `all`: one variant `pkgsForCudaArch.sm_XX` per capability (SASS for exactly that capability: Nixpkgs' `pkgsForCudaArch` has no PTX), so each GPU's own build is compared with the others (for PTX too, use `TORCH_CUDA_ARCH_LIST="9.0+PTX"` or `CMAKE_CUDA_ARCHITECTURES=90`); `all` = every plain capability Nixpkgs and the toolchain's CUDA both support ([`all_capabilities`]) |
//!    | `.variants([…])` in build.rs | the specs given |
//!    | none | the default matrix ([`default_specs`]): Nixpkgs' default capabilities as `pkgsForCudaArch.sm_XX`, `pkgsForCudaArch.sm_90a`, `pkgsCuda`, `cmake:<oldest>-virtual` |
//!
//!    The build prints `cargo:warning=archbench-build: variants from <source>: <list>`.
//!    Every spec is parsed and validated with archbench's Nixpkgs rules; an invalid one is an
//!    error naming the variable. It never probes a GPU: `native` anywhere is an error that
//!    says to name the capabilities (`CUDA_COMPUTE_CAP=90`); `all-major` is fine.
//! 3. **Compile.** Every (source, axis values, `-gencode` target) *unit* is compiled once,
//!    whatever number of variants hold it, on `NUM_JOBS` threads: `nvcc -cubin -Xptxas -v`
//!    for SASS, `nvcc -ptx` for PTX, with `-O3 -std=c++17`, the `-I`/`-D`/extra arguments,
//!    from the crate root. A SASS target whose PTX is also built is assembled from that PTX
//!    by ptxas alone (same bytes, one front-end run).
//! 4. **Assemble.** Each variant's fatbin per image, with `fatbinary` and the arguments and
//!    image order `nvcc -fatbin` uses: byte-identical to what nvcc builds from the variant's
//!    flags.
//! 5. **Embed.** One container ([`archbench_core::embed`]) with the manifest
//!    ([`archbench_core::manifest::CrateManifest`], version 2) and one fatbin per (variant,
//!    image key), linked into the crate (see *Generated files*).
//!
//! A source that defines no `__global__` kernel for some target is an error, never a silently
//! empty kernel table.
//!
//! ## Image keys
//!
//! An image is named by its source's file name plus its axis values:
//! `saxpy.cu`, `tile.cu[TILE=32]`, `tile.cu[TILE=32,VEC=4]` (axes in declaration order, the
//! build's before the source's). [`archbench_core::manifest::image_key`] writes them and
//! [`parse_image_key`](archbench_core::manifest::parse_image_key) reads them back. Axis
//! names are C identifiers; values may not contain `]`, `[`, `,`, `=`, quotes, backslashes,
//! whitespace or control characters.
//!
//! ## The cache
//!
//! Units go through a content-addressed cache shared by every crate and build on the machine:
//! `<archbench home>/kernel-cache` (`$ARCHBENCH_HOME`, else `$XDG_CACHE_HOME/archbench`, else
//! `~/.cache/archbench`), or `ARCHBENCH_KERNEL_CACHE`. A unit's key covers nvcc's path and
//! release, every flag and the source's path (relative to its crate) and bytes; each key
//! records the files nvcc reported reading (`-MD`) with their content hashes, and a lookup
//! hits only while all of them are unchanged (ccache's direct mode). A header edit therefore
//! recompiles exactly the units that include it, and a second crate with the same sources and
//! headers gets hits. Writes are atomic (temporary file + rename), so concurrent builds are
//! safe. Like ccache, a new header that shadows an included one earlier in the include path
//! is not noticed. Nothing is evicted: delete the directory to reclaim space.
//!
//! ## Rebuilds
//!
//! The build script reruns (`cargo:rerun-if-changed`) when a source, a header nvcc reported
//! (not the toolchain's or `/usr`'s), a `.sources_in` directory, a variant file or the nvcc
//! binary changes, and (`cargo:rerun-if-env-changed`) when one of [`ENV_VARS`] does.
//!
//! ## Environment variables
//!
//! | variable | effect |
//! |---|---|
//! | `ARCHBENCH_VARIANTS`, `TORCH_CUDA_ARCH_LIST`, `CMAKE_CUDA_ARCHITECTURES`, `CUDA_COMPUTE_CAP` | the variants (table above) |
//! | `ARCHBENCH_SKIP_KERNELS=1` | build no kernels: the container holds a manifest with `skipped` set and no images |
//! | `ARCHBENCH_KERNEL_CACHE` | the cache directory (a relative path is relative to the crate root, where cargo runs build scripts) |
//! | `NVCC`, `CUDA_PATH`, `CUDA_HOME`, `PATH` | where nvcc is found; without one archbench installs its pinned CUDA 13.0 from PyPI into `<archbench home>/toolchains` |
//! | `ARCHBENCH_NO_DOWNLOAD=1` | never install a toolchain: an error instead |
//! | `ARCHBENCH_HOME`, `XDG_CACHE_HOME` | archbench's home (toolchains, cache) |
//!
//! ## Generated files
//!
//! In `OUT_DIR`:
//! - `archbench_images.bin`: the container;
//! - `archbench_images.S`: pulls it in with `.incbin` under the hidden symbol
//!   [`symbol_name`]`(package, version)` (`archbench_images_v1_<package>_<version>`, reduced to
//!   `[A-Za-z0-9_]`), assembled into the static library [`library_name`]`(package, version)`;
//!   the build prints `cargo:rustc-link-search` for it;
//! - [`GENERATED_FILE`] (`archbench_images.rs`): a single Rust *expression* of type
//!   `&'static [u8]`, the container. Its extern block carries `#[link(name = …, kind =
//!   "static")]`, so it can be `include!`d in any target of the package (its lib, bins,
//!   tests, benches; several at once resolve to the same bytes) and links the library there.
//!
//! Neither text changes when a kernel does (only the package name and version and `OUT_DIR`
//! appear in them; each is rewritten only when its text changes), so a kernel edit costs a
//! build-script run and a relink, while rustc's incremental cache is reused.
//!
//! ## Errors
//!
//! [`BuildError`] names the file (and line), the variants and the target, and its `Debug`
//! output (what `fn main() -> Result<(), BuildError>` prints) adds how to fix it:
//! a missing source, no sources, an nvcc error (parsed `file:line: error: …`, the first few
//! shown, with the command to rerun it), an invalid variant spec (archbench's diagnostic and
//! the variable it came from), `native`, a source without kernels, an invalid axis, no nvcc
//! (the toolchain's error and help, and `ARCHBENCH_SKIP_KERNELS=1`).

mod cache;
mod compile;
mod deps;
mod env;
mod error;
mod fatbin;
mod hash;
mod link;
mod nvcc_output;
mod pipeline;
mod plan;
mod variants;

use std::path::{Path, PathBuf};

use archbench_core::manifest::CrateManifest;

pub use env::{BuildEnv, ENV_VARS};
pub use error::{BuildError, CompileFailure, CompilerMessage};
pub use link::{generated_rust, library_name, symbol_name, CONTAINER_FILE, GENERATED_FILE};
pub use variants::{all_capabilities, default_specs, VariantOrigin};

/// Compile axes: `(name, values)` in declaration order.
pub(crate) type Axes = Vec<(String, Vec<String>)>;

/// One kernel source, with compile axes of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    path: PathBuf,
    axes: Axes,
}

impl Source {
    /// A source file, relative to the crate root (or absolute).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            axes: Vec::new(),
        }
    }

    /// A compile-time axis of this source: one image per value, compiled with
    /// `-DNAME=VALUE` and keyed `file.cu[NAME=VALUE]`.
    pub fn axis<I, V>(mut self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        self.axes
            .push((name.into(), values.into_iter().map(Into::into).collect()));
        self
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl From<&str> for Source {
    fn from(p: &str) -> Self {
        Source::new(p)
    }
}

impl From<String> for Source {
    fn from(p: String) -> Self {
        Source::new(p)
    }
}

impl From<&Path> for Source {
    fn from(p: &Path) -> Self {
        Source::new(p)
    }
}

impl From<PathBuf> for Source {
    fn from(p: PathBuf) -> Self {
        Source::new(p)
    }
}

/// The kernels of a crate and how to build them. See the [crate docs](crate).
#[derive(Debug, Clone, Default)]
#[must_use = "nothing is built until `.build()`"]
pub struct Kernels {
    sources: Vec<Source>,
    source_dirs: Vec<PathBuf>,
    includes: Vec<PathBuf>,
    defines: Vec<(String, String)>,
    nvcc_args: Vec<String>,
    axes: Axes,
    variants: Vec<String>,
}

impl Kernels {
    /// No sources yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a source (a path relative to the crate root, or a [`Source`] with axes).
    pub fn source(mut self, source: impl Into<Source>) -> Self {
        self.sources.push(source.into());
        self
    }

    /// Adds every `*.cu` file in `dir` (relative to the crate root), sorted by name, after
    /// the `.source(…)`s; a file already given with `.source(…)` (say, with axes of its own)
    /// is not added again. Files added or removed there rebuild.
    pub fn sources_in(mut self, dir: impl Into<PathBuf>) -> Self {
        self.source_dirs.push(dir.into());
        self
    }

    /// An include directory (`-I`), relative to the crate root or absolute.
    pub fn include(mut self, dir: impl Into<PathBuf>) -> Self {
        self.includes.push(dir.into());
        self
    }

    /// `-DNAME=VALUE` for every unit.
    pub fn define(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.defines.push((name.into(), value.into()));
        self
    }

    /// A further nvcc argument for every unit (`--use_fast_math`, `-Xptxas`, `-O2`, …).
    pub fn nvcc_arg(mut self, arg: impl Into<String>) -> Self {
        self.nvcc_args.push(arg.into());
        self
    }

    /// A compile-time axis of every source: one image per value (`-DNAME=VALUE`). Several
    /// axes give the cartesian product.
    pub fn axis<I, V>(mut self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        self.axes
            .push((name.into(), values.into_iter().map(Into::into).collect()));
        self
    }

    /// The variants to build when no environment variable names them (see the crate docs'
    /// precedence table): specs as `archbench validate` takes them.
    pub fn variants<I, S>(mut self, specs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.variants.extend(specs.into_iter().map(Into::into));
        self
    }

    /// Builds in a build script: reads cargo's environment, compiles, embeds, and prints the
    /// `cargo:` directives.
    pub fn build(self) -> Result<Built, BuildError> {
        let env = BuildEnv::from_cargo()?;
        self.build_in(&env)
    }

    /// Builds with an explicit environment (tests, tools). The toolchain search still reads
    /// the process environment (`NVCC`, `CUDA_PATH`, …).
    pub fn build_in(self, env: &BuildEnv) -> Result<Built, BuildError> {
        pipeline::run(&self, env)
    }
}

/// What a build produced.
#[derive(Debug, Clone)]
pub struct Built {
    /// The manifest embedded in the container.
    pub manifest: CrateManifest,
    /// Where the variants came from (`None` with `ARCHBENCH_SKIP_KERNELS=1`).
    pub variants_from: Option<VariantOrigin>,
    /// `$OUT_DIR/archbench_images.bin`.
    pub container: PathBuf,
    /// `$OUT_DIR/archbench_images.rs`, the expression to `include!`.
    pub generated: PathBuf,
    /// Units nvcc compiled in this build.
    pub units_compiled: usize,
    /// Units taken from the cache.
    pub units_cached: usize,
}
