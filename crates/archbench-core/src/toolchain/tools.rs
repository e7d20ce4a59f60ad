//! Single CUDA tools and libraries from PyPI wheels, installed next to the toolchains with
//! `python3 -m pip install --no-deps --target` (atomically, reused afterwards): `cuobjdump`
//! (the oracle `archbench inspect` is tested against) and libraries with device code.

use std::path::PathBuf;

pub use super::provision::install_wheels;
use super::ToolchainError;
use crate::version::CudaVersion;

/// The pinned cuobjdump wheel.
pub const CUOBJDUMP_WHEEL: &str = "nvidia-cuda-cuobjdump==13.2.86";

/// Installs (or finds) `cuobjdump` from [`CUOBJDUMP_WHEEL`]; returns the executable.
pub fn cuobjdump() -> Result<PathBuf, ToolchainError> {
    install_wheels(
        "cuobjdump-13.2",
        CudaVersion::new(13, 2),
        &[CUOBJDUMP_WHEEL],
        "nvidia/cu13/bin/cuobjdump",
    )
}
