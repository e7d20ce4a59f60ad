//! "archbench timing vs Nsight Compute": ncu's `gpu__time_duration.sum` of archbench's own
//! launches (profiled in the device check), grouped by (kernel entry, grid) and mapped to
//! archbench's cases through `archbench kernels --json`, next to archbench's median.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

use super::cases::Index;
use super::json::{self, get, positive, SideFileError};
use super::{table, time};
use crate::report::stats;

/// archbench and ncu agree when within this many percent.
pub const WITHIN_PCT: f64 = 3.0;

/// A kernel launch: its entry name and grid.
type Launch = (String, [u64; 3]);

/// A launch of the kernels list: the grid unknown where the image shapes it.
type Listed = (String, Option<[u64; 3]>);

/// One profiled launch.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The bare entry name (`layer_norm_f32`), without `void`, template arguments or
    /// parameters.
    pub kernel: String,
    pub grid: [u64; 3],
    pub seconds: f64,
}

/// What an ncu CSV held.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub rows: Vec<Row>,
    /// The duration unit as the CSV's units row gave it.
    pub unit: String,
    pub warnings: Vec<String>,
}

/// Read `ncu --csv --page raw --metrics gpu__time_duration.sum` output (its `==PROF==` log
/// lines allowed).
pub fn read(path: &Path) -> Result<Profile, SideFileError> {
    parse(&json::read_text(path)?, path)
}

/// Parse ncu's CSV text; `path` names the file in messages.
pub fn parse(text: &str, path: &Path) -> Result<Profile, SideFileError> {
    let shape = |problem: String| SideFileError::Shape {
        what: "ncu CSV",
        path: path.to_path_buf(),
        problem,
    };
    let mut rows = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("=="))
        .map(csv_fields);
    let header: Vec<String> = rows
        .next()
        .ok_or_else(|| shape("has no header row".into()))?
        .into_iter()
        .map(|h| h.trim().to_string())
        .collect();
    let col = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| header.iter().position(|h| h == n))
    };
    let (name, grid, dur) = (
        col(&["Kernel Name", "Function Name", "Name"]),
        col(&["Grid Size"]),
        col(&["gpu__time_duration.sum", "gpu__time_duration"]),
    );
    let (Some(i_name), Some(i_grid), Some(i_dur)) = (name, grid, dur) else {
        let missing: Vec<&str> = [
            ("Kernel Name", name),
            ("Grid Size", grid),
            ("gpu__time_duration.sum", dur),
        ]
        .iter()
        .filter(|(_, i)| i.is_none())
        .map(|(n, _)| *n)
        .collect();
        return Err(shape(format!(
            "lacks column(s) {} (expected `ncu --csv --page raw --metrics gpu__time_duration.sum`)",
            missing.join(", ")
        )));
    };
    let mut body: Vec<Vec<String>> = rows.collect();
    // The units row: a duration cell that is not a number.
    let mut unit = None;
    if let Some(first) = body.first() {
        if let Some(cell) = first.get(i_dur) {
            if !number(cell).is_finite() {
                unit = Some(cell.trim().to_string());
                body.remove(0);
            }
        }
    }
    let mut warnings = Vec::new();
    let scale = match unit.as_deref() {
        None => {
            warnings.push(format!(
                "{}: no units row; assuming gpu__time_duration.sum is in nanoseconds",
                path.display()
            ));
            1e-9
        }
        Some(u) => unit_seconds(u)
            .ok_or_else(|| shape(format!("gives durations in an unknown unit {u:?}")))?,
    };
    let mut out = Vec::new();
    for r in &body {
        let (Some(n), Some(g), Some(d)) = (r.get(i_name), r.get(i_grid), r.get(i_dur)) else {
            continue;
        };
        let v = number(d);
        match json::pad3(&json::dims_in_text(g)) {
            Some(grid) if v.is_finite() => out.push(Row {
                kernel: bare_name(n),
                grid,
                seconds: v * scale,
            }),
            _ => warnings.push(format!(
                "{}: skipped a row without a duration or grid: {n:?}",
                path.display()
            )),
        }
    }
    Ok(Profile {
        rows: out,
        unit: unit.unwrap_or_else(|| "nsecond (assumed)".into()),
        warnings,
    })
}

fn unit_seconds(unit: &str) -> Option<f64> {
    Some(match unit {
        "nsecond" | "ns" => 1e-9,
        "usecond" | "us" | "µs" => 1e-6,
        "msecond" | "ms" => 1e-3,
        "second" | "s" => 1.0,
        _ => return None,
    })
}

