//! `resize_bilinear`: BGR u8 bilinear resize (INTER_LINEAR, half-pixel centres), x0.5 and
//! x1.5, within 1 LSB of an f64 reference.

use std::mem::offset_of;

use super::super::build::{blocks, check, input, output};
use super::super::params::ResizeParams;
use super::super::reference::image::resize_bilinear;
use super::super::{Case, DType, Family, Fill, KernelSpec, Launch, Rule, Size, Workload};
use super::{image_sizes, row_pitch, view};

const RULE: Rule = Rule::WithinLsb { max_diff: 1 };

pub fn spec() -> KernelSpec {
    KernelSpec {
        name: "resize_bilinear",
        family: Family::Opencv,
        file: "resize.cu",
        description: "BGR bilinear resize, sx = (dx + 0.5) * src/dst - 0.5 clamped; x0.5 and x1.5; f32 weights vs f64 reference, 1 LSB",
        dtypes: &[DType::U8],
        rule: RULE,
        cases,
    }
}

fn cases(size: Size) -> Vec<Case> {
    if size == Size::Edges {
        // Down and up, by 1 pixel and by odd factors; destination widths around 32 and 128
        // pixels (a warp's and a block's columns); pitches with no alignment at all.
        return [
            (1, 1, 1, 1),
            (2, 3, 1, 1),
            (2, 3, 3, 5),
            (5, 3, 2, 1),
            (5, 3, 7, 4),
            (37, 33, 18, 16),
            (37, 33, 55, 49),
            (130, 33, 65, 16),
            (130, 33, 195, 49),
            (200, 50, 129, 33),
            (100, 20, 256, 41),
            (400, 70, 257, 105),
        ]
        .into_iter()
        .map(|(sw, sh, dw, dh)| resize_case(size, sw, sh, dw, dh))
        .collect();
    }
    image_sizes(size)
        .into_iter()
        .flat_map(|(w, h)| {
            [(1usize, 2usize), (3, 2)]
                .into_iter()
                .map(move |(num, den)| resize_case(size, w, h, w * num / den, h * num / den))
        })
        .collect()
}

fn resize_case(size: Size, sw: usize, sh: usize, dw: usize, dh: usize) -> Case {
    // Any pitch (kernels/resize.cu reads and writes bytes where rows are not aligned).
    let (sp, dp) = (row_pitch(size, 3 * sw, 1), row_pitch(size, 3 * dw, 1));
    let label = match size {
        Size::Edges => format!("{sw}x{sh} -> {dw}x{dh} pitches {sp}, {dp}"),
        _ => format!("{sw}x{sh} -> {dw}x{dh}"),
    };
    Case {
        label,
        dtype: DType::U8,
        shape: vec![
            ("sw", sw as u64),
            ("sh", sh as u64),
            ("dw", dw as u64),
            ("dh", dh as u64),
        ],
        // Every source pixel is read at least once (both scales) and every output written;
        // 3 lerps of 2 ops per output channel.
        bytes: (3 * (sw * sh + dw * dh)) as u64,
        flops: (18 * dw * dh) as u64,
        workload: Box::new(move || {
            let p = ResizeParams {
                src: 0,
                dst: 0,
                src_width: sw as u32,
                src_height: sh as u32,
                src_pitch: sp as u32,
                dst_width: dw as u32,
                dst_height: dh as u32,
                dst_pitch: dp as u32,
                scale_x: sw as f32 / dw as f32,
                scale_y: sh as f32 / dh as f32,
            };
            Workload {
                buffers: vec![
                    input("src", DType::U8, sh * sp, Fill::Bytes),
                    output("dst", DType::U8, dh * dp),
                ],
                launches: vec![Launch::new(
                    "resize_bilinear",
                    [blocks(dw as u64, 32), blocks(dh as u64, 8), 1],
                    [32, 8, 1],
                    0,
                    &p,
                    &[
                        (offset_of!(ResizeParams, src), 0),
                        (offset_of!(ResizeParams, dst), 1),
                    ],
                )],
                checks: vec![check(1, RULE)],
                reference: Box::new(move |bufs| {
                    vec![resize_bilinear(view(bufs[0], sw, sh, 3, sp), dw, dh, dp)]
                }),
                paired: None,
            }
        }),
    }
}
