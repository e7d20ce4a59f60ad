//! README's "Benchmark your own kernels", followed as a new user would: a new crate outside
//! this repository, made only of README's code blocks (the Cargo.toml lines with the paths
//! pointed at this checkout, `kernels/saxpy.cu`, `build.rs`, `benches/gpu.rs`), must build
//! with `cargo bench --no-run`, list its cases, and run (here, without a GPU: print the plan
//! and exit 0). The README example must also be the example crate's own code.
//!
//! It builds the library in release mode in a target folder of its own
//! (`target/user-crate`), kept between runs.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fenced code blocks of README's section `## Benchmark your own kernels`, as
/// (language, text).
fn readme_blocks() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("\n## Benchmark your own kernels")
        .nth(1)
        .expect("README has the section")
        .split("\n## ")
        .next()
        .unwrap();
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(l) = lines.next() {
        if let Some(lang) = l.strip_prefix("```") {
            let mut text = String::new();
            for body in lines.by_ref() {
                if body.starts_with("```") {
                    break;
                }
                text.push_str(body);
                text.push('\n');
            }
            blocks.push((lang.to_string(), text));
        }
    }
    blocks
}

fn block<'a>(blocks: &'a [(String, String)], lang: &str, nth: usize) -> &'a str {
    blocks
        .iter()
        .filter(|(l, _)| l == lang)
        .nth(nth)
        .map(|(_, t)| t.as_str())
        .unwrap_or_else(|| panic!("README's section has no {lang} block #{nth}"))
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn readme_example_is_the_example_crates_code() {
    let blocks = readme_blocks();
    let example = root().join("examples/saxpy-rmsnorm");
    let read = |f: &str| std::fs::read_to_string(example.join(f)).unwrap();
    assert_eq!(block(&blocks, "cuda", 0), read("kernels/saxpy.cu"));
    assert_eq!(block(&blocks, "rust", 0), read("build.rs"));
    // README shows the saxpy bench of benches/gpu.rs; the rest is one comment line.
    let bench = block(&blocks, "rust", 1);
    let file = read("benches/gpu.rs");
    let shown: Vec<&str> = bench
        .lines()
        .filter(|l| !l.trim_start().starts_with("// .bench("))
        .collect();
    let mut at = 0;
    for l in &shown {
        let found = file.lines().skip(at).position(|f| f == *l);
        let Some(i) = found else {
            panic!("README's line `{l}` is not in benches/gpu.rs (in order)")
        };
        at += i + 1;
    }
}

#[test]
fn a_new_crate_built_from_readme_alone_benches() {
    let blocks = readme_blocks();
    let dir = tempfile::tempdir().unwrap();
    let krate = dir.path().join("my-kernels");
    let crates = root().join("crates");
    let toml = block(&blocks, "toml", 0).replace("…/crates", crates.to_str().unwrap());
    write(
        &krate.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"my-kernels\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n{toml}"
        ),
    );
    write(&krate.join("src/lib.rs"), "");
    write(&krate.join("kernels/saxpy.cu"), block(&blocks, "cuda", 0));
    write(&krate.join("build.rs"), block(&blocks, "rust", 0));
    write(&krate.join("benches/gpu.rs"), block(&blocks, "rust", 1));
    let target = root().join("target/user-crate");
    let build = Command::new(env!("CARGO"))
        .args(["bench", "--no-run", "--message-format=json"])
        .current_dir(&krate)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("ARCHBENCH_VARIANTS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&build.stdout);
    assert!(
        build.status.success(),
        "cargo bench --no-run failed:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    // The build script said where its variants came from.
    assert!(
        String::from_utf8_lossy(&build.stderr).contains("archbench-build: variants from build.rs"),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let exe = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "gpu")
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .next_back()
        .expect("cargo reports the bench executable");
    let list = Command::new(&exe).arg("--list").output().unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success(), "{text}");
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        (20..=26)
            .map(|e| format!("saxpy/n={}: bench", 1u64 << e))
            .collect::<Vec<_>>()
    );
    // No usable GPU (none visible): the plan, exit 0.
    let run = Command::new(&exe)
        .args(["--bench", "--quick"])
        .env("CUDA_VISIBLE_DEVICES", "")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        text.contains("plan: 3 variant(s) × 1 kernel(s) = 3 task(s), quick sizes"),
        "{text}"
    );
    assert!(text.contains("saxpy (saxpy.cu): n=1048576"), "{text}");
    assert!(text.contains("nothing ran"), "{text}");
}
