//! A library call timed beside a case (`--paired`): cuBLAS's GEMM on the case's own inputs,
//! run once and checked against the case's checked output (so both did the same work), or a
//! device copy of the case's bytes (checked to copy); then sampled alternately with the case
//! under the same protocol, into a series of its own.
//!
//! Why interleave: a GPU's clocks fall under sustained load (the H100 drops from 1980 to
//! about 1530 MHz after 50–70 ms of GEMM), so a ceiling measured at another time, for a
//! shorter burst, or on constant inputs (fewer toggling bits draw less power) is not the
//! clock the case ran at. Alternating samples puts both under the same clocks and
//! temperature; alternating which goes first cancels an order effect.

use crate::check;
use crate::gpu::{Cublas, DeviceBuffer, GemmInput, GemmShape, Stream};
use crate::results::schema::{Correctness, PairedResult};
use crate::workload::{DType, GemmOperands, PairedCall, Rule, Workload};

use super::exec::Prepared;
use super::sampler::{Sample, Series};
use super::RunError;

/// The library call, ready to sample, with its check's result.
pub struct PairedRun {
    call: Call,
    library: String,
    correctness: Correctness,
}

/// What one paired sample runs.
enum Call {
    /// cuBLAS, the shape, the case's input addresses and an output of its own.
    Gemm {
        cublas: Cublas,
        shape: GemmShape,
        a: u64,
        b: u64,
        c: DeviceBuffer,
    },
    /// A copy between two buffers of its own.
    Copy {
        from: DeviceBuffer,
        to: DeviceBuffer,
    },
}

impl Call {
    /// Queues one call on `stream`.
    fn launch(&self, stream: Stream) -> Result<(), RunError> {
        match self {
            Call::Gemm {
                cublas,
                shape,
                a,
                b,
                c,
            } => {
                // SAFETY: `a` and `b` are live buffers of the case that `prepare` checked
                // hold the shape's operands, and `c` was allocated for its output.
                unsafe { cublas.gemm_abt(shape, *a, *b, c.ptr(), stream) }?
            }
            Call::Copy { from, to } => to.copy_from_async(from, stream)?,
        }
        Ok(())
    }

    /// The buffer the call writes.
    fn output(&self) -> &DeviceBuffer {
        match self {
            Call::Gemm { c, .. } => c,
            Call::Copy { to, .. } => to,
        }
    }
}

impl PairedRun {
    /// Queues one call on `stream`.
    pub fn launch(&self, stream: Stream) -> Result<(), RunError> {
        self.call.launch(stream)
    }

