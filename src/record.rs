//! The JSON record of `ticky-parse`: one object per input line, keys in the order DESIGN.md lists
//! them, written straight into a reused byte buffer.

use std::time::SystemTime;

use crate::access::{self, Access, DurationUnit};
use crate::auth::{self, Login};
use crate::journal;
use crate::pattern::{self, Pattern};
use crate::scan::{self, special_bytes, word_at};
use crate::syslog::{self, Header, Payload, PayloadProblem, Timestamp};
use crate::time::{self, BsdTime, YearGuess};

/// Every key a record can have, in the order records have them (`file` only when several inputs
/// were parsed).
pub const KEYS: [&str; 32] = [
    "file",
    "line",
    "time",
    "host",
    "program",
    "pid",
    "facility",
    "severity",
    "message",
    "repeat",
    "level",
    "info",
    "error",
    "ticket",
    "user",
    "raw",
    "truncated",
    "length",
    // Access logs.
    "ip",
    "method",
    "path",
    "query",
    "protocol",
    "status",
    "bytes",
    "referer",
    "agent",
    "duration_ms",
    "vhost",
    // Login events (and ip, method).
    "auth",
    "login",
    "port",
];

/// How the lines of an input are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineFormat {
    /// syslog in its dialects, and journal entries (`journalctl -o json`), told line by line.
    Syslog,
    /// Web server access logs (common, combined, vhost_combined), request times in this unit.
    Access(DurationUnit),
    /// A regex with named groups (`--pattern`), compiled once for the whole run.
    Pattern(&'static Pattern),
    /// The layouts of Python's logging ([`pattern::python`]), the first that matches.
    Python,
    /// Applications' JSON logs ([`crate::jsonlog`]).
    Json,
}

/// What parsing a line may need besides the line, kept from line to line: a journal entry's
/// decoded fields, a pattern's match positions. A record borrows from it.
#[derive(Default)]
pub struct Scratch {
    pub entry: journal::Entry,
    /// The parts of a syslog record to find: all of them unless a reader says otherwise.
    pub wanted: Wanted,
    /// Match positions, one for each pattern of `patterns` (by address).
    locations: Vec<regex::bytes::CaptureLocations>,
    patterns: usize,
    /// The fields of a JSON log line.
    json: crate::jsonlog::JsonLog,
}

/// The parts of a syslog record that cost a search of the message and that only some keys show:
/// a tool that reads only some keys (ticky-count) leaves the others unsearched. What a record
/// is understood as never depends on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// The `[#N]` of a ticky message: `ticket`, and `info`, whose text is without it.
    pub ticket: bool,
    /// The login event of an sshd, sudo or su line: `auth`, `login`, `ip`, `port`, `method`.
    pub login: bool,
}

impl Default for Wanted {
    fn default() -> Wanted {
        Wanted { ticket: true, login: true }
    }
}

impl Wanted {
    /// What the values of `keys` need (a `None` is a pattern's group, which needs neither).
    pub fn for_keys(keys: &[Option<Key>]) -> Wanted {
        let any = |wanted: &[Key]| keys.iter().flatten().any(|k| wanted.contains(k));
        Wanted {
            ticket: any(&[Key::Ticket, Key::Info]),
            login: any(&[Key::Auth, Key::Login, Key::Ip, Key::Port, Key::Method]),
        }
    }
}

impl Scratch {
    /// A scratch for lines whose records need only `wanted`.
    pub fn wanting(wanted: Wanted) -> Scratch {
        Scratch { wanted, ..Scratch::default() }
    }

    /// Room for the matches of `patterns`.
    fn locations(&mut self, patterns: &[Pattern]) -> &mut [regex::bytes::CaptureLocations] {
        if self.patterns != patterns.as_ptr() as usize || self.locations.len() != patterns.len() {
            self.locations = patterns.iter().map(Pattern::locations).collect();
            self.patterns = patterns.as_ptr() as usize;
        }
        &mut self.locations
    }
}

/// Whether `name` is one of the [`KEYS`]: a field that may be absent from every record of a day (no
/// errors, no `error`) without being a typo.
pub fn is_key(name: &[u8]) -> bool {
    KEYS.iter().any(|k| k.as_bytes() == name)
}

/// How a line was understood, for the summary at the end of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Understanding {
    /// A syslog line of another program, understood as far as ticky reads it.
    Full,
    /// A ticky event: a level, its text and a user.
    TickyEvent,
    /// No recognisable syslog header: the record has `raw` only.
    NoHeader,
    /// A ticky message without a leading `INFO` or `ERROR`.
    TickyNoLevel,
    /// A ticky message without a final `(user)`.
    TickyNoUser,
}

/// Where a record's RFC 3164 year comes from.
#[derive(Clone, Copy, Debug)]
pub enum Year {
    Fixed(i64),
    Guess(YearGuess),
}

impl Year {
    /// The year of an input's RFC 3164 times: `--year` when given, else guessed from the input's
    /// modification time (now for standard input) on the local clock.
    pub fn for_input(fixed: Option<i64>, modified: Option<SystemTime>) -> Year {
        match fixed {
            Some(y) => Year::Fixed(y),
            None => Year::Guess(YearGuess::new(time::local_seconds(modified.unwrap_or_else(SystemTime::now)))),
        }
    }

