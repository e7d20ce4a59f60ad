//! [`Case`]: what a bench's body declares for one point of its axes — buffers, launches,
//! the bytes and FLOPs the roofline columns use, and the correctness check (a CPU
//! reference closure, a reference kernel, or a recorded reason for none).
//!
//! The body runs on the host without a GPU (to list cases, and in each worker to build the
//! case): it only declares. A mistake in it (an unknown axis, a zero-sized buffer, a
//! missing check) is recorded and reported as that case's error; the other cases still run.

use std::sync::Arc;

use super::args::{Args, Grid};
use super::axis::Value;
use crate::workload::Fill;
use crate::workload::{
    element_bytes, typed, AnyBuf, Buf, Buffer, Check, DType, Element, Expected, FromImage,
    GemmOperands, Launch, PairedCall, Role, Rule, Set, TensorMapSlot, Workload,
};

/// A reference closure: every buffer's initial contents in, some outputs' bytes out.
type RefFn = Arc<dyn Fn(&Host<'_>) -> Vec<Vec<u8>> + Send + Sync>;

/// The declarations of one case (see the module docs).
pub struct Case {
    bench: String,
    point: Vec<(String, Value)>,
    set: Set,
    label: Option<String>,
    buffers: Vec<Buffer>,
    launches: Vec<Launch>,
    reference_launches: Vec<Launch>,
    checks: Vec<Check>,
    /// Each reference closure and the checks (by index) its outputs go to, in order.
    refs: Vec<(Vec<usize>, RefFn)>,
    unchecked: Option<String>,
    paired: Option<PairedCall>,
    bytes: u64,
    flops: u64,
    errors: Vec<String>,
}

/// The initial contents of a case's buffers, for its CPU reference: inputs and in-outs as
/// filled (an in-out as it was before the kernels ran), outputs and scratch empty.
///
/// ```ignore
/// c.check(&y, Rule::close(1e-6, 1e-7), move |h| {
///     h[&x].iter().zip(&h[&y]).map(|(x, y)| 2.0 * x + y).collect()
/// });
/// ```
pub struct Host<'a> {
    bytes: &'a [&'a [u8]],
}

impl<'a> Host<'a> {
    /// A view of buffers' bytes (indexed like the workload's buffers).
    pub fn new(bytes: &'a [&'a [u8]]) -> Self {
        Host { bytes }
    }

    /// Every buffer's initial bytes, indexed like the case's buffers in declaration order.
    pub fn all(&self) -> &'a [&'a [u8]] {
        self.bytes
    }

    /// Buffer `b`'s initial bytes.
    pub fn bytes(&self, b: impl Into<super::args::AnyBufRef>) -> &'a [u8] {
        self.bytes.get(b.into().0).copied().unwrap_or(&[])
    }

    /// Buffer `b`'s initial elements.
    pub fn get<T: Element>(&self, b: &Buf<T>) -> &'a [T] {
        let bytes = self.bytes.get(b.index()).copied().unwrap_or(&[]);
        match typed::<T>(bytes) {
            Some(v) => v,
            // Host buffers are 16-byte aligned by the engine; anything else is a bug there.
            None => panic!(
                "buffer {} is not aligned for {:?} elements",
                b.index(),
                T::DTYPE
            ),
        }
    }
}

impl<'a, T: Element> std::ops::Index<&Buf<T>> for Host<'a> {
    type Output = [T];
    fn index(&self, b: &Buf<T>) -> &[T] {
        self.get(b)
    }
}
impl<'a, T: Element> std::ops::Index<Buf<T>> for Host<'a> {
    type Output = [T];
    fn index(&self, b: Buf<T>) -> &[T] {
        self.get(&b)
    }
}

impl Case {
    pub(crate) fn new(bench: &str, point: Vec<(String, Value)>, set: Set) -> Self {
        Case {
            bench: bench.to_string(),
            point,
            set,
            label: None,
            buffers: Vec::new(),
            launches: Vec::new(),
            reference_launches: Vec::new(),
            checks: Vec::new(),
            refs: Vec::new(),
            unchecked: None,
            paired: None,
            bytes: 0,
            flops: 0,
            errors: Vec::new(),
        }
    }

