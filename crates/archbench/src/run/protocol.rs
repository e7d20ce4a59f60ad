//! The parent ↔ worker protocol: the parent passes a [`WorkerTask`] as JSON on the command
//! line of `archbench __worker`; for `Kernels`, it then writes one [`KernelJob`] per line on
//! the worker's stdin, the next one when the last has ended (so each job's budget can be set
//! when it starts), and closes stdin when there are no more. The worker prints one
//! [`Message`] per line on stdout, each line starting with [`MARKER`]. Lines without the marker are some library's chatter and
//! are passed on to stderr; a marked line that does not decode is a protocol failure, which
//! the parent records as a crashed case (never a dropped one).

use serde::{Deserialize, Serialize};

use super::RunError;
use crate::measure::StopRule;
use crate::results::schema::{CaseResult, Ceilings, Device, Mode};

/// Starts every protocol line.
pub const MARKER: &str = "@archbench ";

/// Exit code of a worker that stopped because the context is unusable after an error (the
/// parent starts a new worker for the rest).
pub const EXIT_STICKY: i32 = 7;

/// What one worker process does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "kebab-case")]
pub enum WorkerTask {
    /// Measure copy bandwidth and cuBLAS bf16 GEMM.
    Ceilings { device: usize },
    /// Run the jobs (one variant's image of one kernel each) that arrive on stdin.
    Kernels {
        device: usize,
        settings: Box<KernelSettings>,
    },
}

/// What every job of a worker shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelSettings {
    pub quick: bool,
    /// The edge set (overrides `quick`).
    #[serde(default)]
    pub edges: bool,
    pub mode: Mode,
    pub seed: u64,
    pub ceilings: Ceilings,
    /// No blocking kernel and no clock stamps: for profilers, which serialise launches
    /// (a blocked stream would never start).
    #[serde(default)]
    pub profile: bool,
    /// Check every case once and time nothing (`cargo test --benches`).
    #[serde(default)]
    pub check_only: bool,
    /// Time each case's declared library call beside it, sample by sample.
    #[serde(default)]
    pub paired: bool,
}

/// One task of the plan: the cases `cases` (from position `first_case`) of one bench, loading
/// one image of one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelJob {
    /// The task's index in the plan.
    pub task: usize,
    pub variant: String,
    /// For `variant@image`: the image of the variant loaded on its own (`sm_86`).
    #[serde(default)]
    pub forced: Option<String>,
    pub kernel: String,
    /// The image key to load (`softmax.cu`, `tile.cu[TILE=32]`).
    pub image: String,
    /// Indices into the bench's case list (for the run's set).
    pub cases: Vec<usize>,
    /// Positions in `cases` before this one were done by an earlier worker.
    pub first_case: usize,
    pub rule: StopRule,
    pub predicted: Option<String>,
    /// The same, typed.
    #[serde(default)]
    pub prediction: Option<crate::results::schema::Predicted>,
    pub prediction_loads: Option<bool>,
}

/// One line of worker output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Message {
    Device(Device),
    Ceilings(Ceilings),
    /// About to load the task's module.
    TaskStart {
        task: usize,
    },
    /// About to run case `case` of `task`.
    CaseStart {
        task: usize,
        case: usize,
    },
    /// The finished case of the last `CaseStart`.
    Case(Box<CaseResult>),
    TaskEnd {
        task: usize,
    },
    /// The worker could not do its task at all.
    Fatal {
        error: String,
    },
}

pub fn encode(m: &Message) -> String {
    // Serialising these plain structs cannot fail (non-finite floats are strings); fall
    // back to a Fatal line just in case.
    let json = serde_json::to_string(m)
        .unwrap_or_else(|e| format!("{{\"type\":\"fatal\",\"error\":\"cannot encode: {e}\"}}"));
    format!("{MARKER}{json}")
}

/// A line of worker output.
#[derive(Debug)]
pub enum Line {
    Message(Message),
    /// Not a protocol line (a library wrote to stdout).
    Chatter(String),
}

pub fn decode(line: &str) -> Result<Line, RunError> {
    let Some(json) = line.strip_prefix(MARKER) else {
        return Ok(Line::Chatter(line.to_string()));
    };
    serde_json::from_str(json).map(Line::Message).map_err(|e| {
        RunError::Protocol(format!(
            "undecodable worker line ({e}): {}",
            line.chars().take(200).collect::<String>()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(line: &str) -> Message {
        match decode(line).unwrap() {
            Line::Message(m) => m,
            Line::Chatter(c) => panic!("chatter: {c}"),
        }
    }

    #[test]
    fn round_trips() {
        let t = WorkerTask::Kernels {
            device: 0,
            settings: Box::new(KernelSettings {
                quick: true,
                edges: false,
                mode: Mode::Cold,
                seed: 42,
                ceilings: Ceilings {
                    copy_gbps: Some(2900.5),
                    gemm_bf16_tflops: None,
                    gemm_like_suite: None,
                    copy_like_suite: None,
                    note: Some("no cuBLAS".into()),
                },
                profile: false,
                check_only: false,
                paired: true,
            }),
        };
        let j = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<WorkerTask>(&j).unwrap(), t);
        let job = KernelJob {
            task: 3,
            variant: "pkgsForCudaArch.sm_90a".into(),
            forced: None,
            kernel: "softmax".into(),
            image: "softmax.cu".into(),
            cases: vec![0, 2, 3],
            first_case: 1,
            rule: StopRule::quick(),
            predicted: Some("SASS sm_90a".into()),
            prediction: None,
            prediction_loads: Some(true),
        };
        let j = serde_json::to_string(&job).unwrap();
        assert_eq!(serde_json::from_str::<KernelJob>(&j).unwrap(), job);
        let m = Message::Fatal {
            error: "boom".into(),
        };
        assert_eq!(msg(&encode(&m)), m);
        let m = Message::CaseStart { task: 2, case: 5 };
        assert_eq!(msg(&encode(&m)), m);
    }

    #[test]
    fn unmarked_lines_are_chatter_and_marked_garbage_is_an_error() {
        assert!(matches!(
            decode("cuBLAS warning").unwrap(),
            Line::Chatter(_)
        ));
        assert!(decode("@archbench not json").is_err());
        assert!(decode("@archbench {\"type\":\"nope\"}").is_err());
    }

    /// A case whose check produced ∞ error and whose timing is NaN survives the protocol.
    #[test]
    fn non_finite_values_cross_the_protocol() {
        use crate::results::schema::{Correctness, Status};
        let c = CaseResult {
            variant: "v".into(),
            variant_flags: vec![],
            kernel: "softmax".into(),
            case: "f32 100x1024".into(),
            bytes: 1,
            flops: 1,
            image: None,
            predicted: None,
            prediction_matches: None,
            correctness: Some(Correctness {
                passed: false,
                seed: 1,
                mismatches: 3,
                max_abs_err: f64::INFINITY,
                detail: Some("NaN poison".into()),
            }),
            timing: None,
            throughput: None,
            load_ms: Some(f64::NAN),
            error: None,
            status: Some(Status::Failed),
            ..CaseResult::default()
        };
        let line = encode(&Message::Case(Box::new(c)));
        let Message::Case(back) = msg(&line) else {
            panic!("{line}")
        };
        assert_eq!(
            back.correctness.as_ref().unwrap().max_abs_err,
            f64::INFINITY
        );
        assert!(back.load_ms.unwrap().is_nan());
    }
}
