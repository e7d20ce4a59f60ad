//! The engine's input, as data: what one case of a bench needs (its buffers with seeded
//! random inputs, its launches, its correctness checks), and [`CaseSource`], the one trait
//! through which the engine reads a suite's benches and cases.
//!
//! Nothing here touches a GPU or knows a kernel. The public bench API ([`crate::bench`])
//! builds these values from a user's declarations; the engine ([`crate::run`]) executes
//! them without knowing which kernel they are.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

/// Element types of buffers (for fills, typed views and comparisons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    U8,
    I8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F16,
    Bf16,
    F32,
    F64,
}

impl DType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::U8 | DType::I8 => 1,
            DType::I16 | DType::U16 | DType::F16 | DType::Bf16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 => 8,
        }
    }

    /// The short name used in labels (`f32`, `bf16`, `u8`, …).
    pub fn name(self) -> &'static str {
        match self {
            DType::U8 => "u8",
            DType::I8 => "i8",
            DType::I16 => "i16",
            DType::U16 => "u16",
            DType::I32 => "i32",
            DType::U32 => "u32",
            DType::I64 => "i64",
            DType::U64 => "u64",
            DType::F16 => "f16",
            DType::Bf16 => "bf16",
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }

    /// Whether elements are floating point.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::Bf16 | DType::F32 | DType::F64)
    }

    /// Element `i` of `bytes` (little-endian) as an f64, or `None` past the end.
    pub fn element(self, bytes: &[u8], i: usize) -> Option<f64> {
        let s = self.size();
        let b = bytes.get(i.checked_mul(s)?..i.checked_mul(s)?.checked_add(s)?)?;
        let a2 = || [b[0], b[1]];
        let a4 = || [b[0], b[1], b[2], b[3]];
        let a8 = || [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]];
        Some(match self {
            DType::U8 => f64::from(b[0]),
            DType::I8 => f64::from(b[0] as i8),
            DType::I16 => f64::from(i16::from_le_bytes(a2())),
            DType::U16 => f64::from(u16::from_le_bytes(a2())),
            DType::I32 => f64::from(i32::from_le_bytes(a4())),
            DType::U32 => f64::from(u32::from_le_bytes(a4())),
            DType::I64 => i64::from_le_bytes(a8()) as f64,
            DType::U64 => u64::from_le_bytes(a8()) as f64,
            DType::F16 => f64::from(F16(u16::from_le_bytes(a2())).to_f32()),
            DType::Bf16 => f64::from(Bf16(u16::from_le_bytes(a2())).to_f32()),
            DType::F32 => f64::from(f32::from_le_bytes(a4())),
            DType::F64 => f64::from_le_bytes(a8()),
        })
    }
}

/// bfloat16: the top 16 bits of an f32. `Bf16::from_f32` rounds to nearest even.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[repr(transparent)]
pub struct Bf16(pub u16);

impl Bf16 {
    /// Rounds to nearest even; NaN stays a (quiet) NaN.
    pub fn from_f32(x: f32) -> Self {
        let b = x.to_bits();
        if x.is_nan() {
            return Bf16(((b >> 16) as u16) | 0x40);
        }
        let round = 0x7fff + ((b >> 16) & 1);
        Bf16((b.wrapping_add(round) >> 16) as u16)
    }

    /// Exact.
    pub fn to_f32(self) -> f32 {
        f32::from_bits(u32::from(self.0) << 16)
    }
}

/// IEEE 754 half precision. `F16::from_f32` rounds to nearest even.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[repr(transparent)]
pub struct F16(pub u16);