    fn error(&mut self, msg: String) {
        if !self.errors.contains(&msg) {
            self.errors.push(msg);
        }
    }

    fn axis_names(&self) -> String {
        self.point
            .iter()
            .map(|(n, _)| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    // --- axis values ------------------------------------------------------------------------

    /// The value of axis `name`, if the bench has that axis.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.point.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Integer axis `name` (an unknown axis or a string value is this case's error; 0).
    pub fn int(&mut self, name: &str) -> i64 {
        match self.value(name).cloned() {
            Some(Value::Int(i)) => i,
            Some(Value::Str(s)) => match s.parse() {
                Ok(i) => i,
                Err(_) => {
                    self.error(format!("axis `{name}` is `{s}`, not an integer"));
                    0
                }
            },
            None => {
                let names = self.axis_names();
                self.error(format!(
                    "bench `{}` has no axis `{name}` (its axes: {})",
                    self.bench,
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names
                    }
                ));
                0
            }
        }
    }

    /// Integer axis `name` as a size (a negative value is this case's error; 0).
    pub fn usize(&mut self, name: &str) -> usize {
        let v = self.int(name);
        usize::try_from(v).unwrap_or_else(|_| {
            self.error(format!("axis `{name}` is {v}, not a size"));
            0
        })
    }

    /// String axis `name` (an unknown axis is this case's error; empty).
    pub fn str(&mut self, name: &str) -> String {
        match self.value(name) {
            Some(v) => v.to_string(),
            None => {
                let names = self.axis_names();
                self.error(format!(
                    "bench `{}` has no axis `{name}` (its axes: {})",
                    self.bench,
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names
                    }
                ));
                String::new()
            }
        }
    }

    /// Axis `name` naming an element type (`f32`, `bf16`, `u8`, …).
    pub fn dtype(&mut self, name: &str) -> DType {
        let s = self.str(name);
        match parse_dtype(&s) {
            Some(d) => d,
            None => {
                if !s.is_empty() {
                    self.error(format!(
                        "axis `{name}` is `{s}`, not an element type (u8, i8, i16, u16, i32, u32, i64, u64, f16, bf16, f32, f64)"
                    ));
                }
                DType::F32
            }
        }
    }

    /// The value of the `impl` axis, when the bench has one.
    pub fn implementation(&self) -> Option<String> {
        self.value("impl").map(Value::to_string)
    }

    /// Which set of cases this is (`--quick`, the edge set, or the default).
    pub fn set(&self) -> Set {
        self.set
    }

    /// Marks the case as not runnable, and why (an axis combination the kernel does not
    /// support, …); it is reported as an error and the other cases run.
    pub fn fail(&mut self, reason: impl Into<String>) -> &mut Self {
        self.error(reason.into());
        self
    }

    /// Names the case (default: its axis values, `n=1048576 impl=warp`).
    pub fn label(&mut self, label: impl Into<String>) -> &mut Self {
        self.label = Some(label.into());
        self
    }

    // --- buffers ----------------------------------------------------------------------------

    fn buffer<T: Element>(&mut self, name: &str, len: usize, role: Role) -> Buf<T> {
        let b = self.raw(name, T::DTYPE, len.saturating_mul(T::DTYPE.size()), role);
        Buf::new(b.index, len)
    }

    /// An input of `len` elements, filled from the case's seed before the case runs.
    pub fn input<T: Element>(&mut self, name: &str, len: usize, fill: Fill) -> Buf<T> {
        self.buffer(name, len, Role::Input(fill))
    }

    /// An output of `len` elements (poisoned with 0xFF bytes before each checked run).
    pub fn output<T: Element>(&mut self, name: &str, len: usize) -> Buf<T> {
        self.buffer(name, len, Role::Output)
    }

    /// A buffer the kernels read and write: filled, and restored to the same contents
    /// before the checked run and before every timed sample.
    pub fn inout<T: Element>(&mut self, name: &str, len: usize, fill: Fill) -> Buf<T> {
        self.buffer(name, len, Role::InOut(fill))
    }