    /// Whether a timestamp can be in this year: with `--year 2025`, `Feb 29` is no more a date than
    /// `Jan 32`. (A guessed year is always one that has the day.)
    fn allows(&self, time: &Timestamp<'_>) -> bool {
        match (self, time) {
            (Year::Fixed(year), Timestamp::Bsd(t)) => t.day <= time::days_in_month(*year, t.month),
            _ => true,
        }
    }
}

/// One line as ticky understands it, borrowed from the line: its syslog header when it has one, and
/// the ticky payload when the program is ticky. [`Record::write_json`] writes it as ticky-parse's
/// record; [`Record::value`] gives one field's value as a reader of that record would see it, so
/// that tools which count raw logs need no JSON in between.
pub struct Record<'a> {
    pub line: &'a [u8],
    pub header: Option<Header<'a>>,
    pub payload: Option<Payload<'a>>,
    /// rsyslog's `message repeated N times: [ …]`: N, the message's events; the payload is the
    /// repeated message's.
    pub repeat: Option<u64>,
    pub understood: Understanding,
    /// The line was longer than the maximum and cut: its whole length in bytes. The record then
    /// has `"truncated":true,"length":N`.
    pub cut: Option<u64>,
    /// An access log line's fields (then there is no header), and the unit of its request time.
    pub access: Option<(Access<'a>, DurationUnit)>,
    /// The login event of an sshd, sudo or su line.
    pub login: Option<Login<'a>>,
    /// The pattern a line matched, and where its groups are.
    pub pattern: Option<(&'a Pattern, &'a regex::bytes::CaptureLocations)>,
    /// The fields of a JSON log line.
    pub json: Option<&'a crate::jsonlog::JsonLog>,
}

/// A key of ticky-parse's records ([`KEYS`]), for looking values up without names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    File,
    Line,
    Time,
    Host,
    Program,
    Pid,
    Facility,
    Severity,
    Message,
    Repeat,
    Level,
    Info,
    Error,
    Ticket,
    User,
    Raw,
    Truncated,
    Length,
    Ip,
    Method,
    Path,
    Query,
    Protocol,
    Status,
    Bytes,
    Referer,
    Agent,
    DurationMs,
    Vhost,
    Auth,
    Login,
    Port,
}

impl Key {
    /// The key's name, as [`KEYS`] lists it.
    pub fn name(self) -> &'static str {
        KEYS[self as usize]
    }

    pub fn from_name(name: &[u8]) -> Option<Key> {
        Some(match name {
            b"file" => Key::File,
            b"line" => Key::Line,
            b"time" => Key::Time,
            b"host" => Key::Host,
            b"program" => Key::Program,
            b"pid" => Key::Pid,
            b"facility" => Key::Facility,
            b"severity" => Key::Severity,
            b"message" => Key::Message,
            b"repeat" => Key::Repeat,
            b"level" => Key::Level,
            b"info" => Key::Info,
            b"error" => Key::Error,
            b"ticket" => Key::Ticket,
            b"user" => Key::User,
            b"raw" => Key::Raw,
            b"truncated" => Key::Truncated,
            b"length" => Key::Length,
            b"ip" => Key::Ip,
            b"method" => Key::Method,
            b"path" => Key::Path,
            b"query" => Key::Query,
            b"protocol" => Key::Protocol,
            b"status" => Key::Status,
            b"bytes" => Key::Bytes,
            b"referer" => Key::Referer,
            b"agent" => Key::Agent,
            b"duration_ms" => Key::DurationMs,
            b"vhost" => Key::Vhost,
            b"auth" => Key::Auth,
            b"login" => Key::Login,
            b"port" => Key::Port,
            _ => return None,
        })
    }
}

