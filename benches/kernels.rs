//! `cargo bench`: the suite's kernels × embedded variants under criterion, timed with CUDA
//! events (`iter_custom`), after the same correctness gate `archbench run` applies. Without
//! a GPU it prints one line saying so and exits successfully.
//!
//! These are HOT numbers: launches back to back, no L2 flush, so inputs that fit in L2 stay
//! there (every quick size does). Criterion's iterations are queued in chunks of at most
//! `HOT_QUEUE_CAP` launches behind the blocking kernel, so each chunk's events measure the
//! GPU running the kernels, not the host submitting them (a 3 µs kernel launches faster
//! than the host can submit it). `archbench run` gives cold (L2-flushed) numbers.
//!
//! `ARCHBENCH_BENCH_SIZE=default` benches the full sizes (default: quick sizes).

use std::time::Duration;

use archbench::gpu::{BlockingKernel, EventPair, Gpu, Module};
use archbench::run::exec::Prepared;
use archbench::run::worker::HOT_QUEUE_CAP;
use archbench::run::RunError;
use archbench::workload::{CaseSource, Set};
use archbench_cli::embedded;
use archbench_cli::suite;
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
    let set = if std::env::var("ARCHBENCH_BENCH_SIZE").is_ok_and(|s| s == "default") {
        Set::Default
    } else {
        Set::Quick
    };
    let suite = suite::suite();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let stream = archbench::gpu::Stream::DEFAULT;
    let (events, blocker) = match EventPair::new().and_then(|e| Ok((e, BlockingKernel::new()?))) {
        Ok(x) => x,
        Err(e) => {
            println!("archbench benches skipped: {e}");
            return;
        }
    };
    println!(
        "archbench benches on {}: HOT timings (no L2 flush: inputs that fit in L2 stay there), \
         launches queued behind a blocking kernel in chunks of ≤ {HOT_QUEUE_CAP}; \
         `archbench run` gives cold numbers",
        gpu.info.name
    );
    for k in CaseSource::benches(&suite) {
        let mut group = c.benchmark_group(&k.name);
        for (i, case) in suite.cases(&k.name, set).into_iter().enumerate() {
            let w = match suite.workload(&k.name, set, i) {
                Ok(w) => w,
                Err(e) => {
                    println!("{}/{}: {e}", k.name, case.label);
                    continue;
                }
            };
            group.throughput(Throughput::Bytes(case.bytes));
            for v in &manifest.variants {
                let Some(img) = embedded::images_of(&v.name).find(|i| i.file == k.source) else {
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
                let per_launch = w.launches.len().max(1) as u64;
                let chunk = (u64::from(HOT_QUEUE_CAP) / per_launch).max(1);
                let mut p = match Prepared::new(&w, &module, 1) {
                    Ok(p) => p,
                    Err(e) => {
                        println!("{}/{} {}: {e}", k.name, case.label, v.name);
                        continue;
                    }
                };
                match p.run_checked(stream).map(|x| x.correctness) {
                    Ok(Some(x)) if x.passed => {}
                    Ok(x) => {
                        println!(
                            "{}/{} {}: FAILED correctness, not timed: {}",
                            k.name,
                            case.label,
                            v.name,
                            x.and_then(|x| x.detail).unwrap_or_default()
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
                        let mut run = || -> Result<f64, RunError> {
                            let mut total = 0.0;
                            let mut left = iters;
                            while left > 0 {
                                let n = left.min(chunk);
                                left -= n;
                                blocker.block(stream)?;
                                events.record_start(stream)?;
                                let queued: Result<(), RunError> = (|| {
                                    for _ in 0..n {
                                        p.launch(stream)?;
                                    }
                                    Ok(())
                                })();
                                if queued.is_ok() {
                                    events.record_end(stream)?;
                                }
                                blocker.release();
                                queued?;
                                total += events.elapsed_s()?;
                                if blocker.timed_out() {
                                    return Err(RunError::Case(
                                        "the blocking kernel timed out: the launch queue is shorter than the chunk".into(),
                                    ));
                                }
                            }
                            Ok(total)
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
