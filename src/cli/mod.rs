//! Command-line interface: argument definitions and dispatch to one module per command.

/// `println!` that returns an error instead of panicking when stdout cannot be written (a
/// full disk, `/dev/full`); the enclosing function returns `anyhow::Result`.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
            .map_err(|e| anyhow::anyhow!("cannot write to standard output: {e}"))?
    }};
}

/// `print!` likewise.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
            .map_err(|e| anyhow::anyhow!("cannot write to standard output: {e}"))?
    }};
}

mod advise;
mod baseline;
mod build_info;
mod capabilities;
mod compare;
mod context;
mod flags;
mod fleet;
mod inspect;
mod kernels;
mod predict;
mod report;
mod run;
mod tables;
mod toolchain;
mod validate;

use std::process::ExitCode;

/// A kernel's name as human output shows it: demangled and folded to `width` characters,
/// or the symbol itself with `--mangled` (JSON always keeps the symbol).
pub(crate) fn kernel_name(symbol: &str, mangled: bool, width: usize) -> String {
    if mangled {
        symbol.to_string()
    } else {
        archbench_inspect::names::readable(symbol, width)
    }
}

use archbench::core::{CudaVersion, DriverVersion};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "archbench",
    version,
    about = "Which CUDA image runs on this GPU, is it right, and how fast: for Nixpkgs, PyTorch and CMake build variants"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check variant specs with Nixpkgs' rules (exit 0 valid, 1 invalid, 2 usage error).
    ///
    /// SPEC is a Nixpkgs attribute path (`pkgsForCudaArch.sm_89.opencv`,
    /// `pkgsForCudaArch.sm_100.cudaPackages_12_8.pkgs`, `pkgsCuda`), a Nix config attrset
    /// (`{ cudaSupport = true; cudaCapabilities = [ "8.9" ]; }`) or `.nix` file,
    /// `torch:<TORCH_CUDA_ARCH_LIST>`, `cmake:<CUDA_ARCHITECTURES>`, or a `.toml`/`.json`
    /// variant file.
    Validate {
        #[command(flatten)]
        cuda: CudaArg,
        #[command(flatten)]
        rules: RulesArg,
        /// The driver the build must load on: a Linux driver (`575.51.03`) or the CUDA
        /// version it supports (`12.9`).
        #[arg(long)]
        driver: Option<DriverVersion>,
        /// Print a JSON array instead of text.
        #[arg(long)]
        json: bool,
        #[arg(required = true, value_name = "SPEC")]
        specs: Vec<String>,
    },
    /// Print the compiler flags a variant means (whenever the chosen Nixpkgs rules accept
    /// it for `--system`; Nixpkgs' flags do not depend on the host).
    Flags {
        #[command(flatten)]
        cuda: CudaArg,
        #[command(flatten)]
        rules: RulesArg,
        #[arg(long, value_enum, default_value = "gencode")]
        format: flags::Format,
        #[arg(value_name = "SPEC")]
        spec: String,
    },
    /// The capability table for a CUDA version, under one Nixpkgs rule set.
    Capabilities {
        #[command(flatten)]
        cuda: CudaArg,
        #[command(flatten)]
        rules: RulesArg,
        #[arg(long)]
        json: bool,
    },
    /// Installed CUDA toolchains; install pinned ones from PyPI.
    Toolchain {
        #[command(subcommand)]
        action: toolchain::Action,
    },
    /// List the images in CUDA binaries (cubin, fatbin, PTX, shared libraries), or check them
    /// against a variant with `--expect`.
    Inspect(inspect::Args),
    /// Predict which image the driver loads on a GPU, for specs or binaries.
    Predict(predict::Args),
    /// The kernel suite: sizes, bytes, FLOPs, launches.
    Kernels {
        #[arg(long)]
        json: bool,
        /// Show the `--quick` sizes.
        #[arg(long)]
        quick: bool,
    },
    /// Which capabilities to build for a set of GPUs: the Pareto set over expected speed,
    /// JIT exposure, bytes and build time, each as a Nixpkgs config, TORCH_CUDA_ARCH_LIST
    /// and CMake CUDA_ARCHITECTURES (costs compiled; speed from results files).
    Advise(advise::Args),
    /// The embedded build manifest: variants × kernels, image sizes, registers, spills.
    BuildInfo {
        #[arg(long)]
        json: bool,
    },
    /// Run every embedded variant's kernels on the GPU: check, time, write results
    /// (exit 0: every case an answer; 1: a failed check, unforeseen error, hang, crash or
    /// contradicted prediction; 3: no GPU, after printing the plan).
    Run(run::Args),
    #[command(name = "__worker", hide = true)]
    Worker { task: String },
    /// Compare a results file with a baseline; exit 1 on a regression.
    Compare(compare::Args),
    /// Merge results from several runs/GPUs into markdown, HTML and charts.
    Report(report::Args),
    /// Save and list baselines under results/.
    Baseline(baseline::Args),
    /// Regenerate the GPU tables of markdown files from the results files they name
    /// (`--check`: exit 1 when one is stale).
    Tables(tables::Args),
    /// Run the matrix on many GPU machines through Slurm, Kubernetes or a CI matrix, and
    /// merge what they wrote (plan, slurm, k8s, ci, collect, compare, task).
    Fleet(fleet::Args),
}

