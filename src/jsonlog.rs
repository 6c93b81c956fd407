//! Applications' own JSON logs, one object per line, whatever their key names: the usual names of
//! the time, the level, the message and the logger are mapped to the record's (`@timestamp` to
//! `time`, `msg` to `message`, …), the other keys kept as they are.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// A value of a JSON log line, as the record writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A string, decoded.
    Text(String),
    /// A number or a boolean, as written.
    Scalar(String),
    /// An object or an array: its JSON text, which the record holds as a string.
    Nested(String),
}

/// The fields of the last line read, in the line's order, under the record's names.
#[derive(Debug, Default)]
pub struct JsonLog {
    pub fields: Vec<(String, Value)>,
}

/// The record's name for a key, when the key is one of the usual spellings of a record key.
fn mapped(key: &str) -> Option<&'static str> {
    Some(match key {
        "timestamp" | "time" | "@timestamp" | "ts" | "datetime" | "asctime" => "time",
        "level" | "levelname" | "severity" | "log.level" => "level",
        "message" | "msg" => "message",
        "module" => "module",
        "logger" | "logger_name" | "name" => "logger",
        _ => return None,
    })
}

/// Keys every record has for itself: an application's own `line` (its source line) is kept as
/// `source_line`, and so on.
const RESERVED: [&str; 5] = ["file", "line", "raw", "truncated", "length"];

impl JsonLog {
    /// Reads `line` as a JSON object; false when it is not one (the line is then raw).
    pub fn parse(&mut self, line: &[u8]) -> bool {
        self.fields.clear();
        let trimmed = line.trim_ascii();
        if trimmed.first() != Some(&b'{') {
            return false;
        }
        let mut de = serde_json::Deserializer::from_slice(trimmed);
        let ok = de.deserialize_map(Fields(&mut self.fields)).is_ok() && de.end().is_ok();
        if !ok {
            self.fields.clear();
        }
        ok
    }

    /// The value of the record's field `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

struct Fields<'f>(&'f mut Vec<(String, Value)>);

impl<'de> Visitor<'de> for Fields<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let raw: &'de RawValue = map.next_value()?;
            let text = raw.get();
            let value = match text.as_bytes()[0] {
                b'n' => continue,
                b'"' => Value::Text(serde_json::from_str(text).map_err(serde::de::Error::custom)?),
                b'{' | b'[' => Value::Nested(text.to_string()),
                _ => Value::Scalar(text.to_string()),
            };
            // The first key of the usual names takes the record's name; a name taken already, or
            // one every record has for itself, is kept as source_NAME.
            let name = match mapped(&key) {
                Some(name) if !self.0.iter().any(|(n, _)| n == name) => name.to_string(),
                _ if RESERVED.contains(&key.as_str()) || self.0.iter().any(|(n, _)| *n == key) => {
                    format!("source_{key}")
                }
                _ => key,
            };
            if !self.0.iter().any(|(n, _)| *n == name) {
                self.0.push((name, value));
            }
        }
        Ok(())
    }
}

/// A time given as a number: seconds (ten digits before any point) or milliseconds (thirteen) since
/// 1970, as ISO 8601 in UTC (`2023-11-14T22:13:20.5Z`); `None` for any other number.
pub fn epoch_time(number: &str) -> Option<String> {
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if !int.bytes().all(|c| c.is_ascii_digit()) || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (seconds, frac) = match int.len() {
        10 => (int.parse::<i64>().ok()?, frac.to_string()),
        13 if frac.is_empty() => (int[..10].parse::<i64>().ok()?, int[10..].to_string()),
        _ => return None,
    };
    let (y, m, d) = crate::time::civil_from_days(seconds.div_euclid(86_400));
    let s = seconds.rem_euclid(86_400);
    let frac = frac.trim_end_matches('0');
    let frac = if frac.is_empty() { String::new() } else { format!(".{frac}") };
    Some(format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z", s / 3600, s / 60 % 60, s % 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_mapped_and_the_rest_kept_in_order() {
        let mut log = JsonLog::default();
        assert!(log.parse(
            br#"{"@timestamp":"2025-01-31T00:09:39Z","severity":"ERROR","msg":"db \"down\"","line":42,"ctx":{"a":[1]},"ok":true,"gone":null,"time":"x"}"#
        ));
        let names: Vec<&str> = log.fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["time", "level", "message", "source_line", "ctx", "ok", "source_time"]);
        assert_eq!(log.get("message"), Some(&Value::Text("db \"down\"".into())));
        assert_eq!(log.get("ctx"), Some(&Value::Nested(r#"{"a":[1]}"#.into())));
        assert_eq!(log.get("source_line"), Some(&Value::Scalar("42".into())));
        for bad in [&b"not json"[..], b"[1,2]", b"{\"a\":1", b"{\"a\":1} x"] {
            assert!(!log.parse(bad));
        }
    }

    #[test]
    fn epoch_times() {
        assert_eq!(epoch_time("1700000000").as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(epoch_time("1700000000.500").as_deref(), Some("2023-11-14T22:13:20.5Z"));
        assert_eq!(epoch_time("1700000000123").as_deref(), Some("2023-11-14T22:13:20.123Z"));
        assert_eq!(epoch_time("30"), None);
    }
}
