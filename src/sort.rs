//! `ticky-sort`: sorts CSV rows (the header stays first) or JSON Lines records by named columns,
//! stably, each key text by bytes or numeric, ascending or reversed.

use std::cmp::Ordering;
use std::io::{BufRead, Write};

use crate::cli;
use crate::csvio::{self, Row};
use crate::error::{Error, Result};
use crate::input::{self, LineReader};
use crate::json::Fields;

/// One `--by COL[:MODS]` key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortKey {
    pub column: String,
    pub numeric: bool,
    pub reverse: bool,
}

impl SortKey {
    /// Parses `Count:nr`: a column name, then optional modifiers `n` (numeric) and `r` (reverse).
    pub fn parse(spec: &str) -> Result<SortKey> {
        let (column, mods) = match spec.rsplit_once(':') {
            Some((c, m)) if m.chars().all(|c| c == 'n' || c == 'r') => (c, m),
            _ => (spec, ""),
        };
        if column.is_empty() {
            return Err(Error::usage(format!("--by {spec:?}: a column name is needed before the ':'")));
        }
        Ok(SortKey { column: column.to_string(), numeric: mods.contains('n'), reverse: mods.contains('r') })
    }

    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        let order = if self.numeric { compare_numbers(a, b) } else { a.cmp(b) };
        if self.reverse {
            order.reverse()
        } else {
            order
        }
    }
}

/// Numbers in numeric order; text that is not a number sorts after every number, by bytes.
fn compare_numbers(a: &[u8], b: &[u8]) -> Ordering {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

fn number(b: &[u8]) -> Option<f64> {
    let n: f64 = std::str::from_utf8(b).ok()?.trim().parse().ok()?;
    (!n.is_nan()).then_some(n)
}

/// A row's values of the sort keys, in key order; `None` where a JSON record lacks the field.
type KeyValues<'a> = Vec<Option<&'a [u8]>>;

/// Compares two rows by every key in turn: a missing field (`None`) sorts before any value.
fn compare_rows(keys: &[SortKey], a: &[Option<&[u8]>], b: &[Option<&[u8]>]) -> Ordering {
    for (key, (x, y)) in keys.iter().zip(a.iter().zip(b)) {
        let order = match (x, y) {
            (Some(x), Some(y)) => key.compare(x, y),
            (x, y) => x.is_some().cmp(&y.is_some()),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

pub fn run(keys: &[SortKey], paths: &[String], out: &mut impl Write) -> Result<()> {
    if keys.is_empty() {
        return Err(Error::usage("--by COL[:MODS] is required"));
    }
    let Some(first) = paths.first() else { return Ok(()) };
    let first = input::open(first)?;
    let name = first.name.clone();
    let mut reader = first.buffered();
    let start = reader.fill_buf().map_err(|e| Error::io(format!("reading {name}"), e))?;
    let json = start.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{');
    // The first input goes on from where it stands, its buffer and all: standard input cannot be
    // opened twice.
    let mut inputs = vec![input::Input { name, reader: Box::new(reader), modified: None }];
    for path in &paths[1..] {
        inputs.push(input::open(path)?);
    }
    if json {
        sort_json(keys, inputs, out)
    } else {
        sort_csv(keys, inputs, out)
    }
}

fn sort_csv(keys: &[SortKey], inputs: Vec<input::Input>, out: &mut impl Write) -> Result<()> {
    let Some((header, rows)) = csvio::read_table(inputs)? else { return Ok(()) };
    let columns = keys
        .iter()
        .map(|k| {
            header.iter().position(|c| c == k.column.as_bytes()).ok_or_else(|| {
                let names: Vec<_> = header.iter().map(String::from_utf8_lossy).collect();
                Error::usage(format!("--by {}: no such column; the columns are: {}", k.column, names.join(", ")))
            })
        })
        .collect::<Result<Vec<usize>>>()?;
    let mut order: Vec<(KeyValues<'_>, &Row)> =
        rows.iter().map(|r| (columns.iter().map(|&c| Some(r.get(c))).collect(), r)).collect();
    order.sort_by(|a, b| compare_rows(keys, &a.0, &b.0));

    let mut buf = Vec::with_capacity(64 * 1024);
    csvio::write_row(&mut buf, header.iter());
    for (_, row) in order {
        csvio::write_row(&mut buf, row.iter());
        cli::write_when_full(&mut buf, out)?;
    }
    cli::write_and_flush(&buf, out)
}

fn sort_json(keys: &[SortKey], inputs: Vec<input::Input>, out: &mut impl Write) -> Result<()> {
    let mut fields = Fields::new(keys.iter().map(|k| k.column.clone()).collect());
    // Each record with its owned key values.
    #[allow(clippy::type_complexity)]
    let mut lines: Vec<(Vec<Option<Vec<u8>>>, Vec<u8>)> = Vec::new();
    let mut first_keys: Option<Vec<String>> = None;
    for input in inputs {
        let mut reader = LineReader::new(input.reader, &input.name);
        while let Some((number, line)) = reader.next_line()? {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            fields.read(line).map_err(|msg| Error::input(&input.name, number, msg))?;
            if first_keys.is_none() {
                first_keys = Some(top_level_keys(line));
            }
            let values = (0..keys.len()).map(|i| fields.get(i).map(<[u8]>::to_vec)).collect();
            lines.push((values, line.to_vec()));
        }
    }
    for (i, key) in keys.iter().enumerate() {
        if !lines.is_empty() && lines.iter().all(|(v, _)| v[i].is_none()) {
            let names = first_keys.clone().unwrap_or_default().join(", ");
            return Err(Error::usage(format!("--by {}: no record has this field; the first has: {names}", key.column)));
        }
    }
    let mut order: Vec<(KeyValues<'_>, &[u8])> =
        lines.iter().map(|(v, l)| (v.iter().map(|f| f.as_deref()).collect(), l.as_slice())).collect();
    order.sort_by(|a, b| compare_rows(keys, &a.0, &b.0));
    let mut buf = Vec::with_capacity(64 * 1024);
    for (_, line) in order {
        buf.extend_from_slice(line);
        buf.push(b'\n');
        cli::write_when_full(&mut buf, out)?;
    }
    cli::write_and_flush(&buf, out)
}

fn top_level_keys(line: &[u8]) -> Vec<String> {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_specs() {
        assert_eq!(
            SortKey::parse("Count:nr").unwrap(),
            SortKey { column: "Count".into(), numeric: true, reverse: true }
        );
        assert_eq!(SortKey::parse("a:b").unwrap().column, "a:b");
        assert!(SortKey::parse(":n").is_err());
    }

    #[test]
    fn numbers_before_text() {
        let mut v: Vec<&[u8]> = vec![b"10", b"x", b"9", b"-1.5", b"", b"2e1"];
        v.sort_by(|a, b| compare_numbers(a, b));
        assert_eq!(v, [&b"-1.5"[..], b"9", b"10", b"2e1", b"", b"x"]);
    }
}
