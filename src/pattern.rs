//! Lines described by a regular expression with named groups (`--pattern`), each group a field of
//! the record, as Logstash's grok and lnav read formats; and `%{NAME}` / `%{NAME:field}` expanded
//! from a library of named patterns (`--patterns FILE`, and the ones shipped in
//! `patterns/ticky.patterns`). The regex crate matches in linear time whatever the line, so no
//! pattern can backtrack catastrophically on a hostile line, grok's most reported problem.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::bytes::{CaptureLocations, Regex, RegexBuilder};

/// The patterns shipped with ticky, always available to `%{NAME}`.
pub const SHIPPED: &str = include_str!("../patterns/ticky.patterns");

/// Keys of every record that a group may not take.
const RESERVED: [&str; 5] = ["file", "line", "raw", "truncated", "length"];

/// How deep `%{NAME}` may refer to names that refer to names.
const MAX_DEPTH: usize = 32;

/// A compiled pattern: the regex, and its named groups in the pattern's order.
#[derive(Debug)]
pub struct Pattern {
    regex: Regex,
    groups: Vec<(usize, String)>,
}

/// A pattern is compiled once per run: the same one is the same object.
impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for Pattern {}

/// Named patterns, as a patterns file defines them: `NAME = regex` per line.
#[derive(Debug, Default)]
pub struct Library {
    patterns: HashMap<String, String>,
}

impl Library {
    /// The shipped patterns.
    pub fn shipped() -> Library {
        let mut library = Library::default();
        library.add(SHIPPED, "the shipped patterns").expect("the shipped patterns are well formed");
        library
    }

    /// Adds (or replaces) the definitions of a patterns file: lines `NAME = regex`; blank lines and
    /// lines starting with `#` are skipped. `source` names the file in messages.
    pub fn add(&mut self, text: &str, source: &str) -> Result<(), String> {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, regex)) = line.split_once('=') else {
                return Err(format!("{source}:{}: expected NAME = regex", i + 1));
            };
            let name = name.trim();
            if !is_name(name) {
                return Err(format!("{source}:{}: {name:?} is not a pattern name (letters, digits, _)", i + 1));
            }
            self.patterns.insert(name.to_string(), regex.trim().to_string());
        }
        Ok(())
    }

    /// Expands every `%{NAME}` (a group of its own that captures nothing) and `%{NAME:field}` (a
    /// group named `field`) in `pattern`, recursively.
    pub fn expand(&self, pattern: &str) -> Result<String, String> {
        self.expand_at(pattern, 0)
    }

    fn expand_at(&self, pattern: &str, depth: usize) -> Result<String, String> {
        if depth > MAX_DEPTH {
            return Err(format!("%{{…}} refers to itself, or nests deeper than {MAX_DEPTH}"));
        }
        let mut out = String::with_capacity(pattern.len());
        let mut rest = pattern;
        while let Some(at) = rest.find("%{") {
            out.push_str(&rest[..at]);
            let Some(end) = rest[at..].find('}') else {
                return Err(format!("%{{ without its }} in {}", &rest[at..]));
            };
            let reference = &rest[at + 2..at + end];
            let (name, field) = match reference.split_once(':') {
                Some((name, field)) => (name, Some(field)),
                None => (reference, None),
            };
            let Some(definition) = self.patterns.get(name) else {
                return Err(format!("%{{{reference}}}: no pattern named {name:?} (see --patterns)"));
            };
            let inner = self.expand_at(definition, depth + 1)?;
            match field {
                Some(field) if !is_name(field) => {
                    return Err(format!("%{{{reference}}}: {field:?} is not a field name (letters, digits, _)"))
                }
                Some(field) => out.push_str(&format!("(?P<{field}>{inner})")),
                None => out.push_str(&format!("(?:{inner})")),
            }
            rest = &rest[at + end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Pattern {
    /// Compiles `pattern` (with `%{…}` expanded from `library`). It must name at least one group,
    /// and no group may take a key that every record has (`line`, `raw`, …).
    pub fn new(pattern: &str, library: &Library) -> Result<Pattern, String> {
        let expanded = library.expand(pattern)?;
        // Bytes, not Unicode: `.` and `\S` take any byte, so invalid UTF-8 in a field does not
        // make a line miss (`(?u:…)` turns Unicode classes back on where wanted).
        let regex = RegexBuilder::new(&expanded)
            .unicode(false)
            .size_limit(64 << 20)
            .build()
            .map_err(|e| format!("--pattern: {e}"))?;
        let groups: Vec<(usize, String)> =
            regex.capture_names().enumerate().filter_map(|(i, n)| n.map(|n| (i, n.to_string()))).collect();
        if groups.is_empty() {
            return Err("--pattern: the pattern names no group, so its records would be empty: \
                        name each field, (?P<status>\\d+), or use %{NAME:field}"
                .into());
        }
        if let Some((_, name)) = groups.iter().find(|(_, n)| RESERVED.contains(&n.as_str())) {
            return Err(format!("--pattern: a group may not be named {name:?}: every record has that key"));
        }
        Ok(Pattern { regex, groups })
    }

    /// Room for the positions of a match, reused from line to line.
    pub fn locations(&self) -> CaptureLocations {
        self.regex.capture_locations()
    }

    /// Matches `line` (anywhere in it, unless the pattern is anchored); the groups' positions go
    /// into `locations`.
    pub fn matches(&self, line: &[u8], locations: &mut CaptureLocations) -> bool {
        self.regex.captures_read(locations, line).is_some()
    }

    /// The named groups, in the pattern's order, with their group numbers.
    pub fn groups(&self) -> &[(usize, String)] {
        &self.groups
    }

    /// The group number of the field `name`.
    pub fn group(&self, name: &[u8]) -> Option<usize> {
        self.groups.iter().find(|(_, n)| n.as_bytes() == name).map(|&(i, _)| i)
    }
}

/// The layouts Python's logging writes most, tried in this order (`--format python`).
const PYTHON_LAYOUTS: [&str; 4] = [
    // Django's verbose: '{levelname} {asctime} {module} {process:d} {thread:d} {message}'.
    r"^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) (?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d+)?) (?P<module>\S+) (?P<pid>\d+) (?P<thread>\d+) (?P<message>.*)$",
    // The common basicConfig: '%(asctime)s - %(name)s - %(levelname)s - %(message)s'.
    r"^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d+)?) - (?P<logger>\S+) - (?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) - (?P<message>.*)$",
    // logging's default: '%(levelname)s:%(name)s:%(message)s'.
    r"^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL):(?P<logger>[^:\s]+):(?P<message>.*)$",
    // '{levelname} {message}'.
    r"^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) (?P<message>.*)$",
];

/// The patterns of [`PYTHON_LAYOUTS`], compiled once.
pub fn python() -> &'static [Pattern] {
    static PYTHON: OnceLock<Vec<Pattern>> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let library = Library::default();
        PYTHON_LAYOUTS.iter().map(|p| Pattern::new(p, &library).expect("the Python layouts compile")).collect()
    })
}