impl<'a> Record<'a> {
    /// Parses a syslog line, or a journal entry (`journalctl -o json`), whose decoded fields go into
    /// `entry` for the record to borrow.
    pub fn parse(line: &'a [u8], year: &Year, entry: &'a mut journal::Entry, wanted: Wanted) -> Record<'a> {
        // Only a line that starts with `{` (or RFC 7464's separator) can be a journal entry: the
        // test stays here, in line, and the entry's parser out of line.
        let header = match line.first() {
            Some(b'{' | 0x1e) => entry.parse(line),
            _ => None,
        };
        let header = header.or_else(|| syslog::parse_header(line).filter(|h| year.allows(&h.time)));
        Record::from_syslog(line, header, wanted)
    }

    /// Parses a line of an input in `format`.
    pub fn parse_as(format: LineFormat, line: &'a [u8], year: &Year, scratch: &'a mut Scratch) -> Record<'a> {
        match format {
            LineFormat::Syslog => Record::parse(line, year, &mut scratch.entry, scratch.wanted),
            LineFormat::Pattern(p) => Record::parse_patterns(std::slice::from_ref(p), line, scratch),
            LineFormat::Python => Record::parse_patterns(pattern::python(), line, scratch),
            LineFormat::Json => match scratch.json.parse(line) {
                true => Record { json: Some(&scratch.json), understood: Understanding::Full, ..Record::raw(line) },
                false => Record::raw(line),
            },
            LineFormat::Access(unit) => match access::parse(line) {
                Some(a) => Record { access: Some((a, unit)), understood: Understanding::Full, ..Record::raw(line) },
                None => Record::raw(line),
            },
        }
    }

    /// Parses a line with the first of `patterns` that matches it.
    fn parse_patterns(patterns: &'a [Pattern], line: &'a [u8], scratch: &'a mut Scratch) -> Record<'a> {
        let locations = scratch.locations(patterns);
        let matched = patterns.iter().zip(locations.iter_mut()).position(|(p, l)| p.matches(line, l));
        match matched {
            Some(i) => Record {
                pattern: Some((&patterns[i], &locations[i])),
                understood: Understanding::Full,
                ..Record::raw(line)
            },
            None => Record::raw(line),
        }
    }

    /// The record of a line with no syslog header: `raw` only, until a format's fields are added.
    fn raw(line: &'a [u8]) -> Record<'a> {
        Record {
            line,
            header: None,
            payload: None,
            repeat: None,
            understood: Understanding::NoHeader,
            cut: None,
            access: None,
            login: None,
            pattern: None,
            json: None,
        }
    }

    /// The record of a syslog line of `header`, or of a line without one.
    fn from_syslog(line: &'a [u8], header: Option<Header<'a>>, wanted: Wanted) -> Record<'a> {
        let Some(header) = header else {
            return Record::raw(line);
        };
        let (repeat, message) = match syslog::repeated(header.message) {
            Some((n, inner)) => (Some(n), inner),
            None => (None, header.message),
        };
        let (payload, understood) = if header.program == Some(b"ticky") {
            match syslog::parse_payload(message, wanted.ticket) {
                Ok(payload) => (Some(payload), Understanding::TickyEvent),
                Err(PayloadProblem::NoLevel) => (None, Understanding::TickyNoLevel),
                Err(PayloadProblem::NoUser) => (None, Understanding::TickyNoUser),
            }
        } else {
            (None, Understanding::Full)
        };
        let login = match header.program {
            Some(program) if wanted.login && auth::is_login_program(program) => auth::parse(program, message),
            _ => None,
        };
        Record {
            line,
            header: Some(header),
            payload,
            repeat,
            understood,
            cut: None,
            access: None,
            login,
            pattern: None,
            json: None,
        }
    }

    /// Appends the JSON record (without a newline) to `out`: `file` first when given, then `line`.
    pub fn write_json(&self, out: &mut Vec<u8>, file: Option<&str>, line_number: u64, year: &mut Year) {
        out.push(b'{');
        if let Some(file) = file {
            out.extend_from_slice(b"\"file\":");
            write_str(out, file.as_bytes());
            out.push(b',');
        }
        out.extend_from_slice(b"\"line\":");
        write_u64(out, line_number);
        match &self.header {
            None if self.json.is_some() => write_json_log(out, self.json.expect("json")),
            None if self.pattern.is_some() => {
                let (p, locations) = self.pattern.expect("pattern");
                let text = if scan::is_clean(self.line) { Text::Clean } else { Text::Escape };
                write_groups(out, p, locations, self.line, text);
            }
            None if self.access.is_some() => {
                let (a, unit) = self.access.as_ref().expect("access");
                // Its quotes stand around its fields: only a bare quote in a field needs escaping.
                let clean = scan::is_clean_but_quotes(self.line) && !a.has_bare_quote();
                let text = if clean { Text::Clean } else { Text::Escape };
                write_access(out, a, *unit, text);
            }
            None => {
                out.extend_from_slice(b",\"raw\":");
                write_str(out, self.line);
            }
            Some(header) => {
                // Most lines need no escape anywhere; then every field, a piece of the line, is
                // copied as is.
                let text = if scan::is_clean(self.line) { Text::Clean } else { Text::Escape };
                write_header(out, header, year, text);
                if let Some(n) = self.repeat {
                    out.extend_from_slice(b",\"repeat\":");
                    write_u64(out, n);
                }
                if let Some(login) = &self.login {
                    write_login(out, login, text);
                }
                if let Some(d) = message_duration(header.message) {
                    out.extend_from_slice(b",\"duration_ms\":");
                    access::write_duration_ms(out, d, DurationUnit::Milliseconds);
                }
                if let Some(payload) = &self.payload {
                    write_payload(out, payload, text);
                }
            }
        }
        if let Some(length) = self.cut {
            out.extend_from_slice(b",\"truncated\":true,\"length\":");
            write_u64(out, length);
        }
        out.push(b'}');
    }

    /// Puts the value of `key` into `out` (cleared first) as the JSON record holds it once decoded:
    /// text with invalid UTF-8 replaced by U+FFFD, numbers in decimal. False when the record has no
    /// such key.
    pub fn value(&self, key: Key, file: Option<&str>, line_number: u64, year: &mut Year, out: &mut Vec<u8>) -> bool {
        out.clear();
        // Decoded, an escape is the byte it stands for: only invalid UTF-8 changes.
        let text = |out: &mut Vec<u8>, s: &[u8]| {
            if s.is_ascii() {
                out.extend_from_slice(s)
            } else {
                push_lossy(out, s)
            }
        };
        let (h, p) = (self.header.as_ref(), self.payload.as_ref());
        if let Some((a, unit)) = &self.access {
            return access_value(a, *unit, key, file, line_number, self.cut, out);
        }
        if (self.pattern.is_some() || self.json.is_some())
            && !matches!(key, Key::File | Key::Line | Key::Truncated | Key::Length)
        {
            return self.other(key.name().as_bytes(), out);
        }
        match key {
            Key::File => match file {
                Some(f) => out.extend_from_slice(f.as_bytes()),
                None => return false,
            },
            Key::Line => write_u64(out, line_number),
            Key::Raw => match h {
                None => push_lossy(out, self.line),
                Some(_) => return false,
            },
            Key::Time => match h.map(|h| h.time) {
                Some(Timestamp::Bsd(t)) => write_bsd_time(out, &t, year),
                Some(Timestamp::Iso(t)) => write_iso_time(out, t),
                Some(Timestamp::Unknown) | None => return false,
            },
            Key::Host | Key::Program => match h.and_then(|h| if key == Key::Host { h.host } else { h.program }) {
                Some(v) => text(out, v),
                None => return false,
            },
            Key::Pid => match h.and_then(|h| h.pid) {
                Some(pid) => write_u64(out, pid),
                None => return false,
            },
            Key::Facility => match h.and_then(|h| h.facility) {
                Some(f) => out.extend_from_slice(syslog::FACILITIES[usize::from(f)].as_bytes()),
                None => return false,
            },
            Key::Severity => match h.and_then(|h| h.severity) {
                Some(s) => out.extend_from_slice(syslog::SEVERITIES[usize::from(s)].as_bytes()),
                None => return false,
            },
            Key::Message => match h {
                Some(h) => text(out, h.message),
                None => return false,
            },
            Key::Repeat => match self.repeat {
                Some(n) => write_u64(out, n),
                None => return false,
            },
            Key::Level => match p {
                Some(p) => out.extend_from_slice(p.level.as_str().as_bytes()),
                None => return false,
            },
            Key::Info | Key::Error => match p {
                Some(p) if (p.level == syslog::Level::Info) == (key == Key::Info) => {
                    let (a, b) = p.text;
                    text(out, a);
                    if !a.is_empty() && !b.is_empty() {
                        out.push(b' ');
                    }
                    text(out, b);
                }
                _ => return false,
            },
            Key::Ticket => match p.and_then(|p| p.ticket) {
                Some(t) => write_u64(out, t),
                None => return false,
            },
            Key::User => match p {
                Some(p) => text(out, p.user),
                None => return false,
            },
            Key::Truncated => match self.cut {
                Some(_) => out.extend_from_slice(b"true"),
                None => return false,
            },
            Key::Length => match self.cut {
                Some(n) => write_u64(out, n),
                None => return false,
            },
            Key::Auth => match self.login.and_then(|l| l.auth) {
                Some(a) => out.extend_from_slice(a.as_str().as_bytes()),
                None => return false,
            },
            Key::Login | Key::Ip | Key::Method => {
                let value = self.login.and_then(|l| match key {
                    Key::Login => l.login,
                    Key::Ip => l.ip,
                    _ => l.method,
                });
                match value {
                    Some(v) => text(out, v),
                    None => return false,
                }
            }
            Key::Port => match self.login.and_then(|l| l.port) {
                Some(port) => write_u64(out, port),
                None => return false,
            },
            Key::DurationMs => match h.and_then(|h| message_duration(h.message)) {
                Some(d) => access::write_duration_ms(out, d, DurationUnit::Milliseconds),
                None => return false,
            },
            Key::Path
            | Key::Query
            | Key::Protocol
            | Key::Status
            | Key::Bytes
            | Key::Referer
            | Key::Agent
            | Key::Vhost => return false,
        }
        true
    }
}

