//! Launch geometry ([`Grid`]) and kernel arguments: buffers (their device address), scalars
//! by value, and `#[repr(C)]` parameter structs ([`Struct`]) with device pointers patched in.
//! A launch's arguments are a tuple, in the kernel's parameter order:
//! `(&y, &x, 2.0f32, n as u32)` for `saxpy(float* y, const float* x, float a, unsigned n)`.

use crate::workload::{pod_bytes, AnyBuf, Bf16, Buf, Element, Pod, F16};

/// A kernel launch's grid, block and dynamic shared memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub grid: [u32; 3],
    pub block: [u32; 3],
    pub shared_mem_bytes: u32,
    /// Why the geometry is not launchable (a grid too large for its problem size).
    pub(crate) error: Option<&'static str>,
}

/// Three launch dimensions, from `u32`, `(x, y)`, `(x, y, z)` or `[x, y, z]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dim3(pub [u32; 3]);

impl From<u32> for Dim3 {
    fn from(x: u32) -> Self {
        Dim3([x, 1, 1])
    }
}
impl From<(u32, u32)> for Dim3 {
    fn from((x, y): (u32, u32)) -> Self {
        Dim3([x, y, 1])
    }
}
impl From<(u32, u32, u32)> for Dim3 {
    fn from((x, y, z): (u32, u32, u32)) -> Self {
        Dim3([x, y, z])
    }
}
impl From<[u32; 3]> for Dim3 {
    fn from(d: [u32; 3]) -> Self {
        Dim3(d)
    }
}

impl Grid {
    /// `grid` blocks of `block` threads.
    pub fn new(grid: impl Into<Dim3>, block: impl Into<Dim3>) -> Self {
        Grid {
            grid: grid.into().0,
            block: block.into().0,
            shared_mem_bytes: 0,
            error: None,
        }
    }

    /// One thread per element of `n`: `ceil(n / block)` blocks of `block` threads.
    pub fn cover(n: usize, block: u32) -> Self {
        let blocks = blocks(n, block);
        let mut g = Grid::new(blocks.unwrap_or(0), block);
        if blocks.is_none() {
            g.error = Some("the grid needs more than 2^31 - 1 blocks in x");
        }
        g
    }

    /// One thread per element of a `width` x `height` array: blocks of `bx` x `by`.
    pub fn cover_2d(width: usize, height: usize, bx: u32, by: u32) -> Self {
        let x = blocks(width, bx);
        let y = blocks(height, by).filter(|&y| y <= 65_535);
        let mut g = Grid::new((x.unwrap_or(0), y.unwrap_or(0)), (bx, by));
        if x.is_none() || y.is_none() {
            g.error =
                Some("the grid needs more blocks than CUDA allows (2^31 - 1 in x, 65535 in y)");
        }
        g
    }

    /// With `bytes` of dynamic shared memory.
    pub fn shared(mut self, bytes: u32) -> Self {
        self.shared_mem_bytes = bytes;
        self
    }
}

fn blocks(n: usize, block: u32) -> Option<u32> {
    if block == 0 {
        return Some(0);
    }
    u32::try_from(n.div_ceil(block as usize))
        .ok()
        .filter(|&b| b < (1 << 31))
}

/// The packed parameters of one launch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Packed {
    pub(crate) params: Vec<u8>,
    pub(crate) args: Vec<(usize, usize)>,
    pub(crate) pointers: Vec<(usize, usize)>,
}

impl Packed {
    fn push(&mut self, bytes: &[u8], align: usize) -> usize {
        let at = self.params.len().next_multiple_of(align.max(1));
        self.params.resize(at, 0);
        self.params.extend_from_slice(bytes);
        self.args.push((at, bytes.len()));
        at
    }
}

/// One kernel argument.
pub trait KernelArg {
    /// Appends this argument to `p`.
    fn pack(&self, p: &mut Packed);
}

impl<T: Element> KernelArg for Buf<T> {
    fn pack(&self, p: &mut Packed) {
        let at = p.push(&[0; 8], 8);
        p.pointers.push((at, self.index()));
    }
}
impl KernelArg for AnyBuf {
    fn pack(&self, p: &mut Packed) {
        let at = p.push(&[0; 8], 8);
        p.pointers.push((at, self.index));
    }
}
impl<T: KernelArg + ?Sized> KernelArg for &T {
    fn pack(&self, p: &mut Packed) {
        (**self).pack(p)
    }
}

macro_rules! scalar_arg {
    ($($t:ty),*) => {$(
        impl KernelArg for $t {
            fn pack(&self, p: &mut Packed) {
                p.push(&self.to_le_bytes(), std::mem::align_of::<$t>());
            }
        }
    )*};
}
scalar_arg!(u8, i8, u16, i16, u32, i32, u64, i64, f32, f64);

impl KernelArg for usize {
    /// A `size_t` (8 bytes).
    fn pack(&self, p: &mut Packed) {
        p.push(&(*self as u64).to_le_bytes(), 8);
    }
}
impl KernelArg for bool {
    fn pack(&self, p: &mut Packed) {
        p.push(&[u8::from(*self)], 1);
    }
}
impl KernelArg for Bf16 {
    fn pack(&self, p: &mut Packed) {
        p.push(&self.0.to_le_bytes(), 2);
    }
}
impl KernelArg for F16 {
    fn pack(&self, p: &mut Packed) {
        p.push(&self.0.to_le_bytes(), 2);
    }
}

