//! Fixture crates for the integration tests: small crates written to a directory under
//! `CARGO_TARGET_TMPDIR` whose build.rs uses archbench-build (a path dependency on this
//! crate) and whose binary writes the embedded container (read through the generated
//! `archbench_images.rs`) to a file. They are built with real cargo and real nvcc, all into
//! one shared target directory so the dependencies compile once.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use archbench_core::manifest::CrateManifest;

/// This crate's directory.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch directory, emptied.
pub fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("archbench-build-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The nvcc every fixture build uses (found, or installed from PyPI, once).
pub fn nvcc() -> &'static Path {
    static NVCC: OnceLock<PathBuf> = OnceLock::new();
    NVCC.get_or_init(|| {
        archbench_core::toolchain::find_or_install()
            .unwrap_or_else(|e| panic!("nvcc: {e}\nhelp: {}", e.help()))
            .bin
    })
}

/// A fixture crate.
pub struct Fixture {
    pub dir: PathBuf,
    pub name: String,
    /// The kernel cache its builds use.
    pub cache: PathBuf,
}

/// The library of every fixture: the container, through the generated expression.
const LIB_RS: &str = r#"pub fn container() -> &'static [u8] {
    include!(concat!(env!("OUT_DIR"), "/archbench_images.rs"))
}
"#;

/// The binary of every fixture: includes the expression itself (a bench or test of a
/// package with a lib does that too), checks it is the lib's container (one symbol), and
/// writes it to the file named by its first argument.
fn main_rs(name: &str) -> String {
    format!(
        r#"fn main() {{
    let container: &'static [u8] = include!(concat!(env!("OUT_DIR"), "/archbench_images.rs"));
    assert_eq!(container.as_ptr(), {name}::container().as_ptr());
    let out = std::env::args().nth(1).expect("output path");
    std::fs::write(out, container).expect("write");
}}
"#
    )
}

impl Fixture {
    /// A crate named `name` with `build_body` as the body of its build.rs `main` (which
    /// returns `Result<(), archbench_build::BuildError>`), and `files` (path, text) under it.
    pub fn new(name: &str, build_body: &str, files: &[(&str, &str)], cache: &Path) -> Self {
        let dir = scratch(name);
        let manifest = format!(
            r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"

[build-dependencies]
archbench-build = {{ path = "{}" }}

[workspace]
"#,
            crate_dir().display()
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
        // The workspace's lock file: the fixtures build offline with the same versions.
        let lock = crate_dir().join("../../Cargo.lock");
        std::fs::copy(lock, dir.join("Cargo.lock")).unwrap();
        std::fs::write(
            dir.join("build.rs"),
            format!("fn main() -> Result<(), archbench_build::BuildError> {{\n{build_body}\n}}\n"),
        )
        .unwrap();
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/lib.rs"), LIB_RS).unwrap();
        std::fs::write(dir.join("src/main.rs"), main_rs(name)).unwrap();
        let f = Fixture {
            dir,
            name: name.to_string(),
            cache: cache.to_path_buf(),
        };
        for (path, text) in files {
            f.write(path, text);
        }
        f
    }

    /// Writes a file of the crate.
    pub fn write(&self, path: &str, text: &str) {
        let p = self.dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, text).unwrap();
    }

    /// `cargo build` with `env` on top of a clean environment (no variant variables of the
    /// caller's, `NVCC` pinned, the fixture's kernel cache).
    pub fn cargo_build(&self, env: &[(&str, &str)]) -> Output {
        let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("archbench-build-fixtures");
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.current_dir(&self.dir)
            .args(["build", "--offline"])
            .env("CARGO_TARGET_DIR", &target)
            .env("NVCC", nvcc())
            .env("ARCHBENCH_KERNEL_CACHE", &self.cache);
        for v in archbench_build::ENV_VARS.iter().filter(|v| {
            !matches!(
                **v,
                "NVCC" | "ARCHBENCH_KERNEL_CACHE" | "ARCHBENCH_HOME" | "XDG_CACHE_HOME"
            )
        }) {
            cmd.env_remove(v);
        }
        for v in [
            "MAKEFLAGS",
            "MFLAGS",
            "CARGO_MAKEFLAGS",
            "OUT_DIR",
            "RUSTC_WORKSPACE_WRAPPER",
        ] {
            cmd.env_remove(v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// Builds (asserting success) and returns the container the binary embeds.
    pub fn build_ok(&self, env: &[(&str, &str)]) -> (Vec<u8>, String) {
        let out = self.cargo_build(env);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success(),
            "cargo build of {} failed:\n{stderr}",
            self.name
        );
        let bin = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("archbench-build-fixtures/debug")
            .join(&self.name);
        let dump = self.dir.join("container.bin");
        let run = Command::new(&bin).arg(&dump).output().unwrap();
        assert!(run.status.success(), "{}: {run:?}", bin.display());
        (std::fs::read(&dump).unwrap(), stderr)
    }

    /// Builds, expecting failure; returns cargo's stderr.
    pub fn build_err(&self, env: &[(&str, &str)]) -> String {
        let out = self.cargo_build(env);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "cargo build of {} succeeded:\n{stderr}",
            self.name
        );
        stderr
    }

    /// The `OUT_DIR` of the fixture's latest build script run.
    pub fn out_dir(&self) -> PathBuf {
        let build =
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("archbench-build-fixtures/debug/build");
        let mut dirs: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(build)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{}-", self.name)))
                    && p.join("out").join("archbench_images.rs").is_file()
            })
            .map(|p| {
                let t = p
                    .join("out/archbench_images.bin")
                    .metadata()
                    .and_then(|m| m.modified())
                    .unwrap();
                (t, p.join("out"))
            })
            .collect();
        dirs.sort();
        dirs.pop().unwrap().1
    }
}

/// The manifest of a container.
pub fn manifest(container: &[u8]) -> CrateManifest {
    let c = archbench_core::embed::parse(container).unwrap();
    archbench_core::manifest::parse(c.manifest).unwrap()
}

/// `(variant, image key)` of every image, in order.
pub fn index(container: &[u8]) -> Vec<(String, String)> {
    archbench_core::embed::parse(container)
        .unwrap()
        .images
        .iter()
        .map(|i| (i.variant.to_string(), i.file.to_string()))
        .collect()
}

/// A kernel source with one `__global__` function named `name`, including `include` when
/// given.
pub fn kernel(name: &str, include: Option<&str>) -> String {
    let inc = include.map_or(String::new(), |i| format!("#include \"{i}\"\n"));
    format!(
        "{inc}extern \"C\" __global__ void {name}(float *y, const float *x, float a, unsigned n) {{\n  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;\n  if (i < n) y[i] = a * x[i] + y[i];\n}}\n"
    )
}
