//! What an input is: ticky-parse's records, or a raw log in one of the formats ticky reads, named by
//! `--format` or told from the input's first line.

use crate::access::{self, DurationUnit};
use crate::error::{Error, Result};
use crate::journal;
use crate::pattern::Pattern;
use crate::record::LineFormat;

/// What the inputs are (`--format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Told from each input's first non-blank line: records when it is a JSON object (and not a
    /// journal entry), an access log when it is an access log line, else syslog.
    #[default]
    Auto,
    Syslog,
    Access,
    JsonLines,
    /// `--pattern`: every input is read with it.
    Pattern(&'static Pattern),
    /// Python's logging, in the layouts it writes most.
    Python,
    /// Applications' own JSON logs, keys mapped to the record's names.
    Json,
}

impl Format {
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "auto" => Some(Format::Auto),
            // Journal entries are told from syslog lines line by line.
            "syslog" | "journal" => Some(Format::Syslog),
            // One parser reads them all: a common line is a combined one without its last fields.
            "combined" | "common" | "vhost_combined" | "access" => Some(Format::Access),
            "jsonl" | "json-lines" => Some(Format::JsonLines),
            "python" => Some(Format::Python),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// How an input in this format is read, when the format says it; `None` for [`Format::Auto`].
    pub(crate) fn kind(self, unit: DurationUnit) -> Option<Kind> {
        match self {
            Format::JsonLines => Some(Kind::JsonLines),
            format => format.line_format(unit).map(Kind::Raw),
        }
    }

    /// How the lines of a raw log in this format are read; `None` for [`Format::Auto`] and for
    /// records ([`Format::JsonLines`]).
    pub fn line_format(self, unit: DurationUnit) -> Option<LineFormat> {
        match self {
            Format::Auto | Format::JsonLines => None,
            Format::Syslog => Some(LineFormat::Syslog),
            Format::Access => Some(LineFormat::Access(unit)),
            Format::Pattern(p) => Some(LineFormat::Pattern(p)),
            Format::Python => Some(LineFormat::Python),
            Format::Json => Some(LineFormat::Json),
        }
    }
}

/// How an input is read: ticky-parse's records, or a raw log parsed in process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    JsonLines,
    Raw(LineFormat),
}

impl Kind {
    /// What an input told to be of this kind is, to say so: `None` for what needs no word (syslog,
    /// records).
    pub(crate) fn told(self) -> Option<&'static str> {
        match self {
            Kind::Raw(LineFormat::Access(_)) => Some("an access log (common or combined)"),
            Kind::Raw(LineFormat::Python) => Some("Python logging"),
            Kind::Raw(LineFormat::Json) => Some("a JSON log"),
            _ => None,
        }
    }
}

/// The format a first line tells, other than syslog: a JSON log (an object that is no journal
/// entry), an access log, Python's logging.
pub(crate) fn tell_line(line: &[u8], unit: DurationUnit) -> Option<LineFormat> {
    let start = line.trim_ascii_start();
    if start.first() == Some(&b'{') {
        let json = !journal::looks_like_entry(start) && crate::jsonlog::JsonLog::default().parse(line);
        return json.then_some(LineFormat::Json);
    }
    if access::parse(line).is_some() {
        return Some(LineFormat::Access(unit));
    }
    let python = crate::pattern::python();
    python.iter().any(|p| p.matches(line, &mut p.locations())).then_some(LineFormat::Python)
}

/// The kind of an input, told by its first non-blank line (`number`): JSON Lines when it starts
/// with `{` (a journal entry is a raw log), an access log when it is an access log line, else
/// syslog. A table that ticky-count wrote is an error that says what reads it.
pub(crate) fn tell_kind(line: &[u8], name: &str, number: u64, unit: DurationUnit) -> Result<Kind> {
    let start = line.trim_ascii_start();
    if journal::looks_like_entry(start) {
        return Ok(Kind::Raw(LineFormat::Syslog));
    }
    if start.first() == Some(&b'{') {
        return Ok(Kind::JsonLines);
    }
    if let Some(format) = tell_line(line, unit) {
        return Ok(Kind::Raw(format));
    }
    let trimmed = line.trim_ascii_end();
    if trimmed.len() >= 6 && trimmed[trimmed.len() - 6..].eq_ignore_ascii_case(b",count") {
        return Err(Error::input(
            name,
            number,
            format!(
                "this is a table ticky-count wrote (header \"{}\"), not a log or records: \
                 to sum such tables, use ticky-count --merge",
                crate::error::shown(trimmed, crate::error::SHOWN)
            ),
        ));
    }
    Ok(Kind::Raw(LineFormat::Syslog))
}
