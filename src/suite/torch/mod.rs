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

/// Short dtype name for labels and entry names.
pub(crate) fn dname(dtype: DType) -> &'static str {
    match dtype {
        DType::Bf16 => "bf16",
        DType::F32 => "f32",
        DType::U8 => "u8",
        DType::I16 => "i16",
        DType::U32 => "u32",
    }
}
