//! The results file schema. `schema_version` changes whenever a field changes meaning or
//! is removed; readers reject versions they do not know with a message naming it.
//!
//! Version 3 (this one) adds, with defaults so version 1 and 2 files read unchanged: the
//! suite's name and the run's [`Provenance`] (package, commit, dirty tree, device-check pack)
//! in the header, and per case the value of the bench's `impl` axis (`impl`), every axis
//! value (`axes`), the image key that was loaded (`source`: the kernel source plus
//! compile-time axis values, `tile.cu[TILE=32]`), the SHA-256 of the image loaded
//! (`image_sha256`), the exact image that ran (`image.arch`: `sm_90a`, not just the driver's
//! 90), the predictor's answer typed (`prediction`: image, rule, error) besides its summary
//! (`predicted`), and, for a case declared without a correctness check, the reason given
//! (`unchecked`). A user's suite writes the case label
//! as its axis values (`impl=warp n=1048576`), so `compare` and `report`, which match cases
//! by kernel, case and variant, need nothing new.
//!
//! Version 2 is written as JSON Lines: the first line is the [`RunFile`] header
//! with no cases, then one `{"case": …}` line per finished case, appended as it finishes,
//! and a final `{"end": …}` line when the run ends. Readers also take one JSON document
//! (version 1, or version 2 with `cases` inline). New fields have serde defaults, so version
//! 1 files read as version 2. Floats that can be non-finite use [`super::float`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 3;
/// The oldest version readers accept.
pub const OLDEST_SCHEMA_VERSION: u32 = 1;

/// One `archbench run` on one GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFile {
    pub schema_version: u32,
    pub archbench_version: String,
    /// The suite that ran (`archbench` for the built-in one, a user's crate name for
    /// theirs); `None` in version 1 and 2 files (the built-in suite).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
    /// Where the code came from (version 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// RFC 3339 UTC time the run started.
    pub started: String,
    pub host: Host,
    pub device: Device,
    pub toolchain: ToolchainInfo,
    pub settings: Settings,
    /// Measured once per run; `None` when unavailable (with `note`).
    pub ceilings: Ceilings,
    pub cases: Vec<CaseResult>,
    /// How the run ended; `None` for a run that is still going or was killed.
    #[serde(default)]
    pub end: Option<RunEnd>,
}

/// The last line of a finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEnd {
    /// RFC 3339 UTC.
    pub finished: String,
    #[serde(with = "super::float")]
    pub wall_s: f64,
    /// Per-case sampling budgets the whole-run budget (`--max-time`) shortened, and cases
    /// it skipped, in words; empty when nothing was cut.
    #[serde(default)]
    pub cut: Vec<String>,
    /// The process exit code the run ended with.
    pub exit_code: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Host {
    pub hostname: String,
    pub os: String,
    pub cpu: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub name: String,
    /// `9.0`.
    pub capability: String,
    pub sm_count: u32,
    pub sm_clock_mhz: u32,
    pub mem_clock_mhz: u32,
    pub mem_bus_bits: u32,
    pub l2_bytes: u64,
    pub memory_bytes: u64,
    /// `cuDriverGetVersion`, e.g. 13000 for CUDA 13.0.
    pub driver_cuda_version: u32,
    /// The Linux driver release, when known (`580.65.06`).
    pub driver_release: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolchainInfo {
    /// `13.0.88`.
    pub nvcc_release: String,
    pub cuda: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// L2 flushed before each sample, one launch per sample.
    Cold,
    /// Back-to-back launches, no flush.
    Hot,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub mode: Mode,
    pub quick: bool,
    pub seed: u64,
    /// Stop when the median's 99 % confidence half-width, relative to the median, falls
    /// below this (0.005 = 0.5 %). Version 1 meant stdev/mean.
    #[serde(with = "super::float")]
    pub max_noise: f64,
    pub min_samples: u32,
    /// Minimum wall time spent sampling a case (version 1: GPU time).
    #[serde(with = "super::float")]
    pub min_time_s: f64,
    /// Per-case sampling budget (wall time).
    #[serde(with = "super::float")]
    pub timeout_s: f64,
    /// Whole-run budget (`--max-time`), when one was set.
    #[serde(default, with = "super::float::opt")]
    pub max_time_s: Option<f64>,
    /// A fixed number of samples per case (`--samples`), replacing the stopping rule.
    #[serde(default)]
    pub fixed_samples: Option<u32>,
    /// Whether the stopping rule refused to stop while a series drifted (version 3; off in
    /// older files, which had no such check).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drift_check: bool,
    /// Whether cases that declare a library call timed it beside them, sample by sample
    /// (`--paired`; version 3, off in older files).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paired: bool,
    /// The CUDA environment workers ran with: what was set for them and what was removed.
    #[serde(default)]
    pub environment: Environment,
}

/// Environment variables that change what the driver loads or which GPU runs, as the
/// workers saw them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// Set by archbench for every worker (`CUDA_MODULE_LOADING=EAGER`, `CUDA_CACHE_DISABLE=1`).
    #[serde(default)]
    pub set: Vec<String>,
    /// Inherited, kept and recorded (`CUDA_VISIBLE_DEVICES=…`).
    #[serde(default)]
    pub kept: Vec<String>,
    /// Inherited and removed, because they would change which image runs
    /// (`CUDA_FORCE_PTX_JIT`, `CUDA_DISABLE_PTX_JIT`, …).
    #[serde(default)]
    pub removed: Vec<String>,
}