/// Whether a group's text is written as a JSON integer: digits, without a leading zero that
/// the number would lose, at most 18 of them.
pub fn is_integer(text: &[u8]) -> bool {
    match text {
        [b'0'] => true,
        [first, ..] => *first != b'0' && text.len() <= 18 && text.iter().all(u8::is_ascii_digit),
        [] => false,
    }
}

/// A `time` group such as Python's `2025-01-31 00:09:39,123`: the ISO 8601 form
/// `2025-01-31T00:09:39.123` is written instead (a date, a space, a time, a comma or point and
/// digits); any other text is written as it is.
pub fn iso_time(t: &[u8]) -> Option<(usize, Option<usize>)> {
    let digits = |r: std::ops::Range<usize>| t.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let date_time = t.len() >= 19
        && digits(0..4)
        && t[4] == b'-'
        && digits(5..7)
        && t[7] == b'-'
        && digits(8..10)
        && t[10] == b' '
        && crate::time::parse_hms(&t[11..19]).is_some();
    if !date_time {
        return None;
    }
    match &t[19..] {
        [] => Some((10, None)),
        [b',' | b'.', frac @ ..] if !frac.is_empty() && frac.iter().all(u8::is_ascii_digit) => Some((10, Some(19))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grok_references_expand() {
        let mut lib = Library::shipped();
        lib.add("GREETING = hello %{WORD:who}\n# a comment\n", "t").unwrap();
        let p = Pattern::new("^%{GREETING} %{INT:n}$", &lib).unwrap();
        let mut loc = p.locations();
        assert!(p.matches(b"hello world 42", &mut loc));
        let names: Vec<&str> = p.groups().iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["who", "n"]);
        assert!(Pattern::new("%{NOPE}", &lib).unwrap_err().contains("no pattern named \"NOPE\""));
        lib.add("LOOP = a%{LOOP}", "t").unwrap();
        assert!(Pattern::new("%{LOOP:x}", &lib).unwrap_err().contains("refers to itself"));
        assert!(Pattern::new("(\\d+)", &lib).unwrap_err().contains("names no group"));
        assert!(Pattern::new("(?P<line>\\d+)", &lib).unwrap_err().contains("may not be named \"line\""));
        assert!(lib.add("bad name = x", "f").unwrap_err().starts_with("f:1:"));
    }

    #[test]
    fn every_shipped_pattern_compiles() {
        let lib = Library::shipped();
        for name in lib.patterns.keys() {
            Pattern::new(&format!("%{{{name}:x}}"), &lib).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn integers_and_times() {
        assert!(is_integer(b"0") && is_integer(b"4217") && !is_integer(b"042") && !is_integer(b"1.5"));
        assert!(!is_integer(b"1234567890123456789") && !is_integer(b""));
        assert_eq!(iso_time(b"2025-01-31 00:09:39,123"), Some((10, Some(19))));
        assert_eq!(iso_time(b"2025-01-31 00:09:39"), Some((10, None)));
        assert_eq!(iso_time(b"2025-01-31T00:09:39"), None);
    }
}
