//! `transpose`: tiled f32 matrix transpose through a padded 32x33 shared tile, exact.

use std::mem::offset_of;

use super::super::build::{blocks, check, input, output};
use super::super::params::TransposeParams;
use super::super::reference::tensor::transpose;
use super::super::{Case, DType, Family, Fill, KernelSpec, Launch, Rule, Size, Workload};

pub fn spec() -> KernelSpec {
    KernelSpec {
        name: "transpose",
        family: Family::Torch,
        file: "transpose.cu",
        description: "f32 transpose, 32x32 tiles through padded shared memory, coalesced both ways",
        dtypes: &[DType::F32],
        rule: Rule::Exact,
        cases,
    }
}

fn cases(size: Size) -> Vec<Case> {
    let shapes = match size {
        Size::Default => vec![(8192usize, 8192usize)],
        Size::Quick => vec![(300, 200)],
        // Single rows and columns, partial 32 x 32 tiles each way.
        Size::Edges => vec![(1, 1), (1, 33), (33, 1), (31, 33), (32, 32), (65, 97)],
    };
    shapes
        .into_iter()
        .map(|(rows, cols)| case(rows, cols))
        .collect()
}

fn case(rows: usize, cols: usize) -> Case {
    Case {
        label: format!("f32 {rows}x{cols}"),
        dtype: DType::F32,
        shape: vec![("rows", rows as u64), ("cols", cols as u64)],
        // Read and write every element once; no arithmetic.
        bytes: (8 * rows * cols) as u64,
        flops: 0,
        workload: Box::new(move || {
            let p = TransposeParams {
                src: 0,
                dst: 0,
                rows: rows as u32,
                cols: cols as u32,
            };
            Workload {
                buffers: vec![
                    input("src", DType::F32, 4 * rows * cols, Fill::Uniform(-1.0, 1.0)),
                    output("dst", DType::F32, 4 * rows * cols),
                ],
                launches: vec![Launch::new(
                    "transpose_f32",
                    [blocks(cols as u64, 32), blocks(rows as u64, 32), 1],
                    [32, 8, 1],
                    0,
                    &p,
                    &[
                        (offset_of!(TransposeParams, src), 0),
                        (offset_of!(TransposeParams, dst), 1),
                    ],
                )],
                checks: vec![check(1, Rule::Exact)],
                reference: Box::new(move |bufs| {
                    let words: Vec<[u8; 4]> = bufs[0]
                        .chunks_exact(4)
                        .map(|c| [c[0], c[1], c[2], c[3]])
                        .collect();
                    vec![transpose(&words, rows, cols).concat()]
                }),
                paired: None,
            }
        }),
    }
}
