//! The worker process (`archbench __worker TASK_JSON`): opens the GPU, runs the jobs that
//! arrive on stdin in order and prints protocol lines (see [`super::protocol`]). Before each case it says which
//! case it starts, so the parent can name a case that hangs or crashes the worker. An error
//! in one case does not end the job: the worker checks whether the context survived and goes
//! on with the next case; when the context is unusable (a sticky error such as an illegal
//! address) it exits with [`EXIT_STICKY`] and the parent starts a new worker for the rest.

use std::io::Write;
use std::time::Instant;

use archbench_core::manifest::VariantBuild;

use super::exec::Prepared;
use super::protocol::{encode, KernelJob, KernelSettings, Message, WorkerTask, EXIT_STICKY};
use super::sampler::{self, Sample, THROTTLE_PAUSE};
use super::RunError;
use crate::fill::derive_seed;
use crate::gpu::{
    image_kind, BlockingKernel, ClockStamps, EmptyKernel, EventPair, Gpu, GpuError, L2Flusher,
    Module, Stream,
};
use crate::images::{Image, Images};
use crate::results::schema::{CaseResult, LoadedImage, Mode, Predicted, Status, Throughput};
use crate::workload::{CaseInfo, CaseSource, Set, Workload};

/// At most this many kernel launches are queued behind the blocking kernel in one hot
/// sample: far below the driver's launch queue, so queueing never blocks the host while
/// the GPU waits for it (which would deadlock until the blocker's 2 s timeout).
pub const HOT_QUEUE_CAP: u32 = 256;

/// A hot sample aims at this much GPU time, so events and the blocker are negligible.
const HOT_SAMPLE_S: f64 = 1e-3;

/// Runs a task for `suite` (whose images are `images`), printing messages; returns the
/// process exit code.
pub fn run(task: &WorkerTask, suite: &dyn CaseSource, images: &Images) -> i32 {
    let mut out = std::io::stdout().lock();
    let mut emit = |m: Message| {
        let _ = writeln!(out, "{}", encode(&m));
        let _ = out.flush();
    };
    let device = match task {
        WorkerTask::Ceilings { device } | WorkerTask::Kernels { device, .. } => *device,
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
    emit(Message::Device(super::device_record(&gpu.info)));
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
        WorkerTask::Kernels { settings, .. } => {
            let mut tools = None;
            for line in std::io::stdin().lines() {
                let Ok(line) = line else { return 1 };
                if line.trim().is_empty() {
                    continue;
                }
                let job: KernelJob = match serde_json::from_str(&line) {
                    Ok(j) => j,
                    Err(e) => {
                        emit(Message::Fatal {
                            error: format!("bad job line from the parent: {e}"),
                        });
                        return 1;
                    }
                };
                emit(Message::TaskStart { task: job.task });
                let ctx = JobCtx {
                    gpu: &gpu,
                    settings,
                    suite,
                    images,
                };
                match run_job(&ctx, &job, &mut tools, &mut emit) {
                    Ok(()) => emit(Message::TaskEnd { task: job.task }),
                    Err(JobEnd::Sticky) => return EXIT_STICKY,
                    Err(JobEnd::Fatal(error)) => {
                        emit(Message::Fatal { error });
                        return 1;
                    }
                }
            }
            0
        }
    }
}

/// Why a job ended early.
enum JobEnd {
    /// The context is unusable: this worker must exit.
    Sticky,
    /// The job cannot run at all (unknown kernel or variant: a parent bug).
    Fatal(String),
}

/// Timing tools, made once per worker (after the first module loaded, so a worker whose
/// every variant is refused never allocates them).
struct Tools {
    blocker: BlockingKernel,
    stamps: ClockStamps,
    flusher: Option<L2Flusher>,
    events: EventPair,
    /// The event time of a timed region around one empty kernel (median of
    /// [`OVERHEAD_SAMPLES`]); `None` when profiling (no blocker, no stamps).
    overhead_s: Option<f64>,
}

/// Samples of the empty region measured per worker.
const OVERHEAD_SAMPLES: usize = 31;

