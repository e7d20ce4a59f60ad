//! Reading results files with schema-version checks.
//!
//! A file is read in two steps: first as untyped JSON, to find `schema_version` (so that a
//! file written by a newer archbench is rejected by version, not with a confusing "missing
//! field" error), then as a [`RunFile`]. Every error names the path; parse errors carry the
//! serde line and column.

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::schema::{RunFile, SCHEMA_VERSION};

/// Why a results file could not be read.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
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
        "{} has results schema version {found}, but this archbench ({}) reads only version {supported}{}",
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

/// Read and check one results file.
pub fn read_run(path: &Path) -> Result<RunFile, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_run(&text, path)
}

/// Parse results JSON; `path` is only used in error messages.
pub fn parse_run(text: &str, path: &Path) -> Result<RunFile, ReadError> {
    let not_results = |e: serde_json::Error| ReadError::NotResults {
        path: path.to_path_buf(),
        message: strip_position(&e.to_string()),
        line: e.line(),
        column: e.column(),
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(not_results)?;
    let found = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| ReadError::NoVersion {
            path: path.to_path_buf(),
        })?;
    if found != u64::from(SCHEMA_VERSION) {
        return Err(ReadError::UnsupportedVersion {
            path: path.to_path_buf(),
            found,
            supported: u64::from(SCHEMA_VERSION),
        });
    }
    // Parse the text again (not the Value) so that errors keep their line and column.
    serde_json::from_str(text).map_err(not_results)
}

/// serde_json appends " at line L column C" to its messages; we print the position ourselves.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}
