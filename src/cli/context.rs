//! What interpreting a spec needs from the command line: the default CUDA version (`--cuda`,
//! else the installed toolchain's, else the pinned one), the Nixpkgs rule set and system
//! (`--nixpkgs`, `--system`) and the user's config (`--config`).

use anyhow::anyhow;
use archbench::core::nixpkgs::{self, RuleSet};
use archbench::core::spec::{self, Config, SpecContext};
use archbench::core::toolchain::{self, PINNED_NVCC};
use archbench::core::validate::{host_system, ValidateOptions};
use archbench::core::{CudaVersion, DriverVersion};

use super::{CudaArg, RulesArg};

/// clap parser for `--nixpkgs`.
pub fn parse_rule_set(s: &str) -> Result<&'static RuleSet, String> {
    nixpkgs::rule_set(s).map_err(|e| e.to_string())
}

/// clap parser for `--system`.
pub fn parse_system(s: &str) -> Result<String, String> {
    nixpkgs::parse_system(s).map_err(|e| e.to_string())
}

/// The resolved `--nixpkgs`/`--system`/`--config`.
pub struct Rules {
    pub nixpkgs: &'static RuleSet,
    pub system: String,
    pub config: Config,
}

impl Rules {
    /// Reads `--config` (its warnings go to stderr; a bad config is an error saying how to
    /// fix it).
    pub fn new(arg: &RulesArg) -> anyhow::Result<Self> {
        let config = match &arg.config {
            None => Config::default(),
            Some(c) => {
                let (config, warnings) = spec::read_config(c).map_err(|d| anyhow!("{d}"))?;
                for w in warnings {
                    eprintln!("--config: {w}");
                }
                config
            }
        };
        Ok(Self {
            nixpkgs: arg.nixpkgs,
            system: arg.system.clone().unwrap_or_else(host_system),
            config,
        })
    }

    pub fn validate_options(&self, driver: Option<DriverVersion>) -> ValidateOptions {
        ValidateOptions {
            driver,
            system: self.system.clone(),
            nixpkgs: self.nixpkgs,
        }
    }

    /// "Nixpkgs master (cudaConfig.nix @ 1ac181a172c7), system x86_64-linux".
    pub fn describe(&self) -> String {
        format!("{}, system {}", self.nixpkgs, self.system)
    }
}

pub fn default_cuda(arg: &CudaArg) -> CudaVersion {
    if let Some(v) = arg.cuda {
        return v;
    }
    match toolchain::discover() {
        Ok(Some(t)) => t.version,
        Ok(None) => {
            eprintln!("note: no CUDA toolchain found; assuming CUDA {PINNED_NVCC} (the pinned toolchain). Pass --cuda X.Y to choose.");
            PINNED_NVCC
        }
        Err(e) => {
            eprintln!("note: {e}; assuming CUDA {PINNED_NVCC}. Pass --cuda X.Y to choose.");
            PINNED_NVCC
        }
    }
}

pub fn spec_context(arg: &CudaArg) -> SpecContext {
    SpecContext {
        default_cuda: default_cuda(arg),
    }
}