/// A request time that an application wrote into its message, in milliseconds: the number of
/// `response_time:120ms`, `response_time=120 ms` or `took 120ms` (digits, a point and digits
/// allowed; the last such mention counts).
pub fn message_duration(message: &[u8]) -> Option<&[u8]> {
    let mut found = None;
    let mut from = 0;
    while let Some(at) = crate::scan::find_pair(&message[from..], *b"ms").map(|i| from + i) {
        from = at + 2;
        if message.get(at + 2).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') {
            continue;
        }
        let before = message[..at].strip_suffix(b" ").unwrap_or(&message[..at]);
        let digits = before.iter().rev().take_while(|c| c.is_ascii_digit() || **c == b'.').count();
        let number = &before[before.len() - digits..];
        let valid = !number.is_empty()
            && number[0].is_ascii_digit()
            && number[number.len() - 1].is_ascii_digit()
            && number.iter().filter(|&&c| c == b'.').count() <= 1;
        if !valid || number.len() > 30 {
            continue;
        }
        let lead = &before[..before.len() - digits];
        let says = |l: &[u8]| l.ends_with(b"response_time:") || l.ends_with(b"response_time=") || l.ends_with(b"took ");
        if says(lead) || lead.strip_suffix(b" ").is_some_and(says) {
            found = Some(number);
        }
    }
    found
}

