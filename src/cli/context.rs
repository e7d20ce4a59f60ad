//! The default CUDA version: `--cuda`, else the installed toolchain's, else the pinned one.

use archbench::core::spec::SpecContext;
use archbench::core::toolchain::{self, PINNED_NVCC};
use archbench::core::CudaVersion;

use super::CudaArg;

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