impl Environment {
    /// Whether workers ran with the driver's JIT cache on (`archbench run --jit-cache DIR`):
    /// their PTX load times may then be cache hits, not JIT compiles. Files written before
    /// the option had it off.
    pub fn jit_cache_on(&self) -> bool {
        self.set.iter().any(|v| v == "CUDA_CACHE_DISABLE=0")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ceilings {
    /// Device-to-device copy bandwidth, GB/s (read + write bytes / time).
    #[serde(with = "super::float::opt")]
    pub copy_gbps: Option<f64>,
    /// cuBLAS bf16 GEMM (f32 accumulate) TFLOP/s at 4096³: a short burst on constant
    /// inputs, the figure `% of cuBLAS` uses (comparable with every committed run).
    #[serde(with = "super::float::opt")]
    pub gemm_bf16_tflops: Option<f64>,
    /// The same cuBLAS GEMM measured like the suite's GEMM (version 3, when measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gemm_like_suite: Option<GemmLikeSuite>,
    /// The device copy measured the same way (version 3, when measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_like_suite: Option<CopyLikeSuite>,
    pub note: Option<String>,
}

/// cuBLAS's bf16 GEMM at 4096³ measured the way the suite's GEMM is: random inputs
/// (U(-1, 1), as the suite fills them: a tensor core toggling more bits draws more power),
/// the L2 flushed before each sample, samples over a sustained load; the medians of the first
/// and the last quarter of the samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GemmLikeSuite {
    /// TFLOP/s, the median of the first quarter of samples (clocks still high).
    #[serde(with = "super::float")]
    pub burst_tflops: f64,
    /// TFLOP/s, the median of the last quarter (clocks settled under load).
    #[serde(with = "super::float")]
    pub sustained_tflops: f64,
    pub samples: u32,
    /// GEMM time summed over the samples, seconds.
    #[serde(with = "super::float")]
    pub load_s: f64,
    /// The SM clock across the samples (absent in files written before).
    #[serde(flatten)]
    pub clocks: SampleClocks,
}

/// The SM clock across a series' samples — the slowest SM's, from archbench's clock stamps
/// around each sample — as its median and minimum, MHz (`None`: not read).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleClocks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_median_mhz: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_min_mhz: Option<f64>,
}

impl SampleClocks {
    /// From per-sample clocks (NaN where a sample's clock was not read).
    pub fn of(per_sample: &[f64]) -> Self {
        SampleClocks {
            clock_median_mhz: crate::measure::stats::median_finite(per_sample),
            clock_min_mhz: per_sample
                .iter()
                .copied()
                .filter(|x| x.is_finite())
                .reduce(f64::min),
        }
    }
}

/// The device-to-device copy measured like the suite's memory-bound kernels: L2 flushed
/// before each sample, samples over a sustained load, each bracketed by the clock stamps;
/// the medians of the first and the last quarter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyLikeSuite {
    /// GB/s (read + write bytes / time), the first quarter's median.
    #[serde(with = "super::float")]
    pub burst_gbps: f64,
    /// GB/s, the last quarter's median.
    #[serde(with = "super::float")]
    pub sustained_gbps: f64,
    /// Bytes copied per sample.
    pub bytes: u64,
    pub samples: u32,
    /// Copy time summed over the samples, seconds.
    #[serde(with = "super::float")]
    pub load_s: f64,
    #[serde(flatten)]
    pub clocks: SampleClocks,
}

