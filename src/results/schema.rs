//! The results file schema. `schema_version` changes whenever a field changes meaning or
//! is removed; readers reject versions they do not know with a message naming it.

use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

/// One `archbench run` on one GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFile {
    pub schema_version: u32,
    pub archbench_version: String,
    /// RFC 3339 UTC time the run started.
    pub started: String,
    pub host: Host,
    pub device: Device,
    pub toolchain: ToolchainInfo,
    pub settings: Settings,
    /// Measured once per run; `None` when unavailable (with `note`).
    pub ceilings: Ceilings,
    pub cases: Vec<CaseResult>,
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
    /// Stop when stdev/mean falls below this (0.005 = 0.5 %).
    pub max_noise: f64,
    pub min_samples: u32,
    pub min_time_s: f64,
    pub timeout_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ceilings {
    /// Device-to-device copy bandwidth, GB/s (read + write bytes / time).
    pub copy_gbps: Option<f64>,
    /// cuBLAS bf16 GEMM (f32 accumulate) TFLOP/s at 4096³.
    pub gemm_bf16_tflops: Option<f64>,
    pub note: Option<String>,
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correctness {
    pub passed: bool,
    pub seed: u64,
    /// Elements that broke the rule.
    pub mismatches: u64,
    /// Largest |got − want| seen.
    pub max_abs_err: f64,
    /// First mismatch, human-readable.
    pub detail: Option<String>,
}

/// Sample statistics (seconds). `samples_s` keeps every kept sample so later comparisons can
/// run rank tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub samples_s: Vec<f64>,
    pub median_s: f64,
    pub mean_s: f64,
    pub min_s: f64,
    pub q1_s: f64,
    pub q3_s: f64,
    /// stdev / mean.
    pub cv: f64,
    pub discarded_throttled: u32,
    /// Why sampling stopped: `noise`, `timeout`, `max-samples`.
    pub stop_reason: String,
    /// Launches per sample (hot mode batches).
    pub launches_per_sample: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    pub gbps: f64,
    pub tflops: f64,
    pub pct_copy_bw: Option<f64>,
    pub pct_gemm: Option<f64>,
}

/// One kernel × case × variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Time to load the module with the JIT cache disabled, ms (PTX variants).
    pub load_ms: Option<f64>,
    /// What went wrong, if anything (load error, launch failure, FAILED check).
    pub error: Option<String>,
}
