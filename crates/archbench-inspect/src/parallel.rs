//! Running independent jobs on all cores (reading sections of a host file, decoding payloads):
//! a shared counter hands out job indices to scoped threads (no thread pool kept around),
//! results come back in job order; decoding runs in batches so the caller can release the
//! input pages of a finished batch.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Threads to use: the available parallelism, at most one per `min_per_thread` jobs.
fn threads(jobs: usize, min_per_thread: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.min(jobs.div_ceil(min_per_thread.max(1))).max(1)
}

/// `f(i)` for every `i < n`, in parallel, results in order of `i`.
pub fn map<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    map_on(threads(n, 4), n, f)
}

/// [`map`] for a few big jobs: as many threads as jobs (up to the cores), jobs handed out in
/// order of `i`, so put the biggest first.
pub fn map_each<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    map_on(threads(n, 1), n, f)
}

fn map_on<T: Send>(t: usize, n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    if t <= 1 {
        return (0..n).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, T)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..t)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break mine;
                        }
                        mine.push((i, f(i)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            // A worker only panics if `f` does; pass that on unchanged.
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut all: Vec<(usize, T)> = parts.iter_mut().flat_map(std::mem::take).collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, v)| v).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_job_order() {
        let v = super::map(1000, |i| i * 2);
        assert_eq!(v, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        assert!(super::map(0, |i| i).is_empty());
    }
}