impl Tools {
    fn new(gpu: &Gpu, mode: Mode, profile: bool) -> Result<Self, GpuError> {
        let mut t = Self {
            blocker: BlockingKernel::new()?,
            stamps: ClockStamps::new(gpu.info.sm_count)?,
            flusher: match mode {
                Mode::Cold => Some(L2Flusher::new(gpu.info.l2_bytes, gpu.info.sm_count)?),
                Mode::Hot => None,
            },
            events: EventPair::new()?,
            overhead_s: None,
        };
        if !profile {
            t.overhead_s = Some(t.empty_region()?);
        }
        Ok(t)
    }

    /// The event time of the timed region as every sample takes it (behind the blocker,
    /// between the clock stamps), around one empty kernel: the fixed cost in every sample.
    fn empty_region(&mut self) -> Result<f64, GpuError> {
        let stream = Stream::DEFAULT;
        let mut empty = EmptyKernel::new()?;
        let mut xs = Vec::with_capacity(OVERHEAD_SAMPLES);
        for _ in 0..OVERHEAD_SAMPLES {
            self.blocker.block(stream)?;
            self.stamps.before(stream)?;
            self.events.record_start(stream)?;
            let queued = empty.launch(stream);
            if queued.is_ok() {
                self.events.record_end(stream)?;
                self.stamps.after(stream)?;
            }
            self.blocker.release();
            queued?;
            let s = self.events.elapsed_s()?;
            stream
                .synchronize()
                .map_err(GpuError::driver("synchronising"))?;
            let _ = self.stamps.readout();
            if !self.blocker.timed_out() {
                xs.push(s);
            }
        }
        xs.sort_by(f64::total_cmp);
        Ok(crate::measure::stats::quantile_sorted(&xs, 0.5))
    }
}

/// What every job of a worker shares.
struct JobCtx<'a> {
    gpu: &'a Gpu,
    settings: &'a KernelSettings,
    suite: &'a dyn CaseSource,
    images: &'a Images,
}

/// The case set the parent planned with.
fn case_set(s: &KernelSettings) -> Set {
    if s.edges {
        Set::Edges
    } else if s.quick {
        Set::Quick
    } else {
        Set::Default
    }
}

/// Runs one job: loads its image (one image of it alone for `variant@image`), then checks
/// and times each case from the job's first case. A job whose image does not load records
/// every case with the reason.
fn run_job(
    c: &JobCtx<'_>,
    job: &KernelJob,
    tools: &mut Option<Tools>,
    emit: &mut impl FnMut(Message),
) -> Result<(), JobEnd> {
    let s = c.settings;
    let set = case_set(s);
    let all = c.suite.cases(&job.kernel, set);
    if all.is_empty() {
        return Err(JobEnd::Fatal(format!(
            "no bench `{}` in the suite",
            job.kernel
        )));
    }
    let (vb, image) = built_image(c.images, job)?;
    let forced = job.forced.as_deref();
    let jc = JobCases {
        job,
        flags: &vb.gencode,
        cases: job
            .cases
            .iter()
            .enumerate()
            .skip(job.first_case)
            .filter_map(|(pos, &i)| all.get(i).map(|info| (pos, i, info)))
            .collect(),
    };
    let bytes: std::borrow::Cow<'_, [u8]> = match forced {
        None => std::borrow::Cow::Borrowed(image.bytes()),
        Some(arch) => match extract_image(image.bytes(), arch) {
            Ok(b) => std::borrow::Cow::Owned(b),
            Err(e) => {
                jc.fail_all(emit, &e, Status::Error, None, None);
                return Ok(());
            }
        },
    };
    let sha = sha256_hex(&bytes);
    let sass: Vec<archbench_core::Capability> = vb
        .capabilities
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();

    // With CUDA_MODULE_LOADING=EAGER (set by the parent) this is the whole load, JIT
    // included, not a lazy stub.
    let t0 = Instant::now();
    let module = Module::load(&bytes);
    let load_ms = t0.elapsed().as_secs_f64() * 1e3;
    let module = match module {
        Ok(m) => m,
        Err(e) => {
            // The load failed: an answer if the predictor said so, else an error.
            let foreseen = job.prediction_loads == Some(false);
            let status = if foreseen {
                Status::Refused
            } else {
                Status::Error
            };
            let matches = job.prediction_loads.map(|l| !l);
            jc.fail_all(emit, &e.to_string(), status, Some((load_ms, &sha)), matches);
            return Ok(());
        }
    };
    let tools = worker_tools(c, tools)?;
    let ctx = CaseCtx {
        settings: s,
        job,
        forced,
        sass: &sass,
        default_mhz: f64::from(c.gpu.info.sm_clock_khz) / 1e3,
    };
    for &(pos, index, info) in &jc.cases {
        let mut r = jc.start(emit, pos, info);
        r.load_ms = Some(load_ms);
        r.image_sha256 = Some(sha.clone());
        let sticky = check_and_time(c, &ctx, tools, &module, index, info, &mut r);
        emit(Message::Case(Box::new(r)));
        if sticky {
            return Err(JobEnd::Sticky);
        }
    }
    Ok(())
}

