//! GPU tables in markdown files, generated from the results files they name and never typed:
//! a block between `<!-- archbench tables: KIND FILES… -->` and `<!-- end archbench tables -->`
//! is rewritten by `archbench tables --update FILE.md` and checked by `--check`. Kinds:
//!
//! - `runs`: one row per results file — device, commit, case outcomes, wall time, the SM clock
//!   range the samples saw, the PTX-JIT load range, the run's ceilings;
//! - `gemm`: per file, the `gemm` kernel's largest case on every variant that timed it —
//!   median, TFLOP/s and share of the run's cuBLAS ceiling, and the image that ran;
//! - `summary`: per file, the case outcomes, the wall time and the fastest GEMM at its largest
//!   case.
//!
//! FILES are paths relative to the markdown file; in the last component `*` matches any run of
//! characters and `?` one (`nvidia-h200/*-ab?-new?.jsonl`). A block's files are shown sorted by
//! name, each once.

use std::path::{Path, PathBuf};

use crate::results::read::read_run;
use crate::results::schema::{RunFile, Status};

use super::{format, ReportError};

const BEGIN: &str = "<!-- archbench tables:";
const END: &str = "<!-- end archbench tables -->";

/// What one results file says, as the `runs` table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFacts {
    /// The file as the markdown names it.
    pub file: String,
    pub device: String,
    pub driver: String,
    /// `fe67cb0` (+ `dirty`) from the run's provenance; `None` before schema v3.
    pub commit: Option<String>,
    pub cases: usize,
    pub ok: usize,
    /// Refused by the driver exactly as predicted.
    pub refused: usize,
    /// Every other outcome (failed, error, timeout, crashed, skipped).
    pub other: usize,
    pub wall_s: Option<f64>,
    /// Lowest per-case minimum and highest per-case median SM clock, MHz.
    pub clock_mhz: Option<(f64, f64)>,
    /// Fastest and slowest module load of a PTX-JIT image, ms.
    pub ptx_load_ms: Option<(f64, f64)>,
    pub copy_gbps: Option<f64>,
    pub gemm_tflops: Option<f64>,
}

fn range(xs: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    xs.filter(|x| x.is_finite()).fold(None, |acc, x| match acc {
        None => Some((x, x)),
        Some((lo, hi)) => Some((f64::min(lo, x), f64::max(hi, x))),
    })
}

impl RunFacts {
    /// The facts of `run`, named `file`.
    pub fn of(run: &RunFile, file: &str) -> Self {
        let count = |s: Status| run.cases.iter().filter(|c| c.outcome() == s).count();
        let ok = count(Status::Ok);
        let refused = run
            .cases
            .iter()
            .filter(|c| c.outcome() == Status::Refused && c.prediction_matches != Some(false))
            .count();
        let timings = || run.cases.iter().filter_map(|c| c.timing.as_ref());
        let lo = range(timings().filter_map(|t| t.clock_min_mhz)).map(|r| r.0);
        let hi = range(timings().filter_map(|t| t.clock_median_mhz)).map(|r| r.1);
        RunFacts {
            file: file.to_string(),
            device: run.device.name.clone(),
            driver: run
                .device
                .driver_release
                .clone()
                .unwrap_or_else(|| format!("CUDA {}", run.device.driver_cuda_version)),
            commit: run.provenance.as_ref().and_then(|p| {
                p.commit.as_ref().map(|c| {
                    let short: String = c.chars().take(7).collect();
                    if p.dirty == Some(true) {
                        format!("{short}+dirty")
                    } else {
                        short
                    }
                })
            }),
            cases: run.cases.len(),
            ok,
            refused,
            other: run.cases.len() - ok - refused,
            wall_s: run.end.as_ref().map(|e| e.wall_s),
            clock_mhz: lo.zip(hi),
            ptx_load_ms: range(
                run.cases
                    .iter()
                    .filter(|c| c.image.as_ref().is_some_and(|i| i.kind == "ptx-jit"))
                    .filter_map(|c| c.load_ms),
            ),
            copy_gbps: run.ceilings.copy_gbps,
            gemm_tflops: run.ceilings.gemm_bf16_tflops,
        }
    }
}

fn or_dash<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map(f).unwrap_or_else(|| "—".into())
}

