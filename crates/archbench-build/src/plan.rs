//! The work of a build: the images (source × compile-axis values, each with its image key),
//! the `-gencode` targets of every variant, the units (image × target, each compiled once
//! whatever number of variants hold it), how the units are grouped into jobs for the worker
//! threads, and the order `nvcc -fatbin` puts a variant's pieces in.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use archbench_core::manifest::{self, AxisError};
use archbench_core::{flags, Variant};

use crate::env::BuildEnv;
use crate::error::BuildError;
use crate::{Axes, Kernels};

/// One `-gencode` target: `arch=compute_90a,code=sm_90a` (SASS) or
/// `arch=compute_121,code=compute_121` (PTX).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Target {
    pub arch: String,
    pub code: String,
}

impl Target {
    pub fn parse(flag: &str) -> Option<Self> {
        let rest = flag.strip_prefix("-gencode=arch=")?;
        let (arch, code) = rest.split_once(",code=")?;
        Some(Self {
            arch: arch.to_string(),
            code: code.to_string(),
        })
    }

    pub fn is_ptx(&self) -> bool {
        self.code.starts_with("compute_")
    }

    /// `90a` for `sm_90a` / `compute_90a` (fatbinary's `sm=` value).
    pub fn sm(&self) -> &str {
        self.code
            .strip_prefix("sm_")
            .or_else(|| self.code.strip_prefix("compute_"))
            .unwrap_or(&self.code)
    }

    pub fn flag(&self) -> String {
        format!("-gencode=arch={},code={}", self.arch, self.code)
    }
}

/// The targets of a variant, in its `-gencode` order.
pub(crate) fn targets_of(v: &Variant) -> Vec<Target> {
    flags::gencode(v)
        .iter()
        .filter_map(|g| Target::parse(g))
        .collect()
}

/// One source compiled with one set of compile-axis values.
#[derive(Debug, Clone)]
pub(crate) struct Image {
    /// As passed to nvcc: relative to the crate root when inside it.
    pub source: PathBuf,
    pub axes: Vec<(String, String)>,
    pub key: String,
}

impl Image {
    pub fn source_display(&self) -> String {
        self.source.display().to_string()
    }
}

/// The images: every source (given order; `sources_in` sorted) × the cartesian product of
/// the build's axes and the source's own, in declaration order.
pub(crate) fn images(k: &Kernels, env: &BuildEnv) -> Result<Vec<Image>, BuildError> {
    let root = env.manifest_dir();
    let mut sources: Vec<(PathBuf, Axes)> = Vec::new();
    for s in &k.sources {
        let abs = root.join(&s.path);
        if !abs.is_file() {
            return Err(BuildError::MissingSource {
                path: s.path.clone(),
                resolved: abs,
            });
        }
        sources.push((env.relative(&abs), s.axes.clone()));
    }
    for dir in &k.source_dirs {
        let abs = root.join(dir);
        let mut found: Vec<PathBuf> = std::fs::read_dir(&abs)
            .map_err(|e| BuildError::SourceDir {
                dir: dir.clone(),
                source: e,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "cu") && p.is_file())
            .collect();
        found.sort();
        for p in found {
            let rel = env.relative(&p);
            if !sources.iter().any(|(s, _)| *s == rel) {
                sources.push((rel, Vec::new()));
            }
        }
        env.directive(&format!("rerun-if-changed={}", abs.display()));
    }
    if sources.is_empty() {
        let detail = if k.source_dirs.is_empty() {
            "none given (no `.source(…)` or `.sources_in(…)` in build.rs)".to_string()
        } else {
            let dirs: Vec<String> = k
                .source_dirs
                .iter()
                .map(|d| format!("`{}`", d.display()))
                .collect();
            format!("no `*.cu` file in {}", dirs.join(", "))
        };
        return Err(BuildError::NoSources { detail });
    }
    let mut out: Vec<Image> = Vec::new();
    for (source, own_axes) in sources {
        let file_name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let shown = source.display().to_string();
        let axis_err = |detail: AxisError| BuildError::Axis {
            source_file: shown.clone(),
            detail,
        };
        let all_axes: Vec<&(String, Vec<String>)> = k.axes.iter().chain(&own_axes).collect();
        for (i, (name, values)) in all_axes.iter().enumerate() {
            manifest::check_axis_name(name).map_err(axis_err)?;
            if values.is_empty() {
                return Err(axis_err(AxisError::NoValues { name: name.clone() }));
            }
            if all_axes[..i].iter().any(|(n, _)| n == name) {
                return Err(axis_err(AxisError::Duplicate { name: name.clone() }));
            }
            for (j, v) in values.iter().enumerate() {
                manifest::check_axis_value(name, v).map_err(axis_err)?;
                if values[..j].contains(v) {
                    return Err(axis_err(AxisError::DuplicateValue {
                        name: name.clone(),
                        value: v.clone(),
                    }));
                }
            }
        }
        for combo in cartesian(&all_axes) {
            let key = manifest::image_key(&file_name, &combo).map_err(axis_err)?;
            if let Some(other) = out.iter().find(|i| i.key == key) {
                return Err(BuildError::DuplicateKey {
                    key,
                    first: other.source_display(),
                    second: shown.clone(),
                });
            }
            out.push(Image {
                source: source.clone(),
                axes: combo,
                key,
            });
        }
    }
    Ok(out)
}

