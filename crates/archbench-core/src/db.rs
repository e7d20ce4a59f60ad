//! The capability and toolkit database: every capability Nixpkgs knows (with its CUDA range,
//! default-list cut-off and Jetson flag), NVIDIA's own add/drop range for each, and per CUDA
//! release its PTX ISA version and minimum Linux driver.
//!
//! Sources: Nixpkgs `pkgs/development/cuda-modules/_cuda/db/bootstrap/cuda.nix` (NixOS/nixpkgs
//! commit 55d5788ba119d2eebd029c1997baef6db81d9372; the table is the same in both rule sets of
//! [`crate::nixpkgs`]), NVIDIA's release notes and installers, and the real toolchains this
//! crate's tests run (`tests/toolchain_oracle.rs` checks NVIDIA's ranges against ptxas 11.8,
//! 12.6, 12.8, 12.9 and nvcc 13.0; `tests/release_oracle.rs` checks every CUDA 13.x row against
//! that release's `nvidia-cuda-nvcc` wheel).

use crate::capability::{Capability, Suffix};
use crate::version::{CudaVersion, DriverVersion};

/// One row of the capability table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapabilityInfo {
    pub capability: Capability,
    /// Architecture family name (`Ampere`, `Hopper`, …).
    pub arch: &'static str,
    /// Nixpkgs' `minCudaMajorMinorVersion`; `None` when Nixpkgs does not list the capability.
    pub nix_min: Option<CudaVersion>,
    /// Nixpkgs' `maxCudaMajorMinorVersion` (inclusive); `None` = still supported.
    pub nix_max: Option<CudaVersion>,
    /// Nixpkgs' `dontDefaultAfterCudaMajorMinorVersion`.
    pub no_default_after: Option<CudaVersion>,
    /// A Jetson (embedded, aarch64-linux) capability.
    pub jetson: bool,
    /// First CUDA release whose ptxas accepts the target (as far as this crate checks: from 11.8).
    pub nvidia_min: CudaVersion,
    /// Last CUDA release whose ptxas accepts the target; `None` = still accepted.
    pub nvidia_max: Option<CudaVersion>,
    /// Example products or remarks.
    pub note: &'static str,
}

impl CapabilityInfo {
    /// Nixpkgs supports the capability with CUDA `v`: `min ≤ v ≤ max`.
    pub fn nix_supports(&self, v: CudaVersion) -> bool {
        match self.nix_min {
            Some(min) => min <= v && self.nix_max.is_none_or(|max| v <= max),
            None => false,
        }
    }

    /// NVIDIA's toolchain of release `v` accepts the target.
    pub fn nvidia_supports(&self, v: CudaVersion) -> bool {
        self.nvidia_min <= v && self.nvidia_max.is_none_or(|max| v <= max)
    }

    /// In Nixpkgs' default `cudaCapabilities` for CUDA `v`.
    pub fn nix_default(&self, v: CudaVersion) -> bool {
        self.nix_supports(v)
            && self.no_default_after.is_none_or(|d| v <= d)
            && !self.jetson
            && self.capability.suffix == Suffix::None
    }

    /// Listed in Nixpkgs' capability table at all.
    pub fn in_nixpkgs(&self) -> bool {
        self.nix_min.is_some()
    }
}

const fn v(major: u16, minor: u16) -> CudaVersion {
    CudaVersion::new(major, minor)
}

const fn row(
    cap: (u8, u8, Suffix),
    arch: &'static str,
    nix: Option<(CudaVersion, Option<CudaVersion>)>,
    no_default_after: Option<CudaVersion>,
    jetson: bool,
    nvidia: (CudaVersion, Option<CudaVersion>),
    note: &'static str,
) -> CapabilityInfo {
    let (nix_min, nix_max) = match nix {
        Some((a, b)) => (Some(a), b),
        None => (None, None),
    };
    CapabilityInfo {
        capability: Capability::new(cap.0, cap.1, cap.2),
        arch,
        nix_min,
        nix_max,
        no_default_after,
        jetson,
        nvidia_min: nvidia.0,
        nvidia_max: nvidia.1,
        note,
    }
}

use Suffix::{Arch as A, Family as F, None as N};

