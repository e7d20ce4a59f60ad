//! Nixpkgs `config` attrsets (`{ cudaSupport = true; cudaCapabilities = [ "8.9" ]; }`), inline
//! or from a `.nix` file, turned into a variant with Nixpkgs' defaults for what is unset.

use super::nix_expr::{self, Spanned, Value};
use super::{nearest, SpecContext, SpecEntry};
use crate::capability::Capability;
use crate::db;
use crate::diagnostic::{Code, Diagnostic, ParseError};
use crate::variant::{Origin, Variant};

/// Config attributes that are fine to meet and do not concern CUDA.
const OTHER_KNOWN: &[&str] = &[
    "allowUnfree",
    "allowUnfreePredicate",
    "allowBroken",
    "allowUnsupportedSystem",
    "rocmSupport",
    "permittedInsecurePackages",
    "enableParallelBuildingByDefault",
];
const CUDA_ATTRS: &[&str] = &["cudaSupport", "cudaCapabilities", "cudaForwardCompat"];

/// The CUDA attributes of a Nixpkgs `config`, as far as they are set (`None` = unset, so
/// Nixpkgs' default applies). Variants (`pkgsCuda`, `pkgsForCudaArch.sm_X`) are applied on
/// top of one with [`Config::overlay`], as `pkgs/top-level/variants.nix` does with
/// `super.config // { … }`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `cudaSupport`.
    pub cuda_support: Option<bool>,
    /// `cudaCapabilities` exactly as written (an empty list means the defaults).
    pub capabilities: Option<Vec<Capability>>,
    /// `cudaForwardCompat`.
    pub forward_compat: Option<bool>,
}

impl Config {
    /// `self // other`: every attribute `other` sets wins.
    pub fn overlay(&self, other: &Config) -> Config {
        Config {
            cuda_support: other.cuda_support.or(self.cuda_support),
            capabilities: other
                .capabilities
                .clone()
                .or_else(|| self.capabilities.clone()),
            forward_compat: other.forward_compat.or(self.forward_compat),
        }
    }

    /// What `pkgsCuda` sets (`variants.nix`: `cudaSupport = true; rocmSupport = false;`).
    pub fn pkgs_cuda() -> Config {
        Config {
            cuda_support: Some(true),
            ..Config::default()
        }
    }

    /// What `pkgsForCudaArch.sm_X` sets (`variants.nix`: `cudaSupport = true;
    /// cudaForwardCompat = false; cudaCapabilities = [ X ];`).
    pub fn for_cuda_arch(cap: Capability) -> Config {
        Config {
            cuda_support: Some(true),
            capabilities: Some(vec![cap]),
            forward_compat: Some(false),
        }
    }

    /// The variant Nixpkgs builds from this config with CUDA `cuda`: `cudaCapabilities` if
    /// non-empty (as given), else the defaults; `cudaForwardCompat` defaulting to true.
    pub fn resolve(
        &self,
        name: String,
        cuda: crate::version::CudaVersion,
        package: Option<String>,
        origin: Origin,
    ) -> Variant {
        let capabilities = match &self.capabilities {
            Some(l) if !l.is_empty() => l.clone(),
            _ => db::default_capabilities(cuda),
        };
        Variant::nix(
            name,
            cuda,
            capabilities,
            self.forward_compat.unwrap_or(true),
            package,
            origin,
        )
    }

    /// The warnings and errors about `cudaSupport` and an empty `cudaCapabilities`; `Err`
    /// when `cudaSupport = false` (nothing is built for CUDA).
    pub fn check(&self, cuda: crate::version::CudaVersion) -> Result<Vec<Diagnostic>, Diagnostic> {
        let mut diags = Vec::new();
        match self.cuda_support {
            Some(false) => {
                return Err(Diagnostic::error(
                    Code::CudaSupportDisabled,
                    "`cudaSupport = false`: Nixpkgs builds nothing for CUDA with this config",
                )
                .with_help("set `cudaSupport = true;` (what `pkgsCuda` does)"))
            }
            None => diags.push(
                Diagnostic::warning(
                    Code::CudaSupportDisabled,
                    "`cudaSupport` is not set; Nixpkgs defaults it to false and builds without CUDA",
                )
                .with_help(
                    "add `cudaSupport = true;` or start the path with `pkgsCuda` (what Nixpkgs' variants do); archbench assumes it",
                ),
            ),
            Some(true) => {}
        }
        if self.capabilities.as_ref().is_some_and(Vec::is_empty) {
            diags.push(
                Diagnostic::warning(Code::EmptyCapabilities, format!("`cudaCapabilities = [ ]` means Nixpkgs' defaults for CUDA {cuda}"))
                    .with_help("list capabilities such as `[ \"8.9\" ]`, or drop the attribute to make the default explicit"),
            );
        }
        Ok(diags)
    }
}

