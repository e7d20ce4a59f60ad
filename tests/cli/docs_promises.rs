//! What README and `docs/` promise must exist as written: every relative link names a file
//! (and a heading, for `#anchor` links) that is there; every script a command line runs
//! (`scripts/…`, `.ci/…`, `examples/…` at the start of a shell line) exists and is executable
//! in the checkout; every `git checkout`/`git switch` names a ref this clone resolves. Runs on
//! a fresh clone in CI, where file modes are git's.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README, CHANGELOG, docs/*.md and results/**/README.md.
fn documents() -> Vec<PathBuf> {
    let mut out = vec![root().join("README.md"), root().join("CHANGELOG.md")];
    for dir in ["docs", "results"] {
        let mut stack = vec![root().join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "md")
                    && (dir == "docs" || p.file_name().is_some_and(|n| n == "README.md"))
                {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

/// GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped,
/// spaces to `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a markdown file's headings (outside code blocks).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// `(target, line)` of every inline link `](target)` outside code blocks.
fn links(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            out.push((after[..end].to_string(), n + 1));
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_relative_link_resolves() {
    let mut broken = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for (target, line) in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (target.as_str(), None),
            };
            let path = if file.is_empty() {
                doc.clone()
            } else {
                doc.parent().unwrap().join(file)
            };
            let at = format!("{}:{line}", doc.strip_prefix(root()).unwrap().display());
            if !path.exists() {
                broken.push(format!("{at}: `{target}`: no such file"));
                continue;
            }
            if let Some(a) = anchor {
                if path.extension().is_some_and(|x| x == "md") {
                    let heads = anchors(&std::fs::read_to_string(&path).unwrap());
                    if !heads.contains(a) {
                        broken.push(format!("{at}: `{target}`: no heading with anchor `{a}`"));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// Shell lines of fenced `sh`/`bash`/`console`/plain blocks (without a `$ ` prompt).
fn shell_lines(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if let Some(lang) = t.strip_prefix("```") {
            fence = match fence {
                Some(_) => None,
                None => Some(lang.trim().to_string()),
            };
            continue;
        }
        if let Some(lang) = &fence {
            if ["sh", "bash", "console", "shell", ""].contains(&lang.as_str()) {
                out.push((t.trim_start_matches("$ ").to_string(), n + 1));
            }
        }
    }
    out
}

#[test]
fn every_script_a_command_runs_is_there_and_executable() {
    let mut problems = Vec::new();
    let mut seen = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for (line, n) in shell_lines(&text) {
            let at = format!("{}:{n}", doc.strip_prefix(root()).unwrap().display());
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.first() == Some(&"git")
                && matches!(words.get(1), Some(&"checkout" | &"switch"))
            {
                if let Some(r) = words.get(2).filter(|r| !r.starts_with('-')) {
                    let ok = Command::new("git")
                        .args(["rev-parse", "--verify", "--quiet", r])
                        .current_dir(root())
                        .output()
                        .is_ok_and(|o| o.status.success());
                    if !ok {
                        problems.push(format!("{at}: `{line}`: no ref `{r}` in this repository"));
                    }
                }
            }
            let Some(first) = words.first() else { continue };
            let is_script = ["scripts/", ".ci/", "./scripts/"]
                .iter()
                .any(|p| first.starts_with(p));
            if !is_script {
                continue;
            }
            seen += 1;
            let p = root().join(first.trim_start_matches("./"));
            match std::fs::metadata(&p) {
                Err(_) => problems.push(format!("{at}: `{first}`: no such file")),
                Ok(m) if m.permissions().mode() & 0o111 == 0 => problems.push(format!(
                    "{at}: `{first}` is not executable (git update-index --chmod=+x {first})"
                )),
                Ok(_) => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(seen >= 3, "the docs run scripts; found only {seen} lines");
}

#[test]
fn the_slug_is_githubs() {
    assert_eq!(
        slug(" Burst, sustained and short kernels"),
        "burst-sustained-and-short-kernels"
    );
    assert_eq!(
        slug(" The kernels on the CPU: `tests/build/kernels_on_cpu.rs`"),
        "the-kernels-on-the-cpu-testsbuildkernels_on_cpurs"
    );
    let _ = Path::new("");
}

/// Every generated GPU table (`<!-- archbench tables: … -->`) is what `archbench tables`
/// writes from the results files it names: no number in them was typed.
#[test]
fn generated_tables_match_their_results_files() {
    let mut blocks = 0;
    let mut stale = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let (new, n) = archbench::report::tables::update(&text, doc.parent().unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", doc.display()));
        blocks += n;
        if new != text {
            stale.push(doc.strip_prefix(root()).unwrap().display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated tables (run `archbench tables {}`)",
        stale.join(" ")
    );
    // README, results/README.md and both GPUs' READMEs carry them.
    assert!(blocks >= 6, "{blocks} generated tables");
}
