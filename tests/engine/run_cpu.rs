//! The parts of `archbench run` that need no GPU: atomic results writing, the schema round
//! trip, the no-GPU exit code and plan.

use std::process::Command;

use archbench::results::schema::*;
use archbench::run::writer::ResultsWriter;

fn run_file() -> RunFile {
    RunFile {
        schema_version: SCHEMA_VERSION,
        archbench_version: "0.1.0".into(),
        suite: None,
        provenance: None,
        started: "2026-11-25T12:00:00Z".into(),
        host: Host {
            hostname: "h".into(),
            os: "linux".into(),
            cpu: "cpu".into(),
        },
        device: Device {
            name: "test device".into(),
            capability: "9.0".into(),
            sm_count: 1,
            sm_clock_mhz: 1,
            mem_clock_mhz: 1,
            mem_bus_bits: 1,
            l2_bytes: 1,
            memory_bytes: 1,
            driver_cuda_version: 13000,
            driver_release: None,
        },
        toolchain: ToolchainInfo {
            nvcc_release: "13.0.88".into(),
            cuda: "13.0".into(),
        },
        settings: Settings {
            mode: Mode::Cold,
            quick: true,
            seed: 1,
            max_noise: 0.005,
            min_samples: 10,
            min_time_s: 0.5,
            timeout_s: 15.0,
            max_time_s: None,
            fixed_samples: None,
            drift_check: false,
            paired: false,
            environment: Environment::default(),
        },
        ceilings: Ceilings {
            copy_gbps: None,
            gemm_bf16_tflops: None,
            gemm_like_suite: None,
            copy_like_suite: None,
            note: None,
        },
        cases: Vec::new(),
        end: None,
    }
}

fn case(kernel: &str) -> CaseResult {
    CaseResult {
        variant: "pkgsForCudaArch.sm_90".into(),
        variant_flags: vec!["-gencode=arch=compute_90,code=sm_90".into()],
        kernel: kernel.into(),
        case: "quick".into(),
        bytes: 10,
        flops: 0,
        image: Some(LoadedImage {
            binary_version: 90,
            ptx_version: 90,
            kind: "sass".into(),
            arch: None,
        }),
        predicted: Some("sm_90 (sass-exact)".into()),
        prediction_matches: Some(true),
        correctness: Some(Correctness {
            passed: true,
            seed: 3,
            mismatches: 0,
            max_abs_err: 0.0,
            detail: None,
        }),
        timing: None,
        throughput: None,
        load_ms: Some(1.0),
        error: None,
        status: Some(Status::Ok),
        ..CaseResult::default()
    }
}

#[test]
fn every_push_leaves_a_complete_file() {
    let dir = std::env::temp_dir().join(format!("archbench-writer-{}", std::process::id()));
    let path = dir.join("nested/run.jsonl");
    let mut w = ResultsWriter::create(&path, run_file()).unwrap();
    let read = || archbench::results::read::read_run(&path).unwrap();
    assert_eq!(read().cases.len(), 0);
    w.push(case("softmax")).unwrap();
    assert_eq!(read().cases.len(), 1);
    w.push(case("gemm")).unwrap();
    let back = read();
    assert_eq!(back.cases.len(), 2);
    assert_eq!(back, w.run);
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(dir.join("nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["run.jsonl"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_gpu_exits_3_with_a_clear_message() {
    // Device 99 exists nowhere, so this holds on GPU machines too.
    let out = Command::new(env!("CARGO_BIN_EXE_archbench"))
        .args(["run", "--quick", "--device", "99", "--seed", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("needs a CUDA GPU"), "{err}");
}

#[test]
fn plan_lists_variants_and_predictions() {
    let out = Command::new(env!("CARGO_BIN_EXE_archbench"))
        .args(["run", "--plan", "--quick", "--gpu", "9.0", "--seed", "7"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("pkgsForCudaArch.sm_90a"), "{text}");
    assert!(text.contains("predicted for a 9.0 GPU"), "{text}");
    assert!(text.contains("seed 7"));
}