    /// Device scratch of `len` elements (contents undefined).
    pub fn scratch<T: Element>(&mut self, name: &str, len: usize) -> Buf<T> {
        self.buffer(name, len, Role::Scratch)
    }

    /// A buffer of `bytes` bytes whose element type is known at run time (pitched images,
    /// dtype axes).
    pub fn raw(&mut self, name: &str, dtype: DType, bytes: usize, role: Role) -> AnyBuf {
        if bytes == 0 {
            self.error(format!(
                "buffer `{name}` is empty (0 bytes): these axis values make no work; leave them out of the axis"
            ));
        } else if !bytes.is_multiple_of(dtype.size()) {
            self.error(format!(
                "buffer `{name}` is {bytes} bytes, not a whole number of {} elements",
                dtype.name()
            ));
        }
        if self.buffers.iter().any(|b| b.name == name) {
            self.error(format!("two buffers are named `{name}`"));
        }
        self.buffers.push(Buffer {
            name: name.to_string(),
            dtype,
            bytes,
            role,
        });
        AnyBuf {
            index: self.buffers.len() - 1,
            dtype,
            bytes,
        }
    }

    // --- launches ---------------------------------------------------------------------------

    fn make_launch(&mut self, entry: &str, grid: Grid, args: &dyn Args) -> Launch {
        if let Some(e) = grid.error {
            self.error(format!("launch `{entry}`: {e}"));
        }
        if grid.grid.contains(&0) || grid.block.contains(&0) {
            self.error(format!(
                "launch `{entry}` has grid {:?} and block {:?}: a zero dimension launches no work (these axis values make no work; leave them out of the axis)",
                grid.grid, grid.block
            ));
        }
        let threads: u64 = grid.block.iter().map(|&d| u64::from(d)).product();
        if threads > 1024 {
            self.error(format!(
                "launch `{entry}` has {threads} threads per block; CUDA allows at most 1024"
            ));
        }
        let [gx, gy, gz] = grid.grid;
        if gx >= 1 << 31 || gy > 65_535 || gz > 65_535 {
            self.error(format!(
                "launch `{entry}` has grid {:?}; CUDA allows at most 2^31 - 1 blocks in x and 65535 in y and z",
                grid.grid
            ));
        }
        if grid.block[2] > 64 {
            self.error(format!(
                "launch `{entry}` has block {:?}; CUDA allows at most 64 threads in z",
                grid.block
            ));
        }
        let p = args.pack();
        self.check_pointers(entry, &p.pointers);
        Launch {
            entry: entry.to_string(),
            grid: grid.grid,
            block: grid.block,
            shared_mem_bytes: grid.shared_mem_bytes,
            params: p.params,
            args: p.args,
            pointers: p.pointers,
            from_image: None,
        }
    }

    fn check_pointers(&mut self, entry: &str, pointers: &[(usize, usize)]) {
        for &(_, b) in pointers {
            if b >= self.buffers.len() {
                self.error(format!(
                    "launch `{entry}` passes buffer #{b}, which this case did not declare (a handle from another case?)"
                ));
            }
        }
    }

    /// Launches `entry` (an `extern "C" __global__` function of the bench's image) with
    /// `args`, a tuple in the kernel's parameter order. Launches are timed together, in
    /// the order declared.
    pub fn launch(&mut self, entry: &str, grid: Grid, args: impl Args) -> &mut Self {
        let l = self.make_launch(entry, grid, &args);
        self.launches.push(l);
        self
    }