/// A number from an ncu cell (`1,234.5` allowed); NaN when not one.
fn number(cell: &str) -> f64 {
    let t = cell.trim().replace(',', "");
    if t.is_empty() {
        return f64::NAN;
    }
    t.parse().unwrap_or(f64::NAN)
}

/// ncu's "Kernel Name" as a bare entry name: no `void `, template arguments or parameters.
fn bare_name(name: &str) -> String {
    let n = name.trim();
    let n = n.strip_prefix("void ").unwrap_or(n);
    let end = n.find(['(', '<']).unwrap_or(n.len());
    n[..end].trim().to_string()
}

/// One CSV line's fields (RFC 4180 quoting: `"a, b"`, `""` for a quote inside).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// The kernels list's launches: for each case, (kernel name, case label, its launches), and
/// for each launch the cases that make it.
struct CaseLaunches {
    cases: Vec<(String, String, Vec<Listed>)>,
    owners: BTreeMap<Launch, Vec<(String, String)>>,
}

fn case_launches(kernels: &[Value], groups: &BTreeMap<Launch, Vec<f64>>) -> CaseLaunches {
    let mut out = CaseLaunches {
        cases: Vec::new(),
        owners: BTreeMap::new(),
    };
    for k in kernels {
        let kname = json::text_at(k, "name", "None");
        for c in get(k, "cases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let label = json::text_at(c, "label", "None");
            let mut launches = Vec::new();
            for l in get(c, "launches")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let entry = json::text_at(l, "entry", "None");
                let grid = json::dims(get(l, "grid")).or_else(|| {
                    // Shaped by the loaded image (grid unknown until run): the profiled
                    // launch of that entry, when ncu saw exactly one grid for it.
                    let contract = json::truthy(l, "contract");
                    let grids: BTreeSet<[u64; 3]> = groups
                        .keys()
                        .filter(|(e, _)| *e == entry)
                        .map(|(_, g)| *g)
                        .collect();
                    (contract && grids.len() == 1)
                        .then(|| grids.into_iter().next())
                        .flatten()
                });
                if let Some(g) = grid {
                    out.owners
                        .entry((entry.clone(), g))
                        .or_default()
                        .push((kname.clone(), label.clone()));
                }
                launches.push((entry, grid));
            }
            out.cases.push((kname.clone(), label, launches));
        }
    }
    out
}

fn grid_text(g: &[u64; 3]) -> String {
    format!("({}, {}, {})", g[0], g[1], g[2])
}

fn launch_text((entry, grid): &Listed) -> String {
    match grid {
        Some(g) => format!("{entry} {}", grid_text(g)),
        None => format!("{entry} (?)"),
    }
}

/// The launches of a listed case that ncu profiled.
fn profiled(listed: &[Listed], groups: &BTreeMap<Launch, Vec<f64>>) -> Vec<Launch> {
    listed
        .iter()
        .filter_map(|(e, g)| g.map(|g| (e.clone(), g)))
        .filter(|k| groups.contains_key(k))
        .collect()
}

fn median(xs: &[f64]) -> f64 {
    stats::median(xs).unwrap_or(f64::NAN)
}

