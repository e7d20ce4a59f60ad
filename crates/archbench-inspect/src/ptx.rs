//! PTX text headers: `.version` (the PTX ISA), `.target` (architecture with `a`/`f`, and
//! `debug`), `.address_size`, and the names of `.entry` kernels. Names borrow from the input.

use archbench_core::Capability;
use serde::Serialize;

use crate::error::{InspectError, Result};

/// What the header and entries of a PTX module say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ptx<'a> {
    /// `.version` as (major, minor).
    pub isa: (u8, u8),
    /// `.target`'s architecture.
    pub target: Capability,
    /// `.target …, debug`.
    pub debug: bool,
    pub address_size: Option<u8>,
    /// Kernel names, in file order.
    pub entries: Vec<&'a str>,
}

/// True when `d` looks like PTX text (a `.version` directive before other content).
pub fn looks_like_ptx(d: &[u8]) -> bool {
    let head = &d[..d.len().min(4096)];
    let Ok(text) =
        std::str::from_utf8(head).or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]))
    else {
        return false;
    };
    code_lines(text)
        .next()
        .is_some_and(|l| l.starts_with(".version"))
}

/// Lines with comments and surrounding blanks removed, empty ones skipped.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut in_block = false;
    text.lines().filter_map(move |mut l| {
        if in_block {
            match l.find("*/") {
                Some(i) => {
                    in_block = false;
                    l = &l[i + 2..];
                }
                None => return None,
            }
        }
        if let Some(i) = l.find("//") {
            l = &l[..i];
        }
        if let Some(i) = l.find("/*") {
            in_block = !l[i..].contains("*/");
            l = &l[..i];
        }
        let l = l.trim();
        (!l.is_empty()).then_some(l)
    })
}

/// Parses `X.Y` as a PTX ISA version.
fn isa(s: &str) -> Option<(u8, u8)> {
    let (a, b) = s.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Finder for `.entry`, built once: PTX modules of vendor libraries are megabytes long, and
/// `str::find` builds a new searcher on every call.
fn entry_finder() -> &'static memchr::memmem::Finder<'static> {
    static F: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    F.get_or_init(|| memchr::memmem::Finder::new(".entry"))
}

/// Parses a PTX module's header and entry names. Trailing NULs (fatbin padding) are ignored.
pub fn parse(d: &[u8]) -> Result<Ptx<'_>> {
    let end = d.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let text = std::str::from_utf8(&d[..end]).map_err(|e| InspectError::Invalid {
        what: "PTX text",
        offset: e.valid_up_to() as u64,
        detail: "not UTF-8".into(),
    })?;
    let invalid = |detail: String| InspectError::Invalid {
        what: "PTX header",
        offset: 0,
        detail,
    };
    let mut version = None;
    let mut target = None;
    let mut debug = false;
    let mut address_size = None;
    // The header directives come before any code: stop at the first other directive.
    for line in code_lines(text) {
        if let Some(v) = line.strip_prefix(".version") {
            let v = v.trim();
            version = Some(isa(v).ok_or_else(|| invalid(format!("`.version {v}` is not X.Y")))?);
        } else if let Some(t) = line.strip_prefix(".target") {
            let mut parts = t.split(',').map(str::trim);
            let arch = parts.next().unwrap_or("");
            target = Some(
                Capability::parse_dotless(arch)
                    .map_err(|_| invalid(format!("`.target {arch}` is not sm_XY[a|f]")))?,
            );
            debug = parts.any(|p| p == "debug");
        } else if let Some(a) = line.strip_prefix(".address_size") {
            address_size = a.trim().parse().ok();
        } else if version.is_some() && target.is_some() {
            break;
        }
    }
    Ok(Ptx {
        isa: version.ok_or_else(|| invalid("no `.version` directive".into()))?,
        target: target.ok_or_else(|| invalid("no `.target` directive".into()))?,
        debug,
        address_size,
        entries: entries(text),
    })
}

/// Names of `.entry` kernels, in file order. Generated PTX has no block comments; a module
/// that has one is read line by line, comments removed.
fn entries(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    if memchr::memmem::find(b, b"/*").is_some() {
        return code_lines(text).filter_map(entry_name).collect();
    }
    let mut out = Vec::new();
    for at in entry_finder().find_iter(b) {
        let line_start = memchr::memrchr(b'\n', &b[..at]).map_or(0, |i| i + 1);
        let line_end = memchr::memchr(b'\n', &b[at..]).map_or(b.len(), |i| at + i);
        // Both ends are at ASCII bytes (newline, `.`) or the ends of the text.
        let line = &text[line_start..line_end];
        let line = line.find("//").map_or(line, |i| &line[..i]).trim();
        if let Some(name) = entry_name(line) {
            out.push(name);
        }
    }
    out
}

/// The kernel name when `line` (comment-free, trimmed) declares an `.entry`: only linkage
/// directives (`.visible`, `.weak`, `.extern`) may come before it.
fn entry_name(line: &str) -> Option<&str> {
    let i = line.find(".entry")?;
    let before_ok = line[..i]
        .split_whitespace()
        .all(|w| matches!(w, ".visible" | ".weak" | ".extern" | ".common"));
    let rest = &line[i + ".entry".len()..];
    if !before_ok || !rest.starts_with(|c: char| c.is_whitespace()) {
        return None;
    }
    let rest = rest.trim_start();
    let name_end = rest
        .find(|c: char| c == '(' || c.is_whitespace())
        .unwrap_or(rest.len());
    (name_end > 0).then(|| &rest[..name_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_entries() {
        let p = parse(
            b"//\n// Generated\n.version 9.0\n.target sm_100a, debug\n.address_size 64\n\
              .visible .entry _Z3addPf(\n.param .u64 x\n)\n{ ret; }\n.entry k2 ()\n\0\0",
        )
        .unwrap();
        assert_eq!(p.isa, (9, 0));
        assert_eq!(p.target.to_string(), "10.0a");
        assert!(p.debug);
        assert_eq!(p.entries, ["_Z3addPf", "k2"]);
    }

    #[test]
    fn entries_in_comments_and_other_directives_are_not_kernels() {
        let text =
            b".version 8.0\n.target sm_80\n// .entry commented (\n.visible .func .entry_like ()\n\
              .weak .entry w(\n)\n.entry\tt (\n";
        assert_eq!(parse(text).unwrap().entries, ["w", "t"]);
        let block = b".version 8.0\n.target sm_80\n/* .entry hidden (\n */ .entry shown (\n";
        assert_eq!(parse(block).unwrap().entries, ["shown"]);
    }

    #[test]
    fn missing_directives_are_errors() {
        assert!(parse(b".target sm_90\n").is_err());
        assert!(parse(b".version 9.0\n").is_err());
        assert!(parse(b".version x\n.target sm_90\n").is_err());
        assert!(parse(&[0xff, 0xfe]).is_err());
    }
}