    /// Launches `entry` shaped by the loaded image's launch contract `contract` (a
    /// `LaunchContract` global; see [`crate::gpu::contract`]) for an `m` x `n` output `k`
    /// deep; `tensor_maps` are encoded into the parameters when the contract asks for them.
    #[allow(clippy::too_many_arguments)]
    pub fn launch_contract(
        &mut self,
        entry: &str,
        contract: &str,
        (m, n, k): (u64, u64, u64),
        tensor_maps: Vec<TensorMapSlot>,
        args: impl Args,
    ) -> &mut Self {
        let p = args.pack();
        self.check_pointers(entry, &p.pointers);
        if m == 0 || n == 0 || k == 0 {
            self.error(format!(
                "launch `{entry}` covers a {m}x{n}x{k} problem: a zero dimension makes no work"
            ));
        }
        self.launches.push(Launch {
            entry: entry.to_string(),
            grid: [0; 3],
            block: [0; 3],
            shared_mem_bytes: 0,
            params: p.params,
            args: p.args,
            pointers: p.pointers,
            from_image: Some(FromImage {
                contract: contract.to_string(),
                m,
                n,
                k,
                tensor_maps,
            }),
        });
        self
    }

    // --- work -------------------------------------------------------------------------------

    /// Adds `n` elements of `T` to the bytes the case must read.
    pub fn reads<T: Element>(&mut self, n: usize) -> &mut Self {
        self.bytes = self.bytes.saturating_add((n * T::DTYPE.size()) as u64);
        self
    }

    /// Adds `n` elements of `T` to the bytes the case must write.
    pub fn writes<T: Element>(&mut self, n: usize) -> &mut Self {
        self.reads::<T>(n)
    }

    /// Adds `n` bytes the case must move.
    pub fn bytes(&mut self, n: u64) -> &mut Self {
        self.bytes = self.bytes.saturating_add(n);
        self
    }

    /// Adds `n` arithmetic operations the case must do.
    pub fn flops(&mut self, n: u64) -> &mut Self {
        self.flops = self.flops.saturating_add(n);
        self
    }

    // --- checks -----------------------------------------------------------------------------

    fn checkable(&mut self, index: usize, what: &str) -> bool {
        match self.buffers.get(index).map(|b| b.role) {
            Some(Role::Output | Role::InOut(_)) => true,
            Some(_) => {
                let name = self.buffers[index].name.clone();
                self.error(format!(
                    "{what} checks `{name}`, which is not an output or in-out buffer"
                ));
                false
            }
            None => {
                self.error(format!(
                    "{what} names buffer #{index}, which this case did not declare"
                ));
                false
            }
        }
    }

