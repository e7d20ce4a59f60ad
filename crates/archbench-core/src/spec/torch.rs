//! PyTorch's `TORCH_CUDA_ARCH_LIST` (as `torch:<list>`): `X.Y[a]` entries with an optional
//! `+PTX`, named architectures (`Ampere`, `Hopper`, …), separated by `;` or spaces.

use super::{nearest, SpecContext, SpecEntry};
use crate::capability::{Capability, Suffix};
use crate::diagnostic::{Code, Diagnostic, ParseError};
use crate::variant::{Origin, Variant};

/// PyTorch's named architectures (`torch/utils/cpp_extension.py`).
pub const NAMED_ARCHES: &[(&str, &str)] = &[
    ("Kepler+Tesla", "3.7"),
    ("Kepler", "3.5+PTX"),
    ("Maxwell+Tegra", "5.3"),
    ("Maxwell", "5.0;5.2+PTX"),
    ("Pascal", "6.0;6.1+PTX"),
    ("Volta+Tegra", "7.2"),
    ("Volta", "7.0+PTX"),
    ("Turing", "7.5+PTX"),
    ("Ampere+Tegra", "8.7"),
    ("Ampere", "8.0;8.6+PTX"),
    ("Ada", "8.9+PTX"),
    ("Hopper", "9.0+PTX"),
    ("Blackwell+Tegra", "11.0"),
    ("Blackwell", "10.0;10.3;12.0;12.1+PTX"),
];

/// Whether PyTorch's `supported_arches` has the capability (no `f` targets, no 10.1, no 8.8).
pub fn torch_accepts(c: Capability) -> bool {
    c.suffix != Suffix::Family && !matches!((c.major, c.minor), (10, 1) | (8, 8))
}

const HELP: &str = "TORCH_CUDA_ARCH_LIST entries look like `8.6`, `9.0a`, `8.6+PTX` or a name such as `Ampere`, separated by `;` or spaces";

pub fn parse(spec: &str, start: usize, ctx: &SpecContext) -> SpecEntry {
    let mut caps = Vec::new();
    let mut ptx = Vec::new();
    let mut diags = Vec::new();
    let body = &spec[start..];
    let mut off = start;
    for raw in body.split([';', ' ', '\t']) {
        let entry_off = off;
        off += raw.len() + 1;
        if raw.is_empty() {
            continue;
        }
        let expanded: Vec<&str> = match NAMED_ARCHES.iter().find(|(n, _)| *n == raw) {
            Some((_, list)) => list.split(';').collect(),
            None => vec![raw],
        };
        for item in expanded {
            let (arch, with_ptx) = match item.strip_suffix("+PTX") {
                Some(a) => (a, true),
                None => (item, false),
            };
            let cap = match arch.parse::<Capability>() {
                Ok(c) => c,
                Err(_) => {
                    let mut d = ParseError::at(
                        spec,
                        entry_off,
                        format!("Unknown CUDA arch ({raw}) or GPU not supported"),
                    )
                    .into_diagnostic("TORCH_CUDA_ARCH_LIST", spec);
                    let names = NAMED_ARCHES.iter().map(|(n, _)| *n);
                    let extra = match nearest(raw, names) {
                        Some(n) => format!("did you mean `{n}`?\n{HELP}"),
                        None => HELP.to_string(),
                    };
                    d.help = Some(format!("{}\n{extra}", d.help.unwrap_or_default()));
                    return SpecEntry::failed(d);
                }
            };
            if !torch_accepts(cap) {
                diags.push(
                    Diagnostic::error(Code::TorchUnknownArch, format!("Unknown CUDA arch ({arch}) or GPU not supported (PyTorch rejects it; entry at column {})", entry_off + 1))
                        .with_help("PyTorch takes no `f` targets, no 10.1 and no 8.8; use the plain or `a` capability"),
                );
            }
            caps.push(cap);
            if with_ptx {
                ptx.push(cap);
            }
        }
    }
    if caps.is_empty() {
        diags.push(
            Diagnostic::error(
                Code::EmptyCapabilities,
                "TORCH_CUDA_ARCH_LIST is empty; PyTorch would then build for the GPUs it detects",
            )
            .with_help("name the architectures, e.g. `torch:8.0;8.6;9.0+PTX`"),
        );
    }
    let forward_compat = !ptx.is_empty();
    SpecEntry::ok(
        Variant {
            name: spec.trim().to_string(),
            cuda: ctx.default_cuda,
            capabilities: caps,
            forward_compat,
            ptx,
            package: None,
            origin: Origin::Torch,
        },
        diags,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::CudaVersion;

    fn ctx() -> SpecContext {
        SpecContext {
            default_cuda: CudaVersion::new(12, 8),
        }
    }

    #[test]
    fn lists_and_names() {
        let v = parse("torch:7.5;8.6+PTX", 6, &ctx()).variant.unwrap();
        assert_eq!(v.capabilities.len(), 2);
        assert_eq!(v.ptx, ["8.6".parse().unwrap()]);
        let v = parse("torch:Ampere Hopper 9.0a", 6, &ctx())
            .variant
            .unwrap();
        let caps: Vec<String> = v.capabilities.iter().map(|c| c.to_string()).collect();
        assert_eq!(caps, ["8.0", "8.6", "9.0", "9.0a"]);
        assert_eq!(v.ptx.len(), 2);
    }

    #[test]
    fn rejections() {
        let e = parse("torch:8.6;Amper", 6, &ctx());
        let d = &e.diagnostics[0];
        assert_eq!(d.code, Code::ParseError);
        assert!(
            d.message.contains("column 11") && d.message.contains("Unknown CUDA arch (Amper)"),
            "{}",
            d.message
        );
        assert!(d.help.as_ref().unwrap().contains("`Ampere`"));
        let e = parse("torch:10.0f", 6, &ctx());
        assert_eq!(e.diagnostics[0].code, Code::TorchUnknownArch);
        let e = parse("torch:", 6, &ctx());
        assert_eq!(e.diagnostics[0].code, Code::EmptyCapabilities);
    }
}
