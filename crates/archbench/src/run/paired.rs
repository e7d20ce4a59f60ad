//! A library call timed beside a case (`--paired`): cuBLAS's GEMM on the case's own inputs,
//! run once and checked against the case's checked output (so both did the same work), then
//! sampled alternately with the case under the same protocol, into a series of its own.
//!
//! Why interleave: a GPU's clocks fall under sustained load (the H100 drops from 1980 to
//! about 1530 MHz after 50–70 ms of GEMM), so a ceiling measured at another time, for a
//! shorter burst, or on constant inputs (fewer toggling bits draw less power) is not the
//! clock the case ran at. Alternating samples puts both under the same clocks and
//! temperature; alternating which goes first cancels an order effect.

use crate::check;
use crate::gpu::{Cublas, DeviceBuffer, GemmInput, GemmShape, Stream};
use crate::results::schema::{Correctness, PairedResult};
use crate::workload::{DType, PairedCall, Rule, Workload};

use super::exec::Prepared;
use super::sampler::{Sample, Series};
use super::RunError;

/// The library call, ready to sample: cuBLAS, the shape, the case's input addresses and an
/// output of its own.
pub struct PairedRun {
    cublas: Cublas,
    shape: GemmShape,
    a: u64,
    b: u64,
    c: DeviceBuffer,
    library: String,
    correctness: Correctness,
}

impl PairedRun {
    /// Queues one call on `stream`.
    pub fn launch(&self, stream: Stream) -> Result<(), RunError> {
        // SAFETY: `a` and `b` are live buffers of the case that `prepare` checked hold the
        // shape's operands, and `c` was allocated for its output.
        unsafe {
            self.cublas
                .gemm_abt(&self.shape, self.a, self.b, self.c.ptr(), stream)
        }?;
        Ok(())
    }

    /// Whether sample `n` (from 0) of the pair runs the library call first.
    pub fn goes_first(n: u64) -> bool {
        n % 2 == 1
    }

    /// The record: the library, its check, and `series`, its samples.
    pub fn finish(&self, series: &Series, launches_per_sample: u32, budget_s: f64) -> PairedResult {
        PairedResult {
            library: self.library.clone(),
            correctness: Some(self.correctness.clone()),
            timing: Some(series.finish("paired", launches_per_sample, budget_s, None)),
            error: None,
        }
    }
}

/// Opens the library, runs the call once on the case's inputs and checks its output against
/// the case's (already checked) output. `Err` is the finished record: why the call does not
/// run, or its failed check.
pub fn prepare(
    call: &PairedCall,
    w: &Workload,
    p: &Prepared<'_>,
    seed: u64,
    stream: Stream,
) -> Result<PairedRun, Box<PairedResult>> {
    let PairedCall::CublasGemm {
        a,
        b,
        out,
        m,
        n,
        k,
        dtype,
    } = *call;
    let fail = |library: String, why: String, correctness: Option<Correctness>| {
        Box::new(PairedResult {
            library,
            correctness,
            timing: None,
            error: Some(why),
        })
    };
    let name = call.name();
    let input = match dtype {
        DType::Bf16 => GemmInput::Bf16,
        DType::F32 => GemmInput::F32,
        other => {
            return Err(fail(
                name,
                format!("cuBLAS's GEMM here takes bf16 or f32, not {}", other.name()),
                None,
            ))
        }
    };
    let shape = GemmShape { m, n, k, input };
    let cublas = Cublas::open().map_err(|e| fail(name.clone(), e.to_string(), None))?;
    let library = format!(
        "cuBLAS {} {}",
        cublas.version(),
        name.trim_start_matches("cuBLAS ")
    );
    let err = |e: &dyn std::fmt::Display| fail(library.clone(), e.to_string(), None);
    let (need_a, need_b, c_bytes) = shape.bytes();
    let buf = |i: usize, need: u64| -> Result<u64, Box<PairedResult>> {
        match p.buffer(i) {
            Some(d) if d.len() as u64 >= need => Ok(d.ptr()),
            Some(d) => Err(err(&format!(
                "buffer #{i} holds {} bytes; the GEMM reads {need}",
                d.len()
            ))),
            None => Err(err(&format!("buffer #{i} does not exist"))),
        }
    };
    let (a, b) = (buf(a, need_a)?, buf(b, need_b)?);
    let c = DeviceBuffer::new(c_bytes as usize).map_err(|e| err(&e))?;
    let mut run = PairedRun {
        cublas,
        shape,
        a,
        b,
        c,
        library: library.clone(),
        correctness: Correctness {
            passed: false,
            seed,
            mismatches: 0,
            max_abs_err: 0.0,
            detail: None,
        },
    };
    run.launch(stream).map_err(|e| err(&e))?;
    stream.synchronize().map_err(|e| err(&e))?;
    let got = run.c.download().map_err(|e| err(&e))?;
    let case_out = p
        .buffer(out)
        .ok_or_else(|| err(&format!("buffer #{out} does not exist")))?
        .download()
        .map_err(|e| err(&e))?;
    let want = case_out.get(..got.len()).unwrap_or(&case_out);
    let rule = w
        .checks
        .iter()
        .find(|c| c.buffer == out)
        .map_or(Rule::Exact, |c| c.rule);
    run.correctness = compare(&got, want, loosened(rule), seed);
    if !run.correctness.passed {
        return Err(fail(
            library,
            "cuBLAS's result differs from the case's checked output: not timed".into(),
            Some(run.correctness),
        ));
    }
    Ok(run)
}