/// Which image of a variant the driver actually ran, from the function attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedImage {
    /// `CU_FUNC_ATTRIBUTE_BINARY_VERSION` (e.g. 90 for sm_90).
    pub binary_version: u32,
    /// `CU_FUNC_ATTRIBUTE_PTX_VERSION` (the virtual arch of the PTX it came from).
    pub ptx_version: u32,
    /// `sass` when a cubin of the variant ran, `ptx-jit` when the driver compiled PTX.
    pub kind: String,
    /// The exact image (version 3): `sm_90a`, `sm_100f`, `compute_75`. The driver reports
    /// only `binary_version` (90 for both sm_90 and sm_90a); the exact name is the image the
    /// module holds that the predictor chose, when the driver's numbers agree with it (or the
    /// image loaded on its own), else the driver's numbers alone (`sm_90`, `compute_75`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
}

impl LoadedImage {
    /// The exact image when known, else what the driver's numbers say.
    pub fn name(&self) -> String {
        match (&self.arch, self.kind.as_str()) {
            (Some(a), _) => a.clone(),
            (None, "ptx-jit") => format!("compute_{}", self.ptx_version),
            (None, _) => format!("sm_{}", self.binary_version),
        }
    }
}

/// The predictor's answer for a variant on the GPU a case ran on (version 3; version 2
/// files have only its one-line summary, `CaseResult::predicted`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Predicted {
    /// The image the driver is predicted to load (`sm_90a`, `compute_75`); `None` when it
    /// is predicted to refuse the module.
    pub image: Option<String>,
    /// The rule that decided it (`sass-exact`, `sass-lower-minor`, `sass-family`, `ptx-jit`,
    /// `no-binary-for-gpu`, `ptx-too-new-for-driver`, or `forced` for an image loaded on its
    /// own).
    pub rule: String,
    /// The driver error predicted instead of an image (209, 222).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<u32>,
    /// The image is archbench's guess among alternatives NVIDIA does not rank.
    #[serde(default)]
    pub best_guess: bool,
}

impl Predicted {
    /// An image loaded on its own (`variant@sm_86`).
    pub fn forced(image: &str) -> Self {
        Predicted {
            image: Some(image.to_string()),
            rule: "forced".into(),
            error: None,
            best_guess: false,
        }
    }

    /// Whether the driver is predicted to load the module.
    pub fn loads(&self) -> bool {
        self.image.is_some()
    }

    /// Whether the predicted image is PTX.
    pub fn is_ptx(&self) -> bool {
        self.image
            .as_deref()
            .is_some_and(|i| i.starts_with("compute_"))
    }

    /// The predicted SASS image's number (`sm_90a` → 90).
    pub fn sm_number(&self) -> Option<u32> {
        let digits: String = self
            .image
            .as_deref()?
            .strip_prefix("sm_")?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    }

    /// Whether the image the driver ran (`binary_version`, `kind`) is the predicted one.
    pub fn agrees(&self, ran: &LoadedImage) -> bool {
        match ran.kind.as_str() {
            "sass" => self.sm_number() == Some(ran.binary_version),
            "ptx-jit" => self.is_ptx(),
            _ => false,
        }
    }

    /// Short, for tables: `sm_89`, `sm_89 (guess)`, `compute_75 JIT`, `error 209`.
    pub fn short(&self) -> String {
        match (&self.image, self.error) {
            (Some(i), _) if self.is_ptx() && self.rule != "forced" => format!("{i} JIT"),
            (Some(i), _) if self.best_guess => format!("{i} (guess)"),
            (Some(i), _) => i.clone(),
            (None, Some(e)) => format!("error {e}"),
            (None, None) => self.rule.clone(),
        }
    }
}

/// Where a run's code came from (version 3): what the results identify besides
/// `archbench_version`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The cargo package whose build compiled the kernels, and its version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_version: Option<String>,
    /// `git rev-parse HEAD` of the crate's checkout when the run started (`None` where there
    /// is none, e.g. a binary carried to a GPU machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Whether that checkout had uncommitted changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dirty: Option<bool>,
    /// The device check's pack (`ARCHBENCH_PACK`: the SHA-256 of its MANIFEST), when the run
    /// came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correctness {
    pub passed: bool,
    pub seed: u64,
    /// Elements that broke the rule.
    pub mismatches: u64,
    /// Largest |got − want| seen (∞ when an output was NaN or infinite).
    #[serde(with = "super::float")]
    pub max_abs_err: f64,
    /// First mismatch, human-readable.
    pub detail: Option<String>,
}

