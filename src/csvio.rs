//! CSV as the tools read and write it (RFC 4180): quoted fields may hold commas, quotes and line
//! breaks. The reader is written here rather than taken from the `csv` crate because a quote that
//! never closes must be an error with the line it opened on, not a field that silently swallows the
//! rest of the file.

use std::io::{BufRead, Read};

use crate::error::{Error, Result};
use crate::input::{Input, UTF8_BOM};

/// One CSV row: its fields stored end to end in one reused buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Row {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    pub fn from_fields<'a>(fields: impl IntoIterator<Item = &'a [u8]>) -> Row {
        let mut row = Row::default();
        for f in fields {
            row.data.extend_from_slice(f);
            row.ends.push(row.data.len());
        }
        row
    }

    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }

    fn end_field(&mut self) {
        self.ends.push(self.data.len());
    }
}

/// Reads rows, knowing the line each one starts on.
pub struct CsvReader<R> {
    reader: R,
    name: String,
    line: Vec<u8>,
    lines_read: u64,
    /// What to tell a user who gave a log or records where a table is read.
    not_a_table: Option<&'static str>,
    /// The longest row read, in bytes, line breaks in quoted fields included.
    max_row: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: either the first of `""` or the closing one.
    QuoteInQuoted,
}

impl<R: BufRead> CsvReader<R> {
    pub fn new(reader: R, name: &str) -> CsvReader<R> {
        CsvReader {
            reader,
            name: name.to_string(),
            line: Vec::new(),
            lines_read: 0,
            not_a_table: None,
            max_row: usize::MAX,
        }
    }

    /// Refuses a row longer than `max` bytes: memory stays bounded even when a quote never
    /// closes.
    pub fn set_max_row(&mut self, max: usize) {
        self.max_row = max;
    }

    /// Refuses an input whose first line is a syslog line, a journal entry or a JSON record,
    /// saying what it is and then `hint` (what to do): such input read as CSV gives accurate but
    /// puzzling messages about fields, or a table of nonsense.
    pub fn refuse_logs(&mut self, hint: &'static str) {
        self.not_a_table = Some(hint);
    }

    /// Reads the next row into `row`; returns the line it starts on, or `None` at the end. Blank
    /// lines between rows are skipped.
    pub fn read_row(&mut self, row: &mut Row) -> Result<Option<u64>> {
        row.clear();
        let mut state = State::FieldStart;
        let mut start = 0;
        let mut row_bytes = 0usize;
        loop {
            self.line.clear();
            let room = self.max_row.saturating_sub(row_bytes).saturating_add(1);
            let n = (&mut self.reader)
                .take(room as u64)
                .read_until(b'\n', &mut self.line)
                .map_err(|e| Error::io(format!("reading {}", self.name), e))?;
            row_bytes += n;
            if row_bytes > self.max_row {
                let line = if start == 0 { self.lines_read + 1 } else { start };
                let why = if state == State::Quoted { " (a quote that never closes?)" } else { "" };
                return Err(Error::input(
                    &self.name,
                    line,
                    format!("a row longer than {} bytes{why}: give a larger --max-line", self.max_row),
                ));
            }
            if n == 0 {
                return match state {
                    _ if start == 0 => Ok(None),
                    State::Quoted => Err(Error::input(
                        &self.name,
                        start,
                        "unterminated quoted field: its opening quote never closes before the end of the input",
                    )),
                    _ => {
                        row.end_field();
                        Ok(Some(start))
                    }
                };
            }
            self.lines_read += 1;
            if self.lines_read == 1 && self.line.starts_with(UTF8_BOM) {
                self.line.drain(..UTF8_BOM.len());
            }
            if let (1, Some(hint)) = (self.lines_read, self.not_a_table) {
                if let Some(kind) = log_kind(self.line.trim_ascii_end()) {
                    return Err(Error::input(&self.name, 1, format!("this is {kind}, not a CSV table: {hint}")));
                }
            }
            if start == 0 {
                if self.line == b"\n" || self.line == b"\r\n" {
                    continue;
                }
                start = self.lines_read;
            }
            let line = std::mem::take(&mut self.line);
            let ended = parse_line(&line, &mut state, row);
            self.line = line;
            if ended {
                return Ok(Some(start));
            }
        }
    }
}

