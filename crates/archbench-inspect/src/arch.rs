//! Which architecture numbers, `a`/`f` suffixes and PTX ISA versions exist, so that a flipped
//! bit or a misread field is reported as impossible instead of printed as `sm_75a` or PTX ISA
//! 113.8.

use archbench_core::{db, Capability, Suffix};

/// SM numbers NVIDIA has assigned (cuobjdump, ptxas and LLVM's `EF_CUDA_SM*` list).
pub const KNOWN_SM: &[u32] = &[
    10, 11, 12, 13, 20, 21, 30, 32, 35, 37, 50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 88, 89,
    90, 100, 101, 103, 110, 120, 121,
];

/// True for an SM number of a real GPU architecture.
pub fn sm_known(sm: u32) -> bool {
    KNOWN_SM.contains(&sm)
}

/// True for an SM number that may be a real architecture, including ones newer than this
/// table (a two- or three-digit number whose last digit is the minor).
pub fn sm_plausible(sm: u32) -> bool {
    (10..=199).contains(&sm)
}

/// The capability of SM number `sm` with `suffix`, when that target exists (`sm_90a` does,
/// `sm_75a` and `sm_90f` do not). Plain targets exist for every plausible SM number.
pub fn capability(sm: u32, suffix: Suffix) -> Option<Capability> {
    if !sm_plausible(sm) {
        return None;
    }
    let c = Capability::new((sm / 10) as u8, (sm % 10) as u8, suffix);
    match suffix {
        Suffix::None => Some(c),
        _ => db::capability(c).map(|i| i.capability),
    }
}

/// True for a PTX ISA version some CUDA release could emit (1.0–9.x, and later majors up to
/// 15 for releases newer than this table); `113.8` is not.
pub fn ptx_isa_plausible(isa: (u16, u16)) -> bool {
    (1..=15).contains(&isa.0) && isa.1 <= 9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_exist_only_where_nvidia_defines_them() {
        assert!(capability(90, Suffix::Arch).is_some());
        assert!(capability(75, Suffix::Arch).is_none());
        assert!(capability(50, Suffix::Arch).is_none());
        assert!(capability(90, Suffix::Family).is_none());
        assert!(capability(100, Suffix::Family).is_some());
        assert!(capability(0, Suffix::None).is_none());
        assert!(capability(75, Suffix::None).is_some());
        assert!(ptx_isa_plausible((9, 0)));
        assert!(!ptx_isa_plausible((113, 8)));
        assert!(!ptx_isa_plausible((0, 0)));
    }
}
