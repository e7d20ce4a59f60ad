//! `gemm` (bf16 in, f32 accumulate: SIMT < sm_80, mma.sync sm_80+, wgmma sm_90a) and `sgemm`
//! (f32 SIMT): C = A * B^T, A m x k, B n x k, C m x n f32, all row-major. Default 4096^3
//! checks 4096 seeded elements (exact f64 dot products); quick 256^3 checks every element.

use std::mem::offset_of;

use super::super::build::{blocks, input, output};
use super::super::data::{float_bytes, floats};
use super::super::params::GemmParams;
use super::super::reference::gemm::{full, sample_indices, sampled};
use super::super::{Case, Check, DType, Family, Fill, KernelSpec, Launch, Rule, Size, Workload};
use super::super::{FromImage, PairedGemm, TensorMapSlot, TileSide};

/// Outputs are sums of k products of U(-1, 1) values (std-dev sqrt(k)/3): f32 accumulation
/// error grows like sqrt(k) ulps, so rtol = 1e-5 sqrt(k) and atol = 1e-5 sqrt(k) * sqrt(k)/3.
pub fn rule(k: usize) -> Rule {
    let s = (k as f64).sqrt();
    Rule::Close {
        rtol: 1e-5 * s,
        atol: 1e-5 * s * s / 3.0,
    }
}

/// Sampled checks above this many output elements.
const FULL_CHECK_MAX: usize = 1 << 20;
const SAMPLES: usize = 4096;

pub fn spec_bf16() -> KernelSpec {
    KernelSpec {
        name: "gemm",
        family: Family::Torch,
        file: "gemm.cu",
        description: "bf16 GEMM, f32 accumulate, C = A*B^T, launch declared by the image: SIMT 128x128 < sm_80; mma.sync m16n8k16 + ldmatrix, 4-stage cp.async, 128x256 sm_80+; TMA + wgmma m64n256k16, warp-specialised, persistent, 128x256 sm_90a; 4096^3 checks 4096 seeded elements",
        dtypes: &[DType::Bf16, DType::F32],
        rule: rule(4096),
        cases: |size| cases(DType::Bf16, size),
    }
}

pub fn spec_sgemm() -> KernelSpec {
    KernelSpec {
        name: "sgemm",
        family: Family::Torch,
        file: "gemm.cu",
        description: "f32 SIMT GEMM, C = A*B^T, 128x128 block tile, 8x8 per thread; 4096^3 checks 4096 seeded elements",
        dtypes: &[DType::F32],
        rule: rule(4096),
        cases: |size| cases(DType::F32, size),
    }
}

fn cases(dtype: DType, size: Size) -> Vec<Case> {
    match size {
        Size::Default => vec![case(dtype, 4096, 4096, 4096)],
        Size::Quick => vec![case(dtype, 256, 256, 256)],
        // One tile and one k-tile; several k-tiles; more tiles (144 of 128 x 256) than an
        // H100/H200 has SMs, so a persistent grid takes a second tile.
        Size::Edges => vec![
            case(dtype, 128, 256, 64),
            case(dtype, 384, 512, 320),
            case(dtype, 1152, 4096, 64),
        ],
    }
}

/// One GEMM case of any size (tests use it for shapes the suite does not list).
pub fn case(dtype: DType, m: usize, n: usize, k: usize) -> Case {
    // sgemm: 128 x 128 tiles, k % 8; gemm_bf16: the loaded image's contract decides (up to
    // 128 x 256 tiles, k % 64), and the runtime refuses sizes off its tile.
    assert!(
        m.is_multiple_of(128) && n.is_multiple_of(256) && k.is_multiple_of(64),
        "gemm cases need m % 128 == 0, n % 256 == 0 and k % 64 == 0"
    );
    let es = dtype.size();
    let (entry, name) = if dtype == DType::Bf16 {
        ("gemm_bf16", "bf16")
    } else {
        ("sgemm_f32", "f32")
    };
    Case {
        label: format!("{name} {m}x{n}x{k}"),
        dtype,
        shape: vec![("m", m as u64), ("n", n as u64), ("k", k as u64)],
        // Read A and B once, write C once; 2mnk flops.
        bytes: ((m * k + n * k) * es + 4 * m * n) as u64,
        flops: (2 * m * n * k) as u64,
        workload: Box::new(move || {
            let p = GemmParams {
                m: m as u32,
                n: n as u32,
                k: k as u32,
                ..GemmParams::default()
            };
            let pointers = [
                (offset_of!(GemmParams, a), 0),
                (offset_of!(GemmParams, b), 1),
                (offset_of!(GemmParams, c), 2),
            ];
            let sample = (m * n > FULL_CHECK_MAX).then(|| sample_indices(m, n, SAMPLES));
            let ref_sample = sample.clone();
            let fill = Fill::Uniform(-1.0, 1.0);
            Workload {
                buffers: vec![
                    input("a", dtype, m * k * es, fill),
                    input("b", dtype, n * k * es, fill),
                    output("c", DType::F32, 4 * m * n),
                ],
                launches: vec![if dtype == DType::Bf16 {
                    Launch::from_image(
                        entry,
                        FromImage {
                            contract: "gemm_bf16_contract",
                            m: m as u64,
                            n: n as u64,
                            k: k as u64,
                            tensor_maps: vec![
                                TensorMapSlot {
                                    offset: offset_of!(GemmParams, tma_a),
                                    buffer: 0,
                                    dtype,
                                    rows: m as u64,
                                    cols: k as u64,
                                    box_rows: TileSide::M,
                                },
                                TensorMapSlot {
                                    offset: offset_of!(GemmParams, tma_b),
                                    buffer: 1,
                                    dtype,
                                    rows: n as u64,
                                    cols: k as u64,
                                    box_rows: TileSide::N,
                                },
                            ],
                        },
                        &p,
                        &pointers,
                    )
                } else {
                    Launch::new(
                        entry,
                        [blocks(n as u64, 128), blocks(m as u64, 128), 1],
                        [256, 1, 1],
                        0,
                        &p,
                        &pointers,
                    )
                }],
                checks: vec![Check {
                    buffer: 2,
                    rule: rule(k),
                    sample,
                }],
                reference: Box::new(move |bufs| {
                    let (a, b) = (floats(dtype, bufs[0]), floats(dtype, bufs[1]));
                    let c = match &ref_sample {
                        Some(s) => sampled(&a, &b, n, k, s),
                        None => full(&a, &b, m, n, k),
                    };
                    vec![float_bytes(DType::F32, &c)]
                }),
                // cuBLAS on the same inputs, timed beside it under `--paired`.
                paired: Some(PairedGemm {
                    a: 0,
                    b: 1,
                    out: 2,
                    m: m as u64,
                    n: n as u64,
                    k: k as u64,
                    dtype,
                }),
            }
        }),
    }
}
