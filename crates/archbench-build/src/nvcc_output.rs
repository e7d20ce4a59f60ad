//! Reading what nvcc prints and writes: its error lines (front end `file(LINE): error: …`,
//! host preprocessor `file:LINE:COL: fatal error: …`, `ptxas … error : …`, `nvcc fatal : …`),
//! the kernels a PTX file defines (`.entry` lines) and the ones ptxas compiled (`-Xptxas -v`).

use crate::error::CompilerMessage;

/// The error lines of a failed compile, in order.
pub(crate) fn errors(stderr: &str) -> Vec<CompilerMessage> {
    stderr.lines().filter_map(error_line).collect()
}

fn error_line(line: &str) -> Option<CompilerMessage> {
    let l = line.trim_end();
    // EDG front end: `kernels/bad.cu(12): error: …` or `…(12): error #20-D: …`.
    if let Some(at) = l.find("): error") {
        let open = l[..at].rfind('(')?;
        let line_no = l[open + 1..at].trim().parse().ok();
        let rest = &l[at + "): error".len()..];
        let message = rest.split_once(": ").map_or(rest, |(_, m)| m).trim();
        return Some(CompilerMessage {
            file: l[..open].to_string(),
            line: line_no,
            message: message.to_string(),
        });
    }
    // The host preprocessor (gcc, clang): `kernels/k.cu:1:10: fatal error: …`.
    for marker in [": fatal error: ", ": error: "] {
        if let Some(at) = l.find(marker) {
            let head = &l[..at];
            let mut parts = head.rsplitn(3, ':');
            let (a, b, file) = (parts.next(), parts.next(), parts.next());
            let (file, line_no) = match (file, b, a) {
                (Some(f), Some(line), Some(_col)) if line.parse::<u32>().is_ok() => {
                    (f, line.parse().ok())
                }
                _ => match head.rsplit_once(':') {
                    Some((f, line)) if line.parse::<u32>().is_ok() => (f, line.parse().ok()),
                    _ => (head, None),
                },
            };
            return Some(CompilerMessage {
                file: file.to_string(),
                line: line_no,
                message: l[at + marker.len()..].trim().to_string(),
            });
        }
    }
    // ptxas: `ptxas error   : Entry function 'k' uses too much shared data …` or
    // `ptxas /tmp/x.ptx, line 5; error   : …`; the driver: `nvcc fatal   : …`.
    for tool in ["ptxas", "nvcc"] {
        if let Some(rest) = l.strip_prefix(tool) {
            if let Some((head, msg)) = rest.split_once(':') {
                if head.contains("error") || head.contains("fatal") {
                    let line_no = head
                        .split_once(", line ")
                        .and_then(|(_, n)| n.split(';').next())
                        .and_then(|n| n.trim().parse().ok());
                    return Some(CompilerMessage {
                        file: tool.to_string(),
                        line: line_no,
                        message: msg.trim().to_string(),
                    });
                }
            }
        }
    }
    None
}

/// The kernels (`.entry`) a PTX text defines.
pub(crate) fn ptx_entries(ptx: &str) -> Vec<String> {
    ptx.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let rest = l
                .strip_prefix(".visible .entry ")
                .or_else(|| l.strip_prefix(".weak .entry "))
                .or_else(|| l.strip_prefix(".entry "))?;
            let name: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '(')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

/// The kernels ptxas compiled (`ptxas info : Compiling entry function 'k' for 'sm_80'`).
pub(crate) fn ptxas_entries(log: &str) -> Vec<String> {
    archbench_core::manifest::parse_ptxas_verbose(log)
        .into_iter()
        .map(|k| k.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real nvcc 13.0 output.
    const FRONT_END: &str = "kernels/bad.cu(3): error: identifier \"undefined_thing\" is undefined\n    y[0] = undefined_thing;\n           ^\n\nkernels/bad.cu(4): error #20-D: identifier \"also_bad\" is undefined\n\n2 errors detected in the compilation of \"kernels/bad.cu\".\n";

    #[test]
    fn reads_every_error_format() {
        let e = errors(FRONT_END);
        assert_eq!(e.len(), 2);
        assert_eq!(
            e[0],
            CompilerMessage {
                file: "kernels/bad.cu".into(),
                line: Some(3),
                message: "identifier \"undefined_thing\" is undefined".into()
            }
        );
        assert_eq!(e[1].line, Some(4));
        assert_eq!(e[1].message, "identifier \"also_bad\" is undefined");
        let e = errors("k/miss.cu:1:10: fatal error: missing.h: No such file or directory\n    1 | #include \"missing.h\"\ncompilation terminated.\n");
        assert_eq!(
            e,
            [CompilerMessage {
                file: "k/miss.cu".into(),
                line: Some(1),
                message: "missing.h: No such file or directory".into()
            }]
        );
        let e = errors("nvcc fatal   : Unknown option '--foo'\nptxas error   : Entry function 'k' uses too much shared data\nptxas /tmp/x.ptx, line 5; error   : Unknown symbol 'y'\n");
        assert_eq!(e.len(), 3);
        assert_eq!(
            (e[0].file.as_str(), e[0].message.as_str()),
            ("nvcc", "Unknown option '--foo'")
        );
        assert_eq!(e[1].file, "ptxas");
        assert_eq!(
            (e[2].line, e[2].message.as_str()),
            (Some(5), "Unknown symbol 'y'")
        );
        assert!(errors("ptxas info    : 0 bytes gmem\n").is_empty());
    }

    #[test]
    fn finds_entries() {
        let ptx = ".version 9.0\n.visible .entry saxpy(\n\t.param .u64 a\n)\n.entry local_k(\n.func helper(\n";
        assert_eq!(ptx_entries(ptx), ["saxpy", "local_k"]);
        assert!(ptx_entries(".version 9.0\n.visible .func f(\n").is_empty());
        let log = "ptxas info    : 0 bytes gmem\nptxas info    : Compiling entry function 'saxpy' for 'sm_80'\n";
        assert_eq!(ptxas_entries(log), ["saxpy"]);
        assert!(ptxas_entries("ptxas info    : 0 bytes gmem\n").is_empty());
    }
}
