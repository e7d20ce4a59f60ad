//! The capability table checked against real toolchains: ptxas 11.8, 12.6, 12.8, 12.9 and
//! nvcc 13.0 (installed from PyPI into archbench's cache when missing — these tests fail,
//! never skip, when a toolchain cannot be had), plus the property that every valid CUDA 13.0
//! variant's flags compile a kernel with the real nvcc.

use std::process::Command;

use archbench_core::spec::{self, SpecContext};
use archbench_core::toolchain::{self, ToolKind, Toolchain, PINS};
use archbench_core::validate::{validate, ValidateOptions};
use archbench_core::{db, flags, Capability, CudaVersion, Origin, Variant};

fn get(version: CudaVersion) -> Toolchain {
    toolchain::install(version).unwrap_or_else(|e| {
        panic!(
            "CUDA {version} toolchain unavailable: {e}\nhelp: {}",
            e.help()
        )
    })
}

#[test]
fn table_matches_every_real_toolchain() {
    let handles: Vec<_> = PINS
        .iter()
        .map(|p| {
            let v = p.version;
            std::thread::spawn(move || {
                let t = get(v);
                assert_eq!(t.version, v);
                let mut wrong = Vec::new();
                for info in db::CAPABILITIES {
                    let real = t.accepts(info.capability).unwrap();
                    if real != info.nvidia_supports(v) {
                        wrong.push(format!(
                            "{}: ptxas {} says {real}, table says {}",
                            info.capability.sm(),
                            t.release,
                            !real
                        ));
                    }
                    // Nixpkgs never claims what the toolchain refuses.
                    if info.nix_supports(v) {
                        assert!(
                            real,
                            "Nixpkgs supports {} with CUDA {v} but ptxas {} refuses it",
                            info.capability, t.release
                        );
                    }
                }
                wrong
            })
        })
        .collect();
    let wrong: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(
        wrong.is_empty(),
        "table disagrees with real toolchains:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn nvcc_13_lists_exactly_the_plain_targets_of_the_table() {
    let t = get(CudaVersion::new(13, 0));
    assert_eq!(t.kind, ToolKind::Nvcc);
    let mut listed = t.list_gpu_code().unwrap().unwrap();
    listed.sort();
    let mut table: Vec<String> = db::CAPABILITIES
        .iter()
        .filter(|i| {
            i.capability.suffix == archbench_core::Suffix::None && i.nvidia_supports(t.version)
        })
        .map(|i| i.capability.sm())
        .collect();
    table.sort();
    assert_eq!(listed, table);
}

fn compile(t: &Toolchain, v: &Variant) -> (bool, String) {
    let dir =
        std::env::temp_dir().join(format!("archbench-prop-{}-{}", std::process::id(), v.name));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("k.cu");
    std::fs::write(
        &src,
        "extern \"C\" __global__ void k(float* x) { x[threadIdx.x] *= 2.0f; }\n",
    )
    .unwrap();
    let out = Command::new(&t.bin)
        .arg("-fatbin")
        .args(flags::gencode(v))
        .arg(&src)
        .arg("-o")
        .arg(dir.join("k.fatbin"))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A small deterministic generator (xorshift) so the property runs the same cases everywhere.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn every_valid_cuda_13_variant_compiles_with_nvcc_13() {
    let t = get(CudaVersion::new(13, 0));
    let cuda = t.version;
    let opts = ValidateOptions {
        driver: None,
        system: "x86_64-linux".into(),
        nixpkgs: archbench_core::nixpkgs::default_rule_set(),
    };
    // Single capabilities: nvcc accepts exactly the valid ones (plus 8.8/Jetson, which
    // Nixpkgs rejects but NVIDIA builds).
    for info in db::CAPABILITIES {
        let v = Variant::nix(
            info.capability.dotless(),
            cuda,
            vec![info.capability],
            false,
            None,
            Origin::NixConfig,
        );
        let valid = validate(&v, &opts).iter().all(|d| !d.is_error());
        let (ok, err) = compile(&t, &v);
        if valid {
            assert!(
                ok,
                "{} is valid for CUDA 13.0 but nvcc failed: {err}",
                info.capability
            );
        }
        assert_eq!(
            ok,
            info.nvidia_supports(cuda),
            "{}: nvcc {ok}, table {}",
            info.capability,
            info.nvidia_supports(cuda)
        );
    }
    // Random multi-capability variants, forward compat on or off.
    let caps: Vec<Capability> = db::CAPABILITIES.iter().map(|i| i.capability).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut compiled = 0;
    for case in 0..200 {
        let n = 1 + (rng.next() % 4) as usize;
        let list: Vec<Capability> = (0..n)
            .map(|_| caps[(rng.next() % caps.len() as u64) as usize])
            .collect();
        let v = Variant::nix(
            format!("case{case}"),
            cuda,
            list,
            rng.next().is_multiple_of(2),
            None,
            Origin::NixConfig,
        );
        if validate(&v, &opts).iter().any(|d| d.is_error()) {
            continue;
        }
        let (ok, err) = compile(&t, &v);
        assert!(
            ok,
            "valid variant {:?} failed to compile: {err}",
            flags::gencode(&v)
        );
        compiled += 1;
        if compiled == 12 {
            break;
        }
    }
    assert_eq!(compiled, 12, "the generator found too few valid variants");
    // And the spec path end to end: the default Nixpkgs variant.
    let ctx = SpecContext { default_cuda: cuda };
    let v = spec::parse("pkgsCuda", &ctx).remove(0).variant.unwrap();
    assert!(compile(&t, &v).0);
}