/// A `#[repr(C)]` parameter struct passed by value, with the device addresses of buffers
/// written at byte offsets of it (`std::mem::offset_of!`).
///
/// ```ignore
/// #[repr(C)] #[derive(Clone, Copy)] struct P { x: u64, y: u64, n: u32, _pad: u32 }
/// unsafe impl archbench::bench::Pod for P {}
/// let p = P { x: 0, y: 0, n: n as u32, _pad: 0 };
/// c.launch("k", grid, (Struct::new(&p).ptr(offset_of!(P, x), &x).ptr(offset_of!(P, y), &y),));
/// ```
#[derive(Debug, Clone)]
pub struct Struct {
    bytes: Vec<u8>,
    align: usize,
    pointers: Vec<(usize, usize)>,
}

impl Struct {
    pub fn new<T: Pod>(value: &T) -> Self {
        Struct {
            bytes: pod_bytes(value),
            align: std::mem::align_of::<T>(),
            pointers: Vec::new(),
        }
    }

    /// A struct given as its bytes (already laid out as the kernel's C struct), aligned to
    /// `align` bytes.
    pub fn from_bytes(bytes: Vec<u8>, align: usize) -> Self {
        Struct {
            bytes,
            align,
            pointers: Vec::new(),
        }
    }

    /// Writes the device address of `buffer` at byte `offset` of the struct.
    pub fn ptr(mut self, offset: usize, buffer: impl Into<AnyBufRef>) -> Self {
        self.pointers.push((offset, buffer.into().0));
        self
    }
}

/// A buffer handle of any element type (for [`Struct::ptr`]).
#[derive(Debug, Clone, Copy)]
pub struct AnyBufRef(pub(crate) usize);

impl<T: Element> From<&Buf<T>> for AnyBufRef {
    fn from(b: &Buf<T>) -> Self {
        AnyBufRef(b.index())
    }
}
impl<T: Element> From<Buf<T>> for AnyBufRef {
    fn from(b: Buf<T>) -> Self {
        AnyBufRef(b.index())
    }
}
impl From<&AnyBuf> for AnyBufRef {
    fn from(b: &AnyBuf) -> Self {
        AnyBufRef(b.index)
    }
}
impl From<AnyBuf> for AnyBufRef {
    fn from(b: AnyBuf) -> Self {
        AnyBufRef(b.index)
    }
}

impl KernelArg for Struct {
    fn pack(&self, p: &mut Packed) {
        let at = p.push(&self.bytes, self.align);
        p.pointers
            .extend(self.pointers.iter().map(|&(o, b)| (at + o, b)));
    }
}

/// A launch's arguments: a tuple of [`KernelArg`]s (up to 12), in parameter order.
pub trait Args {
    fn pack(&self) -> Packed;
}

impl Args for () {
    fn pack(&self) -> Packed {
        Packed::default()
    }
}

macro_rules! tuple_args {
    ($($name:ident),+) => {
        impl<$($name: KernelArg),+> Args for ($($name,)+) {
            #[allow(non_snake_case)]
            fn pack(&self) -> Packed {
                let mut p = Packed::default();
                let ($($name,)+) = self;
                $($name.pack(&mut p);)+
                p
            }
        }
    };
}
tuple_args!(A);
tuple_args!(A, B);
tuple_args!(A, B, C);
tuple_args!(A, B, C, D);
tuple_args!(A, B, C, D, E);
tuple_args!(A, B, C, D, E, F);
tuple_args!(A, B, C, D, E, F, G);
tuple_args!(A, B, C, D, E, F, G, H);
tuple_args!(A, B, C, D, E, F, G, H, I);
tuple_args!(A, B, C, D, E, F, G, H, I, J);
tuple_args!(A, B, C, D, E, F, G, H, I, J, K);
tuple_args!(A, B, C, D, E, F, G, H, I, J, K, L);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_in_parameter_order_with_alignment() {
        let y: Buf<f32> = Buf::new(1, 8);
        let x: Buf<f32> = Buf::new(0, 8);
        let p = (&y, &x, 2.0f32, 8u32, 1.5f64).pack();
        assert_eq!(p.args, [(0, 8), (8, 8), (16, 4), (20, 4), (24, 8)]);
        assert_eq!(p.pointers, [(0, 1), (8, 0)]);
        assert_eq!(&p.params[16..20], &2.0f32.to_le_bytes());
        // A 4-byte scalar then an 8-byte one: padded to 8.
        let p = (1u32, &x).pack();
        assert_eq!(p.args, [(0, 4), (8, 8)]);
    }

    #[test]
    fn grids_cover_and_refuse_overflow() {
        let g = Grid::cover(1000, 256);
        assert_eq!((g.grid, g.block), ([4, 1, 1], [256, 1, 1]));
        assert!(g.error.is_none());
        assert_eq!(Grid::cover(0, 256).grid, [0, 1, 1]);
        assert!(Grid::cover(usize::MAX, 1).error.is_some());
        let g = Grid::cover_2d(1920, 1080, 32, 8);
        assert_eq!(g.grid, [60, 135, 1]);
        assert!(Grid::cover_2d(1, 1 << 20, 1, 1).error.is_some());
    }
}
