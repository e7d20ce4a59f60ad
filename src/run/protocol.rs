//! The parent ↔ worker protocol: the parent passes a [`WorkerTask`] as JSON on the command
//! line of `archbench __worker`; the worker prints one JSON [`Message`] per line on stdout.

use serde::{Deserialize, Serialize};

use super::RunError;
use crate::measure::StopRule;
use crate::results::schema::{CaseResult, Ceilings, Device, Mode};

/// What one worker process does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "kebab-case")]
pub enum WorkerTask {
    /// Measure copy bandwidth and cuBLAS bf16 GEMM.
    Ceilings { device: usize },
    /// Run every case of one kernel with one variant's embedded image.
    Kernel {
        device: usize,
        variant: String,
        kernel: String,
        quick: bool,
        mode: Mode,
        seed: u64,
        rule: StopRule,
        ceilings: Ceilings,
        predicted: Option<String>,
        prediction_loads: Option<bool>,
    },
}

/// One line of worker output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Message {
    Device(Device),
    Ceilings(Ceilings),
    Case(Box<CaseResult>),
    /// The worker could not do its task at all.
    Fatal {
        error: String,
    },
}

pub fn encode(m: &Message) -> String {
    // Serialising these plain structs cannot fail; fall back to a Fatal line just in case.
    serde_json::to_string(m)
        .unwrap_or_else(|e| format!("{{\"type\":\"fatal\",\"error\":\"cannot encode: {e}\"}}"))
}

pub fn decode(line: &str) -> Result<Message, RunError> {
    serde_json::from_str(line).map_err(|e| {
        RunError::Protocol(format!(
            "bad worker line ({e}): {}",
            line.chars().take(200).collect::<String>()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = WorkerTask::Kernel {
            device: 0,
            variant: "pkgsForCudaArch.sm_90a".into(),
            kernel: "softmax".into(),
            quick: true,
            mode: Mode::Cold,
            seed: 42,
            rule: StopRule::default(),
            ceilings: Ceilings {
                copy_gbps: Some(2900.5),
                gemm_bf16_tflops: None,
                note: Some("no cuBLAS".into()),
            },
            predicted: Some("SASS sm_90a".into()),
            prediction_loads: Some(true),
        };
        let j = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<WorkerTask>(&j).unwrap(), t);
        let m = Message::Fatal {
            error: "boom".into(),
        };
        assert_eq!(decode(&encode(&m)).unwrap(), m);
        assert!(decode("not json").is_err());
        assert!(decode("{\"type\":\"nope\"}").is_err());
    }
}