impl F16 {
    /// Rounds to nearest even, overflowing to infinity; NaN stays NaN.
    pub fn from_f32(x: f32) -> Self {
        let b = x.to_bits();
        let sign = ((b >> 16) & 0x8000) as u16;
        let exp = ((b >> 23) & 0xff) as i32;
        let man = b & 0x7f_ffff;
        if exp == 0xff {
            return F16(sign | 0x7c00 | if man != 0 { 0x200 } else { 0 });
        }
        let e = exp - 127 + 15;
        if e >= 0x1f {
            return F16(sign | 0x7c00);
        }
        if e <= 0 {
            // Subnormal or zero: shift the full mantissa (with its hidden bit) into place.
            if e < -10 {
                return F16(sign);
            }
            let m = man | 0x80_0000;
            let shift = (14 - e) as u32;
            let half = 1u32 << (shift - 1);
            let rest = m & ((1u32 << shift) - 1);
            let mut h = m >> shift;
            if rest > half || (rest == half && h & 1 == 1) {
                h += 1;
            }
            return F16(sign | h as u16);
        }
        let mut h = ((e as u32) << 10) | (man >> 13);
        let rest = man & 0x1fff;
        if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) {
            h += 1; // may carry into the exponent, up to infinity: correct rounding
        }
        F16(sign | h as u16)
    }

    /// Exact.
    pub fn to_f32(self) -> f32 {
        let h = u32::from(self.0);
        let sign = (h & 0x8000) << 16;
        let exp = (h >> 10) & 0x1f;
        let man = h & 0x3ff;
        let bits = match (exp, man) {
            (0, 0) => sign,
            (0, m) => {
                // Subnormal: normalise.
                let shift = m.leading_zeros() - 21;
                let m = (m << shift) & 0x3ff;
                sign | ((113 - shift) << 23) | (m << 13)
            }
            (0x1f, 0) => sign | 0x7f80_0000,
            (0x1f, m) => sign | 0x7fc0_0000 | (m << 13),
            (e, m) => sign | ((e + 112) << 23) | (m << 13),
        };
        f32::from_bits(bits)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A plain element type a buffer can hold: every bit pattern is a valid value, no padding,
/// little-endian on every platform archbench runs on.
pub trait Element: sealed::Sealed + Copy + Send + Sync + 'static {
    /// The element's [`DType`].
    const DTYPE: DType;
    /// This value as an f64 (for `Fill::Uniform` conversions and diagnostics).
    fn to_f64(self) -> f64;
    /// The nearest value to `x` (saturating for integers).
    fn from_f64(x: f64) -> Self;
}

macro_rules! element {
    ($($t:ty => $d:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            fn to_f64(self) -> f64 { self as f64 }
            fn from_f64(x: f64) -> Self { x as $t }
        }
    )*};
}
element!(u8 => U8, i8 => I8, i16 => I16, u16 => U16, i32 => I32, u32 => U32, i64 => I64,
    u64 => U64, f32 => F32, f64 => F64);

impl sealed::Sealed for Bf16 {}
impl Element for Bf16 {
    const DTYPE: DType = DType::Bf16;
    fn to_f64(self) -> f64 {
        f64::from(self.to_f32())
    }
    fn from_f64(x: f64) -> Self {
        Bf16::from_f32(x as f32)
    }
}
impl sealed::Sealed for F16 {}
impl Element for F16 {
    const DTYPE: DType = DType::F16;
    fn to_f64(self) -> f64 {
        f64::from(self.to_f32())
    }
    fn from_f64(x: f64) -> Self {
        F16::from_f32(x as f32)
    }
}

/// The bytes of a slice of elements.
pub fn element_bytes<T: Element>(values: &[T]) -> Vec<u8> {
    // SAFETY: `Element` types are plain integers/floats (or transparent u16 newtypes) with
    // no padding, so every byte of the slice is initialised.
    unsafe {
        std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
    }
    .to_vec()
}

/// How an input buffer is filled, from the case's seed (so every check gets fresh data and
/// every variant of a case the same data).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Fill {
    /// Uniform random bytes 0..=255 (images, bit patterns).
    Bytes,
    /// Uniform values in `[lo, hi)`, converted to the buffer's element type (integers
    /// truncate toward zero).
    Uniform(f32, f32),
    /// Zeroes.
    Zero,
    /// Every element this value.
    Value(f64),
    /// Element `i` is `i` (converted to the element type, saturating).
    Iota,
}

/// What a buffer is for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Role {
    /// Read by the kernels; filled before the case.
    Input(Fill),
    /// Read and written by the kernels; filled before the case and restored to the same
    /// contents before every checked run and every timed sample.
    InOut(Fill),
    /// Written by the kernels; poisoned (0xFF bytes) before each checked run.
    Output,
    /// Device scratch; contents undefined.
    Scratch,
}

