//! `archbench flags`: the compiler flags of one variant in the chosen dialect.

use std::process::ExitCode;

use anyhow::bail;
use archbench::core::validate;
use archbench::core::{flags, spec};

use super::context::{spec_context, Rules};
use super::{CudaArg, RulesArg};

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Format {
    /// nvcc `-gencode=…` flags, one per line, exactly as Nixpkgs writes them.
    Gencode,
    /// CMake `CUDA_ARCHITECTURES` that builds exactly these images (`89-real;89-virtual`).
    Cmake,
    /// Nixpkgs' `cmakeCudaArchitecturesString` (`75;86`).
    CmakeNixpkgs,
    /// `TORCH_CUDA_ARCH_LIST`.
    Torch,
    /// OpenCV's `CUDA_ARCH_BIN` and `CUDA_ARCH_PTX`.
    Opencv,
    /// All of the above as JSON.
    Json,
}

pub fn run(cuda: CudaArg, rules: RulesArg, format: Format, text: &str) -> anyhow::Result<ExitCode> {
    let rules = Rules::new(&rules)?;
    let ctx = spec_context(&cuda);
    let mut entries = spec::parse_with(text, &ctx, &rules.config);
    if entries.len() != 1 {
        bail!(
            "`{text}` holds {} variants; `flags` takes one (use `validate --json` for all of them)",
            entries.len()
        );
    }
    let entry = entries.remove(0);
    let mut diags = entry.diagnostics;
    if let Some(v) = &entry.variant {
        diags.extend(validate::validate(v, &rules.validate_options(None)));
    }
    for d in &diags {
        eprintln!("{d}");
    }
    let Some(v) = entry.variant.filter(|_| validate::is_valid(&diags)) else {
        eprintln!(
            "`{text}` is not a valid variant under {}; no flags printed",
            rules.describe()
        );
        return Ok(ExitCode::from(1));
    };
    match format {
        Format::Gencode => {
            for f in flags::gencode(&v) {
                outln!("{f}");
            }
        }
        Format::Cmake => outln!("{}", flags::cmake(&v)),
        Format::CmakeNixpkgs => outln!("{}", flags::cmake_nixpkgs(&v)),
        Format::Torch => outln!("{}", flags::torch(&v)?),
        Format::Opencv => {
            let o = flags::opencv(&v);
            outln!(
                "CUDA_ARCH_BIN={}\nCUDA_ARCH_PTX={}",
                o.cuda_arch_bin,
                o.cuda_arch_ptx
            );
        }
        Format::Json => outln!("{}", serde_json::to_string_pretty(&flags::all(&v))?),
    }
    Ok(ExitCode::SUCCESS)
}
