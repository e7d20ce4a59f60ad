//! What `cargo bench -- …` (or `cargo test --benches`, or the bench binary by hand) asks
//! for: parsing cargo's, libtest's and archbench's own arguments into [`Options`], with a
//! [`BenchError::Usage`] that says what was wrong and how to fix it.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::results::schema::Mode;

/// Errors of the bench layer.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A bad command line (exit status 2).
    #[error("{0}")]
    Usage(String),
}

/// Seconds above which `--timeout`, `--max-time` and `--watchdog` are refused (11.6 days).
pub const MAX_SECONDS: f64 = 1e6;

/// What the command line asked for.
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
    /// `--edges`: the edge set (small shapes at the kernels' path boundaries), checked once.
    pub edges: bool,
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
    /// Stop on precision even while a series drifts.
    pub no_drift_check: bool,
    /// Time each case's declared library call (cuBLAS) beside it, sample by sample.
    pub paired: bool,
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
            edges: false,
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
            no_drift_check: false,
            paired: false,
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
--edges                 the edge axis values, each case checked once (never timed)
--variant NAME          run only this build variant (repeatable)
--cold | --hot          L2 flushed before every sample (default) | back-to-back launches
--max-time SECONDS      whole-run budget
--samples N             exactly N samples per case
--max-noise PERCENT     stop once the median's 99 % interval is within ± PERCENT
--timeout SECONDS       per-case sampling budget
--out FILE              results file (default: target/archbench/<suite>/<gpu>/<date>-<mode>.jsonl)
--save-baseline NAME    save this timed run as baseline NAME (per GPU)
--baseline NAME         compare with baseline NAME; exit 1 on a regression or a failed check
--threshold PERCENT     slowdown that fails --baseline (default 5)
--device N              CUDA device ordinal
--seed N                seed for inputs and task order
--watchdog SECONDS      time a case may take beyond its sampling budget before it is
                        recorded as `timeout` and the run goes on (default 60)
--no-drift-check        stop on precision even while a case's first and last quarters
                        differ (clocks settling under load); by default it samples on
--paired                time the library call a case declares (cuBLAS beside a GEMM, a
                        device copy) sample by sample, interleaved with the case; results
                        and report give `% of` it from the two series

Exit status: 0 every case correct (or refused by the driver as predicted; or no GPU: the plan
is printed); 1 a failed check, an error, a hang or crash, or a regression against --baseline;
2 a usage error.";

fn usage(msg: impl Into<String>) -> BenchError {
    BenchError::Usage(msg.into())
}

fn number<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, BenchError> {
    v.parse()
        .map_err(|_| usage(format!("{flag}: `{v}` is not a valid number")))
}

fn seconds(flag: &str, v: String) -> Result<f64, BenchError> {
    let x: f64 = number(flag, v)?;
    if x.is_finite() && x > 0.0 && x <= MAX_SECONDS {
        Ok(x)
    } else {
        Err(usage(format!(
            "{flag} must be a number of seconds above 0 and at most {MAX_SECONDS:e}, not {x}"
        )))
    }
}

fn baseline_name(flag: &str, v: String) -> Result<String, BenchError> {
    if v.is_empty()
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || v.starts_with(['.', '-'])
    {
        return Err(usage(format!(
            "{flag} `{v}`: use letters, digits, `-`, `_` and `.`, not first (it names a file)"
        )));
    }
    Ok(v)
}

