//! `archbench fleet` from the command line, on this machine (no GPU, no Slurm, no
//! Kubernetes): help, the plan's predictions, fleet-file errors, the generated Slurm scripts
//! (checked by bash and run here the way Slurm would run them), the Kubernetes Job's own
//! command run here with its stdout kept as the container log, and collecting: missing,
//! failed, incomplete and wrong-GPU targets, the merged cross-GPU report and per-GPU
//! baselines.
//!
//! Runs come from two places only: the real H200 run in `results/nvidia-h200/` (see its
//! README) and the SYNTHETIC fixtures in `tests/fixtures/synthetic/` (made up, labelled so).
//! The task records (`task.json`) that accompany them here are written by the tests, as a
//! node would have left them.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

mod common;
use common::{archbench, archbench_env, s};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The real H200 quick run (218 lines: header, 216 cases, end).
fn h200_quick() -> PathBuf {
    repo("results/nvidia-h200/20261126t143044z-gpu-check-quick.jsonl")
}

fn synthetic(name: &str) -> PathBuf {
    repo("tests/fixtures/synthetic").join(name)
}

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const FLEET: &str = r#"
name = "lab"

[run]
quick = true
max_time = 120

[kubernetes]
image = "registry.example.com/archbench:test"

[[target]]
name = "h100"
model = "H100"
slurm = { partition = "gpu", gres_type = "h100" }
kubernetes = { product = "NVIDIA-H100-80GB-HBM3" }

[[target]]
name = "l4-plan"
model = "L4"
plan_only = true
slurm = { partition = "gpu" }
kubernetes = { product = "NVIDIA-L4" }
"#;

#[test]
fn every_fleet_command_has_help() {
    let (rc, out, err) = archbench(&["fleet", "--help"]);
    assert_eq!(rc, 0, "{err}");
    for sub in ["plan", "slurm", "k8s", "ci", "collect", "compare", "task"] {
        assert!(
            out.contains(sub),
            "`fleet --help` does not list {sub}:\n{out}"
        );
        let (rc, out, err) = archbench(&["fleet", sub, "--help"]);
        assert_eq!(rc, 0, "fleet {sub} --help: {err}");
        assert!(out.contains("Usage: archbench fleet"), "{out}");
    }
}

#[test]
fn plan_predicts_per_target_and_flags_variants_no_target_serves() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fleet.toml");
    write(&f, FLEET);
    let (rc, out, err) = archbench(&["fleet", "plan", s(&f), "--json"]);
    assert_eq!(rc, 0, "{err}");
    let p: Value = serde_json::from_str(&out).unwrap();
    let variants: Vec<&str> = p["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!variants.is_empty(), "{out}");
    let loads = |target: usize, variant: &str| {
        let i = variants.iter().position(|v| *v == variant)?;
        p["targets"][target]["cells"][i]["loads"].as_bool()
    };
    // The native builds of the default matrix: each loads on its own GPU only.
    if variants.contains(&"pkgsForCudaArch.sm_90") {
        assert_eq!(loads(0, "pkgsForCudaArch.sm_90"), Some(true));
        assert_eq!(loads(1, "pkgsForCudaArch.sm_90"), Some(false));
    }
    if variants.contains(&"pkgsForCudaArch.sm_89") {
        assert_eq!(loads(0, "pkgsForCudaArch.sm_89"), Some(false));
        assert_eq!(loads(1, "pkgsForCudaArch.sm_89"), Some(true));
    }
    // `unserved` is exactly the variants no target loads.
    let unserved: Vec<&str> = p["unserved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for v in &variants {
        let none = loads(0, v) == Some(false) && loads(1, v) == Some(false);
        assert_eq!(unserved.contains(v), none, "{v}");
    }
    // Slurm placement: a run asks for one GPU of its type, a plan for none.
    assert_eq!(
        p["targets"][0]["slurm"],
        json!(["--partition=gpu", "--gres=gpu:h100:1", "--time=13"])
    );
    assert_eq!(
        p["targets"][1]["slurm"],
        json!(["--partition=gpu", "--time=10"])
    );
    assert_eq!(
        p["targets"][1]["kubernetes"]["nvidia.com/gpu.compute.minor"],
        "9"
    );
    // The text form says the same, with the warning.
    let (rc, text, _) = archbench(&["fleet", "plan", s(&f)]);
    assert_eq!(rc, 0);
    assert!(text.contains("predicted image per variant"), "{text}");
    if !unserved.is_empty() {
        assert!(
            text.contains("predicted to load on NO target") && text.contains(unserved[0]),
            "{text}"
        );
    }
}

