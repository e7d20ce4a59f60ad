//! "archbench vs NVIDIA's libraries, and same-size copies": what `vendor_side.cu` measured
//! for CUB's histogram and NPP's filters and resize next to the matching archbench case, and
//! each memory-bound case against a device copy of its own size.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

use super::cases::Index;
use super::json::{self, get, num_at, positive, text_at, truthy};
use super::{ratio, table, time};
use crate::results::schema::RunFile;

/// `vendor_side.cu`'s entries that do what an archbench kernel does, and what differs.
const MATCHES: &[(&str, &str, &str)] = &[
    (
        "cub_histogram_even",
        "histogram_256",
        "int counters; CUB's own init and sweep launches",
    ),
    (
        "cub_histogram_even_2d",
        "histogram_256",
        "the row-stride overload",
    ),
    (
        "npp_gauss_advanced_binomial_5x5",
        "gaussian_blur_5x5",
        "archbench's taps [1 4 6 4 1]/16 as floats, NPP_BORDER_MIRROR",
    ),
    (
        "npp_gauss_5x5",
        "gaussian_blur_5x5",
        "NPP's own 5x5 kernel (sigma 1.6), NPP_BORDER_REPLICATE",
    ),
    (
        "npp_sobel_vert_3x3_8u16s",
        "sobel_3x3_dx",
        "NPP_BORDER_REPLICATE",
    ),
    (
        "npp_resize_linear_8u_c3",
        "resize_bilinear",
        "NPPI_INTER_LINEAR (its own sampling)",
    ),
];

/// Byte counts above this are not exact in a double: such a copy matches nothing.
const EXACT_BYTES: f64 = 9_007_199_254_740_992.0;

/// What `vendor_side.cu` found when it compared the library's output with a reference.
fn check_text(e: &Value) -> String {
    if truthy(e, "check") {
        return format!("check {}", text_at(e, "check", ""));
    }
    for key in ["vs_binomial_round", "vs_half_pixel_bilinear"] {
        if let Some(d) = get(e, key).filter(|d| d.as_object().is_some_and(|o| !o.is_empty())) {
            let n = get(d, "interior_pixels").or_else(|| get(d, "bytes"));
            let bad = get(d, "differ").or_else(|| get(d, "differ_by_more_than_1"));
            return format!(
                "{key}: {} of {} differ (max {})",
                json::text(bad, "None"),
                json::text(n, "None"),
                text_at(d, "max_abs_diff", "None")
            );
        }
    }
    if let Some(d) = get(e, "differ_vs_dx") {
        return format!(
            "differs from dx at {} of {} interior pixels",
            json::text(Some(d), "None"),
            text_at(e, "interior_pixels", "None")
        );
    }
    String::new()
}

/// Write the section for `--vendor PATH`.
pub fn section(s: &mut String, run: &RunFile, idx: &Index<'_>, path: &Path) {
    let _ = writeln!(
        s,
        "\n### archbench vs NVIDIA's libraries, and same-size copies\n"
    );
    let (entries, bad) = match json::read_object_lines(path) {
        Ok(x) => x,
        Err(e) => {
            let _ = writeln!(s, "Missing: {e}.");
            return;
        }
    };
    let what = |e: &Value| text_at(e, "what", "None");
    let device = entries.iter().find(|e| what(e) == "device");
    let unparsed = if bad > 0 {
        format!(" {bad} line(s) did not parse.")
    } else {
        String::new()
    };
    let _ = writeln!(
        s,
        "`vendor_side.cu` on {}: CUDA events around one call, L2 flushed before each sample \
         and the call queued behind a spin, as archbench's cold mode; median of up to 200 \
         samples.{unparsed}",
        device.map_or("?".into(), |d| text_at(d, "name", "?"))
    );
    let library = library_rows(idx, &entries);
    if !library.is_empty() {
        let _ = writeln!(
            s,
            "\nLibrary / best > 1 means archbench's fastest passing variant is faster.\n"
        );
        table(
            s,
            &[
                "kernel",
                "case",
                "library call",
                "library median",
                "archbench best (variant)",
                "library / best",
                "note",
            ],
            &library,
        );
    }
    if let Some(skip) = entries
        .iter()
        .find(|e| what(e) == "npp" && truthy(e, "skipped"))
    {
        let _ = writeln!(s, "\nNPP: skipped ({}).", text_at(skip, "skipped", "?"));
    }
    let copies = copy_rows(run, idx, &entries);
    if !copies.is_empty() {
        let _ = writeln!(
            s,
            "\nSame-size copies: `cudaMemcpyAsync` of half the case's bytes (the case counts \
             bytes read + written), timed the same way. A small case cannot reach the \
             large-copy ceiling even as a copy; the ratio to the same-size copy is what the \
             kernel leaves on the table at that size.\n"
        );
        table(
            s,
            &[
                "kernel",
                "case",
                "bytes",
                "archbench best (variant)",
                "same-size copy",
                "% of same-size copy",
                "% of copy ceiling",
            ],
            &copies,
        );
    } else if library.is_empty() {
        let _ = writeln!(s, "\nNo entry matches an archbench case.");
    }
}

