//! Structural checks of the kernel suite: every kernel has both sizes, launches match their
//! parameter structs and entry points, and quick references run on random inputs.

use archbench_cli::suite::{self, bf16, params, DType, Fill, Role, Size};

fn param_size(entry: &str) -> usize {
    use std::mem::size_of;
    match entry {
        "cvt_color_bgr2gray" => size_of::<params::CvtColorParams>(),
        "resize_bilinear" => size_of::<params::ResizeParams>(),
        "gaussian_blur_5x5" | "sobel_3x3_dx" => size_of::<params::FilterParams>(),
        "histogram_256" | "histogram_256_zero" => size_of::<params::HistogramParams>(),
        "add_gelu_f32" | "add_gelu_bf16" => size_of::<params::AddGeluParams>(),
        "softmax_f32" | "softmax_bf16" => size_of::<params::SoftmaxParams>(),
        "layer_norm_f32" | "layer_norm_bf16" => size_of::<params::LayerNormParams>(),
        "reduce_sum_partial" | "reduce_sum_final" => size_of::<params::ReduceSumParams>(),
        "transpose_f32" => size_of::<params::TransposeParams>(),
        "gemm_bf16" | "sgemm_f32" => size_of::<params::GemmParams>(),
        other => panic!("unknown entry {other}"),
    }
}

#[test]
fn params_have_no_implicit_padding() {
    use std::mem::size_of;
    // Sum of field sizes (u64 = 8, u32/f32 = 4) equals the struct size.
    assert_eq!(size_of::<params::CvtColorParams>(), 2 * 8 + 4 * 4);
    assert_eq!(size_of::<params::ResizeParams>(), 2 * 8 + 8 * 4);
    assert_eq!(size_of::<params::FilterParams>(), 2 * 8 + 4 * 4);
    assert_eq!(size_of::<params::HistogramParams>(), 2 * 8 + 4 * 4);
    assert_eq!(size_of::<params::AddGeluParams>(), 4 * 8);
    assert_eq!(size_of::<params::SoftmaxParams>(), 2 * 8 + 2 * 4);
    assert_eq!(size_of::<params::LayerNormParams>(), 4 * 8 + 4 * 4);
    assert_eq!(size_of::<params::ReduceSumParams>(), 4 * 8 + 2 * 4);
    assert_eq!(size_of::<params::TransposeParams>(), 2 * 8 + 2 * 4);
    // a, b, c, m, n, k, pad to 64 bytes, then two 64-byte-aligned 128-byte tensor maps.
    assert_eq!(size_of::<params::GemmParams>(), 64 + 2 * 128);
    assert_eq!(size_of::<params::LaunchContract>(), 8 * 4);
}

/// Every case names its sizes (what `archbench kernels --json` gives PyTorch's side as
/// `shape`), each positive and written in its label, in the label's order.
#[test]
fn every_case_names_its_sizes_as_its_label_shows_them() {
    for spec in suite::all() {
        for size in [Size::Default, Size::Quick, Size::Edges] {
            for case in (spec.cases)(size) {
                assert!(!case.shape.is_empty(), "{} {}", spec.name, case.label);
                let mut rest = case.label.as_str();
                for (name, v) in &case.shape {
                    assert!(*v > 0, "{} {}: {name} = 0", spec.name, case.label);
                    let at = rest
                        .find(&v.to_string())
                        .unwrap_or_else(|| panic!("{} {:?}: {name} = {v}", spec.name, case.label));
                    rest = &rest[at + v.to_string().len()..];
                }
            }
        }
    }
}

