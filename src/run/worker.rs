//! The worker process (`archbench __worker TASK_JSON`): opens the GPU, does one task, prints
//! JSON lines. A fault here loses only this task; the parent records it.

use std::io::Write;
use std::time::Instant;

use super::protocol::{encode, Message, WorkerTask};
use super::sampler::{self, Sample, THROTTLE_PAUSE};
use crate::embedded;
use crate::fill::derive_seed;
use crate::gpu::{
    image_kind, BlockingKernel, ClockProbe, EventPair, Gpu, GpuError, L2Flusher, Module, Prepared,
};
use crate::measure::StopRule;
use crate::results::schema::{CaseResult, Ceilings, LoadedImage, Mode, Throughput};
use crate::suite::{self, Size};

/// Runs a task, printing messages; returns the process exit code.
pub fn run(task: &WorkerTask) -> i32 {
    let mut out = std::io::stdout().lock();
    let mut emit = |m: Message| {
        let _ = writeln!(out, "{}", encode(&m));
        let _ = out.flush();
    };
    let device = match task {
        WorkerTask::Ceilings { device } | WorkerTask::Kernel { device, .. } => *device,
    };
    let gpu = match Gpu::open(device) {
        Ok(g) => g,
        Err(e) => {
            emit(Message::Fatal {
                error: e.to_string(),
            });
            return 1;
        }
    };
    emit(Message::Device(gpu.info.to_schema()));
    match task {
        WorkerTask::Ceilings { .. } => match super::ceilings::measure(&gpu) {
            Ok(c) => {
                emit(Message::Ceilings(c));
                0
            }
            Err(e) => {
                emit(Message::Fatal {
                    error: format!("measuring ceilings: {e}"),
                });
                1
            }
        },
        WorkerTask::Kernel {
            variant,
            kernel,
            quick,
            mode,
            seed,
            rule,
            ceilings,
            predicted,
            prediction_loads,
            ..
        } => {
            let ctx = KernelCtx {
                gpu: &gpu,
                variant,
                kernel,
                quick: *quick,
                mode: *mode,
                seed: *seed,
                rule,
                ceilings,
                predicted: predicted.clone(),
                prediction_loads: *prediction_loads,
            };
            match run_kernel(&ctx, &mut emit) {
                Ok(()) => 0,
                Err(e) => {
                    emit(Message::Fatal { error: e });
                    1
                }
            }
        }
    }
}

struct KernelCtx<'a> {
    gpu: &'a Gpu,
    variant: &'a str,
    kernel: &'a str,
    quick: bool,
    mode: Mode,
    seed: u64,
    rule: &'a StopRule,
    ceilings: &'a Ceilings,
    predicted: Option<String>,
    prediction_loads: Option<bool>,
}