/// Parses a Nix config spec and resolves it with `ctx`'s CUDA version, on top of `base`
/// (`--config`): `base // this`.
pub fn parse(text: &str, name: &str, ctx: &SpecContext, base: &Config) -> SpecEntry {
    let (config, mut diags) = match parse_config(text) {
        Ok(x) => x,
        Err(d) => return SpecEntry::failed(d),
    };
    let config = base.overlay(&config);
    match config.check(ctx.default_cuda) {
        Ok(more) => diags.extend(more),
        Err(d) => return SpecEntry::failed(d),
    }
    SpecEntry::ok(
        config.resolve(name.to_string(), ctx.default_cuda, None, Origin::NixConfig),
        diags,
    )
}

/// The name of an inline Nix config's variant, from what it builds: `nix:8.7,8.9+PTX` (the
/// capabilities, then `+PTX` with forward compatibility), so that two configs that build
/// differently never share a name.
pub fn name_of(v: &Variant) -> String {
    let caps: Vec<String> = v.capabilities.iter().map(|c| c.to_string()).collect();
    format!(
        "nix:{}{}",
        caps.join(","),
        if v.ptx.is_empty() { "" } else { "+PTX" }
    )
}

/// Reads the CUDA attributes of a Nix config attrset (inline text or a file's contents).
/// Problems with the text come back as one diagnostic; unknown attributes as warnings.
pub fn parse_config(text: &str) -> Result<(Config, Vec<Diagnostic>), Diagnostic> {
    parse_inner(text).map_err(|f| match f {
        Failure::Parse(e) => e.into_diagnostic("the Nix config", text),
        Failure::Diag(d) => d,
    })
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

fn parse_inner(text: &str) -> Result<(Config, Vec<Diagnostic>), Failure> {
    let root = nix_expr::parse(text)?;
    let Value::Attrs(mut attrs) = root.value else {
        return Err(ParseError::at(
            text,
            root.offset,
            format!(
                "expected an attribute set `{{ … }}`, found {}",
                root.value.type_name()
            ),
        )
        .into());
    };
    // `{ config = { … }; }` (the argument to `import <nixpkgs>`) is accepted too.
    if let Some(pos) = attrs.iter().position(|(k, _)| k == "config") {
        match attrs.remove(pos).1 {
            Spanned {
                value: Value::Attrs(inner),
                ..
            } => attrs.extend(inner),
            other => {
                return Err(ParseError::at(
                    text,
                    other.offset,
                    format!(
                        "`config` must be an attribute set, found {}",
                        other.value.type_name()
                    ),
                )
                .into())
            }
        }
    }
    let mut diags = Vec::new();
    let mut config = Config::default();
    let mut caps_value = None;
    for (key, val) in &attrs {
        match key.as_str() {
            "cudaSupport" => config.cuda_support = Some(expect_bool(text, key, val)?),
            "cudaForwardCompat" => config.forward_compat = Some(expect_bool(text, key, val)?),
            "cudaCapabilities" => caps_value = Some(val),
            k if OTHER_KNOWN.contains(&k) => {}
            k => {
                let mut d = Diagnostic::warning(
                    Code::UnknownConfigAttribute,
                    format!("`{k}` is not a CUDA config attribute archbench reads; it is ignored"),
                );
                if let Some(n) = nearest(k, CUDA_ATTRS.iter().copied()) {
                    d = d.with_help(format!("did you mean `{n}`?"));
                }
                diags.push(d);
            }
        }
    }
    if let Some(val) = caps_value {
        let Value::List(items) = &val.value else {
            return Err(ParseError::at(
                text,
                val.offset,
                format!(
                    "`cudaCapabilities` must be a list of strings, found {}",
                    val.value.type_name()
                ),
            )
            .into());
        };
        let mut capabilities = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        for item in items {
            let Value::Str(s) = &item.value else {
                return Err(ParseError::at(
                    text,
                    item.offset,
                    format!(
                        "capabilities are strings such as \"8.9\", found {}",
                        item.value.type_name()
                    ),
                )
                .into());
            };
            match s.parse::<Capability>() {
                Ok(c) => capabilities.push(c),
                Err(_) => unknown.push(s.clone()),
            }
        }
        if !unknown.is_empty() {
            let help = unknown
                .iter()
                .map(|u| match Capability::parse_dotless(u) {
                    Ok(c) => format!("\"{u}\" is written \"{c}\" in Nixpkgs"),
                    Err(_) => {
                        format!("\"{u}\" is not of the form \"MAJOR.MINOR\" (with optional a/f)")
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            return Err(Failure::Diag(
                Diagnostic::error(
                    Code::UnknownCapability,
                    format!(
                        "Requested unrecognized CUDA capabilities: {}",
                        json_list(&unknown)
                    ),
                )
                .with_help(help),
            ));
        }
        config.capabilities = Some(capabilities);
    }
    Ok((config, diags))
}

fn expect_bool(text: &str, key: &str, val: &Spanned) -> Result<bool, Failure> {
    match val.value {
        Value::Bool(b) => Ok(b),
        _ => Err(ParseError::at(
            text,
            val.offset,
            format!(
                "`{key}` must be true or false, found {}",
                val.value.type_name()
            ),
        )
        .into()),
    }
}

/// Nix's `toJSON` of a list of strings, as Nixpkgs' messages print it.
pub(crate) fn json_list<S: AsRef<str>>(items: &[S]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|s| format!("\"{}\"", s.as_ref()))
        .collect();
    format!("[{}]", parts.join(","))
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

    fn parse(text: &str, name: &str, ctx: &SpecContext) -> SpecEntry {
        super::parse(text, name, ctx, &Config::default())
    }

    #[test]
    fn reads_the_three_attributes() {
        let e = parse(
            r#"{ cudaSupport = true; cudaCapabilities = [ "7.5" "8.6" ]; }"#,
            "x",
            &ctx(),
        );
        let v = e.variant.unwrap();
        assert!(e.diagnostics.is_empty());
        assert!(v.forward_compat);
        assert_eq!(v.ptx, ["8.6".parse().unwrap()]);
        let e = parse(
            r#"{ config = { cudaSupport = true; cudaForwardCompat = false; }; }"#,
            "x",
            &ctx(),
        );
        let v = e.variant.unwrap();
        assert_eq!(v.capabilities.len(), 7);
        assert!(v.ptx.is_empty());
    }

    #[test]
    fn problems() {
        let e = parse(
            r#"{ cudaSupport = true; cudaCapabilities = [ "89" "x" ]; }"#,
            "x",
            &ctx(),
        );
        assert_eq!(e.diagnostics[0].code, Code::UnknownCapability);
        assert_eq!(
            e.diagnostics[0].message,
            r#"Requested unrecognized CUDA capabilities: ["89","x"]"#
        );
        assert!(e.diagnostics[0].help.as_ref().unwrap().contains("\"8.9\""));
        let e = parse(r#"{ cudaSupport = false; }"#, "x", &ctx());
        assert_eq!(e.diagnostics[0].code, Code::CudaSupportDisabled);
        let e = parse(
            r#"{ cudaSupport = true; cudaCapability = [ ]; }"#,
            "x",
            &ctx(),
        );
        assert_eq!(e.diagnostics[0].code, Code::UnknownConfigAttribute);
        assert!(e.diagnostics[0]
            .help
            .as_ref()
            .unwrap()
            .contains("cudaCapabilities"));
        let e = parse(r#"{ cudaSupport = "yes"; }"#, "x", &ctx());
        assert!(
            e.diagnostics[0].message.contains("column 17"),
            "{:?}",
            e.diagnostics
        );
        let e = parse(
            r#"{ cudaSupport = true; cudaCapabilities = [ ]; }"#,
            "x",
            &ctx(),
        );
        assert_eq!(e.diagnostics[0].code, Code::EmptyCapabilities);
        assert_eq!(e.variant.unwrap().capabilities.len(), 7);
    }
}