#[test]
fn every_kernel_has_every_size_and_consistent_launches() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("kernels");
    let specs = suite::all();
    assert_eq!(specs.len(), 12);
    for spec in &specs {
        let source = std::fs::read_to_string(root.join(spec.file))
            .unwrap_or_else(|e| panic!("{}: {e}", spec.file));
        for size in [Size::Default, Size::Quick, Size::Edges] {
            let cases = (spec.cases)(size);
            assert!(!cases.is_empty(), "{} has no {size:?} cases", spec.name);
            for case in cases {
                assert!(case.bytes > 0, "{} {}", spec.name, case.label);
                let w = (case.workload)();
                assert!(!w.launches.is_empty() && !w.checks.is_empty());
                for l in &w.launches {
                    assert_eq!(l.params.len(), param_size(l.entry), "{}", l.entry);
                    if let Some(shape) = &l.from_image {
                        // Shaped by the image: every path of the entry defines the contract,
                        // and the tensor maps fit the parameters.
                        assert!(
                            source.contains(&format!(
                                "extern \"C\" __global__ void __launch_bounds__(GEMM_BF16_THREADS, GEMM_BF16_MIN_BLOCKS) {}(",
                                l.entry
                            )),
                            "{} not an entry of {}",
                            l.entry,
                            spec.file
                        );
                        assert_eq!(
                            source
                                .matches(&format!(
                                    "extern \"C\" __device__ const LaunchContract {} =",
                                    shape.contract
                                ))
                                .count(),
                            3,
                            "{}: one contract per path",
                            l.entry
                        );
                        assert!(l.grid == [0; 3] && l.block == [0; 3]);
                        for t in &shape.tensor_maps {
                            assert!(t.offset % 64 == 0 && t.offset + 128 <= l.params.len());
                            assert!(t.buffer < w.buffers.len());
                        }
                    } else {
                        assert!(
                            source.contains(&format!(
                                "extern \"C\" __global__ void __launch_bounds__(256) {}(",
                                l.entry
                            )),
                            "{} not an entry of {}",
                            l.entry,
                            spec.file
                        );
                        assert!(
                            l.block.iter().product::<u32>() <= 256,
                            "{} block exceeds its launch bounds",
                            l.entry
                        );
                        assert!(l.grid.iter().all(|&g| g > 0));
                    }
                    for &(off, buf) in &l.pointers {
                        assert!(
                            off % 8 == 0 && off + 8 <= l.params.len(),
                            "{} pointer at {off}",
                            l.entry
                        );
                        assert!(buf < w.buffers.len());
                    }
                }
                for c in &w.checks {
                    assert_eq!(w.buffers[c.buffer].role, Role::Output);
                    if let Some(s) = &c.sample {
                        let n = w.buffers[c.buffer].bytes / w.buffers[c.buffer].dtype.size();
                        assert!(s.iter().all(|&i| i < n));
                    }
                }
            }
        }
    }
}

/// SplitMix64 for test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn random_bytes(len: usize, dtype: DType, fill: Fill, rng: &mut Rng) -> Vec<u8> {
    match fill {
        Fill::Zero => vec![0; len],
        Fill::Value(_) | Fill::Iota => unreachable!("the built-in suite fills no buffer so"),
        Fill::Bytes => (0..len).map(|_| rng.next() as u8).collect(),
        Fill::Uniform(lo, hi) => {
            let n = len / dtype.size();
            let vals =
                (0..n).map(|_| lo + (hi - lo) * ((rng.next() >> 40) as f32 / (1u64 << 24) as f32));
            match dtype {
                DType::Bf16 => vals.flat_map(|v| bf16::from_f32(v).to_le_bytes()).collect(),
                _ => vals.flat_map(|v| v.to_le_bytes()).collect(),
            }
        }
    }
}

#[test]
fn quick_references_run_on_random_inputs() {
    let mut rng = Rng(42);
    for spec in suite::all() {
        for case in (spec.cases)(Size::Quick) {
            let w = (case.workload)();
            let inputs: Vec<Vec<u8>> = w
                .buffers
                .iter()
                .map(|b| match b.role {
                    Role::Input(fill) => random_bytes(b.bytes, b.dtype, fill, &mut rng),
                    _ => Vec::new(),
                })
                .collect();
            let views: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
            let out = (w.reference)(&views);
            assert_eq!(out.len(), w.checks.len(), "{} {}", spec.name, case.label);
            for (c, o) in w.checks.iter().zip(&out) {
                let b = &w.buffers[c.buffer];
                let want = c
                    .sample
                    .as_ref()
                    .map_or(b.bytes, |s| s.len() * b.dtype.size());
                assert_eq!(o.len(), want, "{} {}", spec.name, case.label);
            }
        }
    }
}
