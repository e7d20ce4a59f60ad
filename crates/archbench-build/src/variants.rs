//! Which variants to build: the first of `ARCHBENCH_VARIANTS`, `TORCH_CUDA_ARCH_LIST`,
//! `CMAKE_CUDA_ARCHITECTURES`, `CUDA_COMPUTE_CAP`, what `build.rs` passed to
//! [`Kernels::variants`](crate::Kernels::variants), and the default matrix; then every spec
//! parsed and validated with archbench-core's rules (exactly as `archbench validate` does).
//!
//! Nothing here looks at a GPU: `native` in any of them is an error that says to name the
//! capabilities.

use std::fmt;
use std::fmt::Write as _;
use std::path::Path;

use archbench_core::spec::{self, SpecContext};
use archbench_core::validate::{self, ValidateOptions};
use archbench_core::{db, Capability, Code, CudaVersion, Suffix, Variant};

use crate::env::BuildEnv;
use crate::error::BuildError;

/// Where the variant list came from, in precedence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariantOrigin {
    /// `ARCHBENCH_VARIANTS`: one spec per line, or a variant file.
    ArchbenchVariants,
    /// `TORCH_CUDA_ARCH_LIST`, as the spec `torch:<value>`.
    TorchCudaArchList,
    /// `CMAKE_CUDA_ARCHITECTURES`, as the spec `cmake:<value>`.
    CmakeCudaArchitectures,
    /// `CUDA_COMPUTE_CAP`: one `pkgsForCudaArch.sm_XX` variant (SASS only) per capability.
    CudaComputeCap,
    /// [`Kernels::variants`](crate::Kernels::variants) in `build.rs`.
    BuildScript,
    /// The default matrix for the toolchain's CUDA version.
    Default,
}

impl VariantOrigin {
    /// The environment variable, for the variants that come from one.
    pub fn env_var(self) -> Option<&'static str> {
        match self {
            VariantOrigin::ArchbenchVariants => Some("ARCHBENCH_VARIANTS"),
            VariantOrigin::TorchCudaArchList => Some("TORCH_CUDA_ARCH_LIST"),
            VariantOrigin::CmakeCudaArchitectures => Some("CMAKE_CUDA_ARCHITECTURES"),
            VariantOrigin::CudaComputeCap => Some("CUDA_COMPUTE_CAP"),
            VariantOrigin::BuildScript | VariantOrigin::Default => None,
        }
    }
}

impl fmt::Display for VariantOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VariantOrigin::BuildScript => f.write_str("build.rs (.variants())"),
            VariantOrigin::Default => f.write_str("the default matrix"),
            other => f.write_str(other.env_var().unwrap_or("?")),
        }
    }
}

/// The chosen specs, before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selection {
    pub origin: VariantOrigin,
    /// The variable's raw value (for messages), if from one.
    pub raw: Option<String>,
    pub specs: Vec<String>,
}

/// The default matrix for CUDA `cuda`: Nixpkgs' default capabilities as
/// `pkgsForCudaArch.sm_XX`, `pkgsForCudaArch.sm_90a` (where Nixpkgs has it), `pkgsCuda`, and
/// PTX-only builds (`cmake:75-virtual`, `cmake:80-virtual`, `cmake:90-virtual`): of the oldest
/// default capability, which every GPU JIT-compiles, and of `PTX_ONLY`'s newer virtual
/// architectures where they are default capabilities, so that what JIT costs can be told
/// apart from what the older instruction set costs (bf16 and tensor-core code lose most
/// through `compute_75`, which has neither). Each costs one more front-end pass per kernel
/// file in a cold build.
pub fn default_specs(cuda: CudaVersion) -> Vec<String> {
    let defaults = db::default_capabilities(cuda);
    let mut v: Vec<String> = defaults
        .iter()
        .map(|c| format!("pkgsForCudaArch.{}", c.sm()))
        .collect();
    let sm90a = Capability::new(9, 0, Suffix::Arch);
    if db::capability(sm90a).is_some_and(|i| i.nix_supports(cuda)) {
        v.push(format!("pkgsForCudaArch.{}", sm90a.sm()));
    }
    v.push("pkgsCuda".into());
    let mut ptx_only: Vec<Capability> = defaults.first().copied().into_iter().collect();
    for c in &defaults {
        if PTX_ONLY.contains(&(c.major, c.minor)) && !ptx_only.contains(c) {
            ptx_only.push(*c);
        }
    }
    for c in ptx_only {
        v.push(format!("cmake:{}-virtual", c.dotless()));
    }
    v
}

