//! The build manifest a kernel build writes and the binary embeds: which variants were
//! compiled, with which toolchain and flags, how big each image is, how long it took, and what
//! ptxas reported per kernel per architecture (registers, spills, shared memory).
//!
//! Versions:
//! - 1: [`BuildManifest`] (archbench's own `build.rs`).
//! - 2: [`CrateManifest`]: the version-1 fields plus what a reader of any crate's kernels
//!   needs (written by `archbench-build`): the package, the compile options, and per image key
//!   its source and compile-axis values. Every version-2 field has a default, so a version-1
//!   manifest reads as a version-2 one ([`parse`]).
//!
//! Image keys name one compiled source within a variant: the source's file name, plus its
//! compile-axis values when it has any (`saxpy.cu`, `tile.cu[TILE=32]`, `tile.cu[TILE=32,VEC=4]`);
//! [`image_key`] writes them, [`parse_image_key`] reads them back.

use serde::{Deserialize, Serialize};

/// The manifest version this crate writes.
pub const MANIFEST_VERSION: u32 = 2;
/// The oldest manifest version [`parse`] still reads.
pub const OLDEST_MANIFEST_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildManifest {
    pub manifest_version: u32,
    /// Why kernels were not built (`ARCHBENCH_SKIP_KERNELS=1`), if they were not.
    pub skipped: Option<String>,
    pub nvcc: Option<NvccInfo>,
    pub variants: Vec<VariantBuild>,
    /// Wall time of the kernel build step, seconds.
    pub wall_seconds: f64,
    /// Parallel nvcc jobs used.
    pub jobs: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NvccInfo {
    pub path: String,
    /// `13.0.88`.
    pub release: String,
    /// `13.0`.
    pub cuda: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantBuild {
    /// The variant's name (its spec, or the name from a variant file).
    pub name: String,
    /// The CUDA version the variant asked for.
    pub cuda_requested: String,
    /// The CUDA version of the nvcc that built it (its PTX has that release's ISA).
    pub cuda_built: String,
    pub capabilities: Vec<String>,
    pub ptx: Vec<String>,
    pub forward_compat: bool,
    /// Exactly the `-gencode=` flags passed to nvcc.
    pub gencode: Vec<String>,
    pub files: Vec<FileBuild>,
}

impl VariantBuild {
    pub fn embedded_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.fatbin_bytes).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileBuild {
    /// The kernel source under `kernels/`.
    pub file: String,
    pub fatbin_bytes: u64,
    /// nvcc wall time, seconds (of the build that produced the cached image).
    pub compile_seconds: f64,
    /// Reused from the content-addressed cache instead of compiled in this build.
    pub cached: bool,
    pub kernels: Vec<PtxasKernel>,
}

/// One `ptxas -v` report: a kernel compiled for one architecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PtxasKernel {
    pub name: String,
    /// `sm_90a`.
    pub arch: String,
    pub registers: u32,
    pub spill_stores: u32,
    pub spill_loads: u32,
    pub stack_bytes: u32,
    pub smem_bytes: u32,
}

/// Parses the `ptxas info` lines nvcc prints with `-Xptxas -v`.
pub fn parse_ptxas_verbose(text: &str) -> Vec<PtxasKernel> {
    let mut out: Vec<PtxasKernel> = Vec::new();
    let mut current: Option<PtxasKernel> = None;
    for line in text.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("ptxas info    : Compiling entry function '") {
            if let Some(k) = current.take() {
                out.push(k);
            }
            let mut parts = rest.splitn(2, "' for '");
            let name = parts.next().unwrap_or("").to_string();
            let arch = parts
                .next()
                .unwrap_or("")
                .trim_end_matches('\'')
                .to_string();
            current = Some(PtxasKernel {
                name,
                arch,
                registers: 0,
                spill_stores: 0,
                spill_loads: 0,
                stack_bytes: 0,
                smem_bytes: 0,
            });
        } else if let Some(k) = current.as_mut() {
            if l.contains("bytes stack frame") {
                for part in l.split(',') {
                    let n = leading_number(part.trim());
                    if part.contains("stack frame") {
                        k.stack_bytes = n;
                    } else if part.contains("spill stores") {
                        k.spill_stores = n;
                    } else if part.contains("spill loads") {
                        k.spill_loads = n;
                    }
                }
            } else if let Some(rest) = l.strip_prefix("ptxas info    : Used ") {
                for part in rest.split(',') {
                    let p = part.trim();
                    if p.ends_with("registers") {
                        k.registers = leading_number(p);
                    } else if p.ends_with("bytes smem") {
                        k.smem_bytes = leading_number(p);
                    }
                }
            }
        }
    }
    out.extend(current);
    out
}

