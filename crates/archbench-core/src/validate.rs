//! Validation of a [`Variant`] with the Nixpkgs rules of one revision ([`crate::nixpkgs`]; its
//! assertion messages are quoted verbatim) plus the checks Nixpkgs lacks: `a`/`f` with forward
//! compat, PTX newer than a driver, duplicates, and where nvcc refuses what Nixpkgs accepts
//! (marked [`Basis::Nvcc`]). Every finding says what is wrong and how to fix it.

use crate::capability::{Capability, Suffix};
use crate::db::{self, CapabilityInfo};
use crate::diagnostic::{Basis, Code, Diagnostic, Severity};
use crate::loading::LoadError;
use crate::nixpkgs::{self, RuleSet};
use crate::spec::nix_config::json_list;
use crate::variant::{Origin, Variant};
use crate::version::{CudaVersion, DriverVersion};

/// What validation needs beyond the variant.
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    /// The driver the build must load on (`--driver`).
    pub driver: Option<DriverVersion>,
    /// The Nix system building it (`x86_64-linux`, `aarch64-linux`).
    pub system: String,
    /// The Nixpkgs revision whose rules apply (`--nixpkgs`).
    pub nixpkgs: &'static RuleSet,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        Self {
            driver: None,
            system: host_system(),
            nixpkgs: nixpkgs::default_rule_set(),
        }
    }
}

/// The Nix system string of this machine.
pub fn host_system() -> String {
    format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)
}

/// The first line of [`unknown_release`]'s help: every known release and Nixpkgs set.
fn releases_help() -> String {
    let known: Vec<String> = db::RELEASES.iter().map(|r| r.version.to_string()).collect();
    let sets: Vec<String> = db::RELEASES
        .iter()
        .filter(|r| r.in_nixpkgs)
        .map(|r| format!("`{}`", r.version.nix_attr()))
        .collect();
    format!(
        "known releases: {}; Nixpkgs sets: {}",
        known.join(", "),
        sets.join(", ")
    )
}

/// The `unknown-cuda-version` diagnostic for `v`.
pub fn unknown_release(v: CudaVersion) -> Diagnostic {
    let newest = db::newest_release().version;
    let what = if v > newest {
        format!(
            "CUDA {v} is newer than every CUDA release archbench knows (the newest is {newest})"
        )
    } else {
        format!("CUDA {v} is not a CUDA release archbench knows (the newest is {newest})")
    };
    Diagnostic::error(Code::UnknownCudaVersion, what).with_help(releases_help())
}

fn nix_error(code: Code, message: String, severity: Severity) -> Diagnostic {
    Diagnostic {
        severity,
        code,
        message,
        help: None,
        basis: Basis::Nixpkgs,
    }
}

/// Validates one variant; errors make it invalid, warnings do not.
pub fn validate(v: &Variant, opts: &ValidateOptions) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let nix = v.origin.is_nixpkgs();
    if db::release(v.cuda).is_none() {
        out.push(unknown_release(v.cuda));
    }
    if v.capabilities.is_empty() && v.ptx.is_empty() {
        out.push(
            Diagnostic::error(
                Code::EmptyCapabilities,
                "the variant has no capabilities: nvcc would build nothing for a GPU",
            )
            .with_help("list at least one capability, e.g. \"8.9\""),
        );
        return out;
    }
    // Nixpkgs checks `cudaCapabilities` as given (user order, repeats kept); the PTX target of
    // a Nixpkgs variant is one of them. torch/cmake specs are checked on every target.
    let checked: Vec<Capability> = if nix {
        v.capabilities.clone()
    } else {
        v.all_capabilities()
    };
    let infos = unknown_capabilities(&checked, nix, &mut out);
    duplicate_capabilities(v, &mut out);
    plain_and_family_sass(v, opts.nixpkgs, nix, &mut out);
    range_checks(v, &infos, nix, &mut out);
    jetson_rules(v, &checked, opts, nix, &mut out);
    forward_compat(v, nix, &mut out);
    ptx_too_new_for_driver(v, opts.driver, &mut out);
    out
}

