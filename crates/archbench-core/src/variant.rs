//! The canonical variant: what one build configuration asks nvcc to produce, whatever
//! spelling (Nixpkgs attribute path, Nix config, `TORCH_CUDA_ARCH_LIST`, CMake
//! `CUDA_ARCHITECTURES`, variant file) it came from.

use serde::{Deserialize, Serialize};

use crate::capability::Capability;
use crate::version::CudaVersion;

/// One build variant.
///
/// `capabilities` are the SASS targets in the order given (Nixpkgs uses a non-empty user list
/// as given: not sorted, not de-duplicated). `ptx` are the PTX targets: for Nixpkgs-style
/// specs it is derived from `forward_compat` (the LAST capability), for PyTorch and CMake
/// specs it is whatever entries asked for PTX.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub name: String,
    pub cuda: CudaVersion,
    pub capabilities: Vec<Capability>,
    pub forward_compat: bool,
    #[serde(default)]
    pub ptx: Vec<Capability>,
    #[serde(default)]
    pub package: Option<String>,
    #[serde(default)]
    pub origin: Origin,
}

/// Where a variant came from; decides which rules validate it and how fixes are spelled.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Origin {
    /// `pkgsForCudaArch.sm_89…`: `base` is the config part without any `cudaPackages_X_Y.pkgs`
    /// (e.g. `pkgsForCudaArch.sm_100`), for suggesting `<base>.cudaPackages_12_8.pkgs`.
    NixAttrPath { base: String },
    /// A Nix config attrset, inline or from a `.nix` file.
    #[default]
    NixConfig,
    /// `torch:<TORCH_CUDA_ARCH_LIST>`.
    Torch,
    /// `cmake:<CUDA_ARCHITECTURES>`.
    Cmake,
}

impl Origin {
    /// Nixpkgs' rules apply in full (unknown = not in Nixpkgs' table, Jetson rules are errors).
    pub fn is_nixpkgs(&self) -> bool {
        matches!(self, Origin::NixAttrPath { .. } | Origin::NixConfig)
    }
}

impl Variant {
    /// A Nixpkgs-style variant: PTX for the last capability when `forward_compat`.
    pub fn nix(
        name: String,
        cuda: CudaVersion,
        capabilities: Vec<Capability>,
        forward_compat: bool,
        package: Option<String>,
        origin: Origin,
    ) -> Self {
        let ptx = match capabilities.last() {
            Some(last) if forward_compat => vec![*last],
            _ => Vec::new(),
        };
        Self {
            name,
            cuda,
            capabilities,
            forward_compat,
            ptx,
            package,
            origin,
        }
    }

    /// Every capability named, SASS then PTX, without repeats, in first-seen order.
    pub fn all_capabilities(&self) -> Vec<Capability> {
        let mut out: Vec<Capability> = Vec::new();
        for c in self.capabilities.iter().chain(&self.ptx) {
            if !out.contains(c) {
                out.push(*c);
            }
        }
        out
    }
}
