//! The closing table of `cargo bench`: one row per bench and case, one column per variant;
//! each cell the median time (`*` on the fastest variant of the row, `jit` where the driver
//! compiled PTX instead of running SASS), or what became of the case.

use crate::results::schema::{CaseResult, RunFile, Status};
use crate::run::summary::duration;

/// The table, plain text.
pub fn table(run: &RunFile) -> String {
    let mut variants: Vec<&str> = Vec::new();
    let mut rows: Vec<(&str, &str)> = Vec::new();
    for c in &run.cases {
        if !variants.contains(&c.variant.as_str()) {
            variants.push(&c.variant);
        }
        if !rows.contains(&(c.kernel.as_str(), c.case.as_str())) {
            rows.push((&c.kernel, &c.case));
        }
    }
    variants.sort();
    let mut cells: Vec<Vec<String>> = Vec::new();
    for (kernel, case) in &rows {
        let of = |v: &str| {
            run.cases
                .iter()
                .find(|c| c.kernel == *kernel && c.case == *case && c.variant == v)
        };
        let fastest = variants
            .iter()
            .filter_map(|v| of(v).and_then(|c| c.timing.as_ref()).map(|t| t.median_s))
            .filter(|m| m.is_finite())
            .fold(f64::INFINITY, f64::min);
        let mut row = vec![kernel.to_string(), case.to_string()];
        for v in &variants {
            row.push(match of(v) {
                Some(c) => cell(c, fastest),
                None => String::new(),
            });
        }
        cells.push(row);
    }
    let mut header = vec!["bench".to_string(), "case".to_string()];
    header.extend(variants.iter().map(|v| v.to_string()));
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &cells {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |r: &[String]| {
        r.iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i < 2 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(&header)];
    out.extend(cells.iter().map(|r| line(r)));
    out.push("* fastest variant of the row; jit: the driver JIT-compiled PTX (no SASS for this GPU); unchecked: the case declared no check".into());
    out.join("\n") + "\n"
}

fn cell(c: &CaseResult, fastest: f64) -> String {
    match c.outcome() {
        Status::Ok => {
            let jit = c.image.as_ref().is_some_and(|i| i.kind == "ptx-jit");
            match &c.timing {
                Some(t) => format!(
                    "{}{}{}{}",
                    duration(t.median_s),
                    if c.unchecked.is_some() {
                        " unchecked"
                    } else {
                        ""
                    },
                    if jit { " jit" } else { "" },
                    if t.median_s == fastest { " *" } else { "  " }
                ),
                None => {
                    let base = if c.unchecked.is_some() {
                        "unchecked"
                    } else {
                        "correct"
                    };
                    format!("{base}{}", if jit { " jit" } else { "" })
                }
            }
        }
        Status::Failed => "FAILED".into(),
        Status::Refused => "refused (as predicted)".into(),
        s => s.as_str().to_uppercase(),
    }
}