fn leading_number(s: &str) -> u32 {
    let d: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    d.parse().unwrap_or(0)
}

/// A crate's kernel build (manifest version 2): the version-1 [`BuildManifest`] fields
/// (flattened, so the JSON is one object) plus what a reader needs to map images back to
/// sources. In every [`FileBuild`] of [`BuildManifest::variants`], `file` is the image key
/// ([`image_key`]); [`CrateManifest::images`] says which source and axis values it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrateManifest {
    #[serde(flatten)]
    pub build: BuildManifest,
    /// The cargo package whose build script compiled the kernels (`CARGO_PKG_NAME`).
    #[serde(default)]
    pub package: Option<String>,
    /// Where the variant list came from (`ARCHBENCH_VARIANTS`, `TORCH_CUDA_ARCH_LIST`, …,
    /// `build.rs`, `default`).
    #[serde(default)]
    pub variants_from: Option<String>,
    /// The nvcc options every image was compiled with.
    #[serde(default)]
    pub options: CompileOptions,
    /// One entry per image key, in build order.
    #[serde(default)]
    pub images: Vec<ImageSource>,
}

impl CrateManifest {
    /// The source and axis values of an image key; `None` for keys this manifest does not
    /// describe (a version-1 manifest describes none: there the key is the file name).
    pub fn source_of(&self, key: &str) -> Option<&ImageSource> {
        self.images.iter().find(|i| i.key == key)
    }
}

/// The nvcc options of a build, besides each variant's `-gencode` flags and each image's axis
/// `-D`s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompileOptions {
    /// Flags every unit gets (`-O3`, `-std=c++17`).
    #[serde(default)]
    pub base_flags: Vec<String>,
    /// `-I` directories, as passed to nvcc (relative to the crate root when inside it).
    #[serde(default)]
    pub include_dirs: Vec<String>,
    /// `-D NAME=VALUE` for every unit, in order.
    #[serde(default)]
    pub defines: Vec<(String, String)>,
    /// Further nvcc arguments, in order (`--use_fast_math`).
    #[serde(default)]
    pub nvcc_args: Vec<String>,
}

/// Where one image key came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSource {
    /// The image key ([`image_key`]), as in [`FileBuild::file`] and the container's index.
    pub key: String,
    /// The source, relative to the crate root when inside it (`kernels/tile.cu`).
    pub source: String,
    /// The compile-axis values (`-D NAME=VALUE` each), in key order.
    #[serde(default)]
    pub axes: Vec<(String, String)>,
}

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("the kernel build manifest is unreadable: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the kernel build manifest has version {found}; this archbench reads versions {OLDEST_MANIFEST_VERSION} to {MANIFEST_VERSION}: rebuild the crate with this archbench's archbench-build")]
    Version { found: u32 },
}

/// Reads a manifest of any supported version (1 or 2) as a [`CrateManifest`]; a version-1
/// manifest has no package, options or image sources.
pub fn parse(json: &str) -> Result<CrateManifest, ManifestError> {
    let m: CrateManifest = serde_json::from_str(json)?;
    let found = m.build.manifest_version;
    if !(OLDEST_MANIFEST_VERSION..=MANIFEST_VERSION).contains(&found) {
        return Err(ManifestError::Version { found });
    }
    Ok(m)
}

/// Why a compile-axis name or value, or a source file name, cannot be part of an image key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AxisError {
    #[error("compile axis name `{name}` is not a C identifier: it must match [A-Za-z_][A-Za-z0-9_]* (it becomes `-D{name}=…`)")]
    Name { name: String },
    #[error("compile axis `{name}` has the empty value; every value becomes `-D{name}=VALUE`, so give it one")]
    EmptyValue { name: String },
    #[error("compile axis `{name}` value {value:?} contains {what}, which image keys (`file.cu[{name}=VALUE]`) cannot hold; values may not contain `]`, `[`, `,`, `=`, quotes, backslashes, whitespace or control characters")]
    Value {
        name: String,
        value: String,
        what: String,
    },
    #[error("compile axis `{name}` has no values; give it at least one")]
    NoValues { name: String },
    #[error("compile axis `{name}` is given twice for the same source")]
    Duplicate { name: String },
    #[error("compile axis `{name}` lists value `{value}` twice")]
    DuplicateValue { name: String, value: String },
    #[error("source file name {name:?} contains {what}, which image keys and the kernel container cannot hold; rename the file")]
    FileName { name: String, what: String },
}

