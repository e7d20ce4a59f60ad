//! Asking a toolchain what it supports: `nvcc --list-gpu-code`, and for every capability
//! whether its ptxas assembles a trivial PTX entry for that target.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use super::{ToolKind, Toolchain, ToolchainError};
use crate::capability::Capability;
use crate::db;

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Toolchain {
    /// `nvcc --list-gpu-code` (`sm_75 sm_80 …`); `None` for ptxas-only toolchains.
    pub fn list_gpu_code(&self) -> Result<Option<Vec<String>>, ToolchainError> {
        if self.kind != ToolKind::Nvcc {
            return Ok(None);
        }
        let out = Command::new(&self.bin)
            .arg("--list-gpu-code")
            .output()
            .map_err(|e| ToolchainError::Run {
                path: self.bin.clone(),
                source: e,
            })?;
        Ok(Some(
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        ))
    }

    /// Whether this toolchain's ptxas assembles code for `cap` (`ptxas -arch=sm_XX`).
    pub fn accepts(&self, cap: Capability) -> Result<bool, ToolchainError> {
        let rel = db::release(self.version).ok_or(ToolchainError::UnknownRelease(self.version))?;
        let ptx = format!(
            ".version {}\n.target {}\n.address_size 64\n.visible .entry archbench_probe()\n{{\n  ret;\n}}\n",
            rel.ptx_isa_string(),
            cap.sm()
        );
        let dir = scratch_dir()?;
        let src = dir.join(format!("probe-{}.ptx", cap.dotless()));
        std::fs::write(&src, ptx).map_err(|e| ToolchainError::Io {
            path: src.clone(),
            source: e,
        })?;
        let ptxas = self.ptxas();
        let out = Command::new(&ptxas)
            .arg(format!("-arch={}", cap.sm()))
            .arg(&src)
            .arg("-o")
            .arg(dir.join(format!("probe-{}.cubin", cap.dotless())))
            .output()
            .map_err(|e| ToolchainError::Run {
                path: ptxas.clone(),
                source: e,
            })?;
        let _ = std::fs::remove_dir_all(&dir);
        Ok(out.status.success())
    }

    /// Every table capability this toolchain accepts.
    pub fn supported_capabilities(&self) -> Result<Vec<Capability>, ToolchainError> {
        let mut out = Vec::new();
        for i in db::CAPABILITIES {
            if self.accepts(i.capability)? {
                out.push(i.capability);
            }
        }
        Ok(out)
    }
}

fn scratch_dir() -> Result<PathBuf, ToolchainError> {
    let d = std::env::temp_dir().join(format!(
        "archbench-probe-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&d).map_err(|e| ToolchainError::Io {
        path: d.clone(),
        source: e,
    })?;
    Ok(d)
}
