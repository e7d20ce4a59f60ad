//! `cargo bench` in a user's crate: [`Suite::main`](super::Suite::main) runs the suite
//! through the engine — worker processes (a faulting or hanging kernel is recorded and the
//! run goes on), the stopping rule, cold or hot timing — then prints a table with variants
//! as columns, writes JSON Lines results, and saves or compares baselines. The command line
//! is [`super::options`]'s.
//!
//! `cargo bench` passes `--bench`: cases are checked, then timed. Without it (`cargo test
//! --benches`, or running the binary by hand) every case is checked once, untimed. Without
//! a CUDA GPU the plan is printed and the exit status is 0.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::options::{parse, BenchError, Options, USAGE};
use super::Suite;
use crate::measure::StopRule;
use crate::report::baseline;
use crate::report::compare::{self, compare};
use crate::report::verdict::Rule;
use crate::results::read::read_run;
use crate::results::schema::RunFile;
use crate::run::orchestrate::{self, Outcome, RunOptions};
use crate::run::protocol::WorkerTask;
use crate::run::supervise::Limits;
use crate::run::{summary, PlanOptions};
use crate::workload::{CaseSource, Set};

/// Where results go: `ARCHBENCH_RESULTS_DIR`, else `<cargo target dir>/archbench/<suite>`.
pub fn results_dir(suite: &str) -> PathBuf {
    if let Some(d) = std::env::var_os("ARCHBENCH_RESULTS_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    target_dir().join("archbench").join(suite)
}

/// The cargo target directory this binary was built into (`…/target/release/deps/x` →
/// `…/target`), `CARGO_TARGET_DIR` when set, else `./target`.
fn target_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            let deps = exe.parent()?;
            if deps.file_name()? != "deps" {
                return None;
            }
            Some(deps.parent()?.parent()?.to_path_buf())
        })
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// Runs the harness for `suite` with the process's arguments; returns the exit status.
pub fn main(suite: Suite) -> i32 {
    let mut args = std::env::args_os().skip(1).peekable();
    if args.peek().is_some_and(|a| a == "__worker") {
        let _ = args.next();
        let Some(json) = args.next().and_then(|j| j.into_string().ok()) else {
            eprintln!("error: __worker needs its task (JSON)");
            return 2;
        };
        return match serde_json::from_str::<WorkerTask>(&json) {
            Ok(task) => crate::run::worker::run(&task, &suite, suite.images()),
            Err(e) => {
                eprintln!("error: bad worker task: {e}");
                2
            }
        };
    }
    let opts = match parse(args) {
        Ok(o) => o,
        Err(BenchError::Usage(e)) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return 2;
        }
    };
    if opts.help {
        println!("{USAGE}");
        return 0;
    }
    run(&suite, &opts)
}

/// The set of cases `opts` selects.
fn set_of(opts: &Options) -> Set {
    if opts.edges {
        Set::Edges
    } else if opts.quick {
        Set::Quick
    } else {
        Set::Default
    }
}

/// The filters as regexes (`--exact`: the literal text, anchored).
fn filters(opts: &Options) -> Vec<String> {
    opts.filters
        .iter()
        .map(|f| {
            if opts.exact {
                format!("^{}$", regex::escape(f))
            } else {
                f.clone()
            }
        })
        .collect()
}

