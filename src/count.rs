//! `ticky-count`: counts records per distinct key, optionally cross-tabulated by the values of one
//! field, and merges partial counts exactly, so that counting parts and merging equals counting
//! the whole.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::io::Write;

use crate::cli;
use crate::csvio::{self, CsvReader, Row};
use crate::error::{Error, Result};
use crate::input::{self, LineReader};
use crate::json::Fields;

/// Cross-tabulation: one count column per listed value of `field`.
#[derive(Clone, Debug)]
pub struct Pivot {
    pub field: String,
    pub columns: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct CountOptions {
    /// The key fields. With `merge`, how many leading CSV columns form the key (when empty: all
    /// but the last).
    pub by: Vec<String>,
    pub pivot: Option<Pivot>,
    /// `FIELD=VALUE` conditions that must all hold for a record to count.
    pub filters: Vec<(String, String)>,
    /// Replaces the header row; must name every column.
    pub header: Option<Vec<String>>,
    /// Read CSVs written by ticky-count and sum them.
    pub merge: bool,
}

/// Counts per key: each distinct key is stored once, with `width` counts.
struct Counter {
    width: usize,
    index: HashMap<Box<[u8]>, usize>,
    counts: Vec<u64>,
}

impl Counter {
    fn new(width: usize) -> Counter {
        Counter { width, index: HashMap::new(), counts: Vec::new() }
    }

    /// Adds `n` to column `col` of `key`. Only a new key allocates.
    fn add(&mut self, key: &[u8], col: usize, n: u64) -> Result<()> {
        let base = match self.index.get(key) {
            Some(&base) => base,
            None => {
                let base = self.counts.len();
                self.counts.resize(base + self.width, 0);
                self.index.insert(key.into(), base);
                base
            }
        };
        let slot = &mut self.counts[base + col];
        *slot = slot.checked_add(n).ok_or_else(|| Error::Failed("a count overflowed 64 bits".into()))?;
        Ok(())
    }