/// Every capability, in Nix version order.
pub static CAPABILITIES: &[CapabilityInfo] = &[
    row(
        (3, 5, N),
        "Kepler",
        Some((v(10, 0), Some(v(11, 8)))),
        Some(v(11, 0)),
        false,
        (v(10, 0), Some(v(11, 8))),
        "K20, K40",
    ),
    row(
        (3, 7, N),
        "Kepler",
        Some((v(10, 0), Some(v(11, 8)))),
        Some(v(11, 0)),
        false,
        (v(10, 0), Some(v(11, 8))),
        "K80",
    ),
    row(
        (5, 0, N),
        "Maxwell",
        Some((v(10, 0), Some(v(12, 9)))),
        Some(v(11, 0)),
        false,
        (v(10, 0), Some(v(12, 9))),
        "",
    ),
    row(
        (5, 2, N),
        "Maxwell",
        Some((v(10, 0), Some(v(12, 9)))),
        Some(v(11, 0)),
        false,
        (v(10, 0), Some(v(12, 9))),
        "GTX 9xx, M40",
    ),
    row(
        (6, 0, N),
        "Pascal",
        Some((v(10, 0), Some(v(12, 9)))),
        Some(v(12, 3)),
        false,
        (v(10, 0), Some(v(12, 9))),
        "P100",
    ),
    row(
        (6, 1, N),
        "Pascal",
        Some((v(10, 0), Some(v(12, 9)))),
        Some(v(12, 3)),
        false,
        (v(10, 0), Some(v(12, 9))),
        "GTX 10xx, P40",
    ),
    row(
        (7, 0, N),
        "Volta",
        Some((v(10, 0), Some(v(12, 9)))),
        Some(v(12, 5)),
        false,
        (v(10, 0), Some(v(12, 9))),
        "V100",
    ),
    row(
        (7, 2, N),
        "Volta",
        Some((v(10, 0), Some(v(12, 2)))),
        None,
        true,
        (v(10, 0), Some(v(12, 9))),
        "Jetson Xavier",
    ),
    row(
        (7, 5, N),
        "Turing",
        Some((v(10, 0), None)),
        None,
        false,
        (v(10, 0), None),
        "T4, RTX 20xx",
    ),
    row(
        (8, 0, N),
        "Ampere",
        Some((v(11, 2), None)),
        None,
        false,
        (v(11, 2), None),
        "A100",
    ),
    row(
        (8, 6, N),
        "Ampere",
        Some((v(11, 2), None)),
        None,
        false,
        (v(11, 2), None),
        "A10, RTX 30xx",
    ),
    row(
        (8, 7, N),
        "Ampere",
        Some((v(11, 4), None)),
        None,
        true,
        (v(11, 4), None),
        "Jetson Orin",
    ),
    row(
        (8, 8, N),
        "Ampere",
        None,
        None,
        false,
        (v(13, 0), None),
        "listed by nvcc 13.0; commented out in Nixpkgs",
    ),
    row(
        (8, 9, N),
        "Ada",
        Some((v(11, 8), None)),
        None,
        false,
        (v(11, 8), None),
        "L4, L40, RTX 40xx",
    ),
    row(
        (9, 0, N),
        "Hopper",
        Some((v(11, 8), None)),
        None,
        false,
        (v(11, 8), None),
        "H100, H200",
    ),
    row(
        (9, 0, A),
        "Hopper",
        Some((v(12, 0), None)),
        None,
        false,
        (v(12, 0), None),
        "H100, H200 (wgmma, TMA)",
    ),
    row(
        (10, 0, N),
        "Blackwell",
        Some((v(12, 7), None)),
        None,
        false,
        (v(12, 8), None),
        "B200",
    ),
    row(
        (10, 0, A),
        "Blackwell",
        Some((v(12, 7), None)),
        None,
        false,
        (v(12, 8), None),
        "B200",
    ),
    row(
        (10, 0, F),
        "Blackwell",
        Some((v(12, 9), None)),
        None,
        false,
        (v(12, 9), None),
        "B200, B300 family",
    ),
    row(
        (10, 1, N),
        "Blackwell",
        Some((v(12, 7), Some(v(12, 9)))),
        None,
        true,
        (v(12, 8), Some(v(12, 9))),
        "Jetson Thor under CUDA 12 (11.0 from 13.0)",
    ),
    row(
        (10, 1, A),
        "Blackwell",
        Some((v(12, 7), Some(v(12, 9)))),
        None,
        true,
        (v(12, 8), Some(v(12, 9))),
        "Jetson Thor under CUDA 12",
    ),
    row(
        (10, 1, F),
        "Blackwell",
        Some((v(12, 9), Some(v(12, 9)))),
        None,
        true,
        (v(12, 9), Some(v(12, 9))),
        "Jetson Thor under CUDA 12",
    ),
    row(
        (10, 3, N),
        "Blackwell",
        Some((v(12, 9), None)),
        None,
        false,
        (v(12, 9), None),
        "B300",
    ),
    row(
        (10, 3, A),
        "Blackwell",
        Some((v(12, 9), None)),
        None,
        false,
        (v(12, 9), None),
        "B300",
    ),
    row(
        (10, 3, F),
        "Blackwell",
        Some((v(12, 9), None)),
        None,
        false,
        (v(12, 9), None),
        "B300",
    ),
    row(
        (10, 7, N),
        "Rubin",
        None,
        None,
        false,
        (v(13, 4), None),
        "listed by nvcc 13.4; not in Nixpkgs' table",
    ),
    row(
        (10, 7, A),
        "Rubin",
        None,
        None,
        false,
        (v(13, 4), None),
        "accepted by ptxas 13.4; not in Nixpkgs' table",
    ),
    row(
        (10, 7, F),
        "Rubin",
        None,
        None,
        false,
        (v(13, 4), None),
        "accepted by ptxas 13.4; not in Nixpkgs' table",
    ),
    row(
        (11, 0, N),
        "Blackwell",
        Some((v(13, 0), None)),
        None,
        true,
        (v(13, 0), None),
        "Jetson Thor under CUDA 13",
    ),
    row(
        (11, 0, A),
        "Blackwell",
        Some((v(13, 0), None)),
        None,
        true,
        (v(13, 0), None),
        "Jetson Thor under CUDA 13",
    ),
    row(
        (11, 0, F),
        "Blackwell",
        Some((v(13, 0), None)),
        None,
        true,
        (v(13, 0), None),
        "Jetson Thor under CUDA 13",
    ),
    row(
        (12, 0, N),
        "Blackwell",
        Some((v(12, 8), None)),
        None,
        false,
        (v(12, 8), None),
        "RTX 50xx, RTX PRO 6000",
    ),
    row(
        (12, 0, A),
        "Blackwell",
        Some((v(12, 8), None)),
        None,
        false,
        (v(12, 8), None),
        "RTX 50xx",
    ),
    row(
        (12, 0, F),
        "Blackwell",
        Some((v(12, 9), None)),
        None,
        false,
        (v(12, 9), None),
        "RTX 50xx family",
    ),
    row(
        (12, 1, N),
        "Blackwell",
        Some((v(12, 9), None)),
        None,
        false,
        (v(12, 9), None),
        "DGX Spark",
    ),
    row(
        (12, 1, A),
        "Blackwell",
        Some((v(12, 9), None)),
        None,
        false,
        (v(12, 9), None),
        "DGX Spark",
    ),
    row(
        (12, 1, F),
        "Blackwell",
        Some((v(12, 9), None)),
        None,
        false,
        (v(12, 9), None),
        "DGX Spark",
    ),
];

