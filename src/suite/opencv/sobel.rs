//! `sobel_3x3_dx`: one-channel u8 -> i16 Sobel x-derivative, BORDER_REFLECT_101, bit-exact.

use std::mem::offset_of;

use super::super::build::{blocks, check, input, output};
use super::super::data::pitch;
use super::super::params::FilterParams;
use super::super::reference::image::sobel_3x3_dx;
use super::super::{Case, DType, Family, Fill, KernelSpec, Launch, Rule, Size, Workload};
use super::{image_size, view};

pub fn spec() -> KernelSpec {
    KernelSpec {
        name: "sobel_3x3_dx",
        family: Family::Opencv,
        file: "sobel.cu",
        description: "3x3 Sobel dx, u8 -> i16, BORDER_REFLECT_101; 34x34 shared tile",
        dtypes: &[DType::U8, DType::I16],
        rule: Rule::Exact,
        cases,
    }
}

fn cases(size: Size) -> Vec<Case> {
    let (w, h) = image_size(size);
    let (sp, dp) = (pitch(w), pitch(2 * w));
    vec![Case {
        label: format!("{w}x{h}"),
        dtype: DType::I16,
        // Read 1 byte and write 2 per pixel; 3 differences + 2 adds + 1 doubling per pixel.
        bytes: (3 * w * h) as u64,
        flops: (6 * w * h) as u64,
        workload: Box::new(move || {
            let params = FilterParams {
                src: 0,
                dst: 0,
                width: w as u32,
                height: h as u32,
                src_pitch: sp as u32,
                dst_pitch: dp as u32,
            };
            Workload {
                buffers: vec![
                    input("src", DType::U8, h * sp, Fill::Bytes),
                    output("dst", DType::I16, h * dp),
                ],
                launches: vec![Launch::new(
                    "sobel_3x3_dx",
                    [blocks(w as u64, 32), blocks(h as u64, 32), 1],
                    [32, 8, 1],
                    0,
                    &params,
                    &[
                        (offset_of!(FilterParams, src), 0),
                        (offset_of!(FilterParams, dst), 1),
                    ],
                )],
                checks: vec![check(1, Rule::Exact)],
                reference: Box::new(move |bufs| vec![sobel_3x3_dx(view(bufs[0], w, h, 1, sp), dp)]),
            }
        }),
    }]
}
