//! The build manifest `build.rs` writes and the binary embeds: which variants were compiled,
//! with which toolchain and flags, how big each image is, how long it took, and what ptxas
//! reported per kernel per architecture (registers, spills, shared memory).

use serde::{Deserialize, Serialize};

pub const MANIFEST_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildManifest {
    pub manifest_version: u32,
    /// Why kernels were not built (`ARCHBENCH_SKIP_KERNELS=1`), if they were not.
    pub skipped: Option<String>,
    pub nvcc: Option<NvccInfo>,
    pub variants: Vec<VariantBuild>,
    /// Wall time of the kernel build step, seconds.
    pub wall_seconds: f64,
    /// Parallel nvcc jobs used.
    pub jobs: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NvccInfo {
    pub path: String,
    /// `13.0.88`.
    pub release: String,
    /// `13.0`.
    pub cuda: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantBuild {
    /// The variant's name (its spec, or the name from a variant file).
    pub name: String,
    /// The CUDA version the variant asked for.
    pub cuda_requested: String,
    /// The CUDA version of the nvcc that built it (its PTX has that release's ISA).
    pub cuda_built: String,
    pub capabilities: Vec<String>,
    pub ptx: Vec<String>,
    pub forward_compat: bool,
    /// Exactly the `-gencode=` flags passed to nvcc.
    pub gencode: Vec<String>,
    pub files: Vec<FileBuild>,
}

impl VariantBuild {
    pub fn embedded_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.fatbin_bytes).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileBuild {
    /// The kernel source under `kernels/`.
    pub file: String,
    pub fatbin_bytes: u64,
    /// nvcc wall time, seconds (of the build that produced the cached image).
    pub compile_seconds: f64,
    /// Reused from the content-addressed cache instead of compiled in this build.
    pub cached: bool,
    pub kernels: Vec<PtxasKernel>,
}

/// One `ptxas -v` report: a kernel compiled for one architecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PtxasKernel {
    pub name: String,
    /// `sm_90a`.
    pub arch: String,
    pub registers: u32,
    pub spill_stores: u32,
    pub spill_loads: u32,
    pub stack_bytes: u32,
    pub smem_bytes: u32,
}

/// Parses the `ptxas info` lines nvcc prints with `-Xptxas -v`.
pub fn parse_ptxas_verbose(text: &str) -> Vec<PtxasKernel> {
    let mut out: Vec<PtxasKernel> = Vec::new();
    let mut current: Option<PtxasKernel> = None;
    for line in text.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("ptxas info    : Compiling entry function '") {
            if let Some(k) = current.take() {
                out.push(k);
            }
            let mut parts = rest.splitn(2, "' for '");
            let name = parts.next().unwrap_or("").to_string();
            let arch = parts
                .next()
                .unwrap_or("")
                .trim_end_matches('\'')
                .to_string();
            current = Some(PtxasKernel {
                name,
                arch,
                registers: 0,
                spill_stores: 0,
                spill_loads: 0,
                stack_bytes: 0,
                smem_bytes: 0,
            });
        } else if let Some(k) = current.as_mut() {
            if l.contains("bytes stack frame") {
                for part in l.split(',') {
                    let n = leading_number(part.trim());
                    if part.contains("stack frame") {
                        k.stack_bytes = n;
                    } else if part.contains("spill stores") {
                        k.spill_stores = n;
                    } else if part.contains("spill loads") {
                        k.spill_loads = n;
                    }
                }
            } else if let Some(rest) = l.strip_prefix("ptxas info    : Used ") {
                for part in rest.split(',') {
                    let p = part.trim();
                    if p.ends_with("registers") {
                        k.registers = leading_number(p);
                    } else if p.ends_with("bytes smem") {
                        k.smem_bytes = leading_number(p);
                    }
                }
            }
        }
    }
    out.extend(current);
    out
}

fn leading_number(s: &str) -> u32 {
    let d: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    d.parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real nvcc 13.0 output (`-Xptxas -v`, two kernels, two targets).
    const LOG: &str = "ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'k2' for 'sm_89'
ptxas info    : Function properties for k2
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 8 registers, used 0 barriers, 360 bytes cmem[0]
ptxas info    : Compile time = 1.414 ms
ptxas info    : Compiling entry function 'tile' for 'sm_90a'
ptxas info    : Function properties for tile
    16 bytes stack frame, 4 bytes spill stores, 8 bytes spill loads
ptxas info    : Used 10 registers, used 1 barriers, 4096 bytes smem
ptxas info    : Compile time = 1.109 ms
";

    #[test]
    fn parses_real_ptxas_output() {
        let k = parse_ptxas_verbose(LOG);
        assert_eq!(k.len(), 2);
        assert_eq!(
            k[0],
            PtxasKernel {
                name: "k2".into(),
                arch: "sm_89".into(),
                registers: 8,
                spill_stores: 0,
                spill_loads: 0,
                stack_bytes: 0,
                smem_bytes: 0
            }
        );
        assert_eq!(
            k[1],
            PtxasKernel {
                name: "tile".into(),
                arch: "sm_90a".into(),
                registers: 10,
                spill_stores: 4,
                spill_loads: 8,
                stack_bytes: 16,
                smem_bytes: 4096
            }
        );
        assert!(parse_ptxas_verbose("garbage\nptxas info    : Used x registers").is_empty());
    }
}