impl Record<'_> {
    /// Puts the value of the field `name`, one that is not a [`Key`] (a pattern's group), into
    /// `out` (cleared first), as [`Record::value`] does. False when the record has no such field.
    pub fn other(&self, name: &[u8], out: &mut Vec<u8>) -> bool {
        out.clear();
        if let Some(log) = self.json {
            return json_log_value(log, name, out);
        }
        let Some((p, locations)) = self.pattern else { return false };
        let Some((start, end)) = p.group(name).and_then(|i| locations.get(i)) else {
            // A request time in the message, unless a group says it.
            let message = p.group(b"message").and_then(|i| locations.get(i)).map(|(s, e)| &self.line[s..e]);
            return match message.and_then(message_duration).filter(|_| name == b"duration_ms") {
                Some(d) => {
                    access::write_duration_ms(out, d, DurationUnit::Milliseconds);
                    true
                }
                None => false,
            };
        };
        let value = &self.line[start..end];
        // Only a `time` group is looked at as a time.
        match Some(name).filter(|n| *n == b"time").and_then(|_| pattern::iso_time(value)) {
            Some(at) => write_group_time(out, value, at),
            None => push_lossy(out, value),
        }
        true
    }
}

/// The fields of a JSON log line: strings as strings, numbers and booleans as written, objects
/// and arrays as their JSON text; a number for `time` as an ISO 8601 time when it is seconds or
/// milliseconds since 1970; a request time in the message as `duration_ms`.
fn write_json_log(out: &mut Vec<u8>, log: &crate::jsonlog::JsonLog) {
    use crate::jsonlog::{epoch_time, Value};
    for (name, value) in &log.fields {
        out.push(b',');
        write_str(out, name.as_bytes());
        out.push(b':');
        match value {
            Value::Scalar(n) if name == "time" && epoch_time(n).is_some() => {
                write_str(out, epoch_time(n).unwrap_or_default().as_bytes())
            }
            Value::Scalar(s) => out.extend_from_slice(s.as_bytes()),
            Value::Text(s) | Value::Nested(s) => write_str(out, s.as_bytes()),
        }
    }
    if log.get("duration_ms").is_none() {
        if let Some(Value::Text(message)) = log.get("message") {
            if let Some(d) = message_duration(message.as_bytes()) {
                out.extend_from_slice(b",\"duration_ms\":");
                access::write_duration_ms(out, d, DurationUnit::Milliseconds);
            }
        }
    }
}

/// [`Record::other`] of a JSON log line.
fn json_log_value(log: &crate::jsonlog::JsonLog, name: &[u8], out: &mut Vec<u8>) -> bool {
    use crate::jsonlog::{epoch_time, Value};
    let Ok(name) = std::str::from_utf8(name) else { return false };
    match log.get(name) {
        Some(Value::Scalar(n)) if name == "time" && epoch_time(n).is_some() => {
            out.extend_from_slice(epoch_time(n).unwrap_or_default().as_bytes())
        }
        Some(Value::Scalar(s) | Value::Text(s) | Value::Nested(s)) => out.extend_from_slice(s.as_bytes()),
        None if name == "duration_ms" => match log.get("message") {
            Some(Value::Text(m)) => match message_duration(m.as_bytes()) {
                Some(d) => access::write_duration_ms(out, d, DurationUnit::Milliseconds),
                None => return false,
            },
            _ => return false,
        },
        None => return false,
    }
    true
}

/// The groups of a pattern's match, each a field: a number when it is digits, text otherwise; a
/// group that took part in no match is absent.
fn write_groups(out: &mut Vec<u8>, p: &Pattern, locations: &regex::bytes::CaptureLocations, line: &[u8], text: Text) {
    let mut duration = None;
    for (i, name) in p.groups() {
        let Some((start, end)) = locations.get(*i) else { continue };
        let value = &line[start..end];
        out.extend_from_slice(b",\"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        if let Some(at) = Some(name).filter(|n| *n == "time").and_then(|_| pattern::iso_time(value)) {
            out.push(b'"');
            write_group_time(out, value, at);
            out.push(b'"');
        } else if pattern::is_integer(value) {
            out.extend_from_slice(value);
        } else {
            text.write(out, value);
        }
        if name == "message" {
            duration = message_duration(value);
        }
    }
    // A request time in the message, unless a group says it.
    if let Some(d) = duration.filter(|_| p.group(b"duration_ms").is_none()) {
        out.extend_from_slice(b",\"duration_ms\":");
        access::write_duration_ms(out, d, DurationUnit::Milliseconds);
    }
}

/// `2025-01-31 00:09:39,123` as `2025-01-31T00:09:39.123`, given where [`pattern::iso_time`]
/// found the space and the comma.
fn write_group_time(out: &mut Vec<u8>, t: &[u8], (space, comma): (usize, Option<usize>)) {
    let start = out.len();
    out.extend_from_slice(t);
    out[start + space] = b'T';
    if let Some(comma) = comma {
        out[start + comma] = b'.';
    }
}

/// [`Record::value`] of an access log line.
fn access_value(
    a: &Access<'_>,
    unit: DurationUnit,
    key: Key,
    file: Option<&str>,
    line_number: u64,
    cut: Option<u64>,
    out: &mut Vec<u8>,
) -> bool {
    let text = |out: &mut Vec<u8>, s: Option<&[u8]>| match s {
        Some(s) if s.is_ascii() => {
            out.extend_from_slice(s);
            true
        }
        Some(s) => {
            push_lossy(out, s);
            true
        }
        None => false,
    };
    match key {
        Key::File => text(out, file.map(str::as_bytes)),
        Key::Line => {
            write_u64(out, line_number);
            true
        }
        Key::Time => {
            access::write_time(out, a.time);
            true
        }
        Key::Ip => text(out, Some(a.ip)),
        Key::User => text(out, a.user),
        Key::Method => text(out, a.method),
        Key::Path => text(out, a.path),
        Key::Query => text(out, a.query),
        Key::Protocol => text(out, a.protocol),
        Key::Status => {
            write_u64(out, u64::from(a.status));
            true
        }
        Key::Bytes => a.bytes.map(|b| write_u64(out, b)).is_some(),
        Key::Referer => text(out, a.referer),
        Key::Agent => text(out, a.agent),
        Key::DurationMs => a.duration.map(|d| access::write_duration_ms(out, d, unit)).is_some(),
        Key::Vhost => text(out, a.vhost),
        Key::Truncated => cut.map(|_| out.extend_from_slice(b"true")).is_some(),
        Key::Length => cut.map(|n| write_u64(out, n)).is_some(),
        _ => false,
    }
}