/// The build of the job's variant and the image the job loads. `pkgsCuda@sm_86` is one
/// image of the variant, loaded on its own (a variant's own name may hold the separator
/// too: the forced image is its own field).
fn built_image<'i>(
    images: &'i Images,
    job: &KernelJob,
) -> Result<(&'i VariantBuild, &'i Image), JobEnd> {
    let manifest = images
        .manifest()
        .map_err(|e| JobEnd::Fatal(e.to_string()))?;
    let base_name = match job.forced.as_deref() {
        Some(f) => job
            .variant
            .strip_suffix(&format!("{}{f}", super::plan::FORCED_SEP))
            .unwrap_or(&job.variant),
        None => job.variant.as_str(),
    };
    let vb = manifest
        .variants
        .iter()
        .find(|v| v.name == base_name)
        .ok_or_else(|| JobEnd::Fatal(format!("variant `{base_name}` is not built")))?;
    let image = images.get(base_name, &job.image).ok_or_else(|| {
        JobEnd::Fatal(format!(
            "no image `{}` of variant `{base_name}` in the build",
            job.image
        ))
    })?;
    Ok((vb, image))
}

/// The worker's timing tools, made on first use.
fn worker_tools<'t>(c: &JobCtx<'_>, tools: &'t mut Option<Tools>) -> Result<&'t mut Tools, JobEnd> {
    if tools.is_none() {
        match Tools::new(c.gpu, c.settings.mode, c.settings.profile) {
            Ok(t) => *tools = Some(t),
            Err(e) => return Err(JobEnd::Fatal(format!("preparing the timers: {e}"))),
        }
    }
    tools
        .as_mut()
        .ok_or_else(|| JobEnd::Fatal("timers missing".into()))
}

/// The cases a job runs, from its first case on.
struct JobCases<'a> {
    job: &'a KernelJob,
    /// The variant's flags, recorded with each case.
    flags: &'a [String],
    /// (position in the job, index in the bench's case list, the case).
    cases: Vec<(usize, usize, &'a CaseInfo)>,
}

impl JobCases<'_> {
    /// Says that the case at `pos` starts; its record before anything ran.
    fn start(&self, emit: &mut impl FnMut(Message), pos: usize, info: &CaseInfo) -> CaseResult {
        emit(Message::CaseStart {
            task: self.job.task,
            case: pos,
        });
        super::case_record(self.job, self.flags, info)
    }

    /// Records every case as not run for `error`, with the module's load time and the
    /// image's hash when it was loaded.
    fn fail_all(
        &self,
        emit: &mut impl FnMut(Message),
        error: &str,
        status: Status,
        loaded: Option<(f64, &str)>,
        matches: Option<bool>,
    ) {
        for &(pos, _, info) in &self.cases {
            let mut r = self.start(emit, pos, info);
            r.image_sha256 = loaded.map(|(_, sha)| sha.to_string());
            r.load_ms = loaded.map(|(ms, _)| ms);
            r.prediction_matches = matches;
            r.error = Some(error.to_string());
            r.status = Some(status);
            emit(Message::Case(Box::new(r)));
        }
    }
}

