//! `cvt_color_bgr2gray`: BGR u8 -> gray u8, OpenCV 14-bit fixed point, bit-exact.

use std::mem::offset_of;

use super::super::build::{blocks, check, input, output};
use super::super::params::CvtColorParams;
use super::super::reference::image::bgr2gray;
use super::super::{Case, DType, Family, Fill, KernelSpec, Launch, Rule, Size, Workload};
use super::{image_label, image_sizes, row_pitch, view};

pub fn spec() -> KernelSpec {
    KernelSpec {
        name: "cvt_color_bgr2gray",
        family: Family::Opencv,
        file: "cvt_color.cu",
        description: "BGR -> gray, (B*1868 + G*9617 + R*4899 + 8192) >> 14; 4 pixels per thread",
        dtypes: &[DType::U8],
        rule: Rule::Exact,
        cases,
    }
}

fn cases(size: Size) -> Vec<Case> {
    image_sizes(size)
        .into_iter()
        .map(|(w, h)| case(size, w, h))
        .collect()
}

fn case(size: Size, w: usize, h: usize) -> Case {
    // Both pitches a multiple of 4 (kernels/cvt_color.cu).
    let (sp, dp) = (row_pitch(size, 3 * w, 4), row_pitch(size, w, 4));
    Case {
        label: image_label(w, h, size, sp),
        dtype: DType::U8,
        shape: vec![("w", w as u64), ("h", h as u64)],
        // Read 3 bytes and write 1 per pixel; 3 multiply-adds (6 ops) per pixel.
        bytes: (4 * w * h) as u64,
        flops: (6 * w * h) as u64,
        workload: Box::new(move || {
            let p = CvtColorParams {
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
                    output("dst", DType::U8, h * dp),
                ],
                launches: vec![Launch::new(
                    "cvt_color_bgr2gray",
                    [blocks(w as u64, 256), blocks(h as u64, 4), 1],
                    [64, 4, 1],
                    0,
                    &p,
                    &[
                        (offset_of!(CvtColorParams, src), 0),
                        (offset_of!(CvtColorParams, dst), 1),
                    ],
                )],
                checks: vec![check(1, Rule::Exact)],
                reference: Box::new(move |bufs| vec![bgr2gray(view(bufs[0], w, h, 3, sp), dp)]),
                paired: None,
            }
        }),
    }
}
