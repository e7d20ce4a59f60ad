//! Every CUDA 13.x row of the release and capability tables checked against that release's
//! real `nvidia-cuda-nvcc` wheel from PyPI (ptxas and `nvcc --list-gpu-code` only: ~45 MB a
//! release, installed once into archbench's toolchain cache; these tests fail, never skip,
//! when a wheel cannot be had):
//! - the row's PTX ISA is the newest `.version` that release's ptxas assembles;
//! - the table's NVIDIA range for every capability equals what that ptxas accepts;
//! - `nvcc --list-gpu-code` lists exactly the table's plain targets for the release.
//!
//! (13.0 is the pinned full toolchain, checked by `toolchain_oracle.rs`.)

use std::path::{Path, PathBuf};
use std::process::Command;

use archbench_core::toolchain::install_wheels;
use archbench_core::{db, Capability, CudaVersion, Suffix};

/// The wheel of each release after 13.0 (the newest build of each on PyPI).
const WHEELS: &[(u16, u16, &str)] = &[
    (13, 1, "nvidia-cuda-nvcc==13.1.115"),
    (13, 2, "nvidia-cuda-nvcc==13.2.86"),
    (13, 3, "nvidia-cuda-nvcc==13.3.73"),
    (13, 4, "nvidia-cuda-nvcc==13.4.92"),
    (13, 5, "nvidia-cuda-nvcc==13.5.37"),
];

fn bin_dir(v: CudaVersion, wheel: &str) -> PathBuf {
    let ptxas = install_wheels(&format!("nvcc-{v}"), v, &[wheel], "nvidia/cu13/bin/ptxas")
        .unwrap_or_else(|e| {
            panic!(
                "CUDA {v} wheel {wheel} unavailable: {e}\nhelp: {}",
                e.help()
            )
        });
    ptxas.parent().map(Path::to_path_buf).unwrap()
}

fn assembles(ptxas: &Path, isa: (u8, u8), cap: Capability, dir: &Path) -> bool {
    let src = dir.join(format!("p-{}-{}{}.ptx", cap.dotless(), isa.0, isa.1));
    std::fs::write(
        &src,
        format!(
            ".version {}.{}\n.target {}\n.address_size 64\n.visible .entry p()\n{{\n  ret;\n}}\n",
            isa.0,
            isa.1,
            cap.sm()
        ),
    )
    .unwrap();
    Command::new(ptxas)
        .arg(format!("-arch={}", cap.sm()))
        .arg(&src)
        .arg("-o")
        .arg(src.with_extension("cubin"))
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn every_13x_release_matches_its_wheel() {
    // Every release the table knows after 13.0 has a wheel here, and vice versa.
    let rows: Vec<CudaVersion> = db::RELEASES
        .iter()
        .map(|r| r.version)
        .filter(|v| *v > CudaVersion::new(13, 0))
        .collect();
    let wheels: Vec<CudaVersion> = WHEELS.iter().map(|w| CudaVersion::new(w.0, w.1)).collect();
    assert_eq!(rows, wheels, "release table and wheels disagree");
    let handles: Vec<_> = WHEELS
        .iter()
        .map(|&(a, b, wheel)| {
            std::thread::spawn(move || -> Vec<String> {
                let v = CudaVersion::new(a, b);
                let rel = db::release(v).unwrap();
                let bin = bin_dir(v, wheel);
                let ptxas = bin.join("ptxas");
                let dir =
                    std::env::temp_dir().join(format!("archbench-rel-{}-{v}", std::process::id()));
                std::fs::create_dir_all(&dir).unwrap();
                let mut wrong = Vec::new();
                // PTX ISA: the row's version assembles, the next minor does not.
                let sm75 = Capability::plain(7, 5);
                if !assembles(&ptxas, rel.ptx_isa, sm75, &dir) {
                    wrong.push(format!(
                        "{v}: ptxas refuses .version {}",
                        rel.ptx_isa_string()
                    ));
                }
                if assembles(&ptxas, (rel.ptx_isa.0, rel.ptx_isa.1 + 1), sm75, &dir) {
                    wrong.push(format!(
                        "{v}: ptxas accepts .version {}.{}, newer than the table's {}",
                        rel.ptx_isa.0,
                        rel.ptx_isa.1 + 1,
                        rel.ptx_isa_string()
                    ));
                }
                // Capabilities.
                for info in db::CAPABILITIES {
                    let real = assembles(&ptxas, rel.ptx_isa, info.capability, &dir);
                    if real != info.nvidia_supports(v) {
                        wrong.push(format!(
                            "{v}: ptxas {} {}, table says {}",
                            if real { "accepts" } else { "refuses" },
                            info.capability.sm(),
                            info.nvidia_supports(v)
                        ));
                    }
                    if info.nix_supports(v) && !real {
                        wrong.push(format!(
                            "{v}: Nixpkgs supports {} but ptxas refuses it",
                            info.capability
                        ));
                    }
                }
                // nvcc's own list of real targets.
                let out = Command::new(bin.join("nvcc"))
                    .arg("--list-gpu-code")
                    .output()
                    .unwrap();
                let mut listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
                listed.sort();
                let mut table: Vec<String> = db::CAPABILITIES
                    .iter()
                    .filter(|i| i.capability.suffix == Suffix::None && i.nvidia_supports(v))
                    .map(|i| i.capability.sm())
                    .collect();
                table.sort();
                if listed != table {
                    wrong.push(format!("{v}: nvcc lists {listed:?}, table {table:?}"));
                }
                let _ = std::fs::remove_dir_all(&dir);
                wrong
            })
        })
        .collect();
    let wrong: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A release after the newest known one gets a clear error naming the newest.
#[test]
fn unknown_future_release_names_the_newest() {
    let newest = db::newest_release().version;
    let next = CudaVersion::new(newest.major, newest.minor + 1);
    let d = archbench_core::validate::unknown_release(next);
    assert!(
        d.message.contains(&format!(
            "newer than every CUDA release archbench knows (the newest is {newest})"
        )),
        "{}",
        d.message
    );
}