/// The fleet file documented in docs/fleet.md is one.
#[test]
fn the_documented_fleet_file_plans() {
    let doc = std::fs::read_to_string(repo("docs/fleet.md")).unwrap();
    let start = doc
        .find("```toml\n")
        .expect("docs/fleet.md has a toml block")
        + 8;
    let len = doc[start..].find("```").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fleet.toml");
    write(&f, &doc[start..start + len]);
    let (rc, out, err) = archbench(&["fleet", "plan", s(&f)]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("fleet `example`: 1 target(s)"), "{out}");
}

#[test]
fn bad_fleet_files_say_where_what_and_how() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fleet.toml");
    write(
        &f,
        "[[target]]\nname = \"h100\"\nmodel = \"H100\"\nslurm = { partition = \"gpu\", gres = \"h100\" }\n",
    );
    let (rc, _, err) = archbench(&["fleet", "plan", s(&f)]);
    assert_eq!(rc, 1);
    assert!(
        err.contains("fleet.toml:4:")
            && err.contains("unknown field `gres`")
            && err.contains("help:"),
        "{err}"
    );
    write(
        &f,
        "[[target]]\nname = \"x\"\nmodel = \"RTX 4090\"\ncapability = \"9.0\"\nci = { labels = [\"gpu\"] }\n",
    );
    let (rc, _, err) = archbench(&["fleet", "ci", s(&f)]);
    assert_eq!(rc, 1);
    assert!(
        err.contains("fleet.toml:4:14:") && err.contains("RTX 4090 has compute capability 8.9"),
        "{err}"
    );
    // Not a file at all.
    let (rc, _, err) = archbench(&["fleet", "plan", s(dir.path())]);
    assert_eq!(rc, 1);
    assert!(err.contains("not a regular file"), "{err}");
    // Options that the engines' own bookkeeping needs are refused.
    let (rc, _, err) = archbench(&[
        "fleet", "task", "--target", "Bad Name", "--gpu", "9.0", "--stdout",
    ]);
    assert_eq!(rc, 1);
    assert!(err.contains("not a usable target name"), "{err}");
}

/// The array script run here the way Slurm runs it (an array index in the environment),
/// then collected: the plan-only target succeeds, the other never ran.
#[test]
fn slurm_scripts_are_valid_bash_and_run_their_targets() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fleet.toml");
    write(&f, FLEET);
    let out_dir = dir.path().join("shared");
    let (rc, out, err) = archbench(&["fleet", "slurm", s(&f), "--out", s(&out_dir)]);
    assert_eq!(rc, 0, "{out}{err}");
    let fleet_dir = std::fs::canonicalize(&out_dir).unwrap();
    for script in ["fleet.sbatch", "submit.sh"] {
        let st = Command::new("bash")
            .arg("-n")
            .arg(fleet_dir.join(script))
            .status()
            .unwrap();
        assert!(st.success(), "{script} is not valid bash");
    }
    let sbatch = std::fs::read_to_string(fleet_dir.join("fleet.sbatch")).unwrap();
    assert!(sbatch.contains(&format!(
        "#SBATCH --output={}/logs/task-%a-%A.out",
        fleet_dir.display()
    )));
    let submit = std::fs::read_to_string(fleet_dir.join("submit.sh")).unwrap();
    assert!(
        submit.contains("submit 0 --partition=gpu --gres=gpu:h100:1 --time=13  # h100"),
        "{submit}"
    );
    assert!(
        submit.contains("submit 1 --partition=gpu --time=10  # l4-plan"),
        "{submit}"
    );
    let staged = fleet_dir.join("bin/archbench");
    assert_eq!(
        std::fs::metadata(&staged).unwrap().len(),
        std::fs::metadata(env!("CARGO_BIN_EXE_archbench"))
            .unwrap()
            .len()
    );
    // Array task 1 as Slurm would start it.
    let st = Command::new("bash")
        .arg(fleet_dir.join("fleet.sbatch"))
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_JOB_ID", "4242")
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let task = fleet_dir.join("tasks/l4-plan");
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(task.join("task.json")).unwrap()).unwrap();
    assert_eq!(record["exit_code"], 0);
    assert_eq!(record["scheduler"]["SLURM_JOB_ID"], "4242");
    assert!(std::fs::read_to_string(task.join("plan.txt"))
        .unwrap()
        .contains("predicted for a 8.9 GPU"));
    // No partial directory is left behind.
    let left: Vec<_> = std::fs::read_dir(fleet_dir.join("tasks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["l4-plan"]);
    // An index that names no target.
    let st = Command::new("bash")
        .arg(fleet_dir.join("fleet.sbatch"))
        .env("SLURM_ARRAY_TASK_ID", "7")
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&st.stderr).contains("names no target"));
    // Collected: one ok, one that never ran, and the exit code says so.
    let (rc, out, err) = archbench(&[
        "fleet",
        "collect",
        s(&fleet_dir),
        "--no-scheduler",
        "--format",
        "md",
    ]);
    assert_eq!(rc, 1, "{out}{err}");
    assert!(out.contains("2 task(s): 1 ok, 1 MISSING"), "{out}");
    let md = std::fs::read_to_string(fleet_dir.join("report/report.md")).unwrap();
    assert!(
        md.contains("## Missing and failed runs")
            && md.contains("| h100 | 9.0 H100 | **MISSING** |"),
        "{md}"
    );
}

