//! `archbench inspect` against cuobjdump 13.2 on a real vendor library: libcublasLt.so.13
//! from the nvidia-cublas 13.0.2.14 wheel (540 MB; fetched from PyPI into archbench's cache
//! on first use, ~500 MB download, never committed). Issue 11's targets, on 2 cores: full
//! `inspect --json` ≥ 2× faster than `cuobjdump -res-usage` (the same kernel/register
//! information), `inspect --list` ≥ 50× faster than `cuobjdump --list-elf --list-ptx`.
//! Peak RSS is measured with `/usr/bin/time -f %M` (docs/inspect.md), not here.
//!
//! A second group decodes every zstd payload of bitsandbytes' CUDA 13.0 build with the
//! pure-Rust `ruzstd` and the reference libzstd (`zstd` crate): the measurement that chose
//! libzstd for archbench-inspect.

use std::path::Path;
use std::process::{Command, Stdio};

use archbench_inspect::{read, Codec, Options};
use criterion::{criterion_group, criterion_main, Criterion};

#[path = "../crates/archbench-inspect/tests/support/vendor.rs"]
mod vendor;

fn quiet(cmd: &mut Command) {
    let st = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("runs");
    assert!(st.success(), "{cmd:?}");
}

fn tools(c: &mut Criterion) {
    let lib = vendor::install(&vendor::CUBLASLT_13);
    let exe = Path::new(env!("CARGO_BIN_EXE_archbench"));
    let cu = vendor::cuobjdump_bin();
    let mut g = c.benchmark_group("libcublasLt.so.13");
    g.sample_size(10);
    g.bench_function("archbench inspect --json", |b| {
        b.iter(|| quiet(Command::new(exe).args(["inspect", "--json"]).arg(&lib)))
    });
    g.bench_function("cuobjdump -res-usage", |b| {
        b.iter(|| quiet(Command::new(&cu).arg("-res-usage").arg(&lib)))
    });
    g.bench_function("archbench inspect --list", |b| {
        b.iter(|| quiet(Command::new(exe).args(["inspect", "--list"]).arg(&lib)))
    });
    g.bench_function("cuobjdump --list-elf --list-ptx", |b| {
        b.iter(|| {
            quiet(
                Command::new(&cu)
                    .args(["--list-elf", "--list-ptx"])
                    .arg(&lib),
            )
        })
    });
    g.finish();
}

fn decoders(c: &mut Criterion) {
    let bytes = std::fs::read(vendor::bnb("130")).expect("bitsandbytes");
    let bin = read(
        &bytes,
        Options {
            decode: false,
            ..Options::default()
        },
    )
    .expect("reads");
    let frames: Vec<(&[u8], usize)> = bin
        .images
        .iter()
        .filter(|i| i.codec == Some(Codec::Zstd))
        .map(|i| {
            let r = i.payload_range.start as usize..i.payload_range.end as usize;
            (&bytes[r], i.size as usize)
        })
        .collect();
    assert!(!frames.is_empty());
    let mut g = c.benchmark_group("zstd payloads of libbitsandbytes_cuda130.so");
    g.sample_size(10);
    g.bench_function("ruzstd", |b| {
        b.iter(|| {
            for (f, n) in &frames {
                let mut out = Vec::with_capacity(*n);
                let mut src: &[u8] = f;
                let mut dec = ruzstd::decoding::StreamingDecoder::new(&mut src).expect("frame");
                std::io::Read::read_to_end(&mut dec, &mut out).expect("decodes");
                assert_eq!(out.len(), *n);
            }
        })
    });
    g.bench_function("libzstd", |b| {
        b.iter(|| {
            for (f, n) in &frames {
                let out = zstd::bulk::decompress(f, *n).expect("decodes");
                assert_eq!(out.len(), *n);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, decoders, tools);
criterion_main!(benches);
