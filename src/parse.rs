//! `ticky-parse`: every input line becomes one JSON record, and the lines that were not fully
//! understood are tallied for a summary.

use std::fmt;
use std::io::{Read, Write};

use crate::access::DurationUnit;
use crate::error::{Error, Result};
use crate::input::{self, LineReader};
use crate::output;
use crate::record::{self, LineFormat, Understanding, Year};

#[derive(Clone, Debug)]
pub struct ParseOptions {
    /// The year of RFC 3164 timestamps; inferred from each input's modification time when `None`.
    pub year: Option<i64>,
    /// Lines longer than this are cut (`--max-line`).
    pub max_line: usize,
    /// The format of the lines; `None` tells it from each input's first non-blank line.
    pub format: Option<LineFormat>,
    /// The unit of access logs' request times, when the format is told.
    pub unit: DurationUnit,
}

impl Default for ParseOptions {
    fn default() -> ParseOptions {
        ParseOptions { year: None, max_line: input::MAX_LINE, format: None, unit: DurationUnit::Seconds }
    }
}

/// How many lines of one kind were not fully understood, and where the first was.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub first: Option<(String, u64)>,
}

impl Tally {
    fn add(&mut self, file: &str, line: u64) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some((file.to_string(), line));
        }
    }
}

/// What a run saw: the lines read and those not fully understood, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub lines: u64,
    pub no_header: Tally,
    pub no_level: Tally,
    pub no_user: Tally,
    /// The ticky events among the lines (a level, its text and a user): what the daily tables count.
    pub ticky_events: u64,
    /// Lines longer than the maximum, cut (`truncated` in their records).
    pub cut: Tally,
    /// The maximum line length, for the message.
    pub max_line: usize,
    /// Whether more than one input was read: locations then name the file.
    pub several_files: bool,
    /// The inputs whose format their first line told (no `--format`), and what it is, to say so.
    pub told: Vec<(String, &'static str)>,
    /// Whether any input was read as syslog, and any as an access log: what a line that was not
    /// understood lacked.
    pub syslog: bool,
    pub access: bool,
    pub pattern: bool,
    pub python: bool,
    pub json: bool,
}

impl Summary {
    /// Adds what `other` saw, in a part of the input that came after this one: `line_offset` lines
    /// of `file` came before that part, so its line numbers in `file` move by that much.
    pub fn absorb(&mut self, other: &Summary, file: &str, line_offset: u64) {
        self.lines += other.lines;
        self.ticky_events += other.ticky_events;
        self.told.extend(other.told.iter().cloned());
        self.syslog |= other.syslog;
        self.access |= other.access;
        self.pattern |= other.pattern;
        self.python |= other.python;
        self.json |= other.json;
        for (mine, theirs) in [
            (&mut self.no_header, &other.no_header),
            (&mut self.no_level, &other.no_level),
            (&mut self.no_user, &other.no_user),
            (&mut self.cut, &other.cut),
        ] {
            mine.count += theirs.count;
            if mine.first.is_none() {
                mine.first =
                    theirs.first.as_ref().map(|(f, l)| (f.clone(), if f == file { l + line_offset } else { *l }));
            }
        }
    }

    pub fn not_understood(&self) -> u64 {
        self.no_header.count + self.no_level.count + self.no_user.count
    }

    /// Whether the summary has news: a line not fully understood, or cut.
    pub fn worth_saying(&self) -> bool {
        self.not_understood() > 0 || self.cut.count > 0
    }

    /// Counts a line of `file` that was longer than `max_line` bytes and cut.
    pub fn add_cut(&mut self, file: &str, line: u64, max_line: usize) {
        self.cut.add(file, line);
        self.max_line = max_line;
    }

    /// Counts one line of `file` and how it was understood.
    pub fn add_line(&mut self, file: &str, line: u64, understood: Understanding, format: LineFormat) {
        self.lines += 1;
        match format {
            LineFormat::Syslog => self.syslog = true,
            LineFormat::Access(_) => self.access = true,
            LineFormat::Pattern(_) => self.pattern = true,
            LineFormat::Python => self.python = true,
            LineFormat::Json => self.json = true,
        }
        match understood {
            Understanding::Full => {}
            Understanding::TickyEvent => self.ticky_events += 1,
            Understanding::NoHeader => self.no_header.add(file, line),
            Understanding::TickyNoLevel => self.no_level.add(file, line),
            Understanding::TickyNoUser => self.no_user.add(file, line),
        }
    }
}

/// The header of [`Summary::write_csv`].
pub const SUMMARY_CSV_HEADER: &str =
    "lines,not_understood,without_header,ticky_without_level,ticky_without_user,ticky_events,truncated";

impl Summary {
    /// The summary as a one-row CSV table, for scripts (`ticky-parse --summary-csv`): numbers only,
    /// so a shell reads them without parsing the sentence on standard error.
    pub fn write_csv(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "{SUMMARY_CSV_HEADER}")?;
        writeln!(
            out,
            "{},{},{},{},{},{},{}",
            self.lines,
            self.not_understood(),
            self.no_header.count,
            self.no_level.count,
            self.no_user.count,
            self.ticky_events,
            self.cut.count
        )
    }
}

