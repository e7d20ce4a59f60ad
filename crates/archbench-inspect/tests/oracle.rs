//! Cross-checks against real NVIDIA tools: fatbins built by nvcc 13.0 with many gencode and
//! compression combinations, cubins from ptxas 12.6 / 12.9 / 13.0 (both e_flags layouts), and a
//! shared library from a PyPI wheel, each compared with `cuobjdump --list-elf --list-ptx` and
//! `cuobjdump -res-usage`. Tools are installed through archbench's toolchain code; a test fails
//! (never skips) when one cannot be had.

use std::path::{Path, PathBuf};
use std::process::Command;

use archbench_core::toolchain::{self, cuobjdump, install_wheels};
use archbench_core::{Capability, CudaVersion, Suffix};
use archbench_inspect::{read, Binary, Codec, ImageKind, Options};

const KERNELS: &str = r#"
__global__ void add(float* a, const float* b, int n) {
    __shared__ float s[128];
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    s[threadIdx.x % 128] = b[i];
    __syncthreads();
    if (i < n) a[i] += s[(threadIdx.x + 1) % 128];
}
__global__ void scale(float* a, float k, int n) { int i = threadIdx.x; if (i < n) a[i] *= k; }
"#;
const NAMES: [&str; 2] = ["_Z3addPfPKfi", "_Z5scalePffi"];

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("archbench-inspect-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(cmd: &mut Command) -> String {
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

/// `(ELF names, PTX names)` as cuobjdump lists them: `sm_90a`, `sm_100` (no `f`).
fn cuobjdump_list(file: &Path) -> (Vec<String>, Vec<String>) {
    let cuobjdump = cuobjdump().expect("cuobjdump must be installable from PyPI");
    let out = run(Command::new(cuobjdump)
        .args(["--list-elf", "--list-ptx"])
        .arg(file));
    let (mut elf, mut ptx) = (Vec::new(), Vec::new());
    for line in out.lines() {
        let Some((head, name)) = line.split_once(": ") else {
            continue;
        };
        let arch = name
            .rsplit('.')
            .nth(1)
            .unwrap_or_else(|| panic!("odd cuobjdump line {line}"))
            .to_string();
        if head.starts_with("ELF file") {
            elf.push(arch);
        } else if head.starts_with("PTX file") {
            ptx.push(arch);
        }
    }
    (elf, ptx)
}

/// Our images in cuobjdump's spelling (it shows `a` but not `f`).
fn our_list(bytes: &[u8], opts: Options) -> (Vec<String>, Vec<String>) {
    let bin = read(bytes, opts).expect("archbench must read what nvcc wrote");
    let name = |c: Capability| {
        let c = if c.suffix == Suffix::Family {
            c.base()
        } else {
            c
        };
        c.sm()
    };
    let pick = |k: ImageKind| {
        bin.images
            .iter()
            .filter(|i| i.kind == k)
            .map(|i| name(i.arch.expect("arch")))
            .collect::<Vec<_>>()
    };
    (pick(ImageKind::Sass), pick(ImageKind::Ptx))
}

/// `cuobjdump -res-usage`: (kernel, registers, shared bytes), in order.
fn res_usage(file: &Path) -> Vec<(String, u32, u64)> {
    let out = run(Command::new(cuobjdump().unwrap())
        .arg("-res-usage")
        .arg(file));
    let mut v = Vec::new();
    let mut name = None;
    for line in out.lines() {
        let line = line.trim();
        if let Some(n) = line.strip_prefix("Function ") {
            name = Some(n.trim_end_matches(':').to_string());
        } else if let (Some(n), true) = (&name, line.starts_with("REG:")) {
            let field = |k: &str| -> u64 {
                line.split_whitespace()
                    .find_map(|w| w.strip_prefix(k))
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            v.push((n.clone(), field("REG:") as u32, field("SHARED:")));
            name = None;
        }
    }
    v
}

fn nvcc() -> PathBuf {
    toolchain::install(CudaVersion::new(13, 0))
        .expect("CUDA 13.0 nvcc must be installable from PyPI")
        .bin
}

/// A fatbin nvcc 13.0 builds: (name, nvcc arguments, expected codec of cubins, expected
/// codec of PTX).
type Case = (
    &'static str,
    &'static [&'static str],
    Option<Codec>,
    Option<Codec>,
);

const ZSTD: Option<Codec> = Some(Codec::Zstd);
const LZ4: Option<Codec> = Some(Codec::Lz4);

/// Gencode and compression combinations, with the codecs nvcc 13.0 picks for them.
const FATBIN_CASES: &[Case] = &[
    (
        "plain",
        &[
            "-gencode=arch=compute_75,code=sm_75",
            "-gencode=arch=compute_90a,code=sm_90a",
            "-gencode=arch=compute_90,code=compute_90",
        ],
        None,
        ZSTD,
    ),
    (
        "many",
        &[
            "-gencode=arch=compute_80,code=[sm_80,sm_86,sm_89]",
            "-gencode=arch=compute_100a,code=[sm_100a,compute_100a]",
            "-gencode=arch=compute_120f,code=sm_120f",
            "-gencode=arch=compute_75,code=compute_75",
        ],
        None,
        ZSTD,
    ),
    (
        "family",
        &[
            "-gencode=arch=compute_100f,code=[sm_100f,sm_103f]",
            "-gencode=arch=compute_100,code=compute_100",
        ],
        None,
        ZSTD,
    ),
    (
        "compress-all",
        &[
            "-gencode=arch=compute_86,code=sm_86",
            "-gencode=arch=compute_120,code=compute_120",
            "-Xfatbin",
            "-compress-all",
        ],
        ZSTD,
        ZSTD,
    ),
    (
        "speed",
        &[
            "-gencode=arch=compute_80,code=sm_80",
            "-gencode=arch=compute_90,code=compute_90",
            "--compress-mode=speed",
        ],
        None,
        LZ4,
    ),
    (
        "speed-all",
        &[
            "-gencode=arch=compute_90,code=[sm_90,compute_90]",
            "--compress-mode=speed",
            "-Xfatbin",
            "-compress-all",
        ],
        LZ4,
        LZ4,
    ),
    (
        "size",
        &[
            "-arch=sm_89",
            "--compress-mode=size",
            "-Xfatbin",
            "-compress-all",
        ],
        ZSTD,
        ZSTD,
    ),
    ("none", &["-arch=sm_89", "--no-compress"], None, None),
    // nvcc 13.0 compresses -G cubins with zstd even without -compress-all.
    (
        "debug",
        &["-G", "-gencode=arch=compute_90,code=[sm_90,compute_90]"],
        ZSTD,
        ZSTD,
    ),
];

#[test]
fn nvcc_13_fatbins_match_cuobjdump() {
    let dir = tmpdir("fatbin");
    let src = dir.join("k.cu");
    std::fs::write(&src, KERNELS).unwrap();
    let nvcc = nvcc();
    for &(name, args, cubin_codec, ptx_codec) in FATBIN_CASES {
        let out = dir.join(format!("{name}.fatbin"));
        run(Command::new(&nvcc)
            .arg("-fatbin")
            .args(args)
            .arg(&src)
            .arg("-o")
            .arg(&out));
        let bytes = std::fs::read(&out).unwrap();
        lists_match(name, &out, &bytes);
        let bin = read(&bytes, Options::default()).unwrap();
        check_images(name, &bin, cubin_codec, ptx_codec);
        check_suffixes(name, &bin);
        check_resources(name, &dir, &bytes);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Our image list, read fully and with `--list`, is cuobjdump's.
fn lists_match(name: &str, out: &Path, bytes: &[u8]) {
    let oracle = cuobjdump_list(out);
    assert!(
        !oracle.0.is_empty() || !oracle.1.is_empty(),
        "{name}: cuobjdump listed nothing"
    );
    assert_eq!(
        our_list(bytes, Options::default()),
        oracle,
        "{name}: full read"
    );
    let list_only = Options {
        decode: false,
        ..Options::default()
    };
    assert_eq!(our_list(bytes, list_only), oracle, "{name}: --list");
}

/// Codecs, kernels, PTX ISA and the debug flag of every image.
fn check_images(
    name: &str,
    bin: &Binary<'_>,
    cubin_codec: Option<Codec>,
    ptx_codec: Option<Codec>,
) {
    for i in &bin.images {
        let want = if i.kind == ImageKind::Sass {
            cubin_codec
        } else {
            ptx_codec
        };
        assert_eq!(i.codec, want, "{name}: codec of {}", i.arch_name());
        let mut k: Vec<&str> = i.kernels.iter().map(|k| k.name.as_str()).collect();
        k.sort();
        assert_eq!(k, NAMES, "{name}: kernels of {}", i.arch_name());
        if i.kind == ImageKind::Ptx {
            assert_eq!(
                i.ptx_isa,
                Some((9, 0)),
                "{name}: CUDA 13.0 emits PTX ISA 9.0"
            );
        }
        if name == "debug" {
            assert!(
                i.debug,
                "{name}: -G sets the debug flag on {}",
                i.arch_name()
            );
        }
    }
}

/// Suffixes cuobjdump does not show, from the gencode we asked for.
fn check_suffixes(name: &str, bin: &Binary<'_>) {
    let archs: Vec<String> = bin.images.iter().map(|i| i.arch_name()).collect();
    match name {
        "many" => assert_eq!(
            archs,
            [
                "sm_80",
                "sm_86",
                "sm_89",
                "sm_100a",
                "compute_100a",
                "sm_120f",
                "compute_75"
            ],
            "{name}"
        ),
        "family" => assert_eq!(archs, ["sm_100f", "sm_103f", "compute_100"], "{name}"),
        _ => {}
    }
}

/// Registers and shared memory agree with cuobjdump -res-usage, cubin by cubin.
fn check_resources(name: &str, dir: &Path, bytes: &[u8]) {
    let extract = dir.join(format!("{name}-x"));
    std::fs::create_dir_all(&extract).unwrap();
    let keep = read(
        bytes,
        Options {
            keep_data: true,
            ..Options::default()
        },
    )
    .unwrap();
    for (n, i) in keep
        .images
        .iter()
        .enumerate()
        .filter(|(_, i)| i.kind == ImageKind::Sass)
    {
        let f = extract.join(format!("{n}.cubin"));
        std::fs::write(&f, i.data.as_deref().unwrap()).unwrap();
        let mut ours: Vec<(String, u32, u64)> = i
            .kernels
            .iter()
            .map(|k| {
                (
                    k.name.clone(),
                    k.registers.unwrap(),
                    k.shared_bytes.unwrap(),
                )
            })
            .collect();
        let mut theirs = res_usage(&f);
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{name}: resources of {}", i.arch_name());
    }
}

#[test]
fn ptxas_cubins_both_layouts() {
    let dir = tmpdir("cubin");
    let src = dir.join("k.cu");
    std::fs::write(&src, KERNELS).unwrap();
    let nvcc = nvcc();
    let ptx = dir.join("k.ptx");
    run(Command::new(&nvcc)
        .args(["-ptx", "-arch=compute_80"])
        .arg(&src)
        .arg("-o")
        .arg(&ptx));
    let text = std::fs::read_to_string(&ptx).unwrap();
    // Older ptxas refuse ISA 9.0; the kernels use nothing newer than 8.5.
    let old = dir.join("k85.ptx");
    std::fs::write(&old, text.replace(".version 9.0", ".version 8.5")).unwrap();
    // (CUDA, ptx input, -arch, expected arch, expected layout is new)
    let cases: &[(u16, u16, &str, &str, bool)] = &[
        (12, 6, "sm_80", "8.0", false),
        (12, 6, "sm_90a", "9.0a", false),
        (12, 9, "sm_86", "8.6", false),
        (12, 9, "sm_90a", "9.0a", false),
        (12, 9, "sm_100a", "10.0a", true),
        (12, 9, "sm_100f", "10.0f", true),
        (13, 0, "sm_80", "8.0", true),
        (13, 0, "sm_90", "9.0", true),
        (13, 0, "sm_90a", "9.0a", true),
        (13, 0, "sm_100a", "10.0a", true),
        (13, 0, "sm_100f", "10.0f", true),
        (13, 0, "sm_120", "12.0", true),
    ];
    for &(maj, min, arch, want, new) in cases {
        let tc = toolchain::install(CudaVersion::new(maj, min))
            .unwrap_or_else(|e| panic!("CUDA {maj}.{min} must be installable: {e}"));
        let input = if maj >= 13 { &ptx } else { &old };
        let out = dir.join(format!("{maj}.{min}-{arch}.cubin"));
        run(Command::new(tc.ptxas())
            .arg(format!("-arch={arch}"))
            .arg(input)
            .arg("-o")
            .arg(&out));
        let bytes = std::fs::read(&out).unwrap();
        let bin = read(&bytes, Options::default()).unwrap();
        assert_eq!(bin.images.len(), 1);
        let img = &bin.images[0];
        let want: Capability = want.parse().unwrap();
        assert_eq!(img.arch, Some(want), "ptxas {maj}.{min} -arch={arch}");
        assert!(
            img.suffix_known,
            "ptxas {maj}.{min} -arch={arch}: suffix recorded"
        );
        let layout = img.layout.unwrap();
        assert_eq!(
            layout == archbench_inspect::cubin::Layout::New,
            new,
            "ptxas {maj}.{min} -arch={arch}: layout"
        );
        // cuobjdump shows the architecture (with `a`, without `f`)...
        let (elf, _) = cuobjdump_list(&out);
        let shown = if want.suffix == Suffix::Family {
            want.base()
        } else {
            want
        };
        assert_eq!(
            elf,
            [shown.sm()],
            "ptxas {maj}.{min} -arch={arch}: cuobjdump"
        );
        // ...and the resources.
        let mut ours: Vec<(String, u32, u64)> = img
            .kernels
            .iter()
            .map(|k| {
                (
                    k.name.clone(),
                    k.registers.unwrap(),
                    k.shared_bytes.unwrap(),
                )
            })
            .collect();
        let mut theirs = res_usage(&out);
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "ptxas {maj}.{min} -arch={arch}: resources");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shared_library_from_wheel_matches_cuobjdump() {
    let lib = install_wheels(
        "lib-curand-cu12-10.3.10.19",
        CudaVersion::new(12, 9),
        &["nvidia-curand-cu12==10.3.10.19"],
        "nvidia/curand/lib/libcurand.so.10",
    )
    .expect("libcurand must be installable from PyPI");
    let bytes = std::fs::read(&lib).unwrap();
    let oracle = cuobjdump_list(&lib);
    assert!(
        oracle.0.len() > 50,
        "cuobjdump lists {} cubins",
        oracle.0.len()
    );
    let list_only = Options {
        decode: false,
        ..Options::default()
    };
    assert_eq!(our_list(&bytes, list_only), oracle);
    let bin = read(&bytes, Options::default()).unwrap();
    assert!(
        bin.modules.len() > 1,
        "several fatbins back to back in .nv_fatbin"
    );
    assert_eq!(bin.format, archbench_inspect::Format::HostElf);
    assert!(bin.images.iter().any(|i| !i.kernels.is_empty()));
}
