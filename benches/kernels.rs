//! `cargo bench`: the suite's kernels × embedded variants under criterion, timed with CUDA
//! events (`iter_custom`), after the same correctness gate `archbench run` applies. Without
//! a GPU it prints one line saying so and exits successfully.
//!
//! `ARCHBENCH_BENCH_SIZE=default` benches the full sizes (default: quick sizes).

use std::time::Duration;

use archbench::embedded;
use archbench::gpu::{EventPair, Gpu, Module, Prepared};
use archbench::suite::{self, Size};
use criterion::{BenchmarkId, Criterion, Throughput};

fn main() {
    let gpu = match Gpu::open(0) {
        Ok(g) => g,
        Err(e) => {
            println!("archbench benches skipped: {e}");
            return;
        }
    };
    let manifest = match embedded::manifest() {
        Ok(m) if m.skipped.is_none() => m,
        Ok(m) => {
            println!(
                "archbench benches skipped: {}",
                m.skipped.unwrap_or_default()
            );
            return;
        }
        Err(e) => {
            println!("archbench benches skipped: {e}");
            return;
        }
    };
    let size = if std::env::var("ARCHBENCH_BENCH_SIZE").is_ok_and(|s| s == "default") {
        Size::Default
    } else {
        Size::Quick
    };
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let stream = archbench::gpu::Stream::DEFAULT;
    let events = match EventPair::new() {
        Ok(e) => e,
        Err(e) => {
            println!("archbench benches skipped: {e}");
            return;
        }
    };
    for k in suite::all() {
        let mut group = c.benchmark_group(k.name);
        for case in (k.cases)(size) {
            let w = (case.workload)();
            group.throughput(Throughput::Bytes(case.bytes));
            for v in &manifest.variants {
                let Some(img) = embedded::images_of(&v.name).find(|i| i.file == k.file) else {
                    continue;
                };
                let module = match Module::load(img.fatbin) {
                    Ok(m) => m,
                    Err(e) => {
                        println!(
                            "{}/{} {}: not loaded on {}: {e}",
                            k.name, case.label, v.name, gpu.info.name
                        );
                        continue;
                    }
                };
                let mut p = match Prepared::new(&w, &module, 1) {
                    Ok(p) => p,
                    Err(e) => {
                        println!("{}/{} {}: {e}", k.name, case.label, v.name);
                        continue;
                    }
                };
                match p.run_checked(stream) {
                    Ok(x) if x.correctness.passed => {}
                    Ok(x) => {
                        println!(
                            "{}/{} {}: FAILED correctness, not timed: {}",
                            k.name,
                            case.label,
                            v.name,
                            x.correctness.detail.unwrap_or_default()
                        );
                        continue;
                    }
                    Err(e) => {
                        println!("{}/{} {}: {e}", k.name, case.label, v.name);
                        continue;
                    }
                }
                group.bench_function(BenchmarkId::new(&v.name, &case.label), |b| {
                    b.iter_custom(|iters| {
                        let mut run = || -> Result<f64, archbench::gpu::GpuError> {
                            events.record_start(stream)?;
                            for _ in 0..iters {
                                p.launch(stream)?;
                            }
                            events.record_end(stream)?;
                            events.elapsed_s()
                        };
                        match run() {
                            Ok(s) => Duration::from_secs_f64(s),
                            Err(e) => panic!("{} {}: {e}", k.name, v.name),
                        }
                    })
                });
            }
        }
        group.finish();
    }
    c.final_summary();
}
