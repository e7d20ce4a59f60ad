//! Validation diagnostics: severity, a stable kebab-case code, a message saying what is wrong
//! and a help line saying how to fix it.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// Every diagnostic code. The kebab-case names are a stable contract for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// The spec text could not be parsed (the message gives the column).
    ParseError,
    /// A spec file could not be read.
    FileError,
    /// A capability not in the table (Nixpkgs: "Requested unrecognized CUDA capabilities").
    UnknownCapability,
    /// The capability was dropped before this CUDA version.
    CapabilityTooOld,
    /// The capability needs a newer CUDA version.
    CapabilityTooNew,
    /// The CUDA version is not one this tool knows.
    UnknownCudaVersion,
    /// Jetson capabilities need an aarch64-linux host platform.
    JetsonNeedsAarch64,
    /// Jetson capabilities below the rule set's threshold (pre-Thor 10.1, or pre-SBSA 8.7
    /// from CUDA 13.0 on `master`) mixed with others.
    JetsonMixed,
    /// `nixos-26.05` only: the NVIDIA redist system `getRedistSystem` computes does not fit
    /// the Jetson capabilities (pre-Thor needs linux-aarch64, post-Thor linux-sbsa).
    JetsonRedistSystem,
    /// No capabilities at all.
    EmptyCapabilities,
    /// A capability listed twice.
    DuplicateCapability,
    /// An `a`/`f` capability with forward compatibility on (Nixpkgs does not check this).
    ArchSpecificForwardCompat,
    /// The variant's PTX is newer than the given driver can JIT.
    PtxTooNewForDriver,
    /// `cudaSupport = false`: Nixpkgs builds nothing for CUDA.
    CudaSupportDisabled,
    /// An attribute the Nix config subset does not know.
    UnknownConfigAttribute,
    /// A `TORCH_CUDA_ARCH_LIST` entry PyTorch rejects.
    TorchUnknownArch,
    /// CMake `native` needs a GPU to resolve.
    CmakeNativeNeedsGpu,
    /// SASS for both `X` and `Xf` in one build: nvcc refuses it (found by the nvcc 13.0 oracle).
    PlainAndFamilySass,
}

impl Code {
    pub const ALL: &'static [Code] = &[
        Code::ParseError,
        Code::FileError,
        Code::UnknownCapability,
        Code::CapabilityTooOld,
        Code::CapabilityTooNew,
        Code::UnknownCudaVersion,
        Code::JetsonNeedsAarch64,
        Code::JetsonMixed,
        Code::JetsonRedistSystem,
        Code::EmptyCapabilities,
        Code::DuplicateCapability,
        Code::ArchSpecificForwardCompat,
        Code::PtxTooNewForDriver,
        Code::CudaSupportDisabled,
        Code::UnknownConfigAttribute,
        Code::TorchUnknownArch,
        Code::CmakeNativeNeedsGpu,
        Code::PlainAndFamilySass,
    ];

    /// The stable kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::ParseError => "parse-error",
            Code::FileError => "file-error",
            Code::UnknownCapability => "unknown-capability",
            Code::CapabilityTooOld => "capability-too-old",
            Code::CapabilityTooNew => "capability-too-new",
            Code::UnknownCudaVersion => "unknown-cuda-version",
            Code::JetsonNeedsAarch64 => "jetson-needs-aarch64",
            Code::JetsonMixed => "jetson-mixed",
            Code::JetsonRedistSystem => "jetson-redist-system",
            Code::EmptyCapabilities => "empty-capabilities",
            Code::DuplicateCapability => "duplicate-capability",
            Code::ArchSpecificForwardCompat => "arch-specific-forward-compat",
            Code::PtxTooNewForDriver => "ptx-too-new-for-driver",
            Code::CudaSupportDisabled => "cuda-support-disabled",
            Code::UnknownConfigAttribute => "unknown-config-attribute",
            Code::TorchUnknownArch => "torch-unknown-arch",
            Code::CmakeNativeNeedsGpu => "cmake-native-needs-gpu",
            Code::PlainAndFamilySass => "plain-and-family-sass",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whose rule a finding applies: Nixpkgs' own assertion (quoted), a real toolchain's refusal
/// where Nixpkgs accepts the config (archbench is deliberately stricter), or archbench's own
/// check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    Nixpkgs,
    Nvcc,
    #[default]
    Archbench,
}

/// One finding about a spec or variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
    /// Whose rule this is (`nixpkgs`, `nvcc`, `archbench`).
    #[serde(default)]
    pub basis: Basis,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code,
            message: message.into(),
            help: None,
            basis: Basis::Archbench,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            code,
            message: message.into(),
            help: None,
            basis: Basis::Archbench,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        let tag = match self.basis {
            Basis::Nvcc => " (archbench is stricter than Nixpkgs here)",
            _ => "",
        };
        write!(f, "{sev}[{}]{tag}: {}", self.code, self.message)?;
        if let Some(h) = &self.help {
            for line in h.lines() {
                write!(f, "\n  help: {line}")?;
            }
        }
        Ok(())
    }
}

/// A parse error located in the spec text (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl ParseError {
    pub fn at(text: &str, offset: usize, message: impl Into<String>) -> Self {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Self {
            line,
            column,
            message: message.into(),
        }
    }

    /// Turns the error into a `parse-error` diagnostic with a caret under the column.
    pub fn into_diagnostic(self, what: &str, text: &str) -> Diagnostic {
        let where_ = if text.contains('\n') {
            format!("line {}, column {}", self.line, self.column)
        } else {
            format!("column {}", self.column)
        };
        let src_line = text.lines().nth(self.line - 1).unwrap_or("");
        let caret = format!("{}^", " ".repeat(self.column.saturating_sub(1)));
        Diagnostic::error(
            Code::ParseError,
            format!("cannot parse {what} at {where_}: {}", self.message),
        )
        .with_help(format!("{src_line}\n{caret}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_kebab_case_and_serde_agrees() {
        for c in Code::ALL {
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
    }

    #[test]
    fn parse_error_columns() {
        let e = ParseError::at("ab\ncd", 4, "x");
        assert_eq!((e.line, e.column), (2, 2));
        let d = ParseError::at("torch:8.x", 8, "bad").into_diagnostic("spec", "torch:8.x");
        assert!(d.message.contains("column 9"), "{}", d.message);
        assert_eq!(d.help.as_deref(), Some("torch:8.x\n        ^"));
    }
}