/// Sample statistics (seconds per launch). The statistics are exact over every kept
/// sample; `samples_s` holds at most [`MAX_STORED_SAMPLES`] of them, evenly thinned in time
/// order (all of them when there are fewer), for rank tests and bootstrap intervals later.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    #[serde(with = "super::float::vec")]
    pub samples_s: Vec<f64>,
    /// Samples kept (not discarded as throttled); version 1 files: `samples_s.len()`.
    #[serde(default)]
    pub samples: u64,
    #[serde(with = "super::float")]
    pub median_s: f64,
    #[serde(with = "super::float")]
    pub mean_s: f64,
    #[serde(with = "super::float")]
    pub min_s: f64,
    #[serde(default = "nan", with = "super::float")]
    pub max_s: f64,
    #[serde(with = "super::float")]
    pub q1_s: f64,
    #[serde(with = "super::float")]
    pub q3_s: f64,
    /// stdev / mean.
    #[serde(with = "super::float")]
    pub cv: f64,
    /// Half-width of the median's distribution-free 99 % confidence interval, relative to
    /// the median (what the stopping rule targets).
    #[serde(default = "nan", with = "super::float")]
    pub median_ci_rel: f64,
    pub discarded_throttled: u32,
    /// Lowest and median SM clock (MHz) measured across the timed regions, over all SMs;
    /// `None` when no region was long enough to measure.
    #[serde(default, with = "super::float::opt")]
    pub clock_min_mhz: Option<f64>,
    #[serde(default, with = "super::float::opt")]
    pub clock_median_mhz: Option<f64>,
    /// Why sampling stopped: `noise` (precision reached), `timeout` (per-case budget),
    /// `budget` (the whole-run budget shortened it), `max-samples`, `fixed` (`--samples`).
    pub stop_reason: String,
    /// Launches per sample (hot mode batches).
    pub launches_per_sample: u32,
    /// Samples whose blocking kernel timed out before the launches were queued (dropped).
    #[serde(default)]
    pub discarded_blocker_timeout: u32,
    /// The per-case sampling budget this case ran under (seconds of wall time).
    #[serde(default, with = "super::float::opt")]
    pub budget_s: Option<f64>,
    /// Wall time spent sampling.
    #[serde(default, with = "super::float::opt")]
    pub wall_s: Option<f64>,
    /// Median of the first quarter of the kept samples, in time order: the *burst* figure
    /// (version 3; `None` below 16 samples).
    #[serde(
        default,
        with = "super::float::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub burst_median_s: Option<f64>,
    /// Median of the last quarter: the *sustained* figure (version 3).
    #[serde(
        default,
        with = "super::float::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub sustained_median_s: Option<f64>,
    /// `sustained / burst − 1` (version 3).
    #[serde(
        default,
        with = "super::float::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub drift_rel: Option<f64>,
    /// Mann–Whitney p-value of the last quarter against the first (version 3).
    #[serde(
        default,
        with = "super::float::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub drift_p: Option<f64>,
    /// The slowest SM's clock (MHz) across each stored sample, in `samples_s` order (NaN
    /// where none was measured; version 3).
    #[serde(
        default,
        with = "super::float::vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub clocks_mhz: Vec<f64>,
    /// Median GPU-side duration per launch, from the `%globaltimer` stamps around the timed
    /// region (last SM's start to first SM's end; ~1 µs resolution), without the event
    /// pair's fixed cost (version 3; not the headline: `median_s` is).
    #[serde(
        default,
        with = "super::float::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub region_median_s: Option<f64>,
    /// The event time of the same timed region around an empty kernel (the fixed cost a
    /// sample includes), measured once per worker (version 3).
    #[serde(
        default,
        with = "super::float::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_overhead_s: Option<f64>,
    /// Median of `sample − event_overhead_s` per launch (version 3; not the headline).
    #[serde(
        default,
        with = "super::float::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_median_s: Option<f64>,
}

/// At most this many samples are stored per case.
pub const MAX_STORED_SAMPLES: usize = 1000;

fn nan() -> f64 {
    f64::NAN
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    #[serde(with = "super::float")]
    pub gbps: f64,
    #[serde(with = "super::float")]
    pub tflops: f64,
    #[serde(with = "super::float::opt")]
    pub pct_copy_bw: Option<f64>,
    #[serde(with = "super::float::opt")]
    pub pct_gemm: Option<f64>,
}

