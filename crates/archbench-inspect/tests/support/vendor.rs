//! Real vendor libraries from PyPI wheels, installed into archbench's toolchain cache on first
//! use (never into the repository), and cuobjdump's view of them: shared by the vendor tests
//! and the inspect benchmark.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use archbench_core::toolchain::{cuobjdump, install_named, toolchains_dir};

/// One pinned wheel and the library inside it.
pub struct Lib {
    /// Cache directory name.
    pub dir: &'static str,
    pub wheel: &'static str,
    /// The library, relative to the install directory.
    pub file: &'static str,
}

/// bitsandbytes 0.50.2: one library per CUDA 11.8 … 13.2 build (4–27 MB each, wheel ~60 MB);
/// built with `-rdc`, so each has `__nv_relfatbin` besides `.nv_fatbin`.
pub const BNB: &str = "bitsandbytes==0.50.2";
pub const BNB_DIR: &str = "bitsandbytes-0.50.2";
pub const BNB_CUDAS: [&str; 7] = ["118", "121", "124", "126", "128", "130", "132"];

pub fn bnb(cuda: &str) -> PathBuf {
    install(&Lib {
        dir: BNB_DIR,
        wheel: BNB,
        file: Box::leak(format!("bitsandbytes/libbitsandbytes_cuda{cuda}.so").into_boxed_str()),
    })
}

/// cuRAND 10.3 for CUDA 12 (167 MB): fatbins in `.nv_fatbin` only.
pub const CURAND_12: Lib = Lib {
    dir: "lib-curand-cu12-10.3.10.19",
    wheel: "nvidia-curand-cu12==10.3.10.19",
    file: "nvidia/curand/lib/libcurand.so.10",
};

/// cuFFT 12.0 for CUDA 13 (287 MB): its `.nv_fatbin` is one 672-byte stub; ~24,000 fatbins
/// live in `.ldata`, half of them obfuscated LTO-IR.
pub const CUFFT_12: Lib = Lib {
    dir: "lib-cufft-13-12.0.0.61",
    wheel: "nvidia-cufft==12.0.0.61",
    file: "nvidia/cu13/lib/libcufft.so.12",
};

/// cuSPARSE 12.5 for CUDA 12 (487 MB): 34 fatbins embedded in `.rodata`.
pub const CUSPARSE_12: Lib = Lib {
    dir: "lib-cusparse-cu12-12.5.10.65",
    wheel: "nvidia-cusparse-cu12==12.5.10.65",
    file: "nvidia/cusparse/lib/libcusparse.so.12",
};

/// cuBLAS 13.0 (libcublasLt.so.13, the benchmark's library).
pub const CUBLASLT_13: Lib = Lib {
    dir: "lib-cublas-13-13.0.2.14",
    wheel: "nvidia-cublas==13.0.2.14",
    file: "nvidia/cu13/lib/libcublasLt.so.13",
};

/// cuBLAS 11.11 for CUDA 11 (libcublas.so.11): old-layout sm_50/60/61 cubins with e_flags
/// bit 0x800, and sm_35 (which cuobjdump 13.2 refuses).
pub const CUBLAS_11: Lib = Lib {
    dir: "lib-cublas-cu11-11.11.3.6",
    wheel: "nvidia-cublas-cu11==11.11.3.6",
    file: "nvidia/cublas/lib/libcublas.so.11",
};

/// libcublasLt.so.11 of the same wheel (575 MB): sm_35 … sm_90 cubins.
pub const CUBLASLT_11: Lib = Lib {
    dir: "lib-cublas-cu11-11.11.3.6",
    wheel: "nvidia-cublas-cu11==11.11.3.6",
    file: "nvidia/cublas/lib/libcublasLt.so.11",
};

/// Installs (or finds) `lib`; panics (the test fails) when PyPI cannot provide it.
pub fn install(lib: &Lib) -> PathBuf {
    install_named(lib.dir, lib.wheel, &[lib.wheel], lib.file)
        .unwrap_or_else(|e| panic!("{} must be installable from PyPI: {e}", lib.wheel))
}

/// Runs a command, panicking with its stderr when it fails.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn cuobjdump_bin() -> PathBuf {
    cuobjdump().expect("cuobjdump must be installable from PyPI")
}

/// Debian 12's non-free `nvidia-cuda-toolkit` 11.8.89 package, which holds cuobjdump 11.8
/// (the last that reads sm_35 cubins; PyPI has no CUDA 11 cuobjdump): file name and SHA-256
/// from bookworm's `non-free/binary-amd64/Packages`.
const DEBIAN_CUDA_11_8: (&str, &str) = (
    "nvidia-cuda-toolkit_11.8.89~11.8.0-5~deb12u1_amd64.deb",
    "d1156026e704fe0368b6295db06224ed00a727966fb13454f34e3f3102db0457",
);

