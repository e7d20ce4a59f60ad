//! Compiler flags a variant means, in every dialect users need: Nixpkgs' exact `-gencode`
//! list, Nixpkgs' CMake string and the faithful `-real`/`-virtual` form,
//! `TORCH_CUDA_ARCH_LIST`, and OpenCV's `CUDA_ARCH_BIN`/`CUDA_ARCH_PTX`.

use serde::Serialize;

use crate::capability::Suffix;
use crate::variant::Variant;

/// nvcc's `-gencode` flags, one per element, exactly as Nixpkgs' `formatCapabilities` writes
/// them: SASS for each capability in order, then PTX (for Nixpkgs, the LAST capability).
pub fn gencode(v: &Variant) -> Vec<String> {
    let sass = v
        .capabilities
        .iter()
        .map(|c| format!("-gencode=arch={},code={}", c.compute(), c.sm()));
    let ptx = v
        .ptx
        .iter()
        .map(|c| format!("-gencode=arch={},code={}", c.compute(), c.compute()));
    sass.chain(ptx).collect()
}

/// Nixpkgs' `cmakeCudaArchitecturesString`: dot-less capabilities joined by `;`, no suffix —
/// which makes CMake emit SASS *and* PTX for every entry, whatever forward compat says.
pub fn cmake_nixpkgs(v: &Variant) -> String {
    v.capabilities
        .iter()
        .map(|c| c.dotless())
        .collect::<Vec<_>>()
        .join(";")
}

/// The CMake `CUDA_ARCHITECTURES` value that builds exactly the variant's images:
/// `X-real` for each SASS target, `X-virtual` for each PTX target.
pub fn cmake(v: &Variant) -> String {
    let sass = v
        .capabilities
        .iter()
        .map(|c| format!("{}-real", c.dotless()));
    let ptx = v.ptx.iter().map(|c| format!("{}-virtual", c.dotless()));
    sass.chain(ptx).collect::<Vec<_>>().join(";")
}

/// Why a variant has no `TORCH_CUDA_ARCH_LIST` spelling.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TorchError {
    #[error("PyTorch cannot build a PTX-only target ({0}): `+PTX` always comes with SASS")]
    PtxWithoutSass(String),
    #[error("PyTorch does not accept {0} in TORCH_CUDA_ARCH_LIST")]
    Unsupported(String),
}

/// `TORCH_CUDA_ARCH_LIST`: `X.Y` per SASS target, `+PTX` on those that also get PTX.
pub fn torch(v: &Variant) -> Result<String, TorchError> {
    if let Some(p) = v.ptx.iter().find(|p| !v.capabilities.contains(p)) {
        return Err(TorchError::PtxWithoutSass(p.to_string()));
    }
    if let Some(c) = v
        .capabilities
        .iter()
        .find(|c| !crate::spec::torch::torch_accepts(**c))
    {
        return Err(TorchError::Unsupported(c.to_string()));
    }
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for c in &v.capabilities {
        if seen.contains(c) {
            continue;
        }
        seen.push(*c);
        let ptx = if v.ptx.contains(c) { "+PTX" } else { "" };
        out.push(format!("{c}{ptx}"));
    }
    Ok(out.join(";"))
}

/// OpenCV's CMake options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenCvFlags {
    /// `CUDA_ARCH_BIN`: the SASS targets.
    pub cuda_arch_bin: String,
    /// `CUDA_ARCH_PTX`: the PTX targets (empty for none).
    pub cuda_arch_ptx: String,
}

pub fn opencv(v: &Variant) -> OpenCvFlags {
    let j = |l: &[crate::Capability]| {
        l.iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(";")
    };
    OpenCvFlags {
        cuda_arch_bin: j(&v.capabilities),
        cuda_arch_ptx: j(&v.ptx),
    }
}

/// Every dialect at once (`archbench flags --format json`).
#[derive(Debug, Clone, Serialize)]
pub struct AllFlags {
    pub gencode: Vec<String>,
    pub cmake: String,
    pub cmake_nixpkgs: String,
    /// `null` when PyTorch cannot express the variant; `torch_error` then says why.
    pub torch: Option<String>,
    pub torch_error: Option<String>,
    pub opencv: OpenCvFlags,
}

pub fn all(v: &Variant) -> AllFlags {
    let t = torch(v);
    AllFlags {
        gencode: gencode(v),
        cmake: cmake(v),
        cmake_nixpkgs: cmake_nixpkgs(v),
        torch_error: t.as_ref().err().map(|e| e.to_string()),
        torch: t.ok(),
        opencv: opencv(v),
    }
}

/// Whether the variant carries any `a`/`f` target.
pub fn has_specific_targets(v: &Variant) -> bool {
    v.all_capabilities()
        .iter()
        .any(|c| c.suffix != Suffix::None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variant::Origin;
    use crate::version::CudaVersion;

    fn nix(caps: &[&str], fc: bool) -> Variant {
        Variant::nix(
            "t".into(),
            CudaVersion::new(12, 8),
            caps.iter().map(|c| c.parse().unwrap()).collect(),
            fc,
            None,
            Origin::NixConfig,
        )
    }

    /// Nixpkgs' own test vector (`_cuda/lib` tests): [7.5, 8.6] with forward compat.
    #[test]
    fn nixpkgs_test_vector() {
        let v = nix(&["7.5", "8.6"], true);
        assert_eq!(
            gencode(&v),
            [
                "-gencode=arch=compute_75,code=sm_75",
                "-gencode=arch=compute_86,code=sm_86",
                "-gencode=arch=compute_86,code=compute_86"
            ]
        );
        assert_eq!(cmake_nixpkgs(&v), "75;86");
        assert_eq!(cmake(&v), "75-real;86-real;86-virtual");
        assert_eq!(torch(&v).unwrap(), "7.5;8.6+PTX");
        assert_eq!(
            opencv(&v),
            OpenCvFlags {
                cuda_arch_bin: "7.5;8.6".into(),
                cuda_arch_ptx: "8.6".into()
            }
        );
    }

    #[test]
    fn last_not_highest_and_suffixes() {
        let v = nix(&["10.0a", "8.9"], true);
        assert_eq!(gencode(&v)[2], "-gencode=arch=compute_89,code=compute_89");
        let v = nix(&["8.9", "10.0a"], true);
        assert_eq!(
            gencode(&v)[2],
            "-gencode=arch=compute_100a,code=compute_100a"
        );
        assert_eq!(cmake_nixpkgs(&v), "89;100a");
        let v = nix(&["9.0a"], false);
        assert_eq!(gencode(&v), ["-gencode=arch=compute_90a,code=sm_90a"]);
        assert_eq!(cmake(&v), "90a-real");
        assert!(has_specific_targets(&v));
        let v = nix(&["10.0f"], false);
        assert!(torch(&v).is_err());
    }
}