/// `--cuda X.Y`, shared by the commands that interpret specs.
#[derive(clap::Args, Debug)]
pub struct CudaArg {
    /// CUDA version for specs that do not choose one (default: the installed toolchain's).
    #[arg(long, value_name = "X.Y")]
    pub cuda: Option<CudaVersion>,
}

/// `--nixpkgs`, `--system`, `--config`: which Nixpkgs rules, for which system, over which
/// user config. Shared by every command that takes a spec.
#[derive(clap::Args, Debug)]
pub struct RulesArg {
    /// Nixpkgs rule set: `master` (cudaConfig.nix, the default) or `nixos-26.05`
    /// (backendStdenv/default.nix, before NixOS/nixpkgs#528562).
    #[arg(long, value_name = "NAME", default_value = archbench::core::nixpkgs::DEFAULT, value_parser = context::parse_rule_set)]
    pub nixpkgs: &'static archbench::core::nixpkgs::RuleSet,
    /// The Nix system that builds: `x86_64-linux` or `aarch64-linux` (default: this machine).
    #[arg(long, value_name = "SYSTEM", value_parser = context::parse_system)]
    pub system: Option<String>,
    /// A Nixpkgs config the specs start from (`FILE.nix` or an attrset such as
    /// `{ cudaCapabilities = [ "8.6" ]; }`): `pkgsCuda`, `pkgsForCudaArch.sm_X` and
    /// `cudaPackages_X_Y.pkgs` apply on top of it as pkgs/top-level/variants.nix does.
    #[arg(long, value_name = "FILE.nix|ATTRSET")]
    pub config: Option<String>,
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate {
            cuda,
            rules,
            driver,
            json,
            specs,
        } => validate::run(cuda, rules, driver, json, &specs),
        Command::Flags {
            cuda,
            rules,
            format,
            spec,
        } => flags::run(cuda, rules, format, &spec),
        Command::Capabilities { cuda, rules, json } => capabilities::run(cuda, rules, json),
        Command::Toolchain { action } => toolchain::run(action),
        Command::Kernels { json, quick } => kernels::run(json, quick),
        Command::BuildInfo { json } => build_info::run(json),
        Command::Advise(a) => advise::run(a),
        Command::Run(a) => run::run(a),
        Command::Worker { task } => run::worker(&task),
        Command::Inspect(a) => inspect::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Report(a) => report::run(a),
        Command::Baseline(a) => baseline::run(a),
        Command::Tables(a) => tables::run(a),
        Command::Fleet(a) => fleet::run(a),
    }
}