impl Summary {
    /// What a line kept as `raw` lacked, for the inputs read.
    fn no_header_words(&self) -> String {
        let mut lacks: Vec<&str> = Vec::new();
        if self.syslog || !(self.access || self.pattern || self.python || self.json) {
            lacks.push("without a syslog header");
        }
        if self.access {
            lacks.push("not in an access log format");
        }
        if self.pattern {
            lacks.push("not matching --pattern");
        }
        if self.python {
            lacks.push("not in a layout of Python's logging");
        }
        if self.json {
            lacks.push("not a JSON object");
        }
        format!("{} (kept as \"raw\")", lacks.join(" or "))
    }

    /// A line per input whose format its first line told, for standard error.
    pub fn told(&self) -> impl Iterator<Item = String> + '_ {
        self.told.iter().map(|(name, what)| {
            format!(
                "{}: read as {what}, as its first line is; --format names the format",
                crate::error::shown(name.as_bytes(), crate::error::SHOWN)
            )
        })
    }
}

impl fmt::Display for Summary {
    /// `3 of 1000 lines not fully understood: 1 without a syslog header (first: line 5), …`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.not_understood();
        let lines = |n: u64| if n == 1 { "line" } else { "lines" };
        write!(f, "{n} of {} {} not fully understood", self.lines, lines(self.lines))?;
        let kinds = [
            (&self.no_header, "", &self.no_header_words()[..]),
            (&self.no_level, "ticky ", "without INFO or ERROR"),
            (&self.no_user, "ticky ", "without a final (user)"),
        ];
        let mut sep = ": ";
        for (tally, prefix, what) in kinds {
            if let Some((file, line)) = &tally.first {
                let at = if self.several_files { format!("{file}:{line}") } else { format!("line {line}") };
                write!(f, "{sep}{} {prefix}{} {what}, first at {at}", tally.count, lines(tally.count))?;
                sep = "; ";
            }
        }
        if let Some((file, line)) = &self.cut.first {
            let at = if self.several_files { format!("{file}:{line}") } else { format!("line {line}") };
            let n = self.cut.count;
            write!(
                f,
                "; {n} {} longer than {} bytes cut there (marked \"truncated\"; --max-line sets the length), first at {at}",
                lines(n),
                self.max_line
            )?;
        }
        Ok(())
    }
}

/// Parses every input in turn into `out`. Records carry a `file` key when there are several inputs.
pub fn run(opts: &ParseOptions, paths: &[String], out: &mut impl Write) -> Result<Summary> {
    let mut summary = Summary { several_files: paths.len() > 1, ..Summary::default() };
    let mut buf = Vec::with_capacity(2 * output::OUTPUT_BUFFER);
    for path in paths {
        let input = input::open(path)?;
        let mut year = Year::for_input(opts.year, input.modified);
        let file = summary.several_files.then_some(input.name.as_str());
        let mut lines = LineReader::new(input.reader, &input.name);
        lines.set_max_line(opts.max_line);
        let told = Told { format: opts.format, unit: opts.unit };
        parse_stream(&mut lines, &input.name, file, told, &mut year, &mut buf, out, &mut summary)?;
    }
    out.flush().map_err(Error::output)?;
    Ok(summary)
}

/// The format of an input's lines: as given, or told from its first non-blank line.
#[derive(Clone, Copy)]
struct Told {
    format: Option<LineFormat>,
    unit: DurationUnit,
}

#[allow(clippy::too_many_arguments)]
fn parse_stream(
    lines: &mut LineReader<impl Read>,
    name: &str,
    file: Option<&str>,
    mut told: Told,
    year: &mut Year,
    buf: &mut Vec<u8>,
    out: &mut impl Write,
    summary: &mut Summary,
) -> Result<()> {
    // Before each read of the input (every 256 KiB of a file, or whenever a pipe runs dry) the
    // records so far go out, so `tail -F log | ticky-parse` shows each line as it comes.
    let max_line = lines.max_line();
    let mut scratch = record::Scratch::default();
    while let Some(line) = lines.next_line_info_or_wait(|| {
        output::write_and_flush(buf, out)?;
        buf.clear();
        Ok(())
    })? {
        // A blank line is a raw record in every format.
        let format = match told.format {
            Some(format) => format,
            None if line.text.iter().all(u8::is_ascii_whitespace) => LineFormat::Syslog,
            None => {
                let format = match crate::format::tell_line(line.text, told.unit) {
                    Some(format) => {
                        let what = crate::format::Kind::Raw(format).told().unwrap_or("another format");
                        summary.told.push((name.to_string(), what));
                        format
                    }
                    None => LineFormat::Syslog,
                };
                *told.format.insert(format)
            }
        };
        let understood = record::write_record(buf, file, line.number, line.text, format, year, line.cut, &mut scratch);
        buf.push(b'\n');
        summary.add_line(name, line.number, understood, format);
        if line.cut.is_some() {
            summary.add_cut(name, line.number, max_line);
        }
        output::write_when_full(buf, out)?;
    }
    out.write_all(buf).map_err(Error::output)?;
    buf.clear();
    Ok(())
}