/// Appends `s` with invalid UTF-8 replaced by U+FFFD, as [`write_str`] writes it (before escaping).
fn push_lossy(out: &mut Vec<u8>, s: &[u8]) {
    for chunk in s.utf8_chunks() {
        out.extend_from_slice(chunk.valid().as_bytes());
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
}

/// Appends the JSON record of one line (without a newline) to `out` and says how well the line was
/// understood. `scratch` is kept from line to line.
#[allow(clippy::too_many_arguments)]
pub fn write_record(
    out: &mut Vec<u8>,
    file: Option<&str>,
    line_number: u64,
    line: &[u8],
    format: LineFormat,
    year: &mut Year,
    cut: Option<u64>,
    scratch: &mut Scratch,
) -> Understanding {
    let mut record = Record::parse_as(format, line, year, scratch);
    record.cut = cut;
    record.write_json(out, file, line_number, year);
    record.understood
}

/// `2025-01-31T00:09:39`: an RFC 3164 time with its year, given or guessed.
fn write_bsd_time(out: &mut Vec<u8>, t: &BsdTime, year: &mut Year) {
    let year = match year {
        Year::Fixed(y) => *y,
        Year::Guess(guess) => guess.year(t),
    };
    // `--year` and a guess near the present are both within 1..=9999.
    let y = year.clamp(0, 9999) as u16;
    let two = |n: u8| [b'0' + n / 10, b'0' + n % 10];
    let [mo, d, h, mi, s] = [t.month, t.day, t.hour, t.minute, t.second].map(two);
    // One append of the whole time: five small ones took as long as the rest of the parse.
    out.extend_from_slice(&[
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        mo[0],
        mo[1],
        b'-',
        d[0],
        d[1],
        b'T',
        h[0],
        h[1],
        b':',
        mi[0],
        mi[1],
        b':',
        s[0],
        s[1],
    ]);
}

/// An RFC 3339 time as written, with the colon put back into an offset written without one.
fn write_iso_time(out: &mut Vec<u8>, t: &[u8]) {
    match time::offset_without_colon(t) {
        Some(at) => {
            out.extend_from_slice(&t[..at]);
            out.push(b':');
            out.extend_from_slice(&t[at..]);
        }
        None => out.extend_from_slice(t),
    }
}

/// How the text of a line's fields is written.
#[derive(Clone, Copy)]
enum Text {
    /// Printable ASCII without `"` or `\\`: copied between quotes.
    Clean,
    /// Anything else: escaped, and invalid UTF-8 replaced.
    Escape,
}

impl Text {
    fn write(self, out: &mut Vec<u8>, s: &[u8]) {
        out.push(b'"');
        self.write_body(out, s);
        out.push(b'"');
    }

    /// Appends `key` (`,"name":`) and the text, when there is one.
    #[inline]
    fn field(self, out: &mut Vec<u8>, key: &[u8], value: Option<&[u8]>) {
        if let Some(value) = value {
            out.extend_from_slice(key);
            self.write(out, value);
        }
    }

    fn write_body(self, out: &mut Vec<u8>, s: &[u8]) {
        match self {
            Text::Clean => out.extend_from_slice(s),
            Text::Escape => write_str_body(out, s),
        }
    }
}

fn write_header(out: &mut Vec<u8>, h: &Header<'_>, year: &mut Year, text: Text) {
    match h.time {
        Timestamp::Bsd(t) => {
            out.extend_from_slice(b",\"time\":\"");
            write_bsd_time(out, &t, year);
            out.push(b'"');
        }
        Timestamp::Iso(t) => {
            // Checked by the header's parser: ASCII digits and punctuation only.
            out.extend_from_slice(b",\"time\":\"");
            write_iso_time(out, t);
            out.push(b'"');
        }
        Timestamp::Unknown => {}
    }
    for (key, value) in [(&b",\"host\":"[..], h.host), (b",\"program\":", h.program)] {
        if let Some(value) = value {
            out.extend_from_slice(key);
            text.write(out, value);
        }
    }
    if let Some(pid) = h.pid {
        out.extend_from_slice(b",\"pid\":");
        write_u64(out, pid);
    }
    if let Some(f) = h.facility {
        out.extend_from_slice(b",\"facility\":\"");
        out.extend_from_slice(syslog::FACILITIES[usize::from(f)].as_bytes());
        out.push(b'"');
    }
    if let Some(s) = h.severity {
        out.extend_from_slice(b",\"severity\":\"");
        out.extend_from_slice(syslog::SEVERITIES[usize::from(s)].as_bytes());
        out.push(b'"');
    }
    out.extend_from_slice(b",\"message\":");
    text.write(out, h.message);
}

/// The fields of a login event.
fn write_login(out: &mut Vec<u8>, l: &Login<'_>, text: Text) {
    if let Some(auth) = l.auth {
        out.extend_from_slice(b",\"auth\":\"");
        out.extend_from_slice(auth.as_str().as_bytes());
        out.push(b'"');
    }
    text.field(out, b",\"login\":", l.login);
    text.field(out, b",\"ip\":", l.ip);
    if let Some(port) = l.port {
        out.extend_from_slice(b",\"port\":");
        write_u64(out, port);
    }
    text.field(out, b",\"method\":", l.method);
}

/// The fields of an access log line, in the order of DESIGN.md's list.
fn write_access(out: &mut Vec<u8>, a: &Access<'_>, unit: DurationUnit, text: Text) {
    out.extend_from_slice(b",\"ip\":");
    text.write(out, a.ip);
    text.field(out, b",\"user\":", a.user);
    out.extend_from_slice(b",\"time\":\"");
    access::write_time(out, a.time);
    out.push(b'"');
    text.field(out, b",\"method\":", a.method);
    text.field(out, b",\"path\":", a.path);
    text.field(out, b",\"query\":", a.query);
    text.field(out, b",\"protocol\":", a.protocol);
    out.extend_from_slice(b",\"status\":");
    write_u64(out, u64::from(a.status));
    if let Some(bytes) = a.bytes {
        out.extend_from_slice(b",\"bytes\":");
        write_u64(out, bytes);
    }
    text.field(out, b",\"referer\":", a.referer);
    text.field(out, b",\"agent\":", a.agent);
    if let Some(d) = a.duration {
        out.extend_from_slice(b",\"duration_ms\":");
        access::write_duration_ms(out, d, unit);
    }
    text.field(out, b",\"vhost\":", a.vhost);
}

fn write_payload(out: &mut Vec<u8>, p: &Payload<'_>, text: Text) {
    out.extend_from_slice(b",\"level\":\"");
    out.extend_from_slice(p.level.as_str().as_bytes());
    out.extend_from_slice(match p.level {
        syslog::Level::Info => b"\",\"info\":\"",
        syslog::Level::Error => b"\",\"error\":\"",
    });
    let (a, b) = p.text;
    text.write_body(out, a);
    if !a.is_empty() && !b.is_empty() {
        out.push(b' ');
    }
    text.write_body(out, b);
    out.push(b'"');
    if let Some(ticket) = p.ticket {
        out.extend_from_slice(b",\"ticket\":");
        write_u64(out, ticket);
    }
    out.extend_from_slice(b",\"user\":");
    text.write(out, p.user);
}

/// Writes `n` in decimal, two digits at a time (a line number or a pid has five to eight digits).
pub fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    const PAIRS: &[u8; 200] = b"\
        0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849\
        5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        i -= 2;
        digits[i..i + 2].copy_from_slice(&PAIRS[n as usize * 2..n as usize * 2 + 2]);
    } else {
        i -= 1;
        digits[i] = b'0' + n as u8;
    }
    out.extend_from_slice(&digits[i..]);
}

