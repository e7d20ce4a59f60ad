//! Nixpkgs attribute paths: `pkgsCuda`, `pkgsForCudaArch.sm_89`, `cudaPackages_12_8.pkgs`,
//! chains of them, and a package tail (`.opencv`, `.python3Packages.torch`).

use super::nix_config::Config;
use super::{SpecContext, SpecEntry};
use crate::capability::Capability;
use crate::db;
use crate::diagnostic::{Diagnostic, ParseError};
use crate::variant::{Origin, Variant};
use crate::version::CudaVersion;

const HELP: &str = "a Nixpkgs CUDA variant starts with `pkgsCuda`, `pkgsForCudaArch.sm_XX` or `cudaPackages_X_Y.pkgs`, e.g. `pkgsForCudaArch.sm_89.opencv`";

/// Parses an attribute path applied to `base` (`--config`, `{}` when none), left to right
/// like Nixpkgs: each `pkgsCuda` / `pkgsForCudaArch.sm_X` is `config // { … }` of
/// `pkgs/top-level/variants.nix`, each `cudaPackages_X_Y.pkgs` picks the CUDA release.
pub fn parse(spec: &str, ctx: &SpecContext, base: &Config) -> SpecEntry {
    match parse_inner(spec, ctx, base) {
        Ok((v, d)) => SpecEntry::ok(v, d),
        Err(Failure::Parse(e)) => SpecEntry::failed(
            e.into_diagnostic("the attribute path", spec)
                .with_more_help(HELP),
        ),
        Err(Failure::Diag(d)) => SpecEntry::failed(d),
    }
}

enum Failure {
    Parse(ParseError),
    Diag(Diagnostic),
}