/// Looks a capability up in the table.
pub fn capability(cap: Capability) -> Option<&'static CapabilityInfo> {
    CAPABILITIES.iter().find(|i| i.capability == cap)
}

/// Capabilities Nixpkgs knows (its `cudaCapabilities` keys), in order.
pub fn nix_capabilities() -> impl Iterator<Item = &'static CapabilityInfo> {
    CAPABILITIES.iter().filter(|i| i.in_nixpkgs())
}

/// Nixpkgs' default `cudaCapabilities` for CUDA `v`.
pub fn default_capabilities(v: CudaVersion) -> Vec<Capability> {
    CAPABILITIES
        .iter()
        .filter(|i| i.nix_default(v))
        .map(|i| i.capability)
        .collect()
}

/// One CUDA toolkit release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CudaRelease {
    pub version: CudaVersion,
    /// PTX ISA version its nvcc emits (`.version`), as (major, minor).
    pub ptx_isa: (u8, u8),
    /// Minimum Linux driver of the GA release (release notes, "CUDA Toolkit and Corresponding
    /// Driver Versions"); `None` where NVIDIA publishes no such row (the Linux driver is no
    /// longer bundled from CUDA 13.4 on).
    pub min_driver: Option<[u32; 3]>,
    /// Where `min_driver` is unknown: a Linux driver NVIDIA pairs with this release (its
    /// driver manifest lists the release in `cuda_compat.cuda_variant`): not the minimum, but
    /// a driver this new certainly runs the release.
    pub known_driver: Option<[u32; 3]>,
    /// Nixpkgs has a `cudaPackages_X_Y` set for it (`pkgs/top-level/cuda-packages.nix`, the same
    /// sets in every rule set of [`crate::nixpkgs`]).
    pub in_nixpkgs: bool,
    /// Where the row's PTX ISA and driver come from.
    pub source: &'static str,
}

impl CudaRelease {
    pub fn ptx_isa_string(&self) -> String {
        format!("{}.{}", self.ptx_isa.0, self.ptx_isa.1)
    }

