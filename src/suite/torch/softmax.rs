//! `softmax`: row-wise softmax over the last dimension, f32 and bf16: two rows per warp, one
//! warp per row or a block per row, by row length.

use std::mem::offset_of;

use super::super::build::{blocks, check, input, output};
use super::super::data::{float_bytes, floats};
use super::super::params::SoftmaxParams;
use super::super::reference::tensor::softmax;
use super::super::{Case, DType, Family, Fill, KernelSpec, Launch, Rule, Size, Workload};
use super::dname;

/// f32: expf and the f32 row sum are good to ~1e-6 relative; bf16: one bf16 ulp.
fn rule(dtype: DType) -> Rule {
    match dtype {
        DType::Bf16 => Rule::Close {
            rtol: 1e-2,
            atol: 1e-7,
        },
        _ => Rule::Close {
            rtol: 1e-5,
            atol: 1e-10,
        },
    }
}

pub fn spec() -> KernelSpec {
    KernelSpec {
        name: "softmax",
        family: Family::Torch,
        file: "softmax.cu",
        description: "softmax over the last dim; row read once into registers (two rows per warp up to 512 bytes, a warp per row up to 1024 columns, a block per row above), max, one exp per element, sum, scale; inputs U(-5, 5)",
        dtypes: &[DType::F32, DType::Bf16],
        rule: rule(DType::F32),
        cases,
    }
}

fn cases(size: Size) -> Vec<Case> {
    // Quick sizes reach every path of the kernel: two rows per warp (96 columns, and bf16's
    // 256; odd row counts leave the last warp one row), a warp per row (1024, and f32's 256
    // columns) and a block per row beyond what registers hold (20000 columns: three streaming
    // passes).
    let shapes = |dtype| -> Vec<(usize, usize)> {
        match size {
            Size::Default => vec![(4096, 4096), (32768, 256)],
            Size::Quick => vec![(100, 1024), (301, 256), (37, 96), (3, 20000)],
            Size::Edges => super::row_edges(dtype),
        }
    };
    let mut out = Vec::new();
    for dtype in [DType::F32, DType::Bf16] {
        for (rows, cols) in shapes(dtype) {
            out.push(case(dtype, rows, cols));
        }
    }
    out
}

fn case(dtype: DType, rows: usize, cols: usize) -> Case {
    let es = dtype.size();
    Case {
        label: format!("{} {rows}x{cols}", dname(dtype)),
        dtype,
        shape: vec![("rows", rows as u64), ("cols", cols as u64)],
        // Read and write every element once; max, exp, sum, subtract, scale: 5 per element.
        bytes: (2 * rows * cols * es) as u64,
        flops: (5 * rows * cols) as u64,
        workload: Box::new(move || {
            let p = SoftmaxParams {
                x: 0,
                y: 0,
                rows: rows as u32,
                cols: cols as u32,
            };
            let entry = if dtype == DType::Bf16 {
                "softmax_bf16"
            } else {
                "softmax_f32"
            };
            Workload {
                buffers: vec![
                    input("x", dtype, rows * cols * es, Fill::Uniform(-5.0, 5.0)),
                    output("y", dtype, rows * cols * es),
                ],
                launches: vec![Launch::new(
                    entry,
                    [row_grid(rows, cols, dtype), 1, 1],
                    [256, 1, 1],
                    0,
                    &p,
                    &[
                        (offset_of!(SoftmaxParams, x), 0),
                        (offset_of!(SoftmaxParams, y), 1),
                    ],
                )],
                checks: vec![check(1, rule(dtype))],
                reference: Box::new(move |bufs| {
                    vec![float_bytes(dtype, &softmax(&floats(dtype, bufs[0]), cols))]
                }),
                paired: None,
            }
        }),
    }
}

/// Blocks of 256 threads: two rows per warp (16 rows a block) for rows of at most
/// `SOFTMAX_PAIR_MAX_BYTES` bytes, one warp per row (8 rows a block) up to
/// `ROW_WARP_MAX_COLS` columns, one block per row above (`kernels/params.h`).
fn row_grid(rows: usize, cols: usize, dtype: DType) -> u32 {
    use super::super::params::{ROW_WARP_MAX_COLS, SOFTMAX_PAIR_MAX_BYTES};
    if cols * dtype.size() <= SOFTMAX_PAIR_MAX_BYTES as usize {
        blocks(rows as u64, 16)
    } else if cols <= ROW_WARP_MAX_COLS as usize {
        blocks(rows as u64, 8)
    } else {
        rows as u32
    }
}
