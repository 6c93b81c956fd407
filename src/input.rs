//! Opening the inputs a tool is given and reading them line by line as bytes.
//!
//! Each tool reads the files named on its command line, or standard input when none (or `-`) is
//! named. Lines are returned without their `\n` or `\r\n`; a missing final newline is normal.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::time::SystemTime;

use bstr::ByteSlice;
use flate2::bufread::MultiGzDecoder;

use crate::error::{Error, Result};

/// The UTF-8 byte order mark that Windows tools and spreadsheets put at the start of a file. It
/// marks the encoding and is not text: every reader skips it at the start of an input.
pub const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// Input buffer size: big reads keep system calls rare.
const INPUT_BUFFER: usize = 256 * 1024;

/// One opened input: its name for messages (`big.log`, `<stdin>`), its reader, and its modification
/// time (standard input has none).
pub struct Input {
    pub name: String,
    /// Unbuffered: [`LineReader`] reads large blocks itself; CSV readers wrap it in a `BufReader`.
    pub reader: Box<dyn Read>,
    pub modified: Option<SystemTime>,
}

/// The inputs named on the command line, or `-` (standard input) when there are none.
pub fn names_or_stdin(paths: Vec<String>) -> Vec<String> {
    if paths.is_empty() {
        vec!["-".to_string()]
    } else {
        paths
    }
}

/// The first two bytes of a gzip stream.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Opens one input. A missing file, a directory or an unreadable file is an error that names it.
/// A gzip-compressed input (a rotated `syslog.2.gz`, whatever its name: the magic bytes tell) is
/// read decompressed, every member of it, as logrotate and `gzip -c >>` make them; its
/// modification time is the compressed file's.
pub fn open(path: &str) -> Result<Input> {
    if path == "-" {
        let stdin = BufReader::with_capacity(INPUT_BUFFER, io::stdin());
        return Ok(Input { name: "<stdin>".to_string(), reader: maybe_gzip(stdin, "<stdin>")?, modified: None });
    }
    let cannot = |e| Error::io(format!("cannot open {path}"), e);
    let file = File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if meta.is_dir() {
        return Err(Error::Failed(format!("{path}: is a directory, not a file")));
    }
    // A file is peeked at without reading it, so that a plain one is read with no buffer between.
    let mut head = [0u8; 2];
    let n = file.read_at(&mut head, 0).map_err(cannot)?;
    let reader: Box<dyn Read> = if head[..n] == GZIP_MAGIC {
        maybe_gzip(BufReader::with_capacity(INPUT_BUFFER, file), path)?
    } else {
        Box::new(file)
    };
    Ok(Input { name: path.to_string(), reader, modified: meta.modified().ok() })
}

/// `reader` itself, or its gzip decompression when it starts with the gzip magic bytes.
fn maybe_gzip<R: BufRead + 'static>(mut reader: R, name: &str) -> Result<Box<dyn Read>> {
    let head = loop {
        match reader.fill_buf() {
            Ok(head) => break head,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(format!("reading {name}"), e)),
        }
    };
    // A pipe may hand over one byte first; a log never starts with 0x1f.
    let gzip = head.starts_with(&GZIP_MAGIC) || (head.len() == 1 && head[0] == GZIP_MAGIC[0]);
    Ok(if gzip { Box::new(GzipReader { inner: MultiGzDecoder::new(reader) }) } else { Box::new(reader) })
}

/// A gzip stream's decompression, whose errors say that the input is damaged gzip.
struct GzipReader<R: BufRead> {
    inner: MultiGzDecoder<R>,
}

impl<R: BufRead> Read for GzipReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| match e.kind() {
            io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => {
                io::Error::new(e.kind(), format!("damaged or truncated gzip data ({e})"))
            }
            _ => e,
        })
    }
}

/// Opens every input before any is read, so that a missing file fails the run before any work.
pub fn open_all(paths: &[String]) -> Result<Vec<Input>> {
    paths.iter().map(|p| open(p)).collect()
}