/// Parses the arguments after the program name. libtest's and criterion's flags that mean
/// nothing here (`--nocapture`, `--test-threads`, `--color`, …) are accepted and ignored.
/// A flag's value never starts with `--`: cargo puts its own `--bench` after the user's
/// arguments, so `--save-baseline` without a name must not take it.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Options, BenchError> {
    let mut args_text = Vec::new();
    for a in args {
        match a.into_string() {
            Ok(s) => args_text.push(s),
            Err(bad) => {
                return Err(usage(format!(
                    "argument {bad:?} is not valid UTF-8; give filters and names in UTF-8"
                )))
            }
        }
    }
    let mut o = Options::default();
    let mut it = args_text.into_iter().peekable();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, BenchError> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            match it.peek() {
                Some(v) if !v.starts_with("--") => Ok(it.next().unwrap_or_default()),
                _ => Err(usage(format!("{flag} needs {what}"))),
            }
        };
        match flag.as_str() {
            "--bench" => o.timed = true,
            "--test" => o.timed = false,
            "-h" | "--help" => o.help = true,
            "--list" => o.list = true,
            "--exact" => o.exact = true,
            "--quick" => o.quick = true,
            "--edges" => o.edges = true,
            "--no-drift-check" => o.no_drift_check = true,
            "--paired" => o.paired = true,
            "--cold" => o.mode = Mode::Cold,
            "--hot" => o.mode = Mode::Hot,
            "--variant" => o.variants.push(value("a variant name")?),
            "--max-time" => o.max_time = Some(seconds("--max-time", value("SECONDS")?)?),
            "--timeout" => o.timeout = Some(seconds("--timeout", value("SECONDS")?)?),
            "--watchdog" => o.watchdog = seconds("--watchdog", value("SECONDS")?)?,
            "--max-noise" => {
                let p: f64 = number("--max-noise", value("a PERCENT")?)?;
                if !(p.is_finite() && p > 0.0 && p < 100.0) {
                    return Err(usage(format!(
                        "--max-noise must be a percentage above 0 and below 100, not {p}"
                    )));
                }
                o.max_noise = Some(p);
            }
            "--samples" => {
                let n: u32 = number("--samples", value("a count N")?)?;
                if n == 0 {
                    return Err(usage("--samples must be at least 1"));
                }
                o.samples = Some(n);
            }
            "--out" => o.out = Some(PathBuf::from(value("a FILE")?)),
            "--save-baseline" => {
                o.save_baseline = Some(baseline_name(&flag, value("a NAME")?)?);
            }
            "--baseline" => o.baseline = Some(baseline_name(&flag, value("a NAME")?)?),
            "--threshold" => {
                let t: f64 = number("--threshold", value("a PERCENT")?)?;
                if !t.is_finite() || t < 0.0 {
                    return Err(usage(format!(
                        "--threshold must be a finite percentage ≥ 0, not {t}"
                    )));
                }
                o.threshold = t;
            }
            "--device" => o.device = number("--device", value("a device ordinal N")?)?,
            "--seed" => o.seed = Some(number("--seed", value("a number")?)?),
            // libtest / criterion flags cargo or users pass along: nothing to do here.
            "--nocapture" | "--show-output" | "-q" | "--quiet" | "--ignored"
            | "--include-ignored" | "--noplot" | "--verbose" | "-v" => {}
            "--test-threads" | "--color" | "--format" | "--logfile" | "--skip" | "-Z" => {
                let _ = value("a value")?;
            }
            f if f.starts_with('-') => {
                return Err(usage(format!(
                    "unknown option `{f}`; `cargo bench -- --help` lists them"
                )))
            }
            _ => o.filters.push(a),
        }
    }
    if o.save_baseline.is_some() && !o.timed {
        return Err(usage(
            "--save-baseline saves a timed run: use it with `cargo bench` (which passes --bench), \
             not `cargo test --benches`, whose cases are only checked",
        ));
    }
    if o.edges && o.timed {
        // The edge set is for correctness: its shapes are too small to time meaningfully.
        o.timed = false;
        if o.save_baseline.is_some() || o.baseline.is_some() {
            return Err(usage(
                "--edges checks cases and times none; it cannot save or compare a baseline",
            ));
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Options, String> {
        parse(args.iter().map(OsString::from)).map_err(|e| e.to_string())
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
        assert_eq!(p(&["--hot"]).unwrap().mode, Mode::Hot);
        assert!(p(&["--paired", "--bench"]).unwrap().paired);
    }

    #[test]
    fn bad_arguments_say_what_and_how() {
        assert!(p(&["--samples", "0"]).unwrap_err().contains("at least 1"));
        assert!(p(&["--max-time", "-3"]).unwrap_err().contains("above 0"));
        assert!(p(&["--watchdog", "1e20"]).unwrap_err().contains("at most"));
        assert!(p(&["--baseline", "../x"])
            .unwrap_err()
            .contains("names a file"));
        assert!(p(&["--frobnicate"])
            .unwrap_err()
            .contains("unknown option `--frobnicate`"));
        assert!(p(&["--variant"])
            .unwrap_err()
            .contains("needs a variant name"));
        assert!(p(&["--threshold", "nan"]).is_err());
        // cargo bench appends --bench: a flag without its value must not take it.
        assert_eq!(
            p(&["--save-baseline", "--bench"]).unwrap_err(),
            "--save-baseline needs a NAME"
        );
        assert_eq!(p(&["--out", "--bench"]).unwrap_err(), "--out needs a FILE");
        // A check-only run cannot become a baseline.
        assert!(p(&["--save-baseline", "main"])
            .unwrap_err()
            .contains("saves a timed run"));
        assert!(p(&["--edges", "--bench"]).is_ok_and(|o| !o.timed && o.edges));
        use std::os::unix::ffi::OsStringExt;
        let bad = parse([OsString::from_vec(vec![0xff, 0xfe])]).unwrap_err();
        assert!(bad.to_string().contains("not valid UTF-8"), "{bad}");
    }
}
