//! `cargo bench` in a user's crate: [`Suite::main`](super::Suite::main) parses cargo's and
//! libtest's arguments plus archbench's own, and runs the suite through the engine —
//! worker processes (a faulting or hanging kernel is recorded and the run goes on), the
//! stopping rule, cold or hot timing — then prints a table with variants as columns,
//! writes JSON Lines results, and saves or compares baselines.
//!
//! `cargo bench` passes `--bench`: cases are checked, then timed. Without it (`cargo test
//! --benches`, or running the binary by hand) every case is checked once, untimed. Without
//! a CUDA GPU the plan is printed and the exit status is 0.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Suite;
use crate::measure::StopRule;
use crate::report::compare::{self, compare};
use crate::report::verdict::Rule;
use crate::results::read::read_run;
use crate::results::schema::{Mode, RunFile};
use crate::run::orchestrate::{self, Outcome, RunOptions};
use crate::run::protocol::WorkerTask;
use crate::run::supervise::Limits;
use crate::run::{summary, PlanOptions};
use crate::workload::{CaseSource, Set};

/// What `cargo bench -- …` asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// `--bench` (cargo bench): time the cases; otherwise only check them.
    pub timed: bool,
    pub help: bool,
    /// `--list`: list benches and cases, run nothing.
    pub list: bool,
    /// Regexes on `bench/case` (cargo's FILTER).
    pub filters: Vec<String>,
    /// `--exact`: filters match `bench/case` exactly.
    pub exact: bool,
    pub variants: Vec<String>,
    pub quick: bool,
    pub mode: Mode,
    pub max_time: Option<f64>,
    pub samples: Option<u32>,
    pub max_noise: Option<f64>,
    pub timeout: Option<f64>,
    pub out: Option<PathBuf>,
    pub save_baseline: Option<String>,
    pub baseline: Option<String>,
    pub threshold: f64,
    pub device: usize,
    pub seed: Option<u64>,
    /// Seconds a case may take beyond its sampling budget before its worker is killed and
    /// the case recorded as `timeout`.
    pub watchdog: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timed: false,
            help: false,
            list: false,
            filters: Vec::new(),
            exact: false,
            variants: Vec::new(),
            quick: false,
            mode: Mode::Cold,
            max_time: None,
            samples: None,
            max_noise: None,
            timeout: None,
            out: None,
            save_baseline: None,
            baseline: None,
            threshold: 5.0,
            device: 0,
            seed: None,
            watchdog: 60.0,
        }
    }
}

/// Usage text.
pub const USAGE: &str = "\
cargo bench [--bench NAME] -- [FILTER…] [OPTIONS]
cargo test --benches            (checks every case once, untimed)

FILTER                  regex on `bench/case` (e.g. `saxpy`, `rmsnorm/impl=warp`)
--exact                 FILTER must equal `bench/case`
--list                  list benches and cases
--quick                 quick axis values and a 1 % / 0.3 s per-case rule
--variant NAME          run only this build variant (repeatable)
--cold | --hot          L2 flushed before every sample (default) | back-to-back launches
--max-time SECONDS      whole-run budget
--samples N             exactly N samples per case
--max-noise PERCENT     stop once the median's 99 % interval is within ± PERCENT
--timeout SECONDS       per-case sampling budget
--out FILE              results file (default: target/archbench/<suite>/<gpu>/<date>-<mode>.jsonl)
--save-baseline NAME    save this run as baseline NAME (per GPU)
--baseline NAME         compare with baseline NAME; exit 1 on a regression or a failed check
--threshold PERCENT     slowdown that fails --baseline (default 5)
--device N              CUDA device ordinal
--seed N                seed for inputs and task order
--watchdog SECONDS      time a case may take beyond its sampling budget before it is
                        recorded as `timeout` and the run goes on (default 60)

Exit status: 0 every case correct (or refused by the driver as predicted; or no GPU: the plan
is printed); 1 a failed check, an error, a hang or crash, or a regression against --baseline;
2 a usage error.";

fn number<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
    let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
    v.parse()
        .map_err(|_| format!("{flag}: `{v}` is not a valid number"))
}

fn positive(flag: &str, v: Option<String>) -> Result<f64, String> {
    let x: f64 = number(flag, v)?;
    if x.is_finite() && x > 0.0 {
        Ok(x)
    } else {
        Err(format!("{flag} must be a positive number, not {x}"))
    }
}

