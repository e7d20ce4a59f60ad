//! `archbench capabilities`: the capability table for one CUDA version.

use std::process::ExitCode;

use archbench::core::nixpkgs::RuleSet;
use archbench::core::{db, CudaVersion};
use serde::Serialize;

use super::context::{default_cuda, Rules};
use super::{CudaArg, RulesArg};

#[derive(Serialize)]
struct Row {
    capability: String,
    arch: &'static str,
    supported: bool,
    default: bool,
    jetson: bool,
    /// Supported, and the rule set lets `--system` build it (under `nixos-26.05` a Jetson
    /// capability needs aarch64-linux).
    usable_on_system: bool,
    /// The `pkgsForCudaArch` attribute, where Nixpkgs has one.
    nixpkgs_attribute: Option<String>,
    arch_specific: bool,
    family_specific: bool,
    in_nixpkgs: bool,
    min_cuda: Option<String>,
    max_cuda: Option<String>,
    nvidia_min_cuda: String,
    nvidia_max_cuda: Option<String>,
    note: &'static str,
}

fn rows(cuda: CudaVersion, rules: &RuleSet, system: &str) -> Vec<Row> {
    db::CAPABILITIES
        .iter()
        .map(|i| Row {
            capability: i.capability.to_string(),
            arch: i.arch,
            supported: i.nix_supports(cuda),
            default: i.nix_default(cuda),
            jetson: i.jetson,
            usable_on_system: i.nix_supports(cuda)
                && !(i.jetson && rules.jetson_needs_aarch64_host && system != "aarch64-linux"),
            nixpkgs_attribute: i
                .in_nixpkgs()
                .then(|| format!("pkgsForCudaArch.{}", i.capability.sm())),
            arch_specific: i.capability.is_arch_specific(),
            family_specific: i.capability.is_family_specific(),
            in_nixpkgs: i.in_nixpkgs(),
            min_cuda: i.nix_min.map(|v| v.to_string()),
            max_cuda: i.nix_max.map(|v| v.to_string()),
            nvidia_min_cuda: i.nvidia_min.to_string(),
            nvidia_max_cuda: i.nvidia_max.map(|v| v.to_string()),
            note: i.note,
        })
        .collect()
}

pub fn run(cuda: CudaArg, rules: RulesArg, json: bool) -> anyhow::Result<ExitCode> {
    let rules = Rules::new(&rules)?;
    if rules.config != Default::default() {
        eprintln!("note: --config does not change the capability table; `validate --config` checks a config");
    }
    let v = default_cuda(&cuda);
    let rows = rows(v, rules.nixpkgs, &rules.system);
    let unknown = db::release(v)
        .is_none()
        .then(|| archbench::core::validate::unknown_release(v).to_string());
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "cuda": v.to_string(), "nixpkgs": rules.nixpkgs.name, "system": rules.system, "release": db::release(v).map(|r| serde_json::json!({"ptx_isa": r.ptx_isa_string(), "min_driver": r.min_driver.map(|_| r.min_driver_string()), "source": r.source, "nixpkgs_set": r.in_nixpkgs.then(|| r.version.nix_attr())})), "error": unknown, "capabilities": rows })
            )?
        );
        return Ok(if unknown.is_some() {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    outln!("rules: {}", rules.describe());
    match db::release(v) {
        Some(r) => outln!(
            "CUDA {v}: PTX ISA {}, {}{}",
            r.ptx_isa_string(),
            r.needs_driver(),
            if r.in_nixpkgs {
                format!(", Nixpkgs `{}`", v.nix_attr())
            } else {
                String::new()
            }
        ),
        None => {
            eprintln!("{}", unknown.unwrap_or_default());
            return Ok(ExitCode::from(1));
        }
    }
    outln!(
        "{:<6} {:<9} {:<9} {:<7} {:<6} {:<6} {:<4} {:<11} {:<11} note",
        "cap",
        "arch",
        "supported",
        "default",
        "jetson",
        "usable",
        "a/f",
        "nixpkgs",
        "nvidia"
    );
    let range = |a: Option<String>, b: Option<String>| match (a, b) {
        (Some(a), Some(b)) => format!("{a}–{b}"),
        (Some(a), None) => format!("{a}+"),
        (None, _) => "—".to_string(),
    };
    for r in rows {
        let af = if r.arch_specific {
            "a"
        } else if r.family_specific {
            "f"
        } else {
            ""
        };
        outln!(
            "{:<6} {:<9} {:<9} {:<7} {:<6} {:<6} {:<4} {:<11} {:<11} {}",
            r.capability,
            r.arch,
            if r.supported { "yes" } else { "no" },
            if r.default { "yes" } else { "" },
            if r.jetson { "yes" } else { "" },
            if r.usable_on_system { "yes" } else { "no" },
            af,
            range(r.min_cuda, r.max_cuda),
            range(Some(r.nvidia_min_cuda), r.nvidia_max_cuda),
            r.note
        );
    }
    Ok(ExitCode::SUCCESS)
}
