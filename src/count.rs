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
use crate::output::OutputFile;
use crate::record;

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
    /// With `merge`: how many leading columns form the key, when `by` does not say.
    pub keys: Option<usize>,
    /// The file this table goes to; standard output when `None`.
    pub output: Option<String>,
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

/// One table of a run: where its fields are among those read from each record, and its counts.
struct Table<'a> {
    header: Row,
    keys: Vec<usize>,
    /// The pivot field and the values that get a count column.
    pivot: Option<(usize, &'a [String])>,
    filters: Vec<(usize, &'a [u8])>,
    counter: Counter,
    /// The table's own output file (see [`open_outputs`]); `None` for standard output.
    file: Option<OutputFile>,
}

impl Table<'_> {
    /// Counts the record whose fields `fields` holds, if it passes the filters and has every key
    /// field (and a listed pivot value). `key` is scratch space.
    fn count(&mut self, fields: &Fields, key: &mut Vec<u8>) -> Result<()> {
        if !self.filters.iter().all(|&(i, v)| fields.get(i) == Some(v)) {
            return Ok(());
        }
        let col = match self.pivot {
            Some((i, columns)) => match fields.get(i).and_then(|v| columns.iter().position(|c| c.as_bytes() == v)) {
                Some(col) => col,
                None => return Ok(()),
            },
            None => 0,
        };
        key.clear();
        for &i in &self.keys {
            match fields.get(i) {
                Some(v) => push_key_field(key, v),
                None => return Ok(()),
            }
        }
        self.counter.add(key, col, 1)
    }
}

/// Counts the records of every input into one table per `CountOptions` (all in one pass over the
/// records) and writes each table to its `output` file, or to `out` when it has none. With
/// `merge`, sums CSVs instead (one table only). Returns warnings for standard error: a field that
/// no record had, and that ticky-parse never writes, is most likely misspelt (`--by usr`).
pub fn run(tables: &[CountOptions], paths: &[String], out: &mut impl Write) -> Result<Vec<String>> {
    match tables {
        [] => return Err(Error::usage("--by FIELD is required (or --merge)")),
        [opts] if opts.merge => {
            if opts.pivot.is_some() || !opts.filters.is_empty() {
                return Err(Error::usage("--merge sums counts already made: --pivot and --where do not apply"));
            }
            let mut file = open_outputs(tables)?.pop().flatten();
            if let Some((header, counter)) = merge(opts, paths)? {
                write_table(&header, &counter, file.as_mut(), out)?;
                file.map(OutputFile::commit).transpose()?;
            }
            return Ok(Vec::new());
        }
        _ if tables.iter().any(|t| t.merge) => {
            return Err(Error::usage("--merge sums one table of counts: it does not combine with --and"))
        }
        _ => {}
    }
    if tables.iter().filter(|t| t.output.is_none()).count() > 1 {
        return Err(Error::usage(
            "only one table can go to standard output: give the others --output FILE (or leave out --and)",
        ));
    }

    // The fields to find in each record, each named once however many tables use it.
    let mut names: Vec<String> = Vec::new();
    let mut field = |name: &str| match names.iter().position(|n| n == name) {
        Some(i) => i,
        None => {
            names.push(name.to_string());
            names.len() - 1
        }
    };
    let mut counting = Vec::with_capacity(tables.len());
    for opts in tables {
        if opts.by.is_empty() {
            return Err(Error::usage("--by FIELD is required for each table (or --merge)"));
        }
        let mut header: Vec<&str> = opts.by.iter().map(String::as_str).collect();
        match &opts.pivot {
            Some(p) => header.extend(p.columns.iter().map(String::as_str)),
            None => header.push("count"),
        }
        counting.push(Table {
            header: header_row(opts, header.iter().map(|s| s.as_bytes()).collect())?,
            keys: opts.by.iter().map(|f| field(f)).collect(),
            pivot: opts.pivot.as_ref().map(|p| (field(&p.field), &p.columns[..])),
            filters: opts.filters.iter().map(|(f, v)| (field(f), v.as_bytes())).collect(),
            counter: Counter::new(opts.pivot.as_ref().map_or(1, |p| p.columns.len())),
            file: None,
        });
    }
    for (table, file) in counting.iter_mut().zip(open_outputs(tables)?) {
        table.file = file;
    }
    let mut fields = Fields::new(names);
    let mut key = Vec::new();
    let mut records = 0u64;

    for path in paths {
        let input = input::open(path)?;
        let mut lines = LineReader::new(input.reader, &input.name);
        while let Some((number, line)) = lines.next_line()? {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            fields.read(line).map_err(|msg| Error::input(&input.name, number, msg))?;
            records += 1;
            for table in &mut counting {
                table.count(&fields, &mut key)?;
            }
        }
    }
    let warnings = if records == 0 { Vec::new() } else { unknown_fields(&fields, records) };
    // The files first: a reader of standard output that stops early (`| head`) ends the run.
    counting.sort_by_key(|t| t.file.is_none());
    for table in &mut counting {
        write_table(&table.header, &table.counter, table.file.as_mut(), out)?;
        table.file.take().map(OutputFile::commit).transpose()?;
    }
    Ok(warnings)
}

