//! The driver's image choice for one module (cuda-facts §6): a compatible cubin always wins
//! over PTX; among cubins an exact match (the most specific: `a`, then `f`, then plain) wins
//! over a lower minor or a family cubin; without a cubin, the driver JIT-compiles the PTX of
//! the highest architecture it can. Where NVIDIA does not document the pick, the verdict says
//! so and labels it a best guess. When nothing loads, `blockers` words the error.

use archbench_core::db;
use archbench_core::loading::{ptx_runs_on, sass_runs_on};
use archbench_core::{Capability, DriverVersion, Suffix};

use super::{blockers, Candidate, Rule, Verdict};
use crate::image::ImageKind;

/// `sm_80, sm_86`.
pub(super) fn names(c: &[&Candidate]) -> String {
    c.iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Specificity for breaking undocumented ties: `a`, then `f`, then plain.
fn specificity(c: &Capability) -> u8 {
    match c.suffix {
        Suffix::Arch => 2,
        Suffix::Family => 1,
        Suffix::None => 0,
    }
}

/// Decides what the driver does with a module offering `images` on a GPU `gpu`.
pub fn decide(images: &[Candidate], gpu: Capability, driver: Option<DriverVersion>) -> Verdict {
    let gpu = gpu.base();
    let mut notes = reading_notes(images);
    let sass: Vec<&Candidate> = images
        .iter()
        .filter(|c| c.kind == ImageKind::Sass && sass_runs_on(c.arch, gpu))
        .collect();
    if !sass.is_empty() {
        let has_ptx = images.iter().any(|c| c.kind == ImageKind::Ptx);
        return sass_verdict(&sass, gpu, has_ptx, notes);
    }
    let ptx: Vec<&Candidate> = images
        .iter()
        .filter(|c| c.kind == ImageKind::Ptx && ptx_runs_on(c.arch, gpu))
        .collect();
    if ptx.is_empty() {
        return blockers::no_binary_for_gpu(images, gpu, notes);
    }
    let max_isa = driver.and_then(db::driver_max_ptx_isa);
    let usable = jit_usable(&ptx, driver, max_isa, &mut notes);
    if usable.is_empty() {
        return blockers::ptx_too_new(&ptx, gpu, driver, max_isa, notes);
    }
    ptx_verdict(&usable, gpu, driver, max_isa, notes)
}

/// Notes on how the images were read: cubins whose `a`/`f` suffix the file does not record,
/// LTO-IR the driver ignores.
fn reading_notes(images: &[Candidate]) -> Vec<String> {
    let mut notes = Vec::new();
    for c in images {
        if c.kind == ImageKind::Sass && !c.suffix_known {
            notes.push(format!(
                "the file does not record whether {} is arch- or family-specific; read as plain {}",
                c.name, c.name
            ));
        }
    }
    if images.iter().any(|c| c.kind == ImageKind::Lto) {
        notes.push("LTO-IR images are ignored: the driver does not load them (they need nvJitLink at link time)".into());
    }
    notes
}

/// The cubin the driver loads among `sass` (every cubin that runs on `gpu`): the most
/// specific exact match, else the highest minor (then the most specific); the first wins ties.
pub(super) fn best_sass<'a>(sass: &[&'a Candidate], exact: &[&'a Candidate]) -> &'a Candidate {
    let pool = if exact.is_empty() { sass } else { exact };
    let mut best = pool[0];
    for &c in &pool[1..] {
        let better = if exact.is_empty() {
            (c.arch.minor, specificity(&c.arch)) > (best.arch.minor, specificity(&best.arch))
        } else {
            specificity(&c.arch) > specificity(&best.arch)
        };
        if better {
            best = c;
        }
    }
    best
}

/// The verdict when cubins fit: `sass` (not empty) are those that run on `gpu`.
fn sass_verdict(
    sass: &[&Candidate],
    gpu: Capability,
    has_ptx: bool,
    notes: Vec<String>,
) -> Verdict {
    let exact: Vec<&Candidate> = sass
        .iter()
        .copied()
        .filter(|c| c.arch.base() == gpu)
        .collect();
    let best = best_sass(sass, &exact);
    let rule = if !exact.is_empty() {
        Rule::SassExact
    } else if best.arch.suffix == Suffix::Family {
        Rule::SassFamily
    } else {
        Rule::SassLowerMinor
    };
    let mut reason = match rule {
        Rule::SassExact => format!("{} is built for exactly {gpu}", best.name),
        Rule::SassFamily => format!(
            "{} is family-specific and {gpu} is in its family",
            best.name
        ),
        _ => format!(
            "{} runs on later minors of major {} ({gpu})",
            best.name, best.arch.major
        ),
    };
    if has_ptx {
        reason.push_str("; a compatible cubin always wins over PTX");
    }
    let ambiguity = (sass.len() > 1).then(|| {
        format!(
            "{} all fit {gpu}; NVIDIA does not document which cubin the driver picks among compatible ones. Best guess: {} ({}). Check with CU_FUNC_ATTRIBUTE_BINARY_VERSION on the GPU",
            names(sass),
            best.name,
            if exact.len() > 1 {
                "the most specific exact match"
            } else if exact.len() == 1 {
                "the exact match"
            } else {
                "the highest minor"
            }
        )
    });
    Verdict {
        image: Some(best.clone()),
        error: None,
        rule,
        reason,
        best_guess: ambiguity.is_some(),
        ambiguity,
        notes,
    }
}

/// The PTX images among `ptx` the driver can JIT: those with an ISA up to its limit
/// `max_isa`, or all of them (with a note) when the limit is unknown.
pub(super) fn jit_usable<'a>(
    ptx: &[&'a Candidate],
    driver: Option<DriverVersion>,
    max_isa: Option<(u8, u8)>,
    notes: &mut Vec<String>,
) -> Vec<&'a Candidate> {
    match (driver, max_isa) {
        (Some(_), Some((a, b))) => ptx
            .iter()
            .copied()
            .filter(|c| c.isa.is_none_or(|isa| isa <= (u16::from(a), u16::from(b))))
            .collect(),
        (Some(d), None) => {
            notes.push(format!(
                "driver {d} predates every CUDA release archbench knows; its PTX ISA limit is unknown, assumed sufficient"
            ));
            ptx.to_vec()
        }
        (None, _) => {
            notes.push(
                "no --driver given: assuming the driver can JIT every PTX ISA version".into(),
            );
            ptx.to_vec()
        }
    }
}