/// The newer virtual architectures the default matrix also builds as PTX only: Ampere's
/// (bf16, `mma.sync`) and Hopper's (`wgmma` needs `sm_90a`, so its PTX is the sm_80 path's).
pub const PTX_ONLY: &[(u8, u8)] = &[(8, 0), (9, 0)];

/// The capabilities `CUDA_COMPUTE_CAP=all` means for CUDA `cuda`: every plain capability
/// that both Nixpkgs (so `pkgsForCudaArch.sm_XX` exists) and that release's nvcc support,
/// Jetson ones only when building on aarch64 (Nixpkgs builds them only there).
pub fn all_capabilities(cuda: CudaVersion) -> Vec<Capability> {
    let aarch64 = std::env::consts::ARCH == "aarch64";
    db::CAPABILITIES
        .iter()
        .filter(|i| {
            i.capability.suffix == Suffix::None
                && i.nix_supports(cuda)
                && i.nvidia_supports(cuda)
                && (aarch64 || !i.jetson)
        })
        .map(|i| i.capability)
        .collect()
}

fn native_error(origin: VariantOrigin, value: &str) -> BuildError {
    BuildError::Native {
        origin: origin.to_string(),
        value: value.trim().to_string(),
    }
}

/// `CUDA_COMPUTE_CAP`: `90`, `9.0`, `sm_90`, `90a`, a list separated by `,` (or spaces or
/// `;`), or `all`. Each capability becomes the variant `pkgsForCudaArch.sm_XX`: SASS for
/// exactly that capability (Nixpkgs' `pkgsForCudaArch` turns forward compatibility off, so no
/// PTX), so each GPU's own build can be compared with the others. For one variant holding
/// several capabilities, or PTX as well, use `TORCH_CUDA_ARCH_LIST` (`9.0+PTX`) or
/// `CMAKE_CUDA_ARCHITECTURES` (`90`) instead.
fn compute_cap_specs(value: &str, cuda: CudaVersion) -> Result<Vec<String>, BuildError> {
    let origin = VariantOrigin::CudaComputeCap;
    let items: Vec<&str> = value
        .split([',', ';', ' ', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items.iter().any(|i| i.eq_ignore_ascii_case("native")) {
        return Err(native_error(origin, value));
    }
    if items.len() == 1 && items[0].eq_ignore_ascii_case("all") {
        return Ok(all_capabilities(cuda)
            .iter()
            .map(|c| format!("pkgsForCudaArch.{}", c.sm()))
            .collect());
    }
    let mut out = Vec::new();
    for item in items {
        let parsed = if item.contains('.') {
            item.parse::<Capability>().map_err(|e| e.to_string())
        } else {
            Capability::parse_dotless(item).map_err(|e| e.to_string())
        };
        match parsed {
            Ok(c) => out.push(format!("pkgsForCudaArch.{}", c.sm())),
            Err(e) => {
                return Err(BuildError::InvalidVariant {
                    origin: origin.to_string(),
                    spec: item.to_string(),
                    diagnostics: format!("  {e}"),
                    extra_help: Some(
                        "CUDA_COMPUTE_CAP takes capabilities such as `90`, `9.0`, `90a` or `sm_90`, a list `80,86,90`, or `all`"
                            .into(),
                    ),
                })
            }
        }
    }
    Ok(out)
}

/// Whether a `torch:` spec asks for `native` (archbench-core reads it as an unknown arch).
fn torch_native(spec: &str) -> bool {
    spec.trim().strip_prefix("torch:").is_some_and(|l| {
        l.split([';', ' ', '\t'])
            .any(|e| e.eq_ignore_ascii_case("native"))
    })
}

/// The path of a spec that archbench-core reads as a variant file, if it is one.
fn variant_file(spec: &str) -> Option<&Path> {
    let t = spec.trim();
    let file = !t.starts_with("torch:")
        && !t.starts_with("cmake:")
        && !t.starts_with('{')
        && [".nix", ".toml", ".json"].iter().any(|x| t.ends_with(x));
    file.then_some(Path::new(t))
}

/// Picks the specs: the first source that is set wins.
pub(crate) fn select(
    env: &BuildEnv,
    from_build_rs: &[String],
    cuda: CudaVersion,
) -> Result<Selection, BuildError> {
    let from_env = |origin: VariantOrigin| {
        origin
            .env_var()
            .and_then(|v| env.get(v))
            .map(|s| (origin, s.to_string()))
    };
    if let Some((origin, raw)) = from_env(VariantOrigin::ArchbenchVariants) {
        // One spec per line: `;` belongs to torch:/cmake:/Nix specs themselves.
        let specs = spec::split_list(&raw);
        return Ok(Selection {
            origin,
            raw: Some(raw),
            specs,
        });
    }
    if let Some((origin, raw)) = from_env(VariantOrigin::TorchCudaArchList) {
        let specs = vec![format!("torch:{}", raw.trim())];
        return Ok(Selection {
            origin,
            raw: Some(raw),
            specs,
        });
    }
    if let Some((origin, raw)) = from_env(VariantOrigin::CmakeCudaArchitectures) {
        let specs = vec![format!("cmake:{}", raw.trim())];
        return Ok(Selection {
            origin,
            raw: Some(raw),
            specs,
        });
    }
    if let Some((origin, raw)) = from_env(VariantOrigin::CudaComputeCap) {
        let specs = compute_cap_specs(&raw, cuda)?;
        return Ok(Selection {
            origin,
            raw: Some(raw),
            specs,
        });
    }
    let given: Vec<String> = from_build_rs
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if !given.is_empty() {
        return Ok(Selection {
            origin: VariantOrigin::BuildScript,
            raw: None,
            specs: given,
        });
    }
    Ok(Selection {
        origin: VariantOrigin::Default,
        raw: None,
        specs: default_specs(cuda),
    })
}

/// Parses and validates the selection's specs (archbench-core's parsers and Nixpkgs rules,
/// as root archbench's `validate` does); warnings become `cargo:warning`s.
pub(crate) fn resolve(
    env: &BuildEnv,
    sel: &Selection,
    cuda: CudaVersion,
    release: &str,
) -> Result<Vec<Variant>, BuildError> {
    let ctx = SpecContext { default_cuda: cuda };
    let opts = ValidateOptions::default();
    let origin = sel.origin.to_string();
    let mut out: Vec<Variant> = Vec::new();
    // The spec each variant of `out` came from, for naming a collision.
    let mut from: Vec<String> = Vec::new();
    for s in &sel.specs {
        if torch_native(s) {
            return Err(native_error(sel.origin, sel.raw.as_deref().unwrap_or(s)));
        }
        // Variant files (`.nix`, `.toml`, `.json`) are relative to the crate root, and the
        // build reruns when one changes.
        let parsed_as = match variant_file(s) {
            Some(rel) => {
                let p = env.manifest_dir().join(rel);
                env.directive(&format!("rerun-if-changed={}", p.display()));
                p.to_string_lossy().into_owned()
            }
            None => s.clone(),
        };
        for entry in spec::parse(&parsed_as, &ctx) {
            let mut diags = entry.diagnostics.clone();
            if diags.iter().any(|d| d.code == Code::CmakeNativeNeedsGpu) {
                return Err(native_error(sel.origin, sel.raw.as_deref().unwrap_or(s)));
            }
            if let Some(v) = &entry.variant {
                diags.extend(validate::validate(v, &opts));
            }
            let who = match &entry.variant {
                Some(v) if v.name != *s => format!("`{}` (from `{s}`)", v.name),
                _ => format!("`{s}`"),
            };
            for d in diags.iter().filter(|d| !d.is_error()) {
                env.warning(&format!("archbench-build: variant {who}: {}", d.message));
            }
            match entry.variant {
                Some(v) if validate::is_valid(&diags) => {
                    if v.cuda != cuda {
                        env.warning(&format!("archbench-build: variant `{}` asks for CUDA {} but the toolchain is CUDA {cuda} ({release}); it is built with the toolchain's nvcc", v.name, v.cuda));
                    }
                    if let Some(i) = out.iter().position(|o| o.name == v.name) {
                        return Err(BuildError::DuplicateVariant {
                            name: v.name,
                            origin,
                            first: from[i].clone(),
                            second: s.clone(),
                        });
                    }
                    out.push(v);
                    from.push(s.clone());
                }
                v => {
                    let mut text = String::new();
                    for d in diags.iter().filter(|d| d.is_error()) {
                        let _ = writeln!(text, "  {d}");
                    }
                    let extra_help = (sel.origin == VariantOrigin::ArchbenchVariants)
                        .then(|| spec::list_separator_help(s))
                        .flatten();
                    return Err(BuildError::InvalidVariant {
                        origin: origin.clone(),
                        spec: v.map_or_else(|| s.clone(), |v| v.name),
                        diagnostics: text.trim_end().to_string(),
                        extra_help,
                    });
                }
            }
        }
    }
    if out.is_empty() {
        return Err(BuildError::NoVariants { origin });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUDA: CudaVersion = CudaVersion::new(13, 0);

    fn env(vars: &[(&str, &str)]) -> BuildEnv {
        let mut e = BuildEnv::new("/nonexistent", "/nonexistent", "t").cargo_directives(false);
        for (k, v) in vars {
            e = e.var(k, *v);
        }
        e
    }

    fn pick(vars: &[(&str, &str)], given: &[&str]) -> Selection {
        let given: Vec<String> = given.iter().map(|s| s.to_string()).collect();
        select(&env(vars), &given, CUDA).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn precedence_is_the_documented_table() {
        let all = [
            ("ARCHBENCH_VARIANTS", "pkgsCuda"),
            ("TORCH_CUDA_ARCH_LIST", "8.0;9.0+PTX"),
            ("CMAKE_CUDA_ARCHITECTURES", "80-real;90"),
            ("CUDA_COMPUTE_CAP", "80,90"),
        ];
        let given = ["pkgsForCudaArch.sm_86"];
        let s = pick(&all, &given);
        assert_eq!(
            (s.origin, s.specs),
            (
                VariantOrigin::ArchbenchVariants,
                vec!["pkgsCuda".to_string()]
            )
        );
        let s = pick(&all[1..], &given);
        assert_eq!(
            (s.origin, s.specs),
            (
                VariantOrigin::TorchCudaArchList,
                vec!["torch:8.0;9.0+PTX".to_string()]
            )
        );
        let s = pick(&all[2..], &given);
        assert_eq!(
            (s.origin, s.specs),
            (
                VariantOrigin::CmakeCudaArchitectures,
                vec!["cmake:80-real;90".to_string()]
            )
        );
        let s = pick(&all[3..], &given);
        assert_eq!(s.origin, VariantOrigin::CudaComputeCap);
        assert_eq!(s.specs, ["pkgsForCudaArch.sm_80", "pkgsForCudaArch.sm_90"]);
        let s = pick(&[], &given);
        assert_eq!(
            (s.origin, s.specs),
            (
                VariantOrigin::BuildScript,
                vec!["pkgsForCudaArch.sm_86".to_string()]
            )
        );
        let s = pick(&[("TORCH_CUDA_ARCH_LIST", "  ")], &[]);
        assert_eq!(s.origin, VariantOrigin::Default);
        assert_eq!(s.specs, default_specs(CUDA));
    }

    /// The default matrix: the default capabilities, sm_90a, pkgsCuda, and PTX only of the
    /// oldest default capability, of Ampere and of Hopper.
    #[test]
    fn default_matrix_for_cuda_13() {
        let d = default_specs(CUDA);
        assert_eq!(d.first().map(String::as_str), Some("pkgsForCudaArch.sm_75"));
        assert_eq!(
            &d[d.len() - 5..],
            [
                "pkgsForCudaArch.sm_90a",
                "pkgsCuda",
                "cmake:75-virtual",
                "cmake:80-virtual",
                "cmake:90-virtual"
            ]
        );
        let ok = resolve(&env(&[]), &pick(&[], &[]), CUDA, "13.0.88")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(ok.len(), d.len());
    }

    #[test]
    fn compute_cap_spellings() {
        let s = pick(&[("CUDA_COMPUTE_CAP", "90")], &[]);
        assert_eq!(s.specs, ["pkgsForCudaArch.sm_90"]);
        let s = pick(&[("CUDA_COMPUTE_CAP", "8.6, sm_89 90a")], &[]);
        assert_eq!(
            s.specs,
            [
                "pkgsForCudaArch.sm_86",
                "pkgsForCudaArch.sm_89",
                "pkgsForCudaArch.sm_90a"
            ]
        );
        let s = pick(&[("CUDA_COMPUTE_CAP", "all")], &[]);
        assert!(s.specs.len() >= 8, "{:?}", s.specs);
        assert!(
            s.specs.contains(&"pkgsForCudaArch.sm_120".to_string()),
            "{:?}",
            s.specs
        );
        let v = resolve(&env(&[]), &s, CUDA, "13.0.88").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(v.len(), s.specs.len());
        let e = select(&env(&[("CUDA_COMPUTE_CAP", "nine")]), &[], CUDA).unwrap_err();
        let d = format!("{e:?}");
        assert!(
            d.contains("CUDA_COMPUTE_CAP") && d.contains("`nine`"),
            "{d}"
        );
    }

    #[test]
    fn native_is_refused_everywhere() {
        for (var, value) in [
            ("CUDA_COMPUTE_CAP", "native"),
            ("TORCH_CUDA_ARCH_LIST", "native"),
            ("CMAKE_CUDA_ARCHITECTURES", "native"),
            ("ARCHBENCH_VARIANTS", "cmake:native"),
        ] {
            let e = select(&env(&[(var, value)]), &[], CUDA)
                .and_then(|s| resolve(&env(&[]), &s, CUDA, "13.0.88"))
                .unwrap_err();
            let d = format!("{e:?}");
            assert!(d.contains(var) && d.contains("never probes a GPU"), "{d}");
            assert!(
                d.contains("CUDA_COMPUTE_CAP=90") && d.contains("archbench predict"),
                "{d}"
            );
        }
        // `all-major` is a list, not a probe.
        let s = pick(&[("CMAKE_CUDA_ARCHITECTURES", "all-major")], &[]);
        assert!(resolve(&env(&[]), &s, CUDA, "13.0.88").is_ok());
    }

    #[test]
    fn invalid_specs_name_the_variable_and_the_diagnostic() {
        let s = pick(&[("TORCH_CUDA_ARCH_LIST", "8.0;Amper")], &[]);
        let e = resolve(&env(&[]), &s, CUDA, "13.0.88").unwrap_err();
        let d = format!("{e:?}");
        assert!(d.contains("TORCH_CUDA_ARCH_LIST"), "{d}");
        assert!(d.contains("Unknown CUDA arch (Amper)"), "{d}");
        let s = pick(
            &[("ARCHBENCH_VARIANTS", "pkgsCuda;pkgsForCudaArch.sm_90")],
            &[],
        );
        let e = resolve(&env(&[]), &s, CUDA, "13.0.88").unwrap_err();
        let d = format!("{e:?}");
        assert!(d.contains("from ARCHBENCH_VARIANTS is not valid"), "{d}");
        assert!(d.contains("one spec per line"), "{d}");
        let s = pick(&[("ARCHBENCH_VARIANTS", "pkgsCuda\npkgsCuda")], &[]);
        let e = resolve(&env(&[]), &s, CUDA, "13.0.88").unwrap_err();
        assert!(e.to_string().contains("listed twice"), "{e}");
        // Two Nix attrsets that build differently are two variants, named by what they build.
        let a = r#"{ cudaSupport = true; cudaCapabilities = [ "8.6" ]; }"#;
        let b =
            r#"{ cudaSupport = true; cudaCapabilities = [ "9.0" ]; cudaForwardCompat = false; }"#;
        let s = pick(&[("ARCHBENCH_VARIANTS", &format!("{a}\n{b}"))], &[]);
        let v = resolve(&env(&[]), &s, CUDA, "13.0.88").unwrap();
        let names: Vec<&str> = v.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["nix:8.6+PTX", "nix:9.0"]);
        // Two that build the same: the error names both specs.
        let c = r#"{ cudaCapabilities = [ "8.6" ]; cudaSupport = true; }"#;
        let s = pick(&[("ARCHBENCH_VARIANTS", &format!("{a}\n{c}"))], &[]);
        let e = resolve(&env(&[]), &s, CUDA, "13.0.88")
            .unwrap_err()
            .to_string();
        assert!(e.contains("variant `nix:8.6+PTX` is listed twice"), "{e}");
        assert!(e.contains(a) && e.contains(c), "{e}");
    }
}