/// A warning for each wanted field that none of the `records` had and that is not a key of
/// ticky-parse's records. A record key that never appeared is no news: a day without errors has no
/// `error` anywhere.
fn unknown_fields(fields: &Fields, records: u64) -> Vec<String> {
    fields
        .never_found()
        .filter(|name| !record::is_key(name))
        .map(|name| {
            format!(
                "no record has a field {:?} ({records} read), so nothing that needs it was counted; \
                 the fields of ticky-parse's records are {}",
                String::from_utf8_lossy(name),
                record::KEYS.join(", ")
            )
        })
        .collect()
}

/// The `--output` file of each table (`None` for standard output), started now, before any input
/// is read, so that a wrong path fails at once. Each is written under a temporary name and put in
/// place only when the run succeeded ([`OutputFile`]): a file that is also an input is read whole
/// before it is replaced (`ticky-count --merge -o total.csv total.csv today.csv` keeps a running
/// total), and a failure leaves every file as it was.
fn open_outputs(tables: &[CountOptions]) -> Result<Vec<Option<OutputFile>>> {
    tables.iter().map(|t| t.output.as_deref().map(OutputFile::create).transpose()).collect()
}

/// Writes a table to its own file (opened by [`open_outputs`]), or to `out` when it has none.
fn write_table(header: &Row, counter: &Counter, file: Option<&mut OutputFile>, out: &mut impl Write) -> Result<()> {
    match file {
        None => write_counts(header, counter, out),
        Some(file) => write_counts(header, counter, file.writer()).map_err(|e| match e {
            Error::Io { source, .. } => Error::io(format!("writing {}", file.name), source),
            other => other,
        }),
    }
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

/// Sums the CSVs; `None` when no input had even a header.
fn merge(opts: &CountOptions, paths: &[String]) -> Result<Option<(Row, Counter)>> {
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
                nkeys = match (opts.by.len(), opts.keys) {
                    (0, Some(n)) => n,
                    (0, None) if row.len() > 1 && !is_count_column(row.get(row.len() - 1)) => {
                        let mut shown = Vec::new();
                        csvio::write_row(&mut shown, row.iter());
                        return Err(Error::usage(format!(
                            "--merge: the header of {input_name} ({}) does not end in a count column, so its key \
                             columns cannot be told (a --pivot table has several counts): give the key with --by \
                             (--by {}) or --keys N",
                            String::from_utf8_lossy(shown.trim_ascii_end()),
                            String::from_utf8_lossy(row.get(0))
                        )));
                    }
                    (0, None) => row.len().saturating_sub(1),
                    (n, _) => n,
                };
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
            csvio::check_width(&row, width, &input_name, number)?;
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
        return Ok(None);
    };
    Ok(Some((header_row(opts, input_header.iter().collect())?, counter)))
}

/// Whether a column is the count that ticky-count writes last (`count`, or `Count` as the daily
/// report's header names it).
fn is_count_column(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"count")
}

fn parse_count(field: &[u8]) -> Option<u64> {
    std::str::from_utf8(field).ok()?.parse().ok()
}

fn write_counts(header: &Row, counter: &Counter, out: &mut dyn Write) -> Result<()> {
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
