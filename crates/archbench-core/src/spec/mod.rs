//! Variant specs: every spelling users have for "which GPUs to build for", parsed into
//! [`Variant`]s. Parse problems come back as diagnostics (never panics), so one bad spec
//! does not hide the findings about the others.
//!
//! | spec | example |
//! |---|---|
//! | Nixpkgs attribute path | `pkgsForCudaArch.sm_100.cudaPackages_12_8.pkgs.opencv` |
//! | Nix config attrset | `{ cudaSupport = true; cudaCapabilities = [ "8.9" ]; }` or `cfg.nix` |
//! | PyTorch | `torch:8.0;8.6+PTX`, `torch:Ampere Hopper` |
//! | CMake | `cmake:89-real;90a`, `cmake:all-major` |
//! | variant file | `variants.toml`, `variants.json` |

mod attr_path;
mod cmake;
mod file;
pub mod nix_config;
pub mod nix_expr;
pub mod torch;

use std::path::Path;

pub use nix_config::Config;

use crate::diagnostic::{Code, Diagnostic};
use crate::variant::Variant;
use crate::version::CudaVersion;

/// What parsing needs to know beyond the text.
#[derive(Debug, Clone)]
pub struct SpecContext {
    /// The CUDA version of specs that do not pick one (`--cuda`, else the toolchain's).
    pub default_cuda: CudaVersion,
}

/// One variant a spec produced (or failed to), with what parsing found.
#[derive(Debug, Clone)]
pub struct SpecEntry {
    pub variant: Option<Variant>,
    pub diagnostics: Vec<Diagnostic>,
}

impl SpecEntry {
    fn ok(variant: Variant, diagnostics: Vec<Diagnostic>) -> Self {
        Self {
            variant: Some(variant),
            diagnostics,
        }
    }

    fn failed(d: Diagnostic) -> Self {
        Self {
            variant: None,
            diagnostics: vec![d],
        }
    }
}

/// Parses one spec; a variant file gives several entries, anything else one.
pub fn parse(spec: &str, ctx: &SpecContext) -> Vec<SpecEntry> {
    parse_with(spec, ctx, &Config::default())
}

/// [`parse`] with a user's Nixpkgs config (`--config`) underneath: attribute paths apply
/// their variants on top of it and Nix config specs are merged over it (`base // spec`), as
/// Nixpkgs does. `torch:` and `cmake:` specs do not read it.
pub fn parse_with(spec: &str, ctx: &SpecContext, base: &Config) -> Vec<SpecEntry> {
    let t = spec.trim();
    // Byte offsets handed to the parsers are into `spec` itself: leading whitespace plus the
    // prefix (trailing whitespace stays part of the list, where it separates nothing).
    let lead = spec.len() - spec.trim_start().len();
    if t.starts_with("torch:") {
        vec![torch::parse(spec, lead + "torch:".len(), ctx)]
    } else if t.starts_with("cmake:") {
        vec![cmake::parse(spec, lead + "cmake:".len(), ctx)]
    } else if t.starts_with('{') {
        let mut e = nix_config::parse(t, "nix-config", ctx, base);
        if let Some(v) = e.variant.as_mut() {
            v.name = nix_config::name_of(v);
        }
        vec![e]
    } else if t.ends_with(".nix") || t.ends_with(".toml") || t.ends_with(".json") {
        parse_file(Path::new(t), ctx, base)
    } else {
        vec![attr_path::parse(spec, ctx, base)]
    }
}

/// Reads `--config FILE.nix|ATTRSET`: the Nixpkgs config the specs start from.
pub fn read_config(arg: &str) -> Result<(Config, Vec<Diagnostic>), Diagnostic> {
    let t = arg.trim();
    if t.starts_with('{') {
        return nix_config::parse_config(t);
    }
    let text = crate::fsio::read_text(Path::new(t), crate::fsio::SPEC_FILE_LIMIT).map_err(|e| {
        Diagnostic::error(Code::FileError, format!("--config: {e}")).with_help(
            "--config takes a Nix attrset such as `{ cudaCapabilities = [ \"8.6\" ]; }` or a .nix file holding one",
        )
    })?;
    nix_config::parse_config(&text)
}

