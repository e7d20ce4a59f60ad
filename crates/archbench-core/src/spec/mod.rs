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
    let t = spec.trim();
    // Byte offsets handed to the parsers are into `spec` itself: leading whitespace plus the
    // prefix (trailing whitespace stays part of the list, where it separates nothing).
    let lead = spec.len() - spec.trim_start().len();
    if t.starts_with("torch:") {
        vec![torch::parse(spec, lead + "torch:".len(), ctx)]
    } else if t.starts_with("cmake:") {
        vec![cmake::parse(spec, lead + "cmake:".len(), ctx)]
    } else if t.starts_with('{') {
        vec![nix_config::parse(t, "nix-config", ctx)]
    } else if t.ends_with(".nix") || t.ends_with(".toml") || t.ends_with(".json") {
        parse_file(Path::new(t), ctx)
    } else {
        vec![attr_path::parse(spec, ctx)]
    }
}

fn parse_file(path: &Path, ctx: &SpecContext) -> Vec<SpecEntry> {
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
        Some("nix") => vec![nix_config::parse(&text, &stem, ctx)],
        Some("json") => file::parse(&text, file::Format::Json, Some(path), ctx),
        _ => file::parse(&text, file::Format::Toml, Some(path), ctx),
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
    file::parse(text, format, None, ctx)
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

fn edit_distance(a: &str, b: &str) -> usize {
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
