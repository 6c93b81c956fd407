//! `--where` conditions: `FIELD=VALUE`, `!=`, `<`, `<=`, `>`, `>=` (numeric when both sides are
//! numbers), `~` and `!~` (a regex), and the values seen of a condition that never held, for the
//! warning that says why a table is empty.

use regex::bytes::Regex;

use crate::stats::parse_number;

#[derive(Clone, Debug)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Match(Regex),
    NotMatch(Regex),
}

/// One condition on one field.
#[derive(Clone, Debug)]
pub struct Condition {
    pub field: String,
    op: Op,
    value: Vec<u8>,
    /// The value as a number, when it is one: then numbers compare as numbers.
    number: Option<i128>,
    /// The text as given, for messages.
    pub text: String,
}

/// The operators, longest first so that `<=` is not read as `<`.
const OPERATORS: [&str; 9] = ["==", "!=", "!~", "<=", ">=", "=", "<", ">", "~"];

impl Condition {
    /// Reads `FIELD OP VALUE` (no spaces needed: `status>=500`, `path~^/api/`, `level==ERROR`).
    pub fn parse(text: &str) -> Result<Condition, String> {
        let at = text.find(['=', '!', '<', '>', '~']).filter(|&i| i > 0).ok_or_else(|| {
            format!("--where: expected FIELD=VALUE (or !=, <, <=, >, >=, ~ REGEX, !~ REGEX), not {text:?}")
        })?;
        let (field, rest) = text.split_at(at);
        let op_text = OPERATORS.iter().find(|op| rest.starts_with(**op)).ok_or_else(|| {
            format!("--where: {text:?} has no operator this understands (=, !=, <, <=, >, >=, ~, !~)")
        })?;
        let value = &rest[op_text.len()..];
        let regex = || Regex::new(value).map_err(|e| format!("--where {text}: the regex does not compile: {e}"));
        let op = match *op_text {
            "=" | "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "~" => Op::Match(regex()?),
            _ => Op::NotMatch(regex()?),
        };
        Ok(Condition {
            field: field.to_string(),
            op,
            value: value.as_bytes().to_vec(),
            number: parse_number(value.as_bytes()),
            text: text.to_string(),
        })
    }

    /// Whether a record whose field has `value` (`None`: the record lacks it) passes. A record
    /// without the field passes no condition on it, `!=` included.
    pub fn holds(&self, value: Option<&[u8]>) -> bool {
        let Some(value) = value else { return false };
        let order = || match self.number.zip(parse_number(value)) {
            Some((want, got)) => got.cmp(&want),
            None => value.cmp(&self.value),
        };
        match &self.op {
            Op::Eq => value == self.value || self.number.is_some() && order().is_eq(),
            Op::Ne => !(value == self.value || self.number.is_some() && order().is_eq()),
            Op::Lt => order().is_lt(),
            Op::Le => order().is_le(),
            Op::Gt => order().is_gt(),
            Op::Ge => order().is_ge(),
            Op::Match(re) => re.is_match(value),
            Op::NotMatch(re) => !re.is_match(value),
        }
    }

    /// Whether a table being empty because of this condition deserves a warning: an equality,
    /// where a value spelt differently (`error` for `ERROR`) silently matches nothing.
    pub fn is_equality(&self) -> bool {
        matches!(self.op, Op::Eq)
    }
}

/// The values a field had while it never had the wanted one: a few, for a warning.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    pub matched: bool,
    pub values: Vec<Vec<u8>>,
    /// Whether more distinct values came than are kept.
    pub more: bool,
}

/// Distinct values kept for a warning.
const SHOWN_VALUES: usize = 8;

impl Seen {
    /// Notes a value that did not match (none while nothing has matched is all it costs).
    pub fn note(&mut self, value: &[u8]) {
        if self.matched || self.values.iter().any(|v| v == value) {
            return;
        }
        match self.values.len() < SHOWN_VALUES {
            true => self.values.push(value.to_vec()),
            false => self.more = true,
        }
    }

    pub fn absorb(&mut self, other: &Seen) {
        self.matched |= other.matched;
        for v in &other.values {
            self.note(v);
        }
        self.more |= other.more;
    }

    /// `values seen: "info", "error"` (or that none had the field).
    pub fn describe(&self, field: &str) -> String {
        if self.values.is_empty() {
            return format!("no record has a value of {field}");
        }
        let shown: Vec<String> =
            self.values.iter().map(|v| format!("\"{}\"", crate::error::shown(v, crate::error::SHOWN))).collect();
        format!("values of {field} seen: {}{}", shown.join(", "), if self.more { ", …" } else { "" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(cond: &str, value: &str) -> bool {
        Condition::parse(cond).unwrap().holds(Some(value.as_bytes()))
    }

    #[test]
    fn numbers_compare_as_numbers_and_text_as_bytes() {
        assert!(holds("status>=500", "503"));
        assert!(!holds("status>=500", "404"));
        assert!(holds("duration_ms>1000", "1000.5"));
        assert!(!holds("duration_ms>1000", "999.9"));
        assert!(holds("bytes<1e3", "20"));
        assert!(holds("status=200", "200.0"));
        assert!(holds("level==ERROR", "ERROR"));
        assert!(!holds("level=ERROR", "error"));
        assert!(holds("level!=ERROR", "INFO"));
        assert!(holds("time>=2026-11-22", "2026-11-22T00:00:01"));
        assert!(holds("path~^/api/", "/api/v1"));
        assert!(holds("path!~^/api/", "/static/x"));
        assert!(!Condition::parse("status>=500").unwrap().holds(None));
        assert!(!Condition::parse("status!=500").unwrap().holds(None));
    }

    #[test]
    fn malformed_conditions_say_what_is_expected() {
        for bad in ["status", "=5", "path~(", "a!b"] {
            assert!(Condition::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Condition::parse("msg=a=b").unwrap().value, b"a=b");
    }
}
