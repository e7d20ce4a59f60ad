//! Kubernetes: one `batch/v1` Job per target, placed by the NVIDIA GPU Operator's node labels
//! (`nvidia.com/gpu.compute.major`/`.minor` from the capability, `nvidia.com/gpu.product`,
//! `nvidia.com/gpu.count`), with an `nvidia.com/gpu: 1` limit, running the image the fleet
//! file names (archbench on its `PATH`). Results go to stdout as one JSON document per line
//! (`kubectl logs` is enough) or to a PersistentVolumeClaim mounted at `/results`.
//!
//! Manifests are written as JSON, which `kubectl apply -f` takes as it takes YAML.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::layout::{FleetDir, TaskMode};
use super::shell::quote;
use super::spec::{Engine, Fleet, KubeDefaults, KubeResults, Target};
use super::task::TaskOptions;
use super::{fsutil, slurm, FleetError};

/// Where a PersistentVolumeClaim is mounted in the container.
pub const RESULTS_MOUNT: &str = "/results";

/// Finished Jobs (and their logs) are kept this long: a week.
const TTL_AFTER_FINISHED_S: u64 = 7 * 86400;

/// The Job name: `<fleet>-<target>` (at most 20 + 1 + 40 characters, a valid label value).
pub fn job_name(fleet: &Fleet, t: &Target) -> String {
    format!("{}-{}", fleet.name, t.name)
}

/// The node labels that place a target.
pub fn node_selector(t: &Target) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert(
        "nvidia.com/gpu.compute.major".to_string(),
        t.capability.major.to_string(),
    );
    m.insert(
        "nvidia.com/gpu.compute.minor".to_string(),
        t.capability.minor.to_string(),
    );
    if let Some(k) = &t.kubernetes {
        if let Some(p) = &k.product {
            m.insert("nvidia.com/gpu.product".to_string(), p.clone());
        }
        if let Some(c) = k.count {
            m.insert("nvidia.com/gpu.count".to_string(), c.to_string());
        }
        m.extend(k.node_selector.clone());
    }
    m
}

/// The Job for one target.
pub fn job(fleet: &Fleet, kube: &KubeDefaults, t: &Target) -> Value {
    let name = job_name(fleet, t);
    let labels = json!({
        "app.kubernetes.io/name": "archbench",
        "app.kubernetes.io/component": "fleet-task",
        "archbench/fleet": fleet.name,
        "archbench/target": t.name,
    });
    let mut command: Vec<String> = vec!["archbench".into()];
    let args = TaskOptions::new(fleet, t).fleet_task_args();
    command.extend(args.iter().take(2).cloned());
    match &kube.results {
        KubeResults::Logs => command.push("--stdout".into()),
        KubeResults::Pvc(_) => command.extend(["--dir".into(), RESULTS_MOUNT.into()]),
    }
    command.extend(args.into_iter().skip(2));
    let field = |path: &str| json!({ "fieldRef": { "fieldPath": path } });
    let mut container = json!({
        "name": "archbench",
        "image": kube.image,
        "command": command,
        "env": [
            { "name": "NODE_NAME", "valueFrom": field("spec.nodeName") },
            { "name": "POD_NAME", "valueFrom": field("metadata.name") },
        ],
    });
    // A plan needs no GPU; a run gets exactly one.
    if TaskMode::of(t) == TaskMode::Run {
        container["resources"] = json!({ "limits": { "nvidia.com/gpu": 1 } });
    }
    let mut pod = json!({
        "restartPolicy": "Never",
        "nodeSelector": node_selector(t),
        // GPU nodes are often tainted so that only GPU work lands there.
        "tolerations": [
            { "key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule" }
        ],
        "containers": [],
    });
    if let KubeResults::Pvc(claim) = &kube.results {
        container["volumeMounts"] = json!([{ "name": "results", "mountPath": RESULTS_MOUNT }]);
        pod["volumes"] =
            json!([{ "name": "results", "persistentVolumeClaim": { "claimName": claim } }]);
    }
    pod["containers"] = json!([container]);
    let mut metadata = json!({ "name": name, "labels": labels });
    if let Some(ns) = &kube.namespace {
        metadata["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {
            // One attempt: a failed run is a result to collect, not something to retry.
            "backoffLimit": 0,
            "activeDeadlineSeconds": slurm::time_limit_minutes(fleet, t) * 60,
            "ttlSecondsAfterFinished": TTL_AFTER_FINISHED_S,
            "template": {
                "metadata": { "labels": labels },
                "spec": pod,
            },
        },
    })
}

/// What `write` produced.
#[derive(Debug)]
pub struct Written {
    pub dir: PathBuf,
    /// `(target, job name, manifest path)`.
    pub jobs: Vec<(String, String, PathBuf)>,
    /// `fetch-logs.sh`, when results go to the logs.
    pub fetch_logs: Option<PathBuf>,
}

