//! Nixpkgs attribute paths: `pkgsCuda`, `pkgsForCudaArch.sm_89`, `cudaPackages_12_8.pkgs`,
//! chains of them, and a package tail (`.opencv`, `.python3Packages.torch`).

use super::{SpecContext, SpecEntry};
use crate::capability::Capability;
use crate::db;
use crate::diagnostic::{Diagnostic, ParseError};
use crate::variant::{Origin, Variant};
use crate::version::CudaVersion;

const HELP: &str = "a Nixpkgs CUDA variant starts with `pkgsCuda`, `pkgsForCudaArch.sm_XX` or `cudaPackages_X_Y.pkgs`, e.g. `pkgsForCudaArch.sm_89.opencv`";

pub fn parse(spec: &str, ctx: &SpecContext) -> SpecEntry {
    match parse_inner(spec, ctx) {
        Ok(v) => SpecEntry::ok(v, Vec::new()),
        Err(e) => SpecEntry::failed(
            e.into_diagnostic("the attribute path", spec)
                .with_more_help(HELP),
        ),
    }
}

trait MoreHelp {
    fn with_more_help(self, p: &str) -> Self;
}

impl MoreHelp for Diagnostic {
    fn with_more_help(mut self, p: &str) -> Self {
        self.help = Some(match self.help {
            Some(h) => format!("{h}\n{p}"),
            None => p.to_string(),
        });
        self
    }
}

fn parse_inner(spec: &str, ctx: &SpecContext) -> Result<Variant, ParseError> {
    // Segments with their byte offsets.
    let mut segs: Vec<(usize, &str)> = Vec::new();
    let mut off = 0;
    for s in spec.split('.') {
        segs.push((off, s));
        off += s.len() + 1;
    }
    for &(o, s) in &segs {
        if s.is_empty() {
            return Err(ParseError::at(spec, o, "empty attribute name"));
        }
        if let Some(bad) = s
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '\'')))
        {
            return Err(ParseError::at(
                spec,
                o + bad.0,
                format!("`{}` cannot appear in an attribute name", bad.1),
            ));
        }
    }
    let mut cuda = ctx.default_cuda;
    let mut caps: Option<Vec<Capability>> = None;
    let mut forward_compat = true;
    let mut base: Vec<&str> = Vec::new();
    let mut recognized = false;
    let mut package = None;
    let mut i = 0;
    while i < segs.len() {
        let (o, s) = segs[i];
        match s {
            "pkgs" | "nixpkgs" if i == 0 => {}
            "pkgsCuda" => {
                recognized = true;
                base.push(s);
            }
            "pkgsForCudaArch" => {
                recognized = true;
                let Some(&(ao, arch)) = segs.get(i + 1) else {
                    return Err(ParseError::at(
                        spec,
                        spec.len(),
                        "expected `.sm_XX` after `pkgsForCudaArch`",
                    ));
                };
                if !arch.starts_with("sm_") {
                    return Err(ParseError::at(
                        spec,
                        ao,
                        format!("expected `sm_XX` (e.g. `sm_89`, `sm_90a`), found `{arch}`"),
                    ));
                }
                let cap = Capability::parse_dotless(arch).map_err(|_| {
                    ParseError::at(spec, ao, format!("`{arch}` is not an architecture: expected `sm_` then digits and an optional `a`/`f`, e.g. `sm_90a`"))
                })?;
                caps = Some(vec![cap]);
                forward_compat = false;
                base.push(s);
                base.push(arch);
                i += 1;
            }
            _ if s.starts_with("cudaPackages_") => {
                let ver = &s["cudaPackages_".len()..];
                let v = parse_set_version(ver).ok_or_else(|| {
                    ParseError::at(spec, o, format!("`{s}` is not a CUDA package set: expected `cudaPackages_X_Y`, e.g. `cudaPackages_12_8`"))
                })?;
                cuda = v;
                recognized = true;
                if segs.get(i + 1).map(|x| x.1) == Some("pkgs") {
                    i += 1;
                } else {
                    // `cudaPackages_12_8.cuda_nvcc`: a package of that set.
                    package = Some(segs[i..].iter().map(|x| x.1).collect::<Vec<_>>().join("."));
                    break;
                }
            }
            _ => {
                if !recognized {
                    return Err(ParseError::at(
                        spec,
                        o,
                        format!("`{s}` is not a CUDA variant"),
                    ));
                }
                package = Some(segs[i..].iter().map(|x| x.1).collect::<Vec<_>>().join("."));
                break;
            }
        }
        i += 1;
    }
    if !recognized {
        return Err(ParseError::at(
            spec,
            spec.len(),
            "no CUDA variant in the path",
        ));
    }
    let capabilities = caps.unwrap_or_else(|| db::default_capabilities(cuda));
    Ok(Variant::nix(
        spec.trim().to_string(),
        cuda,
        capabilities,
        forward_compat,
        package,
        Origin::NixAttrPath {
            base: base.join("."),
        },
    ))
}

fn parse_set_version(s: &str) -> Option<CudaVersion> {
    let (a, b) = s.split_once('_')?;
    Some(CudaVersion::new(a.parse().ok()?, b.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;

    fn ctx() -> SpecContext {
        SpecContext {
            default_cuda: CudaVersion::new(12, 6),
        }
    }

    fn var(s: &str) -> Variant {
        let e = parse(s, &ctx());
        e.variant
            .unwrap_or_else(|| panic!("{s}: {:?}", e.diagnostics))
    }

    #[test]
    fn chains_and_packages() {
        let v = var("pkgsForCudaArch.sm_100.cudaPackages_12_8.pkgs.python3Packages.torch");
        assert_eq!(v.cuda, CudaVersion::new(12, 8));
        assert_eq!(v.capabilities, ["10.0".parse().unwrap()]);
        assert!(!v.forward_compat && v.ptx.is_empty());
        assert_eq!(v.package.as_deref(), Some("python3Packages.torch"));
        assert_eq!(
            v.origin,
            Origin::NixAttrPath {
                base: "pkgsForCudaArch.sm_100".into()
            }
        );

        let v = var("pkgsCuda");
        assert!(v.forward_compat);
        assert_eq!(v.capabilities.len(), 5);
        assert_eq!(v.ptx, ["9.0".parse().unwrap()]);

        let v = var("cudaPackages_12_9.pkgs");
        assert_eq!(v.capabilities.len(), 9);
        let v = var("cudaPackages_12_8.cuda_nvcc");
        assert_eq!(v.package.as_deref(), Some("cudaPackages_12_8.cuda_nvcc"));
        let v = var("pkgs.pkgsForCudaArch.sm_90a.opencv");
        assert_eq!(v.capabilities[0].to_string(), "9.0a");
    }

    #[test]
    fn errors_have_columns() {
        for (s, col) in [
            ("pkgsForCudaArch.sm_8x", 17),
            ("pkgsForCudaArch.89", 17),
            ("pkgsForCudaArch", 16),
            ("opencv", 1),
            ("pkgsCuda..opencv", 10),
            ("pkgsCuda.cudaPackages_12.pkgs", 10),
            ("pkgsCuda.open cv", 14),
        ] {
            let e = parse(s, &ctx());
            assert!(e.variant.is_none(), "{s}");
            let d = &e.diagnostics[0];
            assert_eq!(d.code, Code::ParseError);
            assert!(
                d.message.contains(&format!("column {col}")),
                "{s}: {}",
                d.message
            );
        }
    }
}
