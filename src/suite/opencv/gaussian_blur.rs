//! `gaussian_blur_5x5`: one-channel u8 binomial 5x5 blur, BORDER_REFLECT_101, bit-exact.

use super::super::reference::image::gaussian_blur_5x5;
use super::super::{Case, DType, Family, KernelSpec, Rule, Size};
use super::stencil::{self, Stencil};

pub fn spec() -> KernelSpec {
    KernelSpec {
        name: "gaussian_blur_5x5",
        family: Family::Opencv,
        file: "gaussian_blur.cu",
        description: "5x5 Gaussian [1 4 6 4 1]^2/256, (sum + 128) >> 8, BORDER_REFLECT_101; 128x32 tile per block staged in shared memory with 16-byte loads (border arithmetic only in edge tiles), integer horizontal then vertical pass, two pixels per 32-bit add, 4-pixel stores",
        dtypes: &[DType::U8],
        rule: Rule::Exact,
        cases,
    }
}

fn cases(size: Size) -> Vec<Case> {
    stencil::cases(
        size,
        Stencil {
            entry: "gaussian_blur_5x5",
            out: DType::U8,
            // Read and write each pixel once; separable: 2 passes x 5 multiply-adds per pixel.
            bytes_per_pixel: 2,
            ops_per_pixel: 20,
            reference: gaussian_blur_5x5,
        },
    )
}