/// Twice a rule's tolerance: two results each within the rule of the exact answer can be
/// twice as far from each other.
pub fn loosened(rule: Rule) -> Rule {
    match rule {
        Rule::Exact => Rule::Exact,
        Rule::WithinLsb { max_diff } => Rule::WithinLsb {
            max_diff: max_diff.saturating_mul(2),
        },
        Rule::Close { rtol, atol } => Rule::Close {
            rtol: 2.0 * rtol,
            atol: 2.0 * atol,
        },
    }
}

/// The library's f32 output against the case's, every element.
fn compare(got: &[u8], want: &[u8], rule: Rule, seed: u64) -> Correctness {
    let o = check::compare(DType::F32, rule, got, want, None);
    Correctness {
        passed: o.passed(),
        seed,
        mismatches: o.mismatches,
        max_abs_err: o.max_abs_err,
        detail: (!o.passed()).then(|| {
            format!(
                "cuBLAS against the case's output: {} of {} elements differ; {}",
                o.mismatches,
                o.elements,
                o.first_mismatch.unwrap_or_default()
            )
        }),
    }
}

/// Takes one sample of the case and one of the library call, in the order sample `n` says;
/// returns the case's and files the library's in `series`. Both sample functions get `cx`,
/// what they share (the timing tools).
pub fn take_pair<C, E>(
    n: u64,
    cx: &mut C,
    series: &mut Series,
    case: &mut dyn FnMut(&mut C) -> Result<Sample, E>,
    library: &mut dyn FnMut(&mut C) -> Result<Sample, E>,
) -> Result<Sample, E> {
    let (s, lib) = if PairedRun::goes_first(n) {
        let lib = library(cx)?;
        (case(cx)?, lib)
    } else {
        let s = case(cx)?;
        (s, library(cx)?)
    };
    series.push(lib);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tolerance_doubles() {
        assert_eq!(
            loosened(Rule::Close {
                rtol: 1e-3,
                atol: 2e-3
            }),
            Rule::Close {
                rtol: 2e-3,
                atol: 4e-3
            }
        );
        assert_eq!(
            loosened(Rule::WithinLsb { max_diff: u32::MAX }),
            Rule::WithinLsb { max_diff: u32::MAX }
        );
        assert_eq!(loosened(Rule::Exact), Rule::Exact);
    }

    #[test]
    fn a_library_result_off_the_case_fails_with_where() {
        let f = |xs: &[f32]| xs.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let rule = Rule::Close {
            rtol: 1e-3,
            atol: 1e-3,
        };
        let ok = compare(&f(&[1.0, 2.0005]), &f(&[1.0, 2.0]), rule, 7);
        assert!(ok.passed && ok.detail.is_none() && ok.seed == 7);
        let bad = compare(&f(&[1.0, 3.0]), &f(&[1.0, 2.0]), rule, 7);
        assert!(!bad.passed && bad.mismatches == 1);
        assert!(bad.detail.unwrap().contains("1 of 2 elements differ"));
    }

    /// The pair alternates which goes first, and every library sample lands in its series.
    #[test]
    fn pairs_alternate_and_fill_the_series() {
        let order = std::cell::RefCell::new(String::new());
        let sample = |s: f64| Sample {
            seconds: s,
            span: None,
            region_s: None,
            blocker_timed_out: false,
        };
        let mut series = Series::new(1980.0);
        for n in 0..4u64 {
            let s = take_pair::<_, ()>(
                n,
                &mut (),
                &mut series,
                &mut |_| {
                    order.borrow_mut().push('c');
                    Ok(sample(2e-4))
                },
                &mut |_| {
                    order.borrow_mut().push('l');
                    Ok(sample((n + 1) as f64))
                },
            )
            .unwrap();
            assert_eq!(s.seconds, 2e-4, "the case's sample is returned");
        }
        assert_eq!(order.into_inner(), "cllccllc");
        assert_eq!(series.kept(), [1.0, 2.0, 3.0, 4.0]);
        let t = series.finish("paired", 1, 1.0, None);
        assert_eq!(t.stop_reason, "paired");
        assert_eq!(t.samples, 4);
        // A library error ends the pair.
        let e = take_pair(
            0,
            &mut (),
            &mut series,
            &mut |_| Ok(sample(1.0)),
            &mut |_| Err("cuBLAS"),
        );
        assert_eq!(e.unwrap_err(), "cuBLAS");
    }
}