/// Splits a list of specs (`ARCHBENCH_VARIANTS`): one spec per line. `;` and spaces belong to
/// the spec grammars themselves (`torch:8.0;8.6+PTX`, `cmake:89;90`, Nix attrsets), so they
/// never separate specs. Blank lines and lines starting with `#` are skipped.
pub fn split_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// When a one-line `ARCHBENCH_VARIANTS` value did not parse and holds `;`, the help line that
/// says how lists are written now; `None` otherwise.
pub fn list_separator_help(text: &str) -> Option<String> {
    let t = text.trim();
    if t.contains('\n') || !t.contains(';') {
        return None;
    }
    let parts: Vec<&str> = t
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    Some(format!(
        "ARCHBENCH_VARIANTS holds one spec per line; `;` is part of torch:/cmake:/Nix specs, so it does not separate specs. Write ARCHBENCH_VARIANTS=$'{}' (or a variant file, `ARCHBENCH_VARIANTS=variants.toml`)",
        parts.join("\\n")
    ))
}

fn parse_file(path: &Path, ctx: &SpecContext, base: &Config) -> Vec<SpecEntry> {
    let text = match crate::fsio::read_text(path, crate::fsio::SPEC_FILE_LIMIT) {
        Ok(t) => t,
        Err(e) => {
            return vec![SpecEntry::failed(
                Diagnostic::error(Code::FileError, e.to_string()).with_help(
                    "check the path; specs ending in .nix, .toml or .json are read as files",
                ),
            )]
        }
    };
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("variant")
        .to_string();
    match path.extension().and_then(|e| e.to_str()) {
        Some("nix") => vec![nix_config::parse(&text, &stem, ctx, base)],
        Some("json") => file::parse_with(&text, file::Format::Json, Some(path), ctx, base),
        _ => file::parse_with(&text, file::Format::Toml, Some(path), ctx, base),
    }
}

/// Parses the text of a variant file (TOML, or JSON when `json`), as if read from a file
/// with no directory (for fuzzing and for callers that hold the text already).
pub fn parse_variant_file_text(text: &str, json: bool, ctx: &SpecContext) -> Vec<SpecEntry> {
    let format = if json {
        file::Format::Json
    } else {
        file::Format::Toml
    };
    file::parse_with(text, format, None, ctx, &Default::default())
}

/// Nearest known spelling for a user's `word` among `candidates` (edit distance ≤ 3).
pub(crate) fn nearest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Surrounding whitespace and non-ASCII text never shift the offsets the torch and cmake
    /// parsers slice at (a panic before), and valid lists with trailing blanks stay valid.
    #[test]
    fn offsets_survive_whitespace_and_non_ascii() {
        let ctx = SpecContext {
            default_cuda: CudaVersion::new(13, 0),
        };
        for s in [
            "torch:é ",
            " torch:é",
            "torch:é\t\n",
            "cmake:ü ",
            " cmake:89é ",
            "torch:8.0;é  ",
            "torch:  ",
            "cmake: ",
            "\u{a0}torch:8.0\u{a0}",
        ] {
            let e = parse(s, &ctx);
            assert_eq!(e.len(), 1, "{s:?}");
        }
        for s in [
            "torch:8.0 ",
            " torch:8.0;8.6+PTX  ",
            "cmake:89 ",
            "  cmake:89-real;90a \n",
        ] {
            let e = &parse(s, &ctx)[0];
            assert!(e.variant.is_some(), "{s:?}: {:?}", e.diagnostics);
            assert!(
                e.diagnostics
                    .iter()
                    .all(|d| d.severity != crate::diagnostic::Severity::Error),
                "{s:?}: {:?}",
                e.diagnostics
            );
        }
    }

    /// `ARCHBENCH_VARIANTS`: one spec per line, so torch/cmake lists and Nix attrsets keep
    /// their `;`; a one-line `a;b` that fails says how to write it.
    #[test]
    fn spec_lists_split_on_lines() {
        let l = split_list("torch:8.0;8.6+PTX\n  { cudaSupport = true; cudaCapabilities = [ \"8.9\" ]; }\n\n# c\npkgsCuda\n");
        assert_eq!(l.len(), 3);
        let ctx = SpecContext {
            default_cuda: CudaVersion::new(13, 0),
        };
        for s in &l {
            assert!(parse(s, &ctx)[0].variant.is_some(), "{s}");
        }
        let h = list_separator_help("pkgsCuda;pkgsForCudaArch.sm_90").unwrap();
        assert!(h.contains("$'pkgsCuda\\npkgsForCudaArch.sm_90'"), "{h}");
        assert!(list_separator_help("pkgsCuda").is_none());
    }

    #[test]
    fn nearest_words() {
        assert_eq!(
            nearest("cudaCapability", ["cudaCapabilities", "cudaSupport"]),
            Some("cudaCapabilities")
        );
        assert_eq!(nearest("zzzzzzzz", ["cudaSupport"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
