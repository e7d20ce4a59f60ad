//! Writing a report directory: `report.md`, `report.html` and `charts/<id>.{svg,png}`,
//! depending on the formats asked for. Every file is written atomically (a temporary file
//! renamed into place, removed on any error), and charts a previous report left in
//! `charts/` that this one did not write are removed, so one directory never mixes runs.

use std::path::{Path, PathBuf};

use super::baseline::write_atomic;
use super::charts;
use super::compare::Comparison;
use super::markdown::Extra;
use super::merge::Merged;
use super::{html, markdown, ReportError};

/// Which outputs to write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Formats {
    pub md: bool,
    pub html: bool,
    pub svg: bool,
    pub png: bool,
}

impl Formats {
    /// Parse `md,html,svg,png` (any subset, comma-separated).
    pub fn parse(list: &str) -> Result<Formats, ReportError> {
        let mut f = Formats::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "md" | "markdown" => f.md = true,
                "html" => f.html = true,
                "svg" => f.svg = true,
                "png" => f.png = true,
                other => return Err(ReportError::UnknownFormat(other.to_string())),
            }
        }
        if f == Formats::default() {
            return Err(ReportError::NoFormat(list.to_string()));
        }
        Ok(f)
    }
}

/// Write the report into `out`; returns the files written.
pub fn write(
    m: &Merged,
    comparisons: &[Comparison],
    out: &Path,
    formats: Formats,
) -> Result<Vec<PathBuf>, ReportError> {
    write_with(m, comparisons, out, formats, &Extra::default())
}

/// [`write()`] with a title and sections of the caller's (see [`Extra`]).
pub fn write_with(
    m: &Merged,
    comparisons: &[Comparison],
    out: &Path,
    formats: Formats,
    extra: &Extra,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(out).map_err(|e| ReportError::io("cannot create", out, e))?;
    let charts = charts::all(m, comparisons);
    let mut written = Vec::new();
    let mut links = Vec::new();
    if formats.svg || formats.png {
        let dir = out.join("charts");
        std::fs::create_dir_all(&dir).map_err(|e| ReportError::io("cannot create", &dir, e))?;
        for c in &charts {
            if formats.svg {
                let p = dir.join(format!("{}.svg", c.id));
                write_atomic(&p, c.to_svg()?.as_bytes())?;
                links.push(format!("charts/{}.svg", c.id));
                written.push(p);
            }
            if formats.png {
                let p = dir.join(format!("{}.png", c.id));
                // The encoder picks the format by extension: keep `.png` last.
                let tmp = dir.join(format!(".{}.tmp-{}.png", c.id, std::process::id()));
                let r = c.to_png(&tmp).and_then(|()| {
                    std::fs::rename(&tmp, &p).map_err(|e| ReportError::io("cannot write", &p, e))
                });
                if r.is_err() {
                    let _ = std::fs::remove_file(&tmp);
                }
                r?;
                links.push(format!("charts/{}.png", c.id));
                written.push(p);
            }
        }
        // Charts of an earlier report in the same directory would mix with these.
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let p = e.path();
                let chart = p.extension().is_some_and(|x| x == "svg" || x == "png");
                if chart && !written.contains(&p) {
                    let _ = std::fs::remove_file(&p);
                }
            }
        }
    }
    let md = markdown::render_with(m, comparisons, &links, extra);
    if formats.md {
        let p = out.join("report.md");
        write_atomic(&p, md.as_bytes())?;
        written.push(p);
    }
    if formats.html {
        let body = markdown::render_with(m, comparisons, &[], extra);
        let svgs = charts
            .iter()
            .map(|c| Ok((c.id.clone(), c.to_svg()?)))
            .collect::<Result<Vec<_>, ReportError>>()?;
        let p = out.join("report.html");
        write_atomic(&p, html::render(extra.title(), &body, &svgs).as_bytes())?;
        written.push(p);
    }
    Ok(written)
}
