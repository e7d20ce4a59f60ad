//! `archbench validate`: parse and validate specs, print text or JSON, exit 0/1.

use std::process::ExitCode;

use archbench::core::validate;
use archbench::core::{spec, Diagnostic, DriverVersion, Variant};
use serde::Serialize;

use super::context::{spec_context, Rules};
use super::{CudaArg, RulesArg};

/// One line of `validate --json`.
#[derive(Serialize)]
pub struct Report<'a> {
    pub spec: &'a str,
    /// The Nixpkgs rule set (`--nixpkgs`) and system (`--system`) the spec was checked with.
    pub nixpkgs: &'static str,
    pub system: &'a str,
    pub variant: Option<VariantOut<'a>>,
    pub valid: bool,
    pub diagnostics: Vec<Diagnostic>,
}

/// The variant as scripts see it.
#[derive(Serialize)]
pub struct VariantOut<'a> {
    pub name: &'a str,
    pub cuda: String,
    pub capabilities: Vec<String>,
    pub forward_compat: bool,
    pub ptx: Vec<String>,
    pub package: Option<&'a str>,
}

impl<'a> VariantOut<'a> {
    pub fn new(v: &'a Variant) -> Self {
        Self {
            name: &v.name,
            cuda: v.cuda.to_string(),
            capabilities: v.capabilities.iter().map(|c| c.to_string()).collect(),
            forward_compat: v.forward_compat,
            ptx: v.ptx.iter().map(|c| c.to_string()).collect(),
            package: v.package.as_deref(),
        }
    }
}

pub fn run(
    cuda: CudaArg,
    rules: RulesArg,
    driver: Option<DriverVersion>,
    json: bool,
    specs: &[String],
) -> anyhow::Result<ExitCode> {
    let rules = Rules::new(&rules)?;
    let ctx = spec_context(&cuda);
    let opts = rules.validate_options(driver);
    let parsed: Vec<(&str, spec::SpecEntry)> = specs
        .iter()
        .flat_map(|s| {
            spec::parse_with(s, &ctx, &rules.config)
                .into_iter()
                .map(move |e| (s.as_str(), e))
        })
        .collect();
    let mut reports = Vec::new();
    let mut all_valid = true;
    for (s, entry) in &parsed {
        let mut diags = entry.diagnostics.clone();
        if let Some(v) = &entry.variant {
            diags.extend(validate::validate(v, &opts));
        }
        let valid = entry.variant.is_some() && validate::is_valid(&diags);
        all_valid &= valid;
        reports.push(Report {
            spec: s,
            nixpkgs: rules.nixpkgs.name,
            system: &rules.system,
            variant: entry.variant.as_ref().map(VariantOut::new),
            valid,
            diagnostics: diags,
        });
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        outln!("rules: {}", rules.describe());
        for r in &reports {
            print_text(r)?;
        }
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_text(r: &Report) -> anyhow::Result<()> {
    let status = if r.valid { "valid" } else { "INVALID" };
    match &r.variant {
        Some(v) => {
            let sass = if v.capabilities.is_empty() {
                "none".to_string()
            } else {
                v.capabilities.join(" ")
            };
            let ptx = if v.ptx.is_empty() {
                "none".to_string()
            } else {
                v.ptx.join(" ")
            };
            let pkg = v
                .package
                .map(|p| format!(", package {p}"))
                .unwrap_or_default();
            let name = if v.name == r.spec {
                String::new()
            } else {
                format!(" [{}]", v.name)
            };
            outln!(
                "{}{name}: {status} (CUDA {}; SASS {sass}; PTX {ptx}{pkg})",
                r.spec,
                v.cuda
            );
        }
        None => outln!("{}: {status}", r.spec),
    }
    for d in &r.diagnostics {
        for (i, line) in d.to_string().lines().enumerate() {
            outln!("  {}{line}", if i == 0 { "" } else { "  " });
        }
    }
    Ok(())
}