fn run_kernel(c: &KernelCtx, emit: &mut impl FnMut(Message)) -> Result<(), String> {
    let spec = suite::all()
        .into_iter()
        .find(|k| k.name == c.kernel)
        .ok_or_else(|| format!("no kernel `{}` in the suite", c.kernel))?;
    let manifest = embedded::manifest().map_err(|e| e.to_string())?;
    // `pkgsCuda@sm_86`: one image of the variant, loaded on its own.
    let (base_name, forced) = match c.variant.split_once(super::plan::FORCED_SEP) {
        Some((b, i)) => (b, Some(i)),
        None => (c.variant, None),
    };
    let vb = manifest
        .variants
        .iter()
        .find(|v| v.name == base_name)
        .ok_or_else(|| format!("variant `{base_name}` is not embedded"))?;
    let image = embedded::images_of(base_name)
        .find(|i| i.file == spec.file)
        .ok_or_else(|| format!("no embedded image of `{}` for `{base_name}`", spec.file))?;
    let bytes: std::borrow::Cow<'static, [u8]> = match forced {
        None => std::borrow::Cow::Borrowed(image.fatbin),
        Some(arch) => std::borrow::Cow::Owned(extract_image(image.fatbin, arch)?),
    };
    let sass: Vec<archbench_core::Capability> = vb
        .capabilities
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let size = if c.quick { Size::Quick } else { Size::Default };
    let cases = (spec.cases)(size);

    let t0 = Instant::now();
    let module = Module::load(&bytes);
    let load_ms = t0.elapsed().as_secs_f64() * 1e3;
    let base = |label: &str, bytes: u64, flops: u64| CaseResult {
        variant: c.variant.to_string(),
        variant_flags: vb.gencode.clone(),
        kernel: c.kernel.to_string(),
        case: label.to_string(),
        bytes,
        flops,
        image: None,
        predicted: c.predicted.clone(),
        prediction_matches: None,
        correctness: None,
        timing: None,
        throughput: None,
        load_ms: Some(load_ms),
        error: None,
    };
    let module = match module {
        Ok(m) => m,
        Err(e) => {
            // The load failed: record it for every case; matching the prediction if it said so.
            for case in &cases {
                let mut r = base(&case.label, case.bytes, case.flops);
                r.prediction_matches = c.prediction_loads.map(|l| !l);
                r.error = Some(e.to_string());
                emit(Message::Case(Box::new(r)));
            }
            return Ok(());
        }
    };
    let stream = crate::gpu::Stream::DEFAULT;
    let probe = ClockProbe::new().map_err(|e| e.to_string())?;
    let blocker = BlockingKernel::new().map_err(|e| e.to_string())?;
    let mut flusher = match c.mode {
        Mode::Cold => Some(L2Flusher::new(c.gpu.info.l2_bytes).map_err(|e| e.to_string())?),
        Mode::Hot => None,
    };
    let events = EventPair::new().map_err(|e| e.to_string())?;
    let default_mhz = f64::from(c.gpu.info.sm_clock_khz) / 1e3;
    for case in cases {
        let mut r = base(&case.label, case.bytes, case.flops);
        let w = (case.workload)();
        let seed = derive_seed(c.seed, &[c.kernel, &case.label, c.variant]);
        let outcome: Result<(), GpuError> = (|| {
            let mut p = Prepared::new(&w, &module, seed)?;
            if let Some(f) = p.first_function() {
                let (bin, ptx) = f.versions()?;
                let kind = match forced {
                    Some(a) if a.starts_with("compute_") => "ptx-jit",
                    Some(_) => "sass",
                    None => image_kind(bin, &sass),
                };
                r.image = Some(LoadedImage {
                    binary_version: bin,
                    ptx_version: ptx,
                    kind: kind.to_string(),
                });
                r.prediction_matches = c
                    .predicted
                    .as_ref()
                    .map(|pred| prediction_agrees(pred, bin, kind));
            }
            let exec = p.run_checked(stream)?;
            let passed = exec.correctness.passed;
            r.correctness = Some(exec.correctness);
            if !passed {
                return Ok(());
            }
            // Warm-up (the checked run already absorbed any JIT), then a launch-count estimate.
            p.launch(stream)?;
            events.record_start(stream)?;
            p.launch(stream)?;
            events.record_end(stream)?;
            let estimate = events.elapsed_s()?.max(1e-7);
            let batch = match c.mode {
                Mode::Cold => 1,
                Mode::Hot => ((1e-3 / estimate).ceil() as u32).clamp(1, 10_000),
            };
            let timing = sampler::sample(
                c.rule,
                default_mhz,
                batch,
                || -> Result<Sample, GpuError> {
                    if let Some(f) = flusher.as_mut() {
                        f.flush(stream)?;
                    }
                    // Cold: one launch behind the blocking kernel, so the events exclude
                    // launch latency. Hot: a ≥ 1 ms batch makes latency negligible, and
                    // queueing thousands of launches behind a blocker could fill the
                    // driver's launch queue and deadlock, so no blocker.
                    let blocking = c.mode == Mode::Cold;
                    if blocking {
                        blocker.block(stream)?;
                    }
                    events.record_start(stream)?;
                    for _ in 0..batch {
                        p.launch(stream)?;
                    }
                    events.record_end(stream)?;
                    if blocking {
                        blocker.release();
                    }
                    let secs = events.elapsed_s()? / f64::from(batch);
                    if blocking && blocker.timed_out() {
                        return Err(GpuError::Invalid("the blocking kernel timed out (2 s) before the host released it: the sample would include launch latency".into()));
                    }
                    let clock = probe.read_mhz(stream)?;
                    Ok(Sample {
                        seconds: secs,
                        clock_mhz: clock,
                    })
                },
                || std::thread::sleep(THROTTLE_PAUSE),
            )?;
            let t = timing.median_s;
            let gbps = case.bytes as f64 / t / 1e9;
            let tflops = case.flops as f64 / t / 1e12;
            r.throughput = Some(Throughput {
                gbps,
                tflops,
                pct_copy_bw: c.ceilings.copy_gbps.map(|x| 100.0 * gbps / x),
                pct_gemm: c
                    .ceilings
                    .gemm_bf16_tflops
                    .filter(|_| case.flops > 0)
                    .map(|x| 100.0 * tflops / x),
            });
            r.timing = Some(timing);
            Ok(())
        })();
        if let Err(e) = outcome {
            r.error = Some(e.to_string());
            emit(Message::Case(Box::new(r)));
            // A failed launch can leave the context unusable: stop this task.
            return Ok(());
        }
        emit(Message::Case(Box::new(r)));
    }
    Ok(())
}

/// The decompressed bytes of one image (`sm_86`, `compute_80`) of an embedded fatbin.
fn extract_image(fatbin: &[u8], arch: &str) -> Result<Vec<u8>, String> {
    let opts = archbench_inspect::Options {
        decode: true,
        keep_data: true,
        ..Default::default()
    };
    let bin = archbench_inspect::read(fatbin, opts)
        .map_err(|e| format!("reading the embedded fatbin: {e}"))?;
    let img = bin
        .images
        .into_iter()
        .find(|i| i.arch_name() == arch)
        .ok_or_else(|| format!("the embedded fatbin has no `{arch}` image"))?;
    img.data
        .map(|d| d.into_owned())
        .ok_or_else(|| format!("`{arch}` image has no data"))
}

/// Whether the predictor's summary names the image that ran: `sm_XX` for SASS, `compute_`
/// for JIT.
pub fn prediction_agrees(predicted: &str, binary_version: u32, kind: &str) -> bool {
    let p = predicted.to_ascii_lowercase();
    match kind {
        "sass" => p.contains(&format!("sm_{binary_version}")),
        _ => p.contains("compute_") || p.contains("ptx"),
    }
}

#[cfg(test)]
mod tests {
    use super::prediction_agrees;

    #[test]
    fn agreement() {
        assert!(prediction_agrees("SASS sm_90 (exact match)", 90, "sass"));
        assert!(!prediction_agrees("SASS sm_80 (lower minor)", 90, "sass"));
        assert!(prediction_agrees("PTX compute_80 via JIT", 90, "ptx-jit"));
        assert!(!prediction_agrees("SASS sm_90", 90, "ptx-jit"));
    }
}
