//! The parent side of `archbench run`: checks for a GPU (exit 3 with the plan when there is
//! none), measures ceilings in a worker, runs every task in its own worker process with the
//! JIT cache disabled (so PTX load times are real JIT costs), shows progress, and appends
//! each finished case to the results file atomically.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use indicatif::{ProgressBar, ProgressStyle};

use super::plan::{Plan, PlanOptions};
use super::protocol::{decode, Message, WorkerTask};
use super::summary::rfc3339_utc;
use super::writer::ResultsWriter;
use super::RunError;
use crate::gpu::{Gpu, GpuError};
use crate::measure::StopRule;
use crate::results::schema::{
    CaseResult, Ceilings, Device, Host, Mode, RunFile, Settings, ToolchainInfo, SCHEMA_VERSION,
};

/// Everything `archbench run` was asked.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub plan: PlanOptions,
    pub device: usize,
    pub mode: Mode,
    pub rule: StopRule,
    pub out: Option<PathBuf>,
}

/// How a run ended.
pub enum Outcome {
    /// No GPU: the plan was printed; exit 3.
    NoGpu {
        reason: String,
        plan: Result<Plan, String>,
    },
    Done {
        path: PathBuf,
        run: Box<RunFile>,
        failures: usize,
    },
}

pub fn run(opts: RunOptions) -> Result<Outcome, RunError> {
    let manifest = crate::embedded::manifest()?;
    let (info, reason) = match Gpu::open(opts.device) {
        Ok(g) => (Some(g.info.clone()), String::new()),
        Err(e @ (GpuError::NoDriver | GpuError::NoDevice { .. } | GpuError::DriverUnusable(_))) => {
            (None, e.to_string())
        }
        Err(e) => return Err(e.into()),
    };
    let Some(info) = info else {
        let plan = Plan::new(&manifest, &opts.plan).map_err(|e| e.to_string());
        return Ok(Outcome::NoGpu { reason, plan });
    };
    let mut popts = opts.plan.clone();
    popts.gpu = Some(info.capability());
    popts.driver = archbench_core::db::RELEASES
        .iter()
        .rev()
        .find(|r| {
            u32::from(r.version.major) * 1000 + u32::from(r.version.minor) * 10
                <= info.driver_version
        })
        .map(|r| archbench_core::DriverVersion::Cuda(r.version));
    let plan = Plan::new(&manifest, &popts)?;
    eprint!("{}", plan.render());

    let device = info.to_schema();
    let ceilings = match spawn(&WorkerTask::Ceilings {
        device: opts.device,
    }) {
        Ok(msgs) => msgs
            .into_iter()
            .find_map(|m| {
                if let Message::Ceilings(c) = m {
                    Some(c)
                } else {
                    None
                }
            })
            .unwrap_or(Ceilings {
                copy_gbps: None,
                gemm_bf16_tflops: None,
                note: Some("the ceilings worker reported nothing".into()),
            }),
        Err(e) => Ceilings {
            copy_gbps: None,
            gemm_bf16_tflops: None,
            note: Some(format!("ceilings worker failed: {e}")),
        },
    };
    let nvcc = manifest.nvcc.clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let run = RunFile {
        schema_version: SCHEMA_VERSION,
        archbench_version: env!("CARGO_PKG_VERSION").to_string(),
        started: rfc3339_utc(now),
        host: host(),
        device: device.clone(),
        toolchain: ToolchainInfo {
            nvcc_release: nvcc.as_ref().map(|n| n.release.clone()).unwrap_or_default(),
            cuda: nvcc.as_ref().map(|n| n.cuda.clone()).unwrap_or_default(),
        },
        settings: Settings {
            mode: opts.mode,
            quick: plan.quick,
            seed: plan.seed,
            max_noise: opts.rule.max_noise,
            min_samples: opts.rule.min_samples,
            min_time_s: opts.rule.min_time_s,
            timeout_s: opts.rule.timeout_s,
        },
        ceilings: ceilings.clone(),
        cases: Vec::new(),
    };
    let path = opts
        .out
        .clone()
        .unwrap_or_else(|| default_path(&device, &run.started, opts.mode, plan.quick));
    let mut writer = ResultsWriter::create(&path, run)?;
    let bar = ProgressBar::new(plan.tasks.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} tasks, ETA {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut failures = 0;
    for t in &plan.tasks {
        bar.set_message(format!("{} × {}", t.kernel, t.variant));
        let pv = plan.variants.iter().find(|v| v.name == t.variant);
        let task = WorkerTask::Kernel {
            device: opts.device,
            variant: t.variant.clone(),
            kernel: t.kernel.clone(),
            quick: plan.quick,
            mode: opts.mode,
            seed: plan.seed,
            rule: opts.rule,
            ceilings: ceilings.clone(),
            predicted: pv.and_then(|v| v.predicted.clone()),
            prediction_loads: pv.and_then(|v| v.loads),
        };
        let mut got_case = false;
        let result = spawn_streaming(&task, |m| {
            if let Message::Case(c) = m {
                got_case = true;
                if c.error.is_some() || c.correctness.as_ref().is_some_and(|k| !k.passed) {
                    failures += 1;
                }
                writer.push(*c)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            // The worker died or gave up: record it (after any cases it did report), so the
            // missing cases are visible and the run fails.
            failures += 1;
            let e = if got_case {
                format!("the worker stopped after reporting some cases: {e}")
            } else {
                e.to_string()
            };
            {
                writer.push(CaseResult {
                    variant: t.variant.clone(),
                    variant_flags: pv.map(|v| v.gencode.clone()).unwrap_or_default(),
                    kernel: t.kernel.clone(),
                    case: "*".into(),
                    bytes: 0,
                    flops: 0,
                    image: None,
                    predicted: pv.and_then(|v| v.predicted.clone()),
                    prediction_matches: None,
                    correctness: None,
                    timing: None,
                    throughput: None,
                    load_ms: None,
                    error: Some(e),
                })?;
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let run = Box::new(writer.run.clone());
    Ok(Outcome::Done {
        path: writer.path().to_path_buf(),
        run,
        failures,
    })
}

/// Runs a worker to completion and returns its messages.
fn spawn(task: &WorkerTask) -> Result<Vec<Message>, RunError> {
    let mut all = Vec::new();
    spawn_streaming(task, |m| {
        all.push(m);
        Ok(())
    })?;
    Ok(all)
}

/// Runs a worker, handing each message to `on` as it arrives. A worker that dies (fault,
/// signal) or reports `Fatal` is an error after the messages it did send.
fn spawn_streaming(
    task: &WorkerTask,
    mut on: impl FnMut(Message) -> Result<(), RunError>,
) -> Result<(), RunError> {
    let exe = std::env::current_exe().map_err(|e| RunError::Io {
        path: "current_exe".into(),
        source: e,
    })?;
    let json = serde_json::to_string(task).map_err(|e| RunError::Protocol(e.to_string()))?;
    let mut child = Command::new(&exe)
        .arg("__worker")
        .arg(json)
        .env("CUDA_CACHE_DISABLE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| RunError::Io {
            path: exe.clone(),
            source: e,
        })?;
    let mut fatal = None;
    // Read everything the worker says; on any error here, stop the worker before returning
    // so two processes never time kernels at once.
    let read: Result<(), RunError> = (|| {
        if let Some(out) = child.stdout.take() {
            for line in BufReader::new(out).lines() {
                let line = line.map_err(|e| RunError::Io {
                    path: exe.clone(),
                    source: e,
                })?;
                if line.trim().is_empty() {
                    continue;
                }
                match decode(&line) {
                    Ok(Message::Fatal { error }) => fatal = Some(error),
                    Ok(m) => on(m)?,
                    // A library printing to stdout is not a reason to lose the task.
                    Err(e) => eprintln!("warning: {e}"),
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = read {
        let _ = child.kill();
        let _ = child.wait();
        return Err(e);
    }
    let status = child.wait().map_err(|e| RunError::Io {
        path: exe.clone(),
        source: e,
    })?;
    if let Some(e) = fatal {
        return Err(RunError::Protocol(e));
    }
    if !status.success() {
        return Err(RunError::Protocol(format!("worker exited with {status}")));
    }
    Ok(())
}

fn default_path(device: &Device, started: &str, mode: Mode, quick: bool) -> PathBuf {
    let slug: String = device
        .name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let date = started.get(..10).unwrap_or("undated");
    let mode = match mode {
        Mode::Cold => "cold",
        Mode::Hot => "hot",
    };
    PathBuf::from("results").join(slug).join(format!(
        "{date}-{mode}{}.json",
        if quick { "-quick" } else { "" }
    ))
}

fn host() -> Host {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let hostname = read("/proc/sys/kernel/hostname").trim().to_string();
    let os = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|s| s.trim_matches('"').to_string())
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_default();
    Host { hostname, os, cpu }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_paths_are_named_by_gpu_and_date() {
        let d = Device {
            name: "NVIDIA H100 80GB HBM3".into(),
            capability: "9.0".into(),
            sm_count: 132,
            sm_clock_mhz: 1980,
            mem_clock_mhz: 2619,
            mem_bus_bits: 5120,
            l2_bytes: 52_428_800,
            memory_bytes: 85_000_000_000,
            driver_cuda_version: 13000,
            driver_release: None,
        };
        let p = default_path(&d, "2026-11-25T12:00:00Z", Mode::Cold, true);
        assert_eq!(
            p,
            PathBuf::from("results/nvidia-h100-80gb-hbm3/2026-11-25-cold-quick.json")
        );
    }
}
