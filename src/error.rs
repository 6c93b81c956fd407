//! One error type for the library: what went wrong and where (file and line), so that every tool
//! prints the same kind of message and maps it to the same exit status.

use std::fmt;
use std::io;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug)]
pub enum Error {
    /// The command line is wrong: exit status 2.
    Usage(String),
    /// An I/O error, with what was being done (`reading big.log`, `writing output`).
    Io { context: String, source: io::Error },
    /// Input that cannot be used, at a file and line.
    Input { file: String, line: u64, msg: String },
    /// Anything else that makes the run fail (a `--strict` violation, say): exit status 1.
    Failed(String),
}

impl Error {
    pub fn usage(msg: impl Into<String>) -> Error {
        Error::Usage(msg.into())
    }

    pub fn io(context: impl Into<String>, source: io::Error) -> Error {
        Error::Io { context: context.into(), source }
    }

    pub fn input(file: &str, line: u64, msg: impl Into<String>) -> Error {
        Error::Input { file: file.to_string(), line, msg: msg.into() }
    }

    /// An error while writing the tool's output: a closed pipe is recognised later by
    /// [`Error::is_broken_pipe`].
    pub fn output(source: io::Error) -> Error {
        Error::io("writing output", source)
    }

    /// True when the output pipe was closed by the reader (`| head`): the tool then stops quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) | Error::Failed(msg) => f.write_str(msg),
            Error::Io { context, source } => write!(f, "{context}: {}", io_message(source)),
            Error::Input { file, line, msg } => write!(f, "{file}:{line}: {msg}"),
        }
    }
}

impl std::error::Error for Error {}

/// Input quoted in a message: at most `max` characters (then `…` and how long it was), with
/// control characters written as escapes (`\u{1b}`), so that a header or a line cannot move a
/// terminal's cursor, change its colours or fill the screen. Invalid UTF-8 is shown as U+FFFD.
pub fn shown(input: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(input);
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push_str(&format!("… ({} bytes in all)", input.len()));
            break;
        }
        if c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// The longest piece of input a message quotes.
pub const SHOWN: usize = 200;

/// The operating system's message without Rust's `(os error N)` suffix, which means nothing to a
/// user.
fn io_message(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

impl From<lexopt::Error> for Error {
    fn from(e: lexopt::Error) -> Error {
        Error::Usage(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_escapes_controls_and_cuts() {
        assert_eq!(shown(b"a\x1b[31mb\tc", 100), "a\\u{1b}[31mb\\u{9}c");
        assert_eq!(shown("x\u{202e}y".as_bytes(), 100), "x\\u{202e}y");
        assert_eq!(shown(b"abcdef", 3), "abc\u{2026} (6 bytes in all)");
        assert_eq!(shown(b"\xff", 3), "\u{fffd}");
    }
}
