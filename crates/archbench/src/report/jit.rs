//! "What PTX JIT costs": on each GPU, for every variant whose module the driver JIT-compiled
//! from PTX, per kernel class (kernel × element type), the module's load time and the speed
//! of its cases against the GPU's native build. A PTX variant of a newer virtual
//! architecture (`compute_80`, `compute_90`) next to `compute_75` separates what the JIT
//! costs once (load time) from what the older instruction set costs every launch (no bf16
//! arithmetic, no `mma.sync` before compute_80).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::format::{self, md_cell};
use super::merge::{GpuRun, Merged};
use super::stats;
use crate::results::schema::CaseResult;

/// Element types a case label may start with (`bf16 4096x4096`).
const DTYPES: &[&str] = &[
    "f64", "f32", "f16", "bf16", "u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64",
];

/// A kernel class: the kernel, and the element type its case label starts with, if any.
pub fn class_of(c: &CaseResult) -> String {
    match c.case.split_whitespace().next() {
        Some(t) if DTYPES.contains(&t) => format!("{} {t}", c.kernel),
        _ => c.kernel.clone(),
    }
}

fn is_jit(c: &CaseResult) -> bool {
    c.image.as_ref().is_some_and(|i| i.kind == "ptx-jit")
}

/// One row: a GPU's PTX variant on one kernel class.
#[derive(Debug, Clone, PartialEq)]
pub struct JitRow {
    pub gpu: String,
    pub variant: String,
    /// The image that ran (`compute_75`).
    pub image: String,
    pub class: String,
    /// Native median / PTX median per case (above 1: the PTX build is faster).
    pub speed: Vec<f64>,
    /// Module load times of the class's cases (ms).
    pub load_ms: Vec<f64>,
    /// Whether the run had the JIT cache on (loads may be cache hits).
    pub cache_on: bool,
}

/// Every GPU × PTX variant × kernel class, in the runs' order.
pub fn rows(m: &Merged) -> Vec<JitRow> {
    let mut out = Vec::new();
    for g in &m.gpus {
        out.extend(rows_of(g));
    }
    out
}

fn rows_of(g: &GpuRun) -> Vec<JitRow> {
    let native = g.native_variant();
    let cache_on = g.run.settings.environment.jit_cache_on();
    let mut by: BTreeMap<(String, String), JitRow> = BTreeMap::new();
    for c in g.run.cases.iter().filter(|c| is_jit(c)) {
        let class = class_of(c);
        let row = by
            .entry((c.variant.clone(), class.clone()))
            .or_insert_with(|| JitRow {
                gpu: g.label.clone(),
                variant: c.variant.clone(),
                image: format::image(c.image.as_ref()),
                class,
                speed: Vec::new(),
                load_ms: Vec::new(),
                cache_on,
            });
        if let Some(ms) = c.load_ms.filter(|x| x.is_finite()) {
            row.load_ms.push(ms);
        }
        let n = g
            .find(&c.kernel, &c.case, &native)
            .and_then(CaseResult::timed_median);
        if let (Some(n), Some(p)) = (n, c.timed_median()) {
            row.speed.push(n / p);
        }
    }
    by.into_values().collect()
}

/// Write the section when some run has a JIT-compiled case.
pub fn section(s: &mut String, m: &Merged) {
    let rows = rows(m);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(s, "## What PTX JIT costs\n");
    let _ = writeln!(
        s,
        "Variants whose modules the driver JIT-compiled from PTX, per kernel class: speed against the GPU's native build (median of the class's cases, range in brackets; below 1× = slower) and the module load time (median; JIT included, since workers load eagerly). A newer virtual architecture's PTX next to `compute_75`'s tells the JIT's one-time cost from the older instruction set's lasting one.\n"
    );
    let _ = writeln!(
        s,
        "| GPU | variant | image | kernel class | cases | speed vs native | load |"
    );
    let _ = writeln!(s, "|---|---|---|---|--:|--:|--:|");
    for r in &rows {
        let speed = match (
            stats::median(&r.speed),
            r.speed.iter().copied().reduce(f64::min),
            r.speed.iter().copied().reduce(f64::max),
        ) {
            (Some(med), Some(lo), Some(hi)) if r.speed.len() > 1 => {
                format!("{med:.2}× ({lo:.2}–{hi:.2})")
            }
            (Some(med), _, _) => format!("{med:.2}×"),
            _ => "—".into(),
        };
        let load = stats::median(&r.load_ms).map_or("—".into(), |ms| {
            format!(
                "{} ms{}",
                format::sig3(ms),
                if r.cache_on { " (JIT cache on)" } else { "" }
            )
        });
        let _ = writeln!(
            s,
            "| {} | `{}` | {} | {} | {} | {speed} | {load} |",
            md_cell(&r.gpu),
            md_cell(&r.variant),
            md_cell(&r.image),
            md_cell(&r.class),
            r.speed.len().max(r.load_ms.len()),
        );
    }
    s.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_split_by_element_type() {
        let mut c = CaseResult {
            kernel: "softmax".into(),
            case: "bf16 4096x4096".into(),
            ..CaseResult::default()
        };
        assert_eq!(class_of(&c), "softmax bf16");
        c.kernel = "cvt_color_bgr2gray".into();
        c.case = "3840x2160".into();
        assert_eq!(class_of(&c), "cvt_color_bgr2gray");
    }
}
