//! The built-in suite's case tables, as data: the buffers a case needs (with seeded random
//! inputs), its launches (entry point, grid, block, shared memory, one by-value parameter
//! struct whose device pointers are patched in), and the output checks against the CPU
//! reference. [`super::declare`] declares each through the public bench API
//! (`archbench::bench::Case`); the CPU run of the kernels' source
//! (`tests/build/kernels_on_cpu.rs`) reads the same tables.

use serde::{Deserialize, Serialize};

pub use archbench::workload::{DType, Fill, Rule};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Role {
    Input(Fill),
    /// Written by the kernels; poisoned (0xFF… bytes) before each checked run.
    Output,
    /// Device scratch; contents undefined.
    Scratch,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Buffer {
    pub name: &'static str,
    pub dtype: DType,
    /// Size in bytes (pitched images include their padding).
    pub bytes: usize,
    pub role: Role,
}

/// One kernel launch. `params` is the C parameter struct's bytes (from `kernels/params.h`);
/// at each `(offset, buffer)` in `pointers` the runtime writes that buffer's device address.
/// For a launch with [`FromImage`], `grid`, `block` and `shared_mem_bytes` are zero: the image
/// the driver loads declares them.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    pub entry: &'static str,
    pub grid: [u32; 3],
    pub block: [u32; 3],
    pub shared_mem_bytes: u32,
    pub params: Vec<u8>,
    pub pointers: Vec<(usize, usize)>,
    pub from_image: Option<FromImage>,
}

/// A launch whose shape the loaded image declares: the module's global `contract` (a
/// `LaunchContract` of `kernels/params.h`) gives block size, dynamic shared memory, output
/// tile and whether the kernel is persistent; the grid covers an `m` x `n` output. Entries
/// whose code paths differ per architecture (gemm: wgmma on sm_90a, mma.sync on sm_80+, SIMT
/// below) use it, since which image runs is the driver's choice.
#[derive(Debug, Clone, PartialEq)]
pub struct FromImage {
    pub contract: &'static str,
    pub m: u64,
    pub n: u64,
    pub k: u64,
    /// Tensor maps the runtime encodes into the parameters when the contract asks for them.
    pub tensor_maps: Vec<TensorMapSlot>,
}

pub use archbench::workload::{TensorMapSlot, TileSide};

impl Launch {
    /// A launch whose parameter bytes are `params` (a bindgen struct from `kernels/params.h`)
    /// and whose device pointers go at `pointers` = `(byte offset in the struct, buffer index)`.
    pub fn new<T: Copy>(
        entry: &'static str,
        grid: [u32; 3],
        block: [u32; 3],
        shared_mem_bytes: u32,
        params: &T,
        pointers: &[(usize, usize)],
    ) -> Self {
        Launch {
            entry,
            grid,
            block,
            shared_mem_bytes,
            params: pod_bytes(params),
            pointers: pointers.to_vec(),
            from_image: None,
        }
    }

    /// A launch shaped by the loaded image's contract (see [`FromImage`]).
    pub fn from_image<T: Copy>(
        entry: &'static str,
        shape: FromImage,
        params: &T,
        pointers: &[(usize, usize)],
    ) -> Self {
        Launch {
            entry,
            grid: [0; 3],
            block: [0; 3],
            shared_mem_bytes: 0,
            params: pod_bytes(params),
            pointers: pointers.to_vec(),
            from_image: Some(shape),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Index into [`Workload::buffers`] of an `Output`.
    pub buffer: usize,
    pub rule: Rule,
    /// Element indices the reference computes (sampled checks of huge outputs); `None` =
    /// the reference computes every element.
    pub sample: Option<Vec<usize>>,
}

/// The byte the runtime writes into every output before a checked run. Full (unsampled)
/// references give every byte of the buffer, padding included: image padding must keep this
/// poison, i.e. kernels must not write it.
pub const POISON: u8 = 0xFF;

/// A workload's CPU reference: input buffers' bytes in, expected bytes of each check out.
pub type ReferenceFn = dyn Fn(&[&[u8]]) -> Vec<Vec<u8>> + Send + Sync;

/// Everything needed to run and check one case of one kernel.
pub struct Workload {
    pub buffers: Vec<Buffer>,
    pub launches: Vec<Launch>,
    pub checks: Vec<Check>,
    /// Computes the expected bytes of each checked buffer (in `checks` order) from the
    /// input buffers' bytes (indexed like `buffers`; outputs/scratch are empty slices).
    pub reference: Box<ReferenceFn>,
    /// The library call that does the same work, timed beside the case under `--paired`.
    pub paired: Option<PairedGemm>,
}

/// cuBLAS's `C = A·Bᵀ` on the case's buffers (see `archbench::bench::Case::paired_cublas_gemm`).
pub use archbench::workload::GemmOperands as PairedGemm;

impl std::fmt::Debug for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workload")
            .field("buffers", &self.buffers)
            .field("launches", &self.launches)
            .field("checks", &self.checks)
            .field("paired", &self.paired)
            .finish_non_exhaustive()
    }
}

/// Copies a `#[repr(C)]` plain-old-data parameter struct into bytes.
pub fn pod_bytes<T: Copy>(value: &T) -> Vec<u8> {
    // SAFETY: T is a bindgen-generated #[repr(C)] struct of integers and floats (no
    // padding-dependent invariants, no pointers the CPU dereferences); reading its bytes is
    // sound, and padding bytes are copied as whatever they hold, which the GPU ignores.
    unsafe {
        std::slice::from_raw_parts((value as *const T).cast::<u8>(), std::mem::size_of::<T>())
    }
    .to_vec()
}