/// Whether a line starts as a syslog line does: an optional `<PRI>` (and RFC 5424's version), then
/// an RFC 3164 date (`Jan 31 `) or an ISO one (`2025-01-31T`). A look at the start only: calling
/// the parser itself from here made the compiler stop inlining it into the parse of every line,
/// which cost ticky-count 15% of its time.
fn looks_like_syslog(line: &[u8]) -> bool {
    let mut rest = line;
    if let Some(after) = rest.strip_prefix(b"<") {
        let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
        match after.get(digits) {
            Some(b'>') if digits > 0 => rest = &after[digits + 1..],
            _ => return false,
        }
        rest = rest.strip_prefix(b"1 ").unwrap_or(rest);
        rest = rest.strip_prefix(b" ").unwrap_or(rest);
    }
    let bsd = rest.len() > 4 && crate::time::month_number(&rest[..3]).is_some() && rest[3] == b' ';
    let iso = rest.len() > 11
        && rest[..4].iter().all(u8::is_ascii_digit)
        && rest[4] == b'-'
        && rest[7] == b'-'
        && rest[10] == b'T';
    bsd || iso
}

/// What a first line is when it is no CSV header: a syslog line, a journal entry, a JSON record.
fn log_kind(line: &[u8]) -> Option<&'static str> {
    if crate::journal::looks_like_entry(line) {
        Some("a journal entry (journalctl -o json)")
    } else if line.first() == Some(&b'{') {
        Some("a JSON record (ticky-parse's JSON Lines)")
    } else if looks_like_syslog(line) {
        Some("a syslog line")
    } else {
        None
    }
}

/// Feeds one physical line (with its `\n`, if any) through the state machine; returns true when
/// the row ended on it.
fn parse_line(line: &[u8], state: &mut State, row: &mut Row) -> bool {
    let body = line.strip_suffix(b"\n").map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let (body, has_newline) = match body {
        Some(b) => (b, true),
        None => (line, false),
    };
    for &c in body {
        *state = match (*state, c) {
            (State::FieldStart, b'"') => State::Quoted,
            (State::FieldStart | State::Unquoted | State::QuoteInQuoted, b',') => {
                row.end_field();
                State::FieldStart
            }
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::QuoteInQuoted, b'"') => {
                row.data.push(b'"');
                State::Quoted
            }
            (State::Quoted, c) => {
                row.data.push(c);
                State::Quoted
            }
            // Text after a closing quote, or a quote inside an unquoted field, is kept as it is.
            (_, c) => {
                row.data.push(c);
                State::Unquoted
            }
        };
    }
    if *state == State::Quoted {
        // The line break belongs to the quoted field, exactly as written.
        row.data.extend_from_slice(&line[body.len()..]);
        return false;
    }
    if has_newline {
        row.end_field();
    }
    has_newline
}

/// Reads CSV inputs row by row: the header of the first, then the rows of all, each handed to `f`
/// with the header. Every input must have the same header, and every row as many fields as the
/// header. Returns the header, or `None` when every input is empty.
/// A log or records among the inputs is refused with `hint`, what to do ([`CsvReader::refuse_logs`]);
/// a row longer than `max_row` bytes is an error.
pub fn each_row(
    inputs: Vec<Input>,
    hint: &'static str,
    max_row: usize,
    mut f: impl FnMut(&Row, &Row) -> Result<()>,
) -> Result<Option<Row>> {
    let mut header: Option<(String, Row)> = None;
    let mut row = Row::default();
    for input in inputs {
        let input_name = input.name.clone();
        let mut reader = CsvReader::new(input.buffered(), &input_name);
        reader.refuse_logs(hint);
        reader.set_max_row(max_row);
        if reader.read_row(&mut row)?.is_none() {
            continue;
        }
        match &header {
            None => header = Some((input_name.clone(), row.clone())),
            Some((name, h)) if *h != row => {
                return Err(Error::input(&input_name, 1, format!("header differs from the one in {name}")));
            }
            Some(_) => {}
        }
        let width = row.len();
        while let Some(line) = reader.read_row(&mut row)? {
            check_width(&row, width, &input_name, line)?;
            let (_, h) = header.as_ref().expect("read before any row");
            f(h, &row)?;
        }
    }
    Ok(header.map(|(_, h)| h))
}

