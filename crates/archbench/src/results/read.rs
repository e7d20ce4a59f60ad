//! Reading results files with schema-version checks.
//!
//! A file is read in two steps: first as untyped JSON, to find `schema_version` (so that a
//! file written by a newer archbench is rejected by version, not with a confusing "missing
//! field" error), then as a [`RunFile`]. Every error names the path; parse errors carry the
//! serde line and column.

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::schema::{RunFile, OLDEST_SCHEMA_VERSION, SCHEMA_VERSION};

/// Why a results file could not be read.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not a regular file, too large, not UTF-8.
    #[error("{0}")]
    Input(archbench_core::fsio::InputFileError),
    #[error(
        "{} is not an archbench results file: {message} at line {line}, column {column}",
        path.display()
    )]
    NotResults {
        path: PathBuf,
        message: String,
        line: usize,
        column: usize,
    },
    #[error(
        "{} is not an archbench results file: it has no integer `schema_version` field",
        path.display()
    )]
    NoVersion { path: PathBuf },
    #[error(
        "{} has results schema version {found}, but this archbench ({}) reads only versions 1 to {supported}{}",
        path.display(),
        env!("CARGO_PKG_VERSION"),
        if *found > *supported { "; it was written by a newer archbench: upgrade archbench to read it" } else { "; re-run the benchmark to produce a current file" }
    )]
    UnsupportedVersion {
        path: PathBuf,
        found: u64,
        supported: u64,
    },
}

/// The largest results file read (a full run is ~1.4 MB; version 1 files kept every sample
/// and reached ~200 MB).
pub const RESULTS_FILE_LIMIT: u64 = 1 << 30;

/// Read and check one results file (a regular file of at most [`RESULTS_FILE_LIMIT`]).
pub fn read_run(path: &Path) -> Result<RunFile, ReadError> {
    let text = archbench_core::fsio::read_text(path, RESULTS_FILE_LIMIT).map_err(|e| match e {
        archbench_core::fsio::InputFileError::Io { source, .. } => ReadError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => ReadError::Input(other),
    })?;
    parse_run(&text, path)
}

/// Parse a results file: one JSON document, or JSON Lines (a header line, then one
/// `{"case": …}` line per case and an optional `{"end": …}` line). A last line that has no
/// newline and does not parse is what a run killed mid-write leaves: it is dropped. `path`
/// is only used in error messages.
pub fn parse_run(text: &str, path: &Path) -> Result<RunFile, ReadError> {
    let not_results = |e: serde_json::Error, line_offset: usize| ReadError::NotResults {
        path: path.to_path_buf(),
        message: strip_position(&e.to_string()),
        line: e.line() + line_offset,
        column: e.column(),
    };
    // One document, or the first line of JSON Lines.
    let (first, rest) = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => (v, None),
        Err(whole) => {
            let first_line = text.lines().next().unwrap_or("");
            match serde_json::from_str::<serde_json::Value>(first_line) {
                Ok(v) if v.is_object() => (v, Some(&text[first_line.len()..])),
                _ => return Err(not_results(whole, 0)),
            }
        }
    };
    check_version(&first, path)?;
    let mut run: RunFile = match rest {
        // Parse the text again (not the Value) so that errors keep their line and column.
        None => serde_json::from_str(text).map_err(|e| not_results(e, 0))?,
        Some(_) => serde_json::from_value(first).map_err(|e| not_results(e, 0))?,
    };
    let Some(rest) = rest else {
        exact_images_of_older(&mut run);
        return Ok(run);
    };
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "lowercase", deny_unknown_fields)]
    enum Line {
        Case(Box<super::schema::CaseResult>),
        End(super::schema::RunEnd),
    }
    let complete = rest.ends_with('\n');
    let lines: Vec<&str> = rest.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Line>(line) {
            Ok(Line::Case(c)) => run.cases.push(*c),
            Ok(Line::End(e)) => run.end = Some(e),
            // A run killed mid-write: the torn last line is not a case.
            Err(_) if i + 1 == lines.len() && !complete => {}
            Err(e) => return Err(not_results(e, i)),
        }
    }
    exact_images_of_older(&mut run);
    Ok(run)
}

/// Version 2 files record only the driver's numbers of the image that ran (90 for both sm_90
/// and sm_90a). Where the predictor's summary (`sm_90a (sass-exact)`) names an image whose
/// numbers are the driver's and the prediction matched, that image is the one that ran —
/// the rule version 3's worker applies when it writes `arch`.
fn exact_images_of_older(run: &mut RunFile) {
    // Version 3 writers set `arch` themselves; where they left it out, they had a reason.
    if run.schema_version >= 3 {
        return;
    }
    for c in &mut run.cases {
        let (Some(image), Some(predicted), Some(true)) = (
            c.image.as_mut(),
            c.predicted.as_deref(),
            c.prediction_matches,
        ) else {
            continue;
        };
        if image.arch.is_some() {
            continue;
        }
        let Some(name) = predicted.split_whitespace().next() else {
            continue;
        };
        let (number, driver_says) = match image.kind.as_str() {
            "sass" => (name.strip_prefix("sm_"), image.binary_version),
            "ptx-jit" => (name.strip_prefix("compute_"), image.ptx_version),
            _ => continue,
        };
        let digits = number.map(|n| n.trim_end_matches(['a', 'f']));
        if digits.and_then(|d| d.parse::<u32>().ok()) == Some(driver_says) {
            image.arch = Some(name.to_string());
        }
    }
}

fn check_version(value: &serde_json::Value, path: &Path) -> Result<(), ReadError> {
    let found = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| ReadError::NoVersion {
            path: path.to_path_buf(),
        })?;
    if !(u64::from(OLDEST_SCHEMA_VERSION)..=u64::from(SCHEMA_VERSION)).contains(&found) {
        return Err(ReadError::UnsupportedVersion {
            path: path.to_path_buf(),
            found,
            supported: u64::from(SCHEMA_VERSION),
        });
    }
    Ok(())
}

/// serde_json appends " at line L column C" to its messages; we print the position ourselves.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}
