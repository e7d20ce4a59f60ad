//! The layering rules of the design (docs/architecture.md), checked on the source: each is a
//! pattern that must not occur under a folder. A rule that names no existing file fails too,
//! so a move cannot switch a rule off silently.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Lines under `dirs` (relative to the workspace root) that contain any of `needles`.
fn offenders(dirs: &[&str], needles: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    for d in dirs {
        let before = files.len();
        rust_files(&root().join(d), &mut files);
        assert!(
            files.len() > before,
            "no Rust file under {d}: update this rule"
        );
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            if needles.iter().any(|n| line.contains(n)) {
                out.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    out
}

#[test]
fn the_gpu_layer_launches_what_it_is_given() {
    let o = offenders(
        &["crates/archbench/src/gpu"],
        &[
            "crate::suite",
            "crate::embedded",
            "crate::check",
            "crate::fill",
            "crate::results",
            "crate::run",
            "crate::measure",
            "crate::workload",
            "crate::bench",
        ],
    );
    assert!(o.is_empty(), "{o:#?}");
}

#[test]
fn the_engine_runs_any_suite_handed_to_it() {
    let o = offenders(
        &["crates/archbench/src/run", "crates/archbench/src/measure"],
        &[
            "crate::suite",
            "crate::embedded",
            "crate::bench",
            "archbench_cli",
        ],
    );
    assert!(o.is_empty(), "{o:#?}");
}

#[test]
fn the_library_knows_no_built_in_kernel_and_core_crates_no_gpu() {
    // The library a user's crate depends on: no built-in suite, no fleet, no command line.
    let o = offenders(
        &["crates/archbench/src"],
        &["archbench_cli", "mod fleet", "clap::", "mod embedded"],
    );
    assert!(o.is_empty(), "{o:#?}");
    let lib = std::fs::read_to_string(root().join("crates/archbench/src/lib.rs")).unwrap();
    assert!(
        !lib.contains("mod suite"),
        "the library declares a suite module"
    );
    let o = offenders(
        &[
            "crates/archbench-core/src",
            "crates/archbench-inspect/src",
            "crates/archbench-build/src",
        ],
        &["cudarc"],
    );
    assert!(o.is_empty(), "{o:#?}");
}

#[test]
fn build_rs_is_a_thin_caller_of_archbench_build() {
    let text = std::fs::read_to_string(root().join("build.rs")).unwrap();
    assert!(
        text.lines().count() <= 40,
        "build.rs has {} lines",
        text.lines().count()
    );
    assert!(text.contains("archbench_build::Kernels"));
}

#[test]
fn a_user_crate_compiles_no_plotters_and_no_built_in_kernels() {
    // The library's plotters dependencies are optional (feature `charts`), and it has no build
    // script: the built-in kernels build only in this package's build.rs.
    let manifest = std::fs::read_to_string(root().join("crates/archbench/Cargo.toml")).unwrap();
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|s| s.split("\n[").next())
        .unwrap();
    for line in deps
        .lines()
        .filter(|l| l.starts_with("plotters") || l.starts_with("ab_glyph"))
    {
        assert!(line.contains("optional = true"), "{line}");
    }
    assert!(!deps.contains("clap"), "the library depends on clap");
    assert!(!root().join("crates/archbench/build.rs").exists());
}

/// Which bytes of Rust source are code: not in a comment, a string, a raw string or a char
/// literal (so braces there do not count).
fn code_mask(b: &[u8]) -> Vec<bool> {
    let mut mask = vec![false; b.len()];
    let mut i = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if b[i] == b'r'
            && (i == 0 || !ident(b[i - 1]))
            && rest[1..].iter().take_while(|&&c| c == b'#').count() + 1 < rest.len()
            && rest[1 + rest[1..].iter().take_while(|&&c| c == b'#').count()] == b'"'
        {
            let hashes = rest[1..].iter().take_while(|&&c| c == b'#').count();
            let mut end = b"\"".to_vec();
            end.extend(std::iter::repeat_n(b'#', hashes));
            i += 2 + hashes;
            while i < b.len() && !b[i..].starts_with(&end) {
                i += 1;
            }
            i += end.len();
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if b[i] == b'\'' && rest.get(1) == Some(&b'\\') {
            i += 2;
            while i < b.len() && b[i] != b'\'' {
                i += 1;
            }
            i += 1;
        } else if b[i] == b'\'' && rest.get(2) == Some(&b'\'') {
            i += 3;
        } else {
            mask[i] = true;
            i += 1;
        }
    }
    mask
}

/// (name, first line, lines) of every function with a body in `text`.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let b = text.as_bytes();
    let code = code_mask(b);
    let line_of = |i: usize| b[..i].iter().filter(|&&c| c == b'\n').count() + 1;
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = text[i..].find("fn ").map(|k| k + i) {
        i = at + 3;
        let word_start = at == 0 || !(b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'_');
        if !code[at] || !word_start {
            continue;
        }
        let name: String = text[at + 3..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        // The body: the first code `{` before any code `;`.
        let Some(open) = (at..b.len()).find(|&k| code[k] && (b[k] == b'{' || b[k] == b';')) else {
            continue;
        };
        if b[open] == b';' {
            continue;
        }
        let mut depth = 0;
        for k in open..b.len() {
            if !code[k] {
                continue;
            }
            match b[k] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        out.push((name.clone(), line_of(at), line_of(k) - line_of(at) + 1));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[test]
fn the_function_counter_sees_through_strings_and_comments() {
    let text = "fn a() {\n let s = \"}\"; // }\n let c = '}';\n let r = r#\"}\"#;\n /* } */\n}\nfn b();\nfn c() { x }\n";
    assert_eq!(
        functions(text),
        [("a".to_string(), 1, 6), ("c".to_string(), 8, 1)]
    );
}

/// No function in `src/` or `crates/` is longer than 150 lines (issue 27: split where a name
/// explains a part). Generated code is exempt.
#[test]
fn no_function_is_over_150_lines() {
    let mut files = Vec::new();
    for d in ["src", "crates", "build.rs", "benches", "examples"] {
        let p = root().join(d);
        if p.is_file() {
            files.push(p);
        } else {
            rust_files(&p, &mut files);
        }
    }
    assert!(files.len() > 100, "{} Rust files", files.len());
    let mut long = Vec::new();
    for f in files {
        let rel = f.strip_prefix(root()).unwrap().display().to_string();
        if rel.contains("/target/") || rel == "src/suite/params.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (name, line, lines) in functions(&text) {
            if lines > 150 {
                long.push(format!("{rel}:{line} `{name}`: {lines} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over 150 lines:\n{}",
        long.join("\n")
    );
}