/// The `runs` table.
pub fn runs_table(facts: &[RunFacts]) -> String {
    let mut s = String::from(
        "| file | device | driver | commit | cases | ok | refused as predicted | other | wall | SM clock (MHz) | PTX load (ms) | copy GB/s | cuBLAS TFLOP/s |\n|---|---|---|---|---:|---:|---:|---:|---:|---|---|---:|---:|\n",
    );
    for f in facts {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f.file,
            format::md_cell(&f.device),
            f.driver,
            or_dash(f.commit.clone(), |c| format!("`{c}`")),
            f.cases,
            f.ok,
            f.refused,
            f.other,
            or_dash(f.wall_s, |w| format!("{w:.1} s")),
            or_dash(f.clock_mhz, |(lo, hi)| format!("{lo:.0}–{hi:.0}")),
            or_dash(f.ptx_load_ms, |(lo, hi)| format!("{lo:.1}–{hi:.1}")),
            or_dash(f.copy_gbps, |g| format!("{g:.0}")),
            or_dash(f.gemm_tflops, |t| format!("{t:.0}")),
        ));
    }
    s
}

/// The `gemm` table: per file, the largest `gemm` case on each variant that timed it.
pub fn gemm_table(runs: &[(String, RunFile)]) -> String {
    let mut s = String::from(
        "| file | variant | image | case | median | TFLOP/s | % of cuBLAS |\n|---|---|---|---|---:|---:|---:|\n",
    );
    for (file, run) in runs {
        let gemm = run
            .cases
            .iter()
            .filter(|c| c.kernel == "gemm" && c.outcome() == Status::Ok);
        let Some(largest) = gemm.clone().map(|c| c.flops).max() else {
            continue;
        };
        for c in gemm.filter(|c| c.flops == largest) {
            let Some(t) = &c.timing else { continue };
            let tflops = c.flops as f64 / t.median_s / 1e12;
            s.push_str(&format!(
                "| `{file}` | {} | {} | {} | {} | {tflops:.0} | {} |\n",
                c.variant,
                format::image(c.image.as_ref()),
                c.case,
                format::time(t.median_s),
                or_dash(run.ceilings.gemm_bf16_tflops, |g| format!(
                    "{:.0} %",
                    100.0 * tflops / g
                )),
            ));
        }
    }
    s
}

/// Whether `name` matches `pattern`, where `*` is any run of characters and `?` any one.
fn matches(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.split_first(), name.split_first()) {
        (None, None) => true,
        (Some((b'*', rest)), _) => {
            matches(rest, name) || name.split_first().is_some_and(|(_, n)| matches(pattern, n))
        }
        (Some((b'?', rest)), Some((_, n))) => matches(rest, n),
        (Some((p, rest)), Some((c, n))) if p == c => matches(rest, n),
        _ => false,
    }
}

