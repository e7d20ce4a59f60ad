//! Torch-style kernels: contiguous f32 / bf16 tensors, f32 accumulation on the GPU.

mod add_gelu;
pub mod gemm;
mod layer_norm;
mod reduce_sum;
mod softmax;
mod transpose;

use super::{DType, KernelSpec};

/// The tensor kernels, in listing order.
pub fn specs() -> Vec<KernelSpec> {
    vec![
        add_gelu::spec(),
        softmax::spec(),
        layer_norm::spec(),
        reduce_sum::spec(),
        transpose::spec(),
        gemm::spec_bf16(),
        gemm::spec_sgemm(),
    ]
}

/// Row shapes at every path boundary of the row kernels (`softmax`, `layer_norm`) for
/// `dtype`: rows of 1, 31..33, 64..65, 128..129, 256..257, 512..513, 1024..1025 and
/// 2048..2049 16-byte vectors (two rows a warp up to 32 vectors, a warp a row up to 1024
/// columns, a block a row with the row in registers, then streamed), 17 rows (a partial last
/// block of 16 or 8 rows) up to 1024 columns, else 3.
pub(crate) fn row_edges(dtype: DType) -> Vec<(usize, usize)> {
    let per_vector = 16 / dtype.size();
    [
        1, 31, 32, 33, 64, 65, 128, 129, 256, 257, 512, 513, 1024, 1025, 2048, 2049,
    ]
    .into_iter()
    .map(|vectors| {
        let cols = vectors * per_vector;
        (if cols <= 1024 { 17 } else { 3 }, cols)
    })
    .collect()
}

/// Short dtype name for labels and entry names.
pub(crate) fn dname(dtype: DType) -> &'static str {
    dtype.name()
}
