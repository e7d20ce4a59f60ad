//! The kernel suite: OpenCV-style and torch-style hot kernels (`kernels/*.cu`), each with its
//! sizes, the bytes it must move and FLOPs it must do, its launches, a CPU reference and the
//! rule its output is compared with. The runtime executes [`Workload`]s without knowing which
//! kernel they are.

pub mod bf16;
mod build;
pub mod data;
/// Present when `build.rs` calls `build_support/host_ref.rs`'s `compile_host_refs()`
/// (which also declares the cfg; the allow covers builds that do not).
#[cfg(archbench_host_ref)]
pub mod host_ref;
pub mod opencv;
pub mod reference;
pub mod torch;
pub mod workload;

#[allow(non_camel_case_types, non_snake_case, non_upper_case_globals, dead_code, clippy::all)]
#[rustfmt::skip]
pub mod params;

use serde::Serialize;

pub use workload::{
    Buffer, Check, DType, Fill, FromImage, Launch, Role, Rule, TensorMapSlot, TileSide, Workload,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Opencv,
    Torch,
}

/// Default sizes fill a large GPU; quick sizes finish in milliseconds (CI, smoke runs); edge
/// sizes are many small shapes at each kernel's path boundaries (tile edges, row-length
/// thresholds, vector tails, the smallest pitches a kernel accepts), for correctness only:
/// `tests/kernels_on_cpu.rs` runs them on the CPU and `tests/gpu.rs` on a GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Default,
    Quick,
    Edges,
}

/// One size/dtype configuration of a kernel.
pub struct Case {
    /// `3840x2160`, `f32 4096x4096`, `bf16 4096^3`, …
    pub label: String,
    pub dtype: DType,
    /// Bytes the kernel must at least read plus write (roofline numerator for memory-bound).
    pub bytes: u64,
    /// Floating-point (or integer arithmetic) operations it must do.
    pub flops: u64,
    /// Builds the workload (allocates nothing on the GPU; may allocate reference inputs lazily).
    pub workload: Box<dyn Fn() -> Workload + Send + Sync>,
}

/// A kernel of the suite.
pub struct KernelSpec {
    pub name: &'static str,
    pub family: Family,
    /// The `.cu` file under `kernels/` that holds its entry points.
    pub file: &'static str,
    pub description: &'static str,
    pub dtypes: &'static [DType],
    /// The comparison rule, for listing (each case's checks carry their own).
    pub rule: Rule,
    pub cases: fn(Size) -> Vec<Case>,
}

/// Every kernel of the suite, in listing order.
pub fn all() -> Vec<KernelSpec> {
    let mut specs = opencv::specs();
    specs.extend(torch::specs());
    specs
}