/// A line as [`LineReader::next_line_info`] gives it.
pub struct Line<'a> {
    /// 1-based.
    pub number: u64,
    /// Without its end of line (and a byte order mark at the start of an input); cut to the
    /// maximum line length.
    pub text: &'a [u8],
    /// It ended with a newline (the last line of an input may not).
    pub terminated: bool,
    /// It was longer than the maximum and cut: its whole length, end of line not included.
    pub cut: Option<u64>,
}

/// The longest line the tools keep whole by default (`--max-line`): a longer one is cut, so that
/// memory stays bounded whatever the input (`/dev/zero` has no newline at all).
pub const MAX_LINE: usize = 1 << 20;

/// The longest JSON record read when raw lines are cut at `max_line`: the record of a cut line is
/// longer than the line (its keys, and escapes of up to six bytes for one), and must still be
/// read whole.
pub fn record_limit(max_line: usize) -> usize {
    max_line.saturating_mul(6).saturating_add(64 << 10)
}

/// The end of line of an input, told by its start (`eof`: the whole input): `\r` when its first
/// 64 KiB (or all of it) hold a `\r` and no `\n`, else `\n`; `None` while too little is known.
pub fn separator_of(start: &[u8], eof: bool) -> Option<u8> {
    let start = &start[..start.len().min(64 << 10)];
    if start.find_byte(b'\n').is_some() {
        Some(b'\n')
    } else if start.find_byte(b'\r').is_some() && (eof || start.len() >= 64 << 10) {
        Some(b'\r')
    } else if eof {
        Some(b'\n')
    } else {
        None
    }
}

/// A raw line cut to `max_line` bytes, with its whole length when it was longer: `cut` is what
/// the [`LineReader`] (whose own maximum may be larger) said.
pub fn cut_line(text: &[u8], cut: Option<u64>, max_line: usize) -> (&[u8], Option<u64>) {
    match cut {
        Some(length) => (&text[..text.len().min(max_line)], Some(length)),
        None if text.len() > max_line => (&text[..max_line], Some(text.len() as u64)),
        None => (text, None),
    }
}

/// Reads lines straight out of large reads into one buffer of its own: a line is copied only when
/// it straddles two reads, so the hot path neither copies nor allocates. The buffer grows to hold
/// the longest line, up to the maximum line length: the rest of a longer line is read and dropped,
/// and [`Line::cut`] says how long the line was.
pub struct LineReader<R> {
    reader: R,
    name: String,
    buf: Vec<u8>,
    /// The unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
    line: u64,
    /// Whether a byte order mark at the start is skipped: only at the start of an input, not of a
    /// part of a file read on another thread.
    skip_bom: bool,
    max_line: usize,
    /// The length of the last line returned, when it was cut.
    cut: Option<u64>,
    /// Whether the last line returned ended with a newline.
    terminated: bool,
    /// Bytes of the input consumed by the lines returned, and their CRC-32 when asked for.
    consumed: u64,
    crc: Option<crc32fast::Hasher>,
    /// The end of line: `\n`, or `\r` in an input that has no `\n` but `\r`s (old Mac
    /// exports), told from its start.
    sep: u8,
    sep_known: bool,
}

impl<R: Read> LineReader<R> {
    pub fn new(reader: R, name: &str) -> LineReader<R> {
        LineReader {
            reader,
            name: name.to_string(),
            buf: vec![0; INPUT_BUFFER],
            start: 0,
            end: 0,
            eof: false,
            line: 0,
            skip_bom: true,
            max_line: MAX_LINE,
            cut: None,
            terminated: false,
            consumed: 0,
            crc: None,
            sep: b'\n',
            sep_known: false,
        }
    }

    /// Reads a part of an input that does not start it: a byte order mark there is text.
    pub fn keep_byte_order_mark(&mut self) {
        self.skip_bom = false;
    }

