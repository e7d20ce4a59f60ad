//! The `archbench` command line. Exit codes: 0 success; 1 invalid input or a failed check;
//! 2 usage error; 3 a GPU was needed and none is present.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