/// Reports the capabilities of `checked` that the table (Nixpkgs' for Nix specs) does not know,
/// and returns what it knows about the others.
fn unknown_capabilities(
    checked: &[Capability],
    nix: bool,
    out: &mut Vec<Diagnostic>,
) -> Vec<&'static CapabilityInfo> {
    let known = |c: &Capability| db::capability(*c).filter(|i| !nix || i.in_nixpkgs());
    let unknown: Vec<Capability> = checked
        .iter()
        .copied()
        .filter(|c| known(c).is_none())
        .collect();
    if !unknown.is_empty() {
        let names: Vec<String> = unknown.iter().map(|c| c.to_string()).collect();
        let mut help: Vec<String> = Vec::new();
        for c in &unknown {
            let h = unknown_help(*c, nix);
            if !help.contains(&h) {
                help.push(h);
            }
        }
        out.push(
            nix_error(
                Code::UnknownCapability,
                format!(
                    "Requested unrecognized CUDA capabilities: {}",
                    json_list(&names)
                ),
                Severity::Error,
            )
            .with_help(help.join("\n")),
        );
    }
    checked.iter().filter_map(known).collect()
}

/// Warns about every capability listed more than once.
fn duplicate_capabilities(v: &Variant, out: &mut Vec<Diagnostic>) {
    let mut seen = Vec::new();
    for c in &v.capabilities {
        if seen.contains(c) {
            out.push(
                Diagnostic::warning(Code::DuplicateCapability, format!("capability {c} is listed twice; Nixpkgs passes the list as given, so nvcc gets a duplicate -gencode"))
                    .with_help("remove the repeat"),
            );
        }
        seen.push(*c);
    }
}

/// nvcc refuses SASS for X and Xf together; Nixpkgs does not check it.
fn plain_and_family_sass(v: &Variant, rules: &RuleSet, nix: bool, out: &mut Vec<Diagnostic>) {
    for c in v.capabilities.iter().filter(|c| c.suffix == Suffix::Family) {
        if v.capabilities.contains(&c.base()) {
            let accepted = if nix {
                format!("{} accepts this list and emits both -gencode=arch={},code={} and -gencode=arch={},code={}", rules, c.base().compute(), c.base().sm(), c.compute(), c.sm())
            } else {
                "the spec asks for both".to_string()
            };
            out.push(Diagnostic {
                severity: Severity::Error,
                code: Code::PlainAndFamilySass,
                message: format!("{} and {} are both built as SASS: {accepted}, but nvcc 13.0 rejects the build with \"The same GPU code (`{}`) generated for non family-specific and family-specific GPU arch\"", c.base(), c, c.sm()),
                help: Some(format!("keep one of them: {} runs on {}, {} only on {}", c, crate::loading::family_members(*c).iter().map(|(a, b)| format!("{a}.{b}")).collect::<Vec<_>>().join(" and "), c.base(), c.base())),
                basis: Basis::Nvcc,
            });
        }
    }
}

/// Range checks, Nixpkgs' table for Nix specs, NVIDIA's toolchain range otherwise.
fn range_checks(v: &Variant, infos: &[&CapabilityInfo], nix: bool, out: &mut Vec<Diagnostic>) {
    let supports = |i: &CapabilityInfo, cv: CudaVersion| {
        if nix {
            i.nix_supports(cv)
        } else {
            i.nvidia_supports(cv)
        }
    };
    let max_of = |i: &CapabilityInfo| if nix { i.nix_max } else { i.nvidia_max };
    let min_of = |i: &CapabilityInfo| {
        if nix {
            i.nix_min.unwrap_or(i.nvidia_min)
        } else {
            i.nvidia_min
        }
    };
    let too_old: Vec<&CapabilityInfo> = infos
        .iter()
        .copied()
        .filter(|i| max_of(i).is_some_and(|m| m < v.cuda))
        .collect();
    let too_new: Vec<&CapabilityInfo> = infos
        .iter()
        .copied()
        .filter(|i| v.cuda < min_of(i))
        .collect();
    let mut distinct: Vec<&CapabilityInfo> = Vec::new();
    for i in infos {
        if !distinct.iter().any(|d| d.capability == i.capability) {
            distinct.push(i);
        }
    }
    let fix = suggest_cuda(&distinct, v.cuda, &supports);
    for (list, code, word) in [
        (&too_old, Code::CapabilityTooOld, "old"),
        (&too_new, Code::CapabilityTooNew, "new"),
    ] {
        if list.is_empty() {
            continue;
        }
        let names: Vec<String> = list.iter().map(|i| i.capability.to_string()).collect();
        let mut lines: Vec<String> = Vec::new();
        for i in list.iter() {
            let t = range_text(i, nix);
            if !lines.contains(&t) {
                lines.push(t);
            }
        }
        lines.push(fix_text(v, fix, list));
        out.push(
            nix_error(
                code,
                format!(
                    "Requested CUDA capabilities which are too {word} for CUDA {}: {}",
                    v.cuda,
                    json_list(&names)
                ),
                Severity::Error,
            )
            .with_help(lines.join("\n")),
        );
    }
}