/// What became of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Loaded, correct, timed.
    Ok,
    /// The correctness check failed (no timing).
    Failed,
    /// The driver refused the module, as the predictor said it would: an answer.
    Refused,
    /// Anything else that went wrong: a load error nobody predicted, a launch failure.
    Error,
    /// The worker's wall-clock limit ran out (a hung kernel); the worker was killed.
    Timeout,
    /// The worker died (signal, fault) or sent something that is not the protocol.
    Crashed,
    /// Not run: the whole-run budget was spent.
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Refused => "refused",
            Status::Error => "error",
            Status::Timeout => "timeout",
            Status::Crashed => "crashed",
            Status::Skipped => "skipped",
        }
    }
}

/// One kernel × case × variant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub variant: String,
    pub variant_flags: Vec<String>,
    pub kernel: String,
    pub case: String,
    pub bytes: u64,
    pub flops: u64,
    /// `None` when the module did not load (see `error`).
    pub image: Option<LoadedImage>,
    /// The predictor's answer (`sass sm_90`, `ptx compute_90 (JIT)`, `error 209`).
    pub predicted: Option<String>,
    pub prediction_matches: Option<bool>,
    pub correctness: Option<Correctness>,
    /// Only for correct results.
    pub timing: Option<Timing>,
    pub throughput: Option<Throughput>,
    /// Time to load the module (eagerly, with the JIT cache disabled: a PTX variant's load
    /// time is its JIT cost), ms.
    #[serde(with = "super::float::opt")]
    pub load_ms: Option<f64>,
    /// What went wrong, if anything (load error, launch failure, FAILED check).
    pub error: Option<String>,
    /// What became of the case; `None` in version 1 files (see [`CaseResult::outcome`]).
    #[serde(default)]
    pub status: Option<Status>,
    /// The value of the bench's `impl` axis, when it has one (version 3).
    #[serde(default, rename = "impl", skip_serializing_if = "Option::is_none")]
    pub implementation: Option<String>,
    /// Every axis value of the case (version 3).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub axes: BTreeMap<String, String>,
    /// The image key loaded: the kernel source plus compile-time axis values (version 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Why the case was declared without a correctness check (version 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unchecked: Option<String>,
    /// The predictor's answer, typed (version 3; `predicted` is its one-line summary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<Predicted>,
    /// SHA-256 of the image (fatbin, or the one image loaded on its own) the case loaded
    /// (version 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_sha256: Option<String>,
    /// The library call timed beside the case, sample by sample (`--paired`; version 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired: Option<PairedResult>,
}

/// A library call (cuBLAS) timed beside a case: its samples alternate with the case's
/// (which goes first alternates too), under the same protocol (flush, blocking kernel,
/// clock stamps, events), so both series see the same clocks and temperature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedResult {
    /// What was called, with the library's version (`cuBLAS 13.0.2 cublasGemmEx bf16 …`).
    pub library: String,
    /// Its result against the case's checked output; `None` when it did not run.
    pub correctness: Option<Correctness>,
    /// Its series; `None` when it did not run or its result was wrong.
    pub timing: Option<Timing>,
    /// Why it did not run or was not timed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl PairedResult {
    /// The case's speed as a percentage of the library's, from the two medians of the same
    /// interleaved run (above 100: the case is faster).
    pub fn pct_of_library(&self, case: &Timing) -> Option<f64> {
        let lib = self.timing.as_ref()?.median_s;
        let pct = 100.0 * lib / case.median_s;
        pct.is_finite().then_some(pct)
    }
}

impl CaseResult {
    /// The case's status, derived for version 1 files that did not record one.
    pub fn outcome(&self) -> Status {
        if let Some(s) = self.status {
            return s;
        }
        match (&self.correctness, &self.error) {
            (Some(k), _) if !k.passed => Status::Failed,
            (_, Some(_)) if self.image.is_none() && self.prediction_matches == Some(true) => {
                Status::Refused
            }
            (_, Some(_)) => Status::Error,
            _ => Status::Ok,
        }
    }

    /// The case's median seconds per launch, when it has a positive finite one.
    pub fn timed_median(&self) -> Option<f64> {
        self.timing
            .as_ref()
            .map(|t| t.median_s)
            .filter(|m| m.is_finite() && *m > 0.0)
    }

    /// Whether this case makes the run fail: a failed check, an unforeseen error, a worker
    /// timeout or crash, or a prediction the driver contradicted. A refusal the predictor
    /// foresaw and a case skipped by the budget are answers, not failures.
    pub fn is_failure(&self) -> bool {
        self.prediction_matches == Some(false)
            || matches!(
                self.outcome(),
                Status::Failed | Status::Error | Status::Timeout | Status::Crashed
            )
    }
}
