//! Nixpkgs' CUDA rule sets: which assertions a Nixpkgs revision evaluates on a CUDA config,
//! as data, one row per revision that changed them. `--nixpkgs NAME` picks one; the default
//! is the newest ([`DEFAULT`]).
//!
//! What every rule set shares (from the same files in both revisions): the capability table
//! (`_cuda/db/bootstrap/cuda.nix`, see [`crate::db`]), the unrecognized / too old / too new
//! assertions, `cudaCapabilities` = the user's non-empty list as given else the defaults,
//! `cudaForwardCompat` defaulting to true, and `pkgs/top-level/variants.nix` (`pkgsCuda`,
//! `pkgsForCudaArch`). What differs is the Jetson handling:
//!
//! | rule set | validated in | Jetson host | mixing threshold | redist-system assertions |
//! |---|---|---|---|---|
//! | `nixos-26.05` | `backendStdenv/default.nix` | must be aarch64-linux | 10.1 ("pre-Thor") | yes |
//! | `master` | `cudaConfig.nix` + `_cuda/lib/redist.nix` | no check | 8.7 from CUDA 13.0, else 10.1 ("pre-SBSA") | no |

use std::fmt;

use crate::capability::{Capability, Suffix};
use crate::db;
use crate::version::CudaVersion;

/// Where one rule is written in Nixpkgs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Citation {
    /// What the rule does, in a few words.
    pub rule: &'static str,
    /// Path in NixOS/nixpkgs.
    pub file: &'static str,
    /// NixOS/nixpkgs commit the file was read at.
    pub commit: &'static str,
    /// Lines (or the binding) in that file.
    pub lines: &'static str,
}

/// One Nixpkgs revision's CUDA validation rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSet {
    /// `--nixpkgs` name.
    pub name: &'static str,
    /// One line for humans.
    pub summary: &'static str,
    /// The file whose assertions validate a CUDA config.
    pub validated_in: &'static str,
    /// NixOS/nixpkgs commit of that file.
    pub commit: &'static str,
    /// `hasJetsonCudaCapability -> hostNixSystem == "aarch64-linux"`.
    pub jetson_needs_aarch64_host: bool,
    /// Jetson capabilities older than this (per CUDA version, first row whose version is ≤
    /// the CUDA version, rows newest first) may not be mixed with other capabilities.
    pub mix_threshold: &'static [(CudaVersion, Capability)],
    /// The word Nixpkgs' message uses for the Jetson capabilities below the threshold.
    pub mix_word: &'static str,
    /// `preThor != [] -> hostRedistSystem == "linux-aarch64"` and
    /// `postThor != [] -> hostRedistSystem == "linux-sbsa"`.
    pub redist_assertions: bool,
    /// Every rule with the file, commit and lines it follows.
    pub citations: &'static [Citation],
}

const THOR: Capability = Capability::new(10, 1, Suffix::None);
const ORIN: Capability = Capability::new(8, 7, Suffix::None);

const OLD_FILE: &str = "pkgs/development/cuda-modules/backendStdenv/default.nix";
const OLD_COMMIT: &str = "0cdfaf4c0bd5b21c8169b28595f7b6e3d7a37b2b";
const OLD_REDIST_COMMIT: &str = "3f99d36bbf69b8ea60f637a7841f8d24f3ff0ff9";
const NEW_FILE: &str = "pkgs/development/cuda-modules/cudaConfig.nix";
const NEW_COMMIT: &str = "1ac181a172c70d43e3336c1756d86e6a35f2eccb";
const REDIST_FILE: &str = "pkgs/development/cuda-modules/_cuda/lib/redist.nix";
const NEW_REDIST_COMMIT: &str = "1dbbce67809cafa79ee16b2100ac05ebd23e267b";
const VARIANTS_FILE: &str = "pkgs/top-level/variants.nix";
const VARIANTS_COMMIT: &str = "c1d241a1e85913bd8e70bb9bb71b8aa8c2eb9abe";
const TABLE_FILE: &str = "pkgs/development/cuda-modules/_cuda/db/bootstrap/cuda.nix";
const TABLE_COMMIT: &str = "55d5788ba119d2eebd029c1997baef6db81d9372";

const fn cite(
    rule: &'static str,
    file: &'static str,
    commit: &'static str,
    lines: &'static str,
) -> Citation {
    Citation {
        rule,
        file,
        commit,
        lines,
    }
}

