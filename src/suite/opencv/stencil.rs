//! The workload shared by the one-channel u8 stencil kernels (`gaussian_blur_5x5`,
//! `sobel_3x3_dx`): `FilterParams`, a 128×32-pixel tile per 32×8 block (`kernels/stencil.cuh`),
//! one pitched input and one pitched output, checked bit-exact against a reference.

use std::mem::offset_of;

use super::super::build::{blocks, check, input, output};
use super::super::params::FilterParams;
use super::super::reference::image::Image;
use super::super::{Case, DType, Fill, Launch, Rule, Size, Workload};
use super::{image_label, image_sizes, row_pitch, view};

/// What differs between the stencil kernels.
#[derive(Clone, Copy)]
pub(super) struct Stencil {
    pub entry: &'static str,
    pub out: DType,
    /// Minimum bytes moved and operations done per pixel (documented at each use).
    pub bytes_per_pixel: u64,
    pub ops_per_pixel: u64,
    /// The CPU reference: source image, destination pitch → destination bytes.
    pub reference: fn(Image<'_>, usize) -> Vec<u8>,
}

pub(super) fn cases(size: Size, s: Stencil) -> Vec<Case> {
    image_sizes(size)
        .into_iter()
        .map(|(w, h)| case(size, w, h, s))
        .collect()
}

fn case(size: Size, w: usize, h: usize, s: Stencil) -> Case {
    // The source pitch a multiple of 4, the destination's of 4 bytes a store (blur: 4 pixels
    // of u8; Sobel: 4 pixels of i16, kernels/sobel.cu asks a multiple of 8).
    let (sp, dp) = (
        row_pitch(size, w, 4),
        row_pitch(size, s.out.size() * w, 4 * s.out.size()),
    );
    let px = (w * h) as u64;
    Case {
        label: image_label(w, h, size, sp),
        dtype: s.out,
        shape: vec![("w", w as u64), ("h", h as u64)],
        bytes: s.bytes_per_pixel * px,
        flops: s.ops_per_pixel * px,
        workload: Box::new(move || {
            let params = FilterParams {
                src: 0,
                dst: 0,
                width: w as u32,
                height: h as u32,
                src_pitch: sp as u32,
                dst_pitch: dp as u32,
            };
            let reference = s.reference;
            Workload {
                buffers: vec![
                    input("src", DType::U8, h * sp, Fill::Bytes),
                    output("dst", s.out, h * dp),
                ],
                launches: vec![Launch::new(
                    s.entry,
                    [blocks(w as u64, 128), blocks(h as u64, 32), 1],
                    [32, 8, 1],
                    0,
                    &params,
                    &[
                        (offset_of!(FilterParams, src), 0),
                        (offset_of!(FilterParams, dst), 1),
                    ],
                )],
                checks: vec![check(1, Rule::Exact)],
                reference: Box::new(move |bufs| vec![reference(view(bufs[0], w, h, 1, sp), dp)]),
                paired: None,
            }
        }),
    }
}