/// The `summary` table: per file, the case outcomes, wall time and its fastest GEMM at the
/// largest GEMM case.
pub fn summary_table(runs: &[(String, RunFile)]) -> String {
    let mut s = String::from(
        "| file | device | cases | ok | refused as predicted | other | wall | fastest GEMM |\n|---|---|---:|---:|---:|---:|---:|---|\n",
    );
    for (file, run) in runs {
        let f = RunFacts::of(run, file);
        let gemm = || {
            run.cases
                .iter()
                .filter(|c| c.kernel == "gemm" && c.outcome() == Status::Ok)
        };
        let largest = gemm().map(|c| c.flops).max();
        let fastest = gemm()
            .filter(|c| Some(c.flops) == largest)
            .filter_map(|c| {
                c.timing
                    .as_ref()
                    .map(|t| (c, c.flops as f64 / t.median_s / 1e12))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let gemm = or_dash(fastest, |(c, tflops)| {
            let share = or_dash(run.ceilings.gemm_bf16_tflops, |g| {
                format!(", {:.0} % of cuBLAS", 100.0 * tflops / g)
            });
            format!(
                "{tflops:.0} TFLOP/s{share} at {} ({}, {})",
                c.case,
                c.variant,
                format::image(c.image.as_ref())
            )
        });
        s.push_str(&format!(
            "| `{file}` | {} | {} | {} | {} | {} | {} | {gemm} |\n",
            format::md_cell(&f.device),
            f.cases,
            f.ok,
            f.refused,
            f.other,
            or_dash(f.wall_s, |w| format!("{w:.1} s")),
        ));
    }
    s
}

/// Files matching `pattern` (relative to `dir`; `*` in the last component), sorted.
fn expand(dir: &Path, pattern: &str) -> Result<Vec<(String, PathBuf)>, ReportError> {
    let rel = Path::new(pattern);
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if !name.contains('*') {
        return Ok(vec![(pattern.to_string(), dir.join(rel))]);
    }
    let parent = rel.parent().unwrap_or(Path::new(""));
    let folder = dir.join(parent);
    let mut out = Vec::new();
    let entries = std::fs::read_dir(&folder).map_err(|e| ReportError::io("reading", &folder, e))?;
    for e in entries {
        let e = e.map_err(|err| ReportError::io("reading", &folder, err))?;
        let n = e.file_name().to_string_lossy().into_owned();
        if matches(name.as_bytes(), n.as_bytes()) {
            let shown = parent.join(&n).to_string_lossy().into_owned();
            out.push((shown, e.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// One block's body from its marker line's arguments (`runs a.jsonl b/*.jsonl`).
fn render(args: &str, dir: &Path) -> Result<String, ReportError> {
    let mut words = args.split_whitespace();
    let kind = words.next().unwrap_or_default();
    let mut runs = Vec::new();
    for pattern in words {
        let files = expand(dir, pattern)?;
        if files.is_empty() {
            return Err(ReportError::Tables(format!(
                "`{pattern}` matches no file under {}",
                dir.display()
            )));
        }
        for (shown, path) in files {
            runs.push((shown, read_run(&path)?));
        }
    }
    runs.sort_by(|a, b| a.0.cmp(&b.0));
    runs.dedup_by(|a, b| a.0 == b.0);
    if runs.is_empty() {
        return Err(ReportError::Tables(format!(
            "`{BEGIN} {args} -->` names no results file: list them after the kind"
        )));
    }
    match kind {
        "runs" => Ok(runs_table(
            &runs
                .iter()
                .map(|(f, r)| RunFacts::of(r, f))
                .collect::<Vec<_>>(),
        )),
        "gemm" => Ok(gemm_table(&runs)),
        "summary" => Ok(summary_table(&runs)),
        other => Err(ReportError::Tables(format!(
            "unknown table kind `{other}` (expected `runs`, `gemm` or `summary`)"
        ))),
    }
}

/// `text` (a markdown file in `dir`) with every generated block rewritten; the count of
/// blocks comes back with it.
pub fn update(text: &str, dir: &Path) -> Result<(String, usize), ReportError> {
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split_inclusive('\n').enumerate();
    let mut blocks = 0;
    let mut fenced = false;
    while let Some((n, line)) = lines.next() {
        out.push_str(line);
        // A marker shown in a code block is an example, not a block.
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced {
            continue;
        }
        let Some(args) = line.trim().strip_prefix(BEGIN) else {
            continue;
        };
        let args = args.trim_end_matches("-->").trim();
        let body = render(args, dir).map_err(|e| match e {
            ReportError::Tables(m) => ReportError::Tables(format!("line {}: {m}", n + 1)),
            other => other,
        })?;
        // Skip the old body up to the end marker.
        let mut closed = false;
        for (_, old) in lines.by_ref() {
            if old.trim() == END {
                out.push_str(&body);
                out.push_str(old);
                closed = true;
                break;
            }
        }
        if !closed {
            return Err(ReportError::Tables(format!(
                "line {}: the block has no `{END}` line after it",
                n + 1
            )));
        }
        blocks += 1;
    }
    Ok((out, blocks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_found_and_their_errors_located() {
        let dir = Path::new("/nonexistent");
        let (same, n) = update("# t\nno block\n", dir).unwrap();
        assert_eq!((same.as_str(), n), ("# t\nno block\n", 0));
        let shown = "```\n<!-- archbench tables: runs x.jsonl -->\n```\n";
        assert_eq!(update(shown, dir).unwrap(), (shown.to_string(), 0));
        let e = update("a\n<!-- archbench tables: runs -->\nold\n", dir)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 2") && e.contains("names no results file"),
            "{e}"
        );
        let e = update("<!-- archbench tables: bogus x.jsonl -->\n", dir)
            .unwrap_err()
            .to_string();
        assert!(e.contains("reading") || e.contains("x.jsonl"), "{e}");
    }

    #[test]
    fn wildcards() {
        let m = |p: &str, n: &str| matches(p.as_bytes(), n.as_bytes());
        assert!(m("*-ab?-new?.jsonl", "20261126t225127z-ab1-new2.jsonl"));
        assert!(!m("*-ab?-new?.jsonl", "20261126t225127z-ab1-vendor.jsonl"));
        assert!(m("*quick.jsonl", "x-hot-quick.jsonl"));
        assert!(m("a*", "a") && !m("a?", "a") && m("*", ""));
    }

    #[test]
    fn ranges_skip_nothing_finite() {
        assert_eq!(
            range([3.0, 1.0, f64::NAN, 2.0].into_iter()),
            Some((1.0, 3.0))
        );
        assert_eq!(range(std::iter::empty()), None);
    }
}
