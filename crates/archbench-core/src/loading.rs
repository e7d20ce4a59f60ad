//! The driver's image-loading rules (NVIDIA's compatibility guide, cuda-facts §6) as data:
//! which cubin or PTX image may run on a GPU of a given capability.
//!
//! These are facts, not the choice among several fitting images; the predictor (which picks
//! and explains) builds on them.

use crate::capability::{Capability, Suffix};

/// Members of an `f` (family-specific) target's family.
pub fn family_members(image: Capability) -> &'static [(u8, u8)] {
    match (image.major, image.minor) {
        (10, 0) => &[(10, 0), (10, 3)],
        (10, 1) => &[(10, 1)],
        (10, 3) => &[(10, 3)],
        (11, 0) => &[(11, 0)],
        (12, 0) => &[(12, 0), (12, 1)],
        (12, 1) => &[(12, 1)],
        _ => &[],
    }
}

/// A cubin (SASS) built for `image` runs on a GPU of capability `gpu`:
/// plain `sm_AB` on the same major with minor ≥ B; `sm_ABa` only on exactly A.B;
/// `sm_ABf` on the members of its family.
pub fn sass_runs_on(image: Capability, gpu: Capability) -> bool {
    let gpu = gpu.base();
    match image.suffix {
        Suffix::None => image.major == gpu.major && image.minor <= gpu.minor,
        Suffix::Arch => image.base() == gpu,
        Suffix::Family => family_members(image).contains(&(gpu.major, gpu.minor)),
    }
}

/// PTX for `image` can be JIT-compiled for a GPU of capability `gpu` (PTX ISA permitting):
/// plain `compute_AB` on any GPU ≥ A.B; `a`/`f` PTX has the limits of its cubins.
pub fn ptx_runs_on(image: Capability, gpu: Capability) -> bool {
    match image.suffix {
        Suffix::None => image.base() <= gpu.base(),
        Suffix::Arch | Suffix::Family => sass_runs_on(image, gpu),
    }
}

/// CUDA driver error codes the loading rules can end in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LoadError {
    /// `CUDA_ERROR_NO_BINARY_FOR_GPU` (209): no cubin fits and no PTX can be JIT-compiled.
    NoBinaryForGpu,
    /// `CUDA_ERROR_UNSUPPORTED_PTX_VERSION` (222): the PTX is newer than the driver.
    UnsupportedPtxVersion,
}

impl LoadError {
    pub fn code(self) -> u32 {
        match self {
            Self::NoBinaryForGpu => 209,
            Self::UnsupportedPtxVersion => 222,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::NoBinaryForGpu => "CUDA_ERROR_NO_BINARY_FOR_GPU",
            Self::UnsupportedPtxVersion => "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Capability {
        s.parse().unwrap()
    }

    #[test]
    fn sass_rules() {
        assert!(sass_runs_on(c("8.0"), c("8.6")));
        assert!(!sass_runs_on(c("8.6"), c("8.0")));
        assert!(!sass_runs_on(c("8.9"), c("9.0")));
        assert!(sass_runs_on(c("9.0a"), c("9.0")));
        assert!(!sass_runs_on(c("10.0a"), c("10.3")));
        assert!(sass_runs_on(c("10.0f"), c("10.3")));
        assert!(!sass_runs_on(c("10.0f"), c("10.1")));
        assert!(sass_runs_on(c("12.0f"), c("12.1")));
        assert!(!sass_runs_on(c("12.1f"), c("12.0")));
    }

    #[test]
    fn ptx_rules() {
        assert!(ptx_runs_on(c("8.0"), c("9.0")));
        assert!(ptx_runs_on(c("7.5"), c("12.0")));
        assert!(!ptx_runs_on(c("9.0"), c("8.9")));
        assert!(!ptx_runs_on(c("9.0a"), c("10.0")));
        assert!(ptx_runs_on(c("9.0a"), c("9.0")));
        assert!(ptx_runs_on(c("10.0f"), c("10.3")));
    }
}
