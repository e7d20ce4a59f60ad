//! `archbench compare` on a full default run: the two real H200 runs under
//! `results/nvidia-h200/` (72 common timed cases, up to 1000 stored samples each). Target:
//! ≤ 2 s on 2 cores (issue 12). No GPU needed.

use std::path::Path;

use archbench::report::compare::compare;
use archbench::report::verdict::Rule;
use archbench::results::read::read_run;
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/nvidia-h200");
    let base = read_run(&dir.join("20261126t143044z-gpu-check-full.jsonl")).expect("results");
    let new = read_run(&dir.join("20261126t143412z-full-default.jsonl")).expect("results");
    let mut g = c.benchmark_group("compare");
    g.sample_size(10);
    g.bench_function("h200 full default run vs prepared-check run", |b| {
        b.iter(|| compare(&base, &new, &Rule::default()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