/// Every combination of the axes' values, the first axis varying slowest.
fn cartesian(axes: &[&(String, Vec<String>)]) -> Vec<Vec<(String, String)>> {
    let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for (name, values) in axes {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push((name.clone(), v.clone()));
                    c
                })
            })
            .collect();
    }
    combos
}

/// One unit of compilation: an image for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unit {
    pub image: usize,
    pub target: Target,
}

/// Every (image, target) of the build once, in order of first appearance.
pub(crate) fn units(images: usize, targets: &[Vec<Target>]) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    for t in targets.iter().flatten() {
        for image in 0..images {
            let u = Unit {
                image,
                target: t.clone(),
            };
            if !out.contains(&u) {
                out.push(u);
            }
        }
    }
    out
}

/// The units as jobs for the worker threads. A SASS unit whose virtual architecture is also a
/// PTX unit of the same image (`sm_121` and `compute_121` in `pkgsCuda`, `sm_75` next to
/// `cmake:75-virtual`'s `compute_75`) goes in one job after it and is built from that PTX, so
/// the front end runs once for both: `nvcc -cubin x.cu` is the front end, then ptxas on the
/// same PTX, so the cubin is the same bytes (archbench's `tests/build/fatbin_assembly.rs` holds
/// it to `nvcc -fatbin`). Paired jobs, the longer ones, go first.
pub(crate) fn jobs(units: &[Unit]) -> VecDeque<Vec<usize>> {
    let ptx_of = |u: &Unit| {
        units
            .iter()
            .position(|p| p.image == u.image && p.target.is_ptx() && p.target.arch == u.target.arch)
    };
    let mut paired = VecDeque::new();
    let mut taken = vec![false; units.len()];
    for (i, u) in units.iter().enumerate() {
        if u.target.is_ptx() {
            continue;
        }
        if let Some(p) = ptx_of(u) {
            if !taken[p] {
                taken[p] = true;
                taken[i] = true;
                paired.push_back(vec![p, i]);
            }
        }
    }
    let single = (0..units.len()).filter(|&i| !taken[i]).map(|i| vec![i]);
    paired.extend(single);
    paired
}

/// The order `nvcc -fatbin` puts images in: grouped by virtual architecture in order of
/// first appearance, each group's PTX before its SASS.
pub(crate) fn nvcc_image_order(ts: &[Target]) -> Vec<&Target> {
    let mut arches: Vec<&str> = Vec::new();
    for t in ts {
        if !arches.contains(&t.arch.as_str()) {
            arches.push(&t.arch);
        }
    }
    let mut out = Vec::new();
    for a in arches {
        out.extend(ts.iter().filter(|t| t.arch == a && t.is_ptx()));
        out.extend(ts.iter().filter(|t| t.arch == a && !t.is_ptx()));
    }
    out
}

/// The variants whose targets include `target`.
pub(crate) fn variants_holding(
    variants: &[Variant],
    targets: &[Vec<Target>],
    target: &Target,
) -> Vec<String> {
    variants
        .iter()
        .zip(targets)
        .filter(|(_, ts)| ts.contains(target))
        .map(|(v, _)| v.name.clone())
        .collect()
}

/// `path` as nvcc gets it: relative to the crate root when inside it.
pub(crate) fn nvcc_path(env: &BuildEnv, path: &Path) -> PathBuf {
    env.relative(&env.manifest_dir().join(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(arch: &str, code: &str) -> Target {
        Target {
            arch: arch.into(),
            code: code.into(),
        }
    }

    #[test]
    fn pairs_sass_with_its_ptx_and_orders_like_nvcc() {
        let ts = vec![
            t("compute_75", "sm_75"),
            t("compute_90", "sm_90"),
            t("compute_90", "compute_90"),
        ];
        let us = units(2, std::slice::from_ref(&ts));
        assert_eq!(us.len(), 6);
        let j: Vec<Vec<usize>> = jobs(&us).into_iter().collect();
        // sm_90 of each image after its compute_90, then the rest alone.
        assert_eq!(j, vec![vec![4, 2], vec![5, 3], vec![0], vec![1]]);
        let order: Vec<&str> = nvcc_image_order(&ts)
            .iter()
            .map(|t| t.code.as_str())
            .collect();
        assert_eq!(order, ["sm_75", "compute_90", "sm_90"]);
    }

    #[test]
    fn cartesian_product_first_axis_slowest() {
        let a = ("A".to_string(), vec!["1".to_string(), "2".to_string()]);
        let b = ("B".to_string(), vec!["x".to_string(), "y".to_string()]);
        let c = cartesian(&[&a, &b]);
        let keys: Vec<String> = c
            .iter()
            .map(|c| manifest::image_key("k.cu", c).unwrap_or_default())
            .collect();
        assert_eq!(
            keys,
            [
                "k.cu[A=1,B=x]",
                "k.cu[A=1,B=y]",
                "k.cu[A=2,B=x]",
                "k.cu[A=2,B=y]"
            ]
        );
        assert_eq!(cartesian(&[]), vec![Vec::new()]);
    }
}