/// Parses the arguments after the program name. libtest's and criterion's flags that mean
/// nothing here (`--nocapture`, `--test-threads`, `--color`, …) are accepted and ignored.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next());
        match flag.as_str() {
            "--bench" => o.timed = true,
            "--test" => o.timed = false,
            "-h" | "--help" => o.help = true,
            "--list" => o.list = true,
            "--exact" => o.exact = true,
            "--quick" => o.quick = true,
            "--cold" => o.mode = Mode::Cold,
            "--hot" => o.mode = Mode::Hot,
            "--variant" => o
                .variants
                .push(value().ok_or("--variant needs a variant name")?),
            "--max-time" => o.max_time = Some(positive("--max-time", value())?),
            "--timeout" => o.timeout = Some(positive("--timeout", value())?),
            "--max-noise" => o.max_noise = Some(positive("--max-noise", value())?),
            "--samples" => {
                let n: u32 = number("--samples", value())?;
                if n == 0 {
                    return Err("--samples must be at least 1".into());
                }
                o.samples = Some(n);
            }
            "--out" => o.out = Some(PathBuf::from(value().ok_or("--out needs a file")?)),
            "--save-baseline" => {
                o.save_baseline = Some(baseline_name(value())?);
            }
            "--baseline" => o.baseline = Some(baseline_name(value())?),
            "--threshold" => {
                let t: f64 = number("--threshold", value())?;
                if !t.is_finite() || t < 0.0 {
                    return Err(format!(
                        "--threshold must be a finite percentage ≥ 0, not {t}"
                    ));
                }
                o.threshold = t;
            }
            "--device" => o.device = number("--device", value())?,
            "--seed" => o.seed = Some(number("--seed", value())?),
            "--watchdog" => o.watchdog = positive("--watchdog", value())?,
            // libtest / criterion flags cargo or users pass along: nothing to do here.
            "--nocapture" | "--show-output" | "-q" | "--quiet" | "--ignored"
            | "--include-ignored" | "--noplot" | "--verbose" | "-v" => {}
            "--test-threads" | "--color" | "--format" | "--logfile" | "--skip" | "-Z" => {
                let _ = value();
            }
            f if f.starts_with('-') => {
                return Err(format!(
                    "unknown option `{f}`; `cargo bench -- --help` lists them"
                ))
            }
            _ => o.filters.push(a),
        }
    }
    Ok(o)
}

fn baseline_name(v: Option<String>) -> Result<String, String> {
    let v = v.ok_or("a baseline needs a NAME")?;
    if v.is_empty()
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || v.starts_with('.')
    {
        return Err(format!(
            "baseline name `{v}`: use letters, digits, `-`, `_` and `.` (it names a file)"
        ));
    }
    Ok(v)
}

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
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("__worker") {
        let _ = args.next();
        let Some(json) = args.next() else {
            eprintln!("error: __worker needs its task");
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
        Err(e) => {
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
    let manifest = match suite.images().manifest() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    if let Some(why) = &manifest.skipped {
        eprintln!("note: the kernels were not built ({why}); nothing to run");
        return 0;
    }
    let filters: Vec<String> = opts
        .filters
        .iter()
        .map(|f| {
            if opts.exact {
                format!("^{}$", regex::escape(f))
            } else {
                f.clone()
            }
        })
        .collect();
    if opts.list {
        list(suite, opts.quick, &filters);
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
    let gpu = crate::report::baseline::slug(&run.device.name);
    if let Some(name) = &opts.save_baseline {
        let dest = dir
            .join("baselines")
            .join(&gpu)
            .join(format!("{name}.jsonl"));
        let saved = dest
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::read(path))
            .map_err(|e| e.to_string())
            .and_then(|b| crate::run::writer::write_atomic(&dest, &b).map_err(|e| e.to_string()));
        match saved {
            Ok(()) => println!("baseline `{name}` saved: {}", dest.display()),
            Err(e) => {
                eprintln!("error: saving baseline `{name}` to {}: {e}", dest.display());
                code = 1;
            }
        }
    }
    if let Some(name) = &opts.baseline {
        let src = dir
            .join("baselines")
            .join(&gpu)
            .join(format!("{name}.jsonl"));
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

/// `--list`: every bench and its cases, with what is wrong with a case's declaration.
fn list(suite: &Suite, quick: bool, filters: &[String]) {
    let set = if quick { Set::Quick } else { Set::Default };
    let res: Vec<regex::Regex> = filters
        .iter()
        .filter_map(|f| regex::Regex::new(f).ok())
        .collect();
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Options, String> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn cargo_and_libtest_arguments() {
        let o = p(&[
            "--bench",
            "saxpy",
            "--quick",
            "--variant",
            "pkgsCuda",
            "--save-baseline=main",
        ])
        .unwrap();
        assert!(o.timed && o.quick);
        assert_eq!(o.filters, ["saxpy"]);
        assert_eq!(o.variants, ["pkgsCuda"]);
        assert_eq!(o.save_baseline.as_deref(), Some("main"));
        let o = p(&["--test-threads", "1", "--nocapture", "--color=never"]).unwrap();
        assert!(!o.timed && o.filters.is_empty());
        assert!(p(&["--samples", "0"]).unwrap_err().contains("at least 1"));
        assert!(p(&["--max-time", "-3"]).unwrap_err().contains("positive"));
        assert!(p(&["--baseline", "../x"])
            .unwrap_err()
            .contains("names a file"));
        assert!(p(&["--frobnicate"])
            .unwrap_err()
            .contains("unknown option `--frobnicate`"));
        assert!(p(&["--variant"])
            .unwrap_err()
            .contains("needs a variant name"));
        assert_eq!(p(&["--hot"]).unwrap().mode, Mode::Hot);
        assert!(p(&["--threshold", "nan"]).is_err());
    }
}