impl Role {
    /// The fill of an input or in-out buffer.
    pub fn fill(self) -> Option<Fill> {
        match self {
            Role::Input(f) | Role::InOut(f) => Some(f),
            Role::Output | Role::Scratch => None,
        }
    }
}

/// One device buffer of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Buffer {
    pub name: String,
    pub dtype: DType,
    /// Size in bytes (pitched images include their padding).
    pub bytes: usize,
    pub role: Role,
}

/// A typed handle to a buffer of a case (its index and length), given by the bench API.
#[derive(Debug)]
pub struct Buf<T> {
    index: usize,
    len: usize,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Buf<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Buf<T> {}

impl<T: Element> Buf<T> {
    /// A handle to buffer `index` of `len` elements (the bench API makes these).
    pub fn new(index: usize, len: usize) -> Self {
        Buf {
            index,
            len,
            _t: PhantomData,
        }
    }
    /// The buffer's index in [`Workload::buffers`].
    pub fn index(&self) -> usize {
        self.index
    }
    /// Elements.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether the buffer has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The same buffer, untyped.
    pub fn any(&self) -> AnyBuf {
        AnyBuf {
            index: self.index,
            dtype: T::DTYPE,
            bytes: self.len * T::DTYPE.size(),
        }
    }
}

/// An untyped handle to a buffer of a case (element type known at run time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnyBuf {
    pub index: usize,
    pub dtype: DType,
    pub bytes: usize,
}

/// One kernel launch. Its arguments are packed into `params`: argument `i` is
/// `params[args[i].0 .. args[i].0 + args[i].1]`, and at each `(offset, buffer)` of
/// `pointers` the runtime writes that buffer's device address (8 bytes). For a launch with
/// [`FromImage`], `grid`, `block` and `shared_mem_bytes` are zero: the loaded image declares
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    pub entry: String,
    pub grid: [u32; 3],
    pub block: [u32; 3],
    pub shared_mem_bytes: u32,
    pub params: Vec<u8>,
    /// `(offset, size)` of each kernel parameter in `params`.
    pub args: Vec<(usize, usize)>,
    pub pointers: Vec<(usize, usize)>,
    pub from_image: Option<FromImage>,
}

/// A launch whose shape the loaded image declares: the module's global `contract` (a
/// [`crate::gpu::contract::LaunchContract`]) gives block size, dynamic shared memory, output
/// tile and whether the kernel is persistent; the grid covers an `m` x `n` output. For
/// entries whose code paths differ per architecture (the built-in gemm: wgmma on sm_90a,
/// mma.sync on sm_80+, SIMT below), since which image runs is the driver's choice.
#[derive(Debug, Clone, PartialEq)]
pub struct FromImage {
    pub contract: String,
    pub m: u64,
    pub n: u64,
    pub k: u64,
    /// Tensor maps the runtime encodes into the parameters when the contract asks for them.
    pub tensor_maps: Vec<TensorMapSlot>,
}

/// A 2-D row-major tensor (`rows` x `cols` of `dtype`) in buffer `buffer`, described by a
/// CUDA tensor map written at byte `offset` of the parameters; its box is the contract's
/// `tile_k` columns by `box_rows` (the contract's `tile_m` or `tile_n`) rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TensorMapSlot {
    pub offset: usize,
    pub buffer: usize,
    pub dtype: DType,
    pub rows: u64,
    pub cols: u64,
    pub box_rows: TileSide,
}

/// Which side of the contract's output tile a tensor map's box spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileSide {
    M,
    N,
}

/// A `#[repr(C)]` parameter struct passed to a kernel by value.
///
/// # Safety
/// Implement only for `Copy` structs of integers, floats and arrays of them, laid out
/// exactly like the kernel's C struct, without padding bytes (add explicit padding fields),
/// so that every byte is initialised.
pub unsafe trait Pod: Copy + 'static {}

