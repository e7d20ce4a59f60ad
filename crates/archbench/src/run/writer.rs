//! Writes the results file as JSON Lines: the header (run, device, settings, ceilings) is
//! written atomically (temporary file, fsync, rename), then each finished case is appended
//! as one line and synced, and an `end` line closes a finished run. The cost per case is the
//! case's own line, and a run killed at any moment leaves every finished case readable (a
//! torn last line is dropped by the reader).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::RunError;
use crate::results::schema::{CaseResult, RunEnd, RunFile};

pub struct ResultsWriter {
    path: PathBuf,
    file: std::fs::File,
    /// The header and every case written so far (for the summary).
    pub run: RunFile,
}

impl ResultsWriter {
    /// Starts a results file holding the header only. `run.cases` is ignored.
    pub fn create(path: &Path, mut run: RunFile) -> Result<Self, RunError> {
        let io = |p: &Path| {
            let p = p.to_path_buf();
            move |source| RunError::Io { path: p, source }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        run.cases.clear();
        run.end = None;
        let mut header = serde_json::to_vec(&run).map_err(|e| RunError::Protocol(e.to_string()))?;
        header.push(b'\n');
        write_atomic(path, &header)?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(io(path))?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            run,
        })
    }

    /// Appends one case and syncs it to disk.
    pub fn push(&mut self, case: CaseResult) -> Result<(), RunError> {
        #[derive(serde::Serialize)]
        struct Line<'a> {
            case: &'a CaseResult,
        }
        self.append(&Line { case: &case })?;
        self.run.cases.push(case);
        Ok(())
    }

    /// Appends the end line.
    pub fn finish(&mut self, end: RunEnd) -> Result<(), RunError> {
        #[derive(serde::Serialize)]
        struct Line<'a> {
            end: &'a RunEnd,
        }
        self.append(&Line { end: &end })?;
        self.run.end = Some(end);
        Ok(())
    }

    fn append<T: serde::Serialize>(&mut self, line: &T) -> Result<(), RunError> {
        let mut bytes = serde_json::to_vec(line).map_err(|e| RunError::Protocol(e.to_string()))?;
        bytes.push(b'\n');
        let io = |source| RunError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.write_all(&bytes).map_err(io)?;
        self.file.sync_data().map_err(io)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Writes `bytes` to `path` so that readers never see a half-written file
/// (`archbench_core::fsio::AtomicWrite`).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    archbench_core::fsio::AtomicWrite::new(path)
        .write(bytes)
        .map_err(|e| RunError::Io {
            path: path.to_path_buf(),
            source: e,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::read::parse_run;
    use crate::results::schema::*;

    pub(crate) fn header() -> RunFile {
        serde_json::from_value(serde_json::json!({
            "schema_version": SCHEMA_VERSION, "archbench_version": "0", "started": "2026-11-26T00:00:00Z",
            "host": {"hostname": "h", "os": "o", "cpu": "c"},
            "device": {"name": "d", "capability": "9.0", "sm_count": 1, "sm_clock_mhz": 1, "mem_clock_mhz": 1, "mem_bus_bits": 1, "l2_bytes": 1, "memory_bytes": 1, "driver_cuda_version": 13000, "driver_release": null},
            "toolchain": {"nvcc_release": "13.0.88", "cuda": "13.0"},
            "settings": {"mode": "cold", "quick": true, "seed": 1, "max_noise": 0.005, "min_samples": 10, "min_time_s": 0.1, "timeout_s": 3.0},
            "ceilings": {"copy_gbps": null, "gemm_bf16_tflops": null, "note": null},
            "cases": []
        }))
        .unwrap()
    }

    fn case(i: usize, err: f64) -> CaseResult {
        CaseResult {
            variant: "v".into(),
            variant_flags: vec![],
            kernel: "k".into(),
            case: format!("c{i}"),
            bytes: 1,
            flops: 1,
            image: None,
            predicted: None,
            prediction_matches: None,
            correctness: Some(Correctness {
                passed: err == 0.0,
                seed: 1,
                mismatches: u64::from(err != 0.0),
                max_abs_err: err,
                detail: None,
            }),
            timing: None,
            throughput: None,
            load_ms: None,
            error: None,
            status: Some(if err == 0.0 {
                Status::Ok
            } else {
                Status::Failed
            }),
            ..CaseResult::default()
        }
    }

    #[test]
    fn appends_cases_and_a_killed_run_stays_readable() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/run.jsonl");
        let mut w = ResultsWriter::create(&p, header()).unwrap();
        assert_eq!(
            parse_run(&std::fs::read_to_string(&p).unwrap(), &p)
                .unwrap()
                .cases
                .len(),
            0
        );
        w.push(case(0, 0.0)).unwrap();
        w.push(case(1, f64::INFINITY)).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        let back = parse_run(&text, &p).unwrap();
        assert_eq!(back.cases.len(), 2);
        assert_eq!(
            back.cases[1].correctness.as_ref().unwrap().max_abs_err,
            f64::INFINITY,
            "NaN/∞ survive the file"
        );
        assert!(back.end.is_none());
        // A crash mid-append leaves a torn line: dropped, the rest is kept.
        let torn = format!("{text}{{\"case\":{{\"variant\":\"v\",\"ker");
        assert_eq!(parse_run(&torn, &p).unwrap().cases.len(), 2);
        // A bad line in the middle is an error naming its line.
        let bad = text.replacen("{\"case\"", "{\"bogus\"", 1);
        let e = parse_run(&bad, &p).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        w.finish(RunEnd {
            finished: "x".into(),
            wall_s: 1.5,
            cut: vec!["2 cases skipped".into()],
            exit_code: 1,
        })
        .unwrap();
        let back = parse_run(&std::fs::read_to_string(&p).unwrap(), &p).unwrap();
        assert_eq!(back.end.unwrap().cut, ["2 cases skipped"]);
    }
}
