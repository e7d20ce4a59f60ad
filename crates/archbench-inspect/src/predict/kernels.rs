//! Kernel names a GPU can run: which modules the CUDA runtime loads for every kernel of a
//! file and which a library picks for itself (embedded fatbins, architecture variants), the
//! tally behind [`KernelSummary`], and the kernels listed for each module.

use std::collections::BTreeSet;

use archbench_core::Capability;

use super::{Candidate, KernelSummary, Verdict};
use crate::host::ModuleKind;
use crate::image::{Binary, Image, ImageKind};

/// The newest SASS architecture of the runtime-loaded modules.
pub(super) fn newest_loadable_sass(bin: &Binary<'_>) -> Option<Capability> {
    bin.images
        .iter()
        .filter(|i| i.kind == ImageKind::Sass)
        .filter(|i| bin.modules.get(i.module).map(|m| m.kind) == Some(ModuleKind::Loadable))
        .filter_map(|i| i.arch.map(|a| a.base()))
        .max()
}

/// An architecture variant not meant for `gpu`: images (SASS and PTX) only for newer GPUs,
/// or no PTX and SASS for one other SM only, or only below `newest` (the newest SASS of the
/// runtime-loaded modules).
pub(super) fn arch_variant(
    cands: &[Candidate],
    newest: Option<Capability>,
    gpu: Capability,
) -> bool {
    let sass: Vec<Capability> = cands
        .iter()
        .filter(|c| c.kind == ImageKind::Sass)
        .map(|c| c.arch.base())
        .collect();
    let (Some(first), Some(max)) = (sass.first(), sass.iter().max()) else {
        return false;
    };
    let one_other = sass.iter().all(|a| a == first) && *first != gpu;
    let all_newer = cands
        .iter()
        .filter(|c| matches!(c.kind, ImageKind::Sass | ImageKind::Ptx))
        .all(|c| c.arch.base() > gpu);
    all_newer
        || (!cands.iter().any(|c| c.kind == ImageKind::Ptx)
            && (one_other || newest.is_some_and(|n| *max < n)))
}

/// Kernel names seen so far: of portable modules (all of them, and those a loading module
/// offers), and how many library-chosen modules there are and load.
#[derive(Default)]
pub(super) struct Tally<'a> {
    all: BTreeSet<&'a str>,
    loadable: BTreeSet<&'a str>,
    chosen_total: usize,
    chosen_loading: usize,
}

impl<'a> Tally<'a> {
    /// Counts one loaded module with images `imgs`: library-`chosen` or portable, and whether
    /// it `loads` on the GPU.
    pub(super) fn add(&mut self, chosen: bool, imgs: &[(usize, &'a Image<'_>)], loads: bool) {
        if chosen {
            self.chosen_total += 1;
            self.chosen_loading += usize::from(loads);
            return;
        }
        let names = imgs.iter().flat_map(|(_, i)| i.kernels.iter());
        if loads {
            for k in names {
                self.all.insert(k.name.as_str());
                self.loadable.insert(k.name.as_str());
            }
        } else {
            self.all.extend(names.map(|k| k.name.as_str()));
        }
    }

    pub(super) fn summary(&self) -> KernelSummary {
        let missing: Vec<String> = self
            .all
            .difference(&self.loadable)
            .map(|s| s.to_string())
            .collect();
        KernelSummary {
            total: self.all.len(),
            loadable: self.all.len() - missing.len(),
            missing,
            chosen_total: self.chosen_total,
            chosen_loading: self.chosen_loading,
        }
    }
}

/// A module's kernels, sorted: those of the image it loads, or of all its images when it
/// loads none.
pub(super) fn module_kernels(
    bin: &Binary<'_>,
    imgs: &[(usize, &Image<'_>)],
    verdict: &Verdict,
) -> Vec<String> {
    let mut kernels: Vec<String> = match &verdict.image {
        Some(c) => bin
            .images
            .get(c.index)
            .map(|i| i.kernels.iter().map(|k| k.name.clone()).collect())
            .unwrap_or_default(),
        None => imgs
            .iter()
            .flat_map(|(_, i)| i.kernels.iter().map(|k| k.name.clone()))
            .collect(),
    };
    kernels.sort();
    kernels.dedup();
    kernels
}
