//! The built-in kernel suite: OpenCV-style and torch-style hot kernels (`kernels/*.cu`), each
//! with its sizes, the bytes it must move and FLOPs it must do, its launches, a CPU reference
//! and the rule its output is compared with.
//!
//! It is one user of the public bench API, as a user's crate is: [`suite`] declares each
//! kernel as an `archbench::bench::Bench` whose `case` axis names its cases (different lists
//! for the default, `--quick` and edge sets), and [`declare`] declares a case's table entry
//! ([`Workload`]) through `archbench::bench::Case`. The engine receives the suite as an
//! argument, like any other.

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

use archbench::bench::{self as api, AnyBuf, Bench, Grid, Struct};
use archbench::workload::{Role as ApiRole, Set};
use archbench::Images;
use serde::Serialize;

pub use workload::{
    Buffer, Check, DType, Fill, FromImage, Launch, Role, Rule, TensorMapSlot, TileSide, Workload,
};

/// The name the built-in suite's results carry.
pub const SUITE_NAME: &str = "archbench";

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

impl Size {
    /// The bench API's set of the same name.
    pub fn of(set: Set) -> Size {
        match set {
            Set::Default => Size::Default,
            Set::Quick => Size::Quick,
            Set::Edges => Size::Edges,
        }
    }
}

/// The built-in suite over the images embedded in this binary.
pub fn suite() -> api::Suite {
    suite_over(crate::embedded::images())
}

/// The built-in suite over `images` (e.g. `Images::unavailable(…)` to list its cases
/// without any).
pub fn suite_over(images: Images) -> api::Suite {
    all()
        .into_iter()
        .map(bench)
        .fold(api::Suite::new(images).named(SUITE_NAME), |s, b| {
            s.with_bench(b)
        })
}

/// One kernel as a bench: the axis `case` ranges over its case labels.
pub fn bench(spec: KernelSpec) -> Bench {
    let labels =
        |size: Size| -> Vec<String> { (spec.cases)(size).into_iter().map(|c| c.label).collect() };
    let cases = spec.cases;
    let family = match spec.family {
        Family::Opencv => "opencv",
        Family::Torch => "torch",
    };
    Bench::new(spec.name, move |c| {
        let label = c.str("case");
        let size = Size::of(c.set());
        match cases(size).into_iter().find(|k| k.label == label) {
            Some(k) => declare(c, k),
            None => {
                c.fail(format!("no case `{label}`"));
            }
        }
    })
    .source(spec.file)
    .description(spec.description)
    .tag(family)
    .axis("case", labels(Size::Default))
    .quick("case", labels(Size::Quick))
    .edges("case", labels(Size::Edges))
}

/// Declares one table entry through the bench API: its label, bytes and FLOPs, buffers,
/// launches (the parameter struct with device pointers patched in, or the image's launch
/// contract) and checks against its CPU reference.
pub fn declare(c: &mut api::Case, case: Case) {
    c.label(case.label.clone())
        .bytes(case.bytes)
        .flops(case.flops);
    let w = (case.workload)();
    let bufs: Vec<AnyBuf> = w
        .buffers
        .iter()
        .map(|b| {
            let role = match b.role {
                Role::Input(f) => ApiRole::Input(f),
                Role::Output => ApiRole::Output,
                Role::Scratch => ApiRole::Scratch,
            };
            c.raw(b.name, b.dtype, b.bytes, role)
        })
        .collect();
    let buf = |i: usize| bufs.get(i).copied();
    for l in &w.launches {
        let mut args = Struct::from_bytes(l.params.clone(), 64);
        for &(offset, b) in &l.pointers {
            match buf(b) {
                Some(b) => args = args.ptr(offset, b),
                None => {
                    c.fail(format!(
                        "launch `{}` names buffer {b}, which does not exist",
                        l.entry
                    ));
                }
            }
        }
        match &l.from_image {
            None => {
                let g = Grid::new(l.grid, l.block).shared(l.shared_mem_bytes);
                c.launch(l.entry, g, (args,));
            }
            Some(f) => {
                c.launch_contract(
                    l.entry,
                    f.contract,
                    (f.m, f.n, f.k),
                    f.tensor_maps.clone(),
                    (args,),
                );
            }
        }
    }
    let mut outputs = Vec::new();
    for k in &w.checks {
        match buf(k.buffer) {
            Some(b) => outputs.push((b, k.rule, k.sample.clone())),
            None => {
                c.fail(format!(
                    "a check names buffer {}, which does not exist",
                    k.buffer
                ));
            }
        }
    }
    let reference = w.reference;
    c.check_many(&outputs, move |h| reference(h.all()));
}