/// `a`/`f` with forward compatibility.
fn forward_compat(v: &Variant, nix: bool, out: &mut Vec<Diagnostic>) {
    let specific_ptx: Vec<String> = v
        .ptx
        .iter()
        .filter(|c| c.suffix != Suffix::None)
        .map(|c| c.to_string())
        .collect();
    let specific_any = v.capabilities.iter().any(|c| c.suffix != Suffix::None);
    if !specific_ptx.is_empty() {
        out.push(
            Diagnostic::warning(Code::ArchSpecificForwardCompat, format!("forward compatibility is on, but its PTX is {} ({}), which runs only on that architecture (family), so it makes no build forward-compatible", specific_ptx.join(", "), v.ptx.iter().filter(|c| c.suffix != Suffix::None).map(|c| c.compute()).collect::<Vec<_>>().join(", ")))
                .with_help(match v.origin {
                    Origin::NixAttrPath { .. } | Origin::NixConfig => "set `cudaForwardCompat = false;` (as `pkgsForCudaArch.sm_90a` does), or put a plain capability last in `cudaCapabilities`",
                    Origin::Torch => "put `+PTX` on a plain capability (e.g. `9.0+PTX`) instead",
                    Origin::Cmake => "use `-real` for the arch-specific entry and add a plain `-virtual` one",
                }),
        );
    } else if nix && v.forward_compat && specific_any {
        out.push(
            Diagnostic::warning(Code::ArchSpecificForwardCompat, "an `a`/`f` capability is built with forward compatibility on; Nixpkgs documents that these \"cannot be built with forward compatibility\" but does not check it")
                .with_help("set `cudaForwardCompat = false;`, or build the `a`/`f` capability in its own variant"),
        );
    }
}

/// PTX newer than the driver.
fn ptx_too_new_for_driver(v: &Variant, driver: Option<DriverVersion>, out: &mut Vec<Diagnostic>) {
    let (Some(driver), false) = (driver, v.ptx.is_empty()) else {
        return;
    };
    let Some(rel) = db::release(v.cuda) else {
        return;
    };
    let max = db::driver_max_ptx_isa(driver);
    if max.is_some_and(|m| m >= rel.ptx_isa) {
        return;
    }
    let can = match (db::driver_max_cuda(driver), max) {
        (Some(c), Some(m)) => format!(
            "driver {driver} supports CUDA ≤ {c} (PTX ISA ≤ {}.{})",
            m.0, m.1
        ),
        _ => {
            format!("driver {driver} is older than every CUDA release archbench knows")
        }
    };
    let older = db::driver_max_cuda(driver)
        .map(|c| format!("build with CUDA {c} or older, or "))
        .unwrap_or_default();
    out.push(
        Diagnostic::error(Code::PtxTooNewForDriver, format!("the PTX is ISA {} (CUDA {}), which needs {}, but {can}: loading it fails with {} ({})", rel.ptx_isa_string(), v.cuda, rel.needs_driver(), LoadError::UnsupportedPtxVersion.name(), LoadError::UnsupportedPtxVersion.code()))
            .with_help(format!("{older}upgrade to {}", rel.needs_driver())),
    );
}

