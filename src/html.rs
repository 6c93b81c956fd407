//! `ticky-html`: one CSV table as one self-contained HTML5 page: inline CSS, no script, nothing
//! loaded from another host. Every cell is escaped, because log content is attacker-controlled.

use std::io::Write;

use crate::cli;
use crate::csvio;
use crate::error::{Error, Result};
use crate::input;

#[derive(Clone, Debug)]
pub struct HtmlOptions {
    pub title: String,
    /// A line of text under the heading.
    pub subtitle: Option<String>,
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1d232a; --bg: #ffffff; --muted: #5d6875; --line: #d9dee4;
        --stripe: #f5f7f9; --bar: #7aa7e0; --head: #eef2f6; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e3e8ee; --bg: #14181d; --muted: #9aa5b1; --line: #2e3742; --stripe: #1a2027;
          --bar: #3f6fae; --head: #212a33; }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 1.5rem 1rem; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
       color: var(--fg); background: var(--bg); }
main { max-width: 60rem; margin: 0 auto; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
p.sub { margin: 0 0 1rem; color: var(--muted); }
.wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: .4rem .6rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
thead th { background: var(--head); position: sticky; top: 0; }
tbody tr:nth-child(even) { background: var(--stripe); }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.bar { position: relative; min-width: 6rem; }
td.bar span { position: relative; }
td.bar i { position: absolute; left: 0; top: .25rem; bottom: .25rem; background: var(--bar); opacity: .45;
           border-radius: 2px; }
p.empty { color: var(--muted); }
@media print {
  body { padding: 0; font-size: 11pt; color: #000; background: #fff; }
  thead th { position: static; }
  td.bar i { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  tr { break-inside: avoid; }
}
"#;

/// Escapes text for HTML element content and attribute values.
pub fn escape(out: &mut Vec<u8>, text: &[u8]) {
    for chunk in text.utf8_chunks() {
        let mut start = 0;
        let valid = chunk.valid().as_bytes();
        for (i, &c) in valid.iter().enumerate() {
            let entity: &[u8] = match c {
                b'&' => b"&amp;",
                b'<' => b"&lt;",
                b'>' => b"&gt;",
                b'"' => b"&quot;",
                b'\'' => b"&#39;",
                _ => continue,
            };
            out.extend_from_slice(&valid[start..i]);
            out.extend_from_slice(entity);
            start = i + 1;
        }
        out.extend_from_slice(&valid[start..]);
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
}

fn number(cell: &[u8]) -> Option<f64> {
    let n: f64 = std::str::from_utf8(cell).ok()?.trim().parse().ok()?;
    n.is_finite().then_some(n)
}

pub fn run(opts: &HtmlOptions, paths: &[String], out: &mut impl Write) -> Result<()> {
    let Some((header, rows)) = csvio::read_table(input::open_all(paths)?)? else {
        let names: Vec<&str> = paths.iter().map(|p| if p == "-" { "<stdin>" } else { p.as_str() }).collect();
        return Err(Error::Failed(format!("{}: no CSV header: the input is empty", names.join(", "))));
    };
    // A column is numeric when every non-empty cell is a number and at least one cell is.
    let numeric: Vec<bool> = (0..header.len())
        .map(|c| {
            rows.iter().any(|r| !r.get(c).is_empty())
                && rows.iter().all(|r| r.get(c).is_empty() || number(r.get(c)).is_some())
        })
        .collect();
    let bar_column = numeric.iter().position(|&n| n);
    let max = bar_column.map_or(0.0, |c| rows.iter().filter_map(|r| number(r.get(c))).fold(0.0, f64::max));

    let mut page = Vec::with_capacity(16 * 1024);
    page.extend_from_slice(b"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.extend_from_slice(b"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    page.extend_from_slice(b"<meta name=\"color-scheme\" content=\"light dark\">\n<title>");
    escape(&mut page, opts.title.as_bytes());
    page.extend_from_slice(b"</title>\n<style>");
    page.extend_from_slice(STYLE.as_bytes());
    page.extend_from_slice(b"</style>\n</head>\n<body>\n<main>\n<h1>");
    escape(&mut page, opts.title.as_bytes());
    page.extend_from_slice(b"</h1>\n");
    if let Some(sub) = &opts.subtitle {
        page.extend_from_slice(b"<p class=\"sub\">");
        escape(&mut page, sub.as_bytes());
        page.extend_from_slice(b"</p>\n");
    }
    page.extend_from_slice(b"<div class=\"wrap\">\n<table>\n<thead>\n<tr>");
    for (c, name) in header.iter().enumerate() {
        page.extend_from_slice(if numeric[c] { b"<th scope=\"col\" class=\"num\">" } else { b"<th scope=\"col\">" });
        escape(&mut page, name);
        page.extend_from_slice(b"</th>");
    }
    page.extend_from_slice(b"</tr>\n</thead>\n<tbody>\n");
    for row in &rows {
        page.extend_from_slice(b"<tr>");
        for (c, cell) in row.iter().enumerate() {
            if Some(c) == bar_column {
                let share = number(cell).filter(|_| max > 0.0).map_or(0.0, |n| (n / max * 100.0).clamp(0.0, 100.0));
                let _ = write!(page, "<td class=\"num bar\"><i style=\"width:{share:.1}%\"></i><span>");
                escape(&mut page, cell);
                page.extend_from_slice(b"</span></td>");
            } else {
                page.extend_from_slice(if numeric[c] { b"<td class=\"num\">" } else { b"<td>" });
                escape(&mut page, cell);
                page.extend_from_slice(b"</td>");
            }
        }
        page.extend_from_slice(b"</tr>\n");
        cli::write_when_full(&mut page, out)?;
    }
    page.extend_from_slice(b"</tbody>\n</table>\n</div>\n");
    if rows.is_empty() {
        page.extend_from_slice(b"<p class=\"empty\">No rows.</p>\n");
    }
    page.extend_from_slice(b"</main>\n</body>\n</html>\n");
    cli::write_and_flush(&page, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_replaces_invalid_utf8() {
        let mut out = Vec::new();
        escape(&mut out, b"<script>alert(\"x\" & 'y')</script>\xff");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;\u{fffd}"
        );
    }
}
