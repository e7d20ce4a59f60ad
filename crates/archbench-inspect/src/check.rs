//! Whether a binary holds what a variant spec should produce (`archbench inspect --expect`):
//! SASS and PTX images missing or unexpected, PTX newer than a driver JITs, and notes on
//! forward compatibility and the PTX ISA of the CUDA release that built it.

use archbench_core::{db, Capability, DriverVersion, Variant};
use serde::Serialize;

use crate::image::{Binary, Image, ImageKind};

/// A binary against a variant: what differs, and whether it matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Check {
    /// The variant's name.
    pub spec: String,
    /// Nothing is missing or unexpected, and no PTX is too new for the driver.
    pub matches: bool,
    /// `sm_89`: cubins the variant asks for and the binary lacks.
    pub missing_sass: Vec<String>,
    /// Cubins the binary has and the variant does not ask for (labelled as [`arch_label`]).
    pub unexpected_sass: Vec<String>,
    /// `compute_90`: PTX the variant asks for and the binary lacks.
    pub missing_ptx: Vec<String>,
    pub unexpected_ptx: Vec<String>,
    /// PTX with an ISA newer than the driver JITs, in words.
    pub ptx_too_new: Vec<String>,
    pub notes: Vec<String>,
}

/// `sm_80?` for standalone cubins whose suffix is unknown, `!` for images with warnings.
pub fn arch_label(i: &Image<'_>) -> String {
    let mut s = i.arch_name();
    if i.kind == ImageKind::Sass && !i.suffix_known {
        s.push('?');
    }
    if !i.warnings.is_empty() {
        s.push('!');
    }
    s
}

/// Compares the images of `bin` with what the variant `v` should produce; with a `driver`,
/// PTX newer than it JITs is a mismatch.
pub fn check(bin: &Binary<'_>, v: &Variant, driver: Option<DriverVersion>) -> Check {
    let mut c = Check {
        spec: v.name.clone(),
        ..Check::default()
    };
    let sass = of_kind(bin, ImageKind::Sass);
    let ptx = of_kind(bin, ImageKind::Ptx);
    compare_sass(&mut c, &sass, v);
    compare_ptx(&mut c, &ptx, v);
    ptx_isas(&mut c, &ptx, v, driver);
    c.notes.dedup();
    c.matches = c.missing_sass.is_empty()
        && c.unexpected_sass.is_empty()
        && c.missing_ptx.is_empty()
        && c.unexpected_ptx.is_empty()
        && c.ptx_too_new.is_empty();
    c
}

/// The images of kind `k` with a known architecture.
fn of_kind<'b, 'a>(bin: &'b Binary<'a>, k: ImageKind) -> Vec<&'b Image<'a>> {
    bin.images
        .iter()
        .filter(|i| i.kind == k && i.arch.is_some())
        .collect()
}

/// The image is for `want`; without a recorded suffix, for its base.
fn same(i: &Image<'_>, want: Capability) -> bool {
    match i.arch {
        Some(a) if i.suffix_known => a == want,
        Some(a) => a.base() == want.base(),
        None => false,
    }
}

fn compare_sass(c: &mut Check, sass: &[&Image<'_>], v: &Variant) {
    for &w in &v.capabilities {
        if !sass.iter().any(|i| same(i, w)) {
            c.missing_sass.push(w.sm());
        }
    }
    for i in sass {
        let name = arch_label(i);
        if !v.capabilities.iter().any(|&w| same(i, w)) && !c.unexpected_sass.contains(&name) {
            c.unexpected_sass.push(name);
        }
    }
}

/// Missing and unexpected PTX, and notes when PTX (forward compatibility) is there against
/// the variant's wish.
fn compare_ptx(c: &mut Check, ptx: &[&Image<'_>], v: &Variant) {
    for &w in &v.ptx {
        if !ptx.iter().any(|i| same(i, w)) {
            c.missing_ptx.push(w.compute());
        }
    }
    for i in ptx {
        let name = i.arch_name();
        if !v.ptx.iter().any(|&w| same(i, w)) && !c.unexpected_ptx.contains(&name) {
            c.unexpected_ptx.push(name);
        }
    }
    if v.ptx.is_empty() && !ptx.is_empty() {
        c.notes.push(
            "the variant has no forward compatibility (no PTX), but the binary carries PTX".into(),
        );
    }
    if !v.ptx.is_empty() && ptx.is_empty() {
        c.notes.push("the variant asks for forward compatibility (PTX), but the binary has none: newer GPUs get CUDA_ERROR_NO_BINARY_FOR_GPU".into());
    }
}

/// PTX newer than `driver` JITs, and PTX of another ISA than the variant's CUDA emits.
fn ptx_isas(c: &mut Check, ptx: &[&Image<'_>], v: &Variant, driver: Option<DriverVersion>) {
    let want_isa = db::release(v.cuda).map(|r| (u16::from(r.ptx_isa.0), u16::from(r.ptx_isa.1)));
    let max = driver.and_then(db::driver_max_ptx_isa);
    for i in ptx {
        let Some(isa) = i.ptx_isa else { continue };
        if let Some((a, b)) = max {
            if isa > (u16::from(a), u16::from(b)) {
                c.ptx_too_new.push(format!(
                    "{} has PTX ISA {}.{}, driver {} JITs ≤ {a}.{b} (CUDA_ERROR_UNSUPPORTED_PTX_VERSION on GPUs without a cubin)",
                    i.arch_name(),
                    isa.0,
                    isa.1,
                    driver.map(|d| d.to_string()).unwrap_or_default()
                ));
            }
        }
        if let Some(w) = want_isa {
            if isa != w {
                c.notes.push(format!(
                    "{} has PTX ISA {}.{}; CUDA {} emits {}.{} (built with another CUDA?)",
                    i.arch_name(),
                    isa.0,
                    isa.1,
                    v.cuda,
                    w.0,
                    w.1
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use archbench_core::{CudaVersion, Variant};

    use super::check;
    use crate::image::{read, Options};

    const PTX: &[u8] =
        b".version 8.5\n.target sm_90\n.address_size 64\n.visible .entry k()\n{\n ret;\n}\n";

    fn variant(ptx: bool) -> Variant {
        Variant {
            name: "v".into(),
            cuda: CudaVersion::new(12, 4),
            capabilities: vec!["9.0".parse().unwrap()],
            forward_compat: ptx,
            ptx: if ptx {
                vec!["9.0".parse().unwrap()]
            } else {
                Vec::new()
            },
            package: None,
            origin: Default::default(),
        }
    }

    #[test]
    fn a_ptx_file_against_a_variant() {
        let bin = read(PTX, Options::default()).unwrap();
        let c = check(&bin, &variant(true), None);
        assert_eq!(c.missing_sass, ["sm_90"]);
        assert!(c.missing_ptx.is_empty() && c.unexpected_ptx.is_empty());
        assert!(c.ptx_too_new.is_empty());
        assert!(!c.matches);
        // CUDA 12.4 emits PTX ISA 8.4.
        assert!(
            c.notes.iter().any(|n| n.contains("has PTX ISA 8.5")),
            "{:?}",
            c.notes
        );

        let c = check(&bin, &variant(false), Some("525.60.13".parse().unwrap()));
        assert_eq!(c.unexpected_ptx, ["compute_90"]);
        assert_eq!(c.ptx_too_new.len(), 1, "{:?}", c.ptx_too_new);
        assert!(c.notes[0].starts_with("the variant has no forward compatibility"));
    }
}
