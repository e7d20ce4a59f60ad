//! Shared presentation helpers: time units, image descriptions, which throughput a kernel
//! is judged by, and the name of the native build for a capability.

use crate::results::schema::{CaseResult, LoadedImage};

/// `4.47e-5` → `44.7 µs` (three significant digits, unit chosen by magnitude).
pub fn time(seconds: f64) -> String {
    let (v, unit) = if seconds >= 1.0 {
        (seconds, "s")
    } else if seconds >= 1e-3 {
        (seconds * 1e3, "ms")
    } else if seconds >= 1e-6 {
        (seconds * 1e6, "µs")
    } else {
        (seconds * 1e9, "ns")
    };
    format!("{} {unit}", sig3(v))
}

/// Three significant digits without exponent: 1234 → `1234`, 12.345 → `12.3`, 0.1234 → `0.123`.
pub fn sig3(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// `SASS sm_90a`, `PTX JIT compute_80`, or `not loaded`: the exact image when the results
/// record it (version 3), else the driver's numbers.
pub fn image(image: Option<&LoadedImage>) -> String {
    match image {
        Some(i) if i.kind == "sass" => format!("SASS {}", i.name()),
        Some(i) if i.kind == "ptx-jit" => format!("PTX JIT {}", i.name()),
        Some(i) => format!("{} {}", i.kind, i.binary_version),
        None => "not loaded".to_string(),
    }
}

/// What a kernel's speed is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// GB/s against the measured copy bandwidth.
    Memory,
    /// TFLOP/s against the measured bf16 GEMM rate.
    Compute,
}

impl Bound {
    /// Arithmetic intensity of 16 FLOP/byte or more counts as compute-bound.
    pub fn of(case: &CaseResult) -> Bound {
        if case.bytes == 0 || case.flops as f64 / case.bytes as f64 >= 16.0 {
            Bound::Compute
        } else {
            Bound::Memory
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Bound::Memory => "GB/s",
            Bound::Compute => "TFLOP/s",
        }
    }

    /// The throughput value and its percentage of the matching measured ceiling.
    pub fn values(self, case: &CaseResult) -> Option<(f64, Option<f64>)> {
        let t = case.throughput.as_ref()?;
        Some(match self {
            Bound::Memory => (t.gbps, t.pct_copy_bw),
            Bound::Compute => (t.tflops, t.pct_gemm),
        })
    }
}

/// `9.0` → `pkgsForCudaArch.sm_90`; `12.0a` → `pkgsForCudaArch.sm_120a`.
pub fn native_variant(capability: &str) -> String {
    let digits: String = capability.chars().filter(|c| *c != '.').collect();
    format!("pkgsForCudaArch.sm_{digits}")
}

/// Escape `|` and newlines for a markdown table cell.
pub fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Escape text for HTML/XML.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Signed percentage with one decimal, never `-0.0`: `+8.1 %`, `-9.9 %`, `+0.0 %`.
pub fn pct(v: f64) -> String {
    let s = format!("{v:+.1}");
    let s = if s == "-0.0" { "+0.0".to_string() } else { s };
    format!("{s} %")
}

/// `s` safe for a terminal: control characters (escape sequences, carriage returns, NULs
/// from a hostile results file) are shown as `\u{1b}`-style escapes instead of acting.
pub fn printable(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod printable_tests {
    #[test]
    fn escapes_controls_only() {
        assert_eq!(super::printable("softmax f32"), "softmax f32");
        assert_eq!(super::printable("a\u{1b}[2Jb\r"), "a\\u{1b}[2Jb\\u{d}");
    }
}