/// The Job's command, run here: stdout is what `kubectl logs` would return.
#[test]
fn kubernetes_job_commands_run_here_and_their_logs_collect() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fleet.toml");
    write(&f, FLEET);
    let k = dir.path().join("k");
    let (rc, out, err) = archbench(&["fleet", "k8s", s(&f), "--out", s(&k)]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(Command::new("bash")
        .arg("-n")
        .arg(k.join("fetch-logs.sh"))
        .status()
        .unwrap()
        .success());
    let mut codes = Vec::new();
    for (target, job) in [("h100", "lab-h100"), ("l4-plan", "lab-l4-plan")] {
        let m: Value = serde_json::from_str(
            &std::fs::read_to_string(k.join(format!("k8s/{job}.json"))).unwrap(),
        )
        .unwrap();
        let cmd: Vec<String> = m["spec"]["template"]["spec"]["containers"][0]["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(cmd[0], "archbench");
        assert!(cmd.contains(&"--stdout".to_string()));
        let out = Command::new(env!("CARGO_BIN_EXE_archbench"))
            .args(&cmd[1..])
            .env("NODE_NAME", "gpu-node-1")
            .output()
            .unwrap();
        // The container log interleaves stdout and stderr line by line.
        let mut log = String::from_utf8_lossy(&out.stdout).into_owned();
        log.push_str(&String::from_utf8_lossy(&out.stderr));
        write(&k.join(format!("logs/{target}.log")), &log);
        codes.push(out.status.code());
    }
    // No GPU here: the run exits 3 (as `archbench run` does), the plan 0.
    assert_eq!(codes, [Some(3), Some(0)]);
    let (rc, out, err) = archbench(&["fleet", "collect", s(&k), "--json", "--format", "md"]);
    assert_eq!(rc, 1, "{out}{err}");
    let c: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(c["tasks"][0]["status"], "failed");
    assert!(
        c["tasks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("exit 3: no CUDA GPU"),
        "{out}"
    );
    assert_eq!(c["tasks"][1]["status"], "ok");
    let plan = c["tasks"][1]["plan"].as_array().unwrap();
    assert!(!plan.is_empty());
    if let Some(v) = plan.iter().find(|v| v["name"] == "pkgsForCudaArch.sm_89") {
        assert_eq!(v["loads"], true);
    }
    let fleet_md = std::fs::read_to_string(k.join("report/fleet.md")).unwrap();
    assert!(
        fleet_md.contains("## Predicted images on the plan-only targets"),
        "{fleet_md}"
    );
}

/// A task record as a node leaves it.
fn record(target: &str, capability: &str, finished: bool, exit: i32, results: &[&str]) -> String {
    json!({
        "archbench_version": "0.1.0", "target": target, "capability": capability, "model": null,
        "mode": "run", "command": ["run", "--quick"], "host": format!("node-{target}"),
        "started": "2026-11-26T14:30:00Z",
        "finished": if finished { json!("2026-11-26T14:31:00Z") } else { Value::Null },
        "wall_s": if finished { json!(60.0) } else { Value::Null },
        "exit_code": if finished { json!(exit) } else { Value::Null },
        "signal": null, "scheduler": {}, "results": results, "error": null
    })
    .to_string()
}

const MIXED: &str = r#"
name = "mixed"
[kubernetes]
image = "x/archbench:1"
[[target]]
name = "h200"
model = "H200"
kubernetes = {}
[[target]]
name = "gpu-a"
model = "SYNTHETIC GPU A"
capability = "9.0"
kubernetes = {}
[[target]]
name = "h100"
model = "H100"
kubernetes = {}
[[target]]
name = "killed"
model = "H200"
kubernetes = {}
[[target]]
name = "l4"
model = "L4"
kubernetes = {}
"#;

/// A fleet directory as the nodes would leave it: two finished runs, one on another GPU
/// than expected, one killed mid-run, one that never arrived.
fn mixed_fleet(dir: &Path, gpu_a_results: &Path) -> PathBuf {
    let f = dir.join("fleet.toml");
    write(&f, MIXED);
    let d = dir.join("fleet");
    let (rc, out, err) = archbench(&["fleet", "k8s", s(&f), "--out", s(&d)]);
    assert_eq!(rc, 0, "{out}{err}");
    let h200 = std::fs::read_to_string(h200_quick()).unwrap();
    let rel = "results/nvidia-h200/quick.jsonl";
    for t in ["h200", "h100"] {
        write(&d.join("tasks").join(t).join(rel), &h200);
        write(
            &d.join("tasks").join(t).join("task.json"),
            &record(t, "9.0", true, 0, &[rel]),
        );
    }
    let rel_a = "results/synthetic-gpu-a/new.json";
    std::fs::create_dir_all(d.join("tasks/gpu-a/results/synthetic-gpu-a")).unwrap();
    std::fs::copy(gpu_a_results, d.join("tasks/gpu-a").join(rel_a)).unwrap();
    write(
        &d.join("tasks/gpu-a/task.json"),
        &record("gpu-a", "9.0", true, 0, &[rel_a]),
    );
    // Killed after 50 cases, in the middle of writing the 51st.
    let lines: Vec<&str> = h200.lines().collect();
    let mut torn = lines[..51].join("\n");
    torn.push('\n');
    torn.push_str(&lines[51][..40]);
    let p = d.join("tasks/.killed.partial-slurm77-1");
    write(&p.join(rel), &torn);
    write(
        &p.join("task.json"),
        &record("killed", "9.0", false, 0, &[]),
    );
    d
}

#[test]
fn collect_names_every_target_and_merges_what_arrived() {
    let dir = tempfile::tempdir().unwrap();
    let d = mixed_fleet(dir.path(), &synthetic("synthetic-gpu-a-new.json"));
    let out_dir = dir.path().join("report");
    let (rc, out, err) = archbench(&[
        "fleet",
        "collect",
        s(&d),
        "--out",
        s(&out_dir),
        "--format",
        "md,html",
        "--json",
    ]);
    assert_eq!(rc, 1, "{out}{err}");
    let c: Value = serde_json::from_str(&out).unwrap();
    let status: Vec<(&str, &str)> = c["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["target"].as_str().unwrap(), t["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            ("h200", "ok"),
            ("gpu-a", "ok"),
            ("h100", "wrong-gpu"),
            ("killed", "incomplete"),
            ("l4", "missing")
        ]
    );
    let detail = |i: usize| c["tasks"][i]["detail"].as_str().unwrap().to_string();
    assert!(
        detail(0).starts_with("216 case(s): 72 ok, 144 refused as predicted, 0 failing"),
        "{}",
        detail(0)
    );
    assert!(
        detail(2).contains("NVIDIA H200 (sm 9.0), not a 9.0 H100"),
        "{}",
        detail(2)
    );
    assert!(
        detail(3).contains("never finished") && detail(3).contains("50 finished case(s) kept"),
        "{}",
        detail(3)
    );
    let md = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    // The cross-GPU view: a column per target's GPU, and which GPUs each variant serves.
    assert!(md.contains("4 run(s): h200: NVIDIA H200 (sm 9.0), gpu-a: SYNTHETIC GPU A (sm 9.0), h100: NVIDIA H200 (sm 9.0), killed: NVIDIA H200 (partial) (sm 9.0)."), "{md}");
    assert!(md.contains("## Across GPUs"), "{md}");
    assert!(
        md.contains("| `pkgsForCudaArch.sm_90` | SASS sm_90 · 18 passed | SASS sm_90 · 2 passed | SASS sm_90 · 18 passed | SASS sm_90 · 4 passed | 4 of 4 |"),
        "{md}"
    );
    assert!(
        md.contains("| `pkgsForCudaArch.sm_80` | not loaded (18) | SASS sm_80 · 2 passed | not loaded (18) | not loaded (4) | 1 of 4 |"),
        "{md}"
    );
    // Per kernel × case, each GPU's time and % of its own ceiling.
    assert!(
        md.contains("| `pkgsForCudaArch.sm_90` | — | 50.8 µs · 88.1 % · SASS sm_90 | — | — |"),
        "{md}"
    );
    // Absent ones are listed, never silently missing.
    for t in ["h100", "killed", "l4"] {
        assert!(md.contains(&format!("| {t} | ")), "{t} not listed:\n{md}");
    }
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(
        html.contains("<h2>Across GPUs</h2>") && html.contains("<h3>copy · f32 64MiB</h3>"),
        "{html}"
    );
    assert!(html.contains("<h2>Missing and failed runs</h2>"), "{html}");
    let fleet_md = std::fs::read_to_string(out_dir.join("fleet.md")).unwrap();
    assert!(
        fleet_md.contains("5 task(s): 2 ok, 1 WRONG GPU, 1 INCOMPLETE, 1 MISSING"),
        "{fleet_md}"
    );
}

#[test]
fn compare_holds_each_gpu_to_its_own_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("baselines");
    let (rc, _, err) = archbench(&[
        "baseline",
        "save",
        s(&synthetic("synthetic-gpu-a-base.json")),
        "--dir",
        s(&base),
    ]);
    assert_eq!(rc, 0, "{err}");
    // GPU A regressed (copy on sm_80 is 8 % slower): exit 1, naming the case.
    let d = mixed_fleet(
        &dir.path().join("one"),
        &synthetic("synthetic-gpu-a-new.json"),
    );
    let (rc, out, err) = archbench(&["fleet", "compare", s(&d), "--dir", s(&base)]);
    assert_eq!(rc, 1, "{out}{err}");
    assert!(out.contains("gpu-a: SYNTHETIC GPU A (sm 9.0) vs"), "{out}");
    assert!(
        out.contains("FAIL: copy / f32 64MiB / pkgsForCudaArch.sm_80"),
        "{out}"
    );
    // The H200 has no baseline here: said, and not a failure unless required.
    assert!(
        out.contains("h200: NVIDIA H200 (sm 9.0)") && out.contains("not compared: no baseline"),
        "{out}"
    );
    assert!(
        out.contains("l4: 8.9 L4") && out.contains("no results to compare (MISSING"),
        "{out}"
    );
    // Only speedups: exit 0; with --require-baseline the H200 without one fails.
    let d = mixed_fleet(
        &dir.path().join("two"),
        &synthetic("synthetic-gpu-a-faster.json"),
    );
    let (rc, out, err) = archbench(&["fleet", "compare", s(&d), "--dir", s(&base)]);
    assert_eq!(rc, 0, "{out}{err}");
    let (rc, out, _) = archbench(&[
        "fleet",
        "compare",
        s(&d),
        "--dir",
        s(&base),
        "--require-baseline",
    ]);
    assert_eq!(rc, 1, "{out}");
}