    /// Lines longer than `max` bytes are cut to `max` (at least 1).
    pub fn set_max_line(&mut self, max: usize) {
        self.max_line = max.max(1);
    }

    /// The maximum line length.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// Keeps the CRC-32 of the bytes consumed, for [`LineReader::position`].
    pub fn track_checksum(&mut self) {
        self.crc = Some(crc32fast::Hasher::new());
    }

    /// How many lines were returned so far.
    pub fn lines_read(&self) -> u64 {
        self.line
    }

    /// The bytes of input consumed by the lines returned so far (ends of line included) and, with
    /// [`LineReader::track_checksum`], their CRC-32.
    pub fn position(&self) -> (u64, u32) {
        (self.consumed, self.crc.as_ref().map_or(0, |c| c.clone().finalize()))
    }

    /// The next line, or `None` at the end of the input.
    pub fn next_line_info(&mut self) -> Result<Option<Line<'_>>> {
        self.next_line_info_or_wait(|| Ok(()))
    }

    /// [`LineReader::next_line_info`], calling `before_read` whenever no whole line is left in
    /// the buffer and the next step is a read, which may wait for input: a pipe or a terminal that
    /// has nothing more to give for now. A filter passes its output on there, so that records of a
    /// slowly growing log (`tail -F`) are not held back waiting for a buffer to fill.
    pub fn next_line_info_or_wait(&mut self, before_read: impl FnMut() -> Result<()>) -> Result<Option<Line<'_>>> {
        let found = self.advance(before_read)?;
        Ok(found.map(|(start, end)| Line {
            number: self.line,
            text: &self.buf[start..end],
            terminated: self.terminated,
            cut: self.cut,
        }))
    }

    /// Finds the next line and returns where it is in the buffer, without its end of line (and
    /// byte order mark).
    fn advance(&mut self, mut before_read: impl FnMut() -> Result<()>) -> Result<Option<(usize, usize)>> {
        let mut searched = self.start;
        self.cut = None;
        let (raw, mut line_start, mut line_end) = loop {
            if !self.sep_known && self.tell_separator() {
                // Search again for the end of line now known.
                searched = self.start;
            }
            let limit = self.end.min(self.start.saturating_add(self.max_line).saturating_add(1));
            if let Some(i) = crate::scan::find_near(&self.buf[searched..limit], self.sep) {
                let (start, end) = (self.start, searched + i);
                self.start = end + 1;
                self.terminated = true;
                break (start, start, end);
            }
            if self.end - self.start > self.max_line {
                let start = self.start;
                self.drop_rest_of_line(before_read)?;
                break (start, start, start + self.max_line);
            }
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                let (start, end) = (self.start, self.end);
                self.start = self.end;
                self.terminated = false;
                break (start, start, end);
            }
            before_read()?;
            searched = self.fill()?;
        };
        self.line += 1;
        if self.cut.is_none() {
            self.count_consumed(raw, self.start);
        }
        if self.line == 1 && self.skip_bom && self.buf[line_start..line_end].starts_with(UTF8_BOM) {
            line_start += UTF8_BOM.len();
        }
        if line_end > line_start && self.buf[line_end - 1] == b'\r' && self.cut.is_none() {
            line_end -= 1;
        }
        Ok(Some((line_start, line_end)))
    }

    /// Tells the end of line from the start of the input: `\r` when its first 64 KiB (or all of
    /// it) have a `\r` and no `\n`. Until the start tells, lines end at `\n`.
    /// Says whether the separator changed.
    fn tell_separator(&mut self) -> bool {
        match separator_of(&self.buf[self.start..self.end], self.eof) {
            Some(sep) => {
                self.set_separator(sep);
                sep != b'\n'
            }
            None => false,
        }
    }

    /// Sets the end of line, as told from the start of the whole input, for a reader of a part
    /// of it.
    pub fn set_separator(&mut self, sep: u8) {
        self.sep = sep;
        self.sep_known = true;
    }

    /// Adds `buf[from..to]` to the bytes consumed.
    fn count_consumed(&mut self, from: usize, to: usize) {
        self.consumed += (to - from) as u64;
        if let Some(crc) = &mut self.crc {
            crc.update(&self.buf[from..to]);
        }
    }

    /// For a line longer than the maximum, which starts at `start`: keeps its first `max_line`
    /// bytes there and reads the rest of it into the space after them, dropping it, up to its
    /// newline (or the end of the input). The bytes after the newline stay unread.
    fn drop_rest_of_line(&mut self, mut before_read: impl FnMut() -> Result<()>) -> Result<()> {
        // The kept part at the front of the buffer, so that the space after it is free.
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let keep = self.max_line;
        self.count_consumed(0, keep);
        let mut length = keep as u64;
        loop {
            if let Some(i) = self.buf[keep..self.end].find_byte(self.sep) {
                let newline = keep + i;
                self.count_consumed(keep, newline + 1);
                length += i as u64;
                // The line's end of line is not part of its length, nor a CR before it.
                if i > 0 && self.buf[newline - 1] == b'\r' {
                    length -= 1;
                }
                self.buf.copy_within(newline + 1..self.end, keep);
                self.end = keep + (self.end - newline - 1);
                self.start = keep;
                self.terminated = true;
                break;
            }
            self.count_consumed(keep, self.end);
            length += (self.end - keep) as u64;
            self.end = keep;
            if self.eof {
                self.start = keep;
                self.terminated = false;
                break;
            }
            if self.buf.len() - keep < INPUT_BUFFER {
                self.buf.resize(keep + INPUT_BUFFER, 0);
            }
            before_read()?;
            loop {
                match self.reader.read(&mut self.buf[keep..]) {
                    Ok(0) => self.eof = true,
                    Ok(n) => {
                        self.end = keep + n;
                        crate::progress::add(n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Error::io(format!("reading {}", self.name), e)),
                }
                break;
            }
        }
        self.cut = Some(length);
        Ok(())
    }

    /// Moves the unread bytes to the front (growing the buffer when they fill it) and reads more.
    /// Returns where the new bytes start, so the search for a newline need not start over.
    fn fill(&mut self) -> Result<usize> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let searched = self.end;
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.end += n;
                    crate::progress::add(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(format!("reading {}", self.name), e)),
            }
            return Ok(searched);
        }
    }
}