/// Builds, checks and times case `index` into `r` (its status and any error included);
/// whether an error left the context unusable.
fn check_and_time(
    c: &JobCtx<'_>,
    ctx: &CaseCtx<'_>,
    tools: &mut Tools,
    module: &Module,
    index: usize,
    info: &CaseInfo,
    r: &mut CaseResult,
) -> bool {
    if let Some(e) = &info.error {
        r.error = Some(e.clone());
        r.status = Some(Status::Error);
        return false;
    }
    let job = ctx.job;
    // The same inputs for every variant of a case: variant comparisons are not data noise.
    let seed = derive_seed(ctx.settings.seed, &[&job.kernel, &info.label]);
    let outcome = build(c.suite, &job.kernel, case_set(ctx.settings), index)
        .and_then(|w| run_case(ctx, tools, module, &w, info, seed, r));
    r.status = Some(match (&outcome, &r.correctness) {
        (Err(_), _) => Status::Error,
        (Ok(()), Some(k)) if !k.passed => Status::Failed,
        (Ok(()), _) => Status::Ok,
    });
    match outcome {
        Ok(()) => false,
        Err(e) => {
            r.error = Some(e.to_string());
            // A sticky error (illegal address, launch failure) poisons the context: it
            // shows on the next synchronisation.
            c.gpu.synchronize().is_err()
        }
    }
}

/// The workload of one case; a bench body that panics is this case's error.
fn build(
    suite: &dyn CaseSource,
    bench: &str,
    set: Set,
    index: usize,
) -> Result<Workload, RunError> {
    match crate::panics::catch(|| suite.workload(bench, set, index)) {
        Ok(Ok(w)) => Ok(w),
        Ok(Err(e)) => Err(RunError::Case(e)),
        Err(m) => Err(RunError::Case(format!(
            "the bench's case declaration panicked: {m}"
        ))),
    }
}

struct CaseCtx<'a> {
    settings: &'a KernelSettings,
    job: &'a KernelJob,
    forced: Option<&'a str>,
    sass: &'a [archbench_core::Capability],
    default_mhz: f64,
}

/// Checks and times one case into `r`.
fn run_case(
    c: &CaseCtx,
    t: &mut Tools,
    module: &Module,
    w: &Workload,
    info: &CaseInfo,
    seed: u64,
    r: &mut CaseResult,
) -> Result<(), RunError> {
    let stream = Stream::DEFAULT;
    let mut p = Prepared::new(w, module, seed)?;
    if let Some(f) = p.first_function() {
        let (bin, ptx) = f.versions()?;
        let kind = match c.forced {
            Some(a) if a.starts_with("compute_") => "ptx-jit",
            Some(_) => "sass",
            None => image_kind(bin, c.sass),
        };
        let mut ran = LoadedImage {
            binary_version: bin,
            ptx_version: ptx,
            kind: kind.to_string(),
            arch: None,
        };
        // A predicted refusal that loaded is a wrong prediction.
        r.prediction_matches = c.job.prediction.as_ref().map(|p| p.agrees(&ran));
        ran.arch = Some(exact_image(c.forced, c.job.prediction.as_ref(), &ran));
        r.image = Some(ran);
    }
    let exec = p.run_checked(stream)?;
    if let Some(k) = exec.correctness {
        let passed = k.passed;
        r.correctness = Some(k);
        if !passed {
            return Ok(());
        }
    }
    if c.settings.check_only {
        return Ok(());
    }
    // The library call the case declares, checked against the output just checked and timed
    // beside the case when the run asks (not when profiling: a profiler times each kernel on
    // its own).
    let profile = c.settings.profile;
    let paired = match (&w.paired, c.settings.paired && !profile) {
        (Some(call), true) => {
            let at = super::paired::Beside {
                workload: w,
                prepared: &p,
                seed,
                stream,
            };
            Some(super::paired::prepare(call, &at))
        }
        _ => None,
    };
    let restore = p.has_inouts();
    // Warm-up (the checked run already absorbed any JIT), then a launch-time estimate.
    if restore {
        p.restore(stream)?;
    }
    p.launch(stream)?;
    if restore {
        p.restore(stream)?;
    }
    t.events.record_start(stream)?;
    p.launch(stream)?;
    t.events.record_end(stream)?;
    let estimate = t.events.elapsed_s()?.max(1e-7);
    let mode = c.settings.mode;
    let batch = match mode {
        Mode::Cold => 1,
        // In-out buffers are restored before every sample, not between the launches of a
        // batch: one launch a sample, so every launch sees its filled input.
        Mode::Hot if restore => 1,
        Mode::Hot => {
            let per_sample = (HOT_QUEUE_CAP / (w.launches.len().max(1) as u32)).max(1);
            ((HOT_SAMPLE_S / estimate).ceil() as u32).clamp(1, per_sample)
        }
    };
    let lib_batch = match &paired {
        Some(Ok(run)) => library_batch(t, run, mode, stream)?,
        _ => 1,
    };
    let mut library_series = sampler::Series::new(c.default_mhz);
    let mut n = 0u64;
    let timing = sampler::sample(
        &c.job.rule,
        c.default_mhz,
        batch,
        t.overhead_s.map(|o| o / f64::from(batch)),
        || -> Result<Sample, RunError> {
            let Some(Ok(run)) = &paired else {
                return take_sample(t, stream, profile, batch, &mut Work::Case(&mut p, restore));
            };
            n += 1;
            super::paired::take_pair(
                n - 1,
                &mut (&mut *t, &mut p),
                &mut library_series,
                &mut |(t, p)| take_sample(t, stream, profile, batch, &mut Work::Case(p, restore)),
                &mut |(t, _)| take_sample(t, stream, profile, lib_batch, &mut Work::Library(run)),
            )
        },
        || std::thread::sleep(THROTTLE_PAUSE),
    )?;
    r.paired = match paired {
        Some(Ok(run)) => Some(run.finish(&library_series, lib_batch, c.job.rule.timeout_s)),
        Some(Err(record)) => Some(*record),
        None => None,
    };
    let med = timing.median_s;
    let gbps = info.bytes as f64 / med / 1e9;
    let tflops = info.flops as f64 / med / 1e12;
    let ceil = &c.settings.ceilings;
    r.throughput = Some(Throughput {
        gbps,
        tflops,
        pct_copy_bw: ceil.copy_gbps.map(|x| 100.0 * gbps / x),
        pct_gemm: ceil
            .gemm_bf16_tflops
            .filter(|_| info.flops > 0)
            .map(|x| 100.0 * tflops / x),
    });
    r.timing = Some(timing);
    Ok(())
}

