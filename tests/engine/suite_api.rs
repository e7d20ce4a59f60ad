//! The built-in suite through the public bench API gives the same cases as its tables: for
//! every kernel and set, the same labels, bytes and FLOPs, and for every case the same
//! buffers, launches (entry, grid, block, shared memory, parameter bytes, device-pointer
//! slots, image contracts), checks (buffer, rule, sample) and reference outputs on the same
//! inputs. It can fail: a mutated table entry makes it fail (`a_changed_case_is_caught`).

use archbench::bench::{Bench, Suite};
use archbench::workload::{self as api, CaseSource, Expected, Set, Workload};
use archbench::{Images, ImagesError};
use archbench_cli::suite::{self, Role, Size};

fn suite_without_images() -> Suite {
    suite::suite_over(Images::unavailable(ImagesError::Binary("none".into())))
}

fn set_of(size: Size) -> Set {
    match size {
        Size::Default => Set::Default,
        Size::Quick => Set::Quick,
        Size::Edges => Set::Edges,
    }
}

/// Differences between a table entry and the workload the API built from it.
fn differences(table: &suite::Workload, api: &Workload) -> Vec<String> {
    let mut d = Vec::new();
    if table.buffers.len() != api.buffers.len() {
        d.push(format!(
            "{} buffers vs {}",
            table.buffers.len(),
            api.buffers.len()
        ));
    }
    for (t, a) in table.buffers.iter().zip(&api.buffers) {
        let role = match t.role {
            Role::Input(f) => api::Role::Input(f),
            Role::Output => api::Role::Output,
            Role::Scratch => api::Role::Scratch,
        };
        if t.name != a.name || t.dtype != a.dtype || t.bytes != a.bytes || role != a.role {
            d.push(format!("buffer {t:?} vs {a:?}"));
        }
    }
    if table.launches.len() != api.launches.len() {
        d.push("launch count".into());
    }
    for (t, a) in table.launches.iter().zip(&api.launches) {
        let same_shape = match (&t.from_image, &a.from_image) {
            (None, None) => {
                t.grid == a.grid && t.block == a.block && t.shared_mem_bytes == a.shared_mem_bytes
            }
            (Some(x), Some(y)) => {
                x.contract == y.contract
                    && (x.m, x.n, x.k) == (y.m, y.n, y.k)
                    && x.tensor_maps == y.tensor_maps
            }
            _ => false,
        };
        if t.entry != a.entry
            || !same_shape
            || t.params != a.params
            || t.pointers != a.pointers
            || a.args != [(0, t.params.len())]
        {
            d.push(format!("launch `{}` differs", t.entry));
        }
    }
    if table.checks.len() != api.checks.len() {
        d.push("check count".into());
    }
    for (k, (t, a)) in table.checks.iter().zip(&api.checks).enumerate() {
        if t.buffer != a.buffer
            || t.rule != a.rule
            || t.sample != a.sample
            || a.expected != Expected::Host(k)
        {
            d.push(format!("check {k} differs"));
        }
    }
    d.extend(paired_difference(table, api));
    d
}

/// `--paired`: cuBLAS on the GEMM's own buffers, else a device copy of half the case's bytes.
fn paired_difference(table: &suite::Workload, api: &Workload) -> Option<String> {
    let a = api.paired.as_ref();
    let ok = match (&table.paired, a) {
        (Some(g), Some(api::PairedCall::CublasGemm(x))) => {
            g == x && table.buffers.get(g.a).map(|b| b.dtype) == Some(x.dtype)
        }
        (None, Some(api::PairedCall::DeviceCopy { bytes })) => *bytes > 0,
        _ => false,
    };
    (!ok).then(|| format!("paired call {:?} vs {a:?}", table.paired))
}

/// Deterministic non-trivial bytes for every input buffer.
fn inputs(w: &suite::Workload) -> Vec<Vec<u8>> {
    w.buffers
        .iter()
        .enumerate()
        .map(|(i, b)| match b.role {
            Role::Input(_) => (0..b.bytes)
                .map(|j| (j.wrapping_mul(31).wrapping_add(i * 7) % 251) as u8)
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn every_case_is_the_same_through_the_api() {
    let s = suite_without_images();
    let mut compared = 0;
    for spec in suite::all() {
        for size in [Size::Default, Size::Quick, Size::Edges] {
            let table = (spec.cases)(size);
            let cases = s.cases(spec.name, set_of(size));
            let labels: Vec<&str> = table.iter().map(|c| c.label.as_str()).collect();
            let api_labels: Vec<&str> = cases.iter().map(|c| c.label.as_str()).collect();
            assert_eq!(labels, api_labels, "{} {size:?}", spec.name);
            for (i, (t, c)) in table.iter().zip(&cases).enumerate() {
                let at = format!("{} {size:?} {}", spec.name, t.label);
                assert_eq!((t.bytes, t.flops), (c.bytes, c.flops), "{at}");
                assert_eq!(c.error, None, "{at}");
                assert_eq!(c.image, spec.file, "{at}");
                // Big default cases: compare declarations only (their references are slow).
                let tw = (t.workload)();
                let aw = s.workload(spec.name, set_of(size), i).unwrap();
                let diff = differences(&tw, &aw);
                assert!(diff.is_empty(), "{at}: {diff:?}");
                if let Some(api::PairedCall::DeviceCopy { bytes }) = aw.paired {
                    assert_eq!(bytes, t.bytes / 2, "{at}: the copy moves the case's bytes");
                }
                if size != Size::Default {
                    let ins = inputs(&tw);
                    let views: Vec<&[u8]> = ins.iter().map(Vec::as_slice).collect();
                    assert_eq!((tw.reference)(&views), (aw.reference)(&views), "{at}");
                }
                compared += 1;
            }
        }
    }
    assert!(compared > 200, "only {compared} cases compared");
}

#[test]
fn a_changed_case_is_caught() {
    // The same kernel declared with one byte of its parameters changed: the comparison fails.
    let spec = suite::all()
        .into_iter()
        .find(|k| k.name == "softmax")
        .unwrap();
    let cases = spec.cases;
    let mutant = Suite::new(Images::unavailable(ImagesError::Binary("none".into()))).with_bench(
        Bench::new("softmax", move |c| {
            let label = c.str("case");
            let mut k = cases(Size::Quick)
                .into_iter()
                .find(|k| k.label == label)
                .unwrap();
            let make = k.workload;
            k.workload = Box::new(move || {
                let mut w = make();
                w.launches[0].params[16] ^= 1;
                w
            });
            suite::declare(c, k);
        })
        .source("softmax.cu")
        .axis(
            "case",
            (spec.cases)(Size::Quick)
                .into_iter()
                .map(|c| c.label)
                .collect::<Vec<_>>(),
        ),
    );
    let t = (spec.cases)(Size::Quick).remove(0);
    let tw = (t.workload)();
    let aw = mutant.workload("softmax", Set::Default, 0).unwrap();
    assert!(!differences(&tw, &aw).is_empty());
}

#[test]
fn benches_carry_source_description_and_family() {
    let s = suite_without_images();
    let benches = CaseSource::benches(&s);
    assert_eq!(benches.len(), suite::all().len());
    for (b, spec) in benches.iter().zip(suite::all()) {
        assert_eq!(b.name, spec.name);
        assert_eq!(b.source, spec.file);
        assert_eq!(b.description, spec.description);
        assert_eq!(b.tags.len(), 1);
    }
    assert_eq!(s.name(), suite::SUITE_NAME);
    assert!(s.problems().is_empty(), "{:?}", s.problems());
}