/// Write the section; `ncu` is `--ncu`, `kernels` `--kernels`, `variant` the variant ncu
/// profiled.
pub fn section(
    s: &mut String,
    idx: &Index<'_>,
    ncu: Option<&Path>,
    kernels: Option<&Path>,
    variant: &str,
) {
    let _ = writeln!(s, "\n### archbench timing vs Nsight Compute\n");
    let Some(ncu) = ncu else {
        let _ = writeln!(s, "Missing: no ncu CSV was given (`--ncu`).");
        return;
    };
    let Some(kernels) = kernels else {
        let _ = writeln!(
            s,
            "Missing: the ncu rows cannot be mapped to archbench cases without \
             `--kernels KERNELS.json` (`archbench kernels --json`)."
        );
        return;
    };
    let read = read(ncu).and_then(|p| Ok((p, json::read_json(kernels, "kernels list")?)));
    let (profile, list) = match read {
        Ok((p, Value::Array(list))) => (p, list),
        Ok(_) => {
            let _ = writeln!(
                s,
                "Missing: {} is not `archbench kernels --json` output.",
                kernels.display()
            );
            return;
        }
        Err(e) => {
            let _ = writeln!(s, "Missing: {e}.");
            return;
        }
    };
    let mut groups: BTreeMap<Launch, Vec<f64>> = BTreeMap::new();
    for r in &profile.rows {
        groups
            .entry((r.kernel.clone(), r.grid))
            .or_default()
            .push(r.seconds);
    }
    let launches = case_launches(&list, &groups);
    let mut used = BTreeSet::new();
    let mut rows = Vec::new();
    for (kname, label, ls) in &launches.cases {
        let found = profiled(ls, &groups);
        if found.is_empty() {
            continue;
        }
        used.extend(found.iter().cloned());
        rows.push(case_row(
            idx,
            &groups,
            &launches.owners,
            (kname, label, ls),
            &found,
            variant,
        ));
    }
    let _ = writeln!(
        s,
        "ncu durations in {} in `{}`: {} launch(es) of {} (kernel, grid) group(s); archbench \
         variant {variant} unless said otherwise.\n",
        profile.unit,
        ncu.file_name().map_or_else(
            || ncu.display().to_string(),
            |n| n.to_string_lossy().into_owned()
        ),
        profile.rows.len(),
        groups.len()
    );
    if rows.is_empty() {
        let _ = writeln!(s, "No ncu launch matches a launch of the kernels list.");
    } else {
        table(
            s,
            &[
                "entry",
                "case",
                "variant",
                "archbench median",
                "ncu median (n launches)",
                "difference",
                "GPU-side / net vs ncu",
                "verdict",
            ],
            &rows,
        );
    }
    let unmatched: Vec<String> = groups
        .iter()
        .filter(|(k, _)| !used.contains(*k))
        .map(|((e, g), v)| format!("{e} {} (n={})", grid_text(g), v.len()))
        .collect();
    if !unmatched.is_empty() {
        let _ = writeln!(
            s,
            "\nncu launches that match no archbench case: {}.",
            unmatched.join(", ")
        );
    }
    for w in profile.warnings.iter().take(5) {
        let _ = writeln!(s, "\nwarning: {w}");
    }
    let _ = writeln!(
        s,
        "\ndifference = (archbench − ncu) / ncu. archbench's CUDA-event time includes the \
         launch's front-end overhead (~1–2 µs), which ncu's gpu__time_duration excludes, so \
         short kernels read a little slower in archbench. ncu also locks the clocks to base \
         unless run with `--clock-control none`, and flushes caches before each profiled \
         launch by default (`--cache-control all`), like archbench's cold mode. For a case of \
         several launches ncu's medians are summed. GPU-side / net: archbench's other two \
         readings of the same samples against ncu (the region between the clock stamps by the \
         GPU's timer, and the event time less an empty region's), where the run recorded them; \
         the verdict names those within 3 % when the headline is not."
    );
}

fn case_row(
    idx: &Index<'_>,
    groups: &BTreeMap<Launch, Vec<f64>>,
    owners: &BTreeMap<Launch, Vec<(String, String)>>,
    (kname, label, launches): (&String, &String, &Vec<Listed>),
    found: &[Launch],
    variant: &str,
) -> Vec<String> {
    let entry_text = launches
        .iter()
        .map(launch_text)
        .collect::<Vec<_>>()
        .join(" + ");
    let timed: Vec<_> = idx
        .of(kname, label)
        .iter()
        .filter_map(|c| c.timed_median().map(|m| (*c, m)))
        .collect();
    let (chosen, vnote) = match timed.iter().find(|(c, _)| c.variant == variant) {
        Some(&(c, m)) => (Some((c, m)), variant.to_string()),
        None => match timed.first() {
            Some(&(c, m)) => (
                Some((c, m)),
                format!("{} ({variant} has no timing for this case)", c.variant),
            ),
            None => (None, "— (no archbench timing for this case)".to_string()),
        },
    };
    let case = chosen.map(|(c, _)| c);
    let chosen = chosen.map(|(_, m)| m);
    let (a_med, n_med, ncu_text) = if found.len() < launches.len() {
        let parts: Vec<String> = found
            .iter()
            .map(|k| format!("{} {}", k.0, time(median(&groups[k]))))
            .collect();
        (
            f64::NAN,
            f64::NAN,
            format!(
                "only {} of the case's {} launches profiled: {}",
                found.len(),
                launches.len(),
                parts.join(", ")
            ),
        )
    } else {
        let n_med: f64 = found.iter().map(|k| median(&groups[k])).sum();
        let counts: Vec<String> = found.iter().map(|k| groups[k].len().to_string()).collect();
        (
            chosen.unwrap_or(f64::NAN),
            n_med,
            format!("{} (n={})", time(n_med), counts.join("+")),
        )
    };
    let diff = if positive(a_med) && positive(n_med) {
        (a_med - n_med) / n_med * 100.0
    } else {
        f64::NAN
    };
    let (gpu_side, net) = other_readings(case, n_med);
    let mut verdict = if !diff.is_finite() {
        "—".to_string()
    } else if diff.abs() <= WITHIN_PCT {
        format!("within {WITHIN_PCT} %")
    } else {
        format!("differs by {diff:+.1} %")
    };
    let agree: Vec<&str> = [("GPU-side", gpu_side), ("net", net)]
        .into_iter()
        .filter(|(_, d)| d.is_some_and(|d| d.abs() <= WITHIN_PCT))
        .map(|(name, _)| name)
        .collect();
    if diff.abs() > WITHIN_PCT && !agree.is_empty() {
        verdict.push_str(&format!("; {} within {WITHIN_PCT} %", agree.join(" and ")));
    }
    let mut others: BTreeSet<&(String, String)> = found
        .iter()
        .flat_map(|k| owners.get(k).into_iter().flatten())
        .collect();
    others.remove(&(kname.clone(), label.clone()));
    if !others.is_empty() {
        let list: Vec<String> = others.iter().map(|(k, l)| format!("{k} {l}")).collect();
        verdict.push_str(&format!(
            "; the same launch also belongs to {}",
            list.join(", ")
        ));
    }
    vec![
        entry_text,
        format!("{kname} {label}"),
        vnote,
        time(a_med),
        ncu_text,
        if diff.is_finite() {
            format!("{diff:+.1} %")
        } else {
            "—".into()
        },
        format!("{} / {}", pct_or_dash(gpu_side), pct_or_dash(net)),
        verdict,
    ]
}

