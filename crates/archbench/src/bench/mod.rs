//! The public bench API: declare benches over the images `archbench-build` compiled once
//! per build variant, and run them with `cargo bench`.
//!
//! A bench is a body that declares one case — its buffers, launches, the bytes and FLOPs it
//! must move and do, and a **mandatory** correctness check — and axes whose values the cases
//! range over. Several implementations of one operation are an axis, `impl`, compared side by
//! side. Compile-time axes (`Source::axis` in the build script) become axes of the bench
//! whose values select the image.
//!
//! ```
//! use archbench::bench::{pow2, Fill, Grid, Rule, Suite};
//! use archbench::workload::{CaseSource, Set};
//!
//! // In `benches/gpu.rs`: `fn main() { saxpy(archbench::images!()).main() }`.
//! fn saxpy(images: archbench::Images) -> Suite {
//!     Suite::new(images)
//!         .bench("saxpy", |c| {
//!             let n = c.usize("n");
//!             let x = c.input::<f32>("x", n, Fill::Uniform(-1.0, 1.0));
//!             let y = c.inout::<f32>("y", n, Fill::Uniform(-1.0, 1.0));
//!             c.launch("saxpy", Grid::cover(n, 256), (&y, &x, 2.0f32, n as u32));
//!             c.reads::<f32>(2 * n).writes::<f32>(n).flops(2 * n as u64);
//!             c.check(&y, Rule::close(1e-6, 1e-7), move |h| {
//!                 h[&x].iter().zip(&h[&y]).map(|(x, y)| 2.0 * x + y).collect()
//!             });
//!         })
//!         .axis("n", pow2(20..=28))
//!         .quick("n", pow2(20..=20))
//! }
//!
//! // The cases it declares (no GPU needed to list them).
//! let none = archbench::Images::unavailable(archbench::ImagesError::Binary("none".into()));
//! let cases = saxpy(none).cases("saxpy", Set::Quick);
//! assert_eq!(cases[0].label, "n=1048576");
//! assert_eq!(cases[0].bytes, 3 * 4 * 1048576);
//! ```
//!
//! With `[[bench]] name = "gpu" harness = false` in `Cargo.toml`, `cargo bench` checks and
//! times every case on every variant the build produced (in worker processes: a kernel
//! that faults or hangs is recorded and the run goes on), prints a table with variants as
//! columns, and writes JSON Lines results that `archbench compare` and `archbench report`
//! read; `cargo bench -- --save-baseline main` and `-- --baseline main` guard against
//! regressions (exit 1). `cargo test --benches` checks every case once, untimed. Without a
//! GPU, the plan is printed and the exit status is 0. `cargo bench -- --help` lists the
//! options.
//!
//! Bring your own binary: [`crate::Images::from_binary`] reads the kernels of an existing
//! fatbin, cubin or shared library (what a Nix `pkgsForCudaArch.sm_90` build or a PyTorch
//! wheel ships) and a suite benches them through the same API.

mod args;
mod axis;
mod case;
pub mod harness;
pub mod options;
mod suite;
mod table;

pub use args::{AnyBufRef, Args, Dim3, Grid, KernelArg, Packed, Struct};
pub use axis::{linear, pow2, IntoRows, IntoValues, Value};
pub use case::{parse_dtype, Case, Host};
pub use options::{BenchError, Options};
pub use suite::{Bench, Suite};
pub use table::table;

pub use crate::workload::{
    AnyBuf, Bf16, Buf, DType, Element, Fill, Pod, Role, Rule, Set, TensorMapSlot, TileSide, F16,
};

impl Suite {
    /// Runs the suite with the process's arguments (what `cargo bench` and `cargo test
    /// --benches` pass) and exits with its status: 0 all correct (or no GPU: the plan is
    /// printed), 1 a failed check, error, hang, crash or regression, 2 a usage error.
    pub fn main(self) -> ! {
        let code = harness::main(self);
        std::process::exit(code)
    }
}
