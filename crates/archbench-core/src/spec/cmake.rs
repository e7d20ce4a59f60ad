//! CMake's `CUDA_ARCHITECTURES` (as `cmake:<list>`): `89` (SASS + PTX), `89-real` (SASS),
//! `89-virtual` (PTX), and the special values `all`, `all-major`, `native`.

use super::{SpecContext, SpecEntry};
use crate::capability::{Capability, Suffix};
use crate::db;
use crate::diagnostic::{Code, Diagnostic, ParseError};
use crate::variant::{Origin, Variant};

const HELP: &str = "CUDA_ARCHITECTURES entries look like `89`, `89-real`, `90a-virtual`, or one of `all`, `all-major`, `native`, separated by `;`";

pub fn parse(spec: &str, start: usize, ctx: &SpecContext) -> SpecEntry {
    let body = &spec[start..];
    let mut caps = Vec::new();
    let mut ptx = Vec::new();
    let entries: Vec<(usize, &str)> = {
        let mut off = start;
        body.split(';')
            .map(|e| {
                let o = off;
                off += e.len() + 1;
                (o, e.trim())
            })
            .filter(|(_, e)| !e.is_empty())
            .collect()
    };
    let special = entries
        .iter()
        .find(|(_, e)| matches!(*e, "all" | "all-major" | "native"));
    if let Some(&(o, word)) = special {
        if entries.len() > 1 {
            return fail(spec, o, format!("`{word}` must be the only entry"));
        }
        if word == "native" {
            return SpecEntry::failed(
                Diagnostic::error(Code::CmakeNativeNeedsGpu, "`native` means the GPUs of the build machine, and archbench validates without looking at a GPU")
                    .with_help("name the architecture instead, e.g. `cmake:90-real` for an H100"),
            );
        }
        // CMake: all supported real architectures (or the major ones), plus PTX for the
        // highest major virtual architecture.
        let all: Vec<Capability> = db::CAPABILITIES
            .iter()
            .filter(|i| i.capability.suffix == Suffix::None && i.nvidia_supports(ctx.default_cuda))
            .map(|i| i.capability)
            .collect();
        let majors: Vec<Capability> = all.iter().copied().filter(|c| c.minor == 0).collect();
        caps = if word == "all" { all } else { majors.clone() };
        ptx.extend(majors.last().copied());
    } else {
        for (o, e) in entries {
            let (arch, sass, virt) = if let Some(a) = e.strip_suffix("-real") {
                (a, true, false)
            } else if let Some(a) = e.strip_suffix("-virtual") {
                (a, false, true)
            } else {
                (e, true, true)
            };
            let Ok(cap) = Capability::parse_dotless(arch)
                .map_err(|_| ())
                .and_then(|c| {
                    if arch.starts_with(|ch: char| ch.is_ascii_digit()) {
                        Ok(c)
                    } else {
                        Err(())
                    }
                })
            else {
                return fail(spec, o, format!("`{e}` is not a CUDA architecture"));
            };
            if sass {
                caps.push(cap);
            }
            if virt {
                ptx.push(cap);
            }
        }
    }
    let mut diags = Vec::new();
    if caps.is_empty() && ptx.is_empty() {
        diags.push(
            Diagnostic::error(Code::EmptyCapabilities, "CUDA_ARCHITECTURES is empty")
                .with_help(HELP),
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
            origin: Origin::Cmake,
        },
        diags,
    )
}

fn fail(spec: &str, offset: usize, msg: String) -> SpecEntry {
    let mut d = ParseError::at(spec, offset, msg).into_diagnostic("CUDA_ARCHITECTURES", spec);
    d.help = Some(format!("{}\n{HELP}", d.help.unwrap_or_default()));
    SpecEntry::failed(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::CudaVersion;

    fn ctx(v: (u16, u16)) -> SpecContext {
        SpecContext {
            default_cuda: CudaVersion::new(v.0, v.1),
        }
    }

    fn strs(c: &[Capability]) -> Vec<String> {
        c.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn entries() {
        let v = parse("cmake:75-real;89;100a-virtual", 6, &ctx((12, 8)))
            .variant
            .unwrap();
        assert_eq!(strs(&v.capabilities), ["7.5", "8.9"]);
        assert_eq!(strs(&v.ptx), ["8.9", "10.0a"]);
    }

    #[test]
    fn special_values() {
        let v = parse("cmake:all", 6, &ctx((13, 0))).variant.unwrap();
        assert_eq!(
            strs(&v.capabilities),
            [
                "7.5", "8.0", "8.6", "8.7", "8.8", "8.9", "9.0", "10.0", "10.3", "11.0", "12.0",
                "12.1"
            ]
        );
        assert_eq!(strs(&v.ptx), ["12.0"]);
        let v = parse("cmake:all-major", 6, &ctx((12, 6))).variant.unwrap();
        assert_eq!(strs(&v.capabilities), ["5.0", "6.0", "7.0", "8.0", "9.0"]);
        let e = parse("cmake:native", 6, &ctx((13, 0)));
        assert_eq!(e.diagnostics[0].code, Code::CmakeNativeNeedsGpu);
        let e = parse("cmake:89;all", 6, &ctx((13, 0)));
        assert!(
            e.diagnostics[0].message.contains("column 10"),
            "{:?}",
            e.diagnostics
        );
        let e = parse("cmake:89;sm_90", 6, &ctx((13, 0)));
        assert!(
            e.diagnostics[0].message.contains("column 10"),
            "{:?}",
            e.diagnostics
        );
    }
}
