//! `sobel_3x3_dx`: one-channel u8 -> i16 Sobel x-derivative, BORDER_REFLECT_101, bit-exact.

use super::super::reference::image::sobel_3x3_dx;
use super::super::{Case, DType, Family, KernelSpec, Rule, Size};
use super::stencil::{self, Stencil};

pub fn spec() -> KernelSpec {
    KernelSpec {
        name: "sobel_3x3_dx",
        family: Family::Opencv,
        file: "sobel.cu",
        description: "3x3 Sobel dx, u8 -> i16, BORDER_REFLECT_101; 128x32 tile per block staged in shared memory with 16-byte loads (border arithmetic only in edge tiles), two pixels per 32-bit add, 4 pixels per 8-byte store",
        dtypes: &[DType::U8, DType::I16],
        rule: Rule::Exact,
        cases,
    }
}

fn cases(size: Size) -> Vec<Case> {
    stencil::cases(
        size,
        Stencil {
            entry: "sobel_3x3_dx",
            out: DType::I16,
            // Read 1 byte and write 2 per pixel; 3 differences + 2 adds + 1 doubling per pixel.
            bytes_per_pixel: 3,
            ops_per_pixel: 6,
            reference: sobel_3x3_dx,
        },
    )
}