impl Input {
    /// The reader with a buffer in front, for readers that take a byte or a line at a time.
    pub fn buffered(self) -> BufReader<Box<dyn Read>> {
        BufReader::with_capacity(INPUT_BUFFER, self.reader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out its data a few bytes at a time, as a pipe may.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.step = self.step % 7 + 1;
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn lines_of(data: &[u8]) -> Vec<(u64, Vec<u8>)> {
        let mut reader = LineReader::new(Trickle { data, step: 0 }, "t");
        reader.buf = vec![0; 4]; // small, so that lines straddle reads and the buffer grows
        let mut out = Vec::new();
        while let Some(Line { number: n, text: line, .. }) = reader.next_line_info().unwrap() {
            out.push((n, line.to_vec()));
        }
        out
    }

    #[test]
    fn lines_across_reads_crlf_and_no_final_newline() {
        let long = "y".repeat(1000);
        let data = format!("a\r\n\nbc\n{long}\r\nlast\r");
        let want: Vec<(u64, Vec<u8>)> = ["a", "", "bc", &long, "last"]
            .iter()
            .enumerate()
            .map(|(i, l)| (i as u64 + 1, l.as_bytes().to_vec()))
            .collect();
        assert_eq!(lines_of(data.as_bytes()), want);
        assert_eq!(lines_of(b""), vec![]);
        assert_eq!(lines_of(b"\n"), vec![(1, vec![])]);
    }
}
