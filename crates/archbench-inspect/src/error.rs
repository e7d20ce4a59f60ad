//! The one error type of the inspection layer: every way a byte string can fail to be a CUDA
//! binary, with where it happened and what was expected, so the CLI can say how to fix it.

/// Which decompressor a payload needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// Raw LZ4 block (fatbin flag 0x2000, `--compress-mode=speed`).
    Lz4,
    /// Zstandard frame (fatbin flag 0x8000, CUDA 13.0's default).
    Zstd,
}

impl Codec {
    pub fn as_str(self) -> &'static str {
        match self {
            Codec::Lz4 => "lz4",
            Codec::Zstd => "zstd",
        }
    }
}

/// Why bytes could not be read as a CUDA binary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectError {
    /// The input ends before a structure it promises.
    #[error("{what} at offset {offset:#x} needs {need} bytes but only {have} are left (file truncated?)")]
    Truncated {
        what: &'static str,
        offset: u64,
        need: u64,
        have: u64,
    },
    /// A magic number or identification field is not what the format requires.
    #[error("bad magic for {what} at offset {offset:#x}: expected {expected}, found {found}")]
    BadMagic {
        what: &'static str,
        offset: u64,
        expected: &'static str,
        found: String,
    },
    /// An offset or size field points outside the data it lives in.
    #[error("{what} points past the end: offset {offset:#x} + size {size:#x} > {limit:#x}")]
    OutOfBounds {
        what: &'static str,
        offset: u64,
        size: u64,
        limit: u64,
    },
    /// A count field is larger than the data could possibly hold.
    #[error("{what} count {count} is impossible for {available} bytes of data")]
    HugeCount {
        what: &'static str,
        count: u64,
        available: u64,
    },
    /// A field has a value the format does not allow.
    #[error("invalid {what} at offset {offset:#x}: {detail}")]
    Invalid {
        what: &'static str,
        offset: u64,
        detail: String,
    },
    /// A compressed payload declares (or expands to) more than the limit.
    #[error("{codec:?} payload at offset {offset:#x} declares {declared} bytes uncompressed, over the limit of {limit} bytes (decompression bomb?)")]
    TooLarge {
        codec: Codec,
        offset: u64,
        declared: u64,
        limit: u64,
    },
    /// The compressed payload is corrupt or does not expand to its declared size.
    #[error("{codec:?} payload at offset {offset:#x} does not decompress: {detail}")]
    Decompress {
        codec: Codec,
        offset: u64,
        detail: String,
    },
    /// Bytes that are none of the formats this crate reads.
    #[error("not a CUDA binary: expected a cubin (ELF e_machine 190), a fatbin (magic 0xBA55ED50), PTX text (`.version`), or an ELF with a `.nv_fatbin` section; found {found}")]
    UnknownFormat { found: String },
    /// A host ELF without any embedded device code.
    #[error(
        "ELF file has no `.nv_fatbin` section and is not a cubin: it contains no CUDA device code"
    )]
    NoDeviceCode,
}

impl InspectError {
    /// A hint on what to do about it, for the CLI.
    pub fn help(&self) -> &'static str {
        match self {
            InspectError::Truncated { .. } | InspectError::OutOfBounds { .. } => {
                "the file is truncated or corrupt: rebuild it or copy it again"
            }
            InspectError::UnknownFormat { .. } | InspectError::NoDeviceCode => {
                "pass a .cubin, .fatbin, .ptx, or a shared library/executable built with nvcc"
            }
            InspectError::TooLarge { .. } => {
                "the declared size is implausible; if the file is genuine, report it with the file attached"
            }
            _ => "the file is corrupt or in a layout archbench does not know; compare with `cuobjdump --list-elf --list-ptx FILE`",
        }
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, InspectError>;
