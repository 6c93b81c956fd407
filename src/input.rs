//! Opening the inputs a tool is given and reading them line by line as bytes.
//!
//! Each tool reads the files named on its command line, or standard input when none (or `-`) is
//! named. Lines are returned without their `\n` or `\r\n`; a missing final newline is normal.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::time::SystemTime;

use crate::error::{Error, Result};

/// Input buffer size: big reads keep system calls rare.
const INPUT_BUFFER: usize = 256 * 1024;

/// One opened input: its name for messages (`big.log`, `<stdin>`), its reader, and its modification
/// time (standard input has none).
pub struct Input {
    pub name: String,
    pub reader: Box<dyn BufRead>,
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

/// Opens one input. A missing file, a directory or an unreadable file is an error that names it.
pub fn open(path: &str) -> Result<Input> {
    if path == "-" {
        return Ok(Input {
            name: "<stdin>".to_string(),
            reader: Box::new(BufReader::with_capacity(INPUT_BUFFER, io::stdin())),
            modified: None,
        });
    }
    let cannot = |e| Error::io(format!("cannot open {path}"), e);
    let file = File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if meta.is_dir() {
        return Err(Error::Failed(format!("{path}: is a directory, not a file")));
    }
    Ok(Input {
        name: path.to_string(),
        reader: Box::new(BufReader::with_capacity(INPUT_BUFFER, file)),
        modified: meta.modified().ok(),
    })
}

/// Opens every input before any is read, so that a missing file fails the run before any work.
pub fn open_all(paths: &[String]) -> Result<Vec<Input>> {
    paths.iter().map(|p| open(p)).collect()
}

/// Reads lines into one reused buffer, counting them.
pub struct LineReader<R> {
    reader: R,
    name: String,
    buf: Vec<u8>,
    line: u64,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(reader: R, name: &str) -> LineReader<R> {
        LineReader { reader, name: name.to_string(), buf: Vec::with_capacity(1024), line: 0 }
    }

    /// The next line's 1-based number and its bytes without the terminator, or `None` at the end
    /// of the input.
    pub fn next_line(&mut self) -> Result<Option<(u64, &[u8])>> {
        self.buf.clear();
        let n =
            self.reader.read_until(b'\n', &mut self.buf).map_err(|e| Error::io(format!("reading {}", self.name), e))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        let mut line = &self.buf[..];
        if let Some(rest) = line.strip_suffix(b"\n") {
            line = rest.strip_suffix(b"\r").unwrap_or(rest);
        } else if let Some(rest) = line.strip_suffix(b"\r") {
            line = rest;
        }
        Ok(Some((self.line, line)))
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Reads the whole of a reader, with the input's name in any error.
pub fn read_all(mut reader: impl Read, name: &str) -> Result<Vec<u8>> {
    let mut data = Vec::new();
    reader.read_to_end(&mut data).map_err(|e| Error::io(format!("reading {name}"), e))?;
    Ok(data)
}
