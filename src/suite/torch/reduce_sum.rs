//! `reduce_sum`: sum of a large f32 vector, two deterministic passes (partials, then final).

use std::mem::offset_of;

use super::super::build::{check, input, output, scratch};
use super::super::data::float_bytes;
use super::super::data::floats;
use super::super::params::ReduceSumParams;
use super::super::reference::tensor::sum;
use super::super::{Case, DType, Family, Fill, KernelSpec, Launch, Rule, Size, Workload};

/// Inputs U(0, 1): the sum is well conditioned, and f32 accumulation over ~1024 values per
/// thread then a tree stays within ~1e-6 relative.
const RULE: Rule = Rule::Close {
    rtol: 1e-5,
    atol: 0.0,
};

pub fn spec() -> KernelSpec {
    KernelSpec {
        name: "reduce_sum",
        family: Family::Torch,
        file: "reduce_sum.cu",
        description: "f32 sum: grid-stride float4 partial sums per block (4 loads in flight, 4 accumulators per thread; shuffles + shared), then one block sums the partials; inputs U(0, 1)",
        dtypes: &[DType::F32],
        rule: RULE,
        cases,
    }
}

fn cases(size: Size) -> Vec<Case> {
    let shapes: Vec<(usize, u32)> = match size {
        Size::Default => vec![(1 << 28, 1024)],
        Size::Quick => vec![((1 << 20) + 3, 64)],
        // Fewer elements than threads, every n % 4 tail, more partial blocks than work, one
        // partial block for many elements.
        Size::Edges => vec![
            (1, 1),
            (3, 1),
            (4, 2),
            (5, 64),
            (17, 3),
            (1023, 64),
            (4099, 64),
            (65537, 1),
            (65538, 5),
        ],
    };
    shapes
        .into_iter()
        .map(|(n, partials)| case(n, partials))
        .collect()
}

fn case(n: usize, partials: u32) -> Case {
    Case {
        label: format!("f32 n={n}"),
        dtype: DType::F32,
        shape: vec![("n", n as u64)],
        // Read every element once; one add per element.
        bytes: (4 * n + 4) as u64,
        flops: n as u64,
        workload: Box::new(move || {
            let p = ReduceSumParams {
                x: 0,
                partial: 0,
                out: 0,
                n: n as u64,
                num_partials: partials,
                _pad0: 0,
            };
            let ptrs = [
                (offset_of!(ReduceSumParams, x), 0),
                (offset_of!(ReduceSumParams, partial), 1),
                (offset_of!(ReduceSumParams, out), 2),
            ];
            Workload {
                buffers: vec![
                    input("x", DType::F32, 4 * n, Fill::Uniform(0.0, 1.0)),
                    scratch("partial", DType::F32, 4 * partials as usize),
                    output("out", DType::F32, 4),
                ],
                launches: vec![
                    Launch::new(
                        "reduce_sum_partial",
                        [partials, 1, 1],
                        [256, 1, 1],
                        0,
                        &p,
                        &ptrs,
                    ),
                    Launch::new("reduce_sum_final", [1, 1, 1], [256, 1, 1], 0, &p, &ptrs),
                ],
                checks: vec![check(2, RULE)],
                reference: Box::new(move |bufs| {
                    vec![float_bytes(
                        DType::F32,
                        &[sum(&floats(DType::F32, bufs[0]))],
                    )]
                }),
                paired: None,
            }
        }),
    }
}
