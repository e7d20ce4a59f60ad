//! Regression reports: baselines under `results/<gpu>/`, statistical comparison of a new run
//! with a baseline (verdicts FASTER / SLOWER / SAME / UNSURE, see [`verdict`]), and reports
//! that merge runs from several GPUs into markdown, self-contained HTML and plotters charts
//! (SVG and PNG, drawn with a bundled DejaVu Sans font, so no system font is needed; charts
//! and the report directory writer need the `charts` feature).
//!
//! One module per job: [`stats`] (medians, bootstrap, Mann–Whitney), [`verdict`] (the rule),
//! [`baseline`] (save, list, pick), [`compare`] (run vs run), [`merge`] (runs → per-GPU
//! tables), [`matrix`] (the cross-GPU view), [`devcheck`] (the device check's PyTorch, ncu
//! and library side files), [`jit`] (what PTX JIT costs per kernel class), [`paired`] (cases timed beside cuBLAS), [`markdown`], [`html`], [`charts`], [`output`] (writing a report
//! directory).

pub mod baseline;
#[cfg(feature = "charts")]
pub mod charts;
pub mod compare;
pub mod devcheck;
pub mod differ;
pub mod format;
#[cfg(feature = "charts")]
pub mod glyphs;
pub mod html;
pub mod jit;
pub mod markdown;
pub mod matrix;
pub mod merge;
#[cfg(feature = "charts")]
pub mod output;
pub mod paired;
pub mod stats;
pub mod tables;
pub mod verdict;

use std::path::PathBuf;

use thiserror::Error;

use crate::results::read::ReadError;

/// Everything that can go wrong in the report layer.
#[derive(Debug, Error)]
pub enum ReportError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("baseline {} already exists (pass --force to replace it, or choose another --name)", path.display())]
    BaselineExists { path: PathBuf },
    #[error(
        "no baseline for device \"{device}\" (capability {capability}) under {}: save one with `archbench baseline save RESULTS`, or pass BASELINE explicitly",
        dir.display()
    )]
    NoBaseline {
        dir: PathBuf,
        device: String,
        capability: String,
    },
    #[error("cannot draw chart \"{chart}\": {message}")]
    Chart { chart: String, message: String },
    #[error("unknown report format \"{0}\" (expected md, html, svg or png)")]
    UnknownFormat(String),
    #[error("--format {0:?} names no format: give a comma-separated subset of md, html, svg, png")]
    NoFormat(String),
    #[error("no results files given")]
    NoRuns,
    /// A generated-tables block that cannot be rendered (see [`tables`]).
    #[error("{0}")]
    Tables(String),
}

impl ReportError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        ReportError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
