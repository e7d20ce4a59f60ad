//! The advisor's ranking on costs given here (SYNTHETIC: made up, proportional to the
//! number of targets) and real candidates, evidence and predictions; and the properties every
//! answer must have, over random fleets.

use std::collections::BTreeMap;

use archbench_core::{db, Capability, CudaVersion};

use super::*;

fn cuda() -> CudaVersion {
    "13.0".parse().unwrap()
}

fn rules() -> ValidateOptions {
    ValidateOptions {
        system: "x86_64-linux".into(),
        ..ValidateOptions::default()
    }
}

fn gpu(c: &str) -> Gpu {
    Gpu {
        label: c.into(),
        capability: c.parse().unwrap(),
        driver: None,
    }
}

/// SYNTHETIC costs: every SASS target 1 MB and 2 s, an arch-specific one 1.5 MB, PTX 0.5 MB.
fn synthetic() -> Costs {
    let mut m = BTreeMap::new();
    for i in db::nix_capabilities() {
        let c = i.capability;
        let sass = if c.is_arch_specific() {
            1_500_000
        } else {
            1_000_000
        };
        m.insert(
            c.sm(),
            TargetCost {
                bytes: sass,
                build_s: 2.0,
            },
        );
        m.insert(
            c.compute(),
            TargetCost {
                bytes: 500_000,
                build_s: 1.0,
            },
        );
    }
    Costs::given(
        m,
        "SYNTHETIC: 1 MB per SASS target, 1.5 MB arch-specific, 0.5 MB PTX",
    )
}

fn request(gpus: &[&str]) -> Request {
    Request {
        gpus: gpus.iter().map(|g| gpu(g)).collect(),
        future: false,
        cuda: cuda(),
        rules: rules(),
        max_bytes: None,
        max_build_s: None,
        jit_ok: true,
        top: 5,
    }
}

fn run(req: &Request, evidence: &Evidence) -> Advice {
    let c = candidates::enumerate(&req.gpus, req.cuda, req.future, &req.rules).unwrap();
    advise(req, c, &synthetic(), evidence).unwrap()
}

#[test]
fn without_evidence_the_smallest_jit_free_build_wins() {
    let a = run(&request(&["8.0", "8.6", "8.9"]), &Evidence::default());
    // sm_80 SASS runs on all three (same major, lower minor): one target, no JIT.
    let top = &a.options[0];
    assert_eq!(top.capabilities, ["8.0"]);
    assert!(!top.forward_compat && top.jit.is_empty());
    assert_eq!(top.attr_path.as_deref(), Some("pkgsForCudaArch.sm_80"));
    assert_eq!(top.torch.as_deref(), Some("8.0"));
    assert_eq!(top.cmake, "80-real");
    assert!(
        top.per_gpu[1].basis.contains("not measured"),
        "{:?}",
        top.per_gpu
    );
    assert!(a.why.contains("smaller"), "{}", a.why);
}

#[test]
fn measured_arch_specific_gains_choose_sm_90a() {
    // SYNTHETIC evidence: on a 9.0 GPU the sm_90a build of one kernel ran 2× the sm_90 one.
    let mut k = BTreeMap::new();
    k.insert(
        "gemm".to_string(),
        speed::KernelEvidence {
            arch_gain: Some(2.0),
            ..Default::default()
        },
    );
    let e = Evidence {
        gpus: vec![speed::GpuEvidence {
            device: "SYNTHETIC H100".into(),
            capability: "9.0".parse().unwrap(),
            kernels: k,
        }],
    };
    let a = run(&request(&["9.0"]), &e);
    assert_eq!(a.options[0].capabilities, ["9.0a"]);
    assert!((a.options[0].speed - 2.0).abs() < 1e-9);
    assert!(a.why.contains("expected speed"), "{}", a.why);
    // Without that evidence the plain sm_90 build is as fast and smaller.
    let a = run(&request(&["9.0"]), &Evidence::default());
    assert_eq!(a.options[0].capabilities, ["9.0"]);
}

#[test]
fn constraints_and_future_gpus() {
    let mut r = request(&["7.5", "9.0"]);
    r.jit_ok = false;
    let a = run(&r, &Evidence::default());
    assert!(a.options.iter().all(|o| o.jit.is_empty()));
    r.future = true;
    let a = run(&r, &Evidence::default());
    assert!(a.options.iter().all(|o| o.forward_compat));
    r.max_bytes = Some(10);
    let c = candidates::enumerate(&r.gpus, r.cuda, r.future, &r.rules).unwrap();
    let e = advise(&r, c, &synthetic(), &Evidence::default()).unwrap_err();
    assert!(e.to_string().contains("relax one"), "{e}");
}

/// A SplitMix64 for random fleets.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Over random fleets of plain, non-Jetson capabilities CUDA 13.0 supports: every option
/// validates with Nixpkgs' rules and loads on every GPU, and removing any target from the
/// top option either leaves a GPU without an image or makes it slower (or no smaller).
#[test]
fn random_fleets_get_valid_loadable_minimal_answers() {
    let pool: Vec<Capability> = db::nix_capabilities()
        .filter(|i| {
            i.nix_supports(cuda())
                && !i.jetson
                && i.capability.suffix == archbench_core::Suffix::None
        })
        .map(|i| i.capability)
        .collect();
    let mut state = 42u64;
    for _ in 0..25 {
        let n = 1 + (next(&mut state) % 4) as usize;
        let mut caps: Vec<String> = (0..n)
            .map(|_| pool[(next(&mut state) % pool.len() as u64) as usize].to_string())
            .collect();
        caps.sort();
        caps.dedup();
        let names: Vec<&str> = caps.iter().map(String::as_str).collect();
        let req = request(&names);
        let cands = candidates::enumerate(&req.gpus, req.cuda, false, &req.rules).unwrap();
        let a = advise(&req, cands.clone(), &synthetic(), &Evidence::default()).unwrap();
        for o in &a.options {
            let c = cands
                .iter()
                .find(|c| c.config.nix() == o.nix)
                .expect("an option is a candidate");
            let diags = archbench_core::validate::validate(&c.variant, &req.rules);
            assert!(
                archbench_core::validate::is_valid(&diags),
                "{}: {diags:?}",
                o.nix
            );
            for g in &req.gpus {
                let p = archbench_inspect::predict::predict_variant(&c.variant, g.capability, None);
                assert!(p.modules[0].verdict.loads(), "{} on {}", o.nix, g.label);
            }
        }
        // Minimality of the top option.
        let top = &a.options[0];
        for drop in 0..top.capabilities.len() {
            let mut rest: Vec<String> = top.capabilities.clone();
            rest.remove(drop);
            if rest.is_empty() {
                continue;
            }
            let smaller = cands.iter().find(|c| {
                c.config.forward_compat == top.forward_compat
                    && c.config
                        .capabilities
                        .iter()
                        .map(|c| c.to_string())
                        .eq(rest.iter().cloned())
            });
            // Not a candidate: some GPU is left without an image. A candidate: it must not
            // be both as fast and smaller (the top option would not be minimal).
            if let Some(s) = smaller {
                let alt =
                    advise(&req, vec![s.clone()], &synthetic(), &Evidence::default()).unwrap();
                let alt = &alt.options[0];
                assert!(
                    alt.speed < top.speed * (1.0 - SPEED_TIE)
                        || alt.jit.len() > top.jit.len()
                        || alt.bytes >= top.bytes,
                    "{caps:?}: dropping {} from {} keeps every GPU served, as fast and smaller",
                    top.capabilities[drop],
                    top.nix
                );
            }
        }
    }
}