    /// `580.65.06`, or a sentence saying NVIDIA publishes no minimum.
    pub fn min_driver_string(&self) -> String {
        match self.min_driver {
            Some(d) => DriverVersion::Linux(d).to_string(),
            None => format!("a CUDA {} driver (no published minimum)", self.version),
        }
    }

    /// "driver ≥ 580.65.06", or "a CUDA 13.4 driver (…)" where no minimum is published.
    pub fn needs_driver(&self) -> String {
        match self.min_driver {
            Some(_) => format!("driver ≥ {}", self.min_driver_string()),
            None => format!(
                "a driver for CUDA {} (NVIDIA publishes no minimum Linux driver for it)",
                self.version
            ),
        }
    }
}

const fn rel(
    version: CudaVersion,
    ptx_isa: (u8, u8),
    min_driver: Option<[u32; 3]>,
    in_nixpkgs: bool,
    source: &'static str,
) -> CudaRelease {
    CudaRelease {
        version,
        ptx_isa,
        min_driver,
        known_driver: None,
        in_nixpkgs,
        source,
    }
}

/// NVIDIA's driver manifest `redistrib_620.70.06.json` (2026-11-04) lists `cuda_variant`
/// 13.5; a 13.5 driver runs 13.4 too.
const R620: Option<[u32; 3]> = Some([620, 70, 6]);

const NOTES: &str = "NVIDIA CUDA Toolkit release notes, driver table";

/// Every CUDA release this crate knows, oldest first. Each PTX ISA is the newest `.version`
/// that release's ptxas accepts (checked against the real wheels by `tests/release_oracle.rs`
/// for 13.x and `tests/toolchain_oracle.rs` for the pinned toolchains).
pub static RELEASES: &[CudaRelease] = &[
    rel(v(11, 8), (7, 8), Some([520, 61, 5]), false, NOTES),
    rel(v(12, 0), (8, 0), Some([525, 60, 13]), false, NOTES),
    rel(v(12, 1), (8, 1), Some([530, 30, 2]), false, NOTES),
    rel(v(12, 2), (8, 2), Some([535, 54, 3]), false, NOTES),
    rel(v(12, 3), (8, 3), Some([545, 23, 6]), false, NOTES),
    rel(v(12, 4), (8, 4), Some([550, 54, 14]), false, NOTES),
    rel(v(12, 5), (8, 5), Some([555, 42, 2]), false, NOTES),
    rel(v(12, 6), (8, 5), Some([560, 28, 3]), true, NOTES),
    rel(v(12, 8), (8, 7), Some([570, 26, 0]), true, NOTES),
    rel(v(12, 9), (8, 8), Some([575, 51, 3]), true, NOTES),
    rel(v(13, 0), (9, 0), Some([580, 65, 6]), true, NOTES),
    rel(v(13, 1), (9, 1), Some([590, 44, 1]), true, NOTES),
    rel(
        v(13, 2),
        (9, 2),
        Some([595, 45, 4]),
        true,
        "NVIDIA installer cuda_13.2.0_595.45.04_linux.run (the GA driver)",
    ),
    rel(
        v(13, 3),
        (9, 3),
        Some([610, 43, 2]),
        true,
        "NVIDIA release notes 13.3 (CUDA 13.3 GA >= 610.43.02); installer cuda_13.3.0_610.43.02_linux.run",
    ),
    CudaRelease {
        known_driver: R620,
        ..rel(
            v(13, 4),
            (9, 4),
            None,
            true,
            "NVIDIA release notes 13.4: the Linux driver is no longer bundled (R615/R616 branch)",
        )
    },
    CudaRelease {
        known_driver: R620,
        ..rel(
        v(13, 5),
        (9, 5),
        None,
        false,
        "NVIDIA release notes 13.5: driver not bundled; NVIDIA's driver manifest redistrib_620.70.06.json pairs 620.70.06 with CUDA 13.5",
        )
    },
];

/// The newest release archbench knows.
pub fn newest_release() -> &'static CudaRelease {
    // RELEASES is a non-empty static table (checked by a unit test).
    &RELEASES[RELEASES.len() - 1]
}

/// Looks a release up.
pub fn release(v: CudaVersion) -> Option<&'static CudaRelease> {
    RELEASES.iter().find(|r| r.version == v)
}

/// The newest CUDA release a driver supports, or `None` if it predates every known release.
pub fn driver_max_cuda(driver: DriverVersion) -> Option<CudaVersion> {
    match driver {
        DriverVersion::Cuda(v) => Some(v),
        DriverVersion::Linux(d) => RELEASES
            .iter()
            .rev()
            .find(|r| r.min_driver.or(r.known_driver).is_some_and(|m| m <= d))
            .map(|r| r.version),
    }
}

