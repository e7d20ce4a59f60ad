//! `archbench fleet slurm` and `fleet collect` against a real Slurm cluster: a generated job
//! array is submitted with sbatch, Slurm runs its tasks, and collecting must report each
//! target with Slurm's own word on it.
//!
//! Needs a running cluster that `sinfo` reaches (`SLURM_CONF`), with a partition
//! (`ARCHBENCH_SLURM_PARTITION`, default `debug`) whose node offers one GPU GRES of type
//! `ARCHBENCH_SLURM_GRES_TYPE` (default `nogpu`). `.ci/run` starts such a single-node cluster
//! with `.ci/slurm-cluster.sh` (Debian's slurm-wlm and munge) — a node with no GPU — and runs
//! this test with `--ignored`, twice: without accounting (job states from `scontrol`) and
//! with slurmdbd (from `sacct`); `ARCHBENCH_SLURM_STATE_SOURCE` says which the states must
//! come from. Run without a cluster, it fails rather than skips.
//!
//! The fleet: two plan-only targets (`archbench run --plan --gpu X.Y`, no GPU needed), one
//! real run that asks for the GPU GRES and, finding no GPU on the node, exits 3 (the failure
//! on purpose), one submitted on hold and cancelled by the test (it never runs), and one
//! whose partition does not exist (sbatch refuses it).

use std::process::Command;
use std::time::Instant;

use serde_json::Value;

mod common;
use common::{archbench, s};

