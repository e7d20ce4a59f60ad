//! nvcc's dependency files (`-MD -MF FILE`, Make syntax): every file a unit read, which the
//! cache records with its content hash and the build script reports to cargo
//! (`cargo:rerun-if-changed`).
//!
//! nvcc runs from the crate root with crate paths relative to it, so the crate's own files are
//! listed relative (`kernels/common.cuh`): a second crate with the same layout checks its own
//! copies. Files under the toolchain are covered by the cache key (nvcc's path and release)
//! and are neither hashed nor reported; system headers (`/usr/…`, `/nix/store/…`) are hashed
//! but not reported to cargo.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use crate::hash;

/// Parses a Make-syntax dependency file: the prerequisites of its rules, in order, without
/// duplicates. Handles `\`-newline continuations and `\ `-escaped spaces.
pub(crate) fn parse_make_deps(text: &str) -> Vec<String> {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    let mut out: Vec<String> = Vec::new();
    for line in joined.lines() {
        // The target ends at the first `: ` (or `:` at the end): Windows drive letters
        // (`C:\`) are not followed by a space.
        let Some(colon) = find_rule_colon(line) else {
            continue;
        };
        let mut word = String::new();
        let mut chars = line[colon + 1..].chars().peekable();
        let mut push = |w: &mut String| {
            if !w.is_empty() && !out.contains(w) {
                out.push(std::mem::take(w));
            }
            w.clear();
        };
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek().is_some_and(|n| *n == ' ' || *n == '#') => {
                    word.extend(chars.next());
                }
                '$' if chars.peek() == Some(&'$') => {
                    chars.next();
                    word.push('$');
                }
                ' ' | '\t' => push(&mut word),
                c => word.push(c),
            }
        }
        push(&mut word);
    }
    out
}

fn find_rule_colon(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    (0..b.len())
        .find(|&i| b[i] == b':' && (i + 1 == b.len() || b[i + 1] == b' ' || b[i + 1] == b'\t'))
}

/// Lexically normalizes a path: drops `.`, resolves `..` against the preceding component
/// (`bin/..//include` → `include`), collapses repeated separators.
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// How a dependency is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DepKind {
    /// Under the toolchain: covered by the cache key, not hashed, not reported.
    Toolchain,
    /// A system header: hashed, not reported to cargo.
    System,
    /// The crate's or the user's own file: hashed and reported.
    User,
}

/// Classifies dependencies for one toolchain.
#[derive(Debug, Clone)]
pub(crate) struct DepRules {
    toolchain_root: PathBuf,
}

/// System header prefixes: hashed (their contents feed the compile) but not reported to
/// cargo, as cargo's own C build helpers do.
const SYSTEM_PREFIXES: &[&str] = &["/usr/", "/nix/store/", "/System/", "/Library/Developer/"];

impl DepRules {
    /// `nvcc` is `<root>/bin/nvcc`: everything under `<root>` is the toolchain's.
    pub fn new(nvcc: &Path) -> Self {
        let root = nvcc
            .parent()
            .and_then(Path::parent)
            .map(normalize)
            .unwrap_or_default();
        Self {
            toolchain_root: root,
        }
    }

    pub fn kind(&self, dep: &Path) -> DepKind {
        if !self.toolchain_root.as_os_str().is_empty() && dep.starts_with(&self.toolchain_root) {
            DepKind::Toolchain
        } else if dep.is_absolute()
            && SYSTEM_PREFIXES
                .iter()
                .any(|p| dep.to_string_lossy().starts_with(p))
        {
            DepKind::System
        } else {
            DepKind::User
        }
    }
}

/// One recorded dependency: the path as nvcc named it (normalized; relative paths are
/// relative to the crate root) and its content hash (`None`: it did not exist).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Dep {
    pub path: String,
    pub hash: Option<String>,
}

/// Content hashes of files, each file read once per build (many units share headers).
#[derive(Debug, Default)]
pub(crate) struct HashMemo {
    known: Mutex<HashMap<PathBuf, Option<String>>>,
}

impl HashMemo {
    /// The content hash of `path` (relative to `root` when relative); `None` when it cannot
    /// be read.
    pub fn hash(&self, root: &Path, path: &Path) -> Option<String> {
        let abs = root.join(path);
        if let Ok(k) = self.known.lock() {
            if let Some(h) = k.get(&abs) {
                return h.clone();
            }
        }
        let h = std::fs::read(&abs).ok().map(|b| hash::content_hash(&b));
        if let Ok(mut k) = self.known.lock() {
            k.insert(abs, h.clone());
        }
        h
    }

    /// Forgets every hash (files may have changed since they were hashed).
    #[cfg(test)]
    pub fn clear(&self) {
        if let Ok(mut k) = self.known.lock() {
            k.clear();
        }
    }
}

/// The dependencies of a unit from nvcc's dependency file text: everything but the
/// toolchain's files and the source itself, normalized and hashed.
pub(crate) fn record(
    text: &str,
    source: &Path,
    rules: &DepRules,
    root: &Path,
    memo: &HashMemo,
) -> Vec<Dep> {
    let source = normalize(source);
    parse_make_deps(text)
        .iter()
        .map(|d| normalize(Path::new(d)))
        .filter(|p| *p != source && rules.kind(p) != DepKind::Toolchain)
        .map(|p| Dep {
            hash: memo.hash(root, &p),
            path: p.to_string_lossy().into_owned(),
        })
        .collect()
}

/// Whether every recorded dependency still has its recorded content.
pub(crate) fn still_valid(deps: &[Dep], root: &Path, memo: &HashMemo) -> bool {
    deps.iter()
        .all(|d| memo.hash(root, Path::new(&d.path)) == d.hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nvcc_dependency_files() {
        let text = "k.cubin : kernels/k.cu \\\n    /usr/include/stdc-predef.h \\\n    /opt/cuda/bin/..//include/cuda_runtime.h \\\n    kernels/my\\ dir/a.cuh \\\n    kernels/common.cuh\nkernels/common.cuh:\n";
        let d = parse_make_deps(text);
        assert_eq!(
            d,
            [
                "kernels/k.cu",
                "/usr/include/stdc-predef.h",
                "/opt/cuda/bin/..//include/cuda_runtime.h",
                "kernels/my dir/a.cuh",
                "kernels/common.cuh"
            ]
        );
        let rules = DepRules::new(Path::new("/opt/cuda/bin/nvcc"));
        let kinds: Vec<DepKind> = d
            .iter()
            .map(|p| rules.kind(&normalize(Path::new(p))))
            .collect();
        assert_eq!(
            kinds,
            [
                DepKind::User,
                DepKind::System,
                DepKind::Toolchain,
                DepKind::User,
                DepKind::User
            ]
        );
        assert_eq!(
            normalize(Path::new("/opt/cuda/bin/..//include/./x.h")),
            Path::new("/opt/cuda/include/x.h")
        );
        assert_eq!(normalize(Path::new("../a/./b")), Path::new("../a/b"));
    }
}