/// Checks a compile-axis name: a C identifier, `[A-Za-z_][A-Za-z0-9_]*`.
pub fn check_axis_name(name: &str) -> Result<(), AxisError> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(AxisError::Name {
            name: name.to_string(),
        })
    }
}

fn key_unsafe_char(c: char) -> Option<&'static str> {
    match c {
        ']' => Some("`]`"),
        '[' => Some("`[`"),
        ',' => Some("`,`"),
        '=' => Some("`=`"),
        '"' | '\'' | '`' => Some("a quote"),
        '\\' => Some("a backslash"),
        c if c.is_whitespace() => Some("whitespace"),
        c if c.is_control() => Some("a control character"),
        _ => None,
    }
}

/// Checks a compile-axis value: not empty, and none of `]`, `[`, `,`, `=`, quotes,
/// backslashes, whitespace or control characters.
pub fn check_axis_value(name: &str, value: &str) -> Result<(), AxisError> {
    if value.is_empty() {
        return Err(AxisError::EmptyValue {
            name: name.to_string(),
        });
    }
    match value.chars().find_map(key_unsafe_char) {
        Some(what) => Err(AxisError::Value {
            name: name.to_string(),
            value: value.to_string(),
            what: what.to_string(),
        }),
        None => Ok(()),
    }
}

/// Checks a source file name for use in an image key: no `[`, `]`, quotes, backslashes or
/// control characters (spaces, `,` and `=` are fine: the file name is the part before `[`).
pub fn check_source_name(name: &str) -> Result<(), AxisError> {
    let bad = name.chars().find_map(|c| match c {
        ',' | '=' => None,
        c if c.is_whitespace() && !c.is_control() => None,
        c => key_unsafe_char(c),
    });
    match bad {
        Some(what) => Err(AxisError::FileName {
            name: name.to_string(),
            what: what.to_string(),
        }),
        None => Ok(()),
    }
}

/// The image key of a source compiled with some axis values: `file_name` alone without
/// axes, else `file_name[NAME=VALUE,NAME=VALUE]` in the given order. Checks every part
/// ([`check_source_name`], [`check_axis_name`], [`check_axis_value`]).
///
/// ```
/// use archbench_core::manifest::{image_key, parse_image_key};
/// assert_eq!(image_key("saxpy.cu", &[]).unwrap(), "saxpy.cu");
/// let axes = [("TILE".to_string(), "32".to_string()), ("VEC".to_string(), "4".to_string())];
/// let key = image_key("tile.cu", &axes).unwrap();
/// assert_eq!(key, "tile.cu[TILE=32,VEC=4]");
/// assert_eq!(parse_image_key(&key), Some(("tile.cu", vec![("TILE", "32"), ("VEC", "4")])));
/// assert!(image_key("tile.cu", &[("TILE".into(), "a b".into())]).is_err());
/// ```
pub fn image_key(file_name: &str, axes: &[(String, String)]) -> Result<String, AxisError> {
    check_source_name(file_name)?;
    if axes.is_empty() {
        return Ok(file_name.to_string());
    }
    let mut parts = Vec::with_capacity(axes.len());
    for (i, (name, value)) in axes.iter().enumerate() {
        check_axis_name(name)?;
        check_axis_value(name, value)?;
        if axes[..i].iter().any(|(n, _)| n == name) {
            return Err(AxisError::Duplicate { name: name.clone() });
        }
        parts.push(format!("{name}={value}"));
    }
    Ok(format!("{file_name}[{}]", parts.join(",")))
}

