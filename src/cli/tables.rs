//! `archbench tables`: rewrite (or check) the generated GPU tables of markdown files from the
//! results files each block names (see `archbench::report::tables`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use archbench::report::{baseline::write_atomic, tables};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only check: exit 1 naming every file whose tables differ from its results files.
    #[arg(long)]
    pub check: bool,
    /// Markdown files holding `<!-- archbench tables: KIND FILES… -->` blocks.
    #[arg(required = true, value_name = "FILE.md")]
    pub files: Vec<PathBuf>,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let mut stale = Vec::new();
    for f in &a.files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        let dir = f.parent().map(PathBuf::from).unwrap_or_default();
        let (new, blocks) =
            tables::update(&text, &dir).with_context(|| format!("{}", f.display()))?;
        if blocks == 0 {
            anyhow::bail!(
                "{}: no `<!-- archbench tables: KIND FILES… -->` block (see docs/report.md#generated-tables)",
                f.display()
            );
        }
        if new == text {
            outln!("{}: {blocks} table(s) up to date", f.display());
        } else if a.check {
            stale.push(f.display().to_string());
        } else {
            write_atomic(f, new.as_bytes())?;
            outln!("{}: {blocks} table(s) rewritten", f.display());
        }
    }
    if stale.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "stale generated tables in {}: run `archbench tables {}`",
            stale.join(", "),
            stale.join(" ")
        );
        Ok(ExitCode::FAILURE)
    }
}
