//! Tests that run the `archbench` command or the scripts, one module per former test binary
//! (`cargo test --test cli inspect_cli::` runs one): exit codes and output of each command,
//! hostile input, the device check's reports and script, and what the docs promise.

#[path = "../common/mod.rs"]
mod common;
#[path = "../../crates/archbench-inspect/tests/support/vendor.rs"]
mod vendor;

mod advise_cli;
mod cli;
mod compare_cli;
mod docs_promises;
mod gpu_check_report;
mod gpu_check_script;
mod hostile_inputs;
mod inspect_cli;
