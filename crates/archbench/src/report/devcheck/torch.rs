//! "archbench vs PyTorch": each entry of `torch_side.py`'s output next to the fastest
//! archbench variant whose check passed and next to `pkgsCuda`, for the same kernel and case.

use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

use super::cases::Index;
use super::json::{self, get, num_at, positive, text_at, truthy};
use super::{rate, ratio, table, time};
use crate::results::schema::RunFile;

/// Write the section; `path` is `--torch`.
pub fn section(s: &mut String, run: &RunFile, idx: &Index<'_>, path: Option<&Path>) {
    let _ = writeln!(s, "\n### archbench vs PyTorch\n");
    let Some(path) = path else {
        let _ = writeln!(s, "Missing: no PyTorch timings were given (`--torch`).");
        return;
    };
    let doc = match json::read_json(path, "PyTorch timings") {
        Ok(d @ Value::Object(_)) => d,
        Ok(_) => {
            let _ = writeln!(
                s,
                "Missing: {} is not a torch_side.py output (not an object).",
                path.display()
            );
            return;
        }
        Err(e) => {
            let _ = writeln!(s, "Missing: {e}.");
            return;
        }
    };
    meta(s, run, &doc);
    let entries: Vec<&Value> = get(&doc, "entries")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter(|e| e.is_object()).collect())
        .unwrap_or_default();
    if entries.is_empty() {
        let _ = writeln!(s, "\nNo PyTorch entries to compare.");
        return;
    }
    let rows: Vec<Vec<String>> = entries.iter().map(|e| row(idx, e)).collect();
    s.push('\n');
    table(
        s,
        &[
            "kernel",
            "case",
            "torch op",
            "torch median",
            "archbench best (variant)",
            "archbench pkgsCuda",
            "torch / best",
            "GB/s torch",
            "GB/s archbench",
            "TFLOP/s torch / archbench",
            "note",
        ],
        &rows,
    );
    let _ = writeln!(
        s,
        "\ntorch / best > 1 means archbench's fastest passing variant is faster. GB/s uses \
         archbench's byte count of the case for both sides (PyTorch may move more, e.g. \
         float32 images, eager temporaries, a bf16 instead of f32 GEMM output)."
    );
}

fn meta(s: &mut String, run: &RunFile, doc: &Value) {
    let _ = writeln!(
        s,
        "PyTorch {}, torchvision {}, CUDA {} on {}; allow_tf32 = {}.",
        text_at(doc, "torch", "?"),
        text_at(doc, "torchvision", "?"),
        text_at(doc, "cuda", "?"),
        text_at(doc, "device", "?"),
        text_at(doc, "allow_tf32", "?")
    );
    if truthy(doc, "method") {
        let _ = writeln!(s, "Method: {}.", text_at(doc, "method", ""));
    }
    let torch_device = text_at(doc, "device", "");
    if !torch_device.is_empty() && !run.device.name.is_empty() && torch_device != run.device.name {
        let _ = writeln!(
            s,
            "**Warning:** PyTorch ran on {torch_device}, archbench on {}: the two sides are not comparable.",
            run.device.name
        );
    }
    if truthy(doc, "error") {
        let _ = writeln!(
            s,
            "**The PyTorch side reported an error:** {}",
            text_at(doc, "error", "")
        );
    }
}

fn row(idx: &Index<'_>, e: &Value) -> Vec<String> {
    let kernel = text_at(e, "kernel", "None");
    let label = text_at(e, "case", "None");
    let t_med = num_at(e, "median_s");
    let all = idx.of(&kernel, &label);
    let best = idx.best(&kernel, &label);
    let pkgs = all
        .iter()
        .filter(|c| c.variant == "pkgsCuda")
        .find_map(|c| c.timed_median());
    let mut notes = Vec::new();
    if truthy(e, "error") {
        notes.push(format!("torch error: {}", text_at(e, "error", "")));
    }
    if all.is_empty() {
        notes.push("not run by archbench".to_string());
    } else if best.is_none() {
        let mut statuses: Vec<&str> = all.iter().map(|c| c.outcome().as_str()).collect();
        statuses.sort_unstable();
        statuses.dedup();
        notes.push(format!(
            "no passing archbench timing (status: {})",
            statuses.join(", ")
        ));
    }
    if truthy(e, "note") {
        notes.push(text_at(e, "note", ""));
    }
    let b_med = best.map_or(f64::NAN, |(_, m)| m);
    // archbench's byte and FLOP counts of the case (PyTorch's own when archbench has none).
    let (bytes, flops) = match best.map(|(c, _)| c).or(all.first().copied()) {
        Some(c) => (c.bytes as f64, c.flops as f64),
        None => (num_at(e, "bytes"), num_at(e, "flops")),
    };
    let per = |x: f64, t: f64, scale: f64| {
        if positive(x) && positive(t) {
            x / t / scale
        } else {
            f64::NAN
        }
    };
    let tflops = if matches!(kernel.as_str(), "gemm" | "sgemm") && positive(flops) {
        format!(
            "{} / {}",
            rate(per(flops, t_med, 1e12)),
            rate(per(flops, b_med, 1e12))
        )
    } else {
        "—".to_string()
    };
    let n = if positive(t_med) {
        format!(" (n={})", text_at(e, "n", "None"))
    } else {
        String::new()
    };
    vec![
        kernel,
        label,
        if truthy(e, "op") {
            format!("`{}`", text_at(e, "op", ""))
        } else {
            "—".into()
        },
        format!("{}{n}", time(t_med)),
        best.map_or("—".into(), |(c, m)| {
            format!("{} ({})", time(m), c.variant)
        }),
        pkgs.map_or("—".into(), time),
        ratio(if positive(t_med) && positive(b_med) {
            t_med / b_med
        } else {
            f64::NAN
        }),
        rate(per(bytes, t_med, 1e9)),
        rate(per(bytes, b_med, 1e9)),
        tflops,
        notes.join("; "),
    ]
}