    /// Checks output `out` under `rule` against `reference`, which computes the expected
    /// elements on the CPU from the buffers' initial contents.
    pub fn check<T: Element>(
        &mut self,
        out: &Buf<T>,
        rule: Rule,
        reference: impl Fn(&Host<'_>) -> Vec<T> + Send + Sync + 'static,
    ) -> &mut Self {
        self.add_check(out.index(), rule, None, move |h| {
            vec![element_bytes(&reference(h))]
        })
    }

    /// Checks the elements of `out` at `indices` (a sample of a huge output) against
    /// `reference`, which computes those elements, in that order.
    pub fn check_sampled<T: Element>(
        &mut self,
        out: &Buf<T>,
        rule: Rule,
        indices: Vec<usize>,
        reference: impl Fn(&Host<'_>) -> Vec<T> + Send + Sync + 'static,
    ) -> &mut Self {
        self.add_check(out.index(), rule, Some(indices), move |h| {
            vec![element_bytes(&reference(h))]
        })
    }

    fn add_check(
        &mut self,
        index: usize,
        rule: Rule,
        sample: Option<Vec<usize>>,
        f: impl Fn(&Host<'_>) -> Vec<Vec<u8>> + Send + Sync + 'static,
    ) -> &mut Self {
        if self.checkable(index, "a check") {
            let k = self.host_outputs();
            self.checks.push(Check {
                buffer: index,
                rule,
                sample,
                expected: Expected::Host(k),
            });
            let at = self.checks.len() - 1;
            self.refs.push((vec![at], Arc::new(f)));
        }
        self
    }

    fn host_outputs(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| matches!(c.expected, Expected::Host(_)))
            .count()
    }

    /// Checks several outputs against one reference that computes all of them as bytes, in
    /// the order given: `(buffer, rule, sampled indices)`.
    pub fn check_many(
        &mut self,
        outputs: &[(AnyBuf, Rule, Option<Vec<usize>>)],
        reference: impl Fn(&Host<'_>) -> Vec<Vec<u8>> + Send + Sync + 'static,
    ) -> &mut Self {
        let mut at = Vec::new();
        for (b, rule, sample) in outputs {
            if self.checkable(b.index, "a check") {
                let k = self.host_outputs();
                self.checks.push(Check {
                    buffer: b.index,
                    rule: *rule,
                    sample: sample.clone(),
                    expected: Expected::Host(k),
                });
                at.push(self.checks.len() - 1);
            }
        }
        if at.len() == outputs.len() {
            self.refs.push((at, Arc::new(reference)));
        }
        self
    }

    /// Launches a reference kernel (untimed, on the same inputs, before the case runs) that
    /// writes the expected values for [`check_against`](Self::check_against).
    pub fn reference_kernel(&mut self, entry: &str, grid: Grid, args: impl Args) -> &mut Self {
        let l = self.make_launch(entry, grid, &args);
        self.reference_launches.push(l);
        self
    }

    /// Checks output `out` under `rule` against `expected`, a buffer the reference kernels
    /// wrote.
    pub fn check_against<T: Element>(
        &mut self,
        out: &Buf<T>,
        expected: &Buf<T>,
        rule: Rule,
    ) -> &mut Self {
        if self.checkable(out.index(), "a check") && self.checkable(expected.index(), "a reference")
        {
            self.checks.push(Check {
                buffer: out.index(),
                rule,
                sample: None,
                expected: Expected::Buffer(expected.index()),
            });
        }
        self
    }

    // --- a library beside it ---------------------------------------------------------------

    /// Times cuBLAS's GEMM beside this case, sample by sample, when the run asks for it
    /// (`archbench run --paired`, `cargo bench -- --paired`): `C = A·Bᵀ` on row-major `a`
    /// (m×k) and `b` (n×k), bf16 or f32, f32 accumulation, into a buffer of cuBLAS's own.
    /// `out` is the case's checked m×n f32 output holding the same product: cuBLAS's result
    /// is checked against it with twice its check's tolerance, so both did the same work.
    ///
    /// ```ignore
    /// c.paired_cublas_gemm(a, b, out, (m, n, k));
    /// ```
    pub fn paired_cublas_gemm(
        &mut self,
        a: impl Into<super::args::AnyBufRef>,
        b: impl Into<super::args::AnyBufRef>,
        out: impl Into<super::args::AnyBufRef>,
        (m, n, k): (u64, u64, u64),
    ) -> &mut Self {
        let (a, b, out) = (a.into().0, b.into().0, out.into().0);
        let what = "paired_cublas_gemm";
        if [m, n, k].iter().any(|&d| d == 0 || d > i32::MAX as u64) {
            self.error(format!(
                "{what}: the dimensions {m}x{n}x{k} must each be 1 to 2^31-1 (cuBLAS takes 32-bit sizes)"
            ));
            return self;
        }
        let dtype = self.buffers.get(a).map(|x| x.dtype);
        let wants = [(a, "a", m * k, dtype), (b, "b", n * k, dtype)];
        for (index, name, elements, dtype) in wants {
            let Some(buf) = self.buffers.get(index) else {
                self.error(format!(
                    "{what}: `{name}` names buffer #{index}, which this case did not declare"
                ));
                return self;
            };
            if !matches!(buf.dtype, DType::Bf16 | DType::F32) || Some(buf.dtype) != dtype {
                self.error(format!(
                    "{what}: `{}` is {}, and cuBLAS's GEMM here takes a and b both bf16 or both f32",
                    buf.name,
                    buf.dtype.name()
                ));
                return self;
            }
            let need = elements.saturating_mul(buf.dtype.size() as u64);
            if (buf.bytes as u64) < need {
                self.error(format!(
                    "{what}: `{}` holds {} bytes, and a {m}x{n}x{k} GEMM reads {need} from it",
                    buf.name, buf.bytes
                ));
                return self;
            }
        }
        match self.buffers.get(out) {
            Some(o) if o.dtype == DType::F32 && o.bytes as u64 >= m * n * 4 => {}
            Some(o) => {
                self.error(format!(
                    "{what}: the output `{}` must be f32 with at least {m}x{n} elements ({} bytes); it is {} of {} bytes",
                    o.name,
                    m * n * 4,
                    o.dtype.name(),
                    o.bytes
                ));
                return self;
            }
            None => {
                self.error(format!(
                    "{what}: `out` names buffer #{out}, which this case did not declare"
                ));
                return self;
            }
        }
        self.paired = dtype.map(|dtype| {
            PairedCall::CublasGemm(GemmOperands {
                a,
                b,
                out,
                m,
                n,
                k,
                dtype,
            })
        });
        self
    }

    /// Times a device-to-device copy of `bytes` (between two buffers of the engine's own)
    /// beside this case, sample by sample, when the run asks for it (`--paired`): for a
    /// memory-bound case, `% of copy` from the same clocks and the same cold L2. Give the
    /// bytes each way — half the bytes the case must move, when it reads and writes alike.
    pub fn paired_device_copy(&mut self, bytes: u64) -> &mut Self {
        if bytes == 0 {
            self.error("paired_device_copy: a copy of 0 bytes times nothing; give the bytes each way (half the case's read + write bytes)".into());
            return self;
        }
        self.paired = Some(PairedCall::DeviceCopy { bytes });
        self
    }

    /// Declares that this case has no correctness check, and why (recorded with its
    /// results). A case that writes outputs needs a check or this.
    pub fn no_check(&mut self, reason: impl Into<String>) -> &mut Self {
        let reason = reason.into();
        if reason.trim().is_empty() {
            self.error("no_check needs a reason (it is recorded with the results)".into());
        }
        self.unchecked = Some(reason);
        self
    }

    // --- results ----------------------------------------------------------------------------

    /// The case's label: the one set, else its axis values.
    pub(crate) fn label_text(&self) -> String {
        match &self.label {
            Some(l) => l.clone(),
            None if self.point.is_empty() => "default".into(),
            None => self
                .point
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    pub(crate) fn point(&self) -> &[(String, Value)] {
        &self.point
    }

    pub(crate) fn work(&self) -> (u64, u64) {
        (self.bytes, self.flops)
    }

    /// The reason given for having no check, when the case has none.
    pub(crate) fn unchecked_reason(&self) -> Option<String> {
        self.checks
            .is_empty()
            .then(|| self.unchecked.clone())
            .flatten()
    }

    /// Whole-case rules: something to launch, and a check (or a reason for none).
    fn validate(&mut self) {
        if self.launches.is_empty() {
            self.error("the case declares no launch".into());
        }
        let writes = self
            .buffers
            .iter()
            .any(|b| matches!(b.role, Role::Output | Role::InOut(_)));
        if self.checks.is_empty() && self.unchecked.is_none() {
            self.error(if writes {
                "the case has no correctness check: add `c.check(&out, rule, |h| …)` (a CPU reference), `c.check_against(&out, &expected, rule)` (a reference kernel), or `c.no_check(\"why\")`".into()
            } else {
                "the case has no correctness check and no output: declare the output it writes and check it, or `c.no_check(\"why\")`".into()
            });
        }
        if let Some(PairedCall::CublasGemm(g)) = &self.paired {
            if !self.checks.iter().any(|c| c.buffer == g.out) {
                self.error(
                    "paired_cublas_gemm: its output is checked against the case's output `out`, which has no check: add one (`c.check(&out, …)`)".into(),
                );
            }
        }
        if !self.checks.is_empty() && self.unchecked.is_some() {
            self.unchecked = None;
        }
        if self.reference_launches.is_empty()
            && self
                .checks
                .iter()
                .any(|c| matches!(c.expected, Expected::Buffer(_)))
        {
            self.error(
                "`check_against` compares with a buffer a reference kernel writes, and the case launches none: add `c.reference_kernel(…)`".into(),
            );
        }
    }

    /// The errors of the declaration, after the whole-case rules.
    pub(crate) fn errors(&mut self) -> Vec<String> {
        self.validate();
        self.errors.clone()
    }

    /// The workload, or what is wrong with the declaration.
    pub(crate) fn into_workload(mut self) -> Result<Workload, String> {
        let errors = self.errors();
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
        let refs = std::mem::take(&mut self.refs);
        let n_host = self.host_outputs();
        // Output k of the combined reference goes to check `checks[...]` with Host(k).
        let slots: Vec<Vec<usize>> = refs
            .iter()
            .map(|(checks, _)| {
                checks
                    .iter()
                    .filter_map(|&c| match self.checks.get(c).map(|c| &c.expected) {
                        Some(Expected::Host(k)) => Some(*k),
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        let fns: Vec<RefFn> = refs.into_iter().map(|(_, f)| f).collect();
        let reference = move |bufs: &[&[u8]]| -> Vec<Vec<u8>> {
            let host = Host::new(bufs);
            let mut out = vec![Vec::new(); n_host];
            for (f, slots) in fns.iter().zip(&slots) {
                let got = f(&host);
                // Caught by the engine and recorded as the case's error.
                assert!(
                    got.len() == slots.len(),
                    "the reference returned {} output(s); its check declared {}",
                    got.len(),
                    slots.len()
                );
                for (k, bytes) in slots.iter().zip(got) {
                    if let Some(o) = out.get_mut(*k) {
                        *o = bytes;
                    }
                }
            }
            out
        };
        Ok(Workload {
            buffers: self.buffers,
            launches: self.launches,
            checks: self.checks,
            reference: Box::new(reference),
            reference_launches: self.reference_launches,
            unchecked: self.unchecked,
            paired: self.paired,
        })
    }
}

/// `f32` → [`DType::F32`], …
pub fn parse_dtype(s: &str) -> Option<DType> {
    Some(match s {
        "u8" => DType::U8,
        "i8" => DType::I8,
        "i16" => DType::I16,
        "u16" => DType::U16,
        "i32" => DType::I32,
        "u32" => DType::U32,
        "i64" => DType::I64,
        "u64" => DType::U64,
        "f16" => DType::F16,
        "bf16" => DType::Bf16,
        "f32" => DType::F32,
        "f64" => DType::F64,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::Grid;

    fn case(n: i64) -> Case {
        Case::new("b", vec![("n".into(), Value::Int(n))], Set::Default)
    }

    #[test]
    fn declaration_mistakes_are_the_cases_errors() {
        let mut c = case(4);
        let n = c.usize("n");
        let x = c.input::<f32>("x", n, Fill::Zero);
        let y = c.output::<f32>("y", n);
        let r = c.output::<f32>("r", n);
        c.launch("k", Grid::new((1u32, 70_000u32), 64u32), (&y, &x));
        c.launch("k", Grid::new(1u32, (1u32, 1u32, 128u32)), (&y, &x));
        c.check_against(&y, &r, Rule::exact());
        let _ = c.int("m");
        let e = c.errors().join("\n");
        assert!(e.contains("65535 in y and z"), "{e}");
        assert!(e.contains("at most 64 threads in z"), "{e}");
        assert!(e.contains("add `c.reference_kernel(…)`"), "{e}");
        assert!(e.contains("has no axis `m` (its axes: `n`)"), "{e}");

        let mut c = case(0);
        let n = c.usize("n");
        let y = c.output::<f32>("y", n);
        c.launch("k", Grid::cover(n, 256), (&y,));
        let e = c.errors().join("\n");
        assert!(e.contains("make no work"), "{e}");
        assert!(e.contains("no correctness check"), "{e}");

        let mut c = case(4);
        let y = c.output::<f32>("y", 4);
        c.launch("k", Grid::cover(4, 256), (&y,)).no_check(" ");
        assert!(c.errors().join("\n").contains("no_check needs a reason"));
    }

    #[test]
    fn a_reference_returning_too_few_outputs_says_so() {
        let mut c = case(4);
        let a = c.output::<f32>("a", 4);
        let b = c.output::<f32>("b", 4);
        c.launch("k", Grid::cover(4, 256), (&a, &b));
        c.check_many(
            &[
                (a.any(), Rule::exact(), None),
                (b.any(), Rule::exact(), None),
            ],
            |_| vec![vec![0; 16]],
        );
        let w = c.into_workload().unwrap();
        let e = crate::panics::catch(|| (w.reference)(&[&[], &[]])).unwrap_err();
        assert!(
            e.contains("returned 1 output(s); its check declared 2"),
            "{e}"
        );
    }

    /// A GEMM case declares cuBLAS beside it; every wrong declaration is the case's error.
    #[test]
    fn a_paired_cublas_gemm_is_declared_or_refused_with_why() {
        let gemm = |m: usize, n: usize, k: usize, check: bool| {
            let mut c = case(1);
            let a = c.input::<crate::workload::Bf16>("a", m * k, Fill::Uniform(-1.0, 1.0));
            let b = c.input::<crate::workload::Bf16>("b", n * k, Fill::Uniform(-1.0, 1.0));
            let out = c.output::<f32>("c", m * n);
            c.launch("gemm", Grid::cover(m * n, 256), (&a, &b, &out));
            if check {
                c.check(&out, Rule::close(1e-3, 1e-3), move |_| vec![0.0; m * n]);
            } else {
                c.no_check("not yet");
            }
            (c, a, b, out)
        };
        let (mut c, a, b, out) = gemm(128, 256, 64, true);
        c.paired_cublas_gemm(a, b, out, (128, 256, 64));
        let w = c.into_workload().unwrap();
        assert_eq!(
            w.paired,
            Some(PairedCall::CublasGemm(GemmOperands {
                a: 0,
                b: 1,
                out: 2,
                m: 128,
                n: 256,
                k: 64,
                dtype: DType::Bf16
            }))
        );
        assert!(w.paired.unwrap().name().contains("bf16 128x256x64"));

        let (mut c, a, b, out) = gemm(128, 256, 64, true);
        c.paired_cublas_gemm(a, b, out, (128, 256, 128));
        let e = c.errors().join("\n");
        assert!(
            e.contains("`a` holds 16384 bytes, and a 128x256x128 GEMM reads 32768"),
            "{e}"
        );

        let (mut c, a, _, out) = gemm(128, 256, 64, true);
        c.paired_cublas_gemm(a, a, out, (0, 256, 64));
        assert!(c.errors().join("\n").contains("must each be 1 to 2^31-1"));

        let (mut c, a, b, _) = gemm(128, 256, 64, true);
        c.paired_cublas_gemm(a, b, a, (128, 256, 64));
        let e = c.errors().join("\n");
        assert!(e.contains("the output `a` must be f32"), "{e}");

        let (mut c, a, b, out) = gemm(128, 256, 64, false);
        c.paired_cublas_gemm(a, b, out, (128, 256, 64));
        let e = c.errors().join("\n");
        assert!(e.contains("which has no check"), "{e}");

        let mut c = case(1);
        let x = c.input::<u8>("x", 64, Fill::Zero);
        let y = c.output::<f32>("y", 64);
        c.launch("k", Grid::cover(64, 64), (&x, &y));
        c.check(&y, Rule::exact(), |_| vec![0.0; 64]);
        c.paired_cublas_gemm(x, x, y, (8, 8, 8));
        let e = c.errors().join("\n");
        assert!(e.contains("`x` is u8"), "{e}");

        let (mut c, ..) = gemm(128, 256, 64, true);
        c.paired_device_copy(0);
        assert!(c
            .errors()
            .join("\n")
            .contains("a copy of 0 bytes times nothing"));
        let (mut c, ..) = gemm(128, 256, 64, true);
        c.paired_device_copy(4096);
        let w = c.into_workload().unwrap();
        assert_eq!(w.paired, Some(PairedCall::DeviceCopy { bytes: 4096 }));
    }
}