const SHARED_TABLE: Citation = cite(
    "capability table: min/max CUDA, default cut-off, Jetson",
    TABLE_FILE,
    TABLE_COMMIT,
    "cudaCapabilityToInfo",
);
const VARIANTS: Citation = cite(
    "pkgsCuda = config // { cudaSupport = true; rocmSupport = false; }; pkgsForCudaArch.sm_X = config // { cudaSupport = true; rocmSupport = false; cudaForwardCompat = false; cudaCapabilities = [ X ]; } for every table key",
    VARIANTS_FILE,
    VARIANTS_COMMIT,
    "pkgsCuda, pkgsForCudaArch",
);

/// The last release branch before "cuda-modules: Allow SBSA Orin to use CUDA 13+"
/// (NixOS/nixpkgs#528562).
pub static NIXOS_26_05: RuleSet = RuleSet {
    name: "nixos-26.05",
    summary: "the rules before NixOS/nixpkgs#528562: Jetson needs an aarch64-linux host, pre-Thor (10.1) Jetson capabilities stand alone, redist-system assertions",
    validated_in: OLD_FILE,
    commit: OLD_COMMIT,
    jetson_needs_aarch64_host: true,
    mix_threshold: &[(CudaVersion::new(0, 0), THOR)],
    mix_word: "pre-Thor",
    redist_assertions: true,
    citations: &[
        SHARED_TABLE,
        VARIANTS,
        cite("cudaForwardCompat = config.cudaForwardCompat or true", OLD_FILE, OLD_COMMIT, "L80"),
        cite("cudaCapabilities = the user's non-empty list as given, else the defaults", OLD_FILE, OLD_COMMIT, "L90-L100"),
        cite("unrecognized / too old / too new capabilities", OLD_FILE, OLD_COMMIT, "L131-L160"),
        cite("Jetson capabilities require hostPlatform aarch64-linux", OLD_FILE, OLD_COMMIT, "L161-L166"),
        cite("pre-Thor (10.1) Jetson capabilities cannot be mixed", OLD_FILE, OLD_COMMIT, "L167-L175"),
        cite("pre-Thor needs hostRedistSystem linux-aarch64, post-Thor linux-sbsa", OLD_FILE, OLD_COMMIT, "L176-L187"),
        cite("getRedistSystem: x86_64-linux → linux-x86_64; aarch64-linux → linux-sbsa when every Jetson capability is ≥ 10.1, else linux-aarch64", REDIST_FILE, OLD_REDIST_COMMIT, "getRedistSystem"),
    ],
};

/// Current master: `cudaConfig.nix` after NixOS/nixpkgs#528562.
pub static MASTER: RuleSet = RuleSet {
    name: "master",
    summary: "the rules after NixOS/nixpkgs#528562: no host-platform check, pre-SBSA threshold 8.7 from CUDA 13.0 (10.1 before), no redist-system assertions",
    validated_in: NEW_FILE,
    commit: NEW_COMMIT,
    jetson_needs_aarch64_host: false,
    mix_threshold: &[(CudaVersion::new(13, 0), ORIN), (CudaVersion::new(0, 0), THOR)],
    mix_word: "pre-SBSA",
    redist_assertions: false,
    citations: &[
        SHARED_TABLE,
        VARIANTS,
        cite("cudaForwardCompat = config.cudaForwardCompat or true", NEW_FILE, NEW_COMMIT, "L37"),
        cite("cudaCapabilities = the user's non-empty list as given, else the defaults", NEW_FILE, NEW_COMMIT, "L47-L57"),
        cite("unrecognized / too old / too new capabilities", NEW_FILE, NEW_COMMIT, "L75-L104"),
        cite("pre-SBSA Jetson capabilities cannot be mixed", NEW_FILE, NEW_COMMIT, "L71-L72, L105-L113"),
        cite("_getJetsonMinSbsaCapability: 8.7 from CUDA 13.0, else 10.1", REDIST_FILE, NEW_REDIST_COMMIT, "_getJetsonMinSbsaCapability"),
    ],
};

/// Every rule set, oldest first.
pub static RULE_SETS: &[&RuleSet] = &[&NIXOS_26_05, &MASTER];

/// The default: the newest.
pub const DEFAULT: &str = "master";

/// The Nix systems archbench validates for (Nixpkgs' CUDA package sets are Linux-only).
pub const SYSTEMS: &[&str] = &["x86_64-linux", "aarch64-linux"];

/// A `--nixpkgs` name that is not a rule set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a Nixpkgs rule set archbench knows; known: {known} (default {DEFAULT})")]
pub struct UnknownRuleSet {
    pub name: String,
    pub known: String,
}

