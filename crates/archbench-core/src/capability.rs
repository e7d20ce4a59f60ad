//! GPU compute capabilities (`8.9`, `9.0a`, `10.0f`): parsing every spelling users meet
//! (`8.9`, `89`, `sm_89`, `compute_90a`), Nix version ordering, and the dot-less form
//! Nixpkgs puts in flags.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The `a` (architecture-specific) or `f` (family-specific) suffix of a capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Suffix {
    /// Plain capability: SASS runs on later minors of the same major, PTX on any later GPU.
    None,
    /// `a`: uses features of exactly this GPU (e.g. `wgmma` on 9.0a); loads only there.
    Arch,
    /// `f`: uses features shared by a family (e.g. 10.0f runs on 10.0 and 10.3).
    Family,
}

impl Suffix {
    pub fn as_str(self) -> &'static str {
        match self {
            Suffix::None => "",
            Suffix::Arch => "a",
            Suffix::Family => "f",
        }
    }
}

/// A compute capability such as `8.9` or `10.0a`.
///
/// Ordering is Nix's `versionOlder` order, which Nixpkgs sorts its table with:
/// `9.0 < 9.0a < 10.0 < 10.0a < 10.0f < 10.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Capability {
    pub major: u8,
    pub minor: u8,
    pub suffix: Suffix,
}

impl Capability {
    pub const fn new(major: u8, minor: u8, suffix: Suffix) -> Self {
        Self {
            major,
            minor,
            suffix,
        }
    }

    pub const fn plain(major: u8, minor: u8) -> Self {
        Self::new(major, minor, Suffix::None)
    }

    /// The same capability without its `a`/`f` suffix.
    pub const fn base(self) -> Self {
        Self::plain(self.major, self.minor)
    }

    /// Nixpkgs' `dropDots`: `10.0a` → `100a`.
    pub fn dotless(self) -> String {
        format!("{}{}{}", self.major, self.minor, self.suffix.as_str())
    }

    /// `sm_100a`: the real (SASS) architecture name.
    pub fn sm(self) -> String {
        format!("sm_{}", self.dotless())
    }

    /// `compute_100a`: the virtual (PTX) architecture name.
    pub fn compute(self) -> String {
        format!("compute_{}", self.dotless())
    }

    /// The SM number NVIDIA uses in binaries: `major * 10 + minor`.
    pub fn sm_number(self) -> u32 {
        u32::from(self.major) * 10 + u32::from(self.minor)
    }

    pub fn is_arch_specific(self) -> bool {
        self.suffix == Suffix::Arch
    }

    pub fn is_family_specific(self) -> bool {
        self.suffix == Suffix::Family
    }

    /// Parses the dot-less spellings `89`, `100a`, `sm_89`, `compute_90a`.
    pub fn parse_dotless(s: &str) -> Result<Self, CapabilityParseError> {
        let err = || CapabilityParseError {
            text: s.to_string(),
        };
        let t = s
            .strip_prefix("sm_")
            .or_else(|| s.strip_prefix("compute_"))
            .or_else(|| s.strip_prefix("lto_"))
            .unwrap_or(s);
        let (digits, suffix) = split_suffix(t);
        if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let (maj, min) = digits.split_at(digits.len() - 1);
        Ok(Self::new(
            maj.parse().map_err(|_| err())?,
            min.parse().map_err(|_| err())?,
            suffix.ok_or_else(err)?,
        ))
    }
}

fn split_suffix(t: &str) -> (&str, Option<Suffix>) {
    if let Some(d) = t.strip_suffix('a') {
        (d, Some(Suffix::Arch))
    } else if let Some(d) = t.strip_suffix('f') {
        (d, Some(Suffix::Family))
    } else if t.ends_with(|c: char| c.is_ascii_digit()) {
        (t, Some(Suffix::None))
    } else {
        (t, None)
    }
}

impl Ord for Capability {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.suffix).cmp(&(other.major, other.minor, other.suffix))
    }
}

impl PartialOrd for Capability {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}{}", self.major, self.minor, self.suffix.as_str())
    }
}

/// Why a capability string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a compute capability: expected MAJOR.MINOR with an optional `a`/`f` suffix, such as `8.9` or `9.0a`")]
pub struct CapabilityParseError {
    pub text: String,
}

impl FromStr for Capability {
    type Err = CapabilityParseError;

    /// Parses the dotted form Nixpkgs and PyTorch use: `8.9`, `9.0a`, `10.0f`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || CapabilityParseError {
            text: s.to_string(),
        };
        let (maj, rest) = s.split_once('.').ok_or_else(err)?;
        let (min, suffix) = split_suffix(rest);
        let suffix = suffix.ok_or_else(err)?;
        if maj.is_empty()
            || min.is_empty()
            || !maj.bytes().all(|b| b.is_ascii_digit())
            || !min.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(err());
        }
        Ok(Self::new(
            maj.parse().map_err(|_| err())?,
            min.parse().map_err(|_| err())?,
            suffix,
        ))
    }
}

impl Serialize for Capability {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Capability {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_spellings() {
        let c: Capability = "10.0a".parse().unwrap();
        assert_eq!(c, Capability::new(10, 0, Suffix::Arch));
        assert_eq!(Capability::parse_dotless("sm_100a").unwrap(), c);
        assert_eq!(Capability::parse_dotless("100a").unwrap(), c);
        assert_eq!(
            Capability::parse_dotless("compute_89").unwrap(),
            Capability::plain(8, 9)
        );
        assert_eq!(c.dotless(), "100a");
        assert_eq!(c.sm(), "sm_100a");
        assert_eq!(c.compute(), "compute_100a");
        assert_eq!(c.sm_number(), 100);
        for bad in ["", "8", "8.", ".9", "8.9b", "x.y", "89", "8.9.1", "-8.9"] {
            assert!(bad.parse::<Capability>().is_err(), "{bad}");
        }
        for bad in ["", "sm_", "sm_9", "sm_89b", "sm_8x"] {
            assert!(Capability::parse_dotless(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn orders_like_nix_versions() {
        let mut v: Vec<Capability> = ["10.1", "10.0f", "9.0a", "10.0", "9.0", "10.0a", "12.0"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        v.sort();
        let s: Vec<String> = v.iter().map(|c| c.to_string()).collect();
        assert_eq!(s, ["9.0", "9.0a", "10.0", "10.0a", "10.0f", "10.1", "12.0"]);
    }
}