/// Splits an image key into the file name and the axis values; `None` when it is not one
/// [`image_key`] writes.
pub fn parse_image_key(key: &str) -> Option<(&str, Vec<(&str, &str)>)> {
    let Some(open) = key.find('[') else {
        return check_source_name(key).is_ok().then_some((key, Vec::new()));
    };
    let (file, rest) = key.split_at(open);
    let inner = rest.strip_prefix('[')?.strip_suffix(']')?;
    check_source_name(file).ok()?;
    let mut axes = Vec::new();
    for part in inner.split(',') {
        let (name, value) = part.split_once('=')?;
        check_axis_name(name).ok()?;
        check_axis_value(name, value).ok()?;
        axes.push((name, value));
    }
    Some((file, axes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real nvcc 13.0 output (`-Xptxas -v`, two kernels, two targets).
    const LOG: &str = "ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'k2' for 'sm_89'
ptxas info    : Function properties for k2
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 8 registers, used 0 barriers, 360 bytes cmem[0]
ptxas info    : Compile time = 1.414 ms
ptxas info    : Compiling entry function 'tile' for 'sm_90a'
ptxas info    : Function properties for tile
    16 bytes stack frame, 4 bytes spill stores, 8 bytes spill loads
ptxas info    : Used 10 registers, used 1 barriers, 4096 bytes smem
ptxas info    : Compile time = 1.109 ms
";

    #[test]
    fn parses_real_ptxas_output() {
        let k = parse_ptxas_verbose(LOG);
        assert_eq!(k.len(), 2);
        assert_eq!(
            k[0],
            PtxasKernel {
                name: "k2".into(),
                arch: "sm_89".into(),
                registers: 8,
                spill_stores: 0,
                spill_loads: 0,
                stack_bytes: 0,
                smem_bytes: 0
            }
        );
        assert_eq!(
            k[1],
            PtxasKernel {
                name: "tile".into(),
                arch: "sm_90a".into(),
                registers: 10,
                spill_stores: 4,
                spill_loads: 8,
                stack_bytes: 16,
                smem_bytes: 4096
            }
        );
        assert!(parse_ptxas_verbose("garbage\nptxas info    : Used x registers").is_empty());
    }

    #[test]
    fn image_keys_round_trip_and_refuse_what_they_cannot_hold() {
        assert_eq!(image_key("a.cu", &[]).unwrap(), "a.cu");
        let axes = vec![("TILE".to_string(), "16".to_string())];
        assert_eq!(image_key("tile.cu", &axes).unwrap(), "tile.cu[TILE=16]");
        assert_eq!(
            parse_image_key("tile.cu[TILE=16]"),
            Some(("tile.cu", vec![("TILE", "16")]))
        );
        assert_eq!(parse_image_key("a b.cu"), Some(("a b.cu", vec![])));
        for bad in [
            "x.cu[",
            "x.cu[]",
            "x.cu[A]",
            "x.cu[1A=2]",
            "x.cu[A=1",
            "x.cu[A=]",
        ] {
            assert_eq!(parse_image_key(bad), None, "{bad}");
        }
        for (name, value, want) in [
            ("1X", "1", "not a C identifier"),
            ("X-Y", "1", "not a C identifier"),
            ("", "1", "not a C identifier"),
            ("X", "a]", "`]`"),
            ("X", "a,b", "`,`"),
            ("X", "a=b", "`=`"),
            ("X", "\"q\"", "a quote"),
            ("X", "a b", "whitespace"),
            ("X", "", "empty value"),
        ] {
            let e = image_key("k.cu", &[(name.to_string(), value.to_string())]).unwrap_err();
            assert!(e.to_string().contains(want), "{name}={value}: {e}");
        }
        let dup = vec![
            ("A".to_string(), "1".to_string()),
            ("A".to_string(), "2".to_string()),
        ];
        assert_eq!(
            image_key("k.cu", &dup),
            Err(AxisError::Duplicate { name: "A".into() })
        );
        assert!(image_key("k[1].cu", &[]).is_err());
    }

    #[test]
    fn reads_version_1_and_2_and_refuses_newer() {
        let v1 = BuildManifest {
            manifest_version: 1,
            skipped: None,
            nvcc: None,
            variants: vec![],
            wall_seconds: 1.5,
            jobs: 2,
        };
        let m = parse(&serde_json::to_string(&v1).unwrap()).unwrap();
        assert_eq!(m.build, v1);
        assert_eq!((m.package, m.images.len()), (None, 0));
        let v2 = CrateManifest {
            build: BuildManifest {
                manifest_version: MANIFEST_VERSION,
                ..v1.clone()
            },
            package: Some("k".into()),
            variants_from: Some("build.rs".into()),
            options: CompileOptions {
                base_flags: vec!["-O3".into()],
                include_dirs: vec!["kernels".into()],
                defines: vec![("A".into(), "1".into())],
                nvcc_args: vec![],
            },
            images: vec![ImageSource {
                key: "t.cu[T=1]".into(),
                source: "kernels/t.cu".into(),
                axes: vec![("T".into(), "1".into())],
            }],
        };
        let json = serde_json::to_string(&v2).unwrap();
        assert!(json.starts_with("{\"manifest_version\":2,"), "{json}");
        let back = parse(&json).unwrap();
        assert_eq!(back, v2);
        assert_eq!(back.source_of("t.cu[T=1]").unwrap().source, "kernels/t.cu");
        // A version-1 reader (BuildManifest) reads a version-2 manifest.
        let old: BuildManifest = serde_json::from_str(&json).unwrap();
        assert_eq!(old.jobs, 2);
        let newer = json.replace("\"manifest_version\":2", "\"manifest_version\":3");
        let e = parse(&newer).unwrap_err();
        assert!(e.to_string().contains("versions 1 to 2"), "{e}");
    }
}