#[test]
fn task_writes_atomically_and_reports_a_missing_gpu() {
    let dir = tempfile::tempdir().unwrap();
    let (rc, _, err) = archbench_env(
        &[
            "fleet",
            "task",
            "--target",
            "here",
            "--gpu",
            "9.0",
            "--quick",
            "--max-time",
            "30",
            "--dir",
            s(dir.path()),
        ],
        &[("CUDA_VISIBLE_DEVICES", "")],
    );
    assert_eq!(rc, 3, "{err}");
    assert!(err.contains("ended with exit 3"), "{err}");
    let rec: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("tasks/here/task.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(rec["exit_code"], 3);
    assert_eq!(
        rec["command"],
        json!(["run", "--quick", "--max-time", "30"])
    );
    assert_eq!(rec["scheduler"]["CUDA_VISIBLE_DEVICES"], "");
    // A task that cannot even start exits 4 (not 1, which means a failed case) and says why.
    let (rc, _, err) = archbench(&[
        "fleet",
        "task",
        "--target",
        "t",
        "--gpu",
        "9.0",
        "--plan-only",
        "--dir",
        "/proc/archbench-no-such-dir",
    ]);
    assert_eq!(rc, 4, "{err}");
    assert!(
        err.contains("cannot create") && err.contains("/proc/archbench-no-such-dir/tasks"),
        "{err}"
    );
    // Without a fleet.json, collect reports what it found and warns that it cannot know more.
    let (rc, out, err) = archbench(&["fleet", "collect", s(dir.path()), "--format", "md"]);
    assert_eq!(rc, 1);
    assert!(out.contains("here") && out.contains("FAILED"), "{out}");
    assert!(err.contains("no fleet.json"), "{err}");
}
