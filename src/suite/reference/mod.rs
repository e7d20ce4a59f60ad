//! CPU references for the suite, written independently of the kernels: straightforward loops,
//! f64 accumulation for floats, OpenCV's documented integer formulas for the image kernels.

pub mod gemm;
pub mod image;
pub mod tensor;