/// The newest PTX ISA a driver can JIT: that of the newest release it supports.
pub fn driver_max_ptx_isa(driver: DriverVersion) -> Option<(u8, u8)> {
    let max = driver_max_cuda(driver)?;
    RELEASES
        .iter()
        .rev()
        .find(|r| r.version <= max)
        .map(|r| r.ptx_isa)
}

/// The first released CUDA version that supports `info` in Nixpkgs (12.7 was never released,
/// so 10.0's Nixpkgs minimum 12.7 becomes 12.8 here).
pub fn first_release_supporting(info: &CapabilityInfo) -> Option<&'static CudaRelease> {
    RELEASES.iter().find(|r| info.nix_supports(r.version))
}

/// The last released CUDA version that supports `info` in Nixpkgs.
pub fn last_release_supporting(info: &CapabilityInfo) -> Option<&'static CudaRelease> {
    RELEASES.iter().rev().find(|r| info.nix_supports(r.version))
}

/// The Nixpkgs `cudaPackages_X_Y` sets that support `info`, oldest first.
pub fn nix_sets_supporting(info: &CapabilityInfo) -> Vec<CudaVersion> {
    RELEASES
        .iter()
        .filter(|r| r.in_nixpkgs && info.nix_supports(r.version))
        .map(|r| r.version)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(v: CudaVersion) -> Vec<String> {
        default_capabilities(v)
            .iter()
            .map(|c| c.to_string())
            .collect()
    }

    #[test]
    fn table_is_sorted_and_unique() {
        for w in CAPABILITIES.windows(2) {
            assert!(w[0].capability < w[1].capability, "{:?}", w[1].capability);
        }
        assert!(!RELEASES.is_empty());
        for w in RELEASES.windows(2) {
            assert!(w[0].version < w[1].version);
            assert!(w[0].ptx_isa <= w[1].ptx_isa);
            if let (Some(a), Some(b)) = (w[0].min_driver, w[1].min_driver) {
                assert!(a < b);
            }
        }
    }

    #[test]
    fn nixpkgs_default_lists() {
        assert_eq!(caps(v(12, 6)), ["7.5", "8.0", "8.6", "8.9", "9.0"]);
        assert_eq!(
            caps(v(12, 8)),
            ["7.5", "8.0", "8.6", "8.9", "9.0", "10.0", "12.0"]
        );
        let all = [
            "7.5", "8.0", "8.6", "8.9", "9.0", "10.0", "10.3", "12.0", "12.1",
        ];
        assert_eq!(caps(v(12, 9)), all);
        assert_eq!(caps(v(13, 0)), all);
        // Before 12.3, Pascal is still a default.
        assert!(caps(v(12, 0)).contains(&"6.1".to_string()));
    }

    #[test]
    fn drivers_map_to_cuda() {
        assert_eq!(
            driver_max_cuda(DriverVersion::Linux([575, 51, 3])),
            Some(v(12, 9))
        );
        assert_eq!(
            driver_max_cuda(DriverVersion::Linux([580, 0, 0])),
            Some(v(12, 9))
        );
        assert_eq!(
            driver_max_cuda(DriverVersion::Linux([580, 65, 6])),
            Some(v(13, 0))
        );
        assert_eq!(driver_max_cuda(DriverVersion::Linux([400, 0, 0])), None);
        // No published minimum for 13.4/13.5: a driver NVIDIA pairs with 13.5 runs both.
        assert_eq!(
            driver_max_cuda(DriverVersion::Linux([616, 0, 0])),
            Some(v(13, 3))
        );
        assert_eq!(
            driver_max_cuda(DriverVersion::Linux([620, 70, 6])),
            Some(v(13, 5))
        );
        assert_eq!(
            driver_max_ptx_isa(DriverVersion::Linux([570, 26, 0])),
            Some((8, 7))
        );
        assert_eq!(
            driver_max_ptx_isa(DriverVersion::Cuda(v(12, 7))),
            Some((8, 5))
        );
    }

    #[test]
    fn first_release_skips_unreleased_12_7() {
        let info = capability("10.0".parse().unwrap()).unwrap();
        assert_eq!(first_release_supporting(info).unwrap().version, v(12, 8));
        let info = capability("7.0".parse().unwrap()).unwrap();
        assert_eq!(last_release_supporting(info).unwrap().version, v(12, 9));
        assert_eq!(nix_sets_supporting(info), [v(12, 6), v(12, 8), v(12, 9)]);
    }
}