/// Runs `suite` as `opts` say; returns the exit status (see [`USAGE`]).
pub fn run(suite: &Suite, opts: &Options) -> i32 {
    let problems = suite.problems();
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("error: {p}");
        }
        eprintln!(
            "the suite `{}` is not declared right; nothing ran",
            suite.name()
        );
        return 1;
    }
    let filters = filters(opts);
    if opts.list {
        return list(suite, set_of(opts), &filters);
    }
    let manifest = match suite.images().manifest() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    if let Some(why) = &manifest.skipped {
        println!("note: the kernels were not built ({why}); nothing to run");
        return 0;
    }
    let seed = opts.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    let base = if opts.quick {
        StopRule::quick()
    } else {
        StopRule::full()
    };
    let rule = StopRule {
        max_noise: opts.max_noise.map_or(base.max_noise, |n| n / 100.0),
        timeout_s: opts.timeout.unwrap_or(base.timeout_s),
        fixed_samples: opts.samples,
        drift_check: !opts.no_drift_check,
        ..base
    };
    crate::run::ignore_sigpipe();
    let dir = results_dir(suite.name());
    let ropts = RunOptions {
        plan: PlanOptions {
            variants: opts.variants.clone(),
            kernels: Vec::new(),
            cases: filters,
            quick: opts.quick,
            edges: opts.edges,
            seed,
            gpu: None,
            driver: None,
        },
        device: opts.device,
        mode: opts.mode,
        rule,
        out: opts
            .out
            .clone()
            .or_else(|| (!opts.timed).then(|| dir.join("checks").join(format!("{seed}.jsonl")))),
        results_dir: dir.clone(),
        max_time_s: opts.max_time,
        profile: false,
        check_only: !opts.timed,
        limits: Limits {
            case_slack: Duration::from_secs_f64(opts.watchdog),
            ..Limits::default()
        },
        // Every load pays the JIT, as in `archbench run` without `--jit-cache`.
        jit_cache: None,
        paired: opts.paired,
    };
    let outcome = match orchestrate::run(ropts, suite, suite.images()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    match outcome {
        Outcome::NoGpu { reason, plan } => {
            match plan {
                Ok(p) => print!("{}", p.render()),
                Err(e) => {
                    eprintln!("error: {e}");
                    return 1;
                }
            }
            println!(
                "no CUDA GPU here ({reason}): nothing ran. The plan above is what `cargo bench` would run on one."
            );
            0
        }
        Outcome::Done {
            path,
            run,
            failures,
        } => finish(opts, &dir, &path, &run, failures),
    }
}

fn finish(opts: &Options, dir: &Path, path: &Path, run: &RunFile, failures: usize) -> i32 {
    if opts.timed {
        print!("{}", super::table::table(run));
    } else {
        let ok = run
            .cases
            .iter()
            .filter(|c| c.correctness.as_ref().is_some_and(|k| k.passed))
            .count();
        println!(
            "checked {} case(s) once, untimed: {ok} correct (`cargo bench` times them)",
            run.cases.len()
        );
    }
    print!("{}", summary::findings(run));
    println!("results: {}", path.display());
    let mut code = i32::from(failures > 0);
    let baselines = dir.join("baselines");
    if let Some(name) = &opts.save_baseline {
        match baseline::save(path, &baselines, Some(name), true) {
            Ok(dest) => println!("baseline `{name}` saved: {}", dest.display()),
            Err(e) => {
                eprintln!("error: saving baseline `{name}`: {e}");
                code = 1;
            }
        }
    }
    if let Some(name) = &opts.baseline {
        // Where `baseline::save` files it: `<dir>/<gpu slug>/<name slug>.jsonl`.
        let src = baselines
            .join(baseline::slug(&run.device.name))
            .join(format!("{}.jsonl", baseline::slug(name)));
        match read_run(&src) {
            Ok(base) => {
                let cmp = compare(&base, run, &Rule::default());
                let fails = cmp.failures(opts.threshold);
                println!("against baseline `{name}` ({}):", src.display());
                print!("{}", compare::text(&cmp, &fails));
                if !fails.is_empty() {
                    code = 1;
                }
            }
            Err(e) => {
                eprintln!(
                    "error: baseline `{name}` for this GPU: {e} (save one with `cargo bench -- --save-baseline {name}`)"
                );
                code = 1;
            }
        }
    }
    if failures > 0 {
        eprintln!("{failures} case(s) FAILED, errored, hung or crashed; see above");
    }
    code
}

/// `--list`: every bench and its cases (libtest's `NAME: bench` lines), with what is wrong
/// with a case's declaration; no GPU and no kernels needed.
fn list(suite: &Suite, set: Set, filters: &[String]) -> i32 {
    let mut res = Vec::new();
    for f in filters {
        match regex::Regex::new(f) {
            Ok(r) => res.push(r),
            Err(e) => {
                eprintln!("error: the filter `{f}` is not a valid regex: {e}");
                return 2;
            }
        }
    }
    for b in CaseSource::benches(suite) {
        for c in suite.cases(&b.name, set) {
            let id = format!("{}/{}", b.name, c.label);
            if !res.is_empty() && !res.iter().any(|r| r.is_match(&id)) {
                continue;
            }
            match &c.error {
                Some(e) => println!("{id}: bench   [error: {e}]"),
                None => println!("{id}: bench"),
            }
        }
    }
    0
}
