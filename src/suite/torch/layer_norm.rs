//! `layer_norm`: per-row layer norm with gamma/beta, eps 1e-5, f32 and bf16 (Welford on GPU).

use std::mem::offset_of;

use super::super::build::{blocks, check, input, output};
use super::super::data::{float_bytes, floats};
use super::super::params::LayerNormParams;
use super::super::reference::tensor::layer_norm;
use super::super::{Case, DType, Family, Fill, KernelSpec, Launch, Rule, Size, Workload};
use super::dname;

const EPS: f32 = 1e-5;

/// f32: mean/variance in f32 over <= 4096 values (~1e-6 relative); bf16: one bf16 ulp.
fn rule(dtype: DType) -> Rule {
    match dtype {
        DType::Bf16 => Rule::Close {
            rtol: 1e-2,
            atol: 1e-3,
        },
        _ => Rule::Close {
            rtol: 1e-5,
            atol: 1e-5,
        },
    }
}

pub fn spec() -> KernelSpec {
    KernelSpec {
        name: "layer_norm",
        family: Family::Torch,
        file: "layer_norm.cu",
        description: "layer norm over the last dim, biased variance, eps 1e-5, gamma U(0.5, 1.5), beta U(-0.5, 0.5), x U(-2, 2); row read once into registers (a warp per row up to 1024 columns, a block per row above), exact two-pass mean and variance",
        dtypes: &[DType::F32, DType::Bf16],
        rule: rule(DType::F32),
        cases,
    }
}

fn cases(size: Size) -> Vec<Case> {
    // Quick sizes reach every path of the kernel: a warp per row (1024 columns), and a block
    // per row beyond what registers hold (20000 columns: three streaming passes).
    let shapes = |dtype| -> Vec<(usize, usize)> {
        match size {
            Size::Default => vec![(16384, 4096)],
            Size::Quick => vec![(100, 1024), (3, 20000)],
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
        // Read x, gamma, beta once, write y; ~8 flops per element (sum, square, normalize 4).
        bytes: ((2 * rows * cols + 2 * cols) * es) as u64,
        flops: (8 * rows * cols) as u64,
        workload: Box::new(move || {
            let p = LayerNormParams {
                x: 0,
                gamma: 0,
                beta: 0,
                y: 0,
                rows: rows as u32,
                cols: cols as u32,
                eps: EPS,
                _pad0: 0,
            };
            let entry = if dtype == DType::Bf16 {
                "layer_norm_bf16"
            } else {
                "layer_norm_f32"
            };
            Workload {
                buffers: vec![
                    input("x", dtype, rows * cols * es, Fill::Uniform(-2.0, 2.0)),
                    input("gamma", dtype, cols * es, Fill::Uniform(0.5, 1.5)),
                    input("beta", dtype, cols * es, Fill::Uniform(-0.5, 0.5)),
                    output("y", dtype, rows * cols * es),
                ],
                launches: vec![Launch::new(
                    entry,
                    [row_grid(rows, cols), 1, 1],
                    [256, 1, 1],
                    0,
                    &p,
                    &[
                        (offset_of!(LayerNormParams, x), 0),
                        (offset_of!(LayerNormParams, gamma), 1),
                        (offset_of!(LayerNormParams, beta), 2),
                        (offset_of!(LayerNormParams, y), 3),
                    ],
                )],
                checks: vec![check(3, rule(dtype))],
                reference: Box::new(move |bufs| {
                    vec![float_bytes(
                        dtype,
                        &layer_norm(
                            &floats(dtype, bufs[0]),
                            &floats(dtype, bufs[1]),
                            &floats(dtype, bufs[2]),
                            f64::from(EPS),
                        ),
                    )]
                }),
                paired: None,
            }
        }),
    }
}

/// Blocks of 256 threads: one warp per row (8 rows a block) up to `ROW_WARP_MAX_COLS`
/// columns, one block per row above (`kernels/params.h`).
fn row_grid(rows: usize, cols: usize) -> u32 {
    if cols <= super::super::params::ROW_WARP_MAX_COLS as usize {
        blocks(rows as u64, 8)
    } else {
        rows as u32
    }
}