/// The Jetson assertions of the chosen rule set (errors for Nixpkgs specs, warnings for
/// torch/cmake specs, which Nixpkgs does not build).
fn jetson_rules(
    v: &Variant,
    caps: &[Capability],
    opts: &ValidateOptions,
    nix: bool,
    out: &mut Vec<Diagnostic>,
) {
    let rules = opts.nixpkgs;
    let severity = if nix {
        Severity::Error
    } else {
        Severity::Warning
    };
    let names = |l: &[Capability]| -> Vec<String> { l.iter().map(|c| c.to_string()).collect() };
    // `intersectLists jetsonCudaCapabilities cudaCapabilities`: user order, repeats kept.
    let jetson: Vec<Capability> = caps
        .iter()
        .copied()
        .filter(|c| db::capability(*c).is_some_and(|i| i.jetson && (!nix || i.in_nixpkgs())))
        .collect();
    if jetson.is_empty() {
        return;
    }
    let system = opts.system.as_str();
    if rules.jetson_needs_aarch64_host && system != "aarch64-linux" {
        out.push(
            nix_error(
                Code::JetsonNeedsAarch64,
                format!(
                    "Requested Jetson CUDA capabilities ({}) require hostPlatform ({system}) to be aarch64-linux",
                    json_list(&names(&jetson))
                ),
                severity,
            )
            .with_help(format!(
                "Jetson builds are made for aarch64-linux under {rules}: pass `--system aarch64-linux` (pkgsCross.aarch64-multiplatform), use `--nixpkgs master` (no host check since NixOS/nixpkgs#528562), or drop the Jetson capabilities"
            )),
        );
    }
    let threshold = rules.mix_threshold(v.cuda);
    let pre: Vec<Capability> = jetson.iter().copied().filter(|c| *c < threshold).collect();
    if !pre.is_empty() && pre.as_slice() != caps {
        let others: Vec<Capability> = caps.iter().copied().filter(|c| !pre.contains(c)).collect();
        let alone = pre
            .first()
            .map(|c| format!("`pkgsForCudaArch.{}`", c.sm()))
            .unwrap_or_default();
        out.push(
            nix_error(
                Code::JetsonMixed,
                format!(
                    "Requested {} ({threshold}) Jetson CUDA capabilities ({}) cannot be specified with other capabilities ({})",
                    rules.mix_word,
                    json_list(&names(&pre)),
                    json_list(&names(&others))
                ),
                severity,
            )
            .with_help(format!(
                "build the {} Jetson capability in a variant of its own, e.g. {alone}{}",
                rules.mix_word,
                if rules.name != nixpkgs::MASTER.name && pre.iter().all(|c| *c >= nixpkgs::MASTER.mix_threshold(crate::version::CudaVersion::new(13, 0))) {
                    "; `--nixpkgs master` with CUDA ≥ 13.0 lets Orin (8.7) be mixed"
                } else {
                    ""
                }
            )),
        );
    }
    if rules.redist_assertions {
        let redist = rules.redist_system(caps, v.cuda, system);
        let post: Vec<Capability> = jetson.iter().copied().filter(|c| *c >= threshold).collect();
        for (list, want, word) in [
            (&pre, "linux-aarch64", "pre-Thor"),
            (&post, "linux-sbsa", "post-Thor"),
        ] {
            if !list.is_empty() && redist != want {
                out.push(
                    nix_error(
                        Code::JetsonRedistSystem,
                        format!(
                            "Requested {word} ({threshold}) Jetson CUDA capabilities ({}) require computed NVIDIA hostRedistSystem ({redist}) to be {want}",
                            json_list(&names(list))
                        ),
                        severity,
                    )
                    .with_help(format!(
                        "{want} is what `getRedistSystem` picks on aarch64-linux when {}: build on aarch64-linux with only {word} Jetson capabilities",
                        if want == "linux-sbsa" { "every Jetson capability is ≥ 10.1" } else { "a Jetson capability is older than 10.1" }
                    )),
                );
            }
        }
    }
}

