//! `archbench baseline save|list`: keep results files as baselines under
//! `results/<device slug>/` and list them.

use std::path::PathBuf;
use std::process::ExitCode;

use archbench::report::baseline;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Copy a results file to DIR/<device slug>/<name>.jsonl (or .json for one JSON
    /// document), atomically.
    Save {
        /// The results file of an `archbench run`.
        #[arg(value_name = "RESULTS")]
        results: PathBuf,
        /// File name (default: the run's start time and host).
        #[arg(long)]
        name: Option<String>,
        /// Where baselines live.
        #[arg(long, default_value = "results")]
        dir: PathBuf,
        /// Replace an existing baseline of the same name.
        #[arg(long)]
        force: bool,
    },
    /// List the baselines under DIR.
    List {
        #[arg(long, default_value = "results")]
        dir: PathBuf,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Save {
            results,
            name,
            dir,
            force,
        } => {
            let dest = baseline::save(&results, &dir, name.as_deref(), force)?;
            outln!("saved {} as {}", results.display(), dest.display());
            Ok(ExitCode::SUCCESS)
        }
        Action::List { dir, json } => {
            let (all, bad) = baseline::list(&dir)?;
            for e in &bad {
                eprintln!("warning: skipped {e}");
            }
            if json {
                outln!("{}", serde_json::to_string_pretty(&all)?);
            } else if all.is_empty() {
                outln!("no baselines under {}", dir.display());
            } else {
                for b in &all {
                    use archbench::report::format::printable;
                    outln!(
                        "{}  {} (sm {})  {}  host {}  {} cases",
                        printable(&b.path.display().to_string()),
                        printable(&b.device),
                        printable(&b.capability),
                        printable(&b.started),
                        printable(&b.host),
                        b.cases
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