/// Refuses a row whose number of fields is not the header's `width`, at `file`'s `line`.
pub fn check_width(row: &Row, width: usize, file: &str, line: u64) -> Result<()> {
    if row.len() == width {
        return Ok(());
    }
    Err(Error::input(file, line, format!("row has {} fields but the header has {width}", row.len())))
}

/// Appends one CSV row to `out`, quoting the fields that need it.
pub fn write_row<'a>(out: &mut Vec<u8>, fields: impl IntoIterator<Item = &'a [u8]>) {
    let row_start = out.len();
    let mut first = true;
    let mut count = 0;
    for field in fields {
        if !first {
            out.push(b',');
        }
        first = false;
        count += 1;
        if field.iter().any(|&c| matches!(c, b',' | b'"' | b'\n' | b'\r')) {
            out.push(b'"');
            for &c in field {
                if c == b'"' {
                    out.push(b'"');
                }
                out.push(c);
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(field);
        }
    }
    // A row of one empty field would be a blank line, which readers skip.
    if count == 1 && out.len() == row_start {
        out.extend_from_slice(b"\"\"");
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syslog_line_is_told_from_a_header() {
        for line in [
            "Jan 31 00:09:39 h ticky: INFO x (u)",
            "<34>Oct 11 22:14:15 mymachine su: x",
            "<165>1 2003-10-11T22:14:15.003Z h app - - - x",
            "2025-01-31T00:09:39.123456+00:00 h tag: x",
            "<38> Mar  7 00:00:00 h x",
        ] {
            assert!(looks_like_syslog(line.as_bytes()), "{line}");
        }
        for header in ["Error,Count", "Username,INFO,ERROR", "time,host", "Jan,Feb", "<b>,x", "2025-01-31,3"] {
            assert!(!looks_like_syslog(header.as_bytes()), "{header}");
        }
    }

    fn rows(input: &str) -> Result<Vec<(u64, Vec<String>)>> {
        let mut r = CsvReader::new(input.as_bytes(), "t.csv");
        let mut row = Row::default();
        let mut out = Vec::new();
        while let Some(line) = r.read_row(&mut row)? {
            out.push((line, row.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect()));
        }
        Ok(out)
    }

    fn fields(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn quoted_fields_crlf_blank_lines_and_no_final_newline() {
        let got = rows("a,b\r\n\"x, \"\"y\"\"\",\"multi\r\nline\"\n\n,\nlast,row").unwrap();
        assert_eq!(
            got,
            vec![
                (1, fields(&["a", "b"])),
                (2, fields(&["x, \"y\"", "multi\r\nline"])),
                (5, fields(&["", ""])),
                (6, fields(&["last", "row"])),
            ]
        );
    }

    #[test]
    fn unterminated_quote_names_its_line() {
        let e = rows("a,b\n1,2\n\"open,3\n4,5\n").unwrap_err().to_string();
        assert!(e.starts_with("t.csv:3: unterminated quoted field"), "{e}");
    }

    #[test]
    fn write_then_read_round_trips() {
        let original = ["plain", "", "a,b", "say \"hi\"", "two\nlines", "cr\r\nlf"];
        let mut out = Vec::new();
        write_row(&mut out, original.iter().map(|s| s.as_bytes()));
        write_row(&mut out, [&b""[..]]);
        let got = rows(std::str::from_utf8(&out).unwrap()).unwrap();
        assert_eq!(got[0].1, fields(&original));
        assert_eq!(got[1].1, fields(&[""]));
    }
}