fn library_rows(idx: &Index<'_>, entries: &[Value]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for e in entries {
        let what = text_at(e, "what", "None");
        let Some(&(_, kernel, differs)) = MATCHES.iter().find(|m| m.0 == what) else {
            continue;
        };
        let label = text_at(e, "case", "None");
        let function = if truthy(e, "function") {
            text_at(e, "function", "")
        } else {
            what.clone()
        };
        if truthy(e, "error") || truthy(e, "skipped") {
            let why = if truthy(e, "error") {
                text_at(e, "error", "")
            } else {
                text_at(e, "skipped", "")
            };
            rows.push(vec![
                kernel.into(),
                label,
                format!("`{function}`"),
                "—".into(),
                "—".into(),
                "—".into(),
                why,
            ]);
            continue;
        }
        let v_med = num_at(e, "median_us") / 1e6;
        let best = idx.best(kernel, &label);
        let b_med = best.map_or(f64::NAN, |(_, m)| m);
        let r = if positive(v_med) && positive(b_med) {
            v_med / b_med
        } else {
            f64::NAN
        };
        let check = check_text(e);
        let note: Vec<&str> = [differs, check.as_str()]
            .into_iter()
            .filter(|x| !x.is_empty())
            .collect();
        rows.push(vec![
            kernel.into(),
            label,
            format!("`{function}` ({})", text_at(e, "version", "?")),
            time(v_med),
            best.map_or("—".into(), |(c, m)| {
                format!("{} ({})", time(m), c.variant)
            }),
            ratio(r),
            note.join("; "),
        ]);
    }
    rows
}

fn copy_rows(run: &RunFile, idx: &Index<'_>, entries: &[Value]) -> Vec<Vec<String>> {
    // Copy size in bytes → median seconds.
    let mut copies: BTreeMap<u64, f64> = BTreeMap::new();
    for e in entries {
        let (bytes, med) = (num_at(e, "bytes"), num_at(e, "median_us"));
        if text_at(e, "what", "") == "memcpy_d2d"
            && positive(bytes)
            && positive(med)
            && bytes < EXACT_BYTES
        {
            copies.insert(bytes as u64, med / 1e6);
        }
    }
    let ceiling = run.ceilings.copy_gbps.unwrap_or(f64::NAN);
    let mut rows = Vec::new();
    for ((kernel, label), cases) in idx.groups() {
        if kernel.contains("gemm") {
            continue;
        }
        let Some((best, b_med)) = super::cases::best_of(cases) else {
            continue;
        };
        let bytes = best.bytes;
        let Some(&t_copy) = (bytes > 0).then(|| copies.get(&(bytes / 2))).flatten() else {
            continue;
        };
        let gbps = bytes as f64 / b_med / 1e9;
        rows.push(vec![
            kernel.into(),
            label.into(),
            format!("{:.1} MB", bytes as f64 / 1e6),
            format!("{} ({})", time(b_med), best.variant),
            time(t_copy),
            format!("{:.0} %", 100.0 * t_copy / b_med),
            if positive(ceiling) {
                format!("{:.0} %", 100.0 * gbps / ceiling)
            } else {
                "—".into()
            },
        ]);
    }
    rows
}
