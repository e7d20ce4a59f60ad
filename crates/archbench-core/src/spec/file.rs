//! Variant files (TOML or JSON) holding a list of named variants, each either a spec string
//! or explicit Nixpkgs-style fields:
//!
//! ```toml
//! [[variant]]
//! name = "hopper"
//! spec = "pkgsForCudaArch.sm_90a"
//!
//! [[variant]]
//! name = "fleet"
//! cuda = "12.8"
//! capabilities = ["8.9", "9.0"]
//! forward_compat = true
//! ```

use serde::Deserialize;

use super::{nix_config::json_list, Config, SpecContext, SpecEntry};
use crate::capability::Capability;
use crate::diagnostic::{Code, Diagnostic};
use crate::variant::{Origin, Variant};
use crate::version::CudaVersion;

#[derive(Debug, Clone, Copy)]
pub enum Format {
    Toml,
    Json,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantFile {
    #[serde(alias = "variants")]
    variant: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JsonFile {
    List(Vec<Entry>),
    Table(VariantFile),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: Option<String>,
    spec: Option<String>,
    cuda: Option<String>,
    capabilities: Option<Vec<String>>,
    forward_compat: Option<bool>,
    package: Option<String>,
}

const HELP: &str = "a variant file is a list of `[[variant]]` tables with `name` and either `spec = \"…\"` or `capabilities = [\"8.9\"]` (plus optional `cuda`, `forward_compat`, `package`)";

/// Parses a variant file's text (tests; the crate goes through [`parse_with`]). `file` is where it came from: errors name it, and a
/// `spec = "cfg.nix"` in it is read relative to the file, not to the current directory.
#[cfg(test)]
pub fn parse(
    text: &str,
    format: Format,
    file: Option<&std::path::Path>,
    ctx: &SpecContext,
) -> Vec<SpecEntry> {
    parse_with(text, format, file, ctx, &Config::default())
}

/// [`parse`] with a user's config (`--config`) under every entry's spec.
pub fn parse_with(
    text: &str,
    format: Format,
    file: Option<&std::path::Path>,
    ctx: &SpecContext,
    base: &Config,
) -> Vec<SpecEntry> {
    let dir = file.and_then(|f| f.parent());
    let at = file.map_or_else(String::new, |f| format!("`{}`: ", f.display()));
    let entries = match format {
        Format::Toml => toml::from_str::<VariantFile>(text)
            .map(|f| f.variant)
            .map_err(|e| e.to_string()),
        Format::Json => serde_json::from_str::<JsonFile>(text)
            .map(|f| match f {
                JsonFile::List(l) => l,
                JsonFile::Table(t) => t.variant,
            })
            .map_err(|e| format!("line {}, column {}: {e}", e.line(), e.column())),
    };
    let entries = match entries {
        Ok(e) => e,
        Err(msg) => {
            return vec![SpecEntry::failed(
                Diagnostic::error(
                    Code::ParseError,
                    format!("{at}cannot parse the variant file: {}", msg.trim()),
                )
                .with_help(HELP),
            )]
        }
    };
    if entries.is_empty() {
        return vec![SpecEntry::failed(
            Diagnostic::error(
                Code::EmptyCapabilities,
                format!("{at}the variant file lists no variants"),
            )
            .with_help(HELP),
        )];
    }
    entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| entry(i, e, dir, ctx, base))
        .collect()
}

fn entry(
    i: usize,
    e: Entry,
    dir: Option<&std::path::Path>,
    ctx: &SpecContext,
    base: &Config,
) -> SpecEntry {
    let label = e
        .name
        .clone()
        .unwrap_or_else(|| format!("variant #{}", i + 1));
    let mut ctx = ctx.clone();
    if let Some(c) = &e.cuda {
        match c.parse::<CudaVersion>() {
            Ok(v) => ctx.default_cuda = v,
            Err(err) => {
                return SpecEntry::failed(
                    Diagnostic::error(Code::ParseError, format!("{label}: {err}")).with_help(HELP),
                )
            }
        }
    }
    let mut out = match (&e.spec, &e.capabilities) {
        (Some(spec), None) => {
            if spec.ends_with(".toml") || spec.ends_with(".json") {
                return SpecEntry::failed(
                    Diagnostic::error(
                        Code::ParseError,
                        format!("{label}: a variant file cannot include another (`{spec}`)"),
                    )
                    .with_help(HELP),
                );
            }
            let resolved;
            let spec = match dir {
                Some(d)
                    if spec.trim().ends_with(".nix")
                        && std::path::Path::new(spec.trim()).is_relative() =>
                {
                    resolved = d.join(spec.trim()).display().to_string();
                    resolved.as_str()
                }
                _ => spec.as_str(),
            };
            let mut entries = super::parse_with(spec, &ctx, base);
            if entries.len() != 1 {
                return SpecEntry::failed(Diagnostic::error(
                    Code::ParseError,
                    format!("{label}: `{spec}` is not a single variant"),
                ));
            }
            let mut one = entries.remove(0);
            if let Some(v) = one.variant.as_mut() {
                if e.cuda.is_some() {
                    v.cuda = ctx.default_cuda;
                }
                if e.forward_compat.is_some() {
                    return SpecEntry::failed(Diagnostic::error(Code::ParseError, format!("{label}: `forward_compat` goes with `capabilities`, not with `spec`")).with_help(HELP));
                }
            }
            one
        }
        (None, Some(list)) => {
            let (ok, bad): (Vec<_>, Vec<_>) = list
                .iter()
                .map(|s| (s, s.parse::<Capability>()))
                .partition(|(_, r)| r.is_ok());
            if !bad.is_empty() {
                let names: Vec<&String> = bad.iter().map(|(s, _)| *s).collect();
                return SpecEntry::failed(Diagnostic::error(Code::UnknownCapability, format!("{label}: Requested unrecognized CUDA capabilities: {}", json_list(&names))).with_help("capabilities are written \"MAJOR.MINOR\" with an optional a/f, e.g. \"8.9\""));
            }
            let caps: Vec<Capability> = ok.into_iter().filter_map(|(_, r)| r.ok()).collect();
            let mut diags = Vec::new();
            if caps.is_empty() {
                diags.push(
                    Diagnostic::error(
                        Code::EmptyCapabilities,
                        format!("{label}: `capabilities` is empty"),
                    )
                    .with_help(HELP),
                );
            }
            SpecEntry::ok(
                Variant::nix(
                    label.clone(),
                    ctx.default_cuda,
                    caps,
                    e.forward_compat.unwrap_or(true),
                    None,
                    Origin::NixConfig,
                ),
                diags,
            )
        }
        _ => {
            return SpecEntry::failed(
                Diagnostic::error(
                    Code::ParseError,
                    format!("{label}: give exactly one of `spec` and `capabilities`"),
                )
                .with_help(HELP),
            )
        }
    };
    if let Some(v) = out.variant.as_mut() {
        if let Some(n) = e.name {
            v.name = n;
        }
        if e.package.is_some() {
            v.package = e.package;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> SpecContext {
        SpecContext {
            default_cuda: CudaVersion::new(13, 0),
        }
    }

    #[test]
    fn toml_and_json() {
        let t = r#"
[[variant]]
name = "hopper"
spec = "pkgsForCudaArch.sm_90a"

[[variant]]
name = "fleet"
cuda = "12.8"
capabilities = ["8.9", "9.0"]
package = "opencv"
"#;
        let e = parse(t, Format::Toml, None, &ctx());
        assert_eq!(e.len(), 2);
        let v0 = e[0].variant.as_ref().unwrap();
        assert_eq!(v0.name, "hopper");
        assert!(!v0.forward_compat);
        let v1 = e[1].variant.as_ref().unwrap();
        assert_eq!(v1.cuda, CudaVersion::new(12, 8));
        assert_eq!(v1.ptx, ["9.0".parse().unwrap()]);
        assert_eq!(v1.package.as_deref(), Some("opencv"));

        let j = r#"[{"name":"a","spec":"torch:8.0+PTX"},{"capabilities":["8.9"],"forward_compat":false}]"#;
        let e = parse(j, Format::Json, None, &ctx());
        assert_eq!(e[1].variant.as_ref().unwrap().name, "variant #2");
    }

    #[test]
    fn bad_files() {
        let e = parse("[[variant]]\nnam = 1\n", Format::Toml, None, &ctx());
        assert_eq!(e[0].diagnostics[0].code, Code::ParseError);
        assert!(
            e[0].diagnostics[0].message.contains("line 2"),
            "{}",
            e[0].diagnostics[0].message
        );
        let e = parse(
            "[{\"spec\":\"pkgsCuda\",\"capabilities\":[]}]",
            Format::Json,
            None,
            &ctx(),
        );
        assert!(e[0].diagnostics[0].message.contains("exactly one"));
        let e = parse("{\"variant\": [ }", Format::Json, None, &ctx());
        assert!(e[0].diagnostics[0].message.contains("line 1, column"));
        let e = parse(
            "[[variant]]\ncuda = \"x\"\nspec = \"pkgsCuda\"\n",
            Format::Toml,
            None,
            &ctx(),
        );
        assert!(e[0].diagnostics[0].message.contains("not a CUDA version"));
    }

    /// Errors name the file, and `spec = "x.nix"` is read next to the variant file.
    #[test]
    fn paths_are_the_files_own() {
        let dir = std::env::temp_dir().join(format!("archbench-vf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("cfg.nix"),
            "{ cudaSupport = true; cudaCapabilities = [ \"8.9\" ]; }",
        )
        .unwrap();
        let vf = dir.join("v.toml");
        let e = parse(
            "[[variant]]\nname = \"x\"\nspec = \"cfg.nix\"\n",
            Format::Toml,
            Some(&vf),
            &ctx(),
        );
        let v = e[0].variant.as_ref().expect("cfg.nix found next to v.toml");
        assert_eq!(v.capabilities.len(), 1);
        let e = parse(
            "{\"variant\": [ }",
            Format::Json,
            Some(&dir.join("v.json")),
            &ctx(),
        );
        assert!(
            e[0].diagnostics[0]
                .message
                .contains("v.json`: cannot parse"),
            "{:?}",
            e[0].diagnostics
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
