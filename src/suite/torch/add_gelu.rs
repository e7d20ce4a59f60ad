//! `add_gelu`: out = gelu_tanh(a + b), f32 and bf16, 16-byte vectors.

use std::mem::offset_of;

use super::super::build::{blocks, check, input, output};
use super::super::data::{float_bytes, floats};
use super::super::params::AddGeluParams;
use super::super::reference::tensor::add_gelu;
use super::super::{Case, DType, Family, Fill, KernelSpec, Launch, Rule, Size, Workload};
use super::dname;

/// f32: a few ulps of tanhf/expf; bf16: one bf16 ulp (2^-8..2^-7 relative) of rounding.
fn rule(dtype: DType) -> Rule {
    match dtype {
        DType::Bf16 => Rule::Close {
            rtol: 1e-2,
            atol: 1e-5,
        },
        _ => Rule::Close {
            rtol: 1e-5,
            atol: 1e-6,
        },
    }
}

pub fn spec() -> KernelSpec {
    KernelSpec {
        name: "add_gelu",
        family: Family::Torch,
        file: "add_gelu.cu",
        description:
            "gelu_tanh(a + b) fused, 16-byte vector loads/stores, f32 math; inputs U(-4, 4)",
        dtypes: &[DType::F32, DType::Bf16],
        rule: rule(DType::F32),
        cases,
    }
}

fn cases(size: Size) -> Vec<Case> {
    // Quick has a ragged tail (n % 8 = 3) to exercise the scalar tail path.
    // Edge sizes: every tail length of both vector widths (4 and 8 elements), whole and
    // partial blocks of 256 vectors.
    let ns: Vec<usize> = match size {
        Size::Default => vec![1 << 26],
        Size::Quick => vec![(1 << 20) + 3],
        Size::Edges => vec![1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1023, 1024, 1025, 16389],
    };
    [DType::F32, DType::Bf16]
        .into_iter()
        .flat_map(|dtype| ns.iter().map(move |&n| case(dtype, n)))
        .collect()
}

fn case(dtype: DType, n: usize) -> Case {
    let es = dtype.size();
    let vec = 16 / es;
    Case {
        label: format!("{} n={n}", dname(dtype)),
        dtype,
        shape: vec![("n", n as u64)],
        // Two reads and one write per element; ~10 flops per element (add, x^3, fma, scale,
        // tanh counted as one, 1+, two multiplies).
        bytes: (3 * n * es) as u64,
        flops: (10 * n) as u64,
        workload: Box::new(move || {
            let p = AddGeluParams {
                a: 0,
                b: 0,
                out: 0,
                n: n as u64,
            };
            let entry = if dtype == DType::Bf16 {
                "add_gelu_bf16"
            } else {
                "add_gelu_f32"
            };
            let fill = Fill::Uniform(-4.0, 4.0);
            Workload {
                buffers: vec![
                    input("a", dtype, n * es, fill),
                    input("b", dtype, n * es, fill),
                    output("out", dtype, n * es),
                ],
                launches: vec![Launch::new(
                    entry,
                    [blocks(n as u64, 256 * vec as u64), 1, 1],
                    [256, 1, 1],
                    0,
                    &p,
                    &[
                        (offset_of!(AddGeluParams, a), 0),
                        (offset_of!(AddGeluParams, b), 1),
                        (offset_of!(AddGeluParams, out), 2),
                    ],
                )],
                checks: vec![check(2, rule(dtype))],
                reference: Box::new(move |bufs| {
                    vec![float_bytes(
                        dtype,
                        &add_gelu(&floats(dtype, bufs[0]), &floats(dtype, bufs[1])),
                    )]
                }),
                paired: None,
            }
        }),
    }
}
