//! Baselines: results files kept under `results/<device slug>/<name>.jsonl` (or `.json`).
//!
//! `save` copies a validated results file there atomically (temporary file in the same
//! directory, fsync, rename), keeping its format (JSON Lines or one JSON document); `list`
//! reads every `results/*/*.jsonl` and `results/*/*.json`; `pick` chooses the
//! baseline for a new run: the same device name first, then the same compute capability,
//! newest (`started`) first within each tier.

use std::path::{Path, PathBuf};

use archbench_core::fsio::AtomicWrite;
use serde::Serialize;

use super::ReportError;
use crate::results::read::{read_run, ReadError};
use crate::results::schema::{Device, RunFile};

/// `NVIDIA H100 80GB HBM3` → `nvidia-h100-80gb-hbm3`: lowercase ASCII letters and digits,
/// every other run of characters becomes one `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "unknown".to_string()
    } else {
        out
    }
}

/// One stored baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    pub path: PathBuf,
    pub device: String,
    pub capability: String,
    pub started: String,
    pub host: String,
    pub cases: usize,
}

impl Baseline {
    fn new(path: PathBuf, run: &RunFile) -> Self {
        Self {
            path,
            device: run.device.name.clone(),
            capability: run.device.capability.clone(),
            started: run.started.clone(),
            host: run.host.hostname.clone(),
            cases: run.cases.len(),
        }
    }
}

/// Default file name for a run: `<started, digits and T/Z only>-<host slug>.json`.
pub fn default_name(run: &RunFile) -> String {
    let stamp: String = run
        .started
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T' || *c == 'Z')
        .collect();
    format!("{}-{}", stamp, slug(&run.host.hostname))
}

/// Copy `run_path` (after checking it reads as results) to `dir/<device slug>/<name>.json`.
pub fn save(
    run_path: &Path,
    dir: &Path,
    name: Option<&str>,
    force: bool,
) -> Result<PathBuf, ReportError> {
    let run = read_run(run_path)?;
    let bytes =
        archbench_core::fsio::read_bytes(run_path, crate::results::read::RESULTS_FILE_LIMIT)
            .map_err(|e| ReportError::Read(ReadError::Input(e)))?;
    let sub = dir.join(slug(&run.device.name));
    std::fs::create_dir_all(&sub).map_err(|e| ReportError::io("cannot create", &sub, e))?;
    let stem = match name {
        Some(n) => slug(
            n.strip_suffix(".jsonl")
                .or_else(|| n.strip_suffix(".json"))
                .unwrap_or(n),
        ),
        None => default_name(&run),
    };
    // One JSON document stays `.json`; JSON Lines (what `archbench run` writes) `.jsonl`.
    let ext = if bytes.trim_ascii_start().starts_with(b"{")
        && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok()
    {
        "json"
    } else {
        "jsonl"
    };
    let dest = sub.join(format!("{stem}.{ext}"));
    if force {
        write_atomic(&dest, &bytes)?;
    } else {
        // Create-exclusive: of two saves of one name at once, exactly one wins.
        write_new_atomic(&dest, &bytes)?;
    }
    Ok(dest)
}

/// Like [`write_atomic`], but fails with `BaselineExists` when `dest` exists, also when
/// another process creates it meanwhile (the temporary file is hard-linked into place, which
/// never replaces an existing name).
pub fn write_new_atomic(dest: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    match AtomicWrite::new(dest).new_only().write(bytes) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(ReportError::BaselineExists {
                path: dest.to_path_buf(),
            })
        }
        Err(e) => Err(ReportError::io("cannot write", dest, e)),
    }
}

/// Write `bytes` to `dest` so that readers never see a half-written file
/// (`archbench_core::fsio::AtomicWrite`).
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    AtomicWrite::new(dest)
        .write(bytes)
        .map_err(|e| ReportError::io("cannot write", dest, e))
}

/// Every `dir/*/*.json` and `dir/*/*.jsonl` that reads as results (sorted by path), and the
/// files that did not.
pub fn list(dir: &Path) -> Result<(Vec<Baseline>, Vec<ReadError>), ReportError> {
    let mut found = Vec::new();
    let mut bad = Vec::new();
    if !dir.exists() {
        return Ok((found, bad));
    }
    let mut paths = Vec::new();
    let subdirs = std::fs::read_dir(dir).map_err(|e| ReportError::io("cannot list", dir, e))?;
    for sub in subdirs.flatten() {
        let sub = sub.path();
        if !sub.is_dir() {
            continue;
        }
        // One unreadable directory is reported with the bad files, not fatal to the list.
        let files = match std::fs::read_dir(&sub) {
            Ok(f) => f,
            Err(source) => {
                bad.push(ReadError::Io { path: sub, source });
                continue;
            }
        };
        for f in files.flatten() {
            let p = f.path();
            let hidden = p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !hidden && p.extension().is_some_and(|e| e == "json" || e == "jsonl") {
                paths.push(p);
            }
        }
    }
    paths.sort();
    for p in paths {
        match read_run(&p) {
            Ok(run) => found.push(Baseline::new(p, &run)),
            Err(e) => bad.push(e),
        }
    }
    Ok((found, bad))
}

/// The best baseline for a run on `device`: same device name first, then same capability;
/// newest `started` first within a tier (RFC 3339 UTC strings sort chronologically), path as
/// the tie-break. Baselines whose path is in `exclude` (the new run itself) are skipped.
pub fn pick<'a>(
    baselines: &'a [Baseline],
    device: &Device,
    exclude: &[PathBuf],
) -> Option<&'a Baseline> {
    let excluded = |p: &Path| {
        let canon = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        exclude
            .iter()
            .any(|e| e.canonicalize().unwrap_or_else(|_| e.clone()) == canon)
    };
    let tier = |b: &Baseline| {
        if b.device == device.name && b.capability == device.capability {
            Some(0)
        } else if b.capability == device.capability {
            Some(1)
        } else {
            None
        }
    };
    baselines
        .iter()
        .filter(|b| !excluded(&b.path))
        .filter_map(|b| tier(b).map(|t| (t, b)))
        .min_by(|(ta, a), (tb, b)| {
            ta.cmp(tb)
                .then_with(|| b.started.cmp(&a.started))
                .then_with(|| b.path.cmp(&a.path))
        })
        .map(|(_, b)| b)
}

/// Find the baseline for `run` (read from `run_path`) under `dir`, or a `NoBaseline` error.
pub fn find_for(run: &RunFile, run_path: &Path, dir: &Path) -> Result<Baseline, ReportError> {
    let (all, _) = list(dir)?;
    pick(&all, &run.device, &[run_path.to_path_buf()])
        .cloned()
        .ok_or_else(|| ReportError::NoBaseline {
            dir: dir.to_path_buf(),
            device: run.device.name.clone(),
            capability: run.device.capability.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("NVIDIA H100 80GB HBM3"), "nvidia-h100-80gb-hbm3");
        assert_eq!(slug("  SYNTHETIC GPU A "), "synthetic-gpu-a");
        assert_eq!(slug("!!"), "unknown");
    }
}
