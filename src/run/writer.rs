//! Writes the results file atomically after every finished case (temporary file, fsync,
//! rename), so a run killed at any moment leaves a complete, parseable file holding every
//! case that finished.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::RunError;
use crate::results::schema::{CaseResult, RunFile};

pub struct ResultsWriter {
    path: PathBuf,
    pub run: RunFile,
}

impl ResultsWriter {
    /// Starts a results file (written immediately, with no cases).
    pub fn create(path: &Path, run: RunFile) -> Result<Self, RunError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| RunError::Io {
                path: dir.to_path_buf(),
                source: e,
            })?;
        }
        let w = Self {
            path: path.to_path_buf(),
            run,
        };
        w.flush()?;
        Ok(w)
    }

    pub fn push(&mut self, case: CaseResult) -> Result<(), RunError> {
        self.run.cases.push(case);
        self.flush()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rewrites the file atomically.
    pub fn flush(&self) -> Result<(), RunError> {
        write_atomic(
            &self.path,
            &serde_json::to_vec_pretty(&self.run).map_err(|e| RunError::Protocol(e.to_string()))?,
        )
    }
}

/// Writes `bytes` to `path` via a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    let io = |e| RunError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "results".into());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io)
}
