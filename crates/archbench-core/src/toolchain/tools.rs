//! Single CUDA tools and libraries from PyPI wheels, installed next to the toolchains with
//! `python3 -m pip install --no-deps --target` (atomically, reused afterwards): `cuobjdump`
//! (the oracle `archbench inspect` is tested against) and libraries with device code.

use std::path::PathBuf;

pub use super::provision::{install_named, install_wheels};
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

/// The pinned libclang wheel: it bundles `libclang.so`, which bindgen loads (so the bindgen
/// freshness test needs no system libclang).
pub const LIBCLANG_WHEEL: &str = "libclang==18.1.1";

/// Installs (or finds) libclang from [`LIBCLANG_WHEEL`]; returns the directory that holds
/// `libclang.so` (what `LIBCLANG_PATH` wants).
pub fn libclang() -> Result<PathBuf, ToolchainError> {
    let so = install_named(
        "libclang-18.1.1",
        "libclang 18.1.1",
        &[LIBCLANG_WHEEL],
        "clang/native/libclang.so",
    )?;
    Ok(so.parent().map(PathBuf::from).unwrap_or(so))
}

/// The pinned nvdisasm wheel: `cuobjdump -sass` needs it (it disassembles through nvdisasm).
pub const NVDISASM_WHEEL: &str = "nvidia-cuda-nvdisasm==13.2.86";

/// Installs (or finds) `nvdisasm` from [`NVDISASM_WHEEL`]; returns the executable.
pub fn nvdisasm() -> Result<PathBuf, ToolchainError> {
    install_wheels(
        "nvdisasm-13.2",
        CudaVersion::new(13, 2),
        &[NVDISASM_WHEEL],
        "nvidia/cu13/bin/nvdisasm",
    )
}
