//! `ticky-html`: one CSV table as one self-contained HTML5 page: inline CSS, no script, nothing
//! loaded from another host. Every cell is escaped, because log content is attacker-controlled.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Cursor, Seek, SeekFrom, Write};

use crate::csvio::{self, CsvReader, Row};
use crate::error::{Error, Result};
use crate::input;
use crate::output;
use crate::tmpfile;

#[derive(Clone, Debug)]
pub struct HtmlOptions {
    pub title: String,
    /// A line of text under the heading.
    pub subtitle: Option<String>,
    /// Rows longer than the records of lines of this length are refused (`--max-line`).
    pub max_line: usize,
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
         overflow-wrap: anywhere; unicode-bidi: isolate; }
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

/// Escapes text for HTML element content and attribute values. Unicode's bidirectional controls
/// (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) are shown as `[U+202E]`: anyone who can
/// write a log line could otherwise make `adm\u{202e}gnp.exe` read as `admexe.png` on the page.
pub fn escape(out: &mut Vec<u8>, text: &[u8]) {
    for chunk in text.utf8_chunks() {
        let mut start = 0;
        let valid = chunk.valid().as_bytes();
        let mut i = 0;
        while i < valid.len() {
            let c = valid[i];
            let (entity, len): (&[u8], usize) = match c {
                b'&' => (b"&amp;", 1),
                b'<' => (b"&lt;", 1),
                b'>' => (b"&gt;", 1),
                b'"' => (b"&quot;", 1),
                b'\'' => (b"&#39;", 1),
                0xd8 | 0xe2 => match bidi_control(&valid[i..]) {
                    Some(name) => (name, if c == 0xd8 { 2 } else { 3 }),
                    None => {
                        i += 1;
                        continue;
                    }
                },
                _ => {
                    i += 1;
                    continue;
                }
            };
            out.extend_from_slice(&valid[start..i]);
            out.extend_from_slice(entity);
            i += len;
            start = i;
        }
        out.extend_from_slice(&valid[start..]);
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
}

/// The visible name of a bidirectional control character at the start of `s` (valid UTF-8).
fn bidi_control(s: &[u8]) -> Option<&'static [u8]> {
    Some(match s {
        [0xd8, 0x9c, ..] => b"[U+061C]",
        [0xe2, 0x80, 0x8e, ..] => b"[U+200E]",
        [0xe2, 0x80, 0x8f, ..] => b"[U+200F]",
        [0xe2, 0x80, 0xaa, ..] => b"[U+202A]",
        [0xe2, 0x80, 0xab, ..] => b"[U+202B]",
        [0xe2, 0x80, 0xac, ..] => b"[U+202C]",
        [0xe2, 0x80, 0xad, ..] => b"[U+202D]",
        [0xe2, 0x80, 0xae, ..] => b"[U+202E]",
        [0xe2, 0x81, 0xa6, ..] => b"[U+2066]",
        [0xe2, 0x81, 0xa7, ..] => b"[U+2067]",
        [0xe2, 0x81, 0xa8, ..] => b"[U+2068]",
        [0xe2, 0x81, 0xa9, ..] => b"[U+2069]",
        _ => return None,
    })
}

fn number(cell: &[u8]) -> Option<f64> {
    let n: f64 = std::str::from_utf8(cell).ok()?.trim().parse().ok()?;
    n.is_finite().then_some(n)
}

pub fn run(opts: &HtmlOptions, paths: &[String], out: &mut impl Write) -> Result<()> {
    // First pass: which columns are numbers, the largest of each, and the rows kept for the second.
    let mut columns: Vec<Column> = Vec::new();
    let mut rows = Spool::default();
    let hint = "ticky-html shows a table; make one first, e.g. ticky-count --by error LOG | ticky-html";
    let max_row = input::record_limit(opts.max_line);
    let header = csvio::each_row(input::open_all(paths)?, hint, max_row, |header, row| {
        if columns.is_empty() {
            columns = vec![Column::default(); header.len()];
        }
        for (column, cell) in columns.iter_mut().zip(row.iter()) {
            column.add(cell);
        }
        rows.push(row)
    })?;
    let Some(header) = header else {
        let names: Vec<&str> = paths.iter().map(|p| if p == "-" { "<stdin>" } else { p.as_str() }).collect();
        return Err(Error::Failed(format!("{}: no CSV header: the input is empty", names.join(", "))));
    };
    columns.resize(header.len(), Column::default());
    let numeric: Vec<bool> = columns.iter().map(Column::numeric).collect();
    let bar_column = numeric.iter().position(|&n| n);
    let max = bar_column.map_or(0.0, |c| columns[c].max);
    let row_count = rows.count;

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
    let mut reader = CsvReader::new(rows.into_reader()?, "a temporary file");
    let mut row = Row::default();
    while reader.read_row(&mut row)?.is_some() {
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
        output::write_when_full(&mut page, out)?;
    }
    page.extend_from_slice(b"</tbody>\n</table>\n</div>\n");
    if row_count == 0 {
        page.extend_from_slice(b"<p class=\"empty\">No rows.</p>\n");
    }
    page.extend_from_slice(b"</main>\n</body>\n</html>\n");
    output::write_and_flush(&page, out)
}

/// What the first pass learns of a column: a column is numeric when every non-empty cell is a
/// number and at least one cell is.
#[derive(Clone, Debug, Default)]
struct Column {
    filled: bool,
    not_numbers: bool,
    max: f64,
}

impl Column {
    fn add(&mut self, cell: &[u8]) {
        if cell.is_empty() {
            return;
        }
        self.filled = true;
        match number(cell) {
            Some(n) => self.max = self.max.max(n),
            None => self.not_numbers = true,
        }
    }

    fn numeric(&self) -> bool {
        self.filled && !self.not_numbers
    }
}

/// Rows between the two passes: in memory up to [`SPOOL_MEMORY`] bytes, the rest in a temporary
/// file, so that a table of any size takes bounded memory.
#[derive(Default)]
struct Spool {
    /// Rows as CSV, which reads back exactly as it was.
    memory: Vec<u8>,
    file: Option<BufWriter<File>>,
    count: u64,
}

const SPOOL_MEMORY: usize = 8 << 20;

impl Spool {
    fn push(&mut self, row: &Row) -> Result<()> {
        self.count += 1;
        csvio::write_row(&mut self.memory, row.iter());
        if self.memory.len() >= SPOOL_MEMORY {
            let file = match &mut self.file {
                Some(file) => file,
                None => self.file.insert(BufWriter::new(tmpfile::create()?)),
            };
            file.write_all(&self.memory).map_err(tmpfile::error)?;
            self.memory.clear();
        }
        Ok(())
    }

    /// The rows, from the first.
    fn into_reader(self) -> Result<Box<dyn BufRead>> {
        let Some(mut file) = self.file else { return Ok(Box::new(Cursor::new(self.memory))) };
        file.write_all(&self.memory).map_err(tmpfile::error)?;
        let mut file = file.into_inner().map_err(|e| tmpfile::error(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(tmpfile::read_error)?;
        Ok(Box::new(BufReader::with_capacity(64 * 1024, file)))
    }
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

    #[test]
    fn bidirectional_controls_are_shown_not_obeyed() {
        let mut out = Vec::new();
        escape(&mut out, "adm\u{202e}gnp.exe \u{2066}x\u{2069} \u{61c}\u{200f}ok \u{2014} é 日本".as_bytes());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "adm[U+202E]gnp.exe [U+2066]x[U+2069] [U+061C][U+200F]ok \u{2014} é 日本"
        );
    }
}
