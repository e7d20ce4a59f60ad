//! CUDA toolkit versions (`12.8`) and driver versions (`580.65.06`), parsed and ordered.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A CUDA toolkit release as `major.minor`, the unit Nixpkgs (`cudaPackages_12_8`) and
/// NVIDIA's compatibility tables speak in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CudaVersion {
    pub major: u16,
    pub minor: u16,
}

impl CudaVersion {
    pub const fn new(major: u16, minor: u16) -> Self {
        Self { major, minor }
    }

    /// The Nixpkgs package-set attribute for this release, e.g. `cudaPackages_12_8`.
    pub fn nix_attr(self) -> String {
        format!("cudaPackages_{}_{}", self.major, self.minor)
    }
}

impl fmt::Display for CudaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Why a version string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a CUDA version: expected MAJOR.MINOR such as `12.8`")]
pub struct VersionParseError {
    pub text: String,
}

impl FromStr for CudaVersion {
    type Err = VersionParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || VersionParseError {
            text: s.to_string(),
        };
        // `12.8`, or a full release `12.8.93` whose patch is ignored: digits only (no sign,
        // no spaces inside, no empty or extra parts).
        let parts: Vec<&str> = s.trim().split('.').collect();
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(|p| is_number(p)) {
            return Err(err());
        }
        let major = parts[0].parse().map_err(|_| err())?;
        let minor = parts[1].parse().map_err(|_| err())?;
        Ok(Self { major, minor })
    }
}

/// 1 to 6 ASCII digits: what a version component is (`str::parse` would also take `+12`).
fn is_number(p: &str) -> bool {
    (1..=6).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
}

impl Serialize for CudaVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CudaVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A driver as given on the command line: either a Linux driver release (`580.65.06`, `575`)
/// or the CUDA version the driver supports (`12.8`, what `cuDriverGetVersion` reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DriverVersion {
    /// A Linux driver release, components `major.minor.patch` (missing ones are 0).
    Linux([u32; 3]),
    /// The newest CUDA version the driver supports.
    Cuda(CudaVersion),
}

/// Why a driver version string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a driver version: expected a Linux driver such as `580.65.06` or the CUDA version it supports such as `12.8`")]
pub struct DriverParseError {
    pub text: String,
}

impl FromStr for DriverVersion {
    type Err = DriverParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || DriverParseError {
            text: s.to_string(),
        };
        let mut parts = [0u32; 3];
        let mut n = 0;
        for p in s.trim().split('.') {
            if n == 3 || !is_number(p) {
                return Err(err());
            }
            parts[n] = p.parse().map_err(|_| err())?;
            n += 1;
        }
        if parts[0] >= 100 {
            Ok(Self::Linux(parts))
        } else if n == 2 {
            let major = u16::try_from(parts[0]).map_err(|_| err())?;
            let minor = u16::try_from(parts[1]).map_err(|_| err())?;
            Ok(Self::Cuda(CudaVersion::new(major, minor)))
        } else {
            Err(err())
        }
    }
}

impl fmt::Display for DriverVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Linux([a, b, 0]) if *b == 0 => write!(f, "{a}"),
            Self::Linux([a, b, 0]) => write!(f, "{a}.{b:02}"),
            Self::Linux([a, b, c]) => write!(f, "{a}.{b:02}.{c:02}"),
            Self::Cuda(v) => write!(f, "CUDA {v}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuda_versions_parse_and_order() {
        let a: CudaVersion = "12.8".parse().unwrap();
        let b: CudaVersion = "12.10".parse().unwrap();
        let c: CudaVersion = "13.0.88".parse().unwrap();
        assert!(a < b && b < c);
        assert_eq!(c, CudaVersion::new(13, 0));
        assert_eq!(a.nix_attr(), "cudaPackages_12_8");
        assert!("12".parse::<CudaVersion>().is_err());
        assert!("x.y".parse::<CudaVersion>().is_err());
        // Laxness that used to pass: signs, garbage patch, extra parts, inner spaces.
        for bad in [
            "+12.8",
            "12.+8",
            "12.8.x",
            "12.8.93.1",
            "12. 8",
            "12.8.",
            ".8",
            "12..8",
            "1234567.0",
        ] {
            assert!(bad.parse::<CudaVersion>().is_err(), "{bad}");
        }
        assert_eq!(" 12.8 ".parse::<CudaVersion>().unwrap(), a);
    }

    #[test]
    fn drivers_parse_both_forms() {
        assert_eq!(
            "580.65.06".parse::<DriverVersion>().unwrap(),
            DriverVersion::Linux([580, 65, 6])
        );
        assert_eq!(
            "12.8".parse::<DriverVersion>().unwrap(),
            DriverVersion::Cuda(CudaVersion::new(12, 8))
        );
        assert_eq!(
            "575".parse::<DriverVersion>().unwrap(),
            DriverVersion::Linux([575, 0, 0])
        );
        assert!("12".parse::<DriverVersion>().is_err());
        assert!("1.2.3.4".parse::<DriverVersion>().is_err());
        for bad in ["+580.65.06", "580.-1", "580..06", "580.65.06 ", "5 80"] {
            let r = bad.parse::<DriverVersion>();
            assert!(r.is_err() || bad.trim() != bad, "{bad}: {r:?}");
        }
        assert_eq!(DriverVersion::Linux([580, 65, 6]).to_string(), "580.65.06");
    }
}