/// Launches of the library call per sample: one when cold; when hot, about
/// [`HOT_SAMPLE_S`] of its own time (timed once here), at most an eighth of
/// [`HOT_QUEUE_CAP`], as one library call may queue several kernels.
fn library_batch(
    t: &mut Tools,
    run: &super::paired::PairedRun,
    mode: Mode,
    stream: Stream,
) -> Result<u32, RunError> {
    if mode == Mode::Cold {
        return Ok(1);
    }
    t.events.record_start(stream)?;
    run.launch(stream)?;
    t.events.record_end(stream)?;
    let estimate = t.events.elapsed_s()?.max(1e-7);
    Ok(((HOT_SAMPLE_S / estimate).ceil() as u32).clamp(1, HOT_QUEUE_CAP / 8))
}

/// What one timed sample runs: the case's launches (its in-outs restored first), or the
/// library call timed beside it.
enum Work<'a, 'w> {
    Case(&'a mut Prepared<'w>, bool),
    Library(&'a super::paired::PairedRun),
}

impl Work<'_, '_> {
    /// Untimed work before the sample: in-outs back to their filled contents.
    fn before(&mut self, stream: Stream) -> Result<(), RunError> {
        match self {
            Work::Case(p, true) => p.restore(stream),
            _ => Ok(()),
        }
    }

    fn launch(&mut self, stream: Stream) -> Result<(), RunError> {
        match self {
            Work::Case(p, _) => p.launch(stream),
            Work::Library(l) => l.launch(stream),
        }
    }

