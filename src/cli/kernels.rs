//! `archbench kernels`: the suite with sizes, bytes and FLOPs.

use std::process::ExitCode;

use archbench_cli::suite::{self, Size};

pub fn run(json: bool, quick: bool) -> anyhow::Result<ExitCode> {
    let size = if quick { Size::Quick } else { Size::Default };
    let mut out = Vec::new();
    for k in suite::all() {
        let cases: Vec<serde_json::Value> = (k.cases)(size)
            .into_iter()
            .map(|c| {
                let w = (c.workload)();
                let launches: Vec<serde_json::Value> = w.launches.iter().map(launch_json).collect();
                let shape: serde_json::Map<String, serde_json::Value> =
                    c.shape.iter().map(|(k, v)| (k.to_string(), (*v).into())).collect();
                serde_json::json!({"label": c.label, "dtype": c.dtype, "shape": shape, "bytes": c.bytes, "flops": c.flops, "launches": launches})
            })
            .collect();
        out.push(serde_json::json!({"name": k.name, "family": k.family, "file": k.file, "description": k.description, "dtypes": k.dtypes, "rule": k.rule, "cases": cases}));
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    if out.is_empty() {
        outln!("the kernel suite is empty");
    }
    for k in &out {
        outln!(
            "{} [{}] ({}) — {}",
            k["name"].as_str().unwrap_or(""),
            k["family"].as_str().unwrap_or(""),
            k["file"].as_str().unwrap_or(""),
            k["description"].as_str().unwrap_or("")
        );
        for c in k["cases"].as_array().into_iter().flatten() {
            let bytes = c["bytes"].as_u64().unwrap_or(0);
            let flops = c["flops"].as_u64().unwrap_or(0);
            let launches: Vec<String> = c["launches"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|l| match l["contract"].as_str() {
                    Some(c) => format!(
                        "{} shaped by the loaded image's `{c}`",
                        l["entry"].as_str().unwrap_or("")
                    ),
                    None => format!(
                        "{} grid {} block {}",
                        l["entry"].as_str().unwrap_or(""),
                        l["grid"],
                        l["block"]
                    ),
                })
                .collect();
            outln!(
                "    {:<24} {:>10.1} MB  {:>10.3} GFLOP  {}",
                c["label"].as_str().unwrap_or(""),
                bytes as f64 / 1e6,
                flops as f64 / 1e9,
                launches.join("; ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A launch as JSON: its fixed shape, or for a launch the loaded image shapes, the contract
/// symbol and the problem it covers (`grid`, `block` and `shared_mem_bytes` are then null).
fn launch_json(l: &suite::Launch) -> serde_json::Value {
    match &l.from_image {
        None => {
            serde_json::json!({"entry": l.entry, "grid": l.grid, "block": l.block, "shared_mem_bytes": l.shared_mem_bytes})
        }
        Some(s) => {
            serde_json::json!({"entry": l.entry, "grid": null, "block": null, "shared_mem_bytes": null, "contract": s.contract, "problem": [s.m, s.n, s.k]})
        }
    }
}
