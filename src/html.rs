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
    /// A caption for the table (`--caption`).
    pub caption: Option<String>,
    /// A last row with the sums of the count columns (`--totals`).
    pub totals: bool,
    /// The unit of a stats table's values, shown in their headers (`--unit ms`).
    pub unit: Option<String>,
    /// Rows shown at most (`--max-rows`; 0: all); the rest are counted under the table.
    pub max_rows: u64,
    /// A link back (`--back index.html`), above the heading.
    pub back: Option<String>,
    /// The column that gets the bar, by name (`--bar ERROR`); by default the first numeric one.
    pub bar: Option<String>,
    /// A share (%) of its column's total after each count (`--shares`).
    pub shares: bool,
}

/// Rows a page shows unless `--max-rows` says otherwise: a table of twelve million users made
/// pages of 1.3 GB that no browser opens.
pub const MAX_ROWS: u64 = 1000;

impl HtmlOptions {
    /// A page titled `title`, with nothing else asked for.
    pub fn titled(title: &str) -> HtmlOptions {
        HtmlOptions {
            title: title.to_string(),
            subtitle: None,
            max_line: input::MAX_LINE,
            caption: None,
            totals: false,
            unit: None,
            max_rows: MAX_ROWS,
            back: None,
            bar: None,
            shares: false,
        }
    }
}

/// Columns of a stats table (`ticky-count --stats`) whose values are a distribution: not summed,
/// not drawn as counts.
const STAT_COLUMNS: [&str; 7] = ["min", "mean", "p50", "p90", "p95", "p99", "max"];

/// Numeric fields of records that name things rather than measure them: no thousands separators,
/// no totals (ticket 4,217 would be wrong).
const IDENTIFIERS: [&str; 6] = ["line", "pid", "ticket", "status", "port", "year"];

/// The rows of a chart: each row's first cell, and its cells as numbers (NaN for others).
type Points = (Vec<Vec<u8>>, Vec<Vec<f64>>);

/// What a numeric column is, by its header and place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// The first column (a table's key), an identifier, or not numeric.
    Label,
    /// A count or a sum: grouped digits, totalled, charted.
    Count,
    /// A value of a distribution (a stats table's min … max): grouped digits, charted as p50,
    /// p95, p99.
    Stat,
}

/// Digits grouped by thousands with commas (`1234567.5` → `1,234,567.5`); anything but a plain
/// decimal number is returned as it is.
pub fn grouped(cell: &[u8]) -> Vec<u8> {
    let (sign, rest) = match cell {
        [b'-', rest @ ..] => (&b"-"[..], rest),
        _ => (&b""[..], cell),
    };
    let int_len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let tail = &rest[int_len..];
    let plain = int_len > 0 && (tail.is_empty() || tail[0] == b'.' && tail[1..].iter().all(u8::is_ascii_digit));
    if !plain || int_len <= 3 {
        return cell.to_vec();
    }
    let mut out = sign.to_vec();
    for (i, &d) in rest[..int_len].iter().enumerate() {
        if i > 0 && (int_len - i) % 3 == 0 {
            out.push(b',');
        }
        out.push(d);
    }
    out.extend_from_slice(tail);
    out
}

