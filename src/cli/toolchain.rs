//! `archbench toolchain list|install`.

use std::process::ExitCode;

use archbench::core::toolchain::{self, ToolKind, Toolchain, PINNED_NVCC, PINS};
use archbench::core::CudaVersion;

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Toolchains found on this machine and in archbench's cache, with their targets.
    List {
        /// Also probe ptxas-only toolchains target by target (slower).
        #[arg(long)]
        probe: bool,
        #[arg(long)]
        json: bool,
    },
    /// Install pinned toolchains from PyPI (default: the CUDA 13.0 nvcc; 11.8, 12.6, 12.8,
    /// 12.9 are ptxas-only).
    Install {
        #[arg(value_name = "VERSION")]
        versions: Vec<CudaVersion>,
    },
}

pub fn run(action: Action) -> anyhow::Result<ExitCode> {
    match action {
        Action::List { probe, json } => list(probe, json),
        Action::Install { versions } => {
            let versions = if versions.is_empty() {
                vec![PINNED_NVCC]
            } else {
                versions
            };
            for v in versions {
                let t = toolchain::install(v)
                    .map_err(|e| anyhow::anyhow!("{e}\nhelp: {}", e.help()))?;
                outln!(
                    "CUDA {} ({}) {:?} at {}",
                    t.version,
                    t.release,
                    t.kind,
                    t.bin.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn list(probe: bool, json: bool) -> anyhow::Result<ExitCode> {
    let mut all: Vec<Toolchain> = Vec::new();
    match toolchain::discover() {
        Ok(Some(t)) => all.push(t),
        Ok(None) => {}
        Err(e) => eprintln!("warning: {e}"),
    }
    for t in toolchain::installed() {
        if !all.iter().any(|a| a.bin == t.bin) {
            all.push(t);
        }
    }
    let mut out = Vec::new();
    for t in &all {
        let targets = match t.list_gpu_code()? {
            Some(l) => Some(l),
            None if probe => Some(t.supported_capabilities()?.iter().map(|c| c.sm()).collect()),
            None => None,
        };
        out.push(serde_json::json!({ "toolchain": t, "targets": targets }));
        if !json {
            outln!(
                "CUDA {} ({}) {} from {}: {}",
                t.version,
                t.release,
                if t.kind == ToolKind::Nvcc {
                    "nvcc"
                } else {
                    "ptxas"
                },
                t.source.describe(),
                t.bin.display()
            );
            if let Some(ts) = targets {
                outln!("  targets: {}", ts.join(" "));
            }
        }
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else if all.is_empty() {
        outln!("no CUDA toolchain found; `archbench toolchain install` installs CUDA {PINNED_NVCC} from PyPI");
    }
    let missing: Vec<String> = PINS
        .iter()
        .filter(|p| !all.iter().any(|t| t.version == p.version))
        .map(|p| p.version.to_string())
        .collect();
    if !json && !missing.is_empty() {
        outln!(
            "installable: {} (`archbench toolchain install VERSION…`)",
            missing.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
