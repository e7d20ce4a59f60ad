//! Unit tests of the predictor's private parts; the rules as a whole are tabled in
//! `tests/predict_table.rs`.

use archbench_core::{Capability, CudaVersion, DriverVersion};

use super::blockers::{driver_supports, runtime_needs};
use super::kernels::arch_variant;
use super::rules::{best_sass, jit_usable};
use super::{Candidate, Setup};
use crate::image::ImageKind;

fn cap(s: &str) -> Capability {
    s.parse().unwrap()
}

/// `sm_80 compute_90`: SASS and PTX candidates, indexed in order.
fn cands(spec: &str) -> Vec<Candidate> {
    spec.split_whitespace()
        .enumerate()
        .map(|(i, w)| {
            let kind = if w.starts_with("compute_") {
                ImageKind::Ptx
            } else {
                ImageKind::Sass
            };
            Candidate::new(i, kind, Capability::parse_dotless(w).unwrap(), None)
        })
        .collect()
}

#[test]
fn the_first_of_equal_cubins_wins() {
    let c = cands("sm_86 sm_86 sm_80");
    let all: Vec<&Candidate> = c.iter().collect();
    assert_eq!(best_sass(&all, &[]).index, 0);
    let exact = [&c[1], &c[0]];
    assert_eq!(best_sass(&all, &exact).index, 1);
}

#[test]
fn unknown_ptx_limits_are_assumed_sufficient_with_a_note() {
    let c = cands("compute_80");
    let ptx: Vec<&Candidate> = c.iter().collect();
    let mut notes = Vec::new();
    assert_eq!(jit_usable(&ptx, None, None, &mut notes).len(), 1);
    assert!(notes[0].starts_with("no --driver given"), "{notes:?}");
}

#[test]
fn architecture_variants_are_library_chosen() {
    let gpu = cap("8.9");
    // SASS for one other SM and no PTX (cuSPARSE's sm_70-only kernels).
    assert!(arch_variant(&cands("sm_70"), None, gpu));
    // The same with PTX is portable.
    assert!(!arch_variant(&cands("sm_70 compute_70"), None, gpu));
    // Everything for newer GPUs (cuBLASLt's sm_90a module on an 8.9).
    assert!(arch_variant(&cands("sm_90a compute_120"), None, gpu));
    // SASS only below the newest of the file (cuBLAS 11's hand-tuned sm_50/60/61 modules).
    assert!(arch_variant(&cands("sm_50 sm_60"), Some(cap("8.0")), gpu));
    assert!(!arch_variant(&cands("sm_80 sm_89"), Some(cap("8.9")), gpu));
    // No SASS at all: not a variant.
    assert!(!arch_variant(&cands("compute_75"), None, gpu));
}

#[test]
fn cuda_version_drivers_support_releases_up_to_their_own() {
    let v = CudaVersion::new(12, 0);
    assert_eq!(driver_supports("12.4".parse().unwrap(), v), Some(true));
    assert_eq!(driver_supports("11.8".parse().unwrap(), v), Some(false));
    assert_eq!(
        driver_supports("580.65.06".parse().unwrap(), CudaVersion::new(99, 0)),
        None
    );
}

#[test]
fn a_runtime_newer_than_the_driver_blocks_unless_compat_provides_it() {
    let old: DriverVersion = "535.104".parse().unwrap();
    let mut setup = Setup {
        gpu: cap("8.9"),
        driver: Some(old),
        compat: None,
    };
    let blocker = runtime_needs(&setup, 13, "it links libcudart.so.13").unwrap_err();
    assert_eq!(blocker.code, Some(35));
    assert_eq!(runtime_needs(&setup, 12, "x"), Ok(None));
    setup.compat = Some(CudaVersion::new(13, 0));
    let note = runtime_needs(&setup, 13, "x").unwrap().unwrap();
    assert!(note.contains("cuda-compat 13.0 provides it"), "{note}");
    setup.driver = None;
    setup.compat = None;
    assert_eq!(
        runtime_needs(&setup, 13, "x"),
        Ok(Some("needs the CUDA 13 runtime (x)".to_string()))
    );
}
