//! systemd's journal as `journalctl -o json` writes it: one JSON object per entry, which becomes
//! the same record as a syslog line. Host from `_HOSTNAME`, program from `SYSLOG_IDENTIFIER`, pid
//! from `_PID`, message from `MESSAGE` (text, or an array of bytes when it is not UTF-8), time from
//! `__REALTIME_TIMESTAMP` (microseconds since the epoch, written in UTC), facility and severity
//! from `SYSLOG_FACILITY` and `PRIORITY`.

use std::borrow::Cow;

use bstr::ByteSlice;
use serde::Deserialize;

use crate::syslog::{Header, Timestamp};
use crate::time;

/// The fields of one entry, decoded: a header borrows them.
#[derive(Debug, Default)]
pub struct Entry {
    time: Vec<u8>,
    host: Option<Vec<u8>>,
    program: Option<Vec<u8>>,
    pid: Option<u64>,
    facility: Option<u8>,
    severity: Option<u8>,
    message: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Value<'a> {
    #[serde(borrow)]
    Text(Cow<'a, str>),
    Bytes(Vec<u8>),
    Other(serde::de::IgnoredAny),
}

impl Value<'_> {
    fn bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Text(t) => Some(t.as_bytes()),
            Value::Bytes(b) => Some(b),
            Value::Other(_) => None,
        }
    }

    fn number(&self) -> Option<u64> {
        std::str::from_utf8(self.bytes()?).ok()?.parse().ok()
    }
}

#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(rename = "__REALTIME_TIMESTAMP", borrow)]
    realtime: Option<Value<'a>>,
    #[serde(rename = "_HOSTNAME", borrow)]
    host: Option<Value<'a>>,
    #[serde(rename = "SYSLOG_IDENTIFIER", borrow)]
    identifier: Option<Value<'a>>,
    #[serde(rename = "_PID", borrow)]
    pid: Option<Value<'a>>,
    #[serde(rename = "SYSLOG_FACILITY", borrow)]
    facility: Option<Value<'a>>,
    #[serde(rename = "PRIORITY", borrow)]
    priority: Option<Value<'a>>,
    #[serde(rename = "MESSAGE", borrow)]
    message: Option<Value<'a>>,
}

/// Whether a line may be a journal entry: a JSON object with the journal's own timestamp, after
/// the record separator (0x1E) that `journalctl -o json-seq` (RFC 7464) puts before each.
#[inline]
pub fn looks_like_entry(line: &[u8]) -> bool {
    let line = without_separator(line);
    line.first() == Some(&b'{') && line.find(b"\"__REALTIME_TIMESTAMP\"").is_some()
}

/// A line without the RFC 7464 record separator it may start with.
#[inline]
fn without_separator(line: &[u8]) -> &[u8] {
    line.strip_prefix(b"\x1e").unwrap_or(line)
}

impl Entry {
    /// Reads a line as a journal entry into `self`; `None` when it is not one (not JSON, or without
    /// `__REALTIME_TIMESTAMP` and `MESSAGE`). Kept out of line: the syslog loop around it stays small.
    #[cold]
    #[inline(never)]
    pub fn parse(&mut self, line: &[u8]) -> Option<Header<'_>> {
        if !looks_like_entry(line) {
            return None;
        }
        let f: Fields<'_> = serde_json::from_slice(without_separator(line)).ok()?;
        let micros = f.realtime.as_ref()?.number()?;
        self.message.clear();
        self.message.extend_from_slice(f.message.as_ref()?.bytes()?);
        self.time.clear();
        write_utc_micros(&mut self.time, micros);
        let owned = |v: &Option<Value<'_>>| v.as_ref().and_then(Value::bytes).map(<[u8]>::to_vec);
        self.host = owned(&f.host);
        self.program = owned(&f.identifier);
        self.pid = f.pid.as_ref().and_then(Value::number);
        self.facility = f.facility.as_ref().and_then(Value::number).filter(|&n| n < 24).map(|n| n as u8);
        self.severity = f.priority.as_ref().and_then(Value::number).filter(|&n| n < 8).map(|n| n as u8);
        Some(Header {
            time: Timestamp::Iso(&self.time),
            host: self.host.as_deref(),
            program: self.program.as_deref(),
            pid: self.pid,
            facility: self.facility,
            severity: self.severity,
            message: &self.message,
        })
    }
}

/// `2023-11-14T22:13:20.123456Z`: RFC 3339 in UTC with microseconds.
fn write_utc_micros(out: &mut Vec<u8>, micros: u64) {
    let secs = (micros / 1_000_000) as i64;
    let (y, m, d) = time::civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    let text =
        format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z", s / 3600, s / 60 % 60, s % 60, micros % 1_000_000);
    out.extend_from_slice(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_becomes_a_header() {
        let line = br#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1700000000123456","PRIORITY":"3","SYSLOG_FACILITY":"4","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"sshd","_PID":"812","MESSAGE":"Failed password for root"}"#;
        let mut entry = Entry::default();
        let h = entry.parse(line).unwrap();
        // `date -u -d @1700000000` says Tue Nov 14 22:13:20 UTC 2023.
        assert_eq!(h.time, Timestamp::Iso(b"2023-11-14T22:13:20.123456Z"));
        assert_eq!((h.host, h.program, h.pid), (Some(&b"web1"[..]), Some(&b"sshd"[..]), Some(812)));
        assert_eq!((h.facility, h.severity, h.message), (Some(4), Some(3), &b"Failed password for root"[..]));
    }

    #[test]
    fn a_message_of_bytes_and_escapes() {
        let line = br#"{"__REALTIME_TIMESTAMP":"0","MESSAGE":[104,105,255],"SYSLOG_IDENTIFIER":"a\"b"}"#;
        let mut entry = Entry::default();
        let h = entry.parse(line).unwrap();
        assert_eq!((h.message, h.program, h.host), (&b"hi\xff"[..], Some(&b"a\"b"[..]), None));
        assert_eq!(h.time, Timestamp::Iso(b"1970-01-01T00:00:00.000000Z"));
    }

    #[test]
    fn what_is_no_entry() {
        let mut entry = Entry::default();
        for line in [
            &br#"{"line":1,"raw":"x"}"#[..],
            br#"{"__REALTIME_TIMESTAMP":"1"}"#,
            br#"{"__REALTIME_TIMESTAMP":"x","MESSAGE":"m"}"#,
            br#"{"__REALTIME_TIMESTAMP":"1","MESSAGE":null}"#,
            br#"{"__REALTIME_TIMESTAMP":"1","MESSAGE":"m""#,
            b"Jan 31 00:09:39 h p: m",
        ] {
            assert!(entry.parse(line).is_none(), "{}", String::from_utf8_lossy(line));
        }
    }
}