#[test]
#[ignore = "needs a running Slurm cluster (SLURM_CONF); .ci/run starts one with .ci/slurm-cluster.sh and runs this with --ignored"]
fn a_job_array_on_real_slurm_is_collected_with_its_failures() {
    let t0 = Instant::now();
    let sinfo = Command::new("sinfo")
        .args(["--noheader", "--format=%P %t %G"])
        .output()
        .expect("sinfo runs: this test needs a Slurm cluster (see .ci/slurm-cluster.sh)");
    assert!(
        sinfo.status.success(),
        "sinfo failed (is SLURM_CONF set and the cluster up?): {}",
        String::from_utf8_lossy(&sinfo.stderr)
    );
    eprintln!("sinfo: {}", String::from_utf8_lossy(&sinfo.stdout).trim());
    let partition = std::env::var("ARCHBENCH_SLURM_PARTITION").unwrap_or_else(|_| "debug".into());
    let gres = std::env::var("ARCHBENCH_SLURM_GRES_TYPE").unwrap_or_else(|_| "nogpu".into());

    // The fleet directory stands for the shared file system (one node here).
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet.toml");
    std::fs::write(
        &fleet,
        format!(
            r#"name = "ci"
[run]
quick = true
max_time = 60

[[target]]
name = "h100-plan"
model = "H100"
plan_only = true
slurm = {{ partition = "{partition}" }}

[[target]]
name = "l4-plan"
model = "L4"
plan_only = true
slurm = {{ partition = "{partition}" }}

[[target]]
name = "h100-run"
model = "H100"
slurm = {{ partition = "{partition}", gres_type = "{gres}" }}

[[target]]
name = "t4-held"
model = "T4"
plan_only = true
slurm = {{ partition = "{partition}", sbatch_args = ["--hold"] }}

[[target]]
name = "b200-typo"
model = "B200"
plan_only = true
slurm = {{ partition = "no-such-partition" }}
"#
        ),
    )
    .unwrap();
    let out_dir = dir.path().join("shared");
    let (rc, out, err) = archbench(&[
        "fleet",
        "slurm",
        s(&fleet),
        "--out",
        s(&out_dir),
        "--submit",
    ]);
    // sbatch refuses the target with a partition that does not exist; the others go in.
    assert_eq!(rc, 1, "{out}{err}");
    assert_eq!(out.matches("submitted job ").count(), 3, "{out}");
    assert!(
        err.contains("sbatch failed for array tasks 4") && err.contains("Invalid partition"),
        "{err}"
    );
    let fleet_dir = std::fs::canonicalize(&out_dir).unwrap();
    let jobs = std::fs::read_to_string(fleet_dir.join("jobs.txt")).unwrap();
    // `<job> <indices>`: the plans share one submission; the run and the held one have theirs.
    let lines: Vec<&str> = jobs.lines().collect();
    assert_eq!(lines.len(), 4, "{jobs}");
    assert!(lines[3].starts_with("failed 4 "), "{jobs}");
    let by_indices: Vec<(&str, &str)> = lines[..3]
        .iter()
        .map(|l| l.split_once(' ').unwrap())
        .collect();
    assert_eq!(
        by_indices.iter().map(|(_, i)| *i).collect::<Vec<_>>(),
        ["0,1", "2", "3"],
        "{jobs}"
    );
    let held = by_indices[2].0;
    let st = Command::new("scancel").arg(held).status().unwrap();
    assert!(st.success(), "scancel {held}");

    let (rc, out, err) = archbench(&[
        "fleet",
        "collect",
        s(&fleet_dir),
        "--wait",
        "120",
        "--json",
        "--format",
        "md",
    ]);
    assert_eq!(
        rc, 1,
        "a failed and a missing target must fail collect:\n{out}{err}"
    );
    let c: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let task = |name: &str| {
        c["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["target"] == name)
            .unwrap_or_else(|| panic!("{name} not reported: {out}"))
            .clone()
    };
    for name in ["h100-plan", "l4-plan"] {
        let t = task(name);
        assert_eq!(t["status"], "ok", "{t}");
        assert_eq!(t["slurm"]["state"], "COMPLETED", "{t}");
        assert_eq!(t["exit_code"], 0, "{t}");
    }
    // The merged predictions: each plan ran on the node and predicts its own GPU's images.
    let loads = |name: &str, variant: &str| {
        task(name)["plan"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == variant)
            .map(|v| v["loads"].clone())
    };
    if loads("h100-plan", "pkgsForCudaArch.sm_90").is_some() {
        assert_eq!(
            loads("h100-plan", "pkgsForCudaArch.sm_90"),
            Some(Value::Bool(true))
        );
        assert_eq!(
            loads("l4-plan", "pkgsForCudaArch.sm_90"),
            Some(Value::Bool(false))
        );
    }
    if loads("l4-plan", "pkgsForCudaArch.sm_89").is_some() {
        assert_eq!(
            loads("l4-plan", "pkgsForCudaArch.sm_89"),
            Some(Value::Bool(true))
        );
        assert_eq!(
            loads("h100-plan", "pkgsForCudaArch.sm_89"),
            Some(Value::Bool(false))
        );
    }
    // The failure on purpose: Slurm gave it the GPU GRES, the node has no GPU, exit 3.
    let run = task("h100-run");
    assert_eq!(run["status"], "failed", "{run}");
    assert_eq!(run["slurm"]["state"], "FAILED", "{run}");
    assert_eq!(run["slurm"]["exit_code"], "3:0", "{run}");
    assert!(
        run["detail"]
            .as_str()
            .unwrap()
            .contains("exit 3: no CUDA GPU or driver"),
        "{run}"
    );
    let err_log = run["logs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find(|l| l.ends_with(".err"))
        .unwrap_or_else(|| panic!("no per-task stderr file: {run}"));
    let stderr = std::fs::read_to_string(err_log).unwrap();
    assert!(stderr.contains("ended with exit 3"), "{stderr}");
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(fleet_dir.join("tasks/h100-run/task.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["scheduler"]["SLURM_ARRAY_TASK_ID"], "2", "{record}");
    assert!(
        record["scheduler"]["SLURM_JOB_GPUS"].is_string(),
        "Slurm allocated no GPU GRES: {record}"
    );
    // Cancelled before it ran: missing, with Slurm's state.
    let held_task = task("t4-held");
    assert_eq!(held_task["status"], "missing", "{held_task}");
    assert_eq!(held_task["slurm"]["state"], "CANCELLED", "{held_task}");
    // The merged report names both, never leaving them silently absent.
    let md = std::fs::read_to_string(fleet_dir.join("report/report.md")).unwrap();
    assert!(md.contains("| h100-run | 9.0 H100 | **FAILED** |"), "{md}");
    assert!(md.contains("| t4-held | 7.5 T4 | **MISSING** |"), "{md}");
    // Refused by sbatch: missing, with sbatch's own words.
    let typo = task("b200-typo");
    assert_eq!(typo["status"], "missing", "{typo}");
    assert!(
        typo["detail"]
            .as_str()
            .unwrap()
            .contains("sbatch refused it")
            && typo["detail"]
                .as_str()
                .unwrap()
                .contains("Invalid partition"),
        "{typo}"
    );
    assert!(
        md.contains("| b200-typo | 10.0 B200 | **MISSING** |"),
        "{md}"
    );
    let fleet_md = std::fs::read_to_string(fleet_dir.join("report/fleet.md")).unwrap();
    assert!(
        fleet_md.contains("5 task(s): 2 ok, 1 FAILED, 2 MISSING"),
        "{fleet_md}"
    );
    // Where the states came from: sacct (accounting) or scontrol (the controller's memory).
    let sources = |c: &Value| -> Vec<String> {
        c["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .take(4)
            .map(|t| t["slurm"]["source"].as_str().unwrap_or("none").to_string())
            .collect()
    };
    match std::env::var("ARCHBENCH_SLURM_STATE_SOURCE").as_deref() {
        Ok("scontrol") => assert_eq!(sources(&c), ["scontrol"; 4], "{out}"),
        Ok("sacct") => {
            // slurmctld hands records to slurmdbd with a delay: once sacct has all four
            // settled, collecting again must take every state from it.
            let jobs: Vec<&str> = by_indices.iter().map(|(j, _)| *j).collect();
            let settled = || {
                let o = Command::new("sacct")
                    .args([
                        "--noheader",
                        "--parsable2",
                        "--allocations",
                        "--format=State",
                        "--jobs",
                        &jobs.join(","),
                    ])
                    .output()
                    .unwrap();
                let text = String::from_utf8_lossy(&o.stdout).into_owned();
                text.lines()
                    .filter(|l| {
                        ["COMPLETED", "FAILED", "CANCELLED"]
                            .iter()
                            .any(|s| l.starts_with(s))
                    })
                    .count()
                    == 4
            };
            let start = Instant::now();
            while !settled() {
                assert!(
                    start.elapsed().as_secs() < 60,
                    "sacct did not settle within 60 s"
                );
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
            let (rc, out, err) = archbench(&[
                "fleet",
                "collect",
                s(&fleet_dir),
                "--json",
                "--format",
                "md",
            ]);
            assert_eq!(rc, 1, "{out}{err}");
            let again: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(sources(&again), ["sacct"; 4], "{out}");
            assert_eq!(again["tasks"][2]["slurm"]["state"], "FAILED", "{out}");
            assert_eq!(again["tasks"][3]["slurm"]["state"], "CANCELLED", "{out}");
        }
        Ok(other) => panic!("ARCHBENCH_SLURM_STATE_SOURCE={other}: expected sacct or scontrol"),
        Err(_) => eprintln!(
            "job states came from {:?} (set ARCHBENCH_SLURM_STATE_SOURCE to check)",
            sources(&c)
        ),
    }
    eprintln!(
        "Slurm fleet: 5 targets, 3 submissions and 1 refused, collected in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
}