/// Copies a [`Pod`] parameter struct into bytes.
pub fn pod_bytes<T: Pod>(value: &T) -> Vec<u8> {
    // SAFETY: `Pod` promises a padding-free struct of plain numbers: every byte is
    // initialised and no invariant depends on them.
    unsafe {
        std::slice::from_raw_parts((value as *const T).cast::<u8>(), std::mem::size_of::<T>())
    }
    .to_vec()
}

impl Launch {
    /// A launch whose one parameter is the struct `params`, with device pointers written at
    /// `pointers` = `(byte offset in the struct, buffer index)`.
    pub fn new<T: Pod>(
        entry: &str,
        grid: [u32; 3],
        block: [u32; 3],
        shared_mem_bytes: u32,
        params: &T,
        pointers: &[(usize, usize)],
    ) -> Self {
        let params = pod_bytes(params);
        Launch {
            entry: entry.to_string(),
            grid,
            block,
            shared_mem_bytes,
            args: vec![(0, params.len())],
            params,
            pointers: pointers.to_vec(),
            from_image: None,
        }
    }

    /// A launch shaped by the loaded image's contract (see [`FromImage`]).
    pub fn from_image<T: Pod>(
        entry: &str,
        shape: FromImage,
        params: &T,
        pointers: &[(usize, usize)],
    ) -> Self {
        let mut l = Launch::new(entry, [0; 3], [0; 3], 0, params, pointers);
        l.from_image = Some(shape);
        l
    }
}

/// How an output is compared with its reference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// Every element equal (NaN equals NaN).
    Exact,
    /// Elements within `max_diff` (e.g. 1 LSB for a rounding resize).
    WithinLsb { max_diff: u32 },
    /// |got − want| ≤ atol + rtol·|want| for every element.
    Close { rtol: f64, atol: f64 },
}

impl Rule {
    /// [`Rule::Exact`].
    pub fn exact() -> Self {
        Rule::Exact
    }
    /// [`Rule::Close`]: `|got − want| ≤ atol + rtol·|want|`.
    pub fn close(rtol: f64, atol: f64) -> Self {
        Rule::Close { rtol, atol }
    }
    /// [`Rule::WithinLsb`].
    pub fn within(max_diff: u32) -> Self {
        Rule::WithinLsb { max_diff }
    }
}

/// Where a check's expected values come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// Output `k` of [`Workload::reference`] (the CPU reference).
    Host(usize),
    /// The device buffer with this index, written by [`Workload::reference_launches`] (a
    /// reference kernel).
    Buffer(usize),
}

/// One checked output.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Index into [`Workload::buffers`] of an `Output` or `InOut`.
    pub buffer: usize,
    pub rule: Rule,
    /// Element indices the reference computes (sampled checks of huge outputs); `None` =
    /// every element.
    pub sample: Option<Vec<usize>>,
    pub expected: Expected,
}

/// The byte the runtime writes into every output before a checked run. Full (unsampled)
/// references give every byte of the buffer, padding included: image padding must keep this
/// poison, i.e. kernels must not write it.
pub const POISON: u8 = 0xFF;

/// A case's CPU reference: every buffer's initial bytes in (indexed like
/// [`Workload::buffers`]: inputs and in-outs as filled, outputs and scratch empty), the
/// expected bytes of each [`Expected::Host`] output out, in order.
pub type ReferenceFn = dyn Fn(&[&[u8]]) -> Vec<Vec<u8>> + Send + Sync;

/// Everything needed to run and check one case.
pub struct Workload {
    pub buffers: Vec<Buffer>,
    /// The timed launches, in order.
    pub launches: Vec<Launch>,
    pub checks: Vec<Check>,
    /// Produces the [`Expected::Host`] outputs.
    pub reference: Box<ReferenceFn>,
    /// Launched (untimed) on the same inputs to produce [`Expected::Buffer`] outputs.
    pub reference_launches: Vec<Launch>,
    /// Why this case has no check, when it has none (recorded with its results).
    pub unchecked: Option<String>,
    /// A library call timed beside the case, sample by sample, when the run asks for it.
    pub paired: Option<PairedCall>,
}