/// Writes `s` as a JSON string. Invalid UTF-8 becomes U+FFFD, as `String::from_utf8_lossy` does.
pub fn write_str(out: &mut Vec<u8>, s: &[u8]) {
    Text::Escape.write(out, s);
}

fn write_str_body(out: &mut Vec<u8>, s: &[u8]) {
    if s.is_ascii() || std::str::from_utf8(s).is_ok() {
        escape_valid(out, s);
        return;
    }
    for chunk in s.utf8_chunks() {
        escape_valid(out, chunk.valid().as_bytes());
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
}

/// Escapes valid UTF-8: quotes, backslashes and control characters; everything else is copied.
fn escape_valid(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    let mut i = 0;
    while i < s.len() {
        // Jump to the next byte that needs an escape, eight bytes at a time.
        let marks = special_bytes(word_at(s, i));
        if marks == 0 {
            i += 8;
            continue;
        }
        i += (marks.trailing_zeros() / 8) as usize;
        let Some(&c) = s.get(i) else { break };
        out.extend_from_slice(&s[start..i]);
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]),
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&s[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(line: &[u8]) -> (String, Understanding) {
        let mut out = Vec::new();
        let u = write_record(
            &mut out,
            None,
            7,
            line,
            LineFormat::Syslog,
            &mut Year::Fixed(2025),
            None,
            &mut Scratch::default(),
        );
        (String::from_utf8(out).unwrap(), u)
    }

    #[test]
    fn priority_names_and_rfc3339_offsets() {
        let (json, _) = record(b"<38> Mar  7 01:02:03 h sshd[5]: Accepted");
        assert_eq!(
            json,
            r#"{"line":7,"time":"2025-03-07T01:02:03","host":"h","program":"sshd","pid":5,"facility":"auth","severity":"info","message":"Accepted"}"#
        );
        let (json, _) = record(b"2024-03-01T10:00:00.5-0130 h p: m");
        assert!(json.contains(r#""time":"2024-03-01T10:00:00.5-01:30""#), "{json}");
        let (json, _) = record(b"Jan 18 00:11:22 router daemon.err dnsmasq[1]: x");
        assert!(json.contains(r#""facility":"daemon","severity":"err","message":"x""#), "{json}");
    }

    #[test]
    fn seed_lines() {
        assert_eq!(
            record(b"Jan 31 00:09:39 ubuntu.local ticky: INFO Created ticket [#4217] (mdouglas)"),
            (r#"{"line":7,"time":"2025-01-31T00:09:39","host":"ubuntu.local","program":"ticky","message":"INFO Created ticket [#4217] (mdouglas)","level":"INFO","info":"Created ticket","ticket":4217,"user":"mdouglas"}"#.to_string(), Understanding::TickyEvent)
        );
        assert_eq!(
            record(b"Jan  1 00:21:30 ubuntu.local ticky[9]: ERROR The ticket was modified while updating (breee)"),
            (r#"{"line":7,"time":"2025-01-01T00:21:30","host":"ubuntu.local","program":"ticky","pid":9,"message":"ERROR The ticket was modified while updating (breee)","level":"ERROR","error":"The ticket was modified while updating","user":"breee"}"#.to_string(), Understanding::TickyEvent)
        );
    }

    #[test]
    fn keys_lists_every_key_written() {
        let lines: [&[u8]; 6] = [
            b"Jan 31 00:09:39 h sshd[7]: Failed password for root from 10.0.0.1 port 22 ssh2",
            b"Jan 31 00:09:39 h ticky[9]: INFO Created ticket [#4217] (mdouglas)",
            b"Jan 31 00:09:39 h ticky[9]: message repeated 2 times: [ ERROR Boom (ac)]",
            b"<165>1 2003-10-11T22:14:15.003Z h app 77 ID47 - ERROR Boom (ac)",
            b"Jan 31 00:09:39 h ticky: ERROR Boom (ac)",
            b"not syslog",
        ];
        let access: &[u8] =
            br#"www.example.com:80 ::1 - u [01/Jan/2025:00:00:00 +0000] "GET /a?b HTTP/1.1" 200 5 "r" "a" 0.1"#;
        let mut seen = Vec::new();
        for (i, line) in lines.into_iter().chain([access]).enumerate() {
            let mut out = Vec::new();
            // The last syslog line as if it had been cut.
            let cut = (i == lines.len() - 1).then_some(5_000_000);
            let format = if i == lines.len() { LineFormat::Access(DurationUnit::Seconds) } else { LineFormat::Syslog };
            write_record(
                &mut out,
                Some("a.log"),
                1,
                line,
                format,
                &mut Year::Fixed(2025),
                cut,
                &mut Scratch::default(),
            );
            let v: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&out).unwrap();
            seen.extend(v.keys().cloned());
        }
        seen.sort();
        seen.dedup();
        let mut keys = KEYS.map(str::to_string).to_vec();
        keys.sort();
        assert_eq!(seen, keys);
    }

    #[test]
    fn request_times_in_messages() {
        for (message, ms) in [
            ("GET /x response_time:120ms", Some("120")),
            ("done, response_time=87.5 ms.", Some("87.5")),
            ("export took 1500ms (3 files)", Some("1500")),
            ("took 2ms then took 30ms", Some("30")),
            ("took 12msg", None),
            ("took ms", None),
            ("latency 5ms", None),
            ("response_time=.5ms", None),
        ] {
            assert_eq!(message_duration(message.as_bytes()), ms.map(str::as_bytes), "{message}");
        }
        let (json, _) = record(b"Jan 31 00:09:39 h api[3]: GET /t response_time=0120 ms");
        assert!(json.ends_with(r#""message":"GET /t response_time=0120 ms","duration_ms":120}"#), "{json}");
    }

    #[test]
    fn numbers_in_decimal() {
        for n in [0, 7, 10, 99, 100, 101, 4217, 65535, 1_000_000, 123_456_789, u64::MAX] {
            let mut out = Vec::new();
            write_u64(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }

    #[test]
    fn cut_short_line_has_no_user() {
        let (json, u) = record(b"Jan 31 23:35:40 ubuntu.local ticky: INFO Created ticket [#5896] (mcintosh");
        assert_eq!(u, Understanding::TickyNoUser);
        assert!(!json.contains("\"user\"") && !json.contains("\"level\""), "{json}");
    }

    #[test]
    fn escaping_finds_specials_at_every_offset() {
        for special in [b'"', b'\\', b'\n', 0u8, 0x1f, 0x7f, 0xc3] {
            for at in 0..20 {
                let mut s = b"abcdefghijklmnopqrstu".to_vec();
                s[at] = special;
                let mut out = Vec::new();
                write_str(&mut out, &s);
                let expected = serde_json::to_string(&String::from_utf8_lossy(&s)).unwrap();
                assert_eq!(String::from_utf8(out).unwrap(), expected, "{special:#x} at {at}");
            }
        }
    }

    #[test]
    fn raw_line_escaped_and_lossy() {
        let (json, u) = record(b"\x00bad \xff\"line\\\x1b");
        assert_eq!(u, Understanding::NoHeader);
        assert_eq!(json, "{\"line\":7,\"raw\":\"\\u0000bad \u{fffd}\\\"line\\\\\\u001b\"}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["raw"], "\u{0}bad \u{fffd}\"line\\\u{1b}");
    }
}