impl From<ParseError> for Failure {
    fn from(e: ParseError) -> Self {
        Failure::Parse(e)
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

/// The attribute names of `pkgsForCudaArch`: `mkRealArchitecture` of every key of Nixpkgs'
/// capability table (`sm_` + the dot-less capability).
pub fn cuda_arch_attributes() -> Vec<String> {
    db::nix_capabilities().map(|i| i.capability.sm()).collect()
}

/// Up to `n` real `pkgsForCudaArch` attributes nearest to `name`.
fn nearest_arch_attributes(name: &str, n: usize) -> Vec<String> {
    let real = cuda_arch_attributes();
    let mut scored: Vec<(i64, String)> = match Capability::parse_dotless(name) {
        Ok(c) => db::nix_capabilities()
            .map(|i| {
                let k = i.capability;
                let d = (i64::from(k.sm_number()) - i64::from(c.sm_number())).abs() * 4
                    + i64::from(k.suffix != c.suffix);
                (d, k.sm())
            })
            .collect(),
        Err(_) => real
            .iter()
            .map(|r| (super::edit_distance(name, r) as i64, r.clone()))
            .collect(),
    };
    scored.sort();
    scored.into_iter().take(n).map(|(_, s)| s).collect()
}

fn parse_inner(
    spec: &str,
    ctx: &SpecContext,
    base: &Config,
) -> Result<(Variant, Vec<Diagnostic>), Failure> {
    let segs = segments(spec)?;
    let mut cuda = ctx.default_cuda;
    let mut config = base.clone();
    let mut base_path: Vec<&str> = Vec::new();
    let mut recognized = false;
    let mut cuda_variant = false;
    let mut package = None;
    let mut i = 0;
    while i < segs.len() {
        let (o, s) = segs[i];
        match s {
            "pkgs" | "nixpkgs" if i == 0 => {}
            "pkgsCuda" => {
                recognized = true;
                cuda_variant = true;
                config = config.overlay(&Config::pkgs_cuda());
                base_path.push(s);
            }
            "pkgsForCudaArch" => {
                recognized = true;
                cuda_variant = true;
                let Some(&(ao, arch)) = segs.get(i + 1) else {
                    return Err(ParseError::at(
                        spec,
                        spec.len(),
                        "expected `.sm_XX` after `pkgsForCudaArch`",
                    )
                    .into());
                };
                let cap = cuda_arch(spec, ao, arch)?;
                config = config.overlay(&Config::for_cuda_arch(cap));
                base_path.push(s);
                base_path.push(arch);
                i += 1;
            }
            _ if s.starts_with("cudaPackages_") => {
                cuda = package_set(spec, o, s)?;
                recognized = true;
                if segs.get(i + 1).map(|x| x.1) == Some("pkgs") {
                    i += 1;
                } else {
                    // `cudaPackages_12_8.cuda_nvcc`: a package of that set.
                    package = Some(segs[i..].iter().map(|x| x.1).collect::<Vec<_>>().join("."));
                    cuda_variant = true;
                    break;
                }
            }
            _ => {
                if !recognized {
                    return Err(
                        ParseError::at(spec, o, format!("`{s}` is not a CUDA variant")).into(),
                    );
                }
                package = Some(segs[i..].iter().map(|x| x.1).collect::<Vec<_>>().join("."));
                break;
            }
        }
        i += 1;
    }
    if !recognized {
        return Err(ParseError::at(spec, spec.len(), "no CUDA variant in the path").into());
    }
    // `cudaPackages_X_Y.pkgs` alone keeps the user's config: without `cudaSupport` Nixpkgs
    // builds it without CUDA, which `check` warns about.
    let mut checked = config.clone();
    if cuda_variant && checked.cuda_support.is_none() {
        checked.cuda_support = Some(true);
    }
    let diags = checked.check(cuda).map_err(Failure::Diag)?;
    let v = config.resolve(
        spec.trim().to_string(),
        cuda,
        package,
        Origin::NixAttrPath {
            base: base_path.join("."),
        },
    );
    Ok((v, diags))
}

/// The dot-separated attribute names of `spec` with their byte offsets; each must be a
/// non-empty Nix identifier.
fn segments(spec: &str) -> Result<Vec<(usize, &str)>, ParseError> {
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
    Ok(segs)
}

/// The capability of the `pkgsForCudaArch` attribute `arch` (at byte `ao` of `spec`), or a
/// diagnostic naming the nearest real attributes.
fn cuda_arch(spec: &str, ao: usize, arch: &str) -> Result<Capability, Failure> {
    let cap = Capability::parse_dotless(arch)
        .ok()
        .filter(|c| arch.starts_with("sm_") && db::capability(*c).is_some_and(|i| i.in_nixpkgs()));
    if let Some(cap) = cap {
        return Ok(cap);
    }
    let mut d = ParseError::at(
        spec,
        ao,
        format!("`{arch}` is not an attribute of `pkgsForCudaArch`: Nixpkgs makes one `sm_XX` attribute per capability of its table"),
    )
    .into_diagnostic("the attribute path", spec);
    let near = nearest_arch_attributes(arch.strip_prefix("sm_").unwrap_or(arch), 3);
    let mut help = vec![format!(
        "nearest attributes: {}",
        near.iter()
            .map(|n| format!("`pkgsForCudaArch.{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    if let Some(info) = Capability::parse_dotless(arch)
        .ok()
        .and_then(db::capability)
        .filter(|i| !i.in_nixpkgs())
    {
        help.push(format!(
            "{} is a real target ({}), but not in Nixpkgs' table: build it with a `torch:` or `cmake:` spec, e.g. `cmake:{}-real`",
            info.capability, info.note, info.capability.dotless()
        ));
    }
    help.push(format!("all: {}", cuda_arch_attributes().join(" ")));
    d.help = Some(format!(
        "{}\n{}",
        d.help.unwrap_or_default(),
        help.join("\n")
    ));
    Err(Failure::Diag(d))
}

/// The CUDA release of the package set `s` (`cudaPackages_X_Y`, at byte `o` of `spec`), which
/// Nixpkgs must have.
fn package_set(spec: &str, o: usize, s: &str) -> Result<CudaVersion, Failure> {
    let ver = &s["cudaPackages_".len()..];
    let v = parse_set_version(ver).ok_or_else(|| {
        ParseError::at(spec, o, format!("`{s}` is not a CUDA package set: expected `cudaPackages_X_Y`, e.g. `cudaPackages_12_8`"))
    })?;
    if db::release(v).is_some_and(|r| r.in_nixpkgs) {
        return Ok(v);
    }
    let sets: Vec<String> = db::RELEASES
        .iter()
        .filter(|r| r.in_nixpkgs)
        .map(|r| r.version.nix_attr())
        .collect();
    let real = db::release(v).map_or(String::new(), |_| {
        format!(" (CUDA {v} is a real release: check it with a `torch:`/`cmake:` spec and `--cuda {v}`)")
    });
    let mut d = ParseError::at(
        spec,
        o,
        format!("`{s}` is not a package set of Nixpkgs{real}"),
    )
    .into_diagnostic("the attribute path", spec);
    d.code = crate::diagnostic::Code::UnknownCudaVersion;
    d.help = Some(format!(
        "{}\nNixpkgs' sets (pkgs/top-level/cuda-packages.nix): {}",
        d.help.unwrap_or_default(),
        sets.join(", ")
    ));
    Err(Failure::Diag(d))
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

    fn parse(s: &str, ctx: &SpecContext) -> SpecEntry {
        super::parse(s, ctx, &Config::default())
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
