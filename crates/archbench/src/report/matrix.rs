//! The cross-GPU view of a report over several GPUs: which GPUs each variant serves (the
//! image that ran on each, how its cases ended, where it did not load), then one table per
//! kernel × case with a column per GPU (median, % of that GPU's own measured ceiling, the
//! image). And the runs a fleet expected that are missing or failed.

use std::fmt::Write;

use super::format::{self, md_cell, Bound};
use super::merge::{GpuRun, Merged};
use crate::results::schema::Status;

/// `## Missing and failed runs`, when there are any.
pub fn absent_section(s: &mut String, m: &Merged) {
    if m.absent.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Missing and failed runs\n");
    let _ = writeln!(
        s,
        "{} expected run(s) did not arrive or did not end well; their GPUs are missing from, or incomplete in, the tables below.\n",
        m.absent.len()
    );
    let _ = writeln!(s, "| target | expected GPU | status | detail |");
    let _ = writeln!(s, "|---|---|---|---|");
    for a in &m.absent {
        let _ = writeln!(
            s,
            "| {} | {} | **{}** | {} |",
            md_cell(&a.name),
            md_cell(&a.expected),
            md_cell(&a.status),
            md_cell(&a.detail)
        );
    }
    s.push('\n');
}

fn header(g: &GpuRun) -> String {
    md_cell(&format!("{} (sm {})", g.label, g.run.device.capability))
}

/// What one variant did on one GPU, over all its cases: `SASS sm_90 · 12 passed`,
/// `not loaded (12)`, `SASS sm_80 · 10 passed · **2 FAILED**`; `served` when every case
/// loaded and passed.
fn serves_cell(g: &GpuRun, variant: &str) -> Option<(String, bool)> {
    let cases: Vec<_> = g
        .run
        .cases
        .iter()
        .filter(|c| c.variant == variant)
        .collect();
    if cases.is_empty() {
        return None;
    }
    let mut images: Vec<String> = Vec::new();
    for c in &cases {
        if c.image.is_some() {
            let i = format::image(c.image.as_ref());
            if !images.contains(&i) {
                images.push(i);
            }
        }
    }
    let n = |s: Status| cases.iter().filter(|c| c.outcome() == s).count();
    let (ok, failed, refused) = (n(Status::Ok), n(Status::Failed), n(Status::Refused));
    let broken = n(Status::Error) + n(Status::Timeout) + n(Status::Crashed);
    let skipped = n(Status::Skipped);
    let mut parts = Vec::new();
    if images.is_empty() {
        parts.push(format!("not loaded ({})", cases.len() - skipped));
    } else {
        parts.push(images.join(", "));
        if ok > 0 {
            parts.push(format!("{ok} passed"));
        }
        if refused > 0 {
            parts.push(format!("{refused} not loaded"));
        }
    }
    if failed > 0 {
        parts.push(format!("**{failed} FAILED**"));
    }
    if broken > 0 {
        parts.push(format!("**{broken} error**"));
    }
    if skipped > 0 {
        parts.push(format!("{skipped} skipped"));
    }
    let served = !images.is_empty() && failed == 0 && broken == 0 && refused == 0;
    Some((parts.join(" · "), served))
}

/// A timing cell: `50.8 µs · 88.1 % · SASS sm_90`, `**FAILED** · SASS sm_80`, `not loaded`.
fn case_cell(g: &GpuRun, kernel: &str, case: &str, variant: &str) -> String {
    let Some(c) = g.find(kernel, case, variant) else {
        return "—".to_string();
    };
    let image = format::image(c.image.as_ref());
    if let Some(t) = &c.timing {
        let pct = Bound::of(c)
            .values(c)
            .and_then(|(_, p)| p)
            .map_or(String::new(), |p| format!(" · {p:.1} %"));
        return format!("{}{pct} · {image}", format::time(t.median_s));
    }
    match c.outcome() {
        Status::Failed => format!("**FAILED** · {image}"),
        Status::Refused => "not loaded".to_string(),
        Status::Skipped => "skipped".to_string(),
        Status::Ok => image,
        other => format!("**{}** · {image}", other.as_str()),
    }
}

/// `## Across GPUs`, when the report has two runs or more.
pub fn across_gpus_section(s: &mut String, m: &Merged) {
    if m.gpus.len() < 2 {
        return;
    }
    let _ = writeln!(s, "## Across GPUs\n");
    let _ = writeln!(
        s,
        "Which GPUs each variant serves: the image the driver ran on each GPU and how its cases ended (`not loaded`: the driver refused every image of the variant there). Served: GPUs where every case loaded and passed.\n"
    );
    let cols: Vec<String> = m.gpus.iter().map(header).collect();
    let _ = writeln!(s, "| variant | {} | served |", cols.join(" | "));
    let _ = writeln!(s, "|---|{}--:|", "---|".repeat(cols.len()));
    for v in &m.variants {
        let cells: Vec<Option<(String, bool)>> = m.gpus.iter().map(|g| serves_cell(g, v)).collect();
        let ran = cells.iter().flatten().count();
        let served = cells.iter().flatten().filter(|(_, ok)| *ok).count();
        let _ = writeln!(
            s,
            "| `{}` | {} | {served} of {ran} |",
            md_cell(v),
            cells
                .iter()
                .map(|c| c.as_ref().map_or("—".to_string(), |(t, _)| t.clone()))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    s.push('\n');
    for (kernel, case) in &m.kernel_cases {
        let _ = writeln!(s, "### {} · {}\n", md_cell(kernel), md_cell(case));
        let _ = writeln!(s, "| variant | {} |", cols.join(" | "));
        let _ = writeln!(s, "|---|{}", "--:|".repeat(cols.len()));
        for v in m.variants_of(kernel, case) {
            let cells: Vec<String> = m
                .gpus
                .iter()
                .map(|g| md_cell(&case_cell(g, kernel, case, v)))
                .collect();
            let _ = writeln!(s, "| `{}` | {} |", md_cell(v), cells.join(" | "));
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "Cells: median time · % of that GPU's own measured ceiling (copy bandwidth or bf16 GEMM) · the image that ran.\n"
    );
}