/// A library call that does a case's work, timed beside the case sample by sample
/// (interleaved, under the same clocks and the same protocol) when a run asks for it
/// (`archbench run --paired`): the fair form of "% of cuBLAS" and "% of copy bandwidth".
#[derive(Debug, Clone, PartialEq)]
pub enum PairedCall {
    /// cuBLAS `C = A·Bᵀ` on row-major matrices of the case (see [`GemmOperands`]), into an
    /// m×n f32 buffer of its own. Its result is checked against the case's checked output
    /// `out` (which holds the same product) with twice that check's tolerance.
    CublasGemm(GemmOperands),
    /// A device-to-device copy (`cuMemcpyDtoDAsync`) of `bytes`, between two buffers of its
    /// own: what a memory-bound case's bytes cost at the copy engine's speed, under the same
    /// clocks and the same cold L2. It moves `2·bytes` (read and write).
    DeviceCopy { bytes: u64 },
}

/// The operands of [`PairedCall::CublasGemm`]: buffer `a` (m×k) and buffer `b` (n×k) of
/// `dtype` (bf16 or f32), f32 accumulation; `out` the case's checked m×n f32 output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GemmOperands {
    pub a: usize,
    pub b: usize,
    pub out: usize,
    pub m: u64,
    pub n: u64,
    pub k: u64,
    pub dtype: DType,
}

impl PairedCall {
    /// The library call, as results name it before the library's version is known.
    pub fn name(&self) -> String {
        match self {
            PairedCall::CublasGemm(GemmOperands { m, n, k, dtype, .. }) => {
                format!(
                    "cuBLAS cublasGemmEx {} {m}x{n}x{k} (f32 accumulate)",
                    dtype.name()
                )
            }
            PairedCall::DeviceCopy { bytes } => {
                format!("device copy cuMemcpyDtoDAsync of {bytes} bytes")
            }
        }
    }
}

impl std::fmt::Debug for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workload")
            .field("buffers", &self.buffers)
            .field("launches", &self.launches)
            .field("checks", &self.checks)
            .field("reference_launches", &self.reference_launches)
            .field("unchecked", &self.unchecked)
            .field("paired", &self.paired)
            .finish_non_exhaustive()
    }
}

impl Workload {
    /// A workload whose checks all come from `reference`.
    pub fn new(
        buffers: Vec<Buffer>,
        launches: Vec<Launch>,
        checks: Vec<Check>,
        reference: Box<ReferenceFn>,
    ) -> Self {
        Workload {
            buffers,
            launches,
            checks,
            reference,
            reference_launches: Vec::new(),
            unchecked: None,
            paired: None,
        }
    }
}

/// Which cases of a bench: the default (full-size) set, the `--quick` set, or the edge set
/// (many small shapes at the kernels' path boundaries, for correctness only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Set {
    Default,
    Quick,
    Edges,
}

/// A bench of a suite, as the engine sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchInfo {
    pub name: String,
    /// The kernel source (image key without compile-time axes) whose images hold its entries.
    pub source: String,
    pub description: String,
    /// Free-form groups (`opencv`, `torch`, …).
    pub tags: Vec<String>,
}

/// What the engine knows of a case without running it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseInfo {
    /// `n=1048576`, `f32 4096x4096`, …; unique within (bench, impl).
    pub label: String,
    /// The value of the bench's `impl` axis, when it has one.
    pub implementation: Option<String>,
    /// Every axis value of the case, in declaration order (compile-time axes included).
    pub axes: Vec<(String, String)>,
    /// The image key to load: the source, plus compile-time axis values (`tile.cu[TILE=32]`).
    pub image: String,
    /// Bytes the kernels must at least read plus write.
    pub bytes: u64,
    /// Arithmetic operations they must do.
    pub flops: u64,
    /// Why the case cannot run (a declaration error), recorded as its result.
    pub error: Option<String>,
    /// Why the case has no correctness check, when it was declared without one.
    pub unchecked: Option<String>,
}

