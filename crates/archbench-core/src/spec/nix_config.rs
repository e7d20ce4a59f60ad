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

pub fn parse(text: &str, name: &str, ctx: &SpecContext) -> SpecEntry {
    match parse_inner(text, name, ctx) {
        Ok((v, d)) => SpecEntry::ok(v, d),
        Err(Failure::Parse(e)) => SpecEntry::failed(e.into_diagnostic("the Nix config", text)),
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

fn parse_inner(
    text: &str,
    name: &str,
    ctx: &SpecContext,
) -> Result<(Variant, Vec<Diagnostic>), Failure> {
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
    let mut cuda_support = None;
    let mut caps_value = None;
    let mut forward_compat = true;
    for (key, val) in &attrs {
        match key.as_str() {
            "cudaSupport" => cuda_support = Some(expect_bool(text, key, val)?),
            "cudaForwardCompat" => forward_compat = expect_bool(text, key, val)?,
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
    match cuda_support {
        Some(false) => {
            return Err(Failure::Diag(
                Diagnostic::error(
                    Code::CudaSupportDisabled,
                    "`cudaSupport = false`: Nixpkgs builds nothing for CUDA with this config",
                )
                .with_help("set `cudaSupport = true;` (what `pkgsCuda` does)"),
            ))
        }
        None => diags.push(
            Diagnostic::warning(
                Code::CudaSupportDisabled,
                "`cudaSupport` is not set; Nixpkgs defaults it to false and builds without CUDA",
            )
            .with_help("add `cudaSupport = true;` (what `pkgsCuda` does); archbench assumes it"),
        ),
        Some(true) => {}
    }
    let mut capabilities = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    let mut given = false;
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
        given = !items.is_empty();
        if items.is_empty() {
            diags.push(
                Diagnostic::warning(Code::EmptyCapabilities, format!("`cudaCapabilities = [ ]` means Nixpkgs' defaults for CUDA {}", ctx.default_cuda))
                    .with_help("list capabilities such as `[ \"8.9\" ]`, or drop the attribute to make the default explicit"),
            );
        }
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
    }
    if !unknown.is_empty() {
        let help = unknown
            .iter()
            .map(|u| match Capability::parse_dotless(u) {
                Ok(c) => format!("\"{u}\" is written \"{c}\" in Nixpkgs"),
                Err(_) => format!("\"{u}\" is not of the form \"MAJOR.MINOR\" (with optional a/f)"),
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
    if !given {
        capabilities = db::default_capabilities(ctx.default_cuda);
    }
    Ok((
        Variant::nix(
            name.to_string(),
            ctx.default_cuda,
            capabilities,
            forward_compat,
            None,
            Origin::NixConfig,
        ),
        diags,
    ))
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