    /// Rows ordered by total count descending, then by key fields ascending (byte order).
    fn sorted(&self) -> Vec<(KeyFields<'_>, &[u64])> {
        let mut rows: Vec<(u64, KeyFields<'_>, &[u64])> = self
            .index
            .iter()
            .map(|(key, &base)| {
                let counts = &self.counts[base..base + self.width];
                (counts.iter().sum(), decode_key(key), counts)
            })
            .collect();
        rows.sort_unstable_by(|a, b| match b.0.cmp(&a.0) {
            Ordering::Equal => a.1.cmp(&b.1),
            other => other,
        });
        rows.into_iter().map(|(_, key, counts)| (key, counts)).collect()
    }
}

/// The fields of one key, in `--by` order.
type KeyFields<'a> = Vec<&'a [u8]>;

/// Keys are the key fields, each prefixed with its length, so that any bytes may appear in them.
fn push_key_field(key: &mut Vec<u8>, field: &[u8]) {
    key.extend_from_slice(&(field.len() as u32).to_le_bytes());
    key.extend_from_slice(field);
}

fn decode_key(mut key: &[u8]) -> KeyFields<'_> {
    let mut fields = Vec::new();
    while key.len() >= 4 {
        let len = u32::from_le_bytes([key[0], key[1], key[2], key[3]]) as usize;
        fields.push(&key[4..4 + len]);
        key = &key[4 + len..];
    }
    fields
}

pub fn run(opts: &CountOptions, paths: &[String], out: &mut impl Write) -> Result<()> {
    if opts.merge {
        return merge(opts, paths, out);
    }
    if opts.by.is_empty() {
        return Err(Error::usage("--by FIELD is required (or --merge)"));
    }
    let mut header: Vec<&str> = opts.by.iter().map(String::as_str).collect();
    match &opts.pivot {
        Some(p) => header.extend(p.columns.iter().map(String::as_str)),
        None => header.push("count"),
    }
    let header = header_row(opts, header.iter().map(|s| s.as_bytes()).collect())?;

    // The fields to find in each record: the key, then the pivot field, then the filters'.
    let nkeys = opts.by.len();
    let mut names = opts.by.clone();
    names.extend(opts.pivot.iter().map(|p| p.field.clone()));
    let first_filter = names.len();
    names.extend(opts.filters.iter().map(|(f, _)| f.clone()));
    let mut fields = Fields::new(names);
    let mut counter = Counter::new(opts.pivot.as_ref().map_or(1, |p| p.columns.len()));
    let mut key = Vec::new();

    for path in paths {
        let input = input::open(path)?;
        let mut lines = LineReader::new(input.reader, &input.name);
        while let Some((number, line)) = lines.next_line()? {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            fields.read(line).map_err(|msg| Error::input(&input.name, number, msg))?;
            let passes =
                opts.filters.iter().enumerate().all(|(i, (_, v))| fields.get(first_filter + i) == Some(v.as_bytes()));
            if !passes {
                continue;
            }
            let col = match &opts.pivot {
                None => 0,
                Some(p) => match fields.get(nkeys).and_then(|v| p.columns.iter().position(|c| c.as_bytes() == v)) {
                    Some(col) => col,
                    None => continue,
                },
            };
            key.clear();
            let mut complete = true;
            for i in 0..nkeys {
                match fields.get(i) {
                    Some(v) => push_key_field(&mut key, v),
                    None => complete = false,
                }
            }
            if complete {
                counter.add(&key, col, 1)?;
            }
        }
    }
    write_counts(&header, &counter, out)
}

/// The header row: `--header` if given (it must name every column), else the default.
fn header_row(opts: &CountOptions, default: Vec<&[u8]>) -> Result<Row> {
    match &opts.header {
        Some(names) if names.len() != default.len() => Err(Error::usage(format!(
            "--header names {} column{} but the output has {}: {}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            default.len(),
            default.iter().map(|c| String::from_utf8_lossy(c)).collect::<Vec<_>>().join(",")
        ))),
        Some(names) => Ok(Row::from_fields(names.iter().map(|s| s.as_bytes()))),
        None => Ok(Row::from_fields(default)),
    }
}

fn merge(opts: &CountOptions, paths: &[String], out: &mut impl Write) -> Result<()> {
    if opts.pivot.is_some() || !opts.filters.is_empty() {
        return Err(Error::usage("--merge sums counts already made: --pivot and --where do not apply"));
    }
    let mut first: Option<(String, Row)> = None;
    let mut counter = Counter::new(0);
    let mut nkeys = 0;
    let mut row = Row::default();
    let mut key = Vec::new();
    for path in paths {
        let input = input::open(path)?;
        let input_name = input.name.clone();
        let mut reader = CsvReader::new(input.buffered(), &input_name);
        let Some(_) = reader.read_row(&mut row)? else { continue };
        match &first {
            None => {
                nkeys = if opts.by.is_empty() { row.len().saturating_sub(1) } else { opts.by.len() };
                if nkeys == 0 || nkeys >= row.len() {
                    return Err(Error::input(
                        &input_name,
                        1,
                        format!(
                            "the header has {} column{}: a count needs at least one key column and one count column",
                            row.len(),
                            if row.len() == 1 { "" } else { "s" }
                        ),
                    ));
                }
                counter = Counter::new(row.len() - nkeys);
                first = Some((input_name.clone(), row.clone()));
            }
            Some((name, header)) if *header != row => {
                return Err(Error::input(
                    &input_name,
                    1,
                    format!(
                        "header differs from the one in {name}: counts can only merge with counts of the same columns"
                    ),
                ));
            }
            Some(_) => {}
        }
        let width = nkeys + counter.width;
        while let Some(number) = reader.read_row(&mut row)? {
            if row.len() != width {
                return Err(Error::input(
                    &input_name,
                    number,
                    format!("row has {} fields but the header has {width}", row.len()),
                ));
            }
            key.clear();
            for field in row.iter().take(nkeys) {
                push_key_field(&mut key, field);
            }
            for (col, field) in row.iter().skip(nkeys).enumerate() {
                let n = parse_count(field).ok_or_else(|| {
                    Error::input(
                        &input_name,
                        number,
                        format!("count {:?} is not a whole number", String::from_utf8_lossy(field)),
                    )
                })?;
                counter.add(&key, col, n)?;
            }
        }
    }
    let Some((_, input_header)) = first else {
        return out.flush().map_err(Error::output);
    };
    let header = header_row(opts, input_header.iter().collect())?;
    write_counts(&header, &counter, out)
}

fn parse_count(field: &[u8]) -> Option<u64> {
    std::str::from_utf8(field).ok()?.parse().ok()
}

fn write_counts(header: &Row, counter: &Counter, out: &mut impl Write) -> Result<()> {
    let mut buf = Vec::with_capacity(64 * 1024);
    csvio::write_row(&mut buf, header.iter());
    for (key, counts) in counter.sorted() {
        // Output is per distinct key, so formatting the numbers as strings costs nothing that matters.
        let counts: Vec<String> = counts.iter().map(u64::to_string).collect();
        csvio::write_row(&mut buf, key.iter().copied().chain(counts.iter().map(|c| c.as_bytes())));
        cli::write_when_full(&mut buf, out)?;
    }
    cli::write_and_flush(&buf, out)
}