/// The CUDA version closest to `current` that supports every capability, preferring Nixpkgs sets.
fn suggest_cuda(
    infos: &[&CapabilityInfo],
    current: CudaVersion,
    supports: &dyn Fn(&CapabilityInfo, CudaVersion) -> bool,
) -> Option<CudaVersion> {
    let fits = |r: &&db::CudaRelease| infos.iter().all(|i| supports(i, r.version));
    let dist = |v: CudaVersion| {
        (i32::from(v.major) * 100 + i32::from(v.minor)
            - i32::from(current.major) * 100
            - i32::from(current.minor))
        .abs()
    };
    let pick = |nix_only: bool| {
        db::RELEASES
            .iter()
            .filter(|r| !nix_only || r.in_nixpkgs)
            .filter(fits)
            .min_by_key(|r| dist(r.version))
            .map(|r| r.version)
    };
    pick(true).or_else(|| pick(false))
}

fn range_text(i: &CapabilityInfo, nix: bool) -> String {
    // Nixpkgs' minimum, unless it names a release that never shipped (10.0's 12.7).
    let first = match i.nix_min {
        Some(m)
            if db::release(m).is_some() || db::RELEASES.first().is_some_and(|r| m < r.version) =>
        {
            Some(m)
        }
        _ => db::first_release_supporting(i).map(|r| r.version),
    };
    let last = i.nix_max;
    let (first, last) = if nix {
        (first, last)
    } else {
        (Some(i.nvidia_min), i.nvidia_max)
    };
    let c = i.capability;
    match (first, last) {
        (Some(a), Some(b)) => format!("{} ({}) is supported by CUDA {a} to {b}", c.sm(), i.arch),
        (Some(a), None) => format!("{} needs CUDA ≥ {a}", c.sm()),
        (None, _) => format!("{} is supported by no CUDA release", c.sm()),
    }
}

fn fix_text(v: &Variant, fix: Option<CudaVersion>, list: &[&CapabilityInfo]) -> String {
    let Some(cv) = fix else {
        let names: Vec<String> = list
            .iter()
            .map(|i| format!("\"{}\"", i.capability))
            .collect();
        return format!("no single CUDA release supports all requested capabilities: drop {} or split the variant", names.join(", "));
    };
    match &v.origin {
        Origin::NixAttrPath { base } => {
            let tail = v
                .package
                .as_deref()
                .filter(|p| !p.starts_with("cudaPackages_"))
                .map(|p| format!(".{p}"))
                .unwrap_or_default();
            let base = if base.is_empty() {
                String::new()
            } else {
                format!("{base}.")
            };
            format!("try `{base}{}.pkgs{tail}`", cv.nix_attr())
        }
        Origin::NixConfig => format!(
            "build with CUDA {cv}: `{}.pkgs` (or `--cuda {cv}`), or drop the capability",
            cv.nix_attr()
        ),
        Origin::Torch | Origin::Cmake => {
            format!("build with CUDA {cv} (`--cuda {cv}`), or drop the capability")
        }
    }
}

fn unknown_help(c: Capability, nix: bool) -> String {
    if let Some(i) = db::capability(c) {
        if nix && !i.in_nixpkgs() {
            return format!(
                "{c}: {} (use a `torch:` or `cmake:` spec to build it outside Nixpkgs' table)",
                i.note
            );
        }
    }
    let candidates = db::CAPABILITIES
        .iter()
        .filter(|i| !nix || i.in_nixpkgs())
        .map(|i| i.capability);
    let near = candidates.min_by_key(|k| {
        let d = (i32::from(k.major) - i32::from(c.major)).abs() * 10
            + (i32::from(k.minor) - i32::from(c.minor)).abs();
        d * 2 + i32::from(k.suffix != c.suffix)
    });
    let list: Vec<String> = db::CAPABILITIES
        .iter()
        .filter(|i| !nix || i.in_nixpkgs())
        .map(|i| i.capability.to_string())
        .collect();
    match near {
        Some(n) => format!(
            "{c} is not a known capability; did you mean \"{n}\"? Known: {}",
            list.join(" ")
        ),
        None => format!("{c} is not a known capability"),
    }
}

/// `true` when no diagnostic is an error.
pub fn is_valid(diags: &[Diagnostic]) -> bool {
    !diags.iter().any(Diagnostic::is_error)
}