/// A `--system` that Nixpkgs' CUDA packages do not build for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Nix system with CUDA packages: use x86_64-linux or aarch64-linux")]
pub struct UnknownSystem(pub String);

/// Looks a rule set up by name.
pub fn rule_set(name: &str) -> Result<&'static RuleSet, UnknownRuleSet> {
    RULE_SETS
        .iter()
        .copied()
        .find(|r| r.name == name)
        .ok_or_else(|| UnknownRuleSet {
            name: name.to_string(),
            known: RULE_SETS
                .iter()
                .map(|r| r.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The default rule set ([`DEFAULT`]).
pub fn default_rule_set() -> &'static RuleSet {
    &MASTER
}

/// Checks a `--system` value.
pub fn parse_system(s: &str) -> Result<String, UnknownSystem> {
    if SYSTEMS.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(UnknownSystem(s.to_string()))
    }
}

impl RuleSet {
    /// The capability below which Jetson capabilities must stand alone, for CUDA `v`.
    pub fn mix_threshold(&self, v: CudaVersion) -> Capability {
        self.mix_threshold
            .iter()
            .find(|(from, _)| *from <= v)
            .map_or(THOR, |(_, c)| *c)
    }

    /// `getRedistSystem` of this revision: which NVIDIA redist a build for `system` uses.
    pub fn redist_system(&self, caps: &[Capability], v: CudaVersion, system: &str) -> &'static str {
        match system {
            "x86_64-linux" => "linux-x86_64",
            "aarch64-linux" => {
                let min = self.mix_threshold(v);
                let all_sbsa = caps
                    .iter()
                    .all(|c| !db::capability(*c).is_some_and(|i| i.jetson) || *c >= min);
                if all_sbsa {
                    "linux-sbsa"
                } else {
                    "linux-aarch64"
                }
            }
            _ => "unsupported",
        }
    }
}

impl fmt::Display for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Nixpkgs {} ({} @ {})",
            self.name,
            self.validated_in
                .rsplit_once("cuda-modules/")
                .map_or(self.validated_in, |(_, p)| p),
            &self.commit[..12]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(s: &str) -> Capability {
        s.parse().unwrap()
    }

    #[test]
    fn thresholds_follow_each_revision() {
        let v = CudaVersion::new;
        assert_eq!(NIXOS_26_05.mix_threshold(v(13, 0)), cap("10.1"));
        assert_eq!(NIXOS_26_05.mix_threshold(v(12, 6)), cap("10.1"));
        assert_eq!(MASTER.mix_threshold(v(13, 0)), cap("8.7"));
        assert_eq!(MASTER.mix_threshold(v(13, 4)), cap("8.7"));
        assert_eq!(MASTER.mix_threshold(v(12, 9)), cap("10.1"));
    }

    /// The examples in `getRedistSystem`'s doc comment (`_cuda/lib/redist.nix`).
    #[test]
    fn redist_systems() {
        let v = CudaVersion::new;
        for r in RULE_SETS {
            assert_eq!(
                r.redist_system(&[cap("8.7")], v(12, 6), "aarch64-linux"),
                "linux-aarch64"
            );
            assert_eq!(
                r.redist_system(&[cap("11.0")], v(13, 0), "aarch64-linux"),
                "linux-sbsa"
            );
            assert_eq!(
                r.redist_system(&[cap("8.0"), cap("8.9")], v(12, 6), "aarch64-linux"),
                "linux-sbsa"
            );
            assert_eq!(
                r.redist_system(&[cap("8.7")], v(12, 6), "x86_64-linux"),
                "linux-x86_64"
            );
        }
        assert_eq!(
            NIXOS_26_05.redist_system(&[cap("8.7")], v(13, 2), "aarch64-linux"),
            "linux-aarch64"
        );
        assert_eq!(
            MASTER.redist_system(&[cap("8.7")], v(13, 2), "aarch64-linux"),
            "linux-sbsa"
        );
    }

    #[test]
    fn names_and_errors() {
        assert_eq!(rule_set("master").unwrap().name, "master");
        assert_eq!(rule_set(DEFAULT).unwrap(), default_rule_set());
        let e = rule_set("24.05").unwrap_err().to_string();
        assert!(e.contains("nixos-26.05, master"), "{e}");
        assert!(parse_system("aarch64").is_err());
        assert_eq!(parse_system("aarch64-linux").unwrap(), "aarch64-linux");
        assert_eq!(RULE_SETS.last().unwrap().name, DEFAULT);
        assert!(MASTER.to_string().contains("cudaConfig.nix @ 1ac181a172c7"));
    }
}