/// The case's other readings against ncu's `n_med`, in percent: the GPU-side region time
/// (`region_median_s`) and the event time less an empty region's (`net_median_s`), where
/// the results recorded them (version 3 runs).
fn other_readings(
    case: Option<&crate::results::schema::CaseResult>,
    n_med: f64,
) -> (Option<f64>, Option<f64>) {
    let t = case.and_then(|c| c.timing.as_ref());
    let vs = |x: Option<f64>| {
        x.filter(|x| positive(*x) && positive(n_med))
            .map(|x| (x - n_med) / n_med * 100.0)
    };
    (
        vs(t.and_then(|t| t.region_median_s)),
        vs(t.and_then(|t| t.net_median_s)),
    )
}

fn pct_or_dash(d: Option<f64>) -> String {
    d.map_or("—".into(), |d| format!("{d:+.1} %"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_keep_quoted_commas() {
        assert_eq!(
            csv_fields(r#""a","(512, 1, 1)","x""y",3"#),
            vec!["a", "(512, 1, 1)", "x\"y", "3"]
        );
    }

    #[test]
    fn the_other_readings_are_set_against_ncu() {
        use crate::results::schema::{CaseResult, Timing};
        let c = CaseResult {
            timing: Some(Timing {
                median_s: 12e-6,
                region_median_s: Some(10.2e-6),
                net_median_s: Some(9.5e-6),
                ..Timing::default()
            }),
            ..CaseResult::default()
        };
        let (gpu, net) = other_readings(Some(&c), 10e-6);
        assert!((gpu.unwrap() - 2.0).abs() < 1e-9 && (net.unwrap() + 5.0).abs() < 1e-9);
        assert_eq!(other_readings(None, 10e-6), (None, None));
        assert_eq!(other_readings(Some(&c), f64::NAN), (None, None));
        assert_eq!(pct_or_dash(gpu), "+2.0 %");
    }

    #[test]
    fn bare_names() {
        assert_eq!(bare_name("void gemm_bf16<128>(Params)"), "gemm_bf16");
        assert_eq!(bare_name("layer_norm_f32"), "layer_norm_f32");
    }

    #[test]
    fn units_row_and_missing_columns() {
        let p = Path::new("ncu.csv");
        let text = "==PROF== x\n\"Kernel Name\",\"Grid Size\",\"gpu__time_duration.sum\"\n\"\",\"\",\"usecond\"\n\"k\",\"(2, 1, 1)\",\"1,500.0\"\n";
        let prof = parse(text, p).unwrap();
        assert_eq!(prof.unit, "usecond");
        assert_eq!(prof.rows.len(), 1);
        assert!((prof.rows[0].seconds - 1.5e-3).abs() < 1e-12);
        assert_eq!(prof.rows[0].grid, [2, 1, 1]);
        let e = parse("\"Kernel Name\",\"x\"\n", p).unwrap_err().to_string();
        assert!(
            e.contains("lacks column(s) Grid Size, gpu__time_duration.sum"),
            "{e}"
        );
        assert!(parse(
            "\"Kernel Name\",\"Grid Size\",\"gpu__time_duration\"\n\"\",\"\",\"fortnight\"\n",
            p
        )
        .unwrap_err()
        .to_string()
        .contains("unknown unit"));
    }
}