/// Write `DIR/k8s/<job>.json` per target, `DIR/fleet.json`, `DIR/fleet.toml`, and (results
/// in logs) `DIR/fetch-logs.sh`, which saves each Job's logs where collecting reads them.
pub fn write(fleet: &Fleet, dir: &Path) -> Result<Written, FleetError> {
    let Some(kube) = &fleet.kubernetes else {
        return Err(FleetError::Usage(format!(
            "{} has no `[kubernetes]` table: add one with `image = \"…\"` (an image with archbench on its PATH)",
            fleet.path.display()
        )));
    };
    let targets = fleet.targets_for(Some(Engine::Kubernetes));
    if targets.is_empty() {
        return Err(FleetError::Usage(format!(
            "no target of {} has a `kubernetes = {{ … }}` table; add one to each target Kubernetes should run",
            fleet.path.display()
        )));
    }
    let manifests = dir.join("k8s");
    fsutil::create_dir(&manifests)?;
    fsutil::create_dir(&dir.join("logs"))?;
    FleetDir::new(fleet, Some(Engine::Kubernetes)).write(dir, fleet)?;
    let mut jobs = Vec::new();
    for t in targets {
        let name = job_name(fleet, t);
        let p = manifests.join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(&job(fleet, kube, t))
            .map_err(|e| FleetError::Usage(e.to_string()))?;
        fsutil::write_atomic(&p, format!("{text}\n").as_bytes())?;
        jobs.push((t.name.clone(), name, p));
    }
    let fetch_logs = match kube.results {
        KubeResults::Logs => {
            let p = dir.join("fetch-logs.sh");
            fsutil::write_atomic_mode(&p, fetch_logs_script(fleet, kube, &jobs).as_bytes(), 0o755)?;
            Some(p)
        }
        KubeResults::Pvc(_) => None,
    };
    Ok(Written {
        dir: dir.to_path_buf(),
        jobs,
        fetch_logs,
    })
}

fn fetch_logs_script(
    fleet: &Fleet,
    kube: &KubeDefaults,
    jobs: &[(String, String, PathBuf)],
) -> String {
    let ns = kube
        .namespace
        .as_ref()
        .map(|n| format!(" --namespace {}", quote(n)))
        .unwrap_or_default();
    let mut s = String::new();
    s.push_str("#!/bin/bash\n");
    s.push_str(&format!(
        "# Saves the logs of archbench fleet `{}`'s Jobs as logs/<target>.log, where\n",
        fleet.name
    ));
    s.push_str("# `archbench fleet collect` reads them. Run it once the Jobs have finished.\n");
    s.push_str("set -u\n");
    s.push_str("cd \"$(dirname \"$0\")\" || exit 1\n");
    s.push_str("mkdir -p logs\n");
    s.push_str("status=0\n");
    s.push_str(&format!(
        r#"fetch() {{ # target job
  if kubectl logs{ns} "job/$2" >"logs/.$1.log.tmp"; then
    mv "logs/.$1.log.tmp" "logs/$1.log"
    echo "saved logs/$1.log"
  else
    rm -f "logs/.$1.log.tmp"
    echo "no logs for job $2 (target $1)" >&2
    status=1
  fi
}}
"#
    ));
    for (target, name, _) in jobs {
        s.push_str(&format!("fetch {} {}\n", quote(target), quote(name)));
    }
    s.push_str("exit $status\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_job_asks_for_one_gpu_on_the_right_nodes() {
        let f = Fleet::parse(
            "name = \"lab\"\n[kubernetes]\nimage = \"r/archbench:1\"\nnamespace = \"gpu\"\n[[target]]\nname = \"h100\"\nmodel = \"H100\"\nkubernetes = { product = \"NVIDIA-H100-80GB-HBM3\", count = 8 }\n[[target]]\nname = \"l4\"\nmodel = \"L4\"\nplan_only = true\nkubernetes = {}\n",
            Path::new("f.toml"),
        )
        .unwrap();
        let kube = f.kubernetes.clone().unwrap();
        let j = job(&f, &kube, &f.targets[0]);
        assert_eq!(j["metadata"]["name"], "lab-h100");
        assert_eq!(j["metadata"]["namespace"], "gpu");
        let pod = &j["spec"]["template"]["spec"];
        assert_eq!(
            pod["nodeSelector"]["nvidia.com/gpu.product"],
            "NVIDIA-H100-80GB-HBM3"
        );
        assert_eq!(pod["nodeSelector"]["nvidia.com/gpu.compute.major"], "9");
        assert_eq!(pod["nodeSelector"]["nvidia.com/gpu.count"], "8");
        assert_eq!(
            pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"],
            1
        );
        let cmd: Vec<&str> = pod["containers"][0]["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(&cmd[..4], ["archbench", "fleet", "task", "--stdout"]);
        let plan = job(&f, &kube, &f.targets[1]);
        assert!(plan["spec"]["template"]["spec"]["containers"][0]["resources"].is_null());
    }
}
