//! `histogram_256`: 256-bin histogram of a one-channel u8 image (shared-memory atomics), exact.

use std::mem::offset_of;

use super::super::build::{blocks, check, input, output};
use super::super::params::HistogramParams;
use super::super::reference::image::histogram_256;
use super::super::{Case, DType, Family, Fill, KernelSpec, Launch, Rule, Size, Workload};
use super::{image_label, image_sizes, row_pitch, view};

pub fn spec() -> KernelSpec {
    KernelSpec {
        name: "histogram_256",
        family: Family::Opencv,
        file: "histogram.cu",
        description: "256-bin histogram, u8 -> u32[256]; zeroing launch, then 4 rows per block: per-warp shared-memory histograms fed by 16-byte loads (4 in flight per thread), summed per block into global atomics",
        dtypes: &[DType::U8, DType::U32],
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
    // The pitch a multiple of 16 (kernels/histogram.cu).
    let p = row_pitch(size, w, 16);
    Case {
        label: image_label(w, h, size, p),
        dtype: DType::U8,
        shape: vec![("w", w as u64), ("h", h as u64)],
        // Read every pixel, write 256 counters; one increment per pixel.
        bytes: (w * h + 256 * 4) as u64,
        flops: (w * h) as u64,
        workload: Box::new(move || {
            let params = HistogramParams {
                src: 0,
                hist: 0,
                width: w as u32,
                height: h as u32,
                pitch: p as u32,
                _pad0: 0,
            };
            let ptrs = [
                (offset_of!(HistogramParams, src), 0),
                (offset_of!(HistogramParams, hist), 1),
            ];
            Workload {
                buffers: vec![
                    input("src", DType::U8, h * p, Fill::Bytes),
                    output("hist", DType::U32, 256 * 4),
                ],
                launches: vec![
                    Launch::new(
                        "histogram_256_zero",
                        [1, 1, 1],
                        [256, 1, 1],
                        0,
                        &params,
                        &ptrs,
                    ),
                    Launch::new(
                        "histogram_256",
                        [blocks(h as u64, 4), 1, 1],
                        [256, 1, 1],
                        0,
                        &params,
                        &ptrs,
                    ),
                ],
                checks: vec![check(1, Rule::Exact)],
                reference: Box::new(move |bufs| {
                    vec![histogram_256(view(bufs[0], w, h, 1, p))
                        .iter()
                        .flat_map(|c| c.to_le_bytes())
                        .collect()]
                }),
                paired: None,
            }
        }),
    }
}