/// Writes a page's start, up to its `<main>`: its title escaped, the shared style and `style`.
pub(crate) fn begin_page(page: &mut Vec<u8>, title: &[u8], style: &str) {
    page.extend_from_slice(b"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.extend_from_slice(b"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    page.extend_from_slice(b"<meta name=\"color-scheme\" content=\"light dark\">\n<title>");
    escape(page, title);
    page.extend_from_slice(b"</title>\n<style>");
    page.extend_from_slice(STYLE.as_bytes());
    page.extend_from_slice(style.as_bytes());
    page.extend_from_slice(b"</style>\n</head>\n<body>\n<main>\n");
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1d232a; --bg: #ffffff; --muted: #5d6875; --line: #d9dee4;
        --stripe: #f5f7f9; --bar: #7aa7e0; --head: #eef2f6;
        --s1: #2f6fbd; --s2: #c2571a; --s3: #2e8b57; --s4: #8b4fb3; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e3e8ee; --bg: #14181d; --muted: #9aa5b1; --line: #2e3742; --stripe: #1a2027;
          --bar: #3f6fae; --head: #212a33; --s1: #6ea8ee; --s2: #f08a4b; --s3: #5fc08a; --s4: #b98ce0; }
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
p.empty, p.more { color: var(--muted); }
p.back { margin: 0 0 .5rem; }
td.share { color: var(--muted); }
a { color: var(--s1); }
caption { caption-side: top; text-align: left; color: var(--muted); padding: 0 0 .5rem; }
tfoot th, tfoot td { font-weight: 600; border-top: 2px solid var(--line); border-bottom: 0; }
th.hl, td.hl { font-weight: 600; }
td.time { white-space: nowrap; overflow-wrap: normal; font-variant-numeric: tabular-nums; }
figure.chart { margin: 0 0 1.25rem; }
figure.chart svg { width: 100%; height: auto; display: block; }
.chart text { fill: var(--muted); font-size: 12px; }
.chart text.yl { text-anchor: end; }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .axis { stroke: var(--muted); stroke-width: 1; }
.chart .line { fill: none; stroke-width: 2; stroke-linejoin: round; }
.chart g.s1 rect { fill: var(--s1); }
.chart .line.s1 { stroke: var(--s1); } .chart .line.s2 { stroke: var(--s2); }
.chart .line.s3 { stroke: var(--s3); } .chart .line.s4 { stroke: var(--s4); }
figcaption { color: var(--muted); font-size: .875rem; }
figcaption .key { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 .6rem;
                  border-radius: 2px; vertical-align: -1px; }
.key.s1 { background: var(--s1); } .key.s2 { background: var(--s2); }
.key.s3 { background: var(--s3); } .key.s4 { background: var(--s4); }
@media print {
  .chart *, .key { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
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
    // For a chart: each row's first cell and numbers, while there are few enough rows and the
    // table can still be one of time buckets.
    let mut points: Option<Points> = Some((Vec::new(), Vec::new()));
    let is_bucket = |name: &[u8]| crate::moment::split_bucket(&String::from_utf8_lossy(name)).is_some();
    let hint = "ticky-html shows a table; make one first, e.g. ticky-count --by error LOG | ticky-html";
    let max_row = input::record_limit(opts.max_line);
    let header = csvio::each_row(input::open_all(paths)?, hint, max_row, |header, row| {
        if columns.is_empty() {
            columns = vec![Column::default(); header.len()];
        }
        for (column, cell) in columns.iter_mut().zip(row.iter()) {
            column.add(cell);
        }
        if let Some((labels, values)) = &mut points {
            if labels.len() == crate::chart::MAX_POINTS || columns[0].not_times && !is_bucket(header.get(0)) {
                points = None;
            } else {
                labels.push(row.get(0).to_vec());
                values.push(row.iter().map(|c| number(c).unwrap_or(f64::NAN)).collect());
            }
        }
        rows.push(row)
    })?;
    let Some(header) = header else {
        let names: Vec<&str> = paths.iter().map(|p| if p == "-" { "<stdin>" } else { p.as_str() }).collect();
        return Err(Error::Failed(format!("{}: no CSV header: the input is empty", names.join(", "))));
    };
    columns.resize(header.len(), Column::default());
    let numeric: Vec<bool> = columns.iter().map(Column::numeric).collect();
    let roles: Vec<Role> = header
        .iter()
        .enumerate()
        .map(|(c, name)| match name {
            _ if c == 0 || !numeric[c] || IDENTIFIERS.iter().any(|i| i.as_bytes() == name) => Role::Label,
            _ if STAT_COLUMNS.iter().any(|s| s.as_bytes() == name) => Role::Stat,
            _ => Role::Count,
        })
        .collect();
    let stats_table = roles.contains(&Role::Stat);
    let bar_column = match &opts.bar {
        None => numeric.iter().position(|&n| n),
        Some(name) => match header.iter().position(|h| h == name.as_bytes()) {
            Some(c) if numeric[c] => Some(c),
            Some(_) => {
                return Err(Error::usage(format!("--bar {name}: that column holds something else than numbers")))
            }
            None => {
                let mut names = Vec::new();
                csvio::write_row(&mut names, header.iter());
                return Err(Error::usage(format!(
                    "--bar {name}: the table has no such column; its columns are {}",
                    String::from_utf8_lossy(names.trim_ascii_end())
                )));
            }
        },
    };
    let max = bar_column.map_or(0.0, |c| columns[c].max);
    let row_count = rows.count;

    let mut page = Vec::with_capacity(16 * 1024);
    begin_page(&mut page, opts.title.as_bytes(), "");
    if let Some(back) = &opts.back {
        page.extend_from_slice(b"<p class=\"back\"><a href=\"");
        escape(&mut page, back.as_bytes());
        page.extend_from_slice("\">\u{2190} Back</a></p>\n".as_bytes());
    }
    page.extend_from_slice(b"<h1>");
    escape(&mut page, opts.title.as_bytes());
    page.extend_from_slice(b"</h1>\n");
    if let Some(sub) = &opts.subtitle {
        page.extend_from_slice(b"<p class=\"sub\">");
        escape(&mut page, sub.as_bytes());
        page.extend_from_slice(b"</p>\n");
    }
    // A table of time buckets (ticky-count --by time/1h) gets a chart: its counts, or a stats
    // table's p50, p95 and p99.
    let timed = is_bucket(header.get(0)) || columns.first().is_some_and(|c| c.filled && !c.not_times);
    if let (true, Some((labels, values))) = (timed, &points) {
        let charted: Vec<usize> = match stats_table {
            true => (0..header.len()).filter(|&c| [&b"p50"[..], b"p95", b"p99"].contains(&header.get(c))).collect(),
            false => (0..header.len()).filter(|&c| roles[c] == Role::Count && header.get(c) != b"sum").collect(),
        };
        let series: Vec<crate::chart::Series> = charted
            .iter()
            .take(8)
            .map(|&c| crate::chart::Series {
                name: header.get(c).to_vec(),
                values: values.iter().map(|row| row.get(c).copied().unwrap_or(f64::NAN)).collect(),
            })
            .collect();
        crate::chart::write(&mut page, labels, &series, opts.unit.as_deref().filter(|_| stats_table));
    }
    page.extend_from_slice(b"<div class=\"wrap\">\n<table>\n");
    if let Some(caption) = &opts.caption {
        page.extend_from_slice(b"<caption>");
        escape(&mut page, caption.as_bytes());
        page.extend_from_slice(b"</caption>\n");
    }
    page.extend_from_slice(b"<thead>\n<tr>");
    let highlight = |c: usize| stats_table && header.get(c) == b"p95";
    // A share column follows each count column whose total is not zero.
    let shared: Vec<bool> = (0..header.len())
        .map(|c| opts.shares && roles[c] == Role::Count && columns[c].total().is_some_and(|t| t > 0))
        .collect();
    let one_count = shared.iter().filter(|&&s| s).count() == 1;
    for (c, name) in header.iter().enumerate() {
        let class = match (numeric[c], highlight(c)) {
            (true, true) => &b"<th scope=\"col\" class=\"num hl\">"[..],
            (true, false) => b"<th scope=\"col\" class=\"num\">",
            (false, _) => b"<th scope=\"col\">",
        };
        page.extend_from_slice(class);
        escape(&mut page, name);
        if let (Some(unit), true) = (&opts.unit, roles[c] == Role::Stat || stats_table && name == b"sum") {
            page.extend_from_slice(b" (");
            escape(&mut page, unit.as_bytes());
            page.push(b')');
        }
        page.extend_from_slice(b"</th>");
        if shared[c] {
            page.extend_from_slice(b"<th scope=\"col\" class=\"num\">");
            if one_count {
                page.extend_from_slice(b"Share");
            } else {
                escape(&mut page, name);
                page.extend_from_slice(b" %");
            }
            page.extend_from_slice(b"</th>");
        }
    }
    page.extend_from_slice(b"</tr>\n</thead>\n<tbody>\n");
    let mut reader = CsvReader::new(rows.into_reader()?, "a temporary file");
    let mut row = Row::default();
    // Totals in billionths, exact whatever the order (None: a cell that is not a number).
    let mut shown_rows = 0u64;
    // Rows beyond --max-rows are read no further: totals and shares come from the first pass.
    while (opts.max_rows == 0 || shown_rows < opts.max_rows) && reader.read_row(&mut row)?.is_some() {
        shown_rows += 1;
        page.extend_from_slice(b"<tr>");
        for (c, cell) in row.iter().enumerate() {
            let role = roles.get(c).copied().unwrap_or(Role::Label);
            let shown = match role {
                Role::Label => cell.to_vec(),
                Role::Count | Role::Stat => grouped(cell),
            };
            if Some(c) == bar_column {
                let share = number(cell).filter(|_| max > 0.0).map_or(0.0, |n| (n / max * 100.0).clamp(0.0, 100.0));
                let _ = write!(page, "<td class=\"num bar\"><i style=\"width:{share:.1}%\"></i><span>");
                escape(&mut page, &shown);
                page.extend_from_slice(b"</span></td>");
            } else {
                page.extend_from_slice(match (numeric.get(c) == Some(&true), highlight(c)) {
                    (true, true) => &b"<td class=\"num hl\">"[..],
                    (true, false) => b"<td class=\"num\">",
                    (false, _) if c == 0 && timed => b"<td class=\"time\">",
                    (false, _) => b"<td>",
                });
                escape(&mut page, &shown);
                page.extend_from_slice(b"</td>");
            }
            if shared.get(c) == Some(&true) {
                match number(cell) {
                    Some(n) => {
                        let total = columns[c].total().unwrap_or(0) as f64 / 1e9;
                        let _ = write!(page, "<td class=\"num share\">{:.1}%</td>", n / total * 100.0);
                    }
                    None => page.extend_from_slice(b"<td></td>"),
                }
            }
        }
        page.extend_from_slice(b"</tr>\n");
        output::write_when_full(&mut page, out)?;
    }
    page.extend_from_slice(b"</tbody>\n");
    if opts.totals && row_count > 0 {
        page.extend_from_slice(b"<tfoot>\n<tr><th scope=\"row\">Total</th>");
        for c in 1..header.len() {
            match (roles[c], columns[c].total()) {
                (Role::Count, Some(total)) => {
                    let mut text = Vec::new();
                    crate::stats::write_exact(&mut text, total);
                    page.extend_from_slice(b"<td class=\"num\">");
                    escape(&mut page, &grouped(&text));
                    page.extend_from_slice(b"</td>");
                }
                _ => page.extend_from_slice(b"<td></td>"),
            }
            if shared[c] {
                page.extend_from_slice(b"<td class=\"num share\">100%</td>");
            }
        }
        page.extend_from_slice(b"</tr>\n</tfoot>\n");
    }
    page.extend_from_slice(b"</table>\n</div>\n");
    if shown_rows < row_count {
        let more = (row_count - shown_rows).to_string();
        let _ = writeln!(
            page,
            "<p class=\"more\">The first {} rows are shown; {} more are in the CSV.</p>",
            String::from_utf8_lossy(&grouped(shown_rows.to_string().as_bytes())),
            String::from_utf8_lossy(&grouped(more.as_bytes()))
        );
    }
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
    /// Some non-empty cell is not an ISO 8601 time.
    not_times: bool,
    max: f64,
    /// The exact sum of its cells, for totals and shares; unknown once a cell is no decimal number.
    total: i128,
    no_total: bool,
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
        match crate::stats::parse_number(cell) {
            Some(n) if !self.no_total => self.total = self.total.saturating_add(n),
            _ => self.no_total = true,
        }
        if !self.not_times && crate::moment::parse_time(cell).is_none() {
            self.not_times = true;
        }
    }

    /// The column's total, when every cell is a decimal number.
    fn total(&self) -> Option<i128> {
        (!self.no_total).then_some(self.total)
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
    fn digits_are_grouped_by_thousands() {
        for (cell, shown) in
            [("1234567", "1,234,567"), ("-1234.5", "-1,234.5"), ("999", "999"), ("12e5", "12e5"), ("1.2.3", "1.2.3")]
        {
            assert_eq!(grouped(cell.as_bytes()), shown.as_bytes(), "{cell}");
        }
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