    /// What ran, for a fault's message.
    fn entries(&self) -> String {
        match self {
            Work::Case(p, _) => p.entries(),
            Work::Library(l) => l.library().to_string(),
        }
    }
}

/// One timed sample of `batch` launches of `work`: in-outs restored and L2 flushed outside
/// the timed region; every launch waits behind the blocking kernel, so the events measure
/// the GPU, not the host's submission rate; the clock stamps bracket the timed region on
/// every SM. (Profilers serialise launches: no blocker and no stamps there.)
fn take_sample(
    t: &mut Tools,
    stream: Stream,
    profile: bool,
    batch: u32,
    work: &mut Work<'_, '_>,
) -> Result<Sample, RunError> {
    // Restore before the flush, so the copy leaves nothing warm in L2.
    work.before(stream)?;
    if let Some(f) = t.flusher.as_mut() {
        f.flush(stream)?;
    }
    if !profile {
        t.blocker.block(stream)?;
        t.stamps.before(stream)?;
    }
    t.events.record_start(stream)?;
    let queued: Result<(), RunError> = (|| {
        for _ in 0..batch {
            work.launch(stream)?;
        }
        Ok(())
    })();
    let ended = queued.and_then(|()| {
        t.events.record_end(stream)?;
        if !profile {
            t.stamps.after(stream)?;
        }
        Ok(())
    });
    // Release whatever failed, so nothing waits for the blocker's timeout.
    if !profile {
        t.blocker.release();
    }
    ended?;
    let secs = t.events.elapsed_s()? / f64::from(batch);
    stream.synchronize().map_err(|source| {
        RunError::Gpu(GpuError::Launch {
            entry: work.entries(),
            source,
        })
    })?;
    let (stamps, blocker_timed_out) = if profile {
        (None, false)
    } else {
        (Some(t.stamps.readout()), t.blocker.timed_out())
    };
    Ok(Sample {
        seconds: secs,
        span: stamps.and_then(|s| s.slowest),
        region_s: stamps
            .and_then(|s| s.region_ns)
            .map(|ns| ns as f64 / 1e9 / f64::from(batch)),
        blocker_timed_out,
    })
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

/// The exact image a case ran (`sm_90a`, `sm_100f`, `compute_75`): the image loaded on its
/// own (`forced`), else the predicted image when the driver's numbers agree with it — the
/// driver reports `binary_version` 90 for sm_90 and sm_90a alike, and 100 for sm_100f — else
/// what the driver's numbers alone say (`sm_90`, `compute_75`).
pub fn exact_image(
    forced: Option<&str>,
    prediction: Option<&Predicted>,
    ran: &LoadedImage,
) -> String {
    match (forced, prediction) {
        (Some(f), _) => f.to_string(),
        (None, Some(p)) if p.agrees(ran) => p.image.clone().unwrap_or_else(|| ran.name()),
        _ => ran.name(),
    }
}

/// The SHA-256 of an image, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::results::schema::{LoadedImage, Predicted};

    fn ran(kind: &str, bin: u32) -> LoadedImage {
        LoadedImage {
            binary_version: bin,
            ptx_version: 80,
            kind: kind.into(),
            arch: None,
        }
    }

    fn predicted(image: Option<&str>, rule: &str) -> Predicted {
        Predicted {
            image: image.map(str::to_string),
            rule: rule.into(),
            error: image.is_none().then_some(209),
            best_guess: false,
        }
    }

    #[test]
    fn agreement_is_typed() {
        assert!(predicted(Some("sm_90a"), "sass-exact").agrees(&ran("sass", 90)));
        assert!(!predicted(Some("sm_80"), "sass-lower-minor").agrees(&ran("sass", 90)));
        assert!(predicted(Some("compute_80"), "ptx-jit").agrees(&ran("ptx-jit", 90)));
        assert!(!predicted(Some("sm_90"), "sass-exact").agrees(&ran("ptx-jit", 90)));
        // A predicted refusal never agrees with a load, whatever its rule's name says.
        assert!(!predicted(None, "ptx-too-new-for-driver").agrees(&ran("ptx-jit", 90)));
        assert_eq!(
            predicted(Some("compute_75"), "ptx-jit").short(),
            "compute_75 JIT"
        );
        assert_eq!(predicted(None, "no-binary-for-gpu").short(), "error 209");
        assert_eq!(Predicted::forced("compute_80").short(), "compute_80");
        assert_eq!(ran("ptx-jit", 90).name(), "compute_80");
        assert_eq!(ran("sass", 90).name(), "sm_90");
    }

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