/// A suite, as the engine reads it. Implemented by [`crate::bench::Suite`].
pub trait CaseSource: Send + Sync {
    /// The suite's name (recorded with its results).
    fn suite_name(&self) -> &str;
    /// Its benches, in listing order.
    fn benches(&self) -> Vec<BenchInfo>;
    /// The cases of one bench in one set, in order.
    fn cases(&self, bench: &str, set: Set) -> Vec<CaseInfo>;
    /// Case `index` of `cases(bench, set)`, as a workload.
    fn workload(&self, bench: &str, set: Set, index: usize) -> Result<Workload, String>;
}

/// A host buffer whose bytes start 16-byte aligned, so typed views of any [`Element`] are
/// sound.
#[derive(Clone, Default)]
pub struct HostBytes {
    words: Vec<u128>,
    len: usize,
}

impl std::fmt::Debug for HostBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HostBytes({} bytes)", self.len)
    }
}

impl HostBytes {
    /// `len` zero bytes.
    pub fn zeroed(len: usize) -> Self {
        HostBytes {
            words: vec![0; len.div_ceil(16)],
            len,
        }
    }
    /// A copy of `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Self {
        let mut h = Self::zeroed(bytes.len());
        h.as_mut_slice().copy_from_slice(bytes);
        h
    }
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `words` holds at least `len` initialised bytes.
        unsafe { std::slice::from_raw_parts(self.words.as_ptr().cast::<u8>(), self.len) }
    }
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above, uniquely borrowed.
        unsafe { std::slice::from_raw_parts_mut(self.words.as_mut_ptr().cast::<u8>(), self.len) }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// `bytes` as a slice of `T`, when aligned and a whole number of elements.
pub fn typed<T: Element>(bytes: &[u8]) -> Option<&[T]> {
    let size = std::mem::size_of::<T>();
    if !bytes.len().is_multiple_of(size)
        || !(bytes.as_ptr() as usize).is_multiple_of(std::mem::align_of::<T>())
    {
        return None;
    }
    // SAFETY: aligned, in bounds, and every bit pattern is a valid `Element`.
    Some(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<T>(), bytes.len() / size) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bf16_rounding() {
        assert_eq!(Bf16::from_f32(1.0).0, 0x3f80);
        assert_eq!(Bf16(0x3f80).to_f32(), 1.0);
        assert_eq!(Bf16::from_f32(1.0 + 1.0 / 256.0).0, 0x3f80);
        assert_eq!(Bf16::from_f32(1.0 + 1.0 / 256.0 + 1.0 / 65536.0).0, 0x3f81);
        assert!(Bf16::from_f32(f32::NAN).to_f32().is_nan());
    }

    #[test]
    fn f16_round_trips_and_rounds() {
        // Every finite half round-trips through f32.
        for h in 0..=u16::MAX {
            let x = F16(h).to_f32();
            if x.is_nan() {
                assert!(F16::from_f32(x).to_f32().is_nan());
            } else {
                assert_eq!(F16::from_f32(x).0, h, "{h:#06x} -> {x}");
            }
        }
        assert_eq!(F16::from_f32(1.0).0, 0x3c00);
        assert_eq!(F16::from_f32(65504.0).0, 0x7bff);
        assert_eq!(F16::from_f32(65520.0).0, 0x7c00); // rounds up to infinity
        assert_eq!(F16::from_f32(1.0 + 1.0 / 2048.0).0, 0x3c00); // tie to even
        assert_eq!(F16::from_f32(1.0 + 3.0 / 2048.0).0, 0x3c02); // tie to even, up
        assert_eq!(F16::from_f32(5.9604645e-8).0, 0x0001); // smallest subnormal
        assert_eq!(F16::from_f32(2.0e-8).0, 0x0000);
    }

    #[test]
    fn elements_decode() {
        let b = element_bytes(&[-3i32, 7]);
        assert_eq!(DType::I32.element(&b, 0), Some(-3.0));
        assert_eq!(DType::I32.element(&b, 1), Some(7.0));
        assert_eq!(DType::I32.element(&b, 2), None);
        assert_eq!(DType::I32.element(&b, usize::MAX), None);
        let h = HostBytes::from_slice(&element_bytes(&[1.5f64, 2.5]));
        assert_eq!(typed::<f64>(h.as_slice()), Some(&[1.5, 2.5][..]));
        assert!(typed::<f64>(&h.as_slice()[..12]).is_none());
    }
}
