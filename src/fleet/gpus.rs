//! GPU models a fleet file may name, their compute capability, and whether the device a
//! run found is the model a target expected.
//!
//! Matching is by whole words of the device name, so `A10` does not match an
//! `NVIDIA A100-SXM4-80GB` and `L40` does not match an `NVIDIA L40S`.

use archbench_core::Capability;

/// Models archbench knows the capability of (NVIDIA's CUDA GPUs list). A model not listed
/// here can still be named, with its `capability` given explicitly.
const MODELS: &[(&str, &str)] = &[
    ("V100", "7.0"),
    ("T4", "7.5"),
    ("RTX 2080", "7.5"),
    ("RTX 2080 Ti", "7.5"),
    ("Quadro RTX 6000", "7.5"),
    ("A100", "8.0"),
    ("A800", "8.0"),
    ("A30", "8.0"),
    ("A10", "8.6"),
    ("A10G", "8.6"),
    ("A16", "8.6"),
    ("A2", "8.6"),
    ("A40", "8.6"),
    ("RTX A6000", "8.6"),
    ("RTX 3080", "8.6"),
    ("RTX 3090", "8.6"),
    ("L4", "8.9"),
    ("L20", "8.9"),
    ("L40", "8.9"),
    ("L40S", "8.9"),
    ("RTX 4080", "8.9"),
    ("RTX 4090", "8.9"),
    ("RTX 6000 Ada", "8.9"),
    ("H100", "9.0"),
    ("H200", "9.0"),
    ("H800", "9.0"),
    ("H20", "9.0"),
    ("GH200", "9.0"),
    ("B200", "10.0"),
    ("GB200", "10.0"),
    ("B300", "10.3"),
    ("GB300", "10.3"),
    ("RTX 5080", "12.0"),
    ("RTX 5090", "12.0"),
    ("RTX PRO 6000", "12.0"),
    ("GB10", "12.1"),
];

/// Upper-case alphanumeric words: `NVIDIA GeForce RTX 4090` → `NVIDIA GEFORCE RTX 4090`.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect()
}

/// The capability of a model archbench knows (`H100` → 9.0, `rtx 4090` → 8.9).
pub fn capability_of(model: &str) -> Option<Capability> {
    let w = words(model);
    MODELS
        .iter()
        .find(|(m, _)| words(m) == w)
        .and_then(|(_, c)| c.parse().ok())
}

/// The models archbench knows, for help texts.
pub fn known_models() -> Vec<&'static str> {
    MODELS.iter().map(|(m, _)| *m).collect()
}

/// Whether a device name (as CUDA reports it) is the model: the model's words appear
/// consecutively among the device name's words.
pub fn device_is_model(device: &str, model: &str) -> bool {
    let d = words(device);
    let m = words(model);
    !m.is_empty() && d.windows(m.len()).any(|w| w == m.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_models_have_valid_capabilities() {
        for (m, c) in MODELS {
            let cap: Capability = c.parse().unwrap_or_else(|e| panic!("{m}: {e}"));
            assert!(archbench_core::db::capability(cap).is_some(), "{m}: {c}");
        }
        assert_eq!(capability_of("h100").unwrap().to_string(), "9.0");
        assert_eq!(capability_of("RTX-4090").unwrap().to_string(), "8.9");
        assert!(capability_of("H1000").is_none());
    }

    #[test]
    fn device_names_match_by_whole_words() {
        assert!(device_is_model("NVIDIA H100 80GB HBM3", "H100"));
        assert!(device_is_model("NVIDIA GeForce RTX 4090", "RTX 4090"));
        assert!(device_is_model("NVIDIA H200", "h200"));
        assert!(!device_is_model("NVIDIA A100-SXM4-80GB", "A10"));
        assert!(!device_is_model("NVIDIA L40S", "L40"));
        assert!(!device_is_model("NVIDIA L4", "L40"));
        assert!(!device_is_model("NVIDIA L4", ""));
    }
}