/// cuobjdump 11.8, unpacked (not installed) from [`DEBIAN_CUDA_11_8`] into archbench's
/// toolchain cache on first use: downloaded with python3 from deb.debian.org (or
/// snapshot.debian.org), checked against its SHA-256, `usr/bin/cuobjdump` taken out of the
/// `.deb` (an `ar` archive holding `data.tar.xz`). Panics (the test fails) when it cannot.
pub fn cuobjdump_11_8() -> PathBuf {
    let dir = toolchains_dir().join("cuobjdump-11.8-debian");
    let bin = dir.join("cuobjdump");
    if bin.is_file() {
        return bin;
    }
    std::fs::create_dir_all(&dir).expect("toolchain cache is writable");
    let (file, sha) = DEBIAN_CUDA_11_8;
    let script = r#"
import hashlib, io, lzma, os, sys, tarfile, urllib.request
file, sha, out = sys.argv[1:4]
urls = ["http://deb.debian.org/debian/pool/non-free/n/nvidia-cuda-toolkit/" + file,
        "https://snapshot.debian.org/archive/debian/20250520T000000Z/pool/non-free/n/nvidia-cuda-toolkit/" + file]
deb, errors = None, []
for u in urls:
    try:
        deb = urllib.request.urlopen(u, timeout=300).read()
        if hashlib.sha256(deb).hexdigest() == sha:
            break
        errors.append(u + ": SHA-256 differs")
        deb = None
    except Exception as e:
        errors.append(u + ": " + str(e))
if deb is None:
    sys.exit("cannot download " + file + ": " + "; ".join(errors))
assert deb[:8] == b"!<arch>\n", "not an ar archive"
at, data = 8, None
while at + 60 <= len(deb):
    name, size = deb[at:at + 16].strip().rstrip(b"/"), int(deb[at + 48:at + 58])
    if name.startswith(b"data.tar"):
        data = deb[at + 60:at + 60 + size]
    at += 60 + size + (size & 1)
with tarfile.open(fileobj=io.BytesIO(data)) as t:
    member = t.getmember("./usr/bin/cuobjdump")
    blob = t.extractfile(member).read()
tmp = out + ".part"
with open(tmp, "wb") as f:
    f.write(blob)
os.chmod(tmp, 0o755)
os.replace(tmp, out)
"#;
    let st = Command::new("python3")
        .args(["-c", script, file, sha])
        .arg(&bin)
        .status()
        .unwrap_or_else(|e| panic!("python3 is needed to fetch cuobjdump 11.8: {e}"));
    assert!(
        st.success() && bin.is_file(),
        "cuobjdump 11.8 could not be fetched from Debian"
    );
    bin
}

/// cuobjdump's list lines, `ELF file    1: libx.1.sm_80.cubin` → `ELF libx.1.sm_80.cubin`.
pub fn cuobjdump_list(file: &Path, all: bool) -> Vec<String> {
    let (lines, ok) = cuobjdump_list_lenient(file, all);
    assert!(
        ok,
        "cuobjdump --list-elf --list-ptx failed on {}",
        file.display()
    );
    lines
}

/// [`cuobjdump_list`] that also returns what cuobjdump listed before failing, and whether it
/// succeeded (cuobjdump 13.2 stops with "Invalid ELF" on bitsandbytes' CUDA 12.1 build).
pub fn cuobjdump_list_lenient(file: &Path, all: bool) -> (Vec<String>, bool) {
    cuobjdump_list_by(&cuobjdump_bin(), file, all)
}

/// [`cuobjdump_list_lenient`] with the cuobjdump at `tool`.
pub fn cuobjdump_list_by(tool: &Path, file: &Path, all: bool) -> (Vec<String>, bool) {
    let mut cmd = Command::new(tool);
    if all {
        cmd.arg("-all");
    }
    let out = cmd
        .args(["--list-elf", "--list-ptx"])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cuobjdump: {e}"));
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (head, name) = l.split_once(": ")?;
            let kind = head.split_whitespace().next()?;
            Some(format!("{kind} {}", name.trim()))
        })
        .collect();
    (lines, out.status.success())
}

/// `cuobjdump -res-usage`: per cubin, its (kernel, registers, shared bytes), sorted.
/// When cuobjdump fails part-way, the cubins it finished are returned (the last one, cut
/// short, is dropped).
pub fn res_usage(file: &Path, all: bool) -> Vec<Vec<(String, u32, u64)>> {
    res_usage_by(&cuobjdump_bin(), file, all)
}

/// [`res_usage`] with the cuobjdump at `tool`.
pub fn res_usage_by(tool: &Path, file: &Path, all: bool) -> Vec<Vec<(String, u32, u64)>> {
    let mut cmd = Command::new(tool);
    if all {
        cmd.arg("-all");
    }
    let raw = cmd
        .arg("-res-usage")
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cuobjdump: {e}"));
    let out = String::from_utf8_lossy(&raw.stdout);
    let mut v: Vec<Vec<(String, u32, u64)>> = Vec::new();
    let mut name = None;
    for line in out.lines() {
        let line = line.trim();
        if line.starts_with("Fatbin elf code") {
            v.push(Vec::new());
        } else if let Some(n) = line.strip_prefix("Function ") {
            name = Some(n.trim_end_matches(':').to_string());
        } else if let (Some(n), true) = (&name, line.starts_with("REG:")) {
            let field = |k: &str| -> u64 {
                line.split_whitespace()
                    .find_map(|w| w.strip_prefix(k))
                    .and_then(|x| x.parse().ok())
                    .unwrap_or_else(|| panic!("odd -res-usage line {line}"))
            };
            if v.is_empty() {
                v.push(Vec::new());
            }
            if let Some(last) = v.last_mut() {
                last.push((n.clone(), field("REG:") as u32, field("SHARED:")));
            }
            name = None;
        }
    }
    if !raw.status.success() {
        v.pop();
    }
    for c in &mut v {
        c.sort();
    }
    v
}