/// The verdict when only PTX fits: the driver JIT-compiles the highest architecture among
/// `usable` (not empty; then the most specific, the first on ties).
fn ptx_verdict(
    usable: &[&Candidate],
    gpu: Capability,
    driver: Option<DriverVersion>,
    max_isa: Option<(u8, u8)>,
    notes: Vec<String>,
) -> Verdict {
    let mut best = usable[0];
    for &c in &usable[1..] {
        if (c.arch.base(), specificity(&c.arch)) > (best.arch.base(), specificity(&best.arch)) {
            best = c;
        }
    }
    let ambiguity = (usable.len() > 1).then(|| {
        format!(
            "{} can all be JIT-compiled for {gpu}; NVIDIA does not document which PTX the driver picks. Best guess: {} (the highest architecture)",
            names(usable),
            best.name
        )
    });
    let mut reason = format!("no cubin fits {gpu}; the driver JIT-compiles {}", best.name);
    if let Some(isa) = &best.ptx_isa {
        reason.push_str(&format!(" (PTX ISA {isa})"));
    }
    if let (Some(d), Some((a, b))) = (driver, max_isa) {
        reason.push_str(&format!(", which driver {d} supports (PTX ISA ≤ {a}.{b})"));
    }
    Verdict {
        image: Some(best.clone()),
        error: None,
        rule: Rule::PtxJit,
        reason,
        best_guess: ambiguity.is_some(),
        ambiguity,
        notes,
    }
}
