//! The toolchains archbench can install from PyPI, pinned to exact wheel versions.

use super::ToolKind;
use crate::version::CudaVersion;

/// One installable toolchain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    pub version: CudaVersion,
    pub kind: ToolKind,
    /// Exact wheel requirements, installed together into one `--target` directory.
    pub wheels: &'static [&'static str],
    /// The executable, relative to the install directory.
    pub bin: &'static str,
    /// Directory name under the toolchains cache.
    pub dir: &'static str,
}

/// The toolchain build.rs and `archbench` install when none is found.
pub const PINNED_NVCC: CudaVersion = CudaVersion::new(13, 0);

pub static PINS: &[Pin] = &[
    Pin {
        version: CudaVersion::new(13, 0),
        kind: ToolKind::Nvcc,
        wheels: &[
            "nvidia-cuda-nvcc==13.0.88",
            "nvidia-nvvm==13.0.88",
            "nvidia-cuda-crt==13.0.88",
            "nvidia-cuda-runtime==13.0.96",
            "nvidia-cuda-cccl==13.0.85",
        ],
        bin: "nvidia/cu13/bin/nvcc",
        dir: "cuda-13.0",
    },
    Pin {
        version: CudaVersion::new(12, 9),
        kind: ToolKind::Ptxas,
        wheels: &["nvidia-cuda-nvcc-cu12==12.9.86"],
        bin: "nvidia/cuda_nvcc/bin/ptxas",
        dir: "ptxas-12.9",
    },
    Pin {
        version: CudaVersion::new(12, 8),
        kind: ToolKind::Ptxas,
        wheels: &["nvidia-cuda-nvcc-cu12==12.8.93"],
        bin: "nvidia/cuda_nvcc/bin/ptxas",
        dir: "ptxas-12.8",
    },
    Pin {
        version: CudaVersion::new(12, 6),
        kind: ToolKind::Ptxas,
        wheels: &["nvidia-cuda-nvcc-cu12==12.6.85"],
        bin: "nvidia/cuda_nvcc/bin/ptxas",
        dir: "ptxas-12.6",
    },
    Pin {
        version: CudaVersion::new(11, 8),
        kind: ToolKind::Ptxas,
        wheels: &["nvidia-cuda-nvcc-cu11==11.8.89"],
        bin: "nvidia/cuda_nvcc/bin/ptxas",
        dir: "ptxas-11.8",
    },
];

/// The pin for a CUDA version.
pub fn pin(version: CudaVersion) -> Option<&'static Pin> {
    PINS.iter().find(|p| p.version == version)
}