    /// What is called (`cuBLAS 13.0.2 cublasGemmEx …`, `device copy …`).
    pub fn library(&self) -> &str {
        &self.library
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

/// The case a call is paired with, prepared and checked, and where the call runs.
pub struct Beside<'a, 'w> {
    pub workload: &'a Workload,
    pub prepared: &'a Prepared<'w>,
    /// The case's input seed (recorded with the call's check).
    pub seed: u64,
    pub stream: Stream,
}

/// Makes the call ready: runs it once and checks it (cuBLAS's output against the case's
/// checked output; a copy against its source). `Err` is the finished record: why the call
/// does not run, or its failed check.
pub fn prepare(call: &PairedCall, at: &Beside<'_, '_>) -> Result<PairedRun, Box<PairedResult>> {
    match call {
        PairedCall::CublasGemm(g) => prepare_gemm(call.name(), g, at),
        PairedCall::DeviceCopy { bytes } => prepare_copy(call.name(), *bytes, at.seed, at.stream),
    }
}

fn failed(library: String, why: String, correctness: Option<Correctness>) -> Box<PairedResult> {
    Box::new(PairedResult {
        library,
        correctness,
        timing: None,
        error: Some(why),
    })
}

/// Runs `call` once, waits, and downloads what it wrote (not yet checked).
fn run_once(call: &Call, library: &str, stream: Stream) -> Result<Vec<u8>, Box<PairedResult>> {
    let err = |e: &dyn std::fmt::Display| failed(library.to_string(), e.to_string(), None);
    call.launch(stream).map_err(|e| err(&e))?;
    stream.synchronize().map_err(|e| err(&e))?;
    call.output().download().map_err(|e| err(&e))
}

/// Opens cuBLAS, runs the GEMM once on the case's inputs and checks its output against the
/// case's (already checked) output.
fn prepare_gemm(
    name: String,
    g: &GemmOperands,
    at: &Beside<'_, '_>,
) -> Result<PairedRun, Box<PairedResult>> {
    let (w, p, seed) = (at.workload, at.prepared, at.seed);
    let input = match g.dtype {
        DType::Bf16 => GemmInput::Bf16,
        DType::F32 => GemmInput::F32,
        other => {
            let why = format!("cuBLAS's GEMM here takes bf16 or f32, not {}", other.name());
            return Err(failed(name, why, None));
        }
    };
    let shape = GemmShape {
        m: g.m,
        n: g.n,
        k: g.k,
        input,
    };
    let cublas = Cublas::open().map_err(|e| failed(name.clone(), e.to_string(), None))?;
    let library = format!(
        "cuBLAS {} {}",
        cublas.version(),
        name.trim_start_matches("cuBLAS ")
    );
    let err = |e: &dyn std::fmt::Display| failed(library.clone(), e.to_string(), None);
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
    let (a, b) = (buf(g.a, need_a)?, buf(g.b, need_b)?);
    let c = DeviceBuffer::new(c_bytes as usize).map_err(|e| err(&e))?;
    let call = Call::Gemm {
        cublas,
        shape,
        a,
        b,
        c,
    };
    let got = run_once(&call, &library, at.stream)?;
    let case_out = p
        .buffer(g.out)
        .ok_or_else(|| err(&format!("buffer #{} does not exist", g.out)))?
        .download()
        .map_err(|e| err(&e))?;
    let want = case_out.get(..got.len()).unwrap_or(&case_out);
    let rule = w
        .checks
        .iter()
        .find(|c| c.buffer == g.out)
        .map_or(Rule::Exact, |c| c.rule);
    let correctness = compare(&got, want, loosened(rule), seed);
    if !correctness.passed {
        let why = "cuBLAS's result differs from the case's checked output: not timed";
        return Err(failed(library, why.into(), Some(correctness)));
    }
    Ok(PairedRun {
        call,
        library,
        correctness,
    })
}

/// Allocates the copy's two buffers, fills the source, copies once and checks the copy.
fn prepare_copy(
    library: String,
    bytes: u64,
    seed: u64,
    stream: Stream,
) -> Result<PairedRun, Box<PairedResult>> {
    let err = |e: &dyn std::fmt::Display| failed(library.clone(), e.to_string(), None);
    let len = usize::try_from(bytes).map_err(|e| err(&e))?;
    let from = DeviceBuffer::new(len).map_err(|e| err(&e))?;
    let to = DeviceBuffer::new(len).map_err(|e| err(&e))?;
    let pattern: Vec<u8> = (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
        .collect();
    from.upload(&pattern).map_err(|e| err(&e))?;
    to.fill_byte(crate::workload::POISON).map_err(|e| err(&e))?;
    let call = Call::Copy { from, to };
    let got = run_once(&call, &library, stream)?;
    let wrong = got.iter().zip(&pattern).filter(|(a, b)| a != b).count() as u64;
    let correctness = Correctness {
        passed: wrong == 0,
        seed,
        mismatches: wrong,
        max_abs_err: 0.0,
        detail: (wrong > 0)
            .then(|| format!("the copy differs from its source in {wrong} of {len} bytes")),
    };
    if wrong > 0 {
        let why = "the device copy did not copy: not timed".to_string();
        return Err(failed(library, why, Some(correctness)));
    }
    Ok(PairedRun {
        call,
        library,
        correctness,
    })
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
