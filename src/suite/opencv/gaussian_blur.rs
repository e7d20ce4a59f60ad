//! `gaussian_blur_5x5`: one-channel u8 binomial 5x5 blur, BORDER_REFLECT_101, bit-exact.

use std::mem::offset_of;

use super::super::build::{blocks, check, input, output};
use super::super::data::pitch;
use super::super::params::FilterParams;
use super::super::reference::image::gaussian_blur_5x5;
use super::super::{Case, DType, Family, Fill, KernelSpec, Launch, Rule, Size, Workload};
use super::{image_size, view};

pub fn spec() -> KernelSpec {
    KernelSpec {
        name: "gaussian_blur_5x5",
        family: Family::Opencv,
        file: "gaussian_blur.cu",
        description: "5x5 Gaussian [1 4 6 4 1]^2/256, (sum + 128) >> 8, BORDER_REFLECT_101; separable in a 36x36 shared tile",
        dtypes: &[DType::U8],
        rule: Rule::Exact,
        cases,
    }
}

fn cases(size: Size) -> Vec<Case> {
    let (w, h) = image_size(size);
    let p = pitch(w);
    vec![Case {
        label: format!("{w}x{h}"),
        dtype: DType::U8,
        // Read and write each pixel once; separable: 2 passes x 5 multiply-adds per pixel.
        bytes: (2 * w * h) as u64,
        flops: (20 * w * h) as u64,
        workload: Box::new(move || {
            let params = FilterParams {
                src: 0,
                dst: 0,
                width: w as u32,
                height: h as u32,
                src_pitch: p as u32,
                dst_pitch: p as u32,
            };
            Workload {
                buffers: vec![
                    input("src", DType::U8, h * p, Fill::Bytes),
                    output("dst", DType::U8, h * p),
                ],
                launches: vec![Launch::new(
                    "gaussian_blur_5x5",
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
                reference: Box::new(move |bufs| {
                    vec![gaussian_blur_5x5(view(bufs[0], w, h, 1, p), p)]
                }),
            }
        }),
    }]
}
