//! Tests of the library without the command, one module per former test binary (`cargo test
//! --test engine report_render::` runs one): the run engine's CPU side, the suite through the
//! bench API, results, reports and their statistics, the advisor against others' builds, and
//! the design's layering rules.

#[path = "../common/mod.rs"]
mod common;
#[path = "../fixtures/synthetic/gen.rs"]
mod gen;
#[path = "../../crates/archbench-inspect/tests/support/vendor.rs"]
mod vendor;

mod advise_compare;
mod layers;
mod report_render;
mod report_stats;
mod run_cpu;
mod suite_api;
mod suite_specs;
mod user_results;
