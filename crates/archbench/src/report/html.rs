//! A self-contained HTML page: the markdown report's tables as HTML plus every chart as
//! inline SVG. No scripts, no external stylesheets, fonts or images.

use std::fmt::Write;

use super::format::html_escape;

/// Wrap rendered markdown (converted table by table) and inline SVG charts in one page.
pub fn render(title: &str, markdown: &str, svgs: &[(String, String)]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n",
        html_escape(title),
        STYLE
    );
    s.push_str(&markdown_to_html(markdown));
    if !svgs.is_empty() {
        s.push_str("<h2>Charts</h2>\n");
        for (id, svg) in svgs {
            let _ = writeln!(
                s,
                "<figure id=\"{}\">\n{}\n</figure>",
                html_escape(id),
                strip_xml_declaration(svg)
            );
        }
    }
    s.push_str("</body>\n</html>\n");
    s
}

const STYLE: &str = "body { font-family: 'DejaVu Sans', Verdana, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f5f5f5; padding: 0 0.2em; }
blockquote { border-left: 4px solid #d55e00; margin: 1em 0; padding: 0.2em 1em; background: #fff4ec; }
figure { margin: 1.5em 0; overflow-x: auto; }
pre { background: #f5f5f5; padding: 0.5em; overflow-x: auto; }
";

fn strip_xml_declaration(svg: &str) -> &str {
    match svg.strip_prefix("<?xml") {
        Some(rest) => rest.find("?>").map_or(svg, |i| rest[i + 2..].trim_start()),
        None => svg,
    }
}

/// The small markdown subset [`super::markdown`] writes: `#`/`##`/`###` headings, tables, `>`
/// quotes, `- ` lists, fenced blocks (shown as they are), paragraphs; inline `code` and
/// **bold**.
pub fn markdown_to_html(md: &str) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(h) = line.strip_prefix("### ") {
            let _ = writeln!(out, "<h3>{}</h3>", inline(h));
        } else if let Some(h) = line.strip_prefix("## ") {
            let _ = writeln!(out, "<h2>{}</h2>", inline(h));
        } else if let Some(h) = line.strip_prefix("# ") {
            let _ = writeln!(out, "<h1>{}</h1>", inline(h));
        } else if line.starts_with("```") {
            let fence = &line[..line.len() - line.trim_start_matches('`').len()];
            out.push_str("<pre>");
            i += 1;
            while i < lines.len() && lines[i].trim_end() != fence {
                let _ = writeln!(out, "{}", html_escape(lines[i]));
                i += 1;
            }
            out.push_str("</pre>\n");
        } else if line.starts_with('|') {
            let mut rows = Vec::new();
            while i < lines.len() && lines[i].starts_with('|') {
                rows.push(lines[i]);
                i += 1;
            }
            table(&mut out, &rows);
            continue;
        } else if let Some(q) = line.strip_prefix("> ") {
            let _ = writeln!(out, "<blockquote>{}</blockquote>", inline(q));
        } else if line.starts_with("- ") {
            out.push_str("<ul>\n");
            while i < lines.len() && lines[i].starts_with("- ") {
                let _ = writeln!(out, "<li>{}</li>", inline(&lines[i][2..]));
                i += 1;
            }
            out.push_str("</ul>\n");
            continue;
        } else if !line.trim().is_empty() {
            let _ = writeln!(out, "<p>{}</p>", inline(line));
        }
        i += 1;
    }
    out
}

fn split_row(row: &str) -> Vec<String> {
    // Split on unescaped `|`.
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut chars = row.trim().trim_start_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cur.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        cells.push(cur.trim().to_string());
    }
    cells
}

fn table(out: &mut String, rows: &[&str]) {
    let Some(header) = rows.first() else { return };
    let align: Vec<bool> = rows
        .get(1)
        .map(|r| split_row(r).iter().map(|c| c.ends_with(':')).collect())
        .unwrap_or_default();
    out.push_str("<table>\n<tr>");
    for h in split_row(header) {
        let _ = write!(out, "<th>{}</th>", inline(&h));
    }
    out.push_str("</tr>\n");
    for r in rows.iter().skip(2) {
        out.push_str("<tr>");
        for (j, c) in split_row(r).iter().enumerate() {
            let class = if align.get(j).copied().unwrap_or(false) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(out, "<td{class}>{}</td>", inline(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// Escape, then turn `code` and **bold** spans into tags.
fn inline(text: &str) -> String {
    let escaped = html_escape(text);
    let mut out = String::new();
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            for (k, p) in part.split("**").enumerate() {
                if k % 2 == 1 {
                    let _ = write!(out, "<strong>{p}</strong>");
                } else {
                    out.push_str(p);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn fenced_blocks_are_shown_as_they_are() {
        let html = super::markdown_to_html("a\n\n````text\n| not a table |\n``` <b>\n````\nb\n");
        assert_eq!(
            html,
            "<p>a</p>\n<pre>| not a table |\n``` &lt;b&gt;\n</pre>\n<p>b</p>\n"
        );
    }
}
